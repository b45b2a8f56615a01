/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-session.c: sessions, their signals and fetches, and asynchronous
 * context handles (see newmail-session.h).
 *
 * Why per-session arrays and not a record per signal: a busy capture holds
 * hundreds of thousands of notifications and few fetches. A signal's fetch
 * is the session's first fetch after it, found by binary search, so a
 * signal costs nothing here beyond the pending counter; a fetch keeps one
 * record that names the signals it answered.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/wmem_scopes.h>

#include "newmail-session.h"

static wmem_map_t *sessions_by_handle;       /* CXH (20 bytes) -> newmail_session_t */
static wmem_map_t *sessions_by_cookie;       /* cookie string -> newmail_session_t */
static wmem_map_t *sessions_by_request_guid; /* X-RequestId GUID (16 bytes) -> newmail_session_t */
static wmem_map_t *async_handles;            /* ACXH (20 bytes) -> newmail_async_handle_t */

static unsigned
handle_hash(gconstpointer key)
{
    return wmem_strong_hash((const uint8_t *)key, NEWMAIL_CONTEXT_HANDLE_LEN);
}

static gboolean
handle_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, NEWMAIL_CONTEXT_HANDLE_LEN) == 0;
}

G_STATIC_ASSERT(NEWMAIL_SESSION_REQUEST_GUID_LEN == NEWMAIL_KEY16_LEN);

static void
newmail_session_init(void)
{
    sessions_by_handle = wmem_map_new(wmem_file_scope(), handle_hash, handle_equal);
    sessions_by_cookie = wmem_map_new(wmem_file_scope(), wmem_str_hash, g_str_equal);
    sessions_by_request_guid =
        wmem_map_new(wmem_file_scope(), newmail_key16_hash, newmail_key16_equal);
    async_handles = wmem_map_new(wmem_file_scope(), handle_hash, handle_equal);
}

void
newmail_session_register(void)
{
    register_init_routine(newmail_session_init);
}

newmail_session_t *
newmail_session_add(const packet_info *pinfo)
{
    newmail_session_t *session = wmem_new0(wmem_file_scope(), newmail_session_t);

    session->first_frame = pinfo->num;
    return session;
}

void
newmail_session_bind_cookie(newmail_session_t *session, const char *cookie)
{
    if (session != NULL && cookie != NULL && cookie[0] != '\0')
        wmem_map_insert(sessions_by_cookie, wmem_strdup(wmem_file_scope(), cookie), session);
}

newmail_session_t *
newmail_session_lookup(const uint8_t cxh[NEWMAIL_CONTEXT_HANDLE_LEN])
{
    if (newmail_handle_is_null(cxh))
        return NULL;
    return (newmail_session_t *)wmem_map_lookup(sessions_by_handle, cxh);
}

newmail_session_t *
newmail_session_get_or_add(const uint8_t cxh[NEWMAIL_CONTEXT_HANDLE_LEN], const packet_info *pinfo)
{
    newmail_session_t *session;

    if (newmail_handle_is_null(cxh))
        return NULL;
    session = (newmail_session_t *)wmem_map_lookup(sessions_by_handle, cxh);
    if (session == NULL) {
        session = newmail_session_add(pinfo);
        wmem_map_insert(sessions_by_handle,
                        wmem_memdup(wmem_file_scope(), cxh, NEWMAIL_CONTEXT_HANDLE_LEN), session);
    }
    return session;
}

newmail_session_t *
newmail_session_lookup_by_cookie(const char *cookie)
{
    if (cookie == NULL || cookie[0] == '\0')
        return NULL;
    return (newmail_session_t *)wmem_map_lookup(sessions_by_cookie, cookie);
}

newmail_session_t *
newmail_session_get_or_add_by_cookie(const char *cookie, const packet_info *pinfo)
{
    newmail_session_t *session;

    if (cookie == NULL || cookie[0] == '\0')
        return NULL;
    session = (newmail_session_t *)wmem_map_lookup(sessions_by_cookie, cookie);
    if (session == NULL) {
        session = newmail_session_add(pinfo);
        newmail_session_bind_cookie(session, cookie);
    }
    return session;
}

newmail_session_t *
newmail_session_lookup_by_request_guid(const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN])
{
    return (newmail_session_t *)wmem_map_lookup(sessions_by_request_guid, guid);
}

void
newmail_session_bind_request_guid(newmail_session_t *session,
                                  const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN])
{
    gpointer key = NULL, value = NULL;

    if (session == NULL || guid == NULL)
        return;
    /* A GUID bound before keeps its key; only the session it names changes. */
    if (wmem_map_lookup_extended(sessions_by_request_guid, guid, (const void **)&key, &value))
        wmem_map_insert(sessions_by_request_guid, key, session);
    else
        wmem_map_insert(sessions_by_request_guid,
                        wmem_memdup(wmem_file_scope(), guid, NEWMAIL_SESSION_REQUEST_GUID_LEN),
                        session);
}

newmail_session_t *
newmail_session_get_or_add_by_request_guid(const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN],
                                           const packet_info *pinfo)
{
    newmail_session_t *session = newmail_session_lookup_by_request_guid(guid);

    if (session == NULL) {
        session = newmail_session_add(pinfo);
        newmail_session_bind_request_guid(session, guid);
    }
    return session;
}

void
newmail_session_add_signal(newmail_session_t *session, const packet_info *pinfo)
{
    if (session == NULL)
        return;
    if (session->pending_count == 0) {
        session->pending_first_frame = pinfo->num;
        session->pending_first_time = pinfo->abs_ts;
    }
    session->pending_count++;
}

uint32_t
newmail_session_add_http_signal(newmail_session_t *session, const packet_info *pinfo)
{
    uint32_t previous = session->last_http_signal;

    session->last_http_signal = pinfo->num;
    newmail_session_add_signal(session, pinfo);
    return previous;
}

/* The position of the first fetch whose frame is >= frame. */
static uint32_t
first_fetch_from(const newmail_session_t *session, uint32_t frame)
{
    uint32_t low = 0, high = session->fetch_count;

    while (low < high) {
        uint32_t middle = low + (high - low) / 2;

        if (session->fetches[middle].frame < frame)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

const newmail_fetch_t *
newmail_session_add_fetch(newmail_session_t *session, const packet_info *pinfo)
{
    newmail_fetch_t *fetch;
    uint32_t at;

    if (session == NULL)
        return NULL;
    at = first_fetch_from(session, pinfo->num);
    if (at < session->fetch_count && session->fetches[at].frame == pinfo->num)
        return &session->fetches[at];
    if (at != session->fetch_count)
        return NULL; /* a frame before the session's latest fetch */

    /* A session fetches a few times a minute at most: doubling is fine. */
    if (session->fetch_count == session->fetch_capacity) {
        session->fetch_capacity = session->fetch_capacity ? 2 * session->fetch_capacity : 4;
        session->fetches = (newmail_fetch_t *)wmem_realloc(
            wmem_file_scope(), session->fetches,
            (size_t)session->fetch_capacity * sizeof(newmail_fetch_t));
    }
    fetch = &session->fetches[session->fetch_count++];
    fetch->frame = pinfo->num;
    fetch->request_time = pinfo->abs_ts;
    fetch->first_signal = session->pending_first_frame;
    fetch->signal_count = session->pending_count;
    fetch->first_signal_time = session->pending_first_time;
    session->pending_first_frame = 0;
    session->pending_count = 0;
    return fetch;
}

const newmail_fetch_t *
newmail_session_fetch_in(const newmail_session_t *session, uint32_t frame)
{
    uint32_t at;

    if (session == NULL)
        return NULL;
    at = first_fetch_from(session, frame);
    return at < session->fetch_count && session->fetches[at].frame == frame ? &session->fetches[at]
                                                                          : NULL;
}

const newmail_fetch_t *
newmail_session_fetch_after(const newmail_session_t *session, uint32_t frame)
{
    uint32_t at;

    if (session == NULL)
        return NULL;
    at = first_fetch_from(session, frame + 1);
    return at < session->fetch_count ? &session->fetches[at] : NULL;
}

bool
newmail_session_unanswered(const newmail_session_t *session, uint32_t previous, uint32_t frame)
{
    const newmail_fetch_t *fetch;

    if (previous == 0)
        return false;
    fetch = newmail_session_fetch_after(session, previous);
    return fetch == NULL || fetch->frame >= frame;
}

newmail_async_handle_t *
newmail_async_handle_issue(const uint8_t acxh[NEWMAIL_CONTEXT_HANDLE_LEN], uint32_t connect_frame,
                           newmail_session_t *session)
{
    newmail_async_handle_t *handle;

    if (newmail_handle_is_null(acxh))
        return NULL;
    handle = wmem_new0(wmem_file_scope(), newmail_async_handle_t);
    handle->connect_frame = connect_frame;
    handle->session = session;
    /* A handle issued again (a server reusing one) starts over. */
    wmem_map_insert(async_handles, wmem_memdup(wmem_file_scope(), acxh, NEWMAIL_CONTEXT_HANDLE_LEN),
                    handle);
    return handle;
}

newmail_async_handle_t *
newmail_async_handle_lookup(const uint8_t acxh[NEWMAIL_CONTEXT_HANDLE_LEN])
{
    return (newmail_async_handle_t *)wmem_map_lookup(async_handles, acxh);
}

uint32_t
newmail_async_handle_add_signal(newmail_async_handle_t *handle, const packet_info *pinfo)
{
    uint32_t previous = handle->last_signal;

    handle->last_signal = pinfo->num;
    newmail_session_add_signal(handle->session, pinfo);
    return previous;
}
