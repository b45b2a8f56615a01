/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-registration.c: UDP push-notification registrations and their
 * notifications (see newmail-registration.h).
 *
 * Registrations are keyed by their callback endpoint; a later registration
 * of the same callback replaces the earlier one, which stays reachable
 * through `older` so that later passes tie each datagram to the
 * registration that was current when it was sent. A datagram's sequence
 * number is its place in its registration's list, found by binary search.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/to_str.h>
#include <epan/wmem_scopes.h>

#include "newmail-core.h"
#include "newmail-registration.h"

static wmem_map_t *active_registrations;    /* newmail_endpoint_t -> registration */
static wmem_map_t *ended_registrations;     /* newmail_endpoint_t -> registration */
static wmem_map_t *registrations_by_handle; /* registration (session, handle) -> itself */
static wmem_map_t *registrations_by_call;   /* dcerpc_call_value * -> registration */
static wmem_map_t *untied_by_endpoint;      /* newmail_endpoint_t -> last untied datagram */
static wmem_map_t *refusals;                /* notification frame -> ICMP error frame */
static wmem_map_t *gaps_kept_apart;         /* notification frame -> nstime_t since previous */
static wmem_map_t *registered_clients;      /* callback address (port 0) -> first request frame */

/* Keys come from the capture, so they are hashed with wmem_strong_hash():
 * with a plain hash a crafted capture could put every registration in one
 * chain and make each datagram's lookup walk all of them (BENCHMARKS.md has
 * what it costs). */
unsigned
newmail_endpoint_hash(gconstpointer key)
{
    return wmem_strong_hash((const uint8_t *)key, sizeof(newmail_endpoint_t));
}

gboolean
newmail_endpoint_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(newmail_endpoint_t)) == 0;
}

/* A registration is its own key in registrations_by_handle: its session and
 * hNotification, as handles are only unique per session. */
static unsigned
registration_handle_hash(gconstpointer key)
{
    const newmail_registration_t *registration = (const newmail_registration_t *)key;
    struct {
        const newmail_session_t *session;
        uint32_t handle;
    } hashed;

    memset(&hashed, 0, sizeof(hashed)); /* the padding is hashed too */
    hashed.session = registration->session;
    hashed.handle = registration->handle;
    return wmem_strong_hash((const uint8_t *)&hashed, sizeof(hashed));
}

static gboolean
registration_handle_equal(gconstpointer a, gconstpointer b)
{
    const newmail_registration_t *ra = (const newmail_registration_t *)a;
    const newmail_registration_t *rb = (const newmail_registration_t *)b;

    return ra->session == rb->session && ra->handle == rb->handle;
}

static void
newmail_registration_init(void)
{
    active_registrations =
        wmem_map_new(wmem_file_scope(), newmail_endpoint_hash, newmail_endpoint_equal);
    ended_registrations =
        wmem_map_new(wmem_file_scope(), newmail_endpoint_hash, newmail_endpoint_equal);
    registrations_by_handle =
        wmem_map_new(wmem_file_scope(), registration_handle_hash, registration_handle_equal);
    registrations_by_call = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    untied_by_endpoint =
        wmem_map_new(wmem_file_scope(), newmail_endpoint_hash, newmail_endpoint_equal);
    refusals = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    gaps_kept_apart = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    registered_clients =
        wmem_map_new(wmem_file_scope(), newmail_endpoint_hash, newmail_endpoint_equal);
}

void
newmail_registration_register(void)
{
    register_init_routine(newmail_registration_init);
}

/* ---- Endpoints ------------------------------------------------------------- */

bool
newmail_endpoint_from_address(const address *addr, uint16_t port, newmail_endpoint_t *endpoint)
{
    memset(endpoint, 0, sizeof(*endpoint));
    endpoint->port = port;
    if (addr->type == AT_IPv4 && addr->len == 4)
        endpoint->family = NEWMAIL_AF_INET;
    else if (addr->type == AT_IPv6 && addr->len == 16)
        endpoint->family = NEWMAIL_AF_INET6;
    else
        return false;
    memcpy(endpoint->address, addr->data, addr->len);
    return true;
}

bool
newmail_endpoint_from_destination(const packet_info *pinfo, newmail_endpoint_t *endpoint)
{
    return newmail_endpoint_from_address(&pinfo->dst, (uint16_t)pinfo->destport, endpoint);
}

const char *
newmail_endpoint_to_str(wmem_allocator_t *scope, uint16_t family, const uint8_t *bytes,
                        uint16_t port)
{
    address addr;

    if (family == NEWMAIL_AF_INET6) {
        set_address(&addr, AT_IPv6, 16, bytes);
        return wmem_strdup_printf(scope, "[%s]:%u", address_to_str(scope, &addr), port);
    }
    set_address(&addr, AT_IPv4, 4, bytes);
    return wmem_strdup_printf(scope, "%s:%u", address_to_str(scope, &addr), port);
}

const char *
newmail_registration_callback_text(wmem_allocator_t *scope,
                                   const newmail_registration_t *registration)
{
    static const uint8_t unspecified[16];

    return newmail_endpoint_to_str(
        scope, registration->advertised_family,
        registration->advertised_unspecified ? unspecified : registration->callback.address,
        registration->callback.port);
}

/* The callback key: the SOCKADDR's address, or, when it gave none (0.0.0.0
 * or ::), the address the registration came from: a server cannot send to
 * an unspecified address, so it answers the host that called. */
static bool
callback_key(const packet_info *pinfo, const newmail_sockaddr_t *sockaddr, newmail_endpoint_t *key,
             bool *unspecified)
{
    static const uint8_t zeroes[16];
    size_t length = sockaddr->family == NEWMAIL_AF_INET ? 4 : 16;

    *unspecified = memcmp(sockaddr->address, zeroes, length) == 0;
    if (*unspecified)
        return newmail_endpoint_from_address(&pinfo->src, sockaddr->port, key);
    memset(key, 0, sizeof(*key));
    key->family = sockaddr->family;
    key->port = sockaddr->port;
    memcpy(key->address, sockaddr->address, length);
    return true;
}

/* ---- Registrations ----------------------------------------------------------- */

/* The newest registration made for exactly this callback, ended or not. */
static newmail_registration_t *
newest_registration(const newmail_endpoint_t *key)
{
    newmail_registration_t *registration =
        (newmail_registration_t *)wmem_map_lookup(active_registrations, key);

    if (registration == NULL)
        registration = (newmail_registration_t *)wmem_map_lookup(ended_registrations, key);
    return registration;
}

/* Ends a registration (an unregister, a refusal, or a new registration of
 * its callback), so later datagrams are no longer tied to it. */
static void
end_registration(newmail_registration_t *registration, uint32_t frame)
{
    if (registration->end_frame == 0)
        registration->end_frame = frame;
    if (wmem_map_lookup(active_registrations, &registration->callback) == registration) {
        wmem_map_remove(active_registrations, &registration->callback);
        wmem_map_insert(ended_registrations, &registration->callback, registration);
    }
}

/* A client's address, whatever port it registered: the heuristic leaves
 * such a client's other ports alone. */
static void
add_client_address(const newmail_endpoint_t *endpoint, uint32_t frame)
{
    newmail_endpoint_t key = *endpoint;

    key.port = 0;
    if (wmem_map_lookup(registered_clients, &key) == NULL)
        wmem_map_insert(registered_clients, wmem_memdup(wmem_file_scope(), &key, sizeof(key)),
                        GUINT_TO_POINTER(frame));
}

static void
add_registered_client(const newmail_registration_t *registration)
{
    add_client_address(&registration->callback, registration->request_frame);
}

void
newmail_registration_add_client(const packet_info *pinfo)
{
    newmail_endpoint_t endpoint;

    if (newmail_endpoint_from_address(&pinfo->src, 0, &endpoint))
        add_client_address(&endpoint, pinfo->num);
}

bool
newmail_registration_client_known(const packet_info *pinfo)
{
    newmail_endpoint_t key;

    if (wmem_map_size(registered_clients) == 0 ||
        !newmail_endpoint_from_address(&pinfo->dst, 0, &key))
        return false;
    return wmem_map_lookup(registered_clients, &key) != NULL;
}

newmail_registration_t *
newmail_registration_add(packet_info *pinfo, dcerpc_call_value *call, const newmail_stub_t *stub,
                         newmail_session_t *session)
{
    newmail_registration_t *registration;
    newmail_registration_t *replaced;
    newmail_endpoint_t key;
    bool unspecified;

    if (!callback_key(pinfo, &stub->sockaddr, &key, &unspecified))
        return NULL;
    registration = wmem_new0(wmem_file_scope(), newmail_registration_t);
    registration->request_frame = pinfo->num;
    registration->request_time = pinfo->abs_ts;
    registration->callback = key;
    registration->advertised_family = stub->sockaddr.family;
    registration->advertised_unspecified = unspecified;
    registration->context =
        (const uint8_t *)wmem_memdup(wmem_file_scope(), stub->context, stub->context_count);
    registration->context_length = (uint16_t)stub->context_count;
    registration->session = session;

    registration->older = newest_registration(&registration->callback);
    /* An existing entry keeps its key, which points at an older registration
     * of the same callback: file scope keeps that alive too. */
    replaced = (newmail_registration_t *)wmem_map_insert(active_registrations,
                                                         &registration->callback, registration);
    if (replaced != NULL && replaced->end_frame == 0)
        replaced->end_frame = pinfo->num;
    if (call != NULL)
        wmem_map_insert(registrations_by_call, call, registration);
    add_registered_client(registration);
    return registration;
}

void
newmail_registration_answered(newmail_registration_t *registration, const packet_info *pinfo,
                              const newmail_stub_t *stub)
{
    registration->handle = stub->notification_handle;
    if (stub->return_value != 0) {
        end_registration(registration, pinfo->num);
        return;
    }
    wmem_map_insert(registrations_by_handle, registration, registration);
}

newmail_registration_t *
newmail_registration_unregister(const packet_info *pinfo, dcerpc_call_value *call,
                                newmail_session_t *session, uint32_t handle)
{
    newmail_registration_t *registration;
    newmail_registration_t key;

    key.session = session;
    key.handle = handle;
    registration = (newmail_registration_t *)wmem_map_remove(registrations_by_handle, &key);
    if (registration != NULL)
        end_registration(registration, pinfo->num);
    if (call != NULL)
        wmem_map_insert(registrations_by_call, call, registration);
    return registration;
}

newmail_registration_t *
newmail_registration_of_call(const dcerpc_call_value *call)
{
    if (call == NULL)
        return NULL;
    return (newmail_registration_t *)wmem_map_lookup(registrations_by_call, call);
}

/* ---- Notifications -------------------------------------------------------------- */

static bool
payload_matches_context(tvbuff_t *tvb, const newmail_registration_t *registration)
{
    unsigned length = tvb_reported_length(tvb);

    return length == registration->context_length &&
           tvb_memeql(tvb, 0, registration->context, length) == 0;
}

/* A notification that is tied to nothing yet. */
static newmail_notification_t *
notification_new(wmem_allocator_t *scope)
{
    newmail_notification_t *notification = wmem_new0(scope, newmail_notification_t);

    nstime_set_unset(&notification->since_previous);
    return notification;
}

/* The place of `frame` in the registration's notification list, from 1;
 * 0 when it is not there. The list is in frame order (the first pass
 * appends), so a binary search finds it. */
static uint32_t
notification_sequence(const newmail_registration_t *registration, uint32_t frame)
{
    const newmail_notification_record_t *records = registration->notifications;
    uint32_t low = 0, high = registration->notification_count;

    while (low < high) {
        uint32_t middle = low + (high - low) / 2;

        if (records[middle].frame == frame)
            return middle + 1;
        if (records[middle].frame < frame)
            low = middle + 1;
        else
            high = middle;
    }
    return 0;
}

/* After the first pass: the registration of `key` this frame was a
 * notification of, if any. Registrations of one key follow each other in
 * time, so only the last one made before the frame can hold it. */
static newmail_registration_t *
registration_of_notification(const newmail_endpoint_t *key, uint32_t frame, uint32_t *sequence)
{
    newmail_registration_t *registration = newest_registration(key);

    while (registration != NULL && registration->request_frame > frame)
        registration = registration->older;
    if (registration == NULL)
        return NULL;
    *sequence = notification_sequence(registration, frame);
    return *sequence != 0 ? registration : NULL;
}

/* The notification with this sequence number, from its record: the first
 * pass and later ones build it the same way, so they show the same. */
static newmail_notification_t *
notification_from_record(tvbuff_t *tvb, packet_info *pinfo, newmail_registration_t *registration,
                         uint32_t sequence)
{
    newmail_notification_t *notification = notification_new(pinfo->pool);
    const newmail_notification_record_t *record = &registration->notifications[sequence - 1];

    notification->registration = registration;
    notification->sequence = sequence;
    if (sequence > 1) {
        notification->previous_frame = registration->notifications[sequence - 2].frame;
        if (record->gap_us != NEWMAIL_GAP_KEPT_APART) {
            notification->since_previous.secs = (time_t)(record->gap_us / 1000000);
            notification->since_previous.nsecs = (int)(record->gap_us % 1000000) * 1000;
        } else {
            const nstime_t *gap =
                (const nstime_t *)wmem_map_lookup(gaps_kept_apart, GUINT_TO_POINTER(record->frame));

            if (gap != NULL)
                notification->since_previous = *gap;
        }
    }
    notification->context_match = payload_matches_context(tvb, registration);
    return notification;
}

/* The time since the previous notification as a record holds it. */
static uint32_t
gap_in_record(const nstime_t *gap, uint32_t frame)
{
    if (gap->secs >= 0 && gap->secs < UINT32_MAX / 1000000 && gap->nsecs % 1000 == 0)
        return (uint32_t)gap->secs * 1000000 + (uint32_t)(gap->nsecs / 1000);
    wmem_map_insert(gaps_kept_apart, GUINT_TO_POINTER(frame),
                    wmem_memdup(wmem_file_scope(), gap, sizeof(*gap)));
    return NEWMAIL_GAP_KEPT_APART;
}

/* First pass: appends the datagram to the registration's notifications and
 * returns its sequence number. The list grows by a quarter, not twice over
 * as wmem_array does: with tens of notifications per registration doubling
 * leaves a third of the memory unused. */
static uint32_t
add_notification(newmail_registration_t *registration, const packet_info *pinfo)
{
    newmail_notification_record_t *record;

    if (registration->notification_count == registration->notification_capacity) {
        uint32_t capacity = registration->notification_capacity;

        capacity = capacity < 4 ? 4 : capacity + capacity / 4;
        registration->notifications = (newmail_notification_record_t *)wmem_realloc(
            wmem_file_scope(), registration->notifications,
            (size_t)capacity * sizeof(newmail_notification_record_t));
        registration->notification_capacity = capacity;
    }
    record = &registration->notifications[registration->notification_count++];
    record->frame = pinfo->num;
    record->gap_us = 0;
    if (registration->notification_count > 1) {
        nstime_t gap;

        nstime_delta(&gap, &pinfo->abs_ts, &registration->latest_notification_time);
        record->gap_us = gap_in_record(&gap, pinfo->num);
    }
    registration->latest_notification_time = pinfo->abs_ts;
    return registration->notification_count;
}

/* First pass, for a copy in an ICMP error: the notification it quotes, the
 * last one sent to that callback before the error. */
static uint32_t
quoted_notification(const newmail_endpoint_t *endpoint, const packet_info *pinfo)
{
    newmail_registration_t *registration = newest_registration(endpoint);
    uint32_t last = 0;

    if (registration != NULL && registration->notification_count > 0)
        last = registration->notifications[registration->notification_count - 1].frame;
    last = MAX(last, GPOINTER_TO_UINT(wmem_map_lookup(untied_by_endpoint, endpoint)));
    return last < pinfo->num ? last : 0;
}

/* A copy of a datagram inside an ICMP error: the client's host refused the
 * notification it quotes. It is neither counted nor tied to a registration;
 * the first pass keeps what it quotes on the frame. */
static newmail_notification_t *
quoted_copy(packet_info *pinfo, const newmail_endpoint_t *endpoint, bool have_endpoint, bool forced)
{
    newmail_notification_t *notification = (newmail_notification_t *)p_get_proto_data(
        wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num);

    if (notification == NULL && !PINFO_FD_VISITED(pinfo)) {
        uint32_t quoted = have_endpoint ? quoted_notification(endpoint, pinfo) : 0;

        if (quoted == 0 && !forced)
            return NULL;
        notification = notification_new(wmem_file_scope());
        notification->quotes = quoted;
        p_add_proto_data(wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num,
                         notification);
        if (quoted != 0 && wmem_map_lookup(refusals, GUINT_TO_POINTER(quoted)) == NULL)
            wmem_map_insert(refusals, GUINT_TO_POINTER(quoted), GUINT_TO_POINTER(pinfo->num));
    }
    if (notification == NULL && forced) /* told to decode it after the first pass */
        notification = notification_new(pinfo->pool);
    return notification;
}

/* The registration for this callback that is current now, if any. */
static newmail_registration_t *
active_registration(const newmail_endpoint_t *endpoint)
{
    return (newmail_registration_t *)wmem_map_lookup(active_registrations, endpoint);
}

newmail_notification_t *
newmail_notification_for_frame(tvbuff_t *tvb, packet_info *pinfo, bool forced)
{
    newmail_endpoint_t endpoint;
    newmail_registration_t *registration = NULL;
    newmail_notification_t *notification = NULL;
    bool have_endpoint = newmail_endpoint_from_destination(pinfo, &endpoint);
    uint32_t sequence = 0;

    if (pinfo->flags.in_error_pkt)
        return quoted_copy(pinfo, &endpoint, have_endpoint, forced);

    if (PINFO_FD_VISITED(pinfo)) {
        /* A forced datagram with no registration keeps its own record. */
        notification = (newmail_notification_t *)p_get_proto_data(
            wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num);
        if (notification == NULL && have_endpoint) {
            registration = registration_of_notification(&endpoint, pinfo->num, &sequence);
            if (registration != NULL)
                notification = notification_from_record(tvb, pinfo, registration, sequence);
        }
        if (notification == NULL && forced) /* told to decode it after the first pass */
            notification = notification_new(pinfo->pool);
        return notification;
    }

    if (have_endpoint)
        registration = active_registration(&endpoint);
    if (registration != NULL) {
        /* A notification tells the registration's session that events wait. */
        newmail_session_add_signal(registration->session, pinfo);
        return notification_from_record(tvb, pinfo, registration,
                                        add_notification(registration, pinfo));
    }
    if (!forced)
        return NULL;
    /* Rare (only on a port the user gave NEWMAIL), so a per-frame record is
     * affordable; it remembers which registration had ended here. */
    notification = notification_new(wmem_file_scope());
    if (have_endpoint) {
        notification->ended =
            (newmail_registration_t *)wmem_map_lookup(ended_registrations, &endpoint);
        if (wmem_map_lookup(untied_by_endpoint, &endpoint) == NULL)
            wmem_map_insert(untied_by_endpoint,
                            wmem_memdup(wmem_file_scope(), &endpoint, sizeof(endpoint)),
                            GUINT_TO_POINTER(pinfo->num));
        else
            wmem_map_insert(untied_by_endpoint, &endpoint, GUINT_TO_POINTER(pinfo->num));
    }
    p_add_proto_data(wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num, notification);
    return notification;
}

uint32_t
newmail_notification_refused_in(uint32_t frame)
{
    return GPOINTER_TO_UINT(wmem_map_lookup(refusals, GUINT_TO_POINTER(frame)));
}
