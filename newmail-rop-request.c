/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-request.c: the ROP request reader (MS-OXCROPS 2.2.1 to
 * 2.2.15). See newmail-rop-request.h for the API and the readings chosen.
 *
 * Most requests are flat: a per-RopId list of field descriptors, read in
 * order, where a counted field takes its count from a field read before it.
 * Requests with conditional fields have a flat prefix and a hand-written
 * tail. Every read goes through newmail_cursor_take(), which checks the
 * bytes are there first; every loop is bounded by the bytes left, whatever
 * the counts say.
 */
#include <string.h>

#include "newmail-props.h"
#include "newmail-rop-request.h"

/* ---- field names --------------------------------------------------------------------- */

static const char *const rq_names[NEWMAIL_RQ_NAME_COUNT] = {
#define NEWMAIL_RQ_STRING(sym, str) str,
    NEWMAIL_RQ_NAMES(NEWMAIL_RQ_STRING)
#undef NEWMAIL_RQ_STRING
};

/* The descriptors keep names in a byte. */
_Static_assert(NEWMAIL_RQ_NAME_COUNT <= 256, "field names must fit in a uint8_t");

const char *
newmail_rq_field_name(unsigned name)
{
    return name < NEWMAIL_RQ_NAME_COUNT ? rq_names[name] : NULL;
}

const newmail_rq_field_t *
newmail_rop_request_find(const newmail_rop_request_t *rq, unsigned name)
{
    for (unsigned i = 0; i < rq->nfields && i < NEWMAIL_RQ_MAX_FIELDS; i++) {
        if (rq->field[i].name == name)
            return &rq->field[i];
    }
    return NULL;
}

/* ---- layouts ----------------------------------------------------------------------------- */

/* What a descriptor reads. The counted ops take their count from the field
 * `arg` places before them in the request (1: the field just before). */
typedef enum {
    OP_U8,
    OP_U16,
    OP_U32,
    OP_I32,
    OP_U64,
    OP_IN,      /* InputHandleIndex */
    OP_OUT,     /* OutputHandleIndex */
    OP_SRC,     /* SourceHandleIndex (kept as the input) */
    OP_DST,     /* DestHandleIndex */
    OP_RESP,    /* ResponseHandleIndex */
    OP_GUID,    /* 16 bytes */
    OP_LTID,    /* 24 bytes */
    OP_FIXED,   /* arg bytes */
    OP_BYTES,   /* counted bytes */
    OP_ESSDN,   /* counted bytes holding an ASCII string and its terminator */
    OP_RESTR,   /* counted bytes holding a restriction */
    OP_TAGS,    /* counted u32 tags */
    OP_IDS,     /* counted u64 ids */
    OP_PIDS,    /* counted u16 property ids */
    OP_SORT,    /* counted 5-byte SortOrders */
    OP_RANGES,  /* counted 48-byte LongTermIdRanges */
    OP_STRING8, /* null-terminated 8-bit string */
} op_t;

typedef struct {
    uint8_t name; /* newmail_rq_name_t */
    uint8_t op;   /* op_t */
    uint8_t arg;
} fd_t;

typedef struct read_ctx read_ctx_t;
/* A hand-written tail: reads what follows the flat prefix. */
typedef newmail_rq_status_t (*tail_fn)(read_ctx_t *x);

typedef struct {
    const fd_t *fields;
    uint8_t nfields;
    tail_fn tail;
} layout_t;

/* clang-format off */
#define F(n, o) {NEWMAIL_RQ_##n, OP_##o, 1}
#define FA(n, o, a) {NEWMAIL_RQ_##n, OP_##o, a}
#define IN F(INPUT_HANDLE_INDEX, IN)
#define OUT F(OUTPUT_HANDLE_INDEX, OUT)
#define SRC F(SOURCE_HANDLE_INDEX, SRC)
#define DST F(DEST_HANDLE_INDEX, DST)
#define RESP F(RESPONSE_HANDLE_INDEX, RESP)
/* clang-format on */

/* The layouts after RopId and LogonId, in MS-OXCROPS order. */
static const fd_t l_in_only[] = {IN};
static const fd_t l_in_out[] = {IN, OUT};
static const fd_t l_in_out_table_flags[] = {IN, OUT, F(TABLE_FLAGS, U8)};
static const fd_t l_in_folder_id[] = {IN, F(FOLDER_ID, U64)};
static const fd_t l_in_message_id[] = {IN, F(MESSAGE_ID, U64)};
static const fd_t l_in_tags[] = {IN, F(PROPERTY_TAG_COUNT, U16), F(PROPERTY_TAGS, TAGS)};
static const fd_t l_in_data[] = {IN, F(DATA_SIZE, U16), F(DATA, BYTES)};
static const fd_t l_in_bookmark[] = {IN, F(BOOKMARK_SIZE, U16), F(BOOKMARK, BYTES)};
static const fd_t l_in_transfer[] = {IN, F(TRANSFER_DATA_SIZE, U16), F(TRANSFER_DATA, BYTES)};
static const fd_t l_in_delete_messages[] = {IN, F(WANT_ASYNCHRONOUS, U8), F(NOTIFY_NON_READ, U8),
                                            F(MESSAGE_ID_COUNT, U16), F(MESSAGE_IDS, IDS)};
static const fd_t l_in_empty_folder[] = {IN, F(WANT_ASYNCHRONOUS, U8),
                                         F(WANT_DELETE_ASSOCIATED, U8)};
static const fd_t l_in_region[] = {IN, F(REGION_OFFSET, U64), F(REGION_SIZE, U64),
                                   F(LOCK_FLAGS, U32)};

static const fd_t l_logon[] = {OUT,
                               F(LOGON_FLAGS, U8),
                               F(OPEN_FLAGS, U32),
                               F(STORE_STATE, U32),
                               F(ESSDN_SIZE, U16),
                               F(ESSDN, ESSDN)};
static const fd_t l_open_folder[] = {IN, OUT, F(FOLDER_ID, U64), F(OPEN_MODE_FLAGS, U8)};
static const fd_t l_open_message[] = {
    IN, OUT, F(CODE_PAGE_ID, U16), F(FOLDER_ID, U64), F(OPEN_MODE_FLAGS, U8), F(MESSAGE_ID, U64)};
static const fd_t l_create_message[] = {IN, OUT, F(CODE_PAGE_ID, U16), F(FOLDER_ID, U64),
                                        F(ASSOCIATED_FLAG, U8)};
static const fd_t l_get_properties_specific[] = {IN, F(PROPERTY_SIZE_LIMIT, U16),
                                                 F(WANT_UNICODE, U16), F(PROPERTY_TAG_COUNT, U16),
                                                 F(PROPERTY_TAGS, TAGS)};
static const fd_t l_get_properties_all[] = {IN, F(PROPERTY_SIZE_LIMIT, U16), F(WANT_UNICODE, U16)};
static const fd_t l_set_properties[] = {IN, F(PROPERTY_VALUE_SIZE, U16),
                                        F(PROPERTY_VALUE_COUNT, U16)};
static const fd_t l_save_changes[] = {RESP, IN, F(SAVE_FLAGS, U8)};
static const fd_t l_remove_all_recipients[] = {IN, F(RESERVED, U32)};
static const fd_t l_modify_recipients[] = {IN, F(COLUMN_COUNT, U16), F(RECIPIENT_COLUMNS, TAGS),
                                           F(ROW_COUNT, U16)};
static const fd_t l_read_recipients[] = {IN, F(ROW_ID, U32), F(RESERVED, U16)};
static const fd_t l_reload_cached[] = {IN, F(RESERVED, U16)};
static const fd_t l_set_message_read_flag[] = {RESP, IN, F(READ_FLAGS, U8)};
static const fd_t l_set_columns[] = {IN, F(SET_COLUMNS_FLAGS, U8), F(PROPERTY_TAG_COUNT, U16),
                                     F(PROPERTY_TAGS, TAGS)};
static const fd_t l_sort_table[] = {IN,
                                    F(SORT_TABLE_FLAGS, U8),
                                    F(SORT_ORDER_COUNT, U16),
                                    F(CATEGORIZED_COUNT, U16),
                                    F(EXPANDED_COUNT, U16),
                                    FA(SORT_ORDERS, SORT, 3)};
static const fd_t l_restrict[] = {IN, F(RESTRICT_FLAGS, U8), F(RESTRICTION_DATA_SIZE, U16),
                                  F(RESTRICTION_DATA, RESTR)};
static const fd_t l_query_rows[] = {IN, F(QUERY_ROWS_FLAGS, U8), F(FORWARD_READ, U8),
                                    F(ROW_COUNT, U16)};
static const fd_t l_seek_row[] = {IN, F(ORIGIN, U8), F(ROW_COUNT, I32),
                                  F(WANT_ROW_MOVED_COUNT, U8)};
static const fd_t l_seek_row_bookmark[] = {IN, F(BOOKMARK_SIZE, U16), F(BOOKMARK, BYTES),
                                           F(ROW_COUNT, I32), F(WANT_ROW_MOVED_COUNT, U8)};
static const fd_t l_seek_row_fractional[] = {IN, F(NUMERATOR, U32), F(DENOMINATOR, U32)};
static const fd_t l_create_folder[] = {
    IN, OUT, F(FOLDER_TYPE, U8), F(USE_UNICODE_STRINGS, U8), F(OPEN_EXISTING, U8), F(RESERVED, U8)};
static const fd_t l_delete_folder[] = {IN, F(DELETE_FOLDER_FLAGS, U8), F(FOLDER_ID, U64)};
static const fd_t l_set_message_status[] = {IN, F(MESSAGE_ID, U64), F(MESSAGE_STATUS_FLAGS, U32),
                                            F(MESSAGE_STATUS_MASK, U32)};
static const fd_t l_open_attachment[] = {IN, OUT, F(OPEN_ATTACHMENT_FLAGS, U8),
                                         F(ATTACHMENT_ID, U32)};
static const fd_t l_delete_attachment[] = {IN, F(ATTACHMENT_ID, U32)};
static const fd_t l_set_receive_folder[] = {IN, F(FOLDER_ID, U64), F(MESSAGE_CLASS, STRING8)};
static const fd_t l_get_receive_folder[] = {IN, F(MESSAGE_CLASS, STRING8)};
static const fd_t l_register_notification[] = {IN, OUT, F(NOTIFICATION_TYPES, U8), F(RESERVED, U8),
                                               F(WANT_WHOLE_STORE, U8)};
static const fd_t l_open_stream[] = {IN, OUT, F(PROPERTY_TAG, U32), F(OPEN_MODE_FLAGS, U8)};
static const fd_t l_read_stream[] = {IN, F(BYTE_COUNT, U16)};
static const fd_t l_seek_stream[] = {IN, F(ORIGIN, U8), F(OFFSET, U64)};
static const fd_t l_set_stream_size[] = {IN, F(STREAM_SIZE, U64)};
static const fd_t l_set_search_criteria[] = {IN,
                                             F(RESTRICTION_DATA_SIZE, U16),
                                             F(RESTRICTION_DATA, RESTR),
                                             F(FOLDER_ID_COUNT, U16),
                                             F(FOLDER_IDS, IDS),
                                             F(SEARCH_FLAGS, U32)};
static const fd_t l_get_search_criteria[] = {IN, F(USE_UNICODE, U8), F(INCLUDE_RESTRICTION, U8),
                                             F(INCLUDE_FOLDERS, U8)};
static const fd_t l_submit_message[] = {IN, F(SUBMIT_FLAGS, U8)};
static const fd_t l_move_copy_messages[] = {SRC,
                                            DST,
                                            F(MESSAGE_ID_COUNT, U16),
                                            F(MESSAGE_IDS, IDS),
                                            F(WANT_ASYNCHRONOUS, U8),
                                            F(WANT_COPY, U8)};
static const fd_t l_abort_submit[] = {IN, F(FOLDER_ID, U64), F(MESSAGE_ID, U64)};
static const fd_t l_move_folder[] = {SRC, DST, F(WANT_ASYNCHRONOUS, U8), F(USE_UNICODE, U8),
                                     F(FOLDER_ID, U64)};
static const fd_t l_copy_folder[] = {SRC,
                                     DST,
                                     F(WANT_ASYNCHRONOUS, U8),
                                     F(WANT_RECURSIVE, U8),
                                     F(USE_UNICODE, U8),
                                     F(FOLDER_ID, U64)};
static const fd_t l_copy_to[] = {SRC,
                                 DST,
                                 F(WANT_ASYNCHRONOUS, U8),
                                 F(WANT_SUB_OBJECTS, U8),
                                 F(COPY_FLAGS, U8),
                                 F(EXCLUDED_TAG_COUNT, U16),
                                 F(EXCLUDED_TAGS, TAGS)};
static const fd_t l_copy_to_stream[] = {SRC, DST, F(BYTE_COUNT, U64)};
static const fd_t l_modify_permissions[] = {IN, F(MODIFY_FLAGS, U8), F(MODIFY_COUNT, U16)};
static const fd_t l_modify_rules[] = {IN, F(MODIFY_RULES_FLAGS, U8), F(RULES_COUNT, U16)};
static const fd_t l_long_term_id_from_id[] = {IN, F(OBJECT_ID, U64)};
static const fd_t l_in_long_term_id[] = {IN, F(LONG_TERM_ID, LTID)};
static const fd_t l_open_embedded_message[] = {IN, OUT, F(CODE_PAGE_ID, U16),
                                               F(OPEN_MODE_FLAGS, U8)};
static const fd_t l_spooler_lock_message[] = {IN, F(MESSAGE_ID, U64), F(LOCK_STATE, U8)};
static const fd_t l_ft_copy_messages[] = {
    IN, OUT, F(MESSAGE_ID_COUNT, U16), F(MESSAGE_IDS, IDS), F(COPY_FLAGS, U8), F(SEND_OPTIONS, U8)};
static const fd_t l_ft_copy_folder[] = {IN, OUT, F(COPY_FLAGS, U8), F(SEND_OPTIONS, U8)};
/* CopyFlags is 4 bytes here only (MS-OXCROPS 2.2.12.6.1; MAPI Inspector agrees). */
static const fd_t l_ft_copy_to[] = {IN,
                                    OUT,
                                    F(LEVEL, U8),
                                    F(COPY_FLAGS, U32),
                                    F(SEND_OPTIONS, U8),
                                    F(PROPERTY_TAG_COUNT, U16),
                                    F(PROPERTY_TAGS, TAGS)};
static const fd_t l_ft_get_buffer[] = {IN, F(BUFFER_SIZE, U16)};
static const fd_t l_find_row[] = {IN,
                                  F(FIND_ROW_FLAGS, U8),
                                  F(RESTRICTION_DATA_SIZE, U16),
                                  F(RESTRICTION_DATA, RESTR),
                                  F(ORIGIN, U8),
                                  F(BOOKMARK_SIZE, U16),
                                  F(BOOKMARK, BYTES)};
static const fd_t l_progress[] = {IN, F(WANT_CANCEL, U8)};
static const fd_t l_transport_new_mail[] = {IN, F(MESSAGE_ID, U64), F(FOLDER_ID, U64),
                                            F(MESSAGE_CLASS, STRING8), F(MESSAGE_FLAGS, U32)};
static const fd_t l_ft_destination_configure[] = {IN, OUT, F(SOURCE_OPERATION, U8),
                                                  F(COPY_FLAGS, U8)};
static const fd_t l_get_names_from_ids[] = {IN, F(PROPERTY_ID_COUNT, U16), F(PROPERTY_IDS, PIDS)};
static const fd_t l_get_ids_from_names[] = {IN, F(FLAGS, U8), F(PROPERTY_NAME_COUNT, U16)};
static const fd_t l_update_deferred_action[] = {
    IN, F(SERVER_ENTRY_ID_SIZE, U16), F(SERVER_ENTRY_ID, BYTES), F(CLIENT_ENTRY_ID_SIZE, U16),
    F(CLIENT_ENTRY_ID, BYTES)};
static const fd_t l_expand_row[] = {IN, F(MAX_ROW_COUNT, U16), F(CATEGORY_ID, U64)};
static const fd_t l_collapse_row[] = {IN, F(CATEGORY_ID, U64)};
static const fd_t l_query_named_properties[] = {IN, F(QUERY_FLAGS, U8), F(HAS_GUID, U8)};
static const fd_t l_get_per_user_long_term_ids[] = {IN, F(DATABASE_GUID, GUID)};
static const fd_t l_read_per_user_information[] = {IN, F(FOLDER_ID, LTID), F(RESERVED, U8),
                                                   F(DATA_OFFSET, U32), F(MAX_DATA_SIZE, U16)};
static const fd_t l_write_per_user_information[] = {IN,
                                                    F(FOLDER_ID, LTID),
                                                    F(HAS_FINISHED, U8),
                                                    F(DATA_OFFSET, U32),
                                                    F(DATA_SIZE, U16),
                                                    F(DATA, BYTES)};
static const fd_t l_set_read_flags[] = {IN, F(WANT_ASYNCHRONOUS, U8), F(READ_FLAGS, U8),
                                        F(MESSAGE_ID_COUNT, U16), F(MESSAGE_IDS, IDS)};
static const fd_t l_copy_properties[] = {SRC,
                                         DST,
                                         F(WANT_ASYNCHRONOUS, U8),
                                         F(COPY_FLAGS, U8),
                                         F(PROPERTY_TAG_COUNT, U16),
                                         F(PROPERTY_TAGS, TAGS)};
static const fd_t l_ft_copy_properties[] = {IN,
                                            OUT,
                                            F(LEVEL, U8),
                                            F(COPY_FLAGS, U8),
                                            F(SEND_OPTIONS, U8),
                                            F(PROPERTY_TAG_COUNT, U16),
                                            F(PROPERTY_TAGS, TAGS)};
static const fd_t l_get_collapse_state[] = {IN, F(ROW_ID, U64), F(ROW_INSTANCE_NUMBER, U32)};
static const fd_t l_set_collapse_state[] = {IN, F(COLLAPSE_STATE_SIZE, U16),
                                            F(COLLAPSE_STATE, BYTES)};
static const fd_t l_options_data[] = {IN, F(ADDRESS_TYPE, STRING8), F(WANT_WIN32, U8)};
static const fd_t l_synchronization_configure[] = {IN,
                                                   OUT,
                                                   F(SYNCHRONIZATION_TYPE, U8),
                                                   F(SEND_OPTIONS, U8),
                                                   F(SYNCHRONIZATION_FLAGS, U16),
                                                   F(RESTRICTION_DATA_SIZE, U16),
                                                   F(RESTRICTION_DATA, RESTR),
                                                   F(SYNCHRONIZATION_EXTRA_FLAGS, U32),
                                                   F(PROPERTY_TAG_COUNT, U16),
                                                   F(PROPERTY_TAGS, TAGS)};
static const fd_t l_import_message_change[] = {IN, OUT, F(IMPORT_FLAG, U8),
                                               F(PROPERTY_VALUE_COUNT, U16)};
static const fd_t l_import_hierarchy_change[] = {IN, F(HIERARCHY_VALUE_COUNT, U16)};
static const fd_t l_import_deletes[] = {IN, F(IMPORT_DELETE_FLAGS, U8),
                                        F(PROPERTY_VALUE_COUNT, U16)};
static const fd_t l_upload_state_begin[] = {IN, F(STATE_PROPERTY, U32),
                                            F(TRANSFER_BUFFER_SIZE, U32)};
static const fd_t l_upload_state_continue[] = {IN, F(STREAM_DATA_SIZE, U32), F(STREAM_DATA, BYTES)};
static const fd_t l_import_message_move[] = {IN,
                                             F(SOURCE_FOLDER_ID_SIZE, U32),
                                             F(SOURCE_FOLDER_ID, BYTES),
                                             F(SOURCE_MESSAGE_ID_SIZE, U32),
                                             F(SOURCE_MESSAGE_ID, BYTES),
                                             F(PREDECESSOR_CHANGE_LIST_SIZE, U32),
                                             F(PREDECESSOR_CHANGE_LIST, BYTES),
                                             F(DESTINATION_MESSAGE_ID_SIZE, U32),
                                             F(DESTINATION_MESSAGE_ID, BYTES),
                                             F(CHANGE_NUMBER_SIZE, U32),
                                             F(CHANGE_NUMBER, BYTES)};
static const fd_t l_synchronization_open_collector[] = {IN, OUT, F(IS_CONTENTS_COLLECTOR, U8)};
static const fd_t l_get_local_replica_ids[] = {IN, F(ID_COUNT, U32)};
static const fd_t l_import_read_state_changes[] = {IN, F(MESSAGE_READ_STATES_SIZE, U16)};
static const fd_t l_tell_version[] = {IN, FA(VERSION, FIXED, 6)};
static const fd_t l_hard_delete_messages_and_subfolders[] = {IN, F(WANT_ASYNCHRONOUS, U8),
                                                             F(WANT_DELETE_ASSOCIATED, U8)};
static const fd_t l_set_local_replica_midset_deleted[] = {
    IN, F(DATA_SIZE, U16), F(LONG_TERM_ID_RANGE_COUNT, U32), F(LONG_TERM_ID_RANGES, RANGES)};

#undef F
#undef FA
#undef IN
#undef OUT
#undef SRC
#undef DST
#undef RESP

/* ---- the reading context ---------------------------------------------------------------- */

struct read_ctx {
    newmail_cursor_t c;
    newmail_rop_request_t *rq;
    const newmail_rq_logons_t *logons;
};

static newmail_rq_field_t *
add_field(newmail_rop_request_t *rq, unsigned name, newmail_rq_kind_t kind, newmail_span_t sp,
          uint64_t value)
{
    newmail_rq_field_t *f;

    /* No layout has more than NEWMAIL_RQ_MAX_FIELDS fields (the layouts
     * are fixed, and the tails add at most four). */
    if (rq->nfields >= NEWMAIL_RQ_MAX_FIELDS)
        return NULL;
    f = &rq->field[rq->nfields++];
    f->name = (uint16_t)name;
    f->kind = (uint8_t)kind;
    f->span = sp;
    f->value = value;
    return f;
}

/* An integer field of `size` bytes; false when RopsList ends first. */
static bool
take_int(read_ctx_t *x, unsigned name, newmail_rq_kind_t kind, size_t size, uint64_t *value)
{
    newmail_span_t sp;
    const uint8_t *p;
    uint64_t v;

    if (!newmail_cursor_take(&x->c, 1, size, &sp))
        return false;
    p = x->c.buf + sp.offset;
    v = size == 1   ? p[0]
        : size == 2 ? newmail_le16(p)
        : size == 4 ? newmail_le32(p)
                    : newmail_le64(p);
    add_field(x->rq, name, kind, sp, v);
    if (value)
        *value = v;
    return true;
}

/* count elements of elem bytes: false (cursor unmoved) when they do not fit;
 * the division keeps count * elem from wrapping. */
static bool
take_array(read_ctx_t *x, unsigned name, newmail_rq_kind_t kind, uint64_t count, size_t elem)
{
    newmail_span_t sp;

    if (count > (x->c.end - x->c.pos) / elem)
        return false;
    if (!newmail_cursor_take(&x->c, 1, (size_t)count * elem, &sp))
        return false;
    add_field(x->rq, name, kind, sp, count);
    return true;
}

/* n bytes of a fixed size (GUIDs, LongTermIds, ClientData); value = n. */
static bool
take_fixed(read_ctx_t *x, unsigned name, newmail_rq_kind_t kind, size_t n)
{
    newmail_span_t sp;

    if (!newmail_cursor_take(&x->c, 1, n, &sp))
        return false;
    add_field(x->rq, name, kind, sp, n);
    return true;
}

/* A null-terminated string of `unit`-byte characters. */
static bool
take_string(read_ctx_t *x, unsigned name, size_t unit)
{
    newmail_span_t sp;
    size_t chars;

    if (!newmail_cursor_take_string(&x->c, unit, &sp, &chars)) {
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_UNTERMINATED;
        return false;
    }
    add_field(x->rq, name, unit == 1 ? NEWMAIL_RQK_STRING8 : NEWMAIL_RQK_UNICODE, sp, chars);
    return true;
}

static uint64_t
value_back(const newmail_rop_request_t *rq, unsigned back)
{
    return back >= 1 && back <= rq->nfields ? rq->field[rq->nfields - back].value : 0;
}

/* The value of the last field named `name` (0 if none was read). */
static uint64_t
value_of(const newmail_rop_request_t *rq, unsigned name)
{
    for (unsigned i = rq->nfields; i-- > 0;) {
        if (rq->field[i].name == name)
            return rq->field[i].value;
    }
    return 0;
}

/* RestrictionData holds exactly one restriction (MS-OXCDATA 2.12), read by
 * the property reader within RestrictionDataSize; anything else, or any
 * problem the reader reports, sets NEWMAIL_RQ_PROBLEM_RESTRICTION. The size
 * is known either way, so the request is still read whole. */
static void
check_restriction(read_ctx_t *x, const newmail_span_t *sp)
{
    newmail_cursor_t sub = newmail_cursor(x->c.buf, sp->offset, sp->offset + sp->length);
    unsigned problems = 0;

    if (sp->length == 0)
        return;
    if (!newmail_restriction_skip(&sub, &problems) || sub.pos != sub.end || problems != 0)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_RESTRICTION;
}

/* The size of one element of a fixed-size list kind, 0 for the others. */
static size_t
list_elem_size(unsigned kind)
{
    switch (kind) {
    case NEWMAIL_RQK_TAGS:
        return 4;
    case NEWMAIL_RQK_IDS:
        return 8;
    case NEWMAIL_RQK_PROPERTY_IDS:
        return 2;
    case NEWMAIL_RQK_SORT_ORDERS:
        return 5;
    case NEWMAIL_RQK_LONG_TERM_ID_RANGES:
        return 48;
    default:
        return 0;
    }
}

/* One TaggedPropertyValue (MS-OXCDATA 2.11.4, ROP buffer widths). */
static newmail_rq_status_t
tagged_value_take(newmail_cursor_t *c, unsigned *problems)
{
    newmail_tagged_value_t tv;

    if (!newmail_tagged_value_read(c, &tv)) {
        if (tv.problems & NEWMAIL_PROP_PROBLEM_TRUNCATED)
            return NEWMAIL_RQ_TRUNCATED;
        *problems |= NEWMAIL_RQ_PROBLEM_PROPERTY_VALUE;
        return NEWMAIL_RQ_UNREADABLE;
    }
    if (tv.problems)
        *problems |= NEWMAIL_RQ_PROBLEM_PROPERTY_VALUE;
    return NEWMAIL_RQ_READ;
}

/* Reads one element of a list of `kind` at c: NEWMAIL_RQ_READ, TRUNCATED
 * when c ends inside it, UNREADABLE when nothing gives its size (a property
 * type or a PropertyName Kind nobody defines). Problems are ORed into
 * *problems. Every element that is read takes at least 2 bytes, so a loop of
 * these is bounded by the bytes whatever the counts say. The variable ones:
 *   PROPERTY_VALUES     TaggedPropertyValue
 *   PERMISSIONS_DATA,   PermissionDataFlags/RuleDataFlags u8,
 *   RULES_DATA          PropertyValueCount u16, TaggedPropertyValues
 *   RECIPIENT_ROWS      RowId u32, RecipientType u8, RecipientRowSize u16,
 *                       RecipientRow (MS-OXCROPS 2.2.6.5.1.1)
 *   PROPERTY_NAMES      MS-OXCDATA 2.6.1: Kind u8, GUID 16, then LID u32
 *                       (Kind 0) or NameSize u8 and NameSize bytes of
 *                       UTF-16LE (Kind 1), nothing more for Kind 0xFF.
 *                       MAPI Inspector reads no GUID for Kind 0xFF;
 *                       MS-OXCDATA gives one for every Kind, and so here.
 *   MESSAGE_READ_STATES MessageIdSize u16, MessageId, MarkAsRead u8
 *                       (MS-OXCROPS 2.2.13.3.1.1) */
static newmail_rq_status_t
elem_take(newmail_cursor_t *c, unsigned kind, unsigned *problems)
{
    size_t fixed = list_elem_size(kind);
    newmail_rq_status_t st;
    newmail_span_t sp;
    uint16_t n;

#define TAKE(len)                                                                                  \
    do {                                                                                           \
        if (!newmail_cursor_take(c, 1, (len), &sp))                                                \
            return NEWMAIL_RQ_TRUNCATED;                                                           \
    } while (0)
    if (fixed) {
        TAKE(fixed);
        return NEWMAIL_RQ_READ;
    }
    switch (kind) {
    case NEWMAIL_RQK_PROPERTY_VALUES:
        return tagged_value_take(c, problems);
    case NEWMAIL_RQK_PERMISSIONS_DATA:
    case NEWMAIL_RQK_RULES_DATA:
        TAKE(3);
        n = newmail_le16(c->buf + sp.offset + 1);
        for (uint16_t i = 0; i < n; i++) {
            if ((st = tagged_value_take(c, problems)) != NEWMAIL_RQ_READ)
                return st;
        }
        return NEWMAIL_RQ_READ;
    case NEWMAIL_RQK_RECIPIENT_ROWS:
        TAKE(7);
        TAKE(newmail_le16(c->buf + sp.offset + 5));
        return NEWMAIL_RQ_READ;
    case NEWMAIL_RQK_PROPERTY_NAMES:
        TAKE(17);
        switch (c->buf[sp.offset]) {
        case 0x00:
            TAKE(4);
            return NEWMAIL_RQ_READ;
        case 0x01:
            TAKE(1);
            TAKE(c->buf[sp.offset]);
            return NEWMAIL_RQ_READ;
        case 0xFF:
            return NEWMAIL_RQ_READ;
        default:
            *problems |= NEWMAIL_RQ_PROBLEM_PROPERTY_NAME;
            return NEWMAIL_RQ_UNREADABLE;
        }
    case NEWMAIL_RQK_MESSAGE_READ_STATES:
        TAKE(2);
        TAKE(newmail_le16(c->buf + sp.offset));
        TAKE(1);
        return NEWMAIL_RQ_READ;
    default:
        return NEWMAIL_RQ_UNREADABLE;
    }
#undef TAKE
}

/* count elements of `kind` at the cursor, reported as one field `name` whose
 * value is the count (the elements read whole when one fails). */
static newmail_rq_status_t
take_list(read_ctx_t *x, unsigned name, newmail_rq_kind_t kind, uint64_t count)
{
    size_t start = x->c.pos;
    newmail_rq_status_t st = NEWMAIL_RQ_READ;
    uint64_t i;

    for (i = 0; i < count; i++) {
        size_t at = x->c.pos;

        if ((st = elem_take(&x->c, kind, &x->rq->problems)) != NEWMAIL_RQ_READ) {
            x->c.pos = at;
            break;
        }
    }
    add_field(x->rq, name, kind, newmail_span(start, x->c.pos - start), i);
    return st;
}

/* The elements of `kind` that lie wholly in sp, at most max of them: *n
 * gets how many; true when they fill sp exactly. */
static bool
tile(const uint8_t *buf, newmail_span_t sp, unsigned kind, uint64_t max, uint64_t *n,
     unsigned *problems)
{
    newmail_cursor_t c = newmail_cursor(buf, sp.offset, sp.offset + sp.length);

    for (*n = 0; *n < max && c.pos < c.end; (*n)++) {
        if (elem_take(&c, kind, problems) != NEWMAIL_RQ_READ)
            return false;
    }
    return c.pos == c.end;
}

bool
newmail_rq_list_next(const uint8_t *buf, const newmail_rq_field_t *f, size_t *pos,
                     newmail_span_t *elem)
{
    size_t end = f->span.offset + f->span.length;
    newmail_cursor_t c;
    unsigned problems = 0;

    if (*pos < f->span.offset || *pos >= end)
        return false;
    c = newmail_cursor(buf, *pos, end);
    if (elem_take(&c, f->kind, &problems) != NEWMAIL_RQ_READ)
        return false;
    *elem = newmail_span(*pos, c.pos - *pos);
    *pos = c.pos;
    return true;
}

/* Reads one descriptor; false when RopsList ends first. */
static bool
read_fd(read_ctx_t *x, const fd_t *d)
{
    newmail_rop_request_t *rq = x->rq;
    uint64_t v, count;

    switch ((op_t)d->op) {
    case OP_U8:
        return take_int(x, d->name, NEWMAIL_RQK_U8, 1, NULL);
    case OP_U16:
        return take_int(x, d->name, NEWMAIL_RQK_U16, 2, NULL);
    case OP_U32:
        return take_int(x, d->name, NEWMAIL_RQK_U32, 4, NULL);
    case OP_I32:
        return take_int(x, d->name, NEWMAIL_RQK_I32, 4, NULL);
    case OP_U64:
        return take_int(x, d->name, NEWMAIL_RQK_U64, 8, NULL);
    case OP_IN:
    case OP_SRC:
        if (!take_int(x, d->name, NEWMAIL_RQK_HANDLE_INDEX, 1, &v))
            return false;
        rq->has_input = true;
        rq->input_handle_index = (uint8_t)v;
        return true;
    case OP_OUT:
        if (!take_int(x, d->name, NEWMAIL_RQK_HANDLE_INDEX, 1, &v))
            return false;
        rq->has_output = true;
        rq->output_handle_index = (uint8_t)v;
        return true;
    case OP_DST:
        if (!take_int(x, d->name, NEWMAIL_RQK_HANDLE_INDEX, 1, &v))
            return false;
        rq->has_dest = true;
        rq->dest_handle_index = (uint8_t)v;
        return true;
    case OP_RESP:
        return take_int(x, d->name, NEWMAIL_RQK_HANDLE_INDEX, 1, NULL);
    case OP_GUID:
        return take_fixed(x, d->name, NEWMAIL_RQK_GUID, 16);
    case OP_LTID:
        return take_fixed(x, d->name, NEWMAIL_RQK_LONG_TERM_ID, 24);
    case OP_FIXED:
        return take_fixed(x, d->name, NEWMAIL_RQK_BYTES, d->arg);
    case OP_BYTES:
        return take_array(x, d->name, NEWMAIL_RQK_BYTES, value_back(rq, d->arg), 1);
    case OP_RESTR:
        if (!take_array(x, d->name, NEWMAIL_RQK_RESTRICTION, value_back(rq, d->arg), 1))
            return false;
        check_restriction(x, &rq->field[rq->nfields - 1].span);
        return true;
    case OP_ESSDN:
        count = value_back(rq, d->arg);
        if (!take_array(x, d->name, NEWMAIL_RQK_STRING8_COUNTED, count, 1))
            return false;
        /* EssdnSize counts the terminator (MS-OXCROPS 2.2.3.1.1). */
        if (count > 0 && x->c.buf[x->c.pos - 1] != 0)
            rq->problems |= NEWMAIL_RQ_PROBLEM_UNTERMINATED;
        return true;
    case OP_TAGS:
        return take_array(x, d->name, NEWMAIL_RQK_TAGS, value_back(rq, d->arg), 4);
    case OP_IDS:
        return take_array(x, d->name, NEWMAIL_RQK_IDS, value_back(rq, d->arg), 8);
    case OP_PIDS:
        return take_array(x, d->name, NEWMAIL_RQK_PROPERTY_IDS, value_back(rq, d->arg), 2);
    case OP_SORT:
        return take_array(x, d->name, NEWMAIL_RQK_SORT_ORDERS, value_back(rq, d->arg), 5);
    case OP_RANGES:
        return take_array(x, d->name, NEWMAIL_RQK_LONG_TERM_ID_RANGES, value_back(rq, d->arg), 48);
    case OP_STRING8:
        return take_string(x, d->name, 1);
    }
    return false;
}

/* ---- the hand-written tails ---------------------------------------------------------------- */

#define NEED(expr)                                                                                 \
    do {                                                                                           \
        if (!(expr))                                                                               \
            return NEWMAIL_RQ_TRUNCATED;                                                           \
    } while (0)

/* Is logon_id a private-mailbox logon? -1 when unknown. */
static int
logon_private(const read_ctx_t *x)
{
    uint8_t id = x->rq->logon_id;

    if (x->logons == NULL || !(x->logons->known[id / 8] & (1u << (id % 8))))
        return -1;
    return (x->logons->private_[id / 8] & (1u << (id % 8))) != 0;
}

/* RopRegisterNotification (2.2.14.1.1): FolderId, MessageId when
 * WantWholeStore is 0. */
static newmail_rq_status_t
tail_register_notification(read_ctx_t *x)
{
    if (value_of(x->rq, NEWMAIL_RQ_RESERVED) != 0)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_RESERVED;
    if (value_of(x->rq, NEWMAIL_RQ_WANT_WHOLE_STORE) == 0) {
        NEED(take_int(x, NEWMAIL_RQ_FOLDER_ID, NEWMAIL_RQK_U64, 8, NULL));
        NEED(take_int(x, NEWMAIL_RQ_MESSAGE_ID, NEWMAIL_RQK_U64, 8, NULL));
    }
    return NEWMAIL_RQ_READ;
}

/* RopReadStream (2.2.9.2.1): MaximumByteCount when ByteCount is 0xBABE. */
static newmail_rq_status_t
tail_read_stream(read_ctx_t *x)
{
    if (value_of(x->rq, NEWMAIL_RQ_BYTE_COUNT) == 0xBABE)
        NEED(take_int(x, NEWMAIL_RQ_MAXIMUM_BYTE_COUNT, NEWMAIL_RQK_U32, 4, NULL));
    return NEWMAIL_RQ_READ;
}

/* RopFastTransferSourceGetBuffer (2.2.12.3.1): MaximumBufferSize when
 * BufferSize is 0xBABE. */
static newmail_rq_status_t
tail_ft_get_buffer(read_ctx_t *x)
{
    if (value_of(x->rq, NEWMAIL_RQ_BUFFER_SIZE) == 0xBABE)
        NEED(take_int(x, NEWMAIL_RQ_MAXIMUM_BUFFER_SIZE, NEWMAIL_RQK_U16, 2, NULL));
    return NEWMAIL_RQ_READ;
}

/* RopSetMessageReadFlag (2.2.6.11.1): ClientData, 24 bytes, on a public
 * folders logon only. */
static newmail_rq_status_t
tail_set_message_read_flag(read_ctx_t *x)
{
    int priv = logon_private(x);

    if (priv < 0)
        return NEWMAIL_RQ_NEEDS_LOGON;
    if (!priv)
        NEED(take_fixed(x, NEWMAIL_RQ_CLIENT_DATA, NEWMAIL_RQK_BYTES, 24));
    return NEWMAIL_RQ_READ;
}

/* RopWritePerUserInformation (2.2.3.13.1): ReplGuid when DataOffset is 0 on a
 * private mailbox logon. */
static newmail_rq_status_t
tail_write_per_user_information(read_ctx_t *x)
{
    int priv;

    if (value_of(x->rq, NEWMAIL_RQ_DATA_OFFSET) != 0)
        return NEWMAIL_RQ_READ;
    priv = logon_private(x);
    if (priv < 0)
        return NEWMAIL_RQ_NEEDS_LOGON;
    if (priv)
        NEED(take_fixed(x, NEWMAIL_RQ_REPL_GUID, NEWMAIL_RQK_GUID, 16));
    return NEWMAIL_RQ_READ;
}

/* RopCreateFolder (2.2.4.2.1): DisplayName and Comment, UTF-16LE when
 * UseUnicodeStrings is nonzero. */
static newmail_rq_status_t
tail_create_folder(read_ctx_t *x)
{
    size_t unit = value_of(x->rq, NEWMAIL_RQ_USE_UNICODE_STRINGS) ? 2 : 1;

    if (value_of(x->rq, NEWMAIL_RQ_RESERVED) != 0)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_RESERVED;
    NEED(take_string(x, NEWMAIL_RQ_DISPLAY_NAME, unit));
    NEED(take_string(x, NEWMAIL_RQ_COMMENT, unit));
    return NEWMAIL_RQ_READ;
}

/* RopMoveFolder (2.2.4.7.1), RopCopyFolder (2.2.4.8.1): NewFolderName,
 * UTF-16LE when UseUnicode is nonzero. */
static newmail_rq_status_t
tail_new_folder_name(read_ctx_t *x)
{
    NEED(take_string(x, NEWMAIL_RQ_NEW_FOLDER_NAME,
                     value_of(x->rq, NEWMAIL_RQ_USE_UNICODE) ? 2 : 1));
    return NEWMAIL_RQ_READ;
}

/* RopQueryNamedProperties (2.2.10.10.1): PropertyGuid when HasGuid is
 * nonzero. */
static newmail_rq_status_t
tail_query_named_properties(read_ctx_t *x)
{
    if (value_of(x->rq, NEWMAIL_RQ_HAS_GUID) != 0)
        NEED(take_fixed(x, NEWMAIL_RQ_PROPERTY_GUID, NEWMAIL_RQK_GUID, 16));
    return NEWMAIL_RQ_READ;
}

/* RopSetProperties (2.2.8.5.1), RopSetPropertiesNoReplicate (2.2.8.6.1):
 * PropertyValueSize counts PropertyValueCount (2 bytes) and PropertyValues. */
static newmail_rq_status_t
tail_set_properties(read_ctx_t *x)
{
    uint64_t size = value_of(x->rq, NEWMAIL_RQ_PROPERTY_VALUE_SIZE);
    uint64_t count = value_of(x->rq, NEWMAIL_RQ_PROPERTY_VALUE_COUNT), n;
    newmail_span_t sp;

    if (size < 2) {
        /* PropertyValueCount was read, so at least 2 bytes were counted. */
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_SIZE;
        size = 2;
    }
    NEED(newmail_cursor_take(&x->c, 1, (size_t)(size - 2), &sp));
    add_field(x->rq, NEWMAIL_RQ_PROPERTY_VALUES, NEWMAIL_RQK_PROPERTY_VALUES, sp, count);
    /* The values must fill PropertyValueSize exactly. The size is known
     * whatever they hold, so the request is read whole either way. */
    if (!tile(x->c.buf, sp, NEWMAIL_RQK_PROPERTY_VALUES, count, &n, &x->rq->problems) || n != count)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_SIZE;
    return NEWMAIL_RQ_READ;
}

/* RopModifyRecipients (2.2.6.5.1): RowCount ModifyRecipientRows, reported
 * as one span; the RecipientRows are laid out by RecipientColumns. */
static newmail_rq_status_t
tail_modify_recipients(read_ctx_t *x)
{
    return take_list(x, NEWMAIL_RQ_RECIPIENT_ROWS, NEWMAIL_RQK_RECIPIENT_ROWS,
                     value_of(x->rq, NEWMAIL_RQ_ROW_COUNT));
}

/* RopGetPropertyIdsFromNames (2.2.10.1.1): PropertyNameCount PropertyNames. */
static newmail_rq_status_t
tail_get_ids_from_names(read_ctx_t *x)
{
    return take_list(x, NEWMAIL_RQ_PROPERTY_NAMES, NEWMAIL_RQK_PROPERTY_NAMES,
                     value_of(x->rq, NEWMAIL_RQ_PROPERTY_NAME_COUNT));
}

/* RopSynchronizationImportReadStateChanges (2.2.13.3.1): MessageReadStates,
 * MessageReadStatesSize bytes of MessageReadState entries; value = entries.
 * Entries that do not fill the size set NEWMAIL_RQ_PROBLEM_SIZE. */
static newmail_rq_status_t
tail_read_state_changes(read_ctx_t *x)
{
    newmail_span_t sp;
    uint64_t n;

    NEED(newmail_cursor_take(&x->c, 1, value_of(x->rq, NEWMAIL_RQ_MESSAGE_READ_STATES_SIZE), &sp));
    if (!tile(x->c.buf, sp, NEWMAIL_RQK_MESSAGE_READ_STATES, UINT64_MAX, &n, &x->rq->problems))
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_SIZE;
    add_field(x->rq, NEWMAIL_RQ_MESSAGE_READ_STATES, NEWMAIL_RQK_MESSAGE_READ_STATES, sp, n);
    return NEWMAIL_RQ_READ;
}

/* RopSetLocalReplicaMidsetDeleted (2.2.13.12.1): DataSize counts
 * LongTermIdRangeCount and LongTermIdRanges; the ranges are read by their
 * count (as MAPI Inspector does) and a disagreeing DataSize is flagged. */
static newmail_rq_status_t
tail_midset_deleted(read_ctx_t *x)
{
    uint64_t size = value_of(x->rq, NEWMAIL_RQ_DATA_SIZE);
    uint64_t count = value_of(x->rq, NEWMAIL_RQ_LONG_TERM_ID_RANGE_COUNT);

    if (size != 4 + count * 48)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_SIZE;
    return NEWMAIL_RQ_READ;
}

/* A TaggedPropertyValue list after its count (the field just read):
 * RopSynchronizationImportMessageChange (2.2.13.2.1),
 * RopSynchronizationImportDeletes (2.2.13.5.1). */
static newmail_rq_status_t
tail_property_values(read_ctx_t *x)
{
    return take_list(x, NEWMAIL_RQ_PROPERTY_VALUES, NEWMAIL_RQK_PROPERTY_VALUES,
                     x->rq->field[x->rq->nfields - 1].value);
}

/* RopSynchronizationImportHierarchyChange (2.2.13.4.1): HierarchyValues,
 * PropertyValueCount, PropertyValues. */
static newmail_rq_status_t
tail_import_hierarchy_change(read_ctx_t *x)
{
    newmail_rq_status_t st = take_list(x, NEWMAIL_RQ_HIERARCHY_VALUES, NEWMAIL_RQK_PROPERTY_VALUES,
                                       value_of(x->rq, NEWMAIL_RQ_HIERARCHY_VALUE_COUNT));

    if (st != NEWMAIL_RQ_READ)
        return st;
    NEED(take_int(x, NEWMAIL_RQ_PROPERTY_VALUE_COUNT, NEWMAIL_RQK_U16, 2, NULL));
    return tail_property_values(x);
}

/* RopModifyPermissions (2.2.10.6.1; MS-OXCPERM 2.2.2 PermissionData) and
 * RopModifyRules (2.2.11.1.1; MS-OXORULE 2.2.1.3 RuleData): ModifyCount /
 * RulesCount entries, reported as one span and the entry count. RuleData's
 * values are read with ROP buffer widths (16-bit PtypBinary counts,
 * MS-OXCDATA 2.11.1.1); MAPI Inspector reads them with the 32-bit counts of
 * extended rules (MS-OXORULE 2.2.4) since its January 2026 refactoring, 16
 * bits before it. */
static newmail_rq_status_t
tail_flagged_value_lists(read_ctx_t *x)
{
    bool perms = x->rq->rop_id == 0x40;

    return take_list(x, perms ? NEWMAIL_RQ_PERMISSIONS_DATA : NEWMAIL_RQ_RULES_DATA,
                     perms ? NEWMAIL_RQK_PERMISSIONS_DATA : NEWMAIL_RQK_RULES_DATA,
                     x->rq->field[x->rq->nfields - 1].value);
}

/* RopSortTable (2.2.5.2.1): the SortOrderSet is sized by its count; the
 * property reader checks the counts and Order values (MS-OXCDATA 2.13). */
static newmail_rq_status_t
tail_sort_table(read_ctx_t *x)
{
    const newmail_rq_field_t *f = newmail_rop_request_find(x->rq, NEWMAIL_RQ_SORT_ORDER_COUNT);
    newmail_cursor_t sub;
    newmail_sort_order_set_t set;

    if (f == NULL)
        return NEWMAIL_RQ_READ;
    sub = newmail_cursor(x->c.buf, f->span.offset, x->c.pos);
    if (!newmail_sort_order_set_read(&sub, &set) || set.problems != 0)
        x->rq->problems |= NEWMAIL_RQ_PROBLEM_SORT_ORDERS;
    return NEWMAIL_RQ_READ;
}

#undef NEED

/* ---- the RopId table ---------------------------------------------------------------------- */

#define FLAT(l)                                                                                    \
    {                                                                                              \
        l, (uint8_t)(sizeof(l) / sizeof(l[0])), NULL                                               \
    }
#define TAIL(l, fn)                                                                                \
    {                                                                                              \
        l, (uint8_t)(sizeof(l) / sizeof(l[0])), fn                                                 \
    }

static const layout_t layouts[256] = {
    [0x01] = FLAT(l_in_only), /* RopRelease */
    [0x02] = FLAT(l_open_folder),
    [0x03] = FLAT(l_open_message),
    [0x04] = FLAT(l_in_out_table_flags), /* RopGetHierarchyTable */
    [0x05] = FLAT(l_in_out_table_flags), /* RopGetContentsTable */
    [0x06] = FLAT(l_create_message),
    [0x07] = FLAT(l_get_properties_specific),
    [0x08] = FLAT(l_get_properties_all),
    [0x09] = FLAT(l_in_only), /* RopGetPropertiesList */
    [0x0A] = TAIL(l_set_properties, tail_set_properties),
    [0x0B] = FLAT(l_in_tags),      /* RopDeleteProperties */
    [0x0C] = FLAT(l_save_changes), /* RopSaveChangesMessage */
    [0x0D] = FLAT(l_remove_all_recipients),
    [0x0E] = TAIL(l_modify_recipients, tail_modify_recipients),
    [0x0F] = FLAT(l_read_recipients),
    [0x10] = FLAT(l_reload_cached),
    [0x11] = TAIL(l_set_message_read_flag, tail_set_message_read_flag),
    [0x12] = FLAT(l_set_columns),
    [0x13] = TAIL(l_sort_table, tail_sort_table),
    [0x14] = FLAT(l_restrict),
    [0x15] = FLAT(l_query_rows),
    [0x16] = FLAT(l_in_only), /* RopGetStatus */
    [0x17] = FLAT(l_in_only), /* RopQueryPosition */
    [0x18] = FLAT(l_seek_row),
    [0x19] = FLAT(l_seek_row_bookmark),
    [0x1A] = FLAT(l_seek_row_fractional),
    [0x1B] = FLAT(l_in_only), /* RopCreateBookmark */
    [0x1C] = TAIL(l_create_folder, tail_create_folder),
    [0x1D] = FLAT(l_delete_folder),
    [0x1E] = FLAT(l_in_delete_messages), /* RopDeleteMessages */
    [0x1F] = FLAT(l_in_message_id),      /* RopGetMessageStatus */
    [0x20] = FLAT(l_set_message_status),
    [0x21] = FLAT(l_in_out_table_flags), /* RopGetAttachmentTable */
    [0x22] = FLAT(l_open_attachment),
    [0x23] = FLAT(l_in_out), /* RopCreateAttachment */
    [0x24] = FLAT(l_delete_attachment),
    [0x25] = FLAT(l_save_changes), /* RopSaveChangesAttachment */
    [0x26] = FLAT(l_set_receive_folder),
    [0x27] = FLAT(l_get_receive_folder),
    [0x29] = TAIL(l_register_notification, tail_register_notification),
    [0x2B] = FLAT(l_open_stream),
    [0x2C] = TAIL(l_read_stream, tail_read_stream),
    [0x2D] = FLAT(l_in_data), /* RopWriteStream */
    [0x2E] = FLAT(l_seek_stream),
    [0x2F] = FLAT(l_set_stream_size),
    [0x30] = FLAT(l_set_search_criteria),
    [0x31] = FLAT(l_get_search_criteria),
    [0x32] = FLAT(l_submit_message),
    [0x33] = FLAT(l_move_copy_messages),
    [0x34] = FLAT(l_abort_submit),
    [0x35] = TAIL(l_move_folder, tail_new_folder_name),
    [0x36] = TAIL(l_copy_folder, tail_new_folder_name),
    [0x37] = FLAT(l_in_only), /* RopQueryColumnsAll */
    [0x38] = FLAT(l_in_only), /* RopAbort */
    [0x39] = FLAT(l_copy_to),
    [0x3A] = FLAT(l_copy_to_stream),
    [0x3B] = FLAT(l_in_out),             /* RopCloneStream */
    [0x3E] = FLAT(l_in_out_table_flags), /* RopGetPermissionsTable */
    [0x3F] = FLAT(l_in_out_table_flags), /* RopGetRulesTable */
    [0x40] = TAIL(l_modify_permissions, tail_flagged_value_lists),
    [0x41] = TAIL(l_modify_rules, tail_flagged_value_lists),
    [0x42] = FLAT(l_in_folder_id), /* RopGetOwningServers */
    [0x43] = FLAT(l_long_term_id_from_id),
    [0x44] = FLAT(l_in_long_term_id), /* RopIdFromLongTermId */
    [0x45] = FLAT(l_in_folder_id),    /* RopPublicFolderIsGhosted */
    [0x46] = FLAT(l_open_embedded_message),
    [0x47] = FLAT(l_in_only), /* RopSetSpooler */
    [0x48] = FLAT(l_spooler_lock_message),
    [0x49] = FLAT(l_in_only), /* RopGetAddressTypes */
    [0x4A] = FLAT(l_in_only), /* RopTransportSend */
    [0x4B] = FLAT(l_ft_copy_messages),
    [0x4C] = FLAT(l_ft_copy_folder),
    [0x4D] = FLAT(l_ft_copy_to),
    [0x4E] = TAIL(l_ft_get_buffer, tail_ft_get_buffer),
    [0x4F] = FLAT(l_find_row),
    [0x50] = FLAT(l_progress),
    [0x51] = FLAT(l_transport_new_mail),
    [0x52] = FLAT(l_in_only), /* RopGetValidAttachments */
    [0x53] = FLAT(l_ft_destination_configure),
    [0x54] = FLAT(l_in_transfer), /* RopFastTransferDestinationPutBuffer */
    [0x55] = FLAT(l_get_names_from_ids),
    [0x56] = TAIL(l_get_ids_from_names, tail_get_ids_from_names),
    [0x57] = FLAT(l_update_deferred_action),
    [0x58] = FLAT(l_in_empty_folder), /* RopEmptyFolder */
    [0x59] = FLAT(l_expand_row),
    [0x5A] = FLAT(l_collapse_row),
    [0x5B] = FLAT(l_in_region), /* RopLockRegionStream */
    [0x5C] = FLAT(l_in_region), /* RopUnlockRegionStream */
    [0x5D] = FLAT(l_in_only),   /* RopCommitStream */
    [0x5E] = FLAT(l_in_only),   /* RopGetStreamSize */
    [0x5F] = TAIL(l_query_named_properties, tail_query_named_properties),
    [0x60] = FLAT(l_get_per_user_long_term_ids),
    [0x61] = FLAT(l_in_long_term_id), /* RopGetPerUserGuid */
    [0x63] = FLAT(l_read_per_user_information),
    [0x64] = TAIL(l_write_per_user_information, tail_write_per_user_information),
    [0x66] = FLAT(l_set_read_flags),
    [0x67] = FLAT(l_copy_properties),
    [0x68] = FLAT(l_in_only), /* RopGetReceiveFolderTable */
    [0x69] = FLAT(l_ft_copy_properties),
    [0x6B] = FLAT(l_get_collapse_state),
    [0x6C] = FLAT(l_set_collapse_state),
    [0x6D] = FLAT(l_in_only), /* RopGetTransportFolder */
    [0x6F] = FLAT(l_options_data),
    [0x70] = FLAT(l_synchronization_configure),
    [0x72] = TAIL(l_import_message_change, tail_property_values),
    [0x73] = TAIL(l_import_hierarchy_change, tail_import_hierarchy_change),
    [0x74] = TAIL(l_import_deletes, tail_property_values),
    [0x75] = FLAT(l_upload_state_begin),
    [0x76] = FLAT(l_upload_state_continue),
    [0x77] = FLAT(l_in_only), /* RopSynchronizationUploadStateStreamEnd */
    [0x78] = FLAT(l_import_message_move),
    [0x79] = TAIL(l_set_properties, tail_set_properties), /* ...NoReplicate */
    [0x7A] = FLAT(l_in_tags),                             /* RopDeletePropertiesNoReplicate */
    [0x7B] = FLAT(l_in_only),                             /* RopGetStoreState */
    [0x7E] = FLAT(l_synchronization_open_collector),
    [0x7F] = FLAT(l_get_local_replica_ids),
    [0x80] = TAIL(l_import_read_state_changes, tail_read_state_changes),
    [0x81] = FLAT(l_in_only), /* RopResetTable */
    [0x82] = FLAT(l_in_out),  /* RopSynchronizationGetTransferState */
    [0x86] = FLAT(l_tell_version),
    [0x89] = FLAT(l_in_bookmark),        /* RopFreeBookmark */
    [0x90] = FLAT(l_in_data),            /* RopWriteAndCommitStream */
    [0x91] = FLAT(l_in_delete_messages), /* RopHardDeleteMessages */
    [0x92] = FLAT(l_hard_delete_messages_and_subfolders),
    [0x93] = TAIL(l_set_local_replica_midset_deleted, tail_midset_deleted),
    [0x9D] = FLAT(l_in_transfer), /* RopFastTransferDestinationPutBufferExtended */
    [0xA3] = FLAT(l_in_data),     /* RopWriteStreamExtended */
    [0xFE] = FLAT(l_logon),
};
#undef FLAT
#undef TAIL

/* ---- one request ------------------------------------------------------------------------- */

newmail_rq_status_t
newmail_rop_request_read(const uint8_t *buf, size_t pos, size_t end,
                         const newmail_rq_logons_t *logons, newmail_rop_request_t *out)
{
    read_ctx_t x;
    const layout_t *l;
    newmail_span_t sp;

    memset(out, 0, sizeof(*out));
    x.c = newmail_cursor(buf, pos, pos <= end ? end : pos);
    x.rq = out;
    x.logons = logons;
    out->span = newmail_span(pos, 0);
    out->status = NEWMAIL_RQ_TRUNCATED;
    if (buf == NULL || pos >= end)
        return out->status;

    sp = newmail_span(pos, 1);
    x.c.pos = pos + 1;
    out->rop_id = buf[pos];
    add_field(out, NEWMAIL_RQ_ROP_ID, NEWMAIL_RQK_U8, sp, out->rop_id);
    l = &layouts[out->rop_id];
    if (l->fields == NULL) {
        out->problems |= newmail_rop_name(out->rop_id) != NULL ? NEWMAIL_RQ_PROBLEM_RESPONSE_ONLY
                                                               : NEWMAIL_RQ_PROBLEM_UNKNOWN_ID;
        out->status = NEWMAIL_RQ_UNKNOWN;
        goto done;
    }
    if (newmail_cursor_take(&x.c, 1, 1, &sp)) {
        out->logon_id = buf[sp.offset];
        add_field(out, NEWMAIL_RQ_LOGON_ID, NEWMAIL_RQK_U8, sp, out->logon_id);
    } else {
        goto done;
    }
    for (unsigned i = 0; i < l->nfields; i++) {
        if (!read_fd(&x, &l->fields[i]))
            goto done;
    }
    out->status = l->tail ? l->tail(&x) : NEWMAIL_RQ_READ;
done:
    out->span.length = x.c.pos - pos;
    return out->status;
}

/* ---- the objects requests create ------------------------------------------------------- */

newmail_rq_object_t
newmail_rop_request_output_object(uint8_t rop_id)
{
    switch (rop_id) {
    case 0xFE: /* RopLogon */
        return NEWMAIL_RQ_OBJECT_LOGON;
    case 0x02: /* RopOpenFolder */
    case 0x1C: /* RopCreateFolder */
        return NEWMAIL_RQ_OBJECT_FOLDER;
    case 0x03: /* RopOpenMessage */
    case 0x06: /* RopCreateMessage */
    case 0x46: /* RopOpenEmbeddedMessage */
    case 0x72: /* RopSynchronizationImportMessageChange */
        return NEWMAIL_RQ_OBJECT_MESSAGE;
    case 0x22: /* RopOpenAttachment */
    case 0x23: /* RopCreateAttachment */
        return NEWMAIL_RQ_OBJECT_ATTACHMENT;
    case 0x04: /* RopGetHierarchyTable */
    case 0x05: /* RopGetContentsTable */
    case 0x21: /* RopGetAttachmentTable */
    case 0x3E: /* RopGetPermissionsTable */
    case 0x3F: /* RopGetRulesTable */
        return NEWMAIL_RQ_OBJECT_TABLE;
    case 0x2B: /* RopOpenStream */
    case 0x3B: /* RopCloneStream */
        return NEWMAIL_RQ_OBJECT_STREAM;
    case 0x29: /* RopRegisterNotification */
        return NEWMAIL_RQ_OBJECT_SUBSCRIPTION;
    case 0x4B: /* RopFastTransferSourceCopyMessages */
    case 0x4C: /* RopFastTransferSourceCopyFolder */
    case 0x4D: /* RopFastTransferSourceCopyTo */
    case 0x69: /* RopFastTransferSourceCopyProperties */
    case 0x82: /* RopSynchronizationGetTransferState */
        return NEWMAIL_RQ_OBJECT_FAST_TRANSFER_DOWNLOAD;
    case 0x53: /* RopFastTransferDestinationConfigure */
        return NEWMAIL_RQ_OBJECT_FAST_TRANSFER_UPLOAD;
    case 0x70: /* RopSynchronizationConfigure */
        return NEWMAIL_RQ_OBJECT_SYNC_DOWNLOAD;
    case 0x7E: /* RopSynchronizationOpenCollector */
        return NEWMAIL_RQ_OBJECT_SYNC_UPLOAD;
    default:
        return NEWMAIL_RQ_OBJECT_NONE;
    }
}

const char *
newmail_rq_object_name(unsigned object)
{
    static const char *const names[NEWMAIL_RQ_OBJECT_COUNT] = {
        [NEWMAIL_RQ_OBJECT_LOGON] = "Logon",
        [NEWMAIL_RQ_OBJECT_FOLDER] = "Folder",
        [NEWMAIL_RQ_OBJECT_MESSAGE] = "Message",
        [NEWMAIL_RQ_OBJECT_ATTACHMENT] = "Attachment",
        [NEWMAIL_RQ_OBJECT_TABLE] = "Table",
        [NEWMAIL_RQ_OBJECT_STREAM] = "Stream",
        [NEWMAIL_RQ_OBJECT_SUBSCRIPTION] = "Subscription",
        [NEWMAIL_RQ_OBJECT_FAST_TRANSFER_DOWNLOAD] = "FastTransfer download context",
        [NEWMAIL_RQ_OBJECT_FAST_TRANSFER_UPLOAD] = "FastTransfer upload context",
        [NEWMAIL_RQ_OBJECT_SYNC_DOWNLOAD] = "Synchronization download context",
        [NEWMAIL_RQ_OBJECT_SYNC_UPLOAD] = "Synchronization upload context",
    };

    return object < NEWMAIL_RQ_OBJECT_COUNT ? names[object] : NULL;
}

/* ---- the walk ------------------------------------------------------------------------------ */

void
newmail_rop_request_walk_init(newmail_rop_request_walk_t *walk, const uint8_t *buf, size_t len)
{
    memset(walk, 0, sizeof(*walk));
    walk->buf = buf;
    walk->len = buf ? len : 0;
    newmail_rop_buffer_split(walk->buf, walk->len, &walk->buffer);
    walk->pos = walk->buffer.rops.offset;
    walk->rops_end = walk->buffer.rops.offset + walk->buffer.rops.length;
    walk->status = NEWMAIL_RQW_RUNNING;
    if (walk->buffer.problems & (NEWMAIL_ROPBUF_TRUNCATED | NEWMAIL_ROPBUF_SIZE_SMALL)) {
        walk->status = NEWMAIL_RQW_TRUNCATED;
        walk->pos = walk->rops_end;
    }
}

void
newmail_rop_request_walk_set_logon(newmail_rop_request_walk_t *walk, uint8_t logon_id,
                                   uint8_t logon_flags)
{
    newmail_rq_logons_set(&walk->logons, logon_id, logon_flags);
}

bool
newmail_rop_request_next(newmail_rop_request_walk_t *walk, newmail_rop_request_t *out)
{
    const newmail_rq_field_t *f;

    memset(out, 0, sizeof(*out));
    if (walk->status != NEWMAIL_RQW_RUNNING)
        return false;
    if (walk->pos >= walk->rops_end) {
        /* RopsList used up; cut short when RopSize pointed past the buffer. */
        walk->status = walk->buffer.problems & NEWMAIL_ROPBUF_SIZE_PAST_END ? NEWMAIL_RQW_TRUNCATED
                                                                            : NEWMAIL_RQW_COMPLETE;
        return false;
    }
    newmail_rop_request_read(walk->buf, walk->pos, walk->rops_end, &walk->logons, out);
    walk->count++;
    walk->pos += out->span.length;

    /* Each index names a slot of this buffer's handle table. */
    for (unsigned i = 0; i < out->nfields; i++) {
        if (out->field[i].kind == NEWMAIL_RQK_HANDLE_INDEX &&
            out->field[i].value >= walk->buffer.handle_count)
            out->problems |= NEWMAIL_RQ_PROBLEM_HANDLE_INDEX;
    }
    switch (out->status) {
    case NEWMAIL_RQ_READ:
        if (out->rop_id == NEWMAIL_ROP_LOGON &&
            (f = newmail_rop_request_find(out, NEWMAIL_RQ_LOGON_FLAGS)) != NULL)
            newmail_rq_logons_set(&walk->logons, out->logon_id, (uint8_t)f->value);
        break;
    case NEWMAIL_RQ_TRUNCATED:
        walk->status = NEWMAIL_RQW_TRUNCATED;
        break;
    default:
        walk->status = NEWMAIL_RQW_STOPPED;
        walk->stop = out->status;
        break;
    }
    return true;
}

bool
newmail_rop_request_handle(const newmail_rop_request_walk_t *walk, uint8_t handle_index, uint32_t *handle)
{
    if (handle_index >= walk->buffer.handle_count)
        return false;
    *handle = newmail_le32(walk->buf + walk->buffer.handle_table.offset + (size_t)handle_index * 4);
    return true;
}
