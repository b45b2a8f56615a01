/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet-newmail.c: Microsoft Exchange new mail notifications (NEWMAIL), and
 * the MAPI calls that set them up.
 *
 * An Outlook client registers a UDP callback with EcRRegisterPushNotification
 * (MS-OXCRPC 3.1.4.5, EMSMDB opnum 4): an opaque context blob and a Windows
 * SOCKADDR. While events are pending the server sends that address a UDP
 * datagram whose payload is the blob (MS-OXCNOTIF 2.2.1.4.1), repeating it
 * every 60 seconds; EcRUnregisterPushNotification (opnum 5) ends it.
 *
 * Stock Wireshark has a NEWMAIL protocol that shows 8 payload bytes when told
 * the port. This plugin adopts that protocol (one NEWMAIL for the user),
 * wraps the stock MAPI dissector's opnum 4 and 5 entries to read the
 * registrations, puts each advertised port into "udp.port", and ties every
 * notification to the registration it answers.
 *
 * The stub bytes are read by newmail-parse.c, which knows no Wireshark types;
 * this file keeps the state and builds the trees.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/exceptions.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/to_str.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-parse.h"
#include "packet-newmail.h"

/* Whether the protocol came from stock Wireshark (adopted) or from us. */
static gboolean newmail_adopted;

static int proto_newmail = -1;
static int newmail_tap = -1;

/* On notifications */
static int hf_newmail_payload = -1; /* newmail.notification_payload, stock's name */
static int hf_newmail_payload_length = -1;
static int hf_newmail_registration_frame = -1;
static int hf_newmail_context_match = -1;
static int hf_newmail_sequence = -1;
static int hf_newmail_time_since_registration = -1;
static int hf_newmail_time_since_previous = -1;

/* On the MAPI calls */
static int hf_newmail_register = -1;
static int hf_newmail_unregister = -1;
static int hf_newmail_context = -1;
static int hf_newmail_context_length = -1;
static int hf_newmail_advise_bits = -1;
static int hf_newmail_callback = -1;
static int hf_newmail_callback_family = -1;
static int hf_newmail_callback_port = -1;
static int hf_newmail_callback_ipv4 = -1;
static int hf_newmail_callback_ipv6 = -1;
static int hf_newmail_callback_flowinfo = -1;
static int hf_newmail_callback_scope_id = -1;
static int hf_newmail_callback_length = -1;
static int hf_newmail_handle = -1;
static int hf_newmail_return_code = -1;
static int hf_newmail_request_frame = -1;
static int hf_newmail_response_frame = -1;
static int hf_newmail_notification_count = -1;
static int hf_newmail_first_notification_frame = -1;
static int hf_newmail_unregister_frame = -1;

static gint ett_newmail = -1;
static gint ett_newmail_register = -1;
static gint ett_newmail_callback = -1;

static expert_field ei_newmail_empty_payload = EI_INIT;
static expert_field ei_newmail_context_mismatch = EI_INIT;
static expert_field ei_newmail_no_registration = EI_INIT;
static expert_field ei_newmail_registration_ended = EI_INIT;
static expert_field ei_newmail_stub_truncated = EI_INIT;
static expert_field ei_newmail_context_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_length_mismatch = EI_INIT;
static expert_field ei_newmail_callback_family = EI_INIT;
static expert_field ei_newmail_callback_short = EI_INIT;
static expert_field ei_newmail_callback_port_zero = EI_INIT;
static expert_field ei_newmail_advise_bits = EI_INIT;
static expert_field ei_newmail_registration_failed = EI_INIT;
static expert_field ei_newmail_unknown_handle = EI_INIT;

/* One handle serves Decode As, the port preference and learned ports: a
 * second handle of the same protocol on "udp.port" would be a duplicate in
 * its Decode As list, which Wireshark reports as a dissector bug. */
static dissector_handle_t newmail_handle;
static dissector_table_t udp_port_table;

static const value_string callback_family_vals[] = {
    { NEWMAIL_AF_INET, "AF_INET" },
    { NEWMAIL_AF_INET6, "AF_INET6" },
    { 0, NULL }
};

/* MS-OXCDATA 2.4: the codes these two calls return in practice. */
static const value_string return_code_vals[] = {
    { 0x00000000, "Success" },
    { 0x80040111, "ecLoginFailure" },
    { 0x80040115, "ecNetwork" },
    { 0x000004B6, "ecRpcFormat" },
    { 0x80070057, "ecInvalidParam" },
    { 0x8004010F, "ecNotFound" },
    { 0x80040102, "ecNotSupported" },
    { 0x8007000E, "ecOutOfMemory" },
    { 0, NULL }
};

/* ---- State learned from the capture ----------------------------------------
 *
 * All of it lives in wmem_file_scope() and is made on the first pass; later
 * passes only read what the first pass left on each frame, so one-pass,
 * two-pass and GUI runs agree.
 */

/* A callback address. family 0 stands for "any host" (the registration gave
 * 0.0.0.0 or ::), so such registrations are found by port alone. */
typedef struct {
    guint8 address[16];
    guint16 port;
    guint16 family;
} newmail_endpoint_t;

/* One notification of a registration, as the first pass saw it. Its time is
 * kept relative to the registration's request; a gap that does not fit in
 * secs (68 years, only in damaged captures) is kept as
 * NOTIFICATION_TIME_UNKNOWN. */
typedef struct {
    guint32 frame;
    gint32 secs;
    gint32 nsecs;
} newmail_notification_record_t;

#define NOTIFICATION_TIME_UNKNOWN G_MININT32

/* One EcRRegisterPushNotification call, from its request on. A capture can
 * hold hundreds of thousands, so nothing here is kept twice: map keys point
 * at `callback`, and texts are made when shown. */
typedef struct newmail_registration {
    guint32 request_frame;
    nstime_t request_time;
    newmail_endpoint_t callback; /* the key: family 0 for an unspecified address */
    guint16 advertised_family;   /* AF_INET or AF_INET6, as the SOCKADDR said */
    guint16 context_length;
    const guint8 *context;
    guint8 context_handle[NEWMAIL_CONTEXT_HANDLE_LEN];
    guint32 response_frame; /* 0 until the response is seen */
    guint32 handle;         /* hNotification, once the response is seen */
    guint32 end_frame;      /* the opnum 5 request that ended it, or 0 */
    /* Its notifications in frame order. A notification's sequence number is
     * its place here, so its frame needs no record of its own: 12 bytes per
     * notification instead of the 100 or so a per-frame proto data entry
     * takes. The list grows by a quarter at a time (see add_notification()). */
    newmail_notification_record_t *notifications;
    guint32 notification_count;
    guint32 notification_capacity;
    /* The registration this one followed for the same callback key, newest
     * first, so a later pass can find the one a datagram went to. */
    struct newmail_registration *older;
} newmail_registration_t;

/* What is known about one notification datagram. */
typedef struct {
    newmail_registration_t *registration; /* NULL when none is known */
    newmail_registration_t *ended;        /* without one: the last that ended here */
    guint32 sequence;                     /* 1 for the registration's first */
    nstime_t since_previous;              /* unset when there is none */
    gboolean context_match;
    gboolean quoted;                      /* a copy inside an ICMP error */
} newmail_notification_t;

/* Key of the notification-handle map: handles are only unique per session. */
typedef struct {
    guint8 context_handle[NEWMAIL_CONTEXT_HANDLE_LEN];
    guint32 handle;
} newmail_handle_key_t;

static wmem_map_t *active_registrations; /* newmail_endpoint_t -> registration */
static wmem_map_t *ended_registrations;  /* newmail_endpoint_t -> registration */
static wmem_map_t *registrations_by_handle; /* newmail_handle_key_t -> registration */
static wmem_map_t *registrations_by_call;   /* dcerpc_call_value * -> registration */

/* A port this file's registrations put into "udp.port", and what it had
 * before. The table outlives the file, so this is plain GLib memory that the
 * cleanup routine gives back. */
typedef struct {
    dissector_handle_t previous; /* NULL when the port had no dissector */
    gboolean previous_was_decode_as;
} learned_port_t;

static GHashTable *learned_ports; /* port -> learned_port_t */

/* The copy of the stock EMSMDB opnum table with our wrappers (hook_emsmdb). */
static dcerpc_sub_dissector *hooked_procs;

static guint
bytes_hash(const guint8 *bytes, size_t length)
{
    guint hash = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < length; i++)
        hash = (hash ^ bytes[i]) * 16777619u;
    return hash;
}

static guint
endpoint_hash(gconstpointer key)
{
    return bytes_hash((const guint8 *)key, sizeof(newmail_endpoint_t));
}

static gboolean
endpoint_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(newmail_endpoint_t)) == 0;
}

static guint
handle_key_hash(gconstpointer key)
{
    return bytes_hash((const guint8 *)key, sizeof(newmail_handle_key_t));
}

static gboolean
handle_key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(newmail_handle_key_t)) == 0;
}

static void
newmail_init(void)
{
    active_registrations = wmem_map_new(wmem_file_scope(), endpoint_hash, endpoint_equal);
    ended_registrations = wmem_map_new(wmem_file_scope(), endpoint_hash, endpoint_equal);
    registrations_by_handle = wmem_map_new(wmem_file_scope(), handle_key_hash, handle_key_equal);
    registrations_by_call = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
}

/* Gives every learned port back to the dissector it had, unless someone
 * (Decode As, a preference) has changed it since. */
static void
restore_learned_port(gpointer key, gpointer value, gpointer user_data _U_)
{
    guint32 port = GPOINTER_TO_UINT(key);
    learned_port_t *learned = (learned_port_t *)value;

    if (dissector_get_uint_handle(udp_port_table, port) != newmail_handle)
        return;
    if (learned->previous == NULL)
        dissector_delete_uint("udp.port", port, newmail_handle);
    else if (learned->previous_was_decode_as)
        dissector_change_uint("udp.port", port, learned->previous);
    else
        dissector_add_uint("udp.port", port, learned->previous);
}

static void
newmail_cleanup(void)
{
    g_hash_table_foreach(learned_ports, restore_learned_port, NULL);
    g_hash_table_remove_all(learned_ports);
}

/* Wireshark frees the DCE/RPC interface table at exit and then unloads the
 * plugin; what the plugin allocated for the whole run goes with them. */
static void
newmail_shutdown(void)
{
    g_hash_table_destroy(learned_ports);
    learned_ports = NULL;
    g_free(hooked_procs);
    hooked_procs = NULL;
}

/* Sends datagrams on the port to NEWMAIL. A port that already has NEWMAIL
 * (Decode As, the preference) is left alone; whatever else it had is kept so
 * that datagrams which are not notifications still reach it. */
static void
learn_port(guint16 port)
{
    dissector_handle_t current = dissector_get_uint_handle(udp_port_table, port);
    learned_port_t *learned;

    if (current == newmail_handle || g_hash_table_contains(learned_ports, GUINT_TO_POINTER(port)))
        return;
    learned = g_new(learned_port_t, 1);
    learned->previous = current;
    learned->previous_was_decode_as = dissector_is_uint_changed(udp_port_table, port);
    g_hash_table_insert(learned_ports, GUINT_TO_POINTER(port), learned);
    /* dissector_change_uint() keeps a Decode As entry's initial handle, so
     * Decode As > Reset still works; a plain add keeps the learned port out
     * of the user's Decode As list. */
    if (learned->previous_was_decode_as)
        dissector_change_uint("udp.port", port, newmail_handle);
    else
        dissector_add_uint("udp.port", port, newmail_handle);
}

/* ---- Endpoints ---------------------------------------------------------- */

static void
endpoint_from_sockaddr(const newmail_sockaddr_t *sockaddr, newmail_endpoint_t *endpoint)
{
    static const guint8 unspecified[16];
    size_t length = sockaddr->family == NEWMAIL_AF_INET ? 4 : 16;

    memset(endpoint, 0, sizeof(*endpoint));
    endpoint->port = sockaddr->port;
    if (memcmp(sockaddr->address, unspecified, length) != 0) {
        endpoint->family = sockaddr->family;
        memcpy(endpoint->address, sockaddr->address, length);
    }
}

/* The callback a datagram was sent to; FALSE when not over IPv4 or IPv6. */
static gboolean
endpoint_from_destination(const packet_info *pinfo, newmail_endpoint_t *endpoint)
{
    memset(endpoint, 0, sizeof(*endpoint));
    endpoint->port = (guint16)pinfo->destport;
    if (pinfo->dst.type == AT_IPv4 && pinfo->dst.len == 4)
        endpoint->family = NEWMAIL_AF_INET;
    else if (pinfo->dst.type == AT_IPv6 && pinfo->dst.len == 16)
        endpoint->family = NEWMAIL_AF_INET6;
    else
        return FALSE;
    memcpy(endpoint->address, pinfo->dst.data, pinfo->dst.len);
    return TRUE;
}

/* The key of a registration that took any host on the endpoint's port. */
static void
any_host_key(const newmail_endpoint_t *endpoint, newmail_endpoint_t *any_host)
{
    memset(any_host, 0, sizeof(*any_host));
    any_host->port = endpoint->port;
}

/* The registration for this callback in `map`: for its host first, then one
 * that took any host on that port. */
static newmail_registration_t *
registration_for(wmem_map_t *map, const newmail_endpoint_t *endpoint)
{
    newmail_endpoint_t any_host;
    newmail_registration_t *registration = (newmail_registration_t *)wmem_map_lookup(map, endpoint);

    if (registration != NULL)
        return registration;
    any_host_key(endpoint, &any_host);
    return (newmail_registration_t *)wmem_map_lookup(map, &any_host);
}

static const gchar *
endpoint_to_str(wmem_allocator_t *scope, guint16 family, const guint8 *bytes, guint16 port)
{
    address addr;

    if (family == NEWMAIL_AF_INET6) {
        set_address(&addr, AT_IPv6, 16, bytes);
        return wmem_strdup_printf(scope, "[%s]:%u", address_to_str(scope, &addr), port);
    }
    set_address(&addr, AT_IPv4, 4, bytes);
    return wmem_strdup_printf(scope, "%s:%u", address_to_str(scope, &addr), port);
}

/* "address:port" as the registration advertised it (an unspecified address
 * is all zeroes in the key, so it reads 0.0.0.0 or ::). */
static const gchar *
registration_callback_text(wmem_allocator_t *scope, const newmail_registration_t *registration)
{
    return endpoint_to_str(scope, registration->advertised_family,
                           registration->callback.address, registration->callback.port);
}

static void
queue_tap(packet_info *pinfo, newmail_tap_event_t event, const gchar *callback,
          gboolean registered, gboolean context_match)
{
    newmail_tap_info_t *info = wmem_new(pinfo->pool, newmail_tap_info_t);

    info->event = event;
    info->callback = callback;
    info->registered = registered;
    info->context_match = context_match;
    tap_queue_packet(newmail_tap, pinfo, info);
}

/* ---- Notifications ---------------------------------------------------------- */

static gboolean
payload_matches_context(tvbuff_t *tvb, const newmail_registration_t *registration)
{
    guint length = tvb_reported_length(tvb);

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

/* The newest registration made for exactly this callback key, ended or not. */
static newmail_registration_t *
newest_registration(const newmail_endpoint_t *key)
{
    newmail_registration_t *registration =
        (newmail_registration_t *)wmem_map_lookup(active_registrations, key);

    if (registration == NULL)
        registration = (newmail_registration_t *)wmem_map_lookup(ended_registrations, key);
    return registration;
}

/* The place of `frame` in the registration's notification list, from 1;
 * 0 when it is not there. The list is in frame order (the first pass
 * appends), so a binary search finds it. */
static guint32
notification_sequence(const newmail_registration_t *registration, guint32 frame)
{
    const newmail_notification_record_t *records = registration->notifications;
    guint32 low = 0, high = registration->notification_count;

    while (low < high) {
        guint32 middle = low + (high - low) / 2;

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
registration_of_notification(const newmail_endpoint_t *key, guint32 frame, guint32 *sequence)
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
notification_from_record(tvbuff_t *tvb, packet_info *pinfo,
                         newmail_registration_t *registration, guint32 sequence)
{
    newmail_notification_t *notification = notification_new(pinfo->pool);
    const newmail_notification_record_t *previous;

    notification->registration = registration;
    notification->sequence = sequence;
    if (sequence > 1) {
        previous = &registration->notifications[sequence - 2];
        if (previous->secs != NOTIFICATION_TIME_UNKNOWN) {
            nstime_t offset = { previous->secs, previous->nsecs }, previous_time;

            nstime_sum(&previous_time, &registration->request_time, &offset);
            nstime_delta(&notification->since_previous, &pinfo->abs_ts, &previous_time);
        }
    }
    notification->context_match = payload_matches_context(tvb, registration);
    return notification;
}

/* A later pass over a datagram the first pass tied to a registration (see
 * registration_for() for the order of the two keys). */
static newmail_notification_t *
notification_seen(tvbuff_t *tvb, packet_info *pinfo, const newmail_endpoint_t *endpoint)
{
    newmail_endpoint_t any_host;
    newmail_registration_t *registration;
    guint32 sequence = 0;

    registration = registration_of_notification(endpoint, pinfo->num, &sequence);
    if (registration == NULL) {
        any_host_key(endpoint, &any_host);
        registration = registration_of_notification(&any_host, pinfo->num, &sequence);
    }
    if (registration == NULL)
        return NULL;
    return notification_from_record(tvb, pinfo, registration, sequence);
}

/* First pass: appends the datagram to the registration's notifications and
 * returns its sequence number. The list grows by a quarter, not twice over
 * as wmem_array does: with tens of notifications per registration doubling
 * leaves a third of the memory unused. */
static guint32
add_notification(newmail_registration_t *registration, const packet_info *pinfo)
{
    newmail_notification_record_t *record;
    nstime_t offset;

    if (registration->notification_count == registration->notification_capacity) {
        guint32 capacity = registration->notification_capacity;

        capacity = capacity < 4 ? 4 : capacity + capacity / 4;
        registration->notifications = (newmail_notification_record_t *)wmem_realloc(
            wmem_file_scope(), registration->notifications,
            (gsize)capacity * sizeof(newmail_notification_record_t));
        registration->notification_capacity = capacity;
    }
    record = &registration->notifications[registration->notification_count++];
    record->frame = pinfo->num;
    record->secs = NOTIFICATION_TIME_UNKNOWN;
    record->nsecs = 0;
    nstime_delta(&offset, &pinfo->abs_ts, &registration->request_time);
    if (offset.secs > G_MININT32 && offset.secs <= G_MAXINT32) {
        record->secs = (gint32)offset.secs;
        record->nsecs = offset.nsecs;
    }
    return registration->notification_count;
}

/* What this datagram is: the first pass decides, later passes find the same
 * answer. NULL when it is not a notification to a known registration and
 * `forced` (Decode As, the preference) is not set. */
static newmail_notification_t *
notification_for_frame(tvbuff_t *tvb, packet_info *pinfo, gboolean forced)
{
    newmail_endpoint_t endpoint;
    newmail_registration_t *registration = NULL;
    newmail_notification_t *notification = NULL;
    gboolean have_endpoint = endpoint_from_destination(pinfo, &endpoint);

    /* The client's host quotes a datagram in an ICMP error when its port is
     * closed. The datagram itself was counted where it was sent; the copy is
     * neither counted nor tied to a registration, and on a learned port it
     * decodes as it would without the plugin. */
    if (pinfo->flags.in_error_pkt) {
        if (!forced)
            return NULL;
        notification = notification_new(pinfo->pool);
        notification->quoted = TRUE;
        return notification;
    }

    if (PINFO_FD_VISITED(pinfo)) {
        /* A forced datagram with no registration keeps its own record. */
        notification = (newmail_notification_t *)p_get_proto_data(
            wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num);
        if (notification == NULL && have_endpoint)
            notification = notification_seen(tvb, pinfo, &endpoint);
        if (notification == NULL && forced) /* told to decode it after the first pass */
            notification = notification_new(pinfo->pool);
        return notification;
    }

    if (have_endpoint)
        registration = registration_for(active_registrations, &endpoint);
    if (registration != NULL)
        return notification_from_record(tvb, pinfo, registration,
                                        add_notification(registration, pinfo));
    if (!forced)
        return NULL;
    /* Rare (only on a port the user gave NEWMAIL), so a per-frame record is
     * affordable; it remembers which registration had ended here. */
    notification = notification_new(wmem_file_scope());
    if (have_endpoint)
        notification->ended = registration_for(ended_registrations, &endpoint);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_newmail, pinfo->curr_layer_num,
                     notification);
    return notification;
}

static void
add_notification_links(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                       const newmail_notification_t *notification, proto_item *payload_item)
{
    const newmail_registration_t *registration = notification->registration;
    proto_item *item;
    nstime_t since_registration;

    if (notification->quoted)
        return;
    if (registration == NULL) {
        if (notification->ended != NULL)
            expert_add_info_format(pinfo, payload_item, &ei_newmail_registration_ended,
                                   "The registration of frame %u for this callback ended in frame %u",
                                   notification->ended->request_frame,
                                   notification->ended->end_frame);
        else
            expert_add_info(pinfo, payload_item, &ei_newmail_no_registration);
        return;
    }

    item = proto_tree_add_uint(tree, hf_newmail_registration_frame, tvb, 0, 0,
                               registration->request_frame);
    proto_item_set_generated(item);
    item = proto_tree_add_boolean(tree, hf_newmail_context_match, tvb, 0, 0,
                                  notification->context_match);
    proto_item_set_generated(item);
    if (!notification->context_match)
        expert_add_info_format(pinfo, item, &ei_newmail_context_mismatch,
                               "Payload differs from the context registered in frame %u;"
                               " the client ignores this notification",
                               registration->request_frame);
    item = proto_tree_add_uint(tree, hf_newmail_sequence, tvb, 0, 0, notification->sequence);
    proto_item_set_generated(item);
    nstime_delta(&since_registration, &pinfo->abs_ts, &registration->request_time);
    item = proto_tree_add_time(tree, hf_newmail_time_since_registration, tvb, 0, 0,
                               &since_registration);
    proto_item_set_generated(item);
    if (!nstime_is_unset(&notification->since_previous)) {
        item = proto_tree_add_time(tree, hf_newmail_time_since_previous, tvb, 0, 0,
                                   &notification->since_previous);
        proto_item_set_generated(item);
    }
}

static int
dissect_notification(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                     const newmail_notification_t *notification)
{
    guint length = tvb_reported_length(tvb);
    proto_item *ti, *item;
    proto_tree *newmail_tree;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "NEWMAIL");
    if (length == 0)
        col_set_str(pinfo->cinfo, COL_INFO, "New mail notification, empty payload");
    else
        col_add_fstr(pinfo->cinfo, COL_INFO, "New mail notification, payload %s",
                     tvb_bytes_to_str(pinfo->pool, tvb, 0, tvb_captured_length(tvb)));
    if (notification->registration != NULL && !notification->context_match)
        col_append_str(pinfo->cinfo, COL_INFO, " (context mismatch)");

    ti = proto_tree_add_item(tree, proto_newmail, tvb, 0, -1, ENC_NA);
    newmail_tree = proto_item_add_subtree(ti, ett_newmail);
    if (length == 0) {
        expert_add_info(pinfo, ti, &ei_newmail_empty_payload);
        item = ti;
    } else {
        item = proto_tree_add_item(newmail_tree, hf_newmail_payload, tvb, 0, length, ENC_NA);
    }
    proto_item_set_generated(
        proto_tree_add_uint(newmail_tree, hf_newmail_payload_length, tvb, 0, 0, length));
    add_notification_links(newmail_tree, tvb, pinfo, notification, item);

    if (have_tap_listener(newmail_tap) && !notification->quoted) {
        const newmail_registration_t *registration = notification->registration;
        newmail_endpoint_t destination;
        const gchar *callback = NULL;

        if (registration != NULL)
            callback = registration_callback_text(pinfo->pool, registration);
        else if (endpoint_from_destination(pinfo, &destination))
            callback = endpoint_to_str(pinfo->pool, destination.family, destination.address,
                                       destination.port);
        queue_tap(pinfo, NEWMAIL_TAP_NOTIFICATION, callback, registration != NULL,
                  notification->context_match);
    }
    return tvb_captured_length(tvb);
}

/* Hands a datagram that is not a notification to the dissector its port had
 * before it was learned, as the UDP port table would have: NEWMAIL first
 * leaves the frame's protocol list, where the table put it, so that
 * frame.protocols reads as it does without the plugin. */
static int
call_previous_dissector(dissector_handle_t previous, tvbuff_t *tvb, packet_info *pinfo,
                        proto_tree *tree, void *data)
{
    wmem_list_frame_t *last = wmem_list_tail(pinfo->layers);

    if (last != NULL && GPOINTER_TO_INT(wmem_list_frame_data(last)) == proto_newmail) {
        wmem_list_remove_frame(pinfo->layers, last);
        pinfo->curr_layer_num--;
    }
    return call_dissector_only(previous, tvb, pinfo, tree, data);
}

/* On a port the user gave NEWMAIL (Decode As, the preference) every
 * datagram is a notification. On a port learned from a registration only
 * those sent to a registered callback are; the rest go where they went
 * before the port was learned. */
static int
dissect_newmail(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    learned_port_t *learned = (learned_port_t *)g_hash_table_lookup(
        learned_ports, GUINT_TO_POINTER(pinfo->match_uint));
    newmail_notification_t *notification = notification_for_frame(tvb, pinfo, learned == NULL);

    if (notification != NULL)
        return dissect_notification(tvb, pinfo, tree, notification);
    if (learned->previous != NULL)
        return call_previous_dissector(learned->previous, tvb, pinfo, tree, data);
    return 0;
}

/* ---- The MAPI hook -------------------------------------------------------
 *
 * The stock EMSMDB dissector keeps decoding opnums 4 and 5 as it always has;
 * our wrappers call it, then add a NEWMAIL subtree from our own parse. */

static e_guid_t uuid_emsmdb = { 0xa4f1db00, 0xca47, 0x1067,
                                { 0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda } };
#define EMSMDB_VERSION 0
#define EMSMDB_OPNUM_REGISTER 4
#define EMSMDB_OPNUM_UNREGISTER 5

/* The stock dissector's functions for opnums 4 and 5, NULL where it has none. */
static dcerpc_dissect_fnct_t *stock_register_request, *stock_register_response;
static dcerpc_dissect_fnct_t *stock_unregister_request, *stock_unregister_response;

static proto_item *
add_stub_item(proto_tree *tree, int hf, tvbuff_t *tvb, int stub_offset, const newmail_stub_t *stub,
              newmail_field_t field, const guint encoding)
{
    return proto_tree_add_item(tree, hf, tvb, stub_offset + (int)stub->span[field].offset,
                               (int)stub->span[field].length, encoding);
}

static proto_item *
add_frame_link(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 frame)
{
    proto_item *item;

    if (frame == 0)
        return NULL;
    item = proto_tree_add_uint(tree, hf, tvb, 0, 0, frame);
    proto_item_set_generated(item);
    return item;
}

/* The callback SOCKADDR's subtree; it says what was wrong with it, if anything. */
static void
add_callback(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, int stub_offset,
             const newmail_stub_t *stub)
{
    const newmail_sockaddr_t *sockaddr = &stub->sockaddr;
    int base = stub_offset + (int)stub->span[NEWMAIL_F_CALLBACK].offset;
    proto_item *ti;
    proto_tree *callback_tree;

    ti = add_stub_item(tree, hf_newmail_callback, tvb, stub_offset, stub, NEWMAIL_F_CALLBACK, ENC_NA);
    callback_tree = proto_item_add_subtree(ti, ett_newmail_callback);
    if (stub->problems & NEWMAIL_PROBLEM_SOCKADDR_SHORT) {
        expert_add_info_format(pinfo, ti, &ei_newmail_callback_short,
                               "SOCKADDR of %u bytes is too short for its family; no port learned",
                               stub->callback_count);
        if (stub->callback_count < 2)
            return;
    }
    proto_tree_add_item(callback_tree, hf_newmail_callback_family, tvb, base, 2, ENC_LITTLE_ENDIAN);
    if (stub->problems & NEWMAIL_PROBLEM_FAMILY) {
        expert_add_info_format(pinfo, ti, &ei_newmail_callback_family,
                               "Unknown address family %u; no port learned", sockaddr->family);
        return;
    }
    if (stub->problems & NEWMAIL_PROBLEM_SOCKADDR_SHORT)
        return;

    proto_item_append_text(ti, ": %s",
                           endpoint_to_str(pinfo->pool, sockaddr->family, sockaddr->address,
                                           sockaddr->port));
    proto_tree_add_item(callback_tree, hf_newmail_callback_port, tvb,
                        base + (int)sockaddr->port_span.offset, 2, ENC_BIG_ENDIAN);
    if (sockaddr->family == NEWMAIL_AF_INET) {
        proto_tree_add_item(callback_tree, hf_newmail_callback_ipv4, tvb,
                            base + (int)sockaddr->address_span.offset, 4, ENC_NA);
    } else {
        proto_tree_add_item(callback_tree, hf_newmail_callback_flowinfo, tvb,
                            base + (int)sockaddr->flowinfo_span.offset, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(callback_tree, hf_newmail_callback_ipv6, tvb,
                            base + (int)sockaddr->address_span.offset, 16, ENC_NA);
        proto_tree_add_item(callback_tree, hf_newmail_callback_scope_id, tvb,
                            base + (int)sockaddr->scope_id_span.offset, 4, ENC_LITTLE_ENDIAN);
    }
    if (stub->problems & NEWMAIL_PROBLEM_PORT_ZERO)
        expert_add_info(pinfo, ti, &ei_newmail_callback_port_zero);
}

/* First pass only: records a valid registration and learns its port. */
static newmail_registration_t *
remember_registration(packet_info *pinfo, dcerpc_info *di, const newmail_stub_t *stub)
{
    newmail_registration_t *registration = wmem_new0(wmem_file_scope(), newmail_registration_t);
    newmail_registration_t *replaced;

    registration->request_frame = pinfo->num;
    registration->request_time = pinfo->abs_ts;
    endpoint_from_sockaddr(&stub->sockaddr, &registration->callback);
    registration->advertised_family = stub->sockaddr.family;
    registration->context = (const guint8 *)wmem_memdup(wmem_file_scope(), stub->context,
                                                        stub->context_count);
    registration->context_length = (guint16)stub->context_count;
    memcpy(registration->context_handle, stub->context_handle, NEWMAIL_CONTEXT_HANDLE_LEN);

    registration->older = newest_registration(&registration->callback);
    /* An existing entry keeps its key, which points at an older registration
     * of the same callback: file scope keeps that alive too. */
    replaced = (newmail_registration_t *)wmem_map_insert(active_registrations,
                                                         &registration->callback, registration);
    if (replaced != NULL && replaced->end_frame == 0)
        replaced->end_frame = pinfo->num; /* a new registration for the same callback */
    if (di->call_data != NULL)
        wmem_map_insert(registrations_by_call, di->call_data, registration);
    learn_port(registration->callback.port);
    return registration;
}

/* First pass only: ends the registration an opnum 5 request (or a failed
 * opnum 4 response) names, so later datagrams are no longer tied to it. */
static void
end_registration(newmail_registration_t *registration, guint32 frame)
{
    if (registration->end_frame == 0)
        registration->end_frame = frame;
    if (wmem_map_lookup(active_registrations, &registration->callback) == registration) {
        wmem_map_remove(active_registrations, &registration->callback);
        wmem_map_insert(ended_registrations, &registration->callback, registration);
    }
}

/* The link from a notification-count line to the first notification and
 * the count itself are complete only once the first pass is over. */
static void
add_registration_summary(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                         const newmail_registration_t *registration)
{
    if (PINFO_FD_VISITED(pinfo)) {
        proto_item_set_generated(proto_tree_add_uint(tree, hf_newmail_notification_count, tvb,
                                                     0, 0, registration->notification_count));
        if (registration->notification_count > 0)
            add_frame_link(tree, hf_newmail_first_notification_frame, tvb,
                           registration->notifications[0].frame);
    }
    add_frame_link(tree, hf_newmail_unregister_frame, tvb, registration->end_frame);
}

static void
add_register_request(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                     dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration = NULL;
    const gchar *callback_text;
    proto_item *item;

    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT))
        add_stub_item(tree, hf_newmail_context, tvb, offset, stub, NEWMAIL_F_CONTEXT, ENC_NA);
    if (newmail_stub_has(stub, NEWMAIL_F_CONTEXT_LENGTH)) {
        item = add_stub_item(tree, hf_newmail_context_length, tvb, offset, stub,
                             NEWMAIL_F_CONTEXT_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CONTEXT_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_context_length_mismatch,
                                   "cbContext %u differs from rgbContext's count %u; no port learned",
                                   stub->context_length, stub->context_count);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_ADVISE_BITS)) {
        item = add_stub_item(tree, hf_newmail_advise_bits, tvb, offset, stub,
                             NEWMAIL_F_ADVISE_BITS, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_ADVISE_BITS)
            expert_add_info(pinfo, item, &ei_newmail_advise_bits);
    }
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK))
        add_callback(tree, tvb, pinfo, offset, stub);
    if (newmail_stub_has(stub, NEWMAIL_F_CALLBACK_LENGTH)) {
        item = add_stub_item(tree, hf_newmail_callback_length, tvb, offset, stub,
                             NEWMAIL_F_CALLBACK_LENGTH, encoding);
        if (stub->problems & NEWMAIL_PROBLEM_CALLBACK_LENGTH)
            expert_add_info_format(pinfo, item, &ei_newmail_callback_length_mismatch,
                                   "cbCallbackAddress %u differs from rgbCallbackAddress's count %u;"
                                   " no port learned",
                                   stub->callback_length, stub->callback_count);
    }

    if (di->call_data != NULL)
        add_frame_link(tree, hf_newmail_response_frame, tvb, di->call_data->rep_frame);
    if (!newmail_stub_is_valid_registration(stub))
        return;
    if (!PINFO_FD_VISITED(pinfo))
        registration = remember_registration(pinfo, di, stub);
    else if (di->call_data != NULL)
        registration = (newmail_registration_t *)wmem_map_lookup(registrations_by_call,
                                                                 di->call_data);
    callback_text = endpoint_to_str(pinfo->pool, stub->sockaddr.family, stub->sockaddr.address,
                                    stub->sockaddr.port);
    col_append_fstr(pinfo->cinfo, COL_INFO, ", registers %s", callback_text);
    if (registration != NULL)
        add_registration_summary(tree, tvb, pinfo, registration);
    queue_tap(pinfo, NEWMAIL_TAP_REGISTRATION, callback_text, TRUE, TRUE);
}

static void
add_register_response(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                      dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration = NULL;
    newmail_handle_key_t *key;
    proto_item *item;

    if (di->call_data != NULL)
        registration = (newmail_registration_t *)wmem_map_lookup(registrations_by_call,
                                                                 di->call_data);
    if (newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        add_stub_item(tree, hf_newmail_handle, tvb, offset, stub, NEWMAIL_F_NOTIFICATION_HANDLE,
                      encoding);
    if (newmail_stub_has(stub, NEWMAIL_F_RETURN_VALUE)) {
        item = add_stub_item(tree, hf_newmail_return_code, tvb, offset, stub,
                             NEWMAIL_F_RETURN_VALUE, encoding);
        if (stub->return_value != 0)
            expert_add_info(pinfo, item, &ei_newmail_registration_failed);
    }
    if (registration != NULL)
        add_frame_link(tree, hf_newmail_request_frame, tvb, registration->request_frame);
    else if (di->call_data != NULL)
        add_frame_link(tree, hf_newmail_request_frame, tvb, di->call_data->req_frame);

    if (registration == NULL || PINFO_FD_VISITED(pinfo) ||
        (stub->problems & NEWMAIL_PROBLEM_TRUNCATED))
        return;
    registration->response_frame = pinfo->num;
    registration->handle = stub->notification_handle;
    if (stub->return_value != 0) {
        end_registration(registration, pinfo->num);
        return;
    }
    key = wmem_new(wmem_file_scope(), newmail_handle_key_t);
    memcpy(key->context_handle, stub->context_handle, NEWMAIL_CONTEXT_HANDLE_LEN);
    key->handle = stub->notification_handle;
    wmem_map_insert(registrations_by_handle, key, registration);
}

static void
add_unregister_request(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
                       dcerpc_info *di, const newmail_stub_t *stub, guint encoding)
{
    newmail_registration_t *registration = NULL;
    newmail_handle_key_t key;
    proto_item *item;

    if (!newmail_stub_has(stub, NEWMAIL_F_NOTIFICATION_HANDLE))
        return;
    item = add_stub_item(tree, hf_newmail_handle, tvb, offset, stub,
                         NEWMAIL_F_NOTIFICATION_HANDLE, encoding);
    if (!PINFO_FD_VISITED(pinfo)) {
        memcpy(key.context_handle, stub->context_handle, NEWMAIL_CONTEXT_HANDLE_LEN);
        key.handle = stub->notification_handle;
        registration = (newmail_registration_t *)wmem_map_remove(registrations_by_handle, &key);
        if (registration != NULL)
            end_registration(registration, pinfo->num);
        if (di->call_data != NULL)
            wmem_map_insert(registrations_by_call, di->call_data, registration);
    } else if (di->call_data != NULL) {
        registration = (newmail_registration_t *)wmem_map_lookup(registrations_by_call,
                                                                 di->call_data);
    }
    if (registration != NULL)
        add_frame_link(tree, hf_newmail_registration_frame, tvb, registration->request_frame);
    else
        expert_add_info(pinfo, item, &ei_newmail_unknown_handle);
    queue_tap(pinfo, NEWMAIL_TAP_UNREGISTER,
              registration != NULL ? registration_callback_text(pinfo->pool, registration) : NULL,
              registration != NULL,
              FALSE);
    if (di->call_data != NULL)
        add_frame_link(tree, hf_newmail_response_frame, tvb, di->call_data->rep_frame);
}

static void
add_unregister_response(proto_tree *tree, tvbuff_t *tvb, int offset, dcerpc_info *di,
                        const newmail_stub_t *stub, guint encoding)
{
    if (newmail_stub_has(stub, NEWMAIL_F_RETURN_VALUE))
        add_stub_item(tree, hf_newmail_return_code, tvb, offset, stub, NEWMAIL_F_RETURN_VALUE,
                      encoding);
    if (di->call_data != NULL)
        add_frame_link(tree, hf_newmail_request_frame, tvb, di->call_data->req_frame);
}

/* Reads one opnum 4 or 5 stub and adds the NEWMAIL subtree for it. */
static void
dissect_push_stub(newmail_stub_kind_t kind, tvbuff_t *tvb, int offset, packet_info *pinfo,
                  proto_tree *tree, dcerpc_info *di, guint8 *drep)
{
    gint length = tvb_captured_length_remaining(tvb, offset);
    guint encoding = DREP_ENC_INTEGER(drep);
    gboolean registering = kind == NEWMAIL_REGISTER_REQUEST || kind == NEWMAIL_REGISTER_RESPONSE;
    newmail_stub_t stub;
    proto_item *ti;
    proto_tree *subtree;

    if (!proto_is_protocol_enabled(find_protocol_by_id(proto_newmail)))
        return;
    if (length < 0)
        length = 0;
    newmail_parse_stub(kind, length > 0 ? tvb_get_ptr(tvb, offset, length) : NULL,
                       (size_t)length, encoding == ENC_BIG_ENDIAN, &stub);

    ti = proto_tree_add_item(tree, registering ? hf_newmail_register : hf_newmail_unregister,
                             tvb, offset, length, ENC_NA);
    subtree = proto_item_add_subtree(ti, ett_newmail_register);
    switch (kind) {
    case NEWMAIL_REGISTER_REQUEST:
        add_register_request(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_REGISTER_RESPONSE:
        add_register_response(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_UNREGISTER_REQUEST:
        add_unregister_request(subtree, tvb, offset, pinfo, di, &stub, encoding);
        break;
    case NEWMAIL_UNREGISTER_RESPONSE:
        add_unregister_response(subtree, tvb, offset, di, &stub, encoding);
        break;
    }
    if (stub.problems & NEWMAIL_PROBLEM_TRUNCATED)
        expert_add_info_format(pinfo, ti, &ei_newmail_stub_truncated, "Stub ends inside %s%s",
                               newmail_field_name(newmail_stub_first_missing(&stub)),
                               kind == NEWMAIL_REGISTER_REQUEST ? "; no port learned" : "");
}

/* Runs the stock dissector for the stub, then ours, even when the stock one
 * throws (a short stub): the exception still propagates afterwards so the
 * DCE/RPC dissector marks the frame malformed as it always did. */
static int
wrap_stock(newmail_stub_kind_t kind, dcerpc_dissect_fnct_t *stock, tvbuff_t *tvb, int offset,
           packet_info *pinfo, proto_tree *tree, dcerpc_info *di, guint8 *drep)
{
    volatile int end = tvb_reported_length(tvb);

    TRY {
        if (stock != NULL)
            end = stock(tvb, offset, pinfo, tree, di, drep);
    }
    FINALLY {
        dissect_push_stub(kind, tvb, offset, pinfo, tree, di, drep);
    }
    ENDTRY;
    return end;
}

static int
dissect_register_request(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                         dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(NEWMAIL_REGISTER_REQUEST, stock_register_request, tvb, offset, pinfo, tree,
                      di, drep);
}

static int
dissect_register_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                          dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(NEWMAIL_REGISTER_RESPONSE, stock_register_response, tvb, offset, pinfo,
                      tree, di, drep);
}

static int
dissect_unregister_request(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                           dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(NEWMAIL_UNREGISTER_REQUEST, stock_unregister_request, tvb, offset, pinfo,
                      tree, di, drep);
}

static int
dissect_unregister_response(tvbuff_t *tvb, int offset, packet_info *pinfo, proto_tree *tree,
                            dcerpc_info *di, guint8 *drep)
{
    return wrap_stock(NEWMAIL_UNREGISTER_RESPONSE, stock_unregister_response, tvb, offset, pinfo,
                      tree, di, drep);
}

/* Used only where no EMSMDB interface is registered (a Wireshark built
 * without the MAPI dissector). */
static int proto_emsmdb = -1;
static int hf_emsmdb_opnum = -1;
static gint ett_emsmdb = -1;
static dcerpc_sub_dissector own_emsmdb_procs[] = {
    { EMSMDB_OPNUM_REGISTER, "EcRRegisterPushNotification", dissect_register_request,
      dissect_register_response },
    { EMSMDB_OPNUM_UNREGISTER, "EcRUnregisterPushNotification", dissect_unregister_request,
      dissect_unregister_response },
    { 0, NULL, NULL, NULL }
};

static gboolean
interface_has_procs(gpointer key _U_, gpointer value, gpointer procs)
{
    return ((dcerpc_uuid_value *)value)->procs == procs;
}

/* Points the stock EMSMDB interface at a copy of its opnum table whose
 * entries 4 and 5 are our wrappers. From Wireshark 4.2 on the stock table is
 * const, so we never write into it. */
static void
hook_emsmdb(void)
{
    const dcerpc_sub_dissector *stock = dcerpc_get_proto_sub_dissector(&uuid_emsmdb, EMSMDB_VERSION);
    dcerpc_uuid_value *interface;
    dcerpc_sub_dissector *ours;
    size_t count = 0;

    if (stock == NULL) {
        dcerpc_init_uuid(proto_emsmdb, ett_emsmdb, &uuid_emsmdb, EMSMDB_VERSION, own_emsmdb_procs,
                         hf_emsmdb_opnum);
        return;
    }
    interface = (dcerpc_uuid_value *)g_hash_table_find(dcerpc_uuids, interface_has_procs,
                                                      (gpointer)stock);
    if (interface == NULL)
        return;
    while (stock[count].name != NULL)
        count++;
    /* Lives as long as the interface table does: for the whole run. */
    ours = g_new(dcerpc_sub_dissector, count + 1);
    memcpy(ours, stock, (count + 1) * sizeof(*ours));
    for (size_t i = 0; i < count; i++) {
        if (ours[i].num == EMSMDB_OPNUM_REGISTER) {
            stock_register_request = ours[i].dissect_rqst;
            stock_register_response = ours[i].dissect_resp;
            ours[i].dissect_rqst = dissect_register_request;
            ours[i].dissect_resp = dissect_register_response;
        } else if (ours[i].num == EMSMDB_OPNUM_UNREGISTER) {
            stock_unregister_request = ours[i].dissect_rqst;
            stock_unregister_response = ours[i].dissect_resp;
            ours[i].dissect_rqst = dissect_unregister_request;
            ours[i].dissect_resp = dissect_unregister_response;
        }
    }
    interface->procs = ours;
    hooked_procs = ours;
}

/* ---- Registration ---------------------------------------------------------- */

void
proto_register_newmail(void)
{
    /* Stock's field, registered here only when stock does not have it. */
    static hf_register_info hf_payload[] = {
        { &hf_newmail_payload,
          { "Notification payload", NEWMAIL_FILTER_NAME ".notification_payload", FT_BYTES,
            BASE_NONE, NULL, 0x0,
            "Payload requested by client in the MAPI register push notification packet",
            HFILL } },
    };
    static hf_register_info hf[] = {
        { &hf_newmail_payload_length,
          { "Payload length", NEWMAIL_FILTER_NAME ".payload_length", FT_UINT32, BASE_DEC, NULL,
            0x0, "Number of payload bytes in the notification datagram", HFILL } },
        { &hf_newmail_registration_frame,
          { "Registration in", NEWMAIL_FILTER_NAME ".registration_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "Frame of the EcRRegisterPushNotification request this belongs to", HFILL } },
        { &hf_newmail_context_match,
          { "Context matches registration", NEWMAIL_FILTER_NAME ".context_match", FT_BOOLEAN,
            BASE_NONE, NULL, 0x0,
            "Whether the payload equals the context blob the client registered", HFILL } },
        { &hf_newmail_sequence,
          { "Notification number", NEWMAIL_FILTER_NAME ".sequence", FT_UINT32, BASE_DEC, NULL,
            0x0, "Position of this notification among those of its registration, from 1",
            HFILL } },
        { &hf_newmail_time_since_registration,
          { "Time since registration", NEWMAIL_FILTER_NAME ".time_since_registration",
            FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time since the EcRRegisterPushNotification request", HFILL } },
        { &hf_newmail_time_since_previous,
          { "Time since previous notification", NEWMAIL_FILTER_NAME ".time_since_previous",
            FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time since the previous notification of the same registration (servers repeat"
            " every 60 seconds while events are pending)", HFILL } },
        { &hf_newmail_register,
          { "NEWMAIL push notification registration", NEWMAIL_FILTER_NAME ".register", FT_NONE,
            BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRRegisterPushNotification call", HFILL } },
        { &hf_newmail_unregister,
          { "NEWMAIL push notification unregistration", NEWMAIL_FILTER_NAME ".unregister",
            FT_NONE, BASE_NONE, NULL, 0x0,
            "What the NEWMAIL plugin reads from an EcRUnregisterPushNotification call", HFILL } },
        { &hf_newmail_context,
          { "Context", NEWMAIL_FILTER_NAME ".context", FT_BYTES, BASE_NONE, NULL, 0x0,
            "rgbContext: the blob the server sends back as each notification's payload",
            HFILL } },
        { &hf_newmail_context_length,
          { "Context length", NEWMAIL_FILTER_NAME ".context_length", FT_UINT16, BASE_DEC, NULL,
            0x0, "cbContext: the context's length as the client states it", HFILL } },
        { &hf_newmail_advise_bits,
          { "Advise bits", NEWMAIL_FILTER_NAME ".advise_bits", FT_UINT32, BASE_HEX, NULL, 0x0,
            "grbitAdviseBits: MS-OXCRPC requires 0xFFFFFFFF", HFILL } },
        { &hf_newmail_callback,
          { "Callback address", NEWMAIL_FILTER_NAME ".callback", FT_NONE, BASE_NONE, NULL, 0x0,
            "rgbCallbackAddress: the SOCKADDR notifications are sent to", HFILL } },
        { &hf_newmail_callback_family,
          { "Family", NEWMAIL_FILTER_NAME ".callback.family", FT_UINT16, BASE_DEC,
            VALS(callback_family_vals), 0x0, "Address family of the callback SOCKADDR",
            HFILL } },
        { &hf_newmail_callback_port,
          { "Port", NEWMAIL_FILTER_NAME ".callback.port", FT_UINT16, BASE_DEC, NULL, 0x0,
            "UDP port notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv4,
          { "IPv4 address", NEWMAIL_FILTER_NAME ".callback.ipv4", FT_IPv4, BASE_NONE, NULL, 0x0,
            "IPv4 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_ipv6,
          { "IPv6 address", NEWMAIL_FILTER_NAME ".callback.ipv6", FT_IPv6, BASE_NONE, NULL, 0x0,
            "IPv6 address notifications are sent to", HFILL } },
        { &hf_newmail_callback_flowinfo,
          { "Flow information", NEWMAIL_FILTER_NAME ".callback.flowinfo", FT_UINT32, BASE_HEX,
            NULL, 0x0, "sin6_flowinfo of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_scope_id,
          { "Scope ID", NEWMAIL_FILTER_NAME ".callback.scope_id", FT_UINT32, BASE_DEC, NULL, 0x0,
            "sin6_scope_id of the callback SOCKADDR_IN6", HFILL } },
        { &hf_newmail_callback_length,
          { "Callback address length", NEWMAIL_FILTER_NAME ".callback_length", FT_UINT16,
            BASE_DEC, NULL, 0x0,
            "cbCallbackAddress: the SOCKADDR's length as the client states it", HFILL } },
        { &hf_newmail_handle,
          { "Notification handle", NEWMAIL_FILTER_NAME ".handle", FT_UINT32, BASE_HEX, NULL, 0x0,
            "hNotification: names the registration to EcRUnregisterPushNotification", HFILL } },
        { &hf_newmail_return_code,
          { "Return code", NEWMAIL_FILTER_NAME ".return_code", FT_UINT32, BASE_HEX,
            VALS(return_code_vals), 0x0, "The call's return value; 0 is success", HFILL } },
        { &hf_newmail_request_frame,
          { "Request in", NEWMAIL_FILTER_NAME ".request_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, "Frame of this call's request", HFILL } },
        { &hf_newmail_response_frame,
          { "Response in", NEWMAIL_FILTER_NAME ".response_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "Frame of this call's response", HFILL } },
        { &hf_newmail_notification_count,
          { "Notifications", NEWMAIL_FILTER_NAME ".notification_count", FT_UINT32, BASE_DEC, NULL,
            0x0, "Notifications sent to this registration's callback in the capture", HFILL } },
        { &hf_newmail_first_notification_frame,
          { "First notification in", NEWMAIL_FILTER_NAME ".first_notification_frame",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the first notification sent for this registration", HFILL } },
        { &hf_newmail_unregister_frame,
          { "Ended in", NEWMAIL_FILTER_NAME ".unregister_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame of the EcRUnregisterPushNotification request (or the new registration of the"
            " same callback) that ended this registration", HFILL } },
    };
    static hf_register_info hf_emsmdb[] = {
        { &hf_emsmdb_opnum,
          { "Operation", NEWMAIL_FILTER_NAME "_emsmdb.opnum", FT_UINT16, BASE_DEC, NULL, 0x0,
            "EMSMDB operation number", HFILL } },
    };
    static gint *ett[] = {
        &ett_newmail,
        &ett_newmail_register,
        &ett_newmail_callback,
        &ett_emsmdb,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_empty_payload,
          { NEWMAIL_FILTER_NAME ".empty_payload", PI_PROTOCOL, PI_WARN,
            "Empty notification: servers send the registered context", EXPFILL } },
        { &ei_newmail_context_mismatch,
          { NEWMAIL_FILTER_NAME ".context_mismatch", PI_PROTOCOL, PI_WARN,
            "Payload differs from the registered context", EXPFILL } },
        { &ei_newmail_no_registration,
          { NEWMAIL_FILTER_NAME ".no_registration", PI_SEQUENCE, PI_NOTE,
            "No registration for this callback precedes this datagram in the capture", EXPFILL } },
        { &ei_newmail_registration_ended,
          { NEWMAIL_FILTER_NAME ".registration_ended", PI_SEQUENCE, PI_NOTE,
            "The registration for this callback has ended", EXPFILL } },
        { &ei_newmail_stub_truncated,
          { NEWMAIL_FILTER_NAME ".stub_truncated", PI_MALFORMED, PI_ERROR,
            "Stub ends inside a field", EXPFILL } },
        { &ei_newmail_context_length_mismatch,
          { NEWMAIL_FILTER_NAME ".context_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbContext differs from rgbContext's count", EXPFILL } },
        { &ei_newmail_callback_length_mismatch,
          { NEWMAIL_FILTER_NAME ".callback_length_mismatch", PI_MALFORMED, PI_ERROR,
            "cbCallbackAddress differs from rgbCallbackAddress's count", EXPFILL } },
        { &ei_newmail_callback_family,
          { NEWMAIL_FILTER_NAME ".callback.unknown_family", PI_MALFORMED, PI_ERROR,
            "Unknown callback address family", EXPFILL } },
        { &ei_newmail_callback_short,
          { NEWMAIL_FILTER_NAME ".callback.too_short", PI_MALFORMED, PI_ERROR,
            "Callback SOCKADDR too short for its family", EXPFILL } },
        { &ei_newmail_callback_port_zero,
          { NEWMAIL_FILTER_NAME ".callback.port_zero", PI_MALFORMED, PI_ERROR,
            "Callback port is 0; no port learned", EXPFILL } },
        { &ei_newmail_advise_bits,
          { NEWMAIL_FILTER_NAME ".advise_bits_unexpected", PI_PROTOCOL, PI_WARN,
            "grbitAdviseBits is not 0xFFFFFFFF as MS-OXCRPC requires", EXPFILL } },
        { &ei_newmail_registration_failed,
          { NEWMAIL_FILTER_NAME ".registration_failed", PI_RESPONSE_CODE, PI_WARN,
            "The server refused the registration", EXPFILL } },
        { &ei_newmail_unknown_handle,
          { NEWMAIL_FILTER_NAME ".unknown_handle", PI_SEQUENCE, PI_NOTE,
            "No registration with this notification handle precedes this call in the capture",
            EXPFILL } },
    };
    expert_module_t *expert;

    proto_newmail = proto_get_id_by_filter_name(NEWMAIL_FILTER_NAME);
    newmail_adopted = proto_newmail != -1;
    if (!newmail_adopted)
        proto_newmail = proto_register_protocol(NEWMAIL_LONG_NAME, NEWMAIL_SHORT_NAME,
                                                NEWMAIL_FILTER_NAME);
    hf_newmail_payload = proto_registrar_get_id_byname(NEWMAIL_FILTER_NAME ".notification_payload");
    if (hf_newmail_payload == -1)
        proto_register_field_array(proto_newmail, hf_payload, array_length(hf_payload));
    proto_register_field_array(proto_newmail, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_newmail);
    expert_register_field_array(expert, ei, array_length(ei));

    proto_emsmdb = proto_register_protocol("Exchange EMSMDB push notification calls",
                                           "EMSMDB-NEWMAIL", NEWMAIL_FILTER_NAME "_emsmdb");
    proto_register_field_array(proto_emsmdb, hf_emsmdb, array_length(hf_emsmdb));

    if (newmail_adopted)
        newmail_handle = create_dissector_handle(dissect_newmail, proto_newmail);
    else
        newmail_handle = register_dissector(NEWMAIL_FILTER_NAME, dissect_newmail, proto_newmail);

    learned_ports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    newmail_tap = register_tap(NEWMAIL_FILTER_NAME);
    newmail_register_stats();
    register_init_routine(newmail_init);
    register_cleanup_routine(newmail_cleanup);
    register_shutdown_routine(newmail_shutdown);
}

/* Puts our handle where stock's NEWMAIL handle was in the Decode As list of
 * "udp.port", so that Decode As and stock's port preference (which looks the
 * handle up in that list) reach this dissector, and NEWMAIL is listed once. */
static void
adopt_decode_as_entry(void)
{
    GSList *entry;

    for (entry = dissector_table_get_dissector_handles(udp_port_table); entry != NULL;
         entry = entry->next) {
        if (dissector_handle_get_protocol_index((dissector_handle_t)entry->data) == proto_newmail) {
            entry->data = newmail_handle;
            return;
        }
    }
    dissector_add_for_decode_as("udp.port", newmail_handle);
}

void
proto_reg_handoff_newmail(void)
{
    udp_port_table = find_dissector_table("udp.port");
    if (newmail_adopted)
        adopt_decode_as_entry();
    else
        dissector_add_uint_with_preference("udp.port", 0, newmail_handle);
    hook_emsmdb();
}
