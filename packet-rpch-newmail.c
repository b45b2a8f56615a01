/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-rpch-newmail.c: Outlook Anywhere, RPC over HTTP v2 (MS-RPCH): the
 * two HTTP connections of a virtual connection (VC) handed to DCE/RPC as one
 * connection, so that EMSMDB requests (IN channel) pair with their responses
 * (OUT channel) and the plugin's sessions, registrations, fetches and ROPs
 * work there as over ncacn_ip_tcp.
 *
 * What stock Wireshark does: HTTP hands the body behind the RPC_IN_DATA or
 * RPC_OUT_DATA header, and behind the server's response header, to its
 * "http" heuristics, where DCE/RPC's "dcerpc_http" draws CONN/A1, CONN/B1
 * and CONN/A3. Every later segment of the connection is HTTP "Continuation"
 * data that reaches no dissector, and the two channels are two TCP
 * conversations, so no request could find its bind or its response anyway.
 *
 * What this dissector does:
 *   - a heuristic on "http", tried before DCE/RPC's, takes a body that
 *     opens with an RTS PDU naming a VC (CONN/A1, CONN/B1, a channel
 *     recycling PDU), or that is the body of the server's response that
 *     begins an OUT channel. Any other body that starts with an RTS PDU it
 *     hands to DCE/RPC unchanged (see dissect_rpch_http_heur() for why);
 *     bodies without one it leaves alone.
 *   - on the first pass that PDU makes the TCP connection a channel of its
 *     VC (newmail-rpch.c) and takes the connection's later bytes over: for
 *     plain TCP with conversation_set_dissector_from_frame_number() (exact per
 *     frame), over TLS with tls_set_appdata_dissector(), which replaces the
 *     TLS session's application dissector for the whole session, so the
 *     channel dissector hands frames before the takeover to "http-over-tls"
 *     itself.
 *   - an RPC_IN_DATA header with no body behind it (its B1 sent apart,
 *     which HTTP calls continuation data and hands to no one), seen by the
 *     plugin's post-dissector through the core's HTTP frame hook on the
 *     first pass, makes the connection a pending IN channel, taken over in
 *     the same way from the next frame; the first PDU there, B1, names the
 *     VC, and anything else gives the connection back to HTTP.
 *   - the channel dissector gives the server's response header on an OUT
 *     channel (its status line starts the first server segment) to HTTP,
 *     whose body, in the same segment or not, comes back through the
 *     heuristic or as the stream's first PDUs; it splits the stream into
 *     PDUs (tcp_dissect_pdus on
 *     frag_length) and hands each, like the PDUs of the claimed HTTP body, to
 *     DCE/RPC ("dcerpc_http", the function it uses for RPC over HTTP, which
 *     honours the user's enabling of that heuristic) with pinfo's
 *     conversation set to the VC's: an id conversation of type
 *     CONVERSATION_TCP numbered by the VC (no dissector of Wireshark makes id
 *     conversations of that type). pinfo's conversation fields are restored
 *     afterwards, also when DCE/RPC throws.
 * A capture that starts after A1/B1 has no VC to tie to: it is left to stock.
 */
#include <string.h>

#include <epan/conversation.h>
#include <epan/exceptions.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/dissectors/packet-tcp.h>

#include "newmail-compat.h"
#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-rpch-parse.h"
#include "newmail-rpch.h"
#include "packet-newmail.h"

/* epan/dissectors/packet-tls-utils.h declares this, but it includes gcrypt.h,
 * which a Wireshark development package need not bring (Debian's 4.4 and 4.6
 * do not). The declaration is the same in 4.0, 4.4 and 4.6. */
WS_DLL_PUBLIC void tls_set_appdata_dissector(dissector_handle_t tls_handle, packet_info *pinfo,
                                             dissector_handle_t app_handle);

static int proto_rpch = -1;

static int hf_rpch_vc = -1;
static int hf_rpch_vc_cookie = -1;
static int hf_rpch_channel = -1;
static int hf_rpch_channel_cookie = -1;
static int hf_rpch_channel_frame = -1;
static int hf_rpch_out_frame = -1;
static int hf_rpch_in_frame = -1;
static int hf_rpch_rts = -1;
static int hf_rpch_rts_flags = -1;
static int hf_rpch_rts_commands = -1;

static int ett_rpch = -1;

static expert_field ei_rpch_malformed = EI_INIT;
static expert_field ei_rpch_not_reassembled = EI_INIT;
static expert_field ei_rpch_not_dcerpc = EI_INIT;

static dissector_handle_t channel_handle;
static dissector_handle_t tls_handle;
static dissector_handle_t http_tls_handle;
static dissector_handle_t http_tcp_handle;
static heur_dtbl_entry_t *dcerpc_http_heur;
static heur_dtbl_entry_t *rpch_http_heur;

static const value_string rpch_channel_vals[] = {
    { NEWMAIL_RPCH_CHANNEL_IN, "IN channel (RPC_IN_DATA)" },
    { NEWMAIL_RPCH_CHANNEL_OUT, "OUT channel (RPC_OUT_DATA)" },
    { 0, NULL }
};

static const value_string rpch_pdu_vals[] = {
    { NEWMAIL_RPCH_PDU_OTHER, "Other RTS PDU" },
    { NEWMAIL_RPCH_PDU_CONN_A1, "CONN/A1" },
    { NEWMAIL_RPCH_PDU_CONN_A3, "CONN/A3" },
    { NEWMAIL_RPCH_PDU_CONN_B1, "CONN/B1" },
    { NEWMAIL_RPCH_PDU_CONN_C2, "CONN/C2" },
    { NEWMAIL_RPCH_PDU_IN_RECYCLE, "IN_R1/A1 or IN_R2/A1" },
    { NEWMAIL_RPCH_PDU_OUT_RECYCLE, "OUT_R1/A3 or OUT_R2/A3" },
    { 0, NULL }
};

static const newmail_problem_text_t rts_problems[] = {
    { NEWMAIL_RPCH_TRUNCATED, "the PDU ends inside the RTS header" },
    { NEWMAIL_RPCH_FRAG_TOO_SHORT, "frag_length is shorter than the RTS header" },
    { NEWMAIL_RPCH_FRAG_PAST_END, "frag_length runs past the bytes captured" },
    { NEWMAIL_RPCH_COMMANDS_CUT, "a command runs past the end of the PDU" },
    { NEWMAIL_RPCH_TOO_MANY_COMMANDS, "NumberOfCommands is more than any RTS PDU has; only the"
                                      " first 32 are read" },
    { NEWMAIL_RPCH_UNKNOWN_COMMAND, "an unknown CommandType; the commands after it are not read" },
    { NEWMAIL_RPCH_TRAILING_BYTES, "bytes after the last command" },
    { NEWMAIL_RPCH_AUTH_LENGTH, "auth_length is not 0" },
};

/* ---- Analysis (first pass) ------------------------------------------------- */

static newmail_rpch_role_t
role_of(newmail_rpch_pdu_kind_t kind)
{
    switch (kind) {
    case NEWMAIL_RPCH_PDU_CONN_A1:
    case NEWMAIL_RPCH_PDU_OUT_RECYCLE:
        return NEWMAIL_RPCH_CHANNEL_OUT;
    case NEWMAIL_RPCH_PDU_CONN_B1:
    case NEWMAIL_RPCH_PDU_IN_RECYCLE:
        return NEWMAIL_RPCH_CHANNEL_IN;
    default:
        return 0;
    }
}

/* The connection's bytes after this frame are the channel's PDUs. Called
 * before pinfo's conversation fields are changed: both levers find the TCP
 * (and TLS) conversation by them. */
static void
take_over(conversation_t *conversation, packet_info *pinfo, newmail_rpch_channel_t *channel)
{
    channel->takeover_frame = pinfo->num + 1;
    channel->over_tls = proto_is_frame_protocol(pinfo->layers, "tls");
    if (channel->over_tls)
        tls_set_appdata_dissector(tls_handle, pinfo, channel_handle);
    else
        conversation_set_dissector_from_frame_number(conversation, channel->takeover_frame,
                                                     channel_handle);
}

/* Whether the HTTP body of this frame opens a channel, or is the body of the
 * server's response that began an OUT channel; on the first pass, a body
 * that opens one makes the connection a channel of its VC and takes its
 * later bytes over. */
static newmail_rpch_channel_t *
analyse_http_body(packet_info *pinfo, conversation_t *conversation, const uint8_t *body,
                  const newmail_rpch_pdu_t *first)
{
    newmail_rpch_channel_t *channel = newmail_rpch_channel_lookup(conversation);
    newmail_rpch_role_t role = role_of(first->kind);

    /* A channel with no VC was declined: the bytes after an RPC_IN_DATA
     * header were no B1. HTTP has the connection again, and a body of it
     * may still open a channel. */
    if (!PINFO_FD_VISITED(pinfo) && (channel == NULL || channel->vc == NULL) && role != 0) {
        newmail_rpch_vc_t *vc = newmail_rpch_vc_get_or_add(body + first->vc_cookie.offset, role,
                                                           pinfo->num);

        if (channel == NULL)
            channel = newmail_rpch_channel_add(conversation, vc, role, pinfo->num);
        else
            newmail_rpch_channel_open(channel, vc, role, pinfo->num);
        take_over(conversation, pinfo, channel);
    }
    if (channel != NULL &&
        (channel->open_frame == pinfo->num || channel->response_frame == pinfo->num))
        return channel;
    return NULL;
}

/* The post-dissector's hook, first pass, a TCP frame HTTP dissected part of:
 * an RPC_IN_DATA header with no body behind it, which HTTP does not wait
 * for (its Content-Length of 1 GiB says nothing) and hands to no one. If the
 * connection is no channel yet, it becomes a pending IN channel taken over
 * from the next frame; its first bytes, B1 if all goes well, name the VC
 * (analyse_pending()). The header is the end of one of the frame's data
 * sources: the frame itself over plain TCP, the reassembled TCP data of a
 * header in several segments, or the decrypted TLS record; not always the
 * last one (HTTP adds the NTLM token of an Authorization field as a source
 * of its own). */
static void
analyse_http_frame(tvbuff_t *tvb _U_, packet_info *pinfo)
{
    conversation_t *conversation;
    newmail_rpch_channel_t *channel;
    bool found = false;

    /* The header apart is the heuristic's business: off with it. */
    if (pinfo->data_src == NULL || dcerpc_http_heur == NULL || rpch_http_heur == NULL ||
        !rpch_http_heur->enabled || !proto_is_protocol_enabled(find_protocol_by_id(proto_rpch)))
        return;
    for (GSList *item = pinfo->data_src; item != NULL && !found; item = item->next) {
        tvbuff_t *source = get_data_source_tvb((const struct data_source *)item->data);
        const unsigned length = tvb_captured_length(source);

        /* The cheap test first: a header ends with a blank line. */
        found = length >= 4 &&
                tvb_memeql(source, length - 4, (const uint8_t *)"\r\n\r\n", 4) == 0 &&
                newmail_rpch_ends_with_in_data_header(tvb_get_ptr(source, 0, length), length);
    }
    if (!found)
        return;
    conversation = find_conversation_pinfo(pinfo, 0);
    if (conversation == NULL)
        return;
    channel = newmail_rpch_channel_lookup(conversation);
    if (channel == NULL)
        channel = newmail_rpch_channel_add(conversation, NULL, NEWMAIL_RPCH_CHANNEL_IN, 0);
    else if (channel->vc != NULL)
        return;
    channel->role = NEWMAIL_RPCH_CHANNEL_IN;
    channel->declined = false;
    take_over(conversation, pinfo, channel);
}

/* Whether a channel has its VC: on the first pass, the first PDU of a
 * pending channel (this segment's first bytes) names it when it opens an IN
 * channel (B1, or a recycling PDU); anything else declines the channel, and
 * its bytes stay HTTP's. The whole first PDU must be in the segment (B1 is
 * sent in one write of 104 bytes). */
static bool
analyse_pending(tvbuff_t *tvb, packet_info *pinfo, newmail_rpch_channel_t *channel)
{
    const unsigned length = tvb_captured_length(tvb);
    const uint8_t *bytes;
    newmail_rpch_pdu_t first;

    if (channel->vc != NULL)
        return true;
    if (PINFO_FD_VISITED(pinfo) || channel->declined)
        return false;
    bytes = tvb_get_ptr(tvb, 0, length);
    if (newmail_rpch_is_rts(bytes, length) &&
        newmail_rpch_frag_length(bytes, length) <= length &&
        newmail_rpch_read_pdu(bytes, length, &first) == 0 &&
        role_of(first.kind) == NEWMAIL_RPCH_CHANNEL_IN) {
        newmail_rpch_channel_open(channel,
                                  newmail_rpch_vc_get_or_add(bytes + first.vc_cookie.offset,
                                                             NEWMAIL_RPCH_CHANNEL_IN, pinfo->num),
                                  NEWMAIL_RPCH_CHANNEL_IN, pinfo->num);
        return true;
    }
    channel->declined = true;
    return false;
}

/* Whether this segment of a channel, after the takeover, is the HTTP
 * response header that begins an OUT channel's stream (MS-RPCH 2.1.2.1.2):
 * on the first pass the first server segment that starts like one, which
 * the channel record keeps; on later passes the frame it kept. */
static bool
analyse_out_response(tvbuff_t *tvb, packet_info *pinfo, newmail_rpch_channel_t *channel)
{
    static const char status_line[] = "HTTP/1.";

    if (channel->role != NEWMAIL_RPCH_CHANNEL_OUT)
        return false;
    if (PINFO_FD_VISITED(pinfo))
        return channel->response_frame == pinfo->num;
    if (channel->response_frame != 0 ||
        tvb_strneql(tvb, 0, status_line, sizeof(status_line) - 1) != 0)
        return false;
    channel->response_frame = pinfo->num;
    return true;
}

/* ---- Tree ---------------------------------------------------------------------- */

/* An RTS cookie as a GUID (MS-RPCH 2.2.3.1: a 16-byte UUID, little-endian). */
static void
cookie_to_guid(const uint8_t *cookie, e_guid_t *guid)
{
    guid->data1 = newmail_le32(cookie);
    guid->data2 = newmail_le16(cookie + 4);
    guid->data3 = newmail_le16(cookie + 6);
    memcpy(guid->data4, cookie + 8, sizeof(guid->data4));
}

/* The channel and VC of this frame's PDUs: generated, they are no bytes of it. */
static void
add_channel(proto_tree *tree, tvbuff_t *tvb, const newmail_rpch_channel_t *channel)
{
    proto_item *item;
    e_guid_t guid;

    item = proto_tree_add_uint(tree, hf_rpch_vc, tvb, 0, 0, channel->vc->ordinal);
    proto_item_set_generated(item);
    cookie_to_guid(channel->vc->cookie, &guid);
    item = proto_tree_add_guid(tree, hf_rpch_vc_cookie, tvb, 0, 0, &guid);
    proto_item_set_generated(item);
    item = proto_tree_add_uint(tree, hf_rpch_channel, tvb, 0, 0, channel->role);
    proto_item_set_generated(item);
    newmail_add_frame_link(tree, hf_rpch_channel_frame, tvb, channel->open_frame);
    newmail_add_frame_link(tree, hf_rpch_out_frame, tvb, channel->vc->out_frame);
    newmail_add_frame_link(tree, hf_rpch_in_frame, tvb, channel->vc->in_frame);
}

/* The RTS PDU's name, flags and command count, and its problems. */
static void
add_rts(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, proto_item *top,
        const newmail_rpch_pdu_t *pdu)
{
    proto_item *item;

    item = proto_tree_add_uint(tree, hf_rpch_rts, tvb, 0, NEWMAIL_RPCH_RTS_HEADER_LENGTH,
                               pdu->kind);
    proto_item_set_generated(item);
    proto_item_append_text(top, ", %s", val_to_str_const(pdu->kind, rpch_pdu_vals, "RTS"));
    if (tvb_captured_length(tvb) >= NEWMAIL_RPCH_RTS_HEADER_LENGTH) {
        const unsigned encoding = pdu->big_endian ? ENC_BIG_ENDIAN : ENC_LITTLE_ENDIAN;

        proto_tree_add_item(tree, hf_rpch_rts_flags, tvb, 16, 2, encoding);
        proto_tree_add_item(tree, hf_rpch_rts_commands, tvb, 18, 2, encoding);
    }
    if (pdu->kind != NEWMAIL_RPCH_PDU_OTHER && pdu->has_channel_cookie) {
        e_guid_t guid;

        cookie_to_guid(tvb_get_ptr(tvb, (int)pdu->channel_cookie.offset,
                                   NEWMAIL_RPCH_COOKIE_LENGTH), &guid);
        proto_tree_add_guid(tree, hf_rpch_channel_cookie, tvb, (int)pdu->channel_cookie.offset,
                            NEWMAIL_RPCH_COOKIE_LENGTH, &guid);
    }
    newmail_add_problems(pinfo, top, &ei_rpch_malformed, "RTS PDU", pdu->problems, rts_problems,
                         array_length(rts_problems));
}

/* DCE/RPC for one PDU of `channel`, with the VC's conversation: pinfo's
 * conversation fields name it for the call and are given back afterwards
 * (also when DCE/RPC throws), so that HTTP, TLS and TCP find their own. */
static void
call_dcerpc(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
            const newmail_rpch_channel_t *channel)
{
    struct conversation_element *saved_elements = pinfo->conv_elements;
    struct conversation_addr_port_endpoints *saved_endpoints = pinfo->conv_addr_port_endpoints;
    const bool saved_use_endpoints = pinfo->use_conv_addr_port_endpoints;

    if (dcerpc_http_heur == NULL) {
        call_data_dissector(tvb, pinfo, tree);
        return;
    }
    /* find_conversation_pinfo() prefers the endpoints to the elements. */
    pinfo->use_conv_addr_port_endpoints = false;
    conversation_set_elements_by_id(pinfo, CONVERSATION_TCP, channel->vc->ordinal);
    TRY {
        call_heur_dissector_direct(dcerpc_http_heur, tvb, pinfo, tree, NULL);
    }
    FINALLY {
        pinfo->conv_elements = saved_elements;
        pinfo->conv_addr_port_endpoints = saved_endpoints;
        pinfo->use_conv_addr_port_endpoints = saved_use_endpoints;
    }
    ENDTRY;
}

/* One whole PDU of a channel (frag_length bytes, at least the common header). */
static void
dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
            const newmail_rpch_channel_t *channel)
{
    const unsigned length = tvb_captured_length(tvb);
    const uint8_t *bytes = tvb_get_ptr(tvb, 0, length);
    proto_item *top;
    proto_tree *rpch_tree;

    top = proto_tree_add_item(tree, proto_rpch, tvb, 0, -1, ENC_NA);
    proto_item_append_text(top, ", VC %u, %s", channel->vc->ordinal,
                           channel->role == NEWMAIL_RPCH_CHANNEL_IN ? "IN" : "OUT");
    rpch_tree = proto_item_add_subtree(top, ett_rpch);
    add_channel(rpch_tree, tvb, channel);
    if (length < NEWMAIL_RPCH_COMMON_HEADER_LENGTH || bytes[0] != 5 || bytes[1] != 0 ||
        newmail_rpch_frag_length(bytes, length) < NEWMAIL_RPCH_COMMON_HEADER_LENGTH) {
        expert_add_info(pinfo, top, &ei_rpch_not_dcerpc);
        call_data_dissector(tvb, pinfo, tree);
        return;
    }
    if (newmail_rpch_is_rts(bytes, length)) {
        newmail_rpch_pdu_t pdu;

        newmail_rpch_read_pdu(bytes, length, &pdu);
        add_rts(rpch_tree, tvb, pinfo, top, &pdu);
    }
    call_dcerpc(tvb, pinfo, tree, channel);
}

/* The PDUs of an HTTP body that opened a channel (B1 may come with more
 * PDUs behind it). One cut by the end of the segment is shown, not
 * reassembled: HTTP gives its heuristics no way to ask for more. */
static void
dissect_http_body(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                  const newmail_rpch_channel_t *channel)
{
    const unsigned length = tvb_captured_length(tvb);
    const uint8_t *bytes = tvb_get_ptr(tvb, 0, length);
    unsigned offset = 0;

    while (offset < length) {
        const unsigned remaining = length - offset;
        const unsigned frag_length = newmail_rpch_frag_length(bytes + offset, remaining);
        proto_item *item;

        if (remaining >= NEWMAIL_RPCH_COMMON_HEADER_LENGTH &&
            frag_length >= NEWMAIL_RPCH_COMMON_HEADER_LENGTH && frag_length <= remaining) {
            dissect_pdu(tvb_new_subset_length(tvb, offset, frag_length), pinfo, tree, channel);
            offset += frag_length;
            continue;
        }
        item = proto_tree_add_item(tree, proto_rpch, tvb, offset, -1, ENC_NA);
        if (remaining >= NEWMAIL_RPCH_COMMON_HEADER_LENGTH &&
            frag_length < NEWMAIL_RPCH_COMMON_HEADER_LENGTH)
            expert_add_info(pinfo, item, &ei_rpch_not_dcerpc);
        else
            expert_add_info_format(pinfo, item, &ei_rpch_not_reassembled,
                                   "A PDU of %u bytes runs past the end of this HTTP body"
                                   " (%u bytes left); not reassembled",
                                   remaining >= 10 ? frag_length : 0, remaining);
        call_data_dissector(tvb_new_subset_remaining(tvb, offset), pinfo, tree);
        break;
    }
}

/* The "http" heuristic: every body that starts with an RTS PDU. One that
 * opens a channel of a VC, or is the body of the server's response that
 * begins an OUT channel, is this dissector's; any other (a capture that
 * starts after A1 and B1, a malformed or cut PDU) goes to DCE/RPC as HTTP
 * would have sent it, with the TCP connection's conversation. Claiming those
 * too matters: dissector_try_heuristic() moves the entry that matched a body
 * to the front of the list, so a single RTS body that "dcerpc_http" took
 * from the list would put it ahead of this heuristic for every later body,
 * A1 and B1 included, for the rest of the session. */
static newmail_heur_result_t
dissect_rpch_http_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const unsigned length = tvb_captured_length(tvb);
    const uint8_t *body;
    newmail_rpch_pdu_t first;
    conversation_t *conversation;
    newmail_rpch_channel_t *channel = NULL;

    if (length < NEWMAIL_RPCH_RTS_HEADER_LENGTH || dcerpc_http_heur == NULL)
        return false;
    body = tvb_get_ptr(tvb, 0, length);
    if (!newmail_rpch_is_rts(body, length) ||
        newmail_rpch_frag_length(body, length) < NEWMAIL_RPCH_RTS_HEADER_LENGTH)
        return false;
    conversation = find_conversation_pinfo(pinfo, 0);
    if (conversation != NULL && newmail_rpch_read_pdu(body, length, &first) == 0)
        channel = analyse_http_body(pinfo, conversation, body, &first);
    if (channel != NULL)
        dissect_http_body(tvb, pinfo, tree, channel);
    else
        call_heur_dissector_direct(dcerpc_http_heur, tvb, pinfo, tree, data);
    return true;
}

/* frag_length of the PDU at offset; the rest of the segment for bytes that
 * are no connection-oriented PDU or claim less than its header, which
 * dissect_pdu() then flags. */
static unsigned
get_pdu_length(packet_info *pinfo _U_, tvbuff_t *tvb, int offset, void *data _U_)
{
    const unsigned remaining = (unsigned)tvb_reported_length_remaining(tvb, offset);
    /* tcp_dissect_pdus() calls this with the common header's 16 bytes there. */
    const uint8_t *header = tvb_get_ptr(tvb, offset, NEWMAIL_RPCH_COMMON_HEADER_LENGTH);
    unsigned frag_length;

    if (header[0] != 5 || header[1] != 0)
        return remaining;
    frag_length = newmail_rpch_frag_length(header, NEWMAIL_RPCH_COMMON_HEADER_LENGTH);
    return frag_length < NEWMAIL_RPCH_COMMON_HEADER_LENGTH ? remaining : frag_length;
}

static int
dissect_channel_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const newmail_rpch_channel_t *channel = (const newmail_rpch_channel_t *)data;

    dissect_pdu(tvb, pinfo, tree, channel);
    return tvb_captured_length(tvb);
}

/* The bytes of a channel after its takeover: TCP's conversation dissector
 * (plain) or the TLS session's application dissector. */
static int
dissect_rpch_channel(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    newmail_rpch_channel_t *channel =
        newmail_rpch_channel_lookup(find_conversation_pinfo(pinfo, 0));

    if (channel == NULL || channel->takeover_frame == 0 || pinfo->num < channel->takeover_frame ||
        !analyse_pending(tvb, pinfo, channel)) {
        /* tls_set_appdata_dissector() gave the whole TLS session to this
         * dissector, its HTTP records before the takeover too; it can only
         * have been HTTP over TLS that took the session over. Over plain
         * TCP, TCP gives the segment to HTTP when this returns 0. So do the
         * bytes of a declined channel. */
        if (channel != NULL && channel->over_tls && http_tls_handle != NULL)
            return call_dissector_with_data(http_tls_handle, tvb, pinfo, tree, data);
        return 0;
    }
    /* The server's response header on an OUT channel is HTTP's; HTTP then
     * hands its body, if any, to the heuristic above. */
    if (analyse_out_response(tvb, pinfo, channel))
        return call_dissector_with_data(channel->over_tls ? http_tls_handle : http_tcp_handle,
                                        tvb, pinfo, tree, data);
    tcp_dissect_pdus(tvb, pinfo, tree, true, NEWMAIL_RPCH_COMMON_HEADER_LENGTH, get_pdu_length,
                     dissect_channel_pdu, channel);
    return tvb_captured_length(tvb);
}

/* ---- Registration ------------------------------------------------------------- */

void
proto_register_rpch_newmail(void)
{
    static hf_register_info hf[] = {
        { &hf_rpch_vc,
          { "Virtual connection", "newmail.rpch.vc", FT_UINT32, BASE_DEC, NULL, 0x0,
            "The RPC over HTTP virtual connection this PDU belongs to, numbered in the order the"
            " capture names them; its IN and OUT channels are one DCE/RPC connection",
            HFILL } },
        { &hf_rpch_vc_cookie,
          { "Virtual connection cookie", "newmail.rpch.vc_cookie", FT_GUID, BASE_NONE, NULL,
            0x0, "VirtualConnectionCookie of the CONN/A1 and CONN/B1 that tie the channels"
            " together (MS-RPCH 2.2.4.2, 2.2.4.5)", HFILL } },
        { &hf_rpch_channel,
          { "Channel", "newmail.rpch.channel", FT_UINT8, BASE_DEC, VALS(rpch_channel_vals), 0x0,
            "Which channel of the virtual connection this TCP connection is: IN (RPC_IN_DATA,"
            " client to server) or OUT (RPC_OUT_DATA, server to client)", HFILL } },
        { &hf_rpch_channel_cookie,
          { "Channel cookie", "newmail.rpch.channel_cookie", FT_GUID, BASE_NONE, NULL, 0x0,
            "The channel's cookie: OutChannelCookie of CONN/A1, INChannelCookie of CONN/B1,"
            " SuccessorChannelCookie of a recycling PDU", HFILL } },
        { &hf_rpch_channel_frame,
          { "Channel opened in", "newmail.rpch.channel_frame", FT_FRAMENUM, BASE_NONE, NULL,
            0x0, "The frame whose HTTP body (CONN/A1, CONN/B1 or a recycling PDU) made this TCP"
            " connection a channel of the virtual connection", HFILL } },
        { &hf_rpch_out_frame,
          { "OUT channel opened in", "newmail.rpch.out_frame", FT_FRAMENUM, BASE_NONE, NULL,
            0x0, "The virtual connection's first CONN/A1 (or OUT channel recycling PDU)",
            HFILL } },
        { &hf_rpch_in_frame,
          { "IN channel opened in", "newmail.rpch.in_frame", FT_FRAMENUM, BASE_NONE, NULL,
            0x0, "The virtual connection's first CONN/B1 (or IN channel recycling PDU)",
            HFILL } },
        { &hf_rpch_rts,
          { "RTS PDU", "newmail.rpch.rts", FT_UINT8, BASE_DEC, VALS(rpch_pdu_vals), 0x0,
            "Which RTS PDU of MS-RPCH 2.2.4 this is, by its flags and commands", HFILL } },
        { &hf_rpch_rts_flags,
          { "RTS flags", "newmail.rpch.rts.flags", FT_UINT16, BASE_HEX, NULL, 0x0,
            "Flags of the RTS PDU header (MS-RPCH 2.2.3.6.1)", HFILL } },
        { &hf_rpch_rts_commands,
          { "Number of commands", "newmail.rpch.rts.commands", FT_UINT16, BASE_DEC, NULL, 0x0,
            "NumberOfCommands of the RTS PDU header (MS-RPCH 2.2.3.6.1)", HFILL } },
    };
    static int *ett[] = {
        &ett_rpch,
    };
    static ei_register_info ei[] = {
        { &ei_rpch_malformed,
          { "newmail.rpch.malformed", PI_MALFORMED, PI_ERROR,
            "The RTS PDU is malformed", EXPFILL } },
        { &ei_rpch_not_reassembled,
          { "newmail.rpch.not_reassembled", PI_REASSEMBLE, PI_WARN,
            "A PDU runs past the end of the HTTP body that opened the channel; not reassembled",
            EXPFILL } },
        { &ei_rpch_not_dcerpc,
          { "newmail.rpch.not_dcerpc", PI_MALFORMED, PI_ERROR,
            "Bytes on an RPC over HTTP channel that are no connection-oriented DCE/RPC PDU"
            " (version 5.0, frag_length at least 16)", EXPFILL } },
    };
    expert_module_t *expert;

    proto_rpch = proto_register_protocol("Outlook Anywhere virtual connections (RPC over HTTP)",
                                         "NEWMAIL-RPCH", "newmail.rpch");
    proto_register_field_array(proto_rpch, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_rpch);
    expert_register_field_array(expert, ei, array_length(ei));
    channel_handle = create_dissector_handle(dissect_rpch_channel, proto_rpch);
    newmail_rpch_register();
    newmail_core_set_http_frame_hook(analyse_http_frame);
}

void
proto_reg_handoff_rpch_newmail(void)
{
    /* Added after DCE/RPC's "dcerpc_http" (built-in dissectors hand off
     * first), and heur_dissector_add() prepends: tried before it. */
    heur_dissector_add("http", dissect_rpch_http_heur,
                       "Outlook Anywhere virtual connections (NEWMAIL)", "newmail_rpch_http",
                       proto_rpch, HEURISTIC_ENABLE);
    dcerpc_http_heur = find_heur_dissector_by_unique_short_name("dcerpc_http");
    rpch_http_heur = find_heur_dissector_by_unique_short_name("newmail_rpch_http");
    tls_handle = find_dissector("tls");
    http_tls_handle = find_dissector("http-over-tls");
    http_tcp_handle = find_dissector("http-over-tcp");
}
