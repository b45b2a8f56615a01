/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-registration.h: UDP push-notification registrations and the
 * datagrams sent to them (MS-OXCRPC 3.1.4.5 and 3.1.4.6, MS-OXCNOTIF
 * 3.1.5.1).
 *
 * EcRRegisterPushNotification (EMSMDB opnum 4) names a callback SOCKADDR and
 * a context blob; the server sends the callback a datagram whose payload is
 * the blob while events are pending, every 60 s until the client reacts;
 * EcRUnregisterPushNotification (opnum 5) ends it. State only: the EMSMDB
 * hook (packet-dcerpc-newmail.c) and the UDP dissector (packet-newmail.c) feed
 * it on the first pass and read it on every pass; nothing here builds a tree
 * or queues a tap event.
 */
#ifndef NEWMAIL_REGISTRATION_H
#define NEWMAIL_REGISTRATION_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-parse.h"
#include "newmail-session.h"

/* Where notifications go: address (4 or 16 bytes) and port. */
typedef struct {
    uint8_t address[16];
    uint16_t port;
    uint16_t family; /* NEWMAIL_AF_INET or NEWMAIL_AF_INET6 */
} newmail_endpoint_t;

/* wmem_map hash and equality of zeroed newmail_endpoint_t keys; the hash is
 * wmem_strong_hash(), as the keys come from the capture. */
unsigned newmail_endpoint_hash(gconstpointer key);
gboolean newmail_endpoint_equal(gconstpointer a, gconstpointer b);

/* Fills a zeroed endpoint from an IPv4 or IPv6 address and a port; false
 * for any other address type. */
bool newmail_endpoint_from_address(const address *addr, uint16_t port,
                                   newmail_endpoint_t *endpoint);

/* One notification of a registration, as the first pass saw it: its frame
 * and the time since the registration's notification before it, in
 * microseconds, the resolution of pcap and of most pcapng files. A gap
 * that is not a whole number of microseconds, is negative (merged
 * captures) or is longer than 71 minutes is kept exactly elsewhere, and
 * gap_us is NEWMAIL_GAP_KEPT_APART. 8 bytes a notification: the list is
 * most of what the plugin keeps. */
typedef struct {
    uint32_t frame;
    uint32_t gap_us;
} newmail_notification_record_t;

#define NEWMAIL_GAP_KEPT_APART UINT32_MAX

/* One EcRRegisterPushNotification call, from its request on. A capture can
 * hold hundreds of thousands, so nothing here is kept twice: map keys point
 * at `callback`, and texts are made when shown. */
typedef struct newmail_registration {
    nstime_t request_time;
    /* First pass: when its latest notification came. */
    nstime_t latest_notification_time;
    newmail_endpoint_t callback; /* the key: the request's source for an unspecified address */
    uint16_t advertised_family;  /* AF_INET or AF_INET6, as the SOCKADDR said */
    uint16_t context_length;
    bool advertised_unspecified; /* the SOCKADDR said 0.0.0.0 or :: */
    uint32_t request_frame;
    uint32_t handle;    /* hNotification, once the response is seen */
    uint32_t end_frame; /* the call that ended it, or 0 */
    /* Its notifications in frame order. A notification's sequence number is
     * its place here, so its frame needs no record of its own: 8 bytes per
     * notification instead of the 100 or so a per-frame proto data entry
     * takes. The list grows by a quarter at a time. */
    uint32_t notification_count;
    uint32_t notification_capacity;
    newmail_notification_record_t *notifications;
    const uint8_t *context;
    newmail_session_t *session; /* the session of its pcxh */
    /* The registration this one followed for the same callback, newest
     * first, so a later pass can find the one a datagram went to. */
    struct newmail_registration *older;
} newmail_registration_t;

/* What is known about one datagram that is NEWMAIL. */
typedef struct {
    newmail_registration_t *registration; /* NULL when none is known */
    newmail_registration_t *ended;        /* without one: the last that ended here */
    uint32_t sequence;                    /* 1 for the registration's first */
    uint32_t previous_frame;              /* the registration's notification before, or 0 */
    nstime_t since_previous;              /* unset when there is none */
    bool context_match;
    uint32_t quotes; /* in an ICMP error: the notification it quotes */
} newmail_notification_t;

/* Registers the init routine that empties the model for each file. */
void newmail_registration_register(void);

/* The callback a datagram was sent to; false when not over IPv4 or IPv6. */
bool newmail_endpoint_from_destination(const packet_info *pinfo, newmail_endpoint_t *endpoint);

/* "address:port", or "[address]:port" for IPv6. */
const char *newmail_endpoint_to_str(wmem_allocator_t *scope, uint16_t family, const uint8_t *bytes,
                                    uint16_t port);

/* "address:port" as the registration advertised it (0.0.0.0 or :: when it
 * gave no address). */
const char *newmail_registration_callback_text(wmem_allocator_t *scope,
                                               const newmail_registration_t *registration);

/* First pass, at a valid opnum 4 request: records the registration, ends the
 * one it replaces for the same callback, and remembers the call. */
newmail_registration_t *newmail_registration_add(packet_info *pinfo, dcerpc_call_value *call,
                                                 const newmail_stub_t *stub,
                                                 newmail_session_t *session);

/* First pass, at an opnum 4 response: the handle it returned, or its end
 * when the server refused. */
void newmail_registration_answered(newmail_registration_t *registration, const packet_info *pinfo,
                                   const newmail_stub_t *stub);

/* First pass, at an opnum 5 request: ends the registration of the session
 * that hNotification names and returns it (NULL when none); the call
 * remembers it, or that there was none, for newmail_registration_of_call(). */
newmail_registration_t *newmail_registration_unregister(const packet_info *pinfo,
                                                        dcerpc_call_value *call,
                                                        newmail_session_t *session,
                                                        uint32_t handle);

/* First pass, at any opnum 4 request, valid or not: its sender is a
 * client that registers (the callback a valid one names is added by
 * newmail_registration_add()). */
void newmail_registration_add_client(const packet_info *pinfo);

/* Whether the capture (so far, on the first pass) holds a registration of
 * the datagram's receiver (pinfo->dst), for any port. Never creates. */
bool newmail_registration_client_known(const packet_info *pinfo);

/* The registration an opnum 4 or 5 call was about, on any pass. */
newmail_registration_t *newmail_registration_of_call(const dcerpc_call_value *call);

/* What a datagram to a NEWMAIL port is. The first pass decides and records;
 * later passes find the same answer. NULL when it is not a notification of
 * a known registration and `forced` (Decode As, the preference) is not set.
 * A copy quoted in an ICMP error is never counted; it names the notification
 * it quotes, if one is known. */
newmail_notification_t *newmail_notification_for_frame(tvbuff_t *tvb, packet_info *pinfo,
                                                       bool forced);

/* Two-pass: the ICMP error that quoted the notification in `frame`, or 0. */
uint32_t newmail_notification_refused_in(uint32_t frame);

#endif /* NEWMAIL_REGISTRATION_H */
