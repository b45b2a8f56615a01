/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-session.h: the capture's model of Exchange sessions, the signals
 * that tell a client events are pending, and the requests that fetch them.
 *
 * A session is named by its context handle (CXH, MS-OXCRPC 3.1.4.1) over
 * RPC; over MAPI/HTTP by the GUID of its requests' X-RequestId, unique per
 * session context and constant for its life (MS-OXCMAPIHTTP 2.2.3.3.2), and
 * by its session context cookie (3.1.5.1). A signal is a UDP notification (MS-OXCNOTIF 3.1.5.1), an
 * EcDoAsyncWaitEx completed with NotificationPending (MS-OXCRPC 3.3.4.1) or
 * a NotificationWait answered with EventPending (MS-OXCMAPIHTTP 2.2.4.4); the
 * client answers it with a request of the session (EcDoRpcExt2 or EcDoRpc,
 * or an Execute) whose response carries the notifications.
 *
 * State only: the UDP, DCE/RPC and HTTP dissectors feed it on the first pass
 * (functions named _add, _get_or_add, _issue create) and read it on every
 * pass (_lookup, _in, _after never create); no function here builds a tree
 * or queues a tap event. Everything lives in wmem_file_scope().
 */
#ifndef NEWMAIL_SESSION_H
#define NEWMAIL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>

#include "newmail-core.h"
#include "newmail-parse.h"

/* A request of a session that collects pending events. */
typedef struct {
    uint32_t frame;
    nstime_t request_time;
    uint32_t first_signal; /* the earliest signal it answers (the one that
                              announced the events), 0 when it answers none */
    uint32_t signal_count; /* how many signals it answers */
    nstime_t first_signal_time;
} newmail_fetch_t;

typedef struct {
    uint32_t first_frame; /* the first frame its handle or cookie appears in */
    /* Its fetch requests in frame order; later passes search them. */
    newmail_fetch_t *fetches;
    uint32_t fetch_count, fetch_capacity;
    /* First pass: the signals since its last fetch. */
    uint32_t pending_first_frame, pending_count;
    nstime_t pending_first_time;
    /* First pass: its latest NotificationWait signal (MAPI/HTTP). */
    uint32_t last_http_signal;
} newmail_session_t;

/* An asynchronous context handle (ACXH) and where it came from. */
typedef struct {
    uint32_t connect_frame;     /* the EcDoAsyncConnectEx request that issued it */
    newmail_session_t *session; /* the session of that call's cxh, or NULL */
    uint32_t last_signal;       /* first pass: its latest signal */
} newmail_async_handle_t;

/* Registers the init routine that empties the model for each file. */
void newmail_session_register(void);

/* The session named by a CXH (canonical, see newmail_canonical_handle()),
 * or NULL (also for the null handle). Never creates. */
newmail_session_t *newmail_session_lookup(const uint8_t cxh[NEWMAIL_CONTEXT_HANDLE_LEN]);

/* First pass: the same, and a handle not seen before starts a session
 * whose first frame is this one. NULL for the null handle. */
newmail_session_t *newmail_session_get_or_add(const uint8_t cxh[NEWMAIL_CONTEXT_HANDLE_LEN],
                                              const packet_info *pinfo);

/* The session a MAPI/HTTP session context cookie's value names, or NULL.
 * Never creates. */
newmail_session_t *newmail_session_lookup_by_cookie(const char *cookie);

/* First pass: the same, and a cookie not seen before starts a session. */
newmail_session_t *newmail_session_get_or_add_by_cookie(const char *cookie,
                                                        const packet_info *pinfo);

/* The bytes of a MAPI/HTTP X-RequestId GUID (newmail_mh_request_id_t's). */
#define NEWMAIL_SESSION_REQUEST_GUID_LEN 16

/* The session whose MAPI/HTTP requests carry this X-RequestId GUID, or NULL.
 * Never creates. */
newmail_session_t *
newmail_session_lookup_by_request_guid(const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN]);

/* First pass: the same, and a GUID not seen before starts a session (one
 * whose Connect is not in the capture) whose first frame is this one. */
newmail_session_t *
newmail_session_get_or_add_by_request_guid(const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN],
                                           const packet_info *pinfo);

/* First pass: from now on the X-RequestId GUID names the session (a Connect
 * that carries it starts a new session under it, even if the GUID named
 * another before). */
void newmail_session_bind_request_guid(newmail_session_t *session,
                                       const uint8_t guid[NEWMAIL_SESSION_REQUEST_GUID_LEN]);

/* First pass: a session whose name is not known yet (a MAPI/HTTP Connect
 * request: the cookie comes with its response), starting at this frame. */
newmail_session_t *newmail_session_add(const packet_info *pinfo);

/* First pass: from now on the cookie names the session. */
void newmail_session_bind_cookie(newmail_session_t *session, const char *cookie);

/* First pass: this frame signals pending events to the session (which may
 * be NULL: a signal no session is known for). */
void newmail_session_add_signal(newmail_session_t *session, const packet_info *pinfo);

/* First pass: this frame's NotificationWait signals pending events to the
 * session; returns the session's NotificationWait signal before it (0 for
 * none). */
uint32_t newmail_session_add_http_signal(newmail_session_t *session, const packet_info *pinfo);

/* First pass: this frame is a fetch request of the session; it answers the
 * signals since the previous fetch. Returns its record (the one already
 * made when the frame carries a second request of the session), or NULL
 * without a session. */
const newmail_fetch_t *newmail_session_add_fetch(newmail_session_t *session,
                                                 const packet_info *pinfo);

/* The fetch request in `frame`, on any pass once the first has been there;
 * NULL when that frame is none of the session's fetches. */
const newmail_fetch_t *newmail_session_fetch_in(const newmail_session_t *session, uint32_t frame);

/* The session's first fetch request after `frame`, or NULL. Complete only
 * once the first pass is over; on the first pass it sees the fetches up to
 * the frame being dissected, which is all the next function needs. */
const newmail_fetch_t *newmail_session_fetch_after(const newmail_session_t *session,
                                                   uint32_t frame);

/* Whether the signal in `frame` repeats the same source's signal in
 * `previous` with no fetch request of the session between them: the server
 * signalled again and the client had not reacted. Always false when
 * `previous` is 0 (no signal before), always true otherwise without a
 * session. */
bool newmail_session_unanswered(const newmail_session_t *session, uint32_t previous,
                                uint32_t frame);

/* First pass, at an EcDoAsyncConnectEx response: the ACXH it returned. */
newmail_async_handle_t *newmail_async_handle_issue(const uint8_t acxh[NEWMAIL_CONTEXT_HANDLE_LEN],
                                                   uint32_t connect_frame,
                                                   newmail_session_t *session);

/* The ACXH's record, or NULL when no EcDoAsyncConnectEx issued it. Never
 * creates. */
newmail_async_handle_t *newmail_async_handle_lookup(const uint8_t acxh[NEWMAIL_CONTEXT_HANDLE_LEN]);

/* First pass: this frame's EcDoAsyncWaitEx response signals pending events
 * through the handle; returns the handle's signal before it (0 for none). */
uint32_t newmail_async_handle_add_signal(newmail_async_handle_t *handle, const packet_info *pinfo);

#endif /* NEWMAIL_SESSION_H */
