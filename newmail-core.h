/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-core.h: what every protocol of the plugin shares, and nothing
 * else: the NEWMAIL protocol id (adopted from stock Wireshark or our own),
 * the NEWMAIL tap and its events, the names of the signal mechanisms, and
 * the handle that learned UDP callbacks are decoded with.
 *
 * The bottom of the Wireshark side: it includes no other file of the
 * plugin. The session model, the tree helpers, the dissectors and the stats
 * tree include it; see docs/architecture.md.
 */
#ifndef NEWMAIL_CORE_H
#define NEWMAIL_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>

/* Stock Wireshark already registers a NEWMAIL protocol under the filter name
 * "newmail"; the plugin adopts it. A test build passes another name (CMake's
 * NEWMAIL_FILTER_NAME) so that the path taken on a Wireshark without a
 * built-in NEWMAIL runs beside the stock one. */
#ifndef NEWMAIL_FILTER_NAME
#define NEWMAIL_FILTER_NAME "newmail"
#define NEWMAIL_SHORT_NAME "NEWMAIL"
#define NEWMAIL_LONG_NAME "Microsoft Exchange New Mail Notification"
#else
#define NEWMAIL_SHORT_NAME NEWMAIL_FILTER_NAME
#define NEWMAIL_LONG_NAME "Microsoft Exchange New Mail Notification (" NEWMAIL_FILTER_NAME ")"
#endif

/* The protocol every NEWMAIL field belongs to, whichever file adds it. */
extern int proto_newmail;

/* Registers the NEWMAIL protocol (or adopts stock's) and the tap, once.
 * Every protocol whose register function adds fields to proto_newmail calls
 * it first: Wireshark calls the plugin's register functions in no order the
 * plugin chooses. */
void newmail_core_register(void);

/* Whether proto_newmail is stock Wireshark's (true) or registered by us. */
bool newmail_core_adopted(void);

/* How a client is told that events are pending. */
typedef enum {
    NEWMAIL_SIGNAL_UDP = 1,   /* a NEWMAIL datagram */
    NEWMAIL_SIGNAL_ASYNC = 2, /* EcDoAsyncWaitEx with NotificationPending */
    NEWMAIL_SIGNAL_HTTP = 3,  /* NotificationWait with EventPending */
} newmail_mechanism_t;

/* The mechanisms' names: one signal (newmail.signal), and the stats tree's
 * node that counts their signals. */
extern const value_string newmail_mechanism_vals[];
extern const value_string newmail_mechanism_node_vals[];

/* What the dissectors report on the NEWMAIL tap (named NEWMAIL_FILTER_NAME). */
typedef enum {
    NEWMAIL_TAP_REGISTRATION,
    NEWMAIL_TAP_NOTIFICATION,
    NEWMAIL_TAP_UNREGISTER,
    NEWMAIL_TAP_SIGNAL,      /* a signal, by mechanism */
    NEWMAIL_TAP_FETCH,       /* a fetch request that answered signals */
    NEWMAIL_TAP_NOT_FETCHED, /* a signal repeated with no fetch since the one before */
    NEWMAIL_TAP_REFUSED,     /* an ICMP error quoting a notification */
    NEWMAIL_TAP_ROP_NOTIFY,  /* a RopNotify in a ROP response buffer */
} newmail_tap_event_t;

typedef struct {
    newmail_tap_event_t event;
    /* Registrations, notifications, unregisters: "address:port" of the
     * registration's callback; for a notification with no known
     * registration, where it was sent; NULL when unknown. */
    const char *callback;
    bool registered;    /* notification: tied to a known registration */
    bool context_match; /* notification: payload equals the registered context */
    /* Signals, fetches, refusals: the client's address (where the signal
     * went, where the fetch came from), as Wireshark shows addresses. */
    const char *client;
    newmail_mechanism_t mechanism; /* NEWMAIL_TAP_SIGNAL */
    nstime_t fetch_delay;          /* NEWMAIL_TAP_FETCH: from the first signal it answers */
    /* NEWMAIL_TAP_ROP_NOTIFY: its NotificationType, and the
     * RopRegisterNotification request of its subscription (0: none in the
     * capture; on_object: its handle names another object, a table). */
    uint16_t notify_type;
    uint32_t subscription_frame;
    bool on_object;
} newmail_tap_info_t;

/* Queues one tap event for this frame; fields not set are zero. */
void newmail_tap_queue(packet_info *pinfo, const newmail_tap_info_t *info);

/* The client address for the tap: only made when someone listens. */
const char *newmail_tap_client(packet_info *pinfo, const address *addr);

bool newmail_tap_listening(void);

/* A signal of `mechanism` to the client at pinfo->dst; `not_fetched` when
 * it repeats a signal the client fetched nothing after. */
void newmail_tap_signal(packet_info *pinfo, newmail_mechanism_t mechanism, bool not_fetched);

/* A fetch request from the client at pinfo->src that answers signals, the
 * first of them `delay` before it. */
void newmail_tap_fetch(packet_info *pinfo, const nstime_t *delay);

/* A RopNotify of NotificationType `type`; `subscription_frame` is the
 * RopRegisterNotification request of its subscription (0 for none known),
 * `on_object` that its handle names an object that is no subscription. */
void newmail_tap_rop_notify(packet_info *pinfo, uint16_t type, uint32_t subscription_frame,
                            bool on_object);

/* The handle learned callbacks are decoded with: packet-newmail.c sets it
 * when it registers its dissector. */
void newmail_core_set_callback_handle(dissector_handle_t handle);

/* From this frame on, datagrams to `addr`:`port` (IPv4 or IPv6, in
 * network order) are NEWMAIL: a UDP conversation, as SDP sets one up for
 * RTP. First pass only. */
void newmail_core_follow_callback(packet_info *pinfo, const address *addr, uint16_t port);

/* What the post-dissector calls, on the first pass only, for a TCP frame
 * of which HTTP dissected part, after all of the frame's dissection: HTTP
 * hands a protocol of the plugin no bytes of a request header with no
 * body behind it, and this is how one still sees it. At most one hook;
 * packet-rpch-newmail.c sets it at registration. */
typedef void (*newmail_http_frame_hook_t)(tvbuff_t *tvb, packet_info *pinfo);

void newmail_core_set_http_frame_hook(newmail_http_frame_hook_t hook);

/* The hook set, or NULL. */
newmail_http_frame_hook_t newmail_core_http_frame_hook(void);

/* wmem_map hash and equality of the 16-byte keys the capture brings (a
 * MAPI/HTTP X-RequestId GUID, an RPC over HTTP virtual connection cookie):
 * wmem_strong_hash(), so that a crafted capture cannot put them all in one
 * chain. */
#define NEWMAIL_KEY16_LEN 16
unsigned newmail_key16_hash(gconstpointer key);
gboolean newmail_key16_equal(gconstpointer a, gconstpointer b);

#endif /* NEWMAIL_CORE_H */
