/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-mapihttp.c: MAPI over HTTP (MS-OXCMAPIHTTP), the way Exchange 2016
 * and later talk to Outlook: POSTs to /mapi/emsmdb/ (and /mapi/nspi/) with
 * Content-Type application/mapi-http, the request type in X-RequestType.
 *
 * HTTP hands the de-chunked body of every such request and response to this
 * dissector through its "media_type" table, with the message's headers. A
 * response body opens with meta-tag lines (PROCESSING, PENDING keep-alives,
 * DONE) and header lines (X-ResponseCode ...), 2.2.7; then comes the binary
 * body of the request type (2.2.4). The bytes are read by
 * newmail-mapihttp-parse.c, the ROP buffers of Execute by newmail-rop-tree.c.
 *
 * The session (3.1.5.1, 2.2.3.3.2): every request of a session context
 * carries the same GUID in its X-RequestId, unique to that session context
 * (a client with several mailboxes open runs several at once), and the
 * response echoes it; the Connect response also sets the session context
 * cookie (MapiContext) that every later request carries. A NotificationWait
 * answered with EventPending is a signal; the session's next Execute fetches
 * the events, and its response carries RopNotify. An Execute request's
 * MaxRopOut bounds the ROP buffer of its response. A response whose
 * X-ResponseCode (an HTTP header, or an additional header after DONE) is not
 * 0 carries the failure body, not the request type's response (2.2.3.3.3).
 *
 * Per message: the first pass records what it is and updates the session
 * model (remember_message(), analyse_message()); the tree is built from
 * that record and the parsed envelope and body; the tap events are queued
 * from the analysis.
 */
#include <string.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto_data.h>
#include <epan/to_str.h>

#include "newmail-compat.h"
#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-mapihttp-parse.h"
#include "newmail-rop-tree.h"
#include "newmail-session.h"
#include "packet-newmail.h"

static int proto_mapihttp = -1;

static int hf_mapihttp_request_type = -1;
static int hf_mapihttp_request_id = -1;
static int hf_mapihttp_request_guid = -1;
static int hf_mapihttp_request_counter = -1;
static int hf_mapihttp_client_info = -1;
static int hf_mapihttp_endpoint = -1;
static int hf_mapihttp_meta_tag = -1;
static int hf_mapihttp_keepalives = -1;
static int hf_mapihttp_header = -1;
static int hf_mapihttp_response_code = -1;
static int hf_mapihttp_request_frame = -1;
static int hf_mapihttp_response_frame = -1;
static int hf_mapihttp_body = -1;
static int hf_mapihttp_status_code = -1;
static int hf_mapihttp_error_code = -1;
static int hf_mapihttp_user_dn = -1;
static int hf_mapihttp_flags = -1;
static int hf_mapihttp_default_code_page = -1;
static int hf_mapihttp_lcid_sort = -1;
static int hf_mapihttp_lcid_string = -1;
static int hf_mapihttp_polls_max = -1;
static int hf_mapihttp_retry_count = -1;
static int hf_mapihttp_retry_delay = -1;
static int hf_mapihttp_dn_prefix = -1;
static int hf_mapihttp_display_name = -1;
static int hf_mapihttp_rop_buffer_size = -1;
static int hf_mapihttp_max_rop_out = -1;
static int hf_mapihttp_event_pending = -1;
static int hf_mapihttp_aux_buffer_size = -1;
static int hf_mapihttp_aux_buffer = -1;
static int hf_mapihttp_trailing = -1;

static int ett_mapihttp = -1;
static int ett_mapihttp_envelope = -1;
static int ett_mapihttp_body = -1;

static expert_field ei_mapihttp_envelope = EI_INIT;
static expert_field ei_mapihttp_body = EI_INIT;
static expert_field ei_mapihttp_request_type = EI_INIT;
static expert_field ei_mapihttp_failure = EI_INIT;
static expert_field ei_mapihttp_request_id = EI_INIT;
static expert_field ei_mapihttp_response_code = EI_INIT;

/* X-ResponseCode's names (2.2.3.3.3), filled from the reader's table. */
#define MAPIHTTP_RESPONSE_CODES 19
static value_string response_code_vals[MAPIHTTP_RESPONSE_CODES + 1];

/* ---- What the first pass keeps ---------------------------------------------------- */

/* One request, found again from its response by X-RequestId. */
typedef struct {
    uint32_t frame;
    newmail_mh_request_type_t type;
    uint32_t max_rop_out; /* an Execute request's MaxRopOut, 0 when not read */
    /* An Execute request's decoded RopBuffer, which lays out its response's
     * ROPs; NULL when not read. */
    const newmail_rop_request_copy_t *rop_request;
    newmail_session_t *session;
    uint32_t response_frame;
} request_record_t;

/* One message (request or response) of a frame. The headers are kept:
 * HTTP hands them over on the first pass, and later passes must show the
 * same (Wireshark 4.6 hands over none when it dissects the frame again). */
typedef struct {
    request_record_t *request;
    newmail_session_t *session; /* when there is no request: the session it belongs to */
    bool response;
    const char *request_type; /* X-RequestType, X-RequestId, X-ClientInfo, or NULL */
    const char *request_id;
    const char *client_info;
    bool request_id_read; /* X-RequestId is "{GUID}:counter": request_id_value */
    newmail_mh_request_id_t request_id_value;
    bool has_response_code; /* a response's X-ResponseCode HTTP header: its value */
    bool bad_response_code; /* ... or it is there but not a number */
    uint32_t response_code;
    uint32_t previous_signal; /* a signalling NotificationWait response: the session's before */
} message_record_t;

static wmem_map_t *header_values;    /* each header value the records keep, once */
static wmem_map_t *requests_by_id;   /* X-RequestId -> request_record_t */
static wmem_map_t *unnamed_sessions; /* "client endpoint" -> session of a Connect or Bind
                                        without an X-RequestId GUID, whose cookie is not
                                        known yet (answered without one we read) */
static wmem_map_t *latest_sessions;  /* client address -> its latest session (for messages
                                        with neither GUID nor cookie) */
static wmem_map_t *session_endpoints; /* session -> the endpoint its Connect or Bind went to */

static void
mapihttp_init(void)
{
    header_values = wmem_map_new(wmem_file_scope(), wmem_str_hash, g_str_equal);
    requests_by_id = wmem_map_new(wmem_file_scope(), wmem_str_hash, g_str_equal);
    unnamed_sessions = wmem_map_new(wmem_file_scope(), wmem_str_hash, g_str_equal);
    latest_sessions = wmem_map_new(wmem_file_scope(), wmem_str_hash, g_str_equal);
    session_endpoints = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
}

/* HTTP may hand over several messages in one frame: they are told apart by
 * their order in it. */
static uint32_t
message_number(packet_info *pinfo)
{
    uint32_t before = GPOINTER_TO_UINT(p_get_proto_data(pinfo->pool, pinfo, proto_mapihttp, 0));

    p_add_proto_data(pinfo->pool, pinfo, proto_mapihttp, 0, GUINT_TO_POINTER(before + 1));
    return before + 1;
}

/* ---- Headers -------------------------------------------------------------------------- */

static const char *
http_header(const newmail_media_info_t *info, const char *lowercase_name)
{
    if (info == NULL || info->data == NULL ||
        (info->type != NEWMAIL_MEDIA_HTTP_REQUEST && info->type != NEWMAIL_MEDIA_HTTP_RESPONSE))
        return NULL;
    return (const char *)wmem_map_lookup((wmem_map_t *)info->data, lowercase_name);
}

/* The value of the session context cookie in a Cookie or Set-Cookie value:
 * "MapiContext=value" up to the next ';' (MS-OXCMAPIHTTP 3.2.5.1, 4.2). */
static const char *
session_cookie(wmem_allocator_t *scope, const char *cookies)
{
    static const char name[] = "MapiContext=";
    const char *at = cookies;

    while (at != NULL && *at != '\0') {
        while (*at == ' ' || *at == ';' || *at == '\t')
            at++;
        if (g_ascii_strncasecmp(at, name, sizeof(name) - 1) == 0) {
            const char *value = at + sizeof(name) - 1;
            size_t length = strcspn(value, ";");

            while (length > 0 && (value[length - 1] == ' ' || value[length - 1] == '\t'))
                length--;
            return length > 0 ? wmem_strndup(scope, value, length) : NULL;
        }
        at = strchr(at, ';');
    }
    return NULL;
}

/* ---- The session -------------------------------------------------------------------------- */

static const char *
unnamed_key(packet_info *pinfo, const address *client, newmail_mh_endpoint_t endpoint)
{
    return wmem_strdup_printf(pinfo->pool, "%s %d", address_to_str(pinfo->pool, client),
                              (int)endpoint);
}

/* First pass, at a request: its session. A Connect (mailbox) or Bind
 * (address book) starts one (MS-OXCMAPIHTTP 3.1.5.1). The GUID of
 * X-RequestId is the same in every request of a session context and in no
 * other (2.2.3.3.2): where a request has one, it names the session, also
 * when a client runs several sessions at once; the session context cookie
 * the request carries, where HTTP shows it, is learned for it. Without a
 * GUID the cookie names the session: HTTP keeps only a message's last
 * Set-Cookie and last Cookie line, so when such a Connect's response's was
 * not MapiContext, the first unknown MapiContext the client sends to that
 * endpoint names it; and a request with neither belongs to the client's
 * latest session. */
static newmail_session_t *
request_session(packet_info *pinfo, newmail_mh_request_type_t type, const uint8_t *guid,
                const char *cookie)
{
    newmail_mh_endpoint_t endpoint = newmail_mh_request_type_endpoint(type);
    const char *client = address_to_str(pinfo->pool, &pinfo->src);
    newmail_session_t *session = NULL;

    if (type == NEWMAIL_MH_RT_CONNECT || type == NEWMAIL_MH_RT_BIND) {
        session = newmail_session_add(pinfo);
        wmem_map_insert(session_endpoints, session, GINT_TO_POINTER(endpoint));
        if (guid != NULL)
            newmail_session_bind_request_guid(session, guid);
        else
            wmem_map_insert(
                unnamed_sessions,
                wmem_strdup(wmem_file_scope(), unnamed_key(pinfo, &pinfo->src, endpoint)), session);
    } else if (guid != NULL && (session = newmail_session_lookup_by_request_guid(guid)) != NULL) {
        if (cookie != NULL && newmail_session_lookup_by_cookie(cookie) == NULL)
            newmail_session_bind_cookie(session, cookie);
    } else {
        if (guid == NULL && cookie != NULL && newmail_session_lookup_by_cookie(cookie) == NULL &&
            endpoint != NEWMAIL_MH_ENDPOINT_BOTH) {
            session = (newmail_session_t *)wmem_map_remove(
                unnamed_sessions, unnamed_key(pinfo, &pinfo->src, endpoint));
            newmail_session_bind_cookie(session, cookie);
        }
        if (session == NULL && cookie != NULL)
            session = newmail_session_get_or_add_by_cookie(cookie, pinfo);
        /* A session whose Connect is not in the capture: its GUID names it
         * from now on. */
        if (guid != NULL && session != NULL)
            newmail_session_bind_request_guid(session, guid);
        else if (guid != NULL)
            session = newmail_session_get_or_add_by_request_guid(guid, pinfo);
        if (session == NULL)
            session = (newmail_session_t *)wmem_map_lookup(latest_sessions, client);
    }
    if (session != NULL && wmem_map_lookup(latest_sessions, client) != session)
        wmem_map_insert(latest_sessions,
                        wmem_map_contains(latest_sessions, client)
                            ? client /* the existing key stays */
                            : wmem_strdup(wmem_file_scope(), client),
                        session);
    return session;
}

/* First pass, at a Connect or Bind response: the cookie it sets names the session. */
static void
name_session(packet_info *pinfo, request_record_t *request, const char *set_cookie)
{
    const char *cookie = session_cookie(pinfo->pool, set_cookie);

    const char *key;

    if (request->session == NULL || cookie == NULL ||
        newmail_session_lookup_by_cookie(cookie) != NULL)
        return;
    newmail_session_bind_cookie(request->session, cookie);
    /* Named now: it no longer waits for the client's first unknown cookie
     * (another Connect's session may wait there). */
    key = unnamed_key(pinfo, &pinfo->dst, newmail_mh_request_type_endpoint(request->type));
    if (wmem_map_lookup(unnamed_sessions, key) == request->session)
        wmem_map_remove(unnamed_sessions, key);
}

/* First pass, at a response whose request reached no dissector (an empty
 * PING) or is not in the capture: the session its X-RequestId GUID names
 * (none when the GUID is one no request showed: a session whose every
 * request is missing is not guessed), else the one its MapiContext cookie
 * names, else the client's latest session, as for a request. */
static newmail_session_t *
response_session(packet_info *pinfo, const uint8_t *guid, const char *set_cookie)
{
    newmail_session_t *session;

    if (guid != NULL)
        return newmail_session_lookup_by_request_guid(guid);
    session = newmail_session_lookup_by_cookie(session_cookie(pinfo->pool, set_cookie));
    if (session == NULL)
        session = (newmail_session_t *)wmem_map_lookup(latest_sessions,
                                                       address_to_str(pinfo->pool, &pinfo->dst));
    return session;
}

/* The endpoint a request went to: its type's, or for PING, which both have,
 * its session's. */
static newmail_mh_endpoint_t
request_endpoint(newmail_mh_request_type_t type, const newmail_session_t *session)
{
    newmail_mh_endpoint_t endpoint = newmail_mh_request_type_endpoint(type);

    if (endpoint == NEWMAIL_MH_ENDPOINT_BOTH && session != NULL)
        endpoint = (newmail_mh_endpoint_t)GPOINTER_TO_INT(
            wmem_map_lookup(session_endpoints, (gconstpointer)session));
    return endpoint;
}

/* ---- Bodies --------------------------------------------------------------------------------- */

static const struct {
    newmail_mh_field_t field;
    int *hf;
    unsigned encoding;
} body_fields[] = {
    { NEWMAIL_MHF_STATUS_CODE, &hf_mapihttp_status_code, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_ERROR_CODE, &hf_mapihttp_error_code, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_USER_DN, &hf_mapihttp_user_dn, ENC_ASCII },
    { NEWMAIL_MHF_FLAGS, &hf_mapihttp_flags, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_DEFAULT_CODE_PAGE, &hf_mapihttp_default_code_page, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_LCID_SORT, &hf_mapihttp_lcid_sort, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_LCID_STRING, &hf_mapihttp_lcid_string, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_POLLS_MAX, &hf_mapihttp_polls_max, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_RETRY_COUNT, &hf_mapihttp_retry_count, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_RETRY_DELAY, &hf_mapihttp_retry_delay, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_DN_PREFIX, &hf_mapihttp_dn_prefix, ENC_ASCII },
    { NEWMAIL_MHF_DISPLAY_NAME, &hf_mapihttp_display_name, ENC_UTF_16 | ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_ROP_BUFFER_SIZE, &hf_mapihttp_rop_buffer_size, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_MAX_ROP_OUT, &hf_mapihttp_max_rop_out, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_EVENT_PENDING, &hf_mapihttp_event_pending, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_AUX_BUFFER_SIZE, &hf_mapihttp_aux_buffer_size, ENC_LITTLE_ENDIAN },
    { NEWMAIL_MHF_AUX_BUFFER, &hf_mapihttp_aux_buffer, ENC_NA },
};

static const newmail_problem_text_t body_problems[] = {
    { NEWMAIL_MH_BODY_TRUNCATED, "the body ends inside a field" },
    { NEWMAIL_MH_BODY_SIZE_PAST_END, "a buffer size points past the end of the body" },
    { NEWMAIL_MH_BODY_UNTERMINATED, "a string runs to the end of the body" },
    { NEWMAIL_MH_BODY_TRAILING, "bytes follow the last field" },
    { NEWMAIL_MH_BODY_RESERVED, "a field MS-OXCMAPIHTTP sets to 0 is not 0" },
    { NEWMAIL_MH_BODY_EVENT_PENDING, "EventPending is neither 0 nor 1" },
    { NEWMAIL_MH_BODY_STATUS_ZERO,
      "the failure body X-ResponseCode announces has StatusCode 0" },
};

/* Reads the binary body of an EMSMDB request or response at tvb[offset...]
 * into *body, with the failure layout when `failure` (a response whose
 * X-ResponseCode is not 0); false when there is none, or none of a type the
 * parser knows. */
static bool
parse_body(tvbuff_t *tvb, int offset, newmail_mh_request_type_t type, bool response, bool failure,
           newmail_mh_body_t *body)
{
    int length = tvb_captured_length_remaining(tvb, offset);
    newmail_mh_body_kind_t kind;
    const uint8_t *bytes;

    memset(body, 0, sizeof(*body));
    if (length <= 0 || !newmail_mh_body_kind(type, response, &kind))
        return false;
    bytes = tvb_get_ptr(tvb, offset, length);
    if (failure)
        newmail_mh_parse_failure_body(kind, bytes, (size_t)length, body);
    else
        newmail_mh_parse_body(kind, bytes, (size_t)length, body);
    return true;
}

/* The body, field by field; an Execute's ROP buffer through the ROP tree. */
static void
add_body(proto_tree *tree, tvbuff_t *tvb, int offset, packet_info *pinfo,
         newmail_mh_request_type_t type, bool response, const newmail_fetch_t *fetch,
         const request_record_t *request, const newmail_mh_body_t *body, bool decoded)
{
    /* The request's MaxRopOut bounds the answer's ROP buffer. */
    uint32_t max_decoded = NEWMAIL_ROP_BUFFER_MAX_DECODED;
    const char *limit_name = "the protocol";
    int length = tvb_captured_length_remaining(tvb, offset);
    proto_item *ti;
    proto_tree *body_tree;

    if (length <= 0)
        return;
    ti = proto_tree_add_item(tree, hf_mapihttp_body, tvb, offset, length, ENC_NA);
    if (!decoded) {
        proto_item_append_text(ti, " (%s, not decoded)",
                               type == NEWMAIL_MH_RT_UNKNOWN ? "unknown request type"
                                                             : newmail_mh_request_type_name(type));
        return;
    }
    body_tree = proto_item_add_subtree(ti, ett_mapihttp_body);
    if (response && request != NULL && request->max_rop_out != 0 &&
        request->max_rop_out < NEWMAIL_ROP_BUFFER_MAX_DECODED) {
        max_decoded = request->max_rop_out;
        limit_name = "the request's MaxRopOut";
    }
    for (size_t i = 0; i < array_length(body_fields); i++) {
        newmail_span_t span = body->span[body_fields[i].field];
        proto_item *item;

        if (!newmail_mh_body_has(body, body_fields[i].field))
            continue;
        if (span.length == 0 && body_fields[i].encoding == ENC_NA)
            continue; /* an empty buffer: its size, 0, says it all */
        item = proto_tree_add_item(body_tree, *body_fields[i].hf, tvb, offset + (int)span.offset,
                                   (int)span.length, body_fields[i].encoding);
        if (body_fields[i].field == NEWMAIL_MHF_STATUS_CODE && body->failure)
            expert_add_info(pinfo, item, &ei_mapihttp_failure);
        if (body_fields[i].field == NEWMAIL_MHF_ROP_BUFFER_SIZE &&
            newmail_mh_body_has(body, NEWMAIL_MHF_ROP_BUFFER)) {
            span = body->span[NEWMAIL_MHF_ROP_BUFFER];
            newmail_rop_call_t call = { .session = request != NULL ? request->session : NULL,
                                        .request_frame = request != NULL ? request->frame : 0 };

            newmail_dissect_rop_buffer_call(tvb, offset + (int)span.offset, (int)span.length,
                                            pinfo, body_tree, response, fetch, max_decoded,
                                            limit_name,
                                            response && request != NULL ? request->rop_request
                                                                        : NULL,
                                            &call);
            /* Its RopNotify, with what each handle names, on the tap. */
            for (size_t n = 0; n < call.notified_count; n++)
                newmail_tap_rop_notify(pinfo, call.notified[n].type,
                                       call.notified[n].subscription_frame,
                                       call.notified[n].tie == NEWMAIL_NOTIFIED_OTHER);
        }
    }
    if (body->problems & NEWMAIL_MH_BODY_TRAILING)
        proto_tree_add_item(body_tree, hf_mapihttp_trailing, tvb,
                            offset + (int)body->trailing.offset, (int)body->trailing.length,
                            ENC_NA);
    newmail_add_problems(pinfo, ti, &ei_mapihttp_body, "Body", body->problems, body_problems,
                         array_length(body_problems));
}

/* ---- The response envelope ------------------------------------------------------------------- */

static const newmail_problem_text_t envelope_problems[] = {
    { NEWMAIL_MH_ENV_NO_DONE, "no DONE meta-tag before the response headers" },
    { NEWMAIL_MH_ENV_JUNK, "a line that is no meta-tag before DONE" },
    { NEWMAIL_MH_ENV_UNTERMINATED, "the response headers end without an empty line" },
    { NEWMAIL_MH_ENV_HEADER_SYNTAX, "a response header line without ':'" },
    { NEWMAIL_MH_ENV_BARE_LF, "a line ends with LF alone, not CRLF" },
    { NEWMAIL_MH_ENV_BAD_RESPONSE_CODE, "X-ResponseCode is not a number" },
};

/* Reads the meta-tags and headers that open a response body (2.2.7);
 * returns where the binary body starts, or -1 when there is none. */
static int
parse_envelope(tvbuff_t *tvb, newmail_mh_envelope_t *env)
{
    int length = tvb_captured_length(tvb);

    newmail_mh_parse_envelope(length > 0 ? tvb_get_ptr(tvb, 0, length) : NULL, (size_t)length, env);
    return env->has_body ? (int)env->body.offset : -1;
}

static void
add_envelope(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const newmail_mh_envelope_t *env)
{
    int length = tvb_captured_length(tvb);
    proto_item *ti, *item;
    proto_tree *env_tree;

    ti = proto_tree_add_item(tree, hf_mapihttp_body, tvb, 0,
                             env->has_body ? (int)env->body.offset : length, ENC_NA);
    proto_item_set_text(ti, "Response meta-tags and headers");
    env_tree = proto_item_add_subtree(ti, ett_mapihttp_envelope);
    for (size_t i = 0; i < env->meta_count && i < NEWMAIL_MH_MAX_META; i++)
        proto_tree_add_item(env_tree, hf_mapihttp_meta_tag, tvb, (int)env->meta[i].span.offset,
                            (int)env->meta[i].span.length, ENC_ASCII);
    if (env->pending_count > 0)
        proto_item_set_generated(proto_tree_add_uint(env_tree, hf_mapihttp_keepalives, tvb, 0, 0,
                                                     (uint32_t)env->pending_count));
    for (size_t i = 0; i < env->header_count && i < NEWMAIL_MH_MAX_HEADERS; i++) {
        const newmail_mh_header_t *header = &env->header[i];

        proto_tree_add_item(env_tree, hf_mapihttp_header, tvb, (int)header->line.offset,
                            (int)header->line.length, ENC_ASCII);
        if ((int)i == env->response_code_header && env->has_response_code) {
            item = proto_tree_add_uint(env_tree, hf_mapihttp_response_code, tvb,
                                       (int)header->value.offset, (int)header->value.length,
                                       env->response_code);
            if (env->response_code != 0)
                expert_add_info(pinfo, item, &ei_mapihttp_failure);
        }
    }
    newmail_add_problems(pinfo, ti, &ei_mapihttp_envelope, "Response envelope", env->problems,
                         envelope_problems, array_length(envelope_problems));
}

/* ---- Messages --------------------------------------------------------------------------------- */

static proto_item *
add_header_string(proto_tree *tree, int hf, tvbuff_t *tvb, const char *value)
{
    proto_item *item = NULL;

    if (value != NULL) {
        item = proto_tree_add_string(tree, hf, tvb, 0, 0, value);
        proto_item_set_generated(item);
    }
    return item;
}

/* X-RequestId, and the GUID and counter it is made of (2.2.3.3.2). */
static void
add_request_id(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const message_record_t *message)
{
    proto_item *item = add_header_string(tree, hf_mapihttp_request_id, tvb, message->request_id);
    const newmail_mh_request_id_t *id = &message->request_id_value;
    e_guid_t guid;

    if (item == NULL)
        return;
    if (!message->request_id_read) {
        expert_add_info(pinfo, item, &ei_mapihttp_request_id);
        return;
    }
    guid.data1 = (uint32_t)id->guid[0] << 24 | (uint32_t)id->guid[1] << 16 |
                 (uint32_t)id->guid[2] << 8 | id->guid[3];
    guid.data2 = (uint16_t)(id->guid[4] << 8 | id->guid[5]);
    guid.data3 = (uint16_t)(id->guid[6] << 8 | id->guid[7]);
    memcpy(guid.data4, id->guid + 8, sizeof(guid.data4));
    proto_item_set_generated(proto_tree_add_guid(tree, hf_mapihttp_request_guid, tvb, 0, 0, &guid));
    proto_item_set_generated(
        proto_tree_add_uint64(tree, hf_mapihttp_request_counter, tvb, 0, 0, id->counter));
}

/* A response's X-ResponseCode HTTP header (2.2.2.2, 2.2.3.3.3). */
static void
add_response_code(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                  const message_record_t *message)
{
    proto_item *item;

    if (message->bad_response_code) {
        item = proto_tree_add_string(tree, hf_mapihttp_header, tvb, 0, 0, "X-ResponseCode");
        proto_item_set_generated(item);
        expert_add_info(pinfo, item, &ei_mapihttp_response_code);
        return;
    }
    if (!message->has_response_code)
        return;
    item = proto_tree_add_uint(tree, hf_mapihttp_response_code, tvb, 0, 0, message->response_code);
    proto_item_set_generated(item);
    if (message->response_code != 0)
        expert_add_info(pinfo, item, &ei_mapihttp_failure);
}

static void
add_request_type(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                 newmail_mh_request_type_t type, const char *text,
                 const newmail_session_t *session)
{
    static const char *const endpoints[] = { NULL, "emsmdb", "nspi", NULL };
    const char *endpoint;
    proto_item *item;

    item = proto_tree_add_string(tree, hf_mapihttp_request_type, tvb, 0, 0,
                                 text != NULL ? text : "");
    proto_item_set_generated(item);
    if (type == NEWMAIL_MH_RT_UNKNOWN) {
        expert_add_info(pinfo, item, &ei_mapihttp_request_type);
        return;
    }
    endpoint = endpoints[request_endpoint(type, session)];
    if (endpoint != NULL)
        proto_item_set_generated(
            proto_tree_add_string(tree, hf_mapihttp_endpoint, tvb, 0, 0, endpoint));
}

/* A header value as the records keep it: one copy per distinct value, for
 * the values a client sends again and again (its X-ClientInfo, the few
 * X-RequestTypes). NULL for NULL. */
static const char *
kept_header_value(const char *value)
{
    char *kept;

    if (value == NULL)
        return NULL;
    kept = (char *)wmem_map_lookup(header_values, value);
    if (kept == NULL) {
        kept = wmem_strdup(wmem_file_scope(), value);
        wmem_map_insert(header_values, kept, kept);
    }
    return kept;
}

/* First pass: what this message is, kept for every pass. */
static message_record_t *
remember_message(packet_info *pinfo, const newmail_media_info_t *info, bool response)
{
    message_record_t *message = wmem_new0(wmem_file_scope(), message_record_t);
    const char *type_text = http_header(info, "x-requesttype");
    request_record_t *request;

    const char *request_id = http_header(info, "x-requestid");
    const char *response_code = response ? http_header(info, "x-responsecode") : NULL;
    const uint8_t *guid;

    message->response = response;
    message->request_type = kept_header_value(type_text);
    message->client_info = kept_header_value(http_header(info, "x-clientinfo"));
    message->request_id_read =
        request_id != NULL &&
        newmail_mh_parse_request_id(request_id, strlen(request_id), &message->request_id_value);
    guid = message->request_id_read ? message->request_id_value.guid : NULL;
    if (response_code != NULL) {
        message->has_response_code = newmail_mh_parse_response_code(
            response_code, strlen(response_code), &message->response_code);
        message->bad_response_code = !message->has_response_code;
    }
    if (!response) {
        message->request_id = wmem_strdup(wmem_file_scope(), request_id);
        request = wmem_new0(wmem_file_scope(), request_record_t);
        request->frame = pinfo->num;
        request->type = type_text != NULL ? newmail_mh_request_type(type_text, strlen(type_text))
                                          : NEWMAIL_MH_RT_UNKNOWN;
        request->session = request_session(
            pinfo, request->type, guid, session_cookie(pinfo->pool, http_header(info, "cookie")));
        if (message->request_id != NULL)
            wmem_map_insert(requests_by_id, message->request_id, request);
    } else {
        gpointer kept_id = NULL, found = NULL;

        /* The request is answered: its entry goes, and the response shares
         * its copy of the X-RequestId. */
        request = NULL;
        if (request_id != NULL &&
            wmem_map_lookup_extended(requests_by_id, request_id, (const void **)&kept_id, &found)) {
            wmem_map_remove(requests_by_id, request_id);
            request = (request_record_t *)found;
            message->request_id = (const char *)kept_id;
        } else {
            message->request_id = wmem_strdup(wmem_file_scope(), request_id);
        }
        if (request != NULL && request->response_frame == 0)
            request->response_frame = pinfo->num;
        if (request != NULL &&
            (request->type == NEWMAIL_MH_RT_CONNECT || request->type == NEWMAIL_MH_RT_BIND))
            name_session(pinfo, request, http_header(info, "set-cookie"));
        if (request == NULL)
            message->session = response_session(pinfo, guid, http_header(info, "set-cookie"));
    }
    message->request = request;
    return message;
}

/* First pass: what the message does to the session model. An Execute
 * request fetches the session's pending events and bounds its response; a
 * NotificationWait response with EventPending signals them. */
static void
analyse_message(packet_info *pinfo, tvbuff_t *tvb, int body_offset, message_record_t *message,
                newmail_session_t *session, newmail_mh_request_type_t type,
                const newmail_mh_body_t *body, bool signal)
{
    if (PINFO_FD_VISITED(pinfo))
        return;
    if (!message->response && type == NEWMAIL_MH_RT_EXECUTE)
        newmail_session_add_fetch(session, pinfo);
    /* The request's MaxRopOut bounds its response's ROP buffer. */
    if (!message->response && message->request != NULL &&
        newmail_mh_body_has(body, NEWMAIL_MHF_MAX_ROP_OUT))
        message->request->max_rop_out = body->value[NEWMAIL_MHF_MAX_ROP_OUT];
    /* Its RopBuffer lays out the response's ROPs: keep it decoded. */
    if (!message->response && message->request != NULL && type == NEWMAIL_MH_RT_EXECUTE) {
        newmail_span_t rop = body->span[NEWMAIL_MHF_ROP_BUFFER];
        bool have = newmail_mh_body_has(body, NEWMAIL_MHF_ROP_BUFFER) && rop.length > 0 &&
                    tvb_bytes_exist(tvb, body_offset + (int)rop.offset, (int)rop.length);

        message->request->rop_request = newmail_rop_request_copy_add(
            have ? tvb_get_ptr(tvb, body_offset + (int)rop.offset, (int)rop.length) : NULL,
            have ? rop.length : 0, NEWMAIL_ROP_BUFFER_MAX_DECODED);
    }
    if (signal && session != NULL)
        message->previous_signal = newmail_session_add_http_signal(session, pinfo);
}

/* A NotificationWait answered with EventPending: the client should now
 * Execute to collect the events. */
static bool
is_signal(bool response, newmail_mh_request_type_t type, const newmail_mh_body_t *body)
{
    return response && type == NEWMAIL_MH_RT_NOTIFICATION_WAIT && !body->failure &&
           newmail_mh_body_has(body, NEWMAIL_MHF_EVENT_PENDING) &&
           body->value[NEWMAIL_MHF_EVENT_PENDING] == 1;
}

static int
dissect_mapihttp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const newmail_media_info_t *info = (const newmail_media_info_t *)data;
    bool response, signal, body_decoded, failure = false;
    uint32_t response_code = 0;
    uint32_t key = message_number(pinfo);
    newmail_mh_request_type_t type = NEWMAIL_MH_RT_UNKNOWN;
    const char *type_text = NULL;
    message_record_t *message;
    request_record_t *request;
    newmail_session_t *session;
    const newmail_fetch_t *fetch = NULL;
    newmail_mh_envelope_t env;
    newmail_mh_body_t body;
    proto_item *ti;
    proto_tree *mapihttp_tree;
    int body_offset = 0;

    message = (message_record_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_mapihttp, key);
    if (message == NULL && !PINFO_FD_VISITED(pinfo)) {
        message = remember_message(pinfo, info,
                                   info != NULL && info->type == NEWMAIL_MEDIA_HTTP_RESPONSE);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_mapihttp, key, message);
    }
    if (message == NULL) /* HTTP handed over a message the first pass did not see */
        return 0;
    response = message->response;
    request = message->request;
    session = request != NULL ? request->session : message->session;
    type_text = message->request_type;
    if (type_text != NULL)
        type = newmail_mh_request_type(type_text, strlen(type_text));
    if (type == NEWMAIL_MH_RT_UNKNOWN && request != NULL) /* a response that does not say */
        type = request->type;

    if (response) {
        body_offset = parse_envelope(tvb, &env);
        /* The code after DONE is the server's last word; the HTTP header's
         * counts where the body has none (2.2.2.2). */
        if (env.has_response_code)
            response_code = env.response_code;
        else if (message->has_response_code)
            response_code = message->response_code;
        failure = response_code != 0;
    }
    body_decoded = body_offset >= 0 && parse_body(tvb, body_offset, type, response, failure, &body);
    if (!body_decoded)
        memset(&body, 0, sizeof(body));
    signal = is_signal(response, type, &body);
    analyse_message(pinfo, tvb, body_offset, message, session, type, &body, signal);
    if (!response && type == NEWMAIL_MH_RT_EXECUTE)
        fetch = newmail_session_fetch_in(session, pinfo->num);
    else if (response && type == NEWMAIL_MH_RT_EXECUTE && request != NULL)
        fetch = newmail_session_fetch_in(session, request->frame);

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "MAPIHTTP");
    col_append_fstr(pinfo->cinfo, COL_INFO, " %s %s",
                    type != NEWMAIL_MH_RT_UNKNOWN ? newmail_mh_request_type_name(type) : "MAPI",
                    response ? "response" : "request");
    if (failure) {
        /* try_val_to_str(): val_to_str() takes a scope from Wireshark 4.6 on. */
        const char *code_name = try_val_to_str(response_code, response_code_vals);

        if (code_name != NULL)
            col_append_fstr(pinfo->cinfo, COL_INFO, ", %s", code_name);
        else
            col_append_fstr(pinfo->cinfo, COL_INFO, ", X-ResponseCode %u", response_code);
    }
    ti = proto_tree_add_item(tree, proto_mapihttp, tvb, 0, -1, ENC_NA);
    proto_item_append_text(ti, ", %s %s",
                           type != NEWMAIL_MH_RT_UNKNOWN ? newmail_mh_request_type_name(type)
                                                         : "unknown",
                           response ? "response" : "request");
    mapihttp_tree = proto_item_add_subtree(ti, ett_mapihttp);
    add_request_type(mapihttp_tree, tvb, pinfo, type, type_text, session);
    add_request_id(mapihttp_tree, tvb, pinfo, message);
    add_header_string(mapihttp_tree, hf_mapihttp_client_info, tvb, message->client_info);
    if (response)
        add_response_code(mapihttp_tree, tvb, pinfo, message);
    newmail_add_session_link(mapihttp_tree, tvb, session);
    if (request != NULL && response)
        newmail_add_frame_link(mapihttp_tree, hf_mapihttp_request_frame, tvb, request->frame);
    else if (request != NULL)
        newmail_add_frame_link(mapihttp_tree, hf_mapihttp_response_frame, tvb,
                               request->response_frame);

    if (!response && type == NEWMAIL_MH_RT_EXECUTE)
        newmail_add_fetch(mapihttp_tree, tvb, fetch);
    if (response)
        add_envelope(mapihttp_tree, tvb, pinfo, &env);
    if (body_offset >= 0)
        add_body(mapihttp_tree, tvb, body_offset, pinfo, type, response, fetch, request, &body,
                 body_decoded);
    if (signal) {
        col_append_str(pinfo->cinfo, COL_INFO, ", EventPending");
        newmail_add_signal(mapihttp_tree, tvb, pinfo, NEWMAIL_SIGNAL_HTTP, session,
                           message->previous_signal);
    }

    if (!response && type == NEWMAIL_MH_RT_EXECUTE && fetch != NULL && fetch->signal_count > 0) {
        nstime_t delay;

        nstime_delta(&delay, &fetch->request_time, &fetch->first_signal_time);
        newmail_tap_fetch(pinfo, &delay);
    }
    if (signal)
        newmail_tap_signal(pinfo, NEWMAIL_SIGNAL_HTTP,
                           newmail_session_unanswered(session, message->previous_signal,
                                                      pinfo->num));
    return tvb_captured_length(tvb);
}

/* ---- Registration ------------------------------------------------------------------------------ */

void
proto_register_mapihttp(void)
{
    static hf_register_info hf[] = {
        { &hf_mapihttp_request_type,
          { "Request type", "mapihttp.request_type", FT_STRING, BASE_NONE, NULL, 0x0,
            "X-RequestType: Connect, Execute, Disconnect, NotificationWait, PING, or an address"
            " book request type (MS-OXCMAPIHTTP 2.2.3.3.1)", HFILL } },
        { &hf_mapihttp_request_id,
          { "Request ID", "mapihttp.request_id", FT_STRING, BASE_NONE, NULL, 0x0,
            "X-RequestId: {GUID}:counter, the same in a request and its response", HFILL } },
        { &hf_mapihttp_request_guid,
          { "Request ID GUID", "mapihttp.request_id.guid", FT_GUID, BASE_NONE, NULL, 0x0,
            "The GUID of X-RequestId: the same in every request of a session context and in no"
            " other; it ties each request to its Connect (MS-OXCMAPIHTTP 2.2.3.3.2)", HFILL } },
        { &hf_mapihttp_request_counter,
          { "Request ID counter", "mapihttp.request_id.counter", FT_UINT64, BASE_DEC, NULL, 0x0,
            "The counter of X-RequestId, which grows with every request of the session context",
            HFILL } },
        { &hf_mapihttp_client_info,
          { "Client info", "mapihttp.client_info", FT_STRING, BASE_NONE, NULL, 0x0,
            "X-ClientInfo: the client's own identifier, echoed by the server", HFILL } },
        { &hf_mapihttp_endpoint,
          { "Endpoint", "mapihttp.endpoint", FT_STRING, BASE_NONE, NULL, 0x0,
            "The server endpoint the request type belongs to: emsmdb (mailbox, /mapi/emsmdb/) or"
            " nspi (address book, /mapi/nspi/)", HFILL } },
        { &hf_mapihttp_meta_tag,
          { "Meta-tag", "mapihttp.meta_tag", FT_STRING, BASE_NONE, NULL, 0x0,
            "PROCESSING, PENDING (a keep-alive while the server works or waits) or DONE"
            " (MS-OXCMAPIHTTP 2.2.7)", HFILL } },
        { &hf_mapihttp_keepalives,
          { "Keep-alives", "mapihttp.keepalives", FT_UINT32, BASE_DEC, NULL, 0x0,
            "PENDING meta-tags the server sent before DONE", HFILL } },
        { &hf_mapihttp_header,
          { "Response header", "mapihttp.header", FT_STRING, BASE_NONE, NULL, 0x0,
            "A header line of the response body, after DONE (X-ResponseCode, X-ElapsedTime,"
            " X-StartTime)", HFILL } },
        { &hf_mapihttp_response_code,
          { "Response code", "mapihttp.response_code", FT_UINT32, BASE_DEC,
            VALS(response_code_vals), 0x0,
            "X-ResponseCode, an HTTP header of the response or a header line of its body after"
            " DONE: 0 is success; any other value makes the body the failure body"
            " (MS-OXCMAPIHTTP 2.2.2.2, 2.2.3.3.3)", HFILL } },
        { &hf_mapihttp_request_frame,
          { "Request in", "mapihttp.request_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "The request with the same X-RequestId", HFILL } },
        { &hf_mapihttp_response_frame,
          { "Response in", "mapihttp.response_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The response with the same X-RequestId", HFILL } },
        { &hf_mapihttp_body,
          { "Body", "mapihttp.body", FT_BYTES, BASE_NONE, NULL, 0x0,
            "The binary request or response body of the request type", HFILL } },
        { &hf_mapihttp_status_code,
          { "StatusCode", "mapihttp.status_code", FT_UINT32, BASE_HEX, NULL, 0x0,
            "0 when the request was processed; otherwise the body is the failure layout",
            HFILL } },
        { &hf_mapihttp_error_code,
          { "ErrorCode", "mapihttp.error_code", FT_UINT32, BASE_HEX, NULL, 0x0,
            "The request's result, as EMSMDB's return value over RPC", HFILL } },
        { &hf_mapihttp_user_dn,
          { "UserDn", "mapihttp.user_dn", FT_STRING, BASE_NONE, NULL, 0x0,
            "The distinguished name of the user who connects", HFILL } },
        { &hf_mapihttp_flags,
          { "Flags", "mapihttp.flags", FT_UINT32, BASE_HEX, NULL, 0x0,
            "The request's Flags (Connect, Execute, NotificationWait) or Execute response's",
            HFILL } },
        { &hf_mapihttp_default_code_page,
          { "DefaultCodePage", "mapihttp.default_code_page", FT_UINT32, BASE_DEC, NULL, 0x0,
            "The code page of the client's 8-bit strings", HFILL } },
        { &hf_mapihttp_lcid_sort,
          { "LcidSort", "mapihttp.lcid_sort", FT_UINT32, BASE_HEX, NULL, 0x0,
            "The locale for sorting", HFILL } },
        { &hf_mapihttp_lcid_string,
          { "LcidString", "mapihttp.lcid_string", FT_UINT32, BASE_HEX, NULL, 0x0,
            "The locale for everything but sorting", HFILL } },
        { &hf_mapihttp_polls_max,
          { "PollsMax", "mapihttp.polls_max", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Milliseconds the client may wait between polls", HFILL } },
        { &hf_mapihttp_retry_count,
          { "RetryCount", "mapihttp.retry_count", FT_UINT32, BASE_DEC, NULL, 0x0,
            "How often the client retries a failed request", HFILL } },
        { &hf_mapihttp_retry_delay,
          { "RetryDelay", "mapihttp.retry_delay", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Milliseconds between retries", HFILL } },
        { &hf_mapihttp_dn_prefix,
          { "DnPrefix", "mapihttp.dn_prefix", FT_STRING, BASE_NONE, NULL, 0x0,
            "The distinguished-name prefix the server uses", HFILL } },
        { &hf_mapihttp_display_name,
          { "DisplayName", "mapihttp.display_name", FT_STRING, BASE_NONE, NULL, 0x0,
            "The user's display name", HFILL } },
        { &hf_mapihttp_rop_buffer_size,
          { "RopBufferSize", "mapihttp.rop_buffer_size", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes of the ROP buffer that follows", HFILL } },
        { &hf_mapihttp_max_rop_out,
          { "MaxRopOut", "mapihttp.max_rop_out", FT_UINT32, BASE_DEC, NULL, 0x0,
            "The largest ROP output buffer the client accepts", HFILL } },
        { &hf_mapihttp_event_pending,
          { "EventPending", "mapihttp.event_pending", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Events are pending for the session: the client should Execute to fetch them",
            HFILL } },
        { &hf_mapihttp_aux_buffer_size,
          { "AuxiliaryBufferSize", "mapihttp.aux_buffer_size", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes of the auxiliary buffer that follows", HFILL } },
        { &hf_mapihttp_aux_buffer,
          { "AuxiliaryBuffer", "mapihttp.aux_buffer", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Auxiliary blocks (MS-OXCRPC 2.2.2.2), not decoded", HFILL } },
        { &hf_mapihttp_trailing,
          { "Trailing bytes", "mapihttp.trailing", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Bytes after the body's last field", HFILL } },
    };
    static int *ett[] = {
        &ett_mapihttp,
        &ett_mapihttp_envelope,
        &ett_mapihttp_body,
    };
    static ei_register_info ei[] = {
        { &ei_mapihttp_envelope,
          { "mapihttp.envelope.malformed", PI_MALFORMED, PI_WARN,
            "The response's meta-tags or headers are not as MS-OXCMAPIHTTP 2.2.7 says", EXPFILL } },
        { &ei_mapihttp_body,
          { "mapihttp.body.malformed", PI_MALFORMED, PI_ERROR,
            "The body does not fit its request type's layout", EXPFILL } },
        { &ei_mapihttp_request_type,
          { "mapihttp.request_type.unknown", PI_PROTOCOL, PI_NOTE,
            "X-RequestType names no request type MS-OXCMAPIHTTP defines", EXPFILL } },
        { &ei_mapihttp_failure,
          { "mapihttp.failure", PI_RESPONSE_CODE, PI_NOTE, "The server reports a failure",
            EXPFILL } },
        { &ei_mapihttp_request_id,
          { "mapihttp.request_id.malformed", PI_PROTOCOL, PI_NOTE,
            "X-RequestId is not {GUID}:counter (MS-OXCMAPIHTTP 2.2.3.3.2): the session is"
            " found by its cookie", EXPFILL } },
        { &ei_mapihttp_response_code,
          { "mapihttp.response_code.malformed", PI_MALFORMED, PI_WARN,
            "The X-ResponseCode HTTP header is not a number", EXPFILL } },
    };
    expert_module_t *expert;

    /* A Wireshark that decodes MAPI over HTTP itself keeps its own. */
    if (proto_get_id_by_filter_name("mapihttp") != -1)
        return;
    for (uint32_t code = 0; code < MAPIHTTP_RESPONSE_CODES; code++)
        response_code_vals[code] =
            (value_string){ code, newmail_mh_response_code_name(code) };
    proto_mapihttp = proto_register_protocol("MAPI over HTTP", "MAPIHTTP", "mapihttp");
    proto_register_field_array(proto_mapihttp, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert = expert_register_protocol(proto_mapihttp);
    expert_register_field_array(expert, ei, array_length(ei));
    register_init_routine(mapihttp_init);
}

void
proto_reg_handoff_mapihttp(void)
{
    if (proto_mapihttp == -1)
        return;
    dissector_add_string("media_type", "application/mapi-http",
                         create_dissector_handle(dissect_mapihttp, proto_mapihttp));
}
