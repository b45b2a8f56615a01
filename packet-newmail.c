/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-newmail.c: Microsoft Exchange new mail notifications (NEWMAIL), the
 * UDP datagrams of the push-notification mechanism (MS-OXCNOTIF 2.2.1.4.1,
 * 3.1.5.1; MS-OXCRPC 3.1.4.5).
 *
 * An Outlook client registers a UDP callback with EcRRegisterPushNotification
 * (EMSMDB opnum 4, read in packet-dcerpc-newmail.c): an opaque context blob and a
 * Windows SOCKADDR. While events are pending the server sends that address a
 * datagram whose payload is the blob, repeating it every 60 seconds until the
 * client fetches them.
 *
 * Stock Wireshark has a NEWMAIL protocol that shows 8 payload bytes when told
 * the port. This plugin adopts that protocol (one NEWMAIL for the user): its
 * Decode As entry and port preference stay stock's, and where they put
 * stock's handle into "udp.port" this file puts its own (see
 * take_over_stock_entries()). Callbacks learned from registrations are
 * followed with UDP conversations (newmail-core.c), so nothing else on those
 * ports changes.
 *
 * This file also registers the fields of the tree helpers every NEWMAIL
 * feeder shares (newmail-links.c, newmail-stub-tree.c, newmail-rop-tree.c)
 * and the init routines
 * of the session model, all of which belong to the NEWMAIL protocol.
 */
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto_data.h>

#include "newmail-compat.h"
#include "newmail-core.h"
#include "newmail-evidence.h"
#include "newmail-links.h"
#include "newmail-registration.h"
#include "newmail-rop-tree.h"
#include "newmail-session.h"
#include "newmail-stub-tree.h"
#include "packet-newmail.h"

static int hf_newmail_payload = -1; /* newmail.notification_payload, stock's name */
static int hf_newmail_payload_length = -1;
static int hf_newmail_context_match = -1;
static int hf_newmail_sequence = -1;
static int hf_newmail_time_since_registration = -1;
static int hf_newmail_time_since_previous = -1;
static int hf_newmail_refused_frame = -1;
static int hf_newmail_refused_notification_frame = -1;
static int hf_newmail_heuristic_evidence_frame = -1;
static int hf_newmail_heuristic_connection_frame = -1;
static int hf_newmail_heuristic_server_port = -1;
static int hf_newmail_heuristic_emsmdb = -1;

static int ett_newmail = -1;

static expert_field ei_newmail_empty_payload = EI_INIT;
static expert_field ei_newmail_context_mismatch = EI_INIT;
static expert_field ei_newmail_no_registration = EI_INIT;
static expert_field ei_newmail_registration_ended = EI_INIT;
static expert_field ei_newmail_notification_refused = EI_INIT;
static expert_field ei_newmail_heuristic = EI_INIT;

/* The one handle of ours: conversations of learned callbacks and the
 * "udp.port" entries users give NEWMAIL point at it. It is in no Decode As
 * list (stock's handle is), so Wireshark 4.6, which refuses two handles with
 * one description in a table's list, has nothing to refuse. */
static dissector_handle_t newmail_handle;
/* The heuristic on UDP (newmail_udp) and the post-dissector that feeds its
 * model from TCP frames. */
static dissector_handle_t postdissector_handle;
static protocol_t *newmail_protocol; /* the post-dissector checks it is enabled */
static int proto_tcp = -1;
static int proto_dcerpc = -1;
static int proto_emsmdb = -1; /* stock's EMSMDB ("mapi") */
static int proto_icmp = -1;
static int proto_http = -1;
static int proto_icmpv6 = -1;
/* A frame's heuristic claim, in p_add_proto_data: apart from the records
 * newmail-registration.c keeps under the layer number. */
#define HEURISTIC_CLAIM_KEY 0x48455552u
/* Stock's handle, where Decode As and the port preference put NEWMAIL. */
static dissector_handle_t stock_handle;
static dissector_table_t udp_port_table;
/* The "udp.port" entries take_over_stock_entries() changed, to give back. */
static GArray *taken_ports;

/* ---- Decode As and the preference ------------------------------------------------- */

static void
collect_stock_entry(const char *table_name _U_, ftenum_t selector_type _U_, gpointer key,
                    gpointer value, gpointer user_data _U_)
{
    uint32_t port = GPOINTER_TO_UINT(key);

    if (dtbl_entry_get_handle((dtbl_entry_t *)value) == stock_handle)
        g_array_append_val(taken_ports, port);
}

/* Decode As, the GUI's dialog and stock's port preference put stock's
 * NEWMAIL handle into "udp.port"; before each file is dissected, those
 * entries get ours instead. Decode As keeps showing NEWMAIL, and Reset or
 * a change of the preference still works: the entries are given back when
 * the file is closed. */
static void
take_over_stock_entries(void)
{
    if (stock_handle == NULL)
        return;
    g_array_set_size(taken_ports, 0);
    dissector_table_foreach("udp.port", collect_stock_entry, NULL);
    for (unsigned i = 0; i < taken_ports->len; i++)
        dissector_change_uint("udp.port", g_array_index(taken_ports, uint32_t, i), newmail_handle);
}

static void
give_back_stock_entries(void)
{
    for (unsigned i = 0; i < taken_ports->len; i++) {
        uint32_t port = g_array_index(taken_ports, uint32_t, i);

        if (dissector_get_uint_handle(udp_port_table, port) == newmail_handle)
            dissector_change_uint("udp.port", port, stock_handle);
    }
    g_array_set_size(taken_ports, 0);
}

static void
newmail_init(void)
{
    take_over_stock_entries();
}

static void
newmail_cleanup(void)
{
    give_back_stock_entries();
}

static void
newmail_shutdown(void)
{
    g_array_free(taken_ports, true);
    taken_ports = NULL;
}

/* ---- Notifications ------------------------------------------------------------------ */

static void
add_notification_links(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                       const newmail_notification_t *notification, proto_item *payload_item)
{
    const newmail_registration_t *registration = notification->registration;
    proto_item *item;
    nstime_t since_registration;

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

    newmail_add_registration_link(tree, tvb, registration->request_frame);
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

static const newmail_session_t *
notification_session(const newmail_notification_t *notification,
                     const newmail_heuristic_claim_t *claim)
{
    if (claim != NULL)
        return claim->session;
    return notification->registration != NULL ? notification->registration->session : NULL;
}

static uint32_t
previous_signal(const newmail_notification_t *notification,
                const newmail_heuristic_claim_t *claim)
{
    return claim != NULL ? claim->previous_signal : notification->previous_frame;
}

/* A notification is a signal: the client should now fetch its events. A
 * datagram the heuristic claimed has no Exchange session the capture
 * names; its fetches are the client's requests to the server's endpoint. */
static void
add_signal(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
           const newmail_notification_t *notification, const newmail_heuristic_claim_t *claim)
{
    const newmail_session_t *session = notification_session(notification, claim);

    if (claim == NULL)
        newmail_add_session_link(tree, tvb, session);
    newmail_add_signal(tree, tvb, pinfo, NEWMAIL_SIGNAL_UDP, session,
                       previous_signal(notification, claim));
    if (PINFO_FD_VISITED(pinfo))
        newmail_add_frame_link(tree, hf_newmail_refused_frame, tvb,
                               newmail_notification_refused_in(pinfo->num));
}

/* A copy quoted by an ICMP error: the client's host refused it, so the
 * notification it quotes was lost. */
static void
add_refusal(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
            const newmail_notification_t *notification)
{
    proto_item *item;

    if (notification->quotes == 0)
        return;
    item = newmail_add_frame_link(tree, hf_newmail_refused_notification_frame, tvb,
                                  notification->quotes);
    expert_add_info_format(pinfo, item, &ei_newmail_notification_refused,
                           "The client's host refused the notification of frame %u"
                           " (nothing listens on the callback port): it was lost",
                           notification->quotes);
}

/* The tap events of a datagram: a refusal for a quoted copy; otherwise the
 * signal, a not-fetched repeat, and the notification. */
static void
queue_tap(packet_info *pinfo, const newmail_notification_t *notification,
          const newmail_heuristic_claim_t *claim)
{
    const newmail_registration_t *registration = notification->registration;
    newmail_tap_info_t tap = {0};
    newmail_endpoint_t destination;

    if (!newmail_tap_listening())
        return;
    if (pinfo->flags.in_error_pkt) {
        if (notification->quotes != 0) {
            tap.event = NEWMAIL_TAP_REFUSED;
            tap.client = newmail_tap_client(pinfo, &pinfo->dst);
            newmail_tap_queue(pinfo, &tap);
        }
        return;
    }
    newmail_tap_signal(pinfo, NEWMAIL_SIGNAL_UDP,
                       newmail_session_unanswered(notification_session(notification, claim),
                                                  previous_signal(notification, claim),
                                                  pinfo->num));
    tap.event = NEWMAIL_TAP_NOTIFICATION;
    if (registration != NULL)
        tap.callback = newmail_registration_callback_text(pinfo->pool, registration);
    else if (newmail_endpoint_from_destination(pinfo, &destination))
        tap.callback = newmail_endpoint_to_str(pinfo->pool, destination.family,
                                               destination.address, destination.port);
    tap.registered = registration != NULL;
    tap.context_match = notification->context_match;
    newmail_tap_queue(pinfo, &tap);
}

/* Why the heuristic took this datagram: the frame that shows its sender
 * serves DCE/RPC (EMSMDB where the capture tells) on a TCP endpoint that
 * talks with its receiver. */
static void
add_heuristic(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
              const newmail_heuristic_claim_t *claim, proto_item *payload_item)
{
    proto_item *item;

    item = newmail_add_frame_link(tree, hf_newmail_heuristic_evidence_frame, tvb,
                                  claim->evidence_frame);
    expert_add_info_format(pinfo, payload_item != NULL ? payload_item : item,
                           &ei_newmail_heuristic,
                           "No registration of this client in the capture; taken as NEWMAIL"
                           " because the sender serves %s on TCP port %u (frame %u) and talks"
                           " TCP with the client on it (frame %u)",
                           claim->emsmdb ? "EMSMDB" : "DCE/RPC", claim->server_port,
                           claim->evidence_frame, claim->connection_frame);
    newmail_add_frame_link(tree, hf_newmail_heuristic_connection_frame, tvb,
                           claim->connection_frame);
    proto_item_set_generated(proto_tree_add_uint(tree, hf_newmail_heuristic_server_port, tvb, 0,
                                                 0, claim->server_port));
    proto_item_set_generated(
        proto_tree_add_boolean(tree, hf_newmail_heuristic_emsmdb, tvb, 0, 0, claim->emsmdb));
}

static int
dissect_notification(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                     const newmail_notification_t *notification,
                     const newmail_heuristic_claim_t *claim)
{
    bool quoted = pinfo->flags.in_error_pkt;
    unsigned length = tvb_reported_length(tvb);
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
    if (quoted) {
        proto_item_append_text(ti, " (quoted in an ICMP error)");
        add_refusal(newmail_tree, tvb, pinfo, notification);
    } else if (claim != NULL) {
        add_heuristic(newmail_tree, tvb, pinfo, claim, item);
        add_signal(newmail_tree, tvb, pinfo, notification, claim);
    } else {
        add_notification_links(newmail_tree, tvb, pinfo, notification, item);
        add_signal(newmail_tree, tvb, pinfo, notification, NULL);
    }
    queue_tap(pinfo, notification, claim);
    return tvb_captured_length(tvb);
}

/* The user gave the port NEWMAIL (Decode As, the preference): then every
 * datagram on it is a notification. Otherwise the datagram came through a
 * learned callback's conversation, and only those sent to a registered
 * callback are; the rest are declined and decode as without the plugin. */
static bool
port_given_to_newmail(const packet_info *pinfo)
{
    return dissector_get_uint_handle(udp_port_table, pinfo->destport) == newmail_handle ||
           dissector_get_uint_handle(udp_port_table, pinfo->srcport) == newmail_handle;
}

static int
dissect_newmail(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    newmail_notification_t *notification =
        newmail_notification_for_frame(tvb, pinfo, port_given_to_newmail(pinfo));

    if (notification == NULL)
        return 0;
    return dissect_notification(tvb, pinfo, tree, notification, NULL);
}

/* ---- The heuristic ------------------------------------------------------------------ */

/* A datagram that could be a context blob between two registered-range
 * ports. Most UDP a capture holds fails here, before any lookup. */
static bool
could_be_notification(tvbuff_t *tvb, const packet_info *pinfo)
{
    unsigned length = tvb_reported_length(tvb);
    uint8_t first;

    if (pinfo->srcport < 1024 || pinfo->destport < 1024 || length == 0 ||
        length > NEWMAIL_HEURISTIC_MAX_CONTEXT || pinfo->flags.in_error_pkt)
        return false;
    /* RTP and RTCP (version 2) between the same hosts: an Exchange server
     * that is also the office's PBX. Their shortest packet is 12 bytes
     * (RFC 3550 5.1); Outlook's context is 8. */
    if (length >= 12 && tvb_captured_length(tvb) >= 1) {
        tvb_memcpy(tvb, &first, 0, 1);
        if ((first & 0xc0) == 0x80)
            return false;
    }
    return true;
}

/* The first pass decides with the evidence of the frames before it, and
 * records a claim's signal (its session, the signal before it) on the
 * frame. A later pass decides with the whole capture's evidence, as a
 * two-pass read should: it also claims a datagram whose evidence came
 * after it, and gives up one whose client's registration came after it.
 * Either way every later pass decides alike. */
static const newmail_heuristic_claim_t *
heuristic_claim(packet_info *pinfo)
{
    const newmail_heuristic_claim_t *first;
    newmail_heuristic_claim_t found, *claim;

    if (!newmail_evidence_any_tcp() || newmail_registration_client_known(pinfo) ||
        !newmail_evidence_lookup(pinfo, &found))
        return NULL;
    if (!PINFO_FD_VISITED(pinfo)) {
        claim = (newmail_heuristic_claim_t *)wmem_memdup(wmem_file_scope(), &found,
                                                         sizeof(found));
        newmail_evidence_add_signal(pinfo, claim);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_newmail, HEURISTIC_CLAIM_KEY, claim);
        return claim;
    }
    /* The first pass's record keeps the signal before this one; a claim
     * only a later pass makes finds the session, if any, and no repeat. */
    first = (const newmail_heuristic_claim_t *)p_get_proto_data(
        wmem_file_scope(), pinfo, proto_newmail, HEURISTIC_CLAIM_KEY);
    claim = (newmail_heuristic_claim_t *)wmem_memdup(pinfo->pool, &found, sizeof(found));
    if (first != NULL && first->server_port == claim->server_port) {
        claim->session = first->session;
        claim->previous_signal = first->previous_signal;
    } else {
        claim->session = newmail_evidence_session_lookup(pinfo, claim->server_port);
    }
    return claim;
}

static newmail_heur_result_t
dissect_newmail_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    const newmail_heuristic_claim_t *claim;
    newmail_notification_t notification;

    if (!could_be_notification(tvb, pinfo))
        return false;
    claim = heuristic_claim(pinfo);
    if (claim == NULL)
        return false;
    memset(&notification, 0, sizeof(notification));
    nstime_set_unset(&notification.since_previous);
    dissect_notification(tvb, pinfo, tree, &notification, claim);
    return true;
}

/* A client's TCP segment that fetches what claimed datagrams announced:
 * the signals it answers, and the tap's fetch event. */
static void
add_heuristic_fetch(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    const newmail_fetch_t *fetch = newmail_evidence_fetch_in(pinfo);
    proto_item *ti;

    if (fetch == NULL || fetch->signal_count == 0)
        return;
    ti = proto_tree_add_item(tree, proto_newmail, tvb, 0, 0, ENC_NA);
    proto_item_append_text(ti, ", fetch of the events a datagram announced");
    proto_item_set_generated(ti);
    newmail_add_fetch(proto_item_add_subtree(ti, ett_newmail), tvb, fetch);
    if (newmail_tap_listening()) {
        nstime_t delay;

        nstime_delta(&delay, &fetch->request_time, &fetch->first_signal_time);
        newmail_tap_fetch(pinfo, &delay);
    }
}

/* The post-dissector. On the first pass each TCP frame tells the
 * heuristic's model which connections exist, which endpoints serve DCE/RPC
 * (and EMSMDB), and which requests fetch what a claimed datagram announced;
 * on every pass such a fetch shows the signals it answers. Whether
 * DCE/RPC, stock's EMSMDB and anything above TCP dissected part of the
 * frame is read from the frame's protocol layers. First, on the first pass,
 * a TCP frame HTTP dissected part of goes to the core's HTTP frame hook
 * (Outlook Anywhere's RPC_IN_DATA header sent apart from its B1). */
static int
dissect_newmail_post(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    bool tcp = false, payload = false, dcerpc = false, emsmdb = false, http = false;
    newmail_http_frame_hook_t http_hook;
    bool low_port;

    if (pinfo->ptype != PT_TCP || pinfo->layers == NULL ||
        !proto_is_protocol_enabled(newmail_protocol))
        return 0;
    /* Exchange's RPC endpoints and its clients' ports are dynamic, above
     * 1023; SMB, LDAP and the other well-known services cost nothing more
     * than this test, and HTTP (80, 443) one walk of the frame's few layers
     * on the first pass, for the HTTP frame hook. */
    http_hook = PINFO_FD_VISITED(pinfo) ? NULL : newmail_core_http_frame_hook();
    low_port = pinfo->srcport < 1024 || pinfo->destport < 1024;
    if (low_port && http_hook == NULL)
        return 0;
    for (wmem_list_frame_t *layer = wmem_list_head(pinfo->layers); layer != NULL;
         layer = wmem_list_frame_next(layer)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(layer));

        /* A TCP header quoted in an ICMP error is no segment of its own. */
        if (id == proto_icmp || id == proto_icmpv6)
            return 0;
        if (id == proto_tcp) {
            tcp = true;
            payload = http = false;
        } else if (tcp) {
            payload = true;
            if (id == proto_dcerpc)
                dcerpc = true;
            else if (id == proto_emsmdb)
                emsmdb = true;
            else if (id == proto_http) {
                http = true;
                if (low_port)
                    break;
            }
        }
    }
    if (!tcp)
        return 0;
    if (http && http_hook != NULL)
        http_hook(tvb, pinfo);
    if (low_port)
        return 0;
    if (!PINFO_FD_VISITED(pinfo))
        newmail_evidence_add_tcp_frame(tvb, pinfo, dcerpc, emsmdb, payload);
    if (payload)
        add_heuristic_fetch(tvb, pinfo, tree);
    return 0;
}

/* ---- Registration ------------------------------------------------------------------- */

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
          { "Payload length", "newmail.payload_length", FT_UINT32, BASE_DEC, NULL,
            0x0, "Number of payload bytes in the notification datagram", HFILL } },
        { &hf_newmail_context_match,
          { "Context matches registration", "newmail.context_match", FT_BOOLEAN,
            BASE_NONE, NULL, 0x0,
            "Whether the payload equals the context blob the client registered", HFILL } },
        { &hf_newmail_sequence,
          { "Notification number", "newmail.sequence", FT_UINT32, BASE_DEC, NULL,
            0x0, "Position of this notification among those of its registration, from 1",
            HFILL } },
        { &hf_newmail_time_since_registration,
          { "Time since registration", "newmail.time_since_registration",
            FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time since the EcRRegisterPushNotification request", HFILL } },
        { &hf_newmail_time_since_previous,
          { "Time since previous notification", "newmail.time_since_previous",
            FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time since the previous notification of the same registration (servers repeat"
            " every 60 seconds while events are pending)", HFILL } },
        { &hf_newmail_refused_frame,
          { "Refused in", "newmail.refused_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The ICMP destination unreachable error by which the client's host refused this"
            " notification", HFILL } },
        { &hf_newmail_refused_notification_frame,
          { "Refused notification in", "newmail.refused_notification_frame",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The notification this ICMP error quotes: the client's host refused it", HFILL } },
        { &hf_newmail_heuristic_evidence_frame,
          { "Server evidence in", "newmail.heuristic.evidence_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0,
            "No registration of this client is in the capture: the frame that shows the sender"
            " serves DCE/RPC on a TCP endpoint (a bind to EMSMDB or an EMSMDB call there, else"
            " a DCE/RPC PDU it answered or was sent)", HFILL } },
        { &hf_newmail_heuristic_connection_frame,
          { "Client connection in", "newmail.heuristic.connection_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "The first frame of the client's TCP connection to the sender's DCE/RPC endpoint",
            HFILL } },
        { &hf_newmail_heuristic_server_port,
          { "Server RPC port", "newmail.heuristic.server_port", FT_UINT16, BASE_DEC, NULL, 0x0,
            "The sender's TCP port that serves DCE/RPC to the client; the client's next"
            " request to it fetches the events", HFILL } },
        { &hf_newmail_heuristic_emsmdb,
          { "Server endpoint serves EMSMDB", "newmail.heuristic.emsmdb", FT_BOOLEAN, BASE_NONE,
            NULL, 0x0,
            "Whether a bind to EMSMDB (or an EMSMDB call) on the sender's endpoint is in the"
            " capture; otherwise the capture does not say which interface it serves", HFILL } },
    };
    static int *ett[] = {
        &ett_newmail,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_empty_payload,
          { "newmail.empty_payload", PI_PROTOCOL, PI_WARN,
            "Empty notification: servers send the registered context", EXPFILL } },
        { &ei_newmail_context_mismatch,
          { "newmail.context_mismatch", PI_PROTOCOL, PI_WARN,
            "Payload differs from the registered context", EXPFILL } },
        { &ei_newmail_no_registration,
          { "newmail.no_registration", PI_SEQUENCE, PI_NOTE,
            "No registration for this callback precedes this datagram in the capture", EXPFILL } },
        { &ei_newmail_registration_ended,
          { "newmail.registration_ended", PI_SEQUENCE, PI_NOTE,
            "The registration for this callback has ended", EXPFILL } },
        { &ei_newmail_notification_refused,
          { "newmail.notification_refused", PI_RESPONSE_CODE, PI_WARN,
            "The client's host refused a notification: it was lost", EXPFILL } },
        { &ei_newmail_heuristic,
          { "newmail.heuristic", PI_SEQUENCE, PI_NOTE,
            "Taken as NEWMAIL without its registration: the sender serves DCE/RPC to the"
            " client", EXPFILL } },
    };
    expert_module_t *expert;

    newmail_core_register();
    hf_newmail_payload = proto_registrar_get_id_byname(NEWMAIL_FILTER_NAME ".notification_payload");
    if (hf_newmail_payload == -1)
        proto_register_field_array(proto_newmail, hf_payload, array_length(hf_payload));
    proto_register_field_array(proto_newmail, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_newmail);
    expert_register_field_array(expert, ei, array_length(ei));

    if (newmail_core_adopted())
        newmail_handle = create_dissector_handle(dissect_newmail, proto_newmail);
    else
        newmail_handle = register_dissector(NEWMAIL_FILTER_NAME, dissect_newmail, proto_newmail);
    newmail_core_set_callback_handle(newmail_handle);
    taken_ports = g_array_new(false, false, sizeof(uint32_t));

    newmail_register_links();
    newmail_register_stub_tree();
    newmail_register_rop_tree();
    newmail_session_register();
    newmail_registration_register();
    newmail_evidence_register();
    /* Wireshark calls each post-dissector for every frame of every
     * capture. A handle without a protocol is called without the layer
     * Wireshark adds and removes around a protocol's dissector, and the
     * enabled check that comes with it, which the function makes itself:
     * about 200 instructions a frame less (BENCHMARKS.md, "The UDP
     * heuristic"). The items it adds to a TCP frame are NEWMAIL's all the
     * same (the protocol item newmail); only that frame's frame.protocols
     * does not name it. */
    postdissector_handle = create_dissector_handle(dissect_newmail_post, -1);
    register_postdissector(postdissector_handle);
    register_init_routine(newmail_init);
    register_cleanup_routine(newmail_cleanup);
    register_shutdown_routine(newmail_shutdown);
}

void
proto_reg_handoff_newmail(void)
{
    newmail_protocol = find_protocol_by_id(proto_newmail);
    udp_port_table = find_dissector_table("udp.port");
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_dcerpc = proto_get_id_by_filter_name("dcerpc");
    proto_emsmdb = proto_get_id_by_filter_name("mapi");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_http = proto_get_id_by_filter_name("http");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    heur_dissector_add("udp", dissect_newmail_heur,
                       "NEWMAIL over UDP (no registration in the capture)", "newmail_udp",
                       proto_newmail, HEURISTIC_ENABLE);
    if (newmail_core_adopted())
        stock_handle = find_dissector(NEWMAIL_FILTER_NAME);
    else
        dissector_add_uint_with_preference("udp.port", 0, newmail_handle);
}
