/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-objects.c: the Server objects of a session (see newmail-objects.h).
 *
 * Memory: one newmail_object_t per object made (at most NEWMAIL_OBJECTS_MAX
 * per session), one slot in its handle's history array, a map entry per
 * distinct handle; a table's columns are copied once per RopSetColumns that
 * changes them; a subscription adds its record and, once notified, its
 * frame list (at most NEWMAIL_SUBSCRIPTION_MAX_FRAMES). BENCHMARKS.md gives
 * the bytes.
 */
#include <string.h>

#include <epan/wmem_scopes.h>

#include "newmail-objects.h"

/* The objects one handle named over the capture, in the order the first pass
 * made them (so by created_frame). */
typedef struct {
    newmail_object_t **objects;
    uint32_t count, capacity;
} handle_history_t;

struct newmail_objects {
    wmem_map_t *by_handle;      /* handle -> handle_history_t */
    uint32_t object_count;      /* objects recorded, live or released */
    wmem_map_t *dropped_frames; /* frame -> objects not recorded there; NULL: none */
};

/* Session -> its objects, emptied with each file. Made on first use: the
 * epan scope exists from Wireshark's start. */
static wmem_map_t *objects_by_session;

const newmail_objects_t *
newmail_objects_of_session(const newmail_session_t *session)
{
    if (session == NULL || objects_by_session == NULL)
        return NULL;
    return (const newmail_objects_t *)wmem_map_lookup(objects_by_session, session);
}

newmail_objects_t *
newmail_objects_get_or_add(newmail_session_t *session)
{
    newmail_objects_t *objects;

    if (session == NULL)
        return NULL;
    if (objects_by_session == NULL)
        objects_by_session = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                                    g_direct_hash, g_direct_equal);
    objects = (newmail_objects_t *)wmem_map_lookup(objects_by_session, session);
    if (objects == NULL) {
        objects = wmem_new0(wmem_file_scope(), newmail_objects_t);
        objects->by_handle = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        wmem_map_insert(objects_by_session, session, objects);
    }
    return objects;
}

static handle_history_t *
history_of(const newmail_objects_t *objects, uint32_t handle)
{
    if (objects == NULL)
        return NULL;
    return (handle_history_t *)wmem_map_lookup(objects->by_handle, GUINT_TO_POINTER(handle));
}

/* Index + 1 of the last object of the history made in a frame <= `frame`
 * (strictly before when `before`), 0 for none. */
static uint32_t
history_find(const handle_history_t *history, uint32_t frame, bool before)
{
    uint32_t lo = 0, hi = history->count;

    /* Invariant: objects [0, lo) qualify, [hi, count) do not. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t made = history->objects[mid]->created_frame;

        if (before ? made < frame : made <= frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static newmail_object_t *
object_alive(const newmail_objects_t *objects, uint32_t handle, uint32_t frame)
{
    const handle_history_t *history = history_of(objects, handle);
    newmail_object_t *object;
    uint32_t found;

    if (history == NULL)
        return NULL;
    found = history_find(history, frame, true);
    if (found == 0)
        return NULL;
    object = history->objects[found - 1];
    if (object->released_frame != 0 && object->released_frame < frame)
        return NULL;
    return object;
}

const newmail_object_t *
newmail_object_lookup(const newmail_objects_t *objects, uint32_t handle, uint32_t frame)
{
    return object_alive(objects, handle, frame);
}

const newmail_object_t *
newmail_object_created_in(const newmail_objects_t *objects, uint32_t handle, uint32_t frame)
{
    const handle_history_t *history = history_of(objects, handle);
    uint32_t found;

    if (history == NULL)
        return NULL;
    found = history_find(history, frame, false);
    if (found == 0 || history->objects[found - 1]->created_frame != frame)
        return NULL;
    return history->objects[found - 1];
}

bool
newmail_object_columns_at(const newmail_object_t *object, uint32_t frame, const uint32_t **tags,
                          size_t *count)
{
    uint32_t lo = 0, hi;

    if (object == NULL || object->kind != NEWMAIL_RQ_OBJECT_TABLE)
        return false;
    hi = object->columns_count;
    while (lo < hi) { /* the first RopSetColumns at or after `frame` */
        uint32_t mid = lo + (hi - lo) / 2;

        if (object->columns[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    *tags = object->columns[lo - 1].tags;
    *count = object->columns[lo - 1].count;
    return true;
}

uint32_t
newmail_objects_dropped_in(const newmail_objects_t *objects, uint32_t frame)
{
    if (objects == NULL || objects->dropped_frames == NULL)
        return 0;
    return GPOINTER_TO_UINT(wmem_map_lookup(objects->dropped_frames, GUINT_TO_POINTER(frame)));
}

const char *
newmail_object_kind_name(unsigned kind)
{
    switch (kind) {
    case NEWMAIL_RQ_OBJECT_FAST_TRANSFER_DOWNLOAD:
    case NEWMAIL_RQ_OBJECT_FAST_TRANSFER_UPLOAD:
    case NEWMAIL_RQ_OBJECT_SYNC_DOWNLOAD:
    case NEWMAIL_RQ_OBJECT_SYNC_UPLOAD:
        return "Other";
    default:
        return newmail_rq_object_name(kind);
    }
}

/* ---- the first pass ------------------------------------------------------------------- */

static void
note_dropped(newmail_objects_t *objects, uint32_t frame)
{
    uint32_t before;

    if (objects->dropped_frames == NULL)
        objects->dropped_frames = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    before = GPOINTER_TO_UINT(wmem_map_lookup(objects->dropped_frames, GUINT_TO_POINTER(frame)));
    wmem_map_insert(objects->dropped_frames, GUINT_TO_POINTER(frame), GUINT_TO_POINTER(before + 1));
}

/* A new object with `handle`, made by the response in `frame`; an object
 * the handle still named is released by it (the server reused the handle
 * without a RopRelease the capture shows). NULL past the bound. */
static newmail_object_t *
object_add(newmail_objects_t *objects, uint32_t handle, uint8_t kind, uint8_t rop_id,
           uint32_t frame)
{
    handle_history_t *history = history_of(objects, handle);
    newmail_object_t *object;

    if (objects->object_count >= NEWMAIL_OBJECTS_MAX) {
        note_dropped(objects, frame);
        return NULL;
    }
    if (history == NULL) {
        history = wmem_new0(wmem_file_scope(), handle_history_t);
        wmem_map_insert(objects->by_handle, GUINT_TO_POINTER(handle), history);
    }
    if (history->count > 0) {
        newmail_object_t *last = history->objects[history->count - 1];

        if (last->released_frame == 0)
            last->released_frame = frame;
    }
    if (history->count == history->capacity) {
        history->capacity = history->capacity == 0 ? 2 : history->capacity * 2;
        history->objects = (newmail_object_t **)wmem_realloc(
            wmem_file_scope(), history->objects, history->capacity * sizeof(*history->objects));
    }
    object = wmem_new0(wmem_file_scope(), newmail_object_t);
    object->handle = handle;
    object->kind = kind;
    object->rop_id = rop_id;
    object->created_frame = frame;
    history->objects[history->count++] = object;
    objects->object_count++;
    return object;
}

/* A RopSetColumns answered in `frame`: its tags, unless they repeat the
 * columns the table has. */
static void
columns_add(newmail_object_t *table, const uint8_t *buf, size_t len,
            const newmail_rop_request_t *rq, uint32_t frame)
{
    const newmail_rq_field_t *f = newmail_rop_request_find(rq, NEWMAIL_RQ_PROPERTY_TAGS);
    newmail_columns_t *last;
    uint32_t *tags;

    if (f == NULL || f->span.offset > len || f->value > (len - f->span.offset) / 4)
        return;
    tags = (uint32_t *)wmem_alloc(wmem_file_scope(), (size_t)f->value * sizeof(*tags) + 1);
    for (size_t i = 0; i < f->value; i++)
        tags[i] = newmail_rq_tag(buf, f, i);
    last = table->columns_count > 0 ? &table->columns[table->columns_count - 1] : NULL;
    if (last != NULL && last->count == f->value &&
        memcmp(last->tags, tags, (size_t)f->value * sizeof(*tags)) == 0) {
        wmem_free(wmem_file_scope(), tags);
        return;
    }
    if (table->columns_count == table->columns_capacity) {
        table->columns_capacity = table->columns_capacity == 0 ? 1 : table->columns_capacity * 2;
        table->columns = (newmail_columns_t *)wmem_realloc(
            wmem_file_scope(), table->columns, table->columns_capacity * sizeof(*table->columns));
    }
    table->columns[table->columns_count++] = (newmail_columns_t){frame, (uint32_t)f->value, tags};
}

static void
subscription_add(newmail_object_t *object, const newmail_rop_request_t *rq, uint32_t request_frame)
{
    newmail_subscription_t *s = wmem_new0(wmem_file_scope(), newmail_subscription_t);
    const newmail_rq_field_t *f;

    s->request_frame = request_frame;
    if ((f = newmail_rop_request_find(rq, NEWMAIL_RQ_NOTIFICATION_TYPES)) != NULL)
        s->notification_types = (uint8_t)f->value;
    if ((f = newmail_rop_request_find(rq, NEWMAIL_RQ_WANT_WHOLE_STORE)) != NULL)
        s->want_whole_store = (uint8_t)f->value;
    if ((f = newmail_rop_request_find(rq, NEWMAIL_RQ_FOLDER_ID)) != NULL) {
        s->has_ids = true;
        s->folder_id = f->value;
        if ((f = newmail_rop_request_find(rq, NEWMAIL_RQ_MESSAGE_ID)) != NULL)
            s->message_id = f->value;
    }
    object->subscription = s;
}

static void
subscription_notified(newmail_subscription_t *s, uint16_t type, uint32_t frame)
{
    s->notification_count++;
    for (unsigned bit = 0; bit < NEWMAIL_NOTIFY_TYPE_BITS; bit++) {
        if (type == (1u << bit)) {
            s->type_counts[bit]++;
            break;
        }
    }
    if (s->frame_count > 0 && s->frames[s->frame_count - 1] == frame)
        return;
    if (s->frame_count >= NEWMAIL_SUBSCRIPTION_MAX_FRAMES)
        return;
    /* Capacities 4, 8, ..., 64: powers of two reached as the count grows. */
    if (s->frame_count == 0 ||
        (s->frame_count >= 4 && (s->frame_count & (s->frame_count - 1)) == 0))
        s->frames = (uint32_t *)wmem_realloc(wmem_file_scope(), s->frames,
                                             (s->frame_count == 0 ? 4 : 2 * s->frame_count) *
                                                 sizeof(*s->frames));
    s->frames[s->frame_count++] = frame;
}

/* What the call's ROPs name at each handle index as they run: first the
 * object the request's table names (resolved when first used), then what
 * the call's own ROPs put there. */
typedef struct {
    newmail_objects_t *objects;
    const newmail_objects_call_t *call;
    uint8_t set[32];               /* bit i: index i set by this call */
    newmail_object_t *object[256]; /* with set: what index i names (NULL: unknown) */
} handle_slots_t;

static bool
slot_is_set(const handle_slots_t *s, uint8_t i)
{
    return (s->set[i / 8] >> (i % 8)) & 1u;
}

static void
slot_put(handle_slots_t *s, uint8_t i, newmail_object_t *object)
{
    s->set[i / 8] |= (uint8_t)(1u << (i % 8));
    s->object[i] = object;
}

static newmail_object_t *
slot_get(handle_slots_t *s, uint8_t i)
{
    if (!slot_is_set(s, i)) {
        newmail_object_t *object = NULL;

        if (i < s->call->request_handle_count)
            object = object_alive(s->objects, newmail_le32(s->call->request_handles + 4 * i),
                                  s->call->frame);
        slot_put(s, i, object);
    }
    return s->object[i];
}

void
newmail_objects_update_call(newmail_objects_t *objects, const newmail_objects_call_t *call)
{
    handle_slots_t slots_storage;
    handle_slots_t *slots = &slots_storage;

    if (objects == NULL || call == NULL)
        return;
    /* object[i] is read only once set[] says it was written. */
    memset(slots->set, 0, sizeof(slots->set));
    slots->objects = objects;
    slots->call = call;
    for (size_t k = 0; k < call->request_count; k++) {
        const newmail_rop_request_t *rq = &call->requests[k];
        newmail_outcome_t outcome = (newmail_outcome_t)call->outcomes[k];
        newmail_rq_object_t kind = newmail_rop_request_output_object(rq->rop_id);
        newmail_object_t *object;

        if (rq->rop_id == NEWMAIL_ROP_RELEASE && rq->has_input) {
            /* No response: RopRelease always succeeds (MS-OXCROPS 2.2.15.3). */
            object = slot_get(slots, rq->input_handle_index);
            if (object != NULL && object->released_frame == 0)
                object->released_frame = call->frame;
            slot_put(slots, rq->input_handle_index, NULL);
            continue;
        }
        if (rq->rop_id == NEWMAIL_ROP_SET_COLUMNS && rq->has_input &&
            outcome == NEWMAIL_OUTCOME_SUCCESS) {
            object = slot_get(slots, rq->input_handle_index);
            if (object != NULL && object->kind == NEWMAIL_RQ_OBJECT_TABLE)
                columns_add(object, call->request_buf, call->request_len, rq, call->frame);
        }
        if (!rq->has_output || kind == NEWMAIL_RQ_OBJECT_NONE || outcome == NEWMAIL_OUTCOME_FAILURE)
            continue; /* a failed ROP leaves its output index as it was */
        object = NULL;
        if (outcome == NEWMAIL_OUTCOME_SUCCESS &&
            rq->output_handle_index < call->response_handle_count) {
            uint32_t handle = newmail_le32(call->response_handles + 4 * rq->output_handle_index);

            object = object_add(objects, handle, (uint8_t)kind, rq->rop_id, call->frame);
            if (object != NULL && kind == NEWMAIL_RQ_OBJECT_SUBSCRIPTION)
                subscription_add(object, rq, call->request_frame);
        }
        slot_put(slots, rq->output_handle_index, object);
    }
    for (size_t n = 0; n < call->notification_count; n++) {
        newmail_object_t *object =
            object_alive(objects, call->notifications[n].handle, call->frame);

        if (object != NULL && object->subscription != NULL)
            subscription_notified(object->subscription, call->notifications[n].type, call->frame);
    }
}
