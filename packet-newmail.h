/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet-newmail.h: what the plugin's files share: the NEWMAIL protocol,
 * its tap, and each file's registration entry points.
 */
#ifndef PACKET_NEWMAIL_H
#define PACKET_NEWMAIL_H

#include <epan/packet.h>

#include "newmail-session.h"

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

/* What the dissectors report on the NEWMAIL tap (named NEWMAIL_FILTER_NAME). */
typedef enum {
    NEWMAIL_TAP_REGISTRATION,
    NEWMAIL_TAP_NOTIFICATION,
    NEWMAIL_TAP_UNREGISTER,
    NEWMAIL_TAP_SIGNAL,      /* a signal, by mechanism */
    NEWMAIL_TAP_FETCH,       /* a fetch request that answered signals */
    NEWMAIL_TAP_NOT_FETCHED, /* a signal repeated with no fetch since the one before */
    NEWMAIL_TAP_REFUSED,     /* an ICMP error quoting a notification */
} newmail_tap_event_t;

typedef struct {
    newmail_tap_event_t event;
    /* Registrations, notifications, unregisters: "address:port" of the
     * registration's callback; for a notification with no known
     * registration, where it was sent; NULL when unknown. */
    const char *callback;
    gboolean registered;    /* notification: tied to a known registration */
    gboolean context_match; /* notification: payload equals the registered context */
    /* Signals, fetches, refusals: the client's address (where the signal
     * went, where the fetch came from), as Wireshark shows addresses. */
    const char *client;
    newmail_mechanism_t mechanism; /* NEWMAIL_TAP_SIGNAL */
    nstime_t fetch_delay;          /* NEWMAIL_TAP_FETCH: from the first signal it answers */
} newmail_tap_info_t;

/* Queues one tap event for this frame; fields not set are zero. */
void newmail_tap_queue(packet_info *pinfo, const newmail_tap_info_t *info);

/* The client address for the tap: only made when someone listens. */
const char *newmail_tap_client(packet_info *pinfo, const address *addr);

gboolean newmail_tap_listening(void);

/* packet-newmail.c: the protocol, the UDP dissector and Decode As. */
void proto_register_newmail(void);
void proto_reg_handoff_newmail(void);

/* packet-newmail.c: from this frame on, datagrams to the callback are
 * NEWMAIL (a UDP conversation, as SDP sets one up for RTP). */
struct newmail_registration;
void newmail_follow_callback(packet_info *pinfo, const struct newmail_registration *registration);

/* newmail-links.c: the fields every feeder shares (sessions, signals, fetches). */
void newmail_register_links(void);

/* newmail-mapi.c: the EMSMDB hook and AsyncEMSMDB. */
void newmail_register_mapi(void);
void newmail_handoff_mapi(void);

/* newmail-mapihttp.c: MAPI over HTTP. */
void newmail_register_mapihttp(void);
void newmail_handoff_mapihttp(void);

/* newmail-stats.c: registers the NEWMAIL stats_tree on the tap. */
void newmail_register_stats(void);

#endif /* PACKET_NEWMAIL_H */
