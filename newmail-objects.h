/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-objects.h: the Server objects of a session (MS-OXCROPS 2.2.1,
 * 1.3.1) and the subscriptions among them (MS-OXCNOTIF 2.2.1.2.1).
 *
 * Each ROP's InputHandleIndex and OutputHandleIndex index the call's Server
 * object handle table: the u32 handles after the ROPs of the buffer. The
 * response's table gives, at a successful ROP's OutputHandleIndex, the handle
 * of the object that ROP created; RopRelease frees the object at its
 * InputHandleIndex. The model keeps, per session, every object the capture
 * shows being made: its kind (by the RopId that made it), the frames that
 * made and released it, a table's columns (each RopSetColumns), and a
 * subscription's RopRegisterNotification fields and notifications.
 *
 * ---- Why lookups are by frame -------------------------------------------------------------
 * Servers reuse a handle once its object is released. A lookup names the
 * handle and the frame of the call's response, and finds the object that
 * was alive in that call: made in an earlier call's response (created_frame
 * < frame) and not released before this call (released_frame 0, or
 * released_frame >= frame: a call that uses an object and releases it reads
 * the object it used). Columns are those of the last RopSetColumns answered
 * in an earlier call. Every answer therefore depends only on frames before
 * the call and on the call itself, which the first pass has seen by the time
 * it reaches the call, so the first pass, every later pass and a two-pass
 * read give the same answers, without a per-frame copy of them. What a call
 * does within itself (an object made and used in the same call, columns set
 * earlier in the same call) the response walk knows from the request list.
 *
 * State only, like newmail-session.h: the first pass feeds it
 * (newmail_objects_get_or_add(), newmail_objects_update_call()); every pass
 * reads it (_of_session, _lookup, _created_in, _columns_at never create). No
 * tree, no tap. Everything lives in wmem_file_scope().
 */
#ifndef NEWMAIL_OBJECTS_H
#define NEWMAIL_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-rop-request.h"
#include "newmail-session.h"

/* Objects one session may hold over the life of the capture (live or
 * released): past it, the objects a call makes are not recorded, and that
 * call's frame says so (newmail_objects_dropped_in()). */
#define NEWMAIL_OBJECTS_MAX 65536

/* Notification frames a subscription keeps (its counts go on past it). */
#define NEWMAIL_SUBSCRIPTION_MAX_FRAMES 64

/* NotificationType bits (MS-OXCNOTIF 2.2.1.4.1.2) are bits 1 to 10 of
 * NotificationFlags' low 12 bits: counted per bit. */
#define NEWMAIL_NOTIFY_TYPE_BITS 12

/* One RopSetColumns of a table, answered in the response in `frame`. */
typedef struct {
    uint32_t frame;
    uint32_t count;
    const uint32_t *tags; /* count tags, host order */
} newmail_columns_t;

typedef struct {
    uint32_t request_frame; /* the RopRegisterNotification request */
    uint8_t notification_types;
    uint8_t want_whole_store;
    bool has_ids; /* FolderId and MessageId were sent (WantWholeStore 0) */
    uint64_t folder_id, message_id;
    /* Notifications (RopNotify with its handle) in later responses. */
    uint32_t notification_count;
    uint32_t type_counts[NEWMAIL_NOTIFY_TYPE_BITS]; /* by bit of NotificationType */
    uint32_t frame_count;                           /* frames kept, at most ..._MAX_FRAMES */
    uint32_t *frames;                               /* in frame order, each once */
} newmail_subscription_t;

typedef struct {
    uint32_t handle;
    uint8_t kind;            /* newmail_rq_object_t */
    uint8_t rop_id;          /* the ROP that made it */
    uint32_t created_frame;  /* the response that gave its handle */
    uint32_t released_frame; /* the response of the call that released it; 0: alive */
    /* Tables: each RopSetColumns, in frame order. */
    newmail_columns_t *columns;
    uint32_t columns_count, columns_capacity;
    newmail_subscription_t *subscription; /* kind SUBSCRIPTION */
} newmail_object_t;

typedef struct newmail_objects newmail_objects_t;

/* What a ROP request's response said, for newmail_objects_update_call(). */
typedef enum {
    NEWMAIL_OUTCOME_UNKNOWN = 0, /* no response read (the walk stopped before it) */
    NEWMAIL_OUTCOME_SUCCESS,
    NEWMAIL_OUTCOME_FAILURE,
} newmail_outcome_t;

/* A RopNotify of the call's response. */
typedef struct {
    uint32_t handle; /* NotificationHandle */
    uint16_t type;   /* NotificationFlags & NEWMAIL_NOTIFY_TYPE_MASK */
} newmail_objects_notify_t;

/* One call as the first pass read it: the requests (in order, with the
 * decoded input buffer their spans refer to), both handle tables (u32 LE
 * each), the outcome of each request's response (request_count entries),
 * and the RopNotify of the response. */
typedef struct {
    uint32_t frame;         /* the response */
    uint32_t request_frame; /* 0: not known */
    const uint8_t *request_buf;
    size_t request_len;
    const newmail_rop_request_t *requests;
    size_t request_count;
    const uint8_t *request_handles;
    size_t request_handle_count;
    const uint8_t *response_handles;
    size_t response_handle_count;
    const uint8_t *outcomes; /* newmail_outcome_t per request */
    const newmail_objects_notify_t *notifications;
    size_t notification_count;
} newmail_objects_call_t;

/* The objects of a session, or NULL (none recorded, or no session). Never
 * creates. */
const newmail_objects_t *newmail_objects_of_session(const newmail_session_t *session);

/* First pass: the same, made empty on first use (the ROP tree asks only
 * when a call's requests were read). NULL without a session. */
newmail_objects_t *newmail_objects_get_or_add(newmail_session_t *session);

/* First pass, once per response: what the call did to the session's objects.
 * Objects made by successful ROPs (at the response table's OutputHandleIndex
 * entry), columns of successful RopSetColumns, RopRelease, subscriptions of
 * successful RopRegisterNotification, and the notifications their handles
 * received. */
void newmail_objects_update_call(newmail_objects_t *objects, const newmail_objects_call_t *call);

/* The object `handle` named during the call whose response is `frame`
 * (see "Why lookups are by frame"), or NULL. */
const newmail_object_t *newmail_object_lookup(const newmail_objects_t *objects, uint32_t handle,
                                              uint32_t frame);

/* The object the response in `frame` made with `handle`, or NULL. */
const newmail_object_t *newmail_object_created_in(const newmail_objects_t *objects, uint32_t handle,
                                                  uint32_t frame);

/* The columns of a table object as of the call whose response is `frame`:
 * its last RopSetColumns answered before it. False when none. */
bool newmail_object_columns_at(const newmail_object_t *object, uint32_t frame,
                               const uint32_t **tags, size_t *count);

/* How many objects the response in `frame` made that were not recorded
 * because the session held NEWMAIL_OBJECTS_MAX already. */
uint32_t newmail_objects_dropped_in(const newmail_objects_t *objects, uint32_t frame);

/* What a RopNotify's NotificationHandle names as of its call (the ROP tree
 * hands these to its caller, whose tap counts them: newmail-stats.c). */
typedef enum {
    NEWMAIL_NOTIFIED_UNKNOWN = 0, /* no object in the capture has its handle */
    NEWMAIL_NOTIFIED_SUBSCRIPTION,
    NEWMAIL_NOTIFIED_OTHER, /* another object: a table, for TableModified */
} newmail_notified_tie_t;

typedef struct {
    uint16_t type;               /* NotificationFlags & NEWMAIL_NOTIFY_TYPE_MASK */
    uint8_t tie;                 /* newmail_notified_tie_t */
    uint32_t subscription_frame; /* SUBSCRIPTION: its RopRegisterNotification request */
} newmail_notified_t;

/* "Table", "Subscription", ..., "Other" for the transfer contexts. */
const char *newmail_object_kind_name(unsigned kind);

#endif /* NEWMAIL_OBJECTS_H */
