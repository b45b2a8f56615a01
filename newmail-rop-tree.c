/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-tree.c: the tree of a ROP buffer (see newmail-rop-tree.h).
 *
 * A buffer is one or more RPC_HEADER_EXT blocks (MS-OXCRPC 2.2.2.1), each
 * followed by Size payload bytes: XORed with 0xA5 (XorMagic), LZ77
 * compressed (Compressed), or both. Each payload, once decoded, is a ROP
 * buffer of its own (MS-OXCROPS 2.2.1): RopSize, the ROPs, the server object
 * handle table. ROP responses carry no length, so the walk goes as far as it
 * can size them (newmail-rop.c) and says where it stopped; nothing it did not
 * read is shown.
 *
 * Decoding is bounded twice: a block's output never exceeds SizeActual (at
 * most 65,535 bytes), whatever the compressed stream says, and the blocks of
 * one buffer never decode to more than its request allowed (the walk's
 * budget, newmail-rop.h). What a buffer adds to the tree is bounded too: at
 * most ROP_TREE_MAX_ENTRIES blocks, ROP responses and server handles, so a
 * buffer of thousands of empty blocks or a payload of zeros read as handles
 * cannot fill the tree. Decoded bytes live in the packet's scope.
 */
#include <epan/expert.h>
#include <epan/packet.h>

#include "newmail-core.h"
#include "newmail-links.h"
#include "newmail-rop-tree.h"
#include "newmail-rop-response.h"
#include "newmail-rop.h"

static int hf_newmail_rop_buffer = -1;
static int hf_newmail_rpcx = -1;
static int hf_newmail_rpcx_version = -1;
static int hf_newmail_rpcx_flags = -1;
static int hf_newmail_rpcx_flags_compressed = -1;
static int hf_newmail_rpcx_flags_xor_magic = -1;
static int hf_newmail_rpcx_flags_last = -1;
static int hf_newmail_rpcx_size = -1;
static int hf_newmail_rpcx_size_actual = -1;
static int hf_newmail_rop_size = -1;
static int hf_newmail_rops = -1;
static int hf_newmail_rop = -1;
static int hf_newmail_rop_return_value = -1;
static int hf_newmail_server_handle = -1;
static int hf_newmail_notify = -1;
static int hf_newmail_notify_handle = -1;
static int hf_newmail_notify_logon_id = -1;
static int hf_newmail_notify_type = -1;
static int hf_newmail_notify_type_newmail = -1;
static int hf_newmail_notify_type_object_created = -1;
static int hf_newmail_notify_type_object_deleted = -1;
static int hf_newmail_notify_type_object_modified = -1;
static int hf_newmail_notify_type_object_moved = -1;
static int hf_newmail_notify_type_object_copied = -1;
static int hf_newmail_notify_type_search_complete = -1;
static int hf_newmail_notify_type_table_modified = -1;
static int hf_newmail_notify_type_extended = -1;
static int hf_newmail_notify_type_total_message_count = -1;
static int hf_newmail_notify_type_unread_message_count = -1;
static int hf_newmail_notify_type_search_folder = -1;
static int hf_newmail_notify_type_message = -1;
static int hf_newmail_notify_table_event = -1;
static int hf_newmail_notify_folder_id = -1;
static int hf_newmail_notify_message_id = -1;
static int hf_newmail_notify_parent_folder_id = -1;
static int hf_newmail_notify_old_folder_id = -1;
static int hf_newmail_notify_old_message_id = -1;
static int hf_newmail_notify_old_parent_folder_id = -1;
static int hf_newmail_notify_tag_count = -1;
static int hf_newmail_notify_total_message_count = -1;
static int hf_newmail_notify_unread_message_count = -1;
static int hf_newmail_notify_message_flags = -1;
static int hf_newmail_notify_unicode = -1;
static int hf_newmail_notify_message_class = -1;
static int hf_newmail_notify_signal_frame = -1;
static int hf_newmail_pending_rop = -1;
static int hf_newmail_pending_rop_session_index = -1;

static int ett_newmail_rop_buffer = -1;
static int ett_newmail_rpcx = -1;
static int ett_newmail_rpcx_flags = -1;
static int ett_newmail_rop = -1;
static int ett_newmail_notify = -1;
static int ett_newmail_notify_type = -1;

static expert_field ei_newmail_rpcx_problem = EI_INIT;
static expert_field ei_newmail_rop_decode = EI_INIT;
static expert_field ei_newmail_rop_buffer_problem = EI_INIT;
static expert_field ei_newmail_rop_unsized = EI_INIT;
static expert_field ei_newmail_rop_truncated = EI_INIT;
static expert_field ei_newmail_notify_problem = EI_INIT;
static expert_field ei_newmail_rop_buffer_over_budget = EI_INIT;
static expert_field ei_newmail_rop_buffer_too_many = EI_INIT;

/* Blocks, ROP responses and server object handles one buffer may show. A
 * real buffer holds a few blocks (each payload up to 32 KB), at most 256
 * handles (handle indexes are one byte) and some hundred ROPs. */
#define ROP_TREE_MAX_ENTRIES 2048

/* One buffer's tree under construction: how much of it is shown so far. */
typedef struct {
    packet_info *pinfo;
    proto_item *buffer_item; /* the ROP buffer's item: where a bound is reported */
    unsigned entries;        /* blocks, ROP responses and handles added */
    bool full;               /* ROP_TREE_MAX_ENTRIES reached: nothing more is added */
} rop_tree_t;

/* Counts one more entry; false (and the expert, once) when the buffer has
 * shown all it may. */
static bool
rop_tree_take_entry(rop_tree_t *rt)
{
    if (rt->full)
        return false;
    if (rt->entries == ROP_TREE_MAX_ENTRIES) {
        rt->full = true;
        expert_add_info_format(rt->pinfo, rt->buffer_item, &ei_newmail_rop_buffer_too_many,
                               "The buffer holds more than %u blocks, ROP responses and server"
                               " handles: the rest is not shown",
                               ROP_TREE_MAX_ENTRIES);
        return false;
    }
    rt->entries++;
    return true;
}

static int *const rpcx_flag_fields[] = {
    &hf_newmail_rpcx_flags_compressed,
    &hf_newmail_rpcx_flags_xor_magic,
    &hf_newmail_rpcx_flags_last,
    NULL
};

static int *const notify_type_fields[] = {
    &hf_newmail_notify_type_newmail,
    &hf_newmail_notify_type_object_created,
    &hf_newmail_notify_type_object_deleted,
    &hf_newmail_notify_type_object_modified,
    &hf_newmail_notify_type_object_moved,
    &hf_newmail_notify_type_object_copied,
    &hf_newmail_notify_type_search_complete,
    &hf_newmail_notify_type_table_modified,
    &hf_newmail_notify_type_extended,
    &hf_newmail_notify_type_total_message_count,
    &hf_newmail_notify_type_unread_message_count,
    &hf_newmail_notify_type_search_folder,
    &hf_newmail_notify_type_message,
    NULL
};

/* The names of the RopIds as a value_string for newmail.rop. The names are
 * the reader's (newmail-rop.c: newmail_rop_name()), so that they are
 * written once; newmail_register_rop_tree() fills this table from them, in
 * RopId order; the entry after the last stays { 0, NULL }. */
static value_string rop_id_vals[256 + 1];

static void
fill_rop_id_vals(void)
{
    size_t count = 0;

    for (uint32_t id = 0; id < 256; id++) {
        const char *name = newmail_rop_name((uint8_t)id);

        if (name != NULL) {
            rop_id_vals[count].value = id;
            rop_id_vals[count].strptr = name;
            count++;
        }
    }
}

/* newmail.rop: a RopId MS-OXCROPS does not define is "Reserved". */
static proto_item *
add_rop_id(proto_tree *tree, tvbuff_t *tvb, int offset, int length, uint8_t rop_id)
{
    return proto_tree_add_uint_format_value(tree, hf_newmail_rop, tvb, offset, length, rop_id,
                                            "%s (0x%02x)",
                                            val_to_str_const(rop_id, rop_id_vals, "Reserved"),
                                            rop_id);
}

/* MS-OXCNOTIF 2.2.1.4.1.2; the reader knows which exist, this names them. */
static const value_string table_event_vals[] = {
    { NEWMAIL_TABLE_CHANGED, "TableChanged" },
    { NEWMAIL_TABLE_ROW_ADDED, "TableRowAdded" },
    { NEWMAIL_TABLE_ROW_DELETED, "TableRowDeleted" },
    { NEWMAIL_TABLE_ROW_MODIFIED, "TableRowModified" },
    { NEWMAIL_TABLE_RESTRICTION_CHANGED, "TableRestrictionChanged" },
    { 0, NULL }
};

static proto_item *
add_span(proto_tree *tree, int hf, tvbuff_t *tvb, newmail_span_t span, unsigned encoding)
{
    return proto_tree_add_item(tree, hf, tvb, (int)span.offset, (int)span.length, encoding);
}

/* ---- RPC_HEADER_EXT ---------------------------------------------------------------- */

static const newmail_problem_text_t block_problems[] = {
    { NEWMAIL_RPCX_TRUNCATED_HEADER, "the buffer ends inside the 8-byte header" },
    { NEWMAIL_RPCX_SIZE_PAST_END, "Size says more bytes than the buffer holds" },
    { NEWMAIL_RPCX_SIZE_MISMATCH, "SizeActual differs from Size although not Compressed" },
    { NEWMAIL_RPCX_NOT_SMALLER, "Compressed, but Size is not smaller than SizeActual" },
    { NEWMAIL_RPCX_UNKNOWN_FLAGS, "Flags has bits MS-OXCRPC does not define" },
    { NEWMAIL_RPCX_BAD_VERSION, "Version is not 0" },
    { NEWMAIL_RPCX_NO_LAST, "the buffer ends after a block without the Last flag" },
    { NEWMAIL_RPCX_TRAILING, "bytes follow the block with the Last flag" },
    { NEWMAIL_RPCX_OVERSIZE, "SizeActual exceeds the 32 KB a payload may hold" },
    /* NEWMAIL_RPCX_OVER_BUDGET has an expert of its own. */
};

static void
add_decode_problems(packet_info *pinfo, proto_item *item, unsigned problems, size_t produced,
                    uint16_t size_actual)
{
    if (problems & NEWMAIL_DECODE_OUTPUT_FULL)
        expert_add_info_format(pinfo, item, &ei_newmail_rop_decode,
                               "The compressed payload expands beyond SizeActual (%u bytes):"
                               " decoding stopped there",
                               size_actual);
    if (problems & NEWMAIL_DECODE_BAD_OFFSET)
        expert_add_info_format(pinfo, item, &ei_newmail_rop_decode,
                               "A match reaches before the start of the output");
    if (problems & (NEWMAIL_DECODE_INPUT_TRUNCATED | NEWMAIL_DECODE_PAYLOAD_CUT))
        expert_add_info_format(pinfo, item, &ei_newmail_rop_decode,
                               "The compressed payload ends inside a token");
    if (problems & NEWMAIL_DECODE_BAD_LENGTH)
        expert_add_info_format(pinfo, item, &ei_newmail_rop_decode,
                               "A match length extension is below its minimum (MS-XCA 2.4.4)");
    if (problems & NEWMAIL_DECODE_SHORT)
        expert_add_info_format(pinfo, item, &ei_newmail_rop_decode,
                               "Decoded to %zu bytes, SizeActual says %u", produced, size_actual);
}

/* The block's payload as the ROPs read it: the wire bytes when it is plain,
 * a new data source when it had to be XORed or decompressed. NULL when
 * nothing could be decoded. */
static tvbuff_t *
decoded_payload(tvbuff_t *tvb, int offset, const uint8_t *bytes, size_t length, packet_info *pinfo,
                proto_item *block_item, const newmail_rpcx_block_t *block)
{
    uint8_t *out;
    size_t produced = 0;
    unsigned problems;
    tvbuff_t *decoded;

    if (!(block->flags & (NEWMAIL_RPCX_FLAG_COMPRESSED | NEWMAIL_RPCX_FLAG_XOR_MAGIC)))
        return tvb_new_subset_length(tvb, offset + (int)block->payload.offset,
                                     (int)block->payload.length);
    if (block->size_actual == 0)
        return NULL;
    out = (uint8_t *)wmem_alloc(pinfo->pool, block->size_actual);
    problems = newmail_rpcx_decode(bytes, length, block, out, block->size_actual, &produced);
    add_decode_problems(pinfo, block_item, problems, produced, block->size_actual);
    if (produced == 0)
        return NULL;
    decoded = tvb_new_child_real_data(tvb, out, (unsigned)produced, (int)produced);
    add_new_data_source(pinfo, decoded, "Decoded ROP buffer");
    return decoded;
}

/* ---- RopNotify and RopPending --------------------------------------------------------- */

static const struct {
    newmail_notify_field_t field;
    int *hf;
    unsigned encoding;
} notify_fields[] = {
    { NEWMAIL_NF_FOLDER_ID, &hf_newmail_notify_folder_id, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_MESSAGE_ID, &hf_newmail_notify_message_id, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_PARENT_FOLDER_ID, &hf_newmail_notify_parent_folder_id, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_OLD_FOLDER_ID, &hf_newmail_notify_old_folder_id, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_OLD_MESSAGE_ID, &hf_newmail_notify_old_message_id, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_OLD_PARENT_FOLDER_ID, &hf_newmail_notify_old_parent_folder_id,
      ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_TAG_COUNT, &hf_newmail_notify_tag_count, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_TOTAL_MESSAGE_COUNT, &hf_newmail_notify_total_message_count, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_UNREAD_MESSAGE_COUNT, &hf_newmail_notify_unread_message_count,
      ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_MESSAGE_FLAGS, &hf_newmail_notify_message_flags, ENC_LITTLE_ENDIAN },
    { NEWMAIL_NF_UNICODE_FLAG, &hf_newmail_notify_unicode, ENC_NA },
};

static void
add_notify(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const newmail_rop_response_t *rop,
           const newmail_fetch_t *fetch)
{
    const newmail_notify_t *notify = &rop->notify;
    const char *type_name = newmail_notify_type_name(notify->type);
    proto_item *ti, *item;
    proto_tree *notify_tree;

    ti = add_span(tree, hf_newmail_notify, tvb, rop->span, ENC_NA);
    proto_item_append_text(ti, ": %s", type_name != NULL ? type_name : "unknown type");
    notify_tree = proto_item_add_subtree(ti, ett_newmail_notify);
    if (newmail_notify_has(notify, NEWMAIL_NF_HANDLE))
        add_span(notify_tree, hf_newmail_notify_handle, tvb, notify->span[NEWMAIL_NF_HANDLE],
                 ENC_LITTLE_ENDIAN);
    if (newmail_notify_has(notify, NEWMAIL_NF_LOGON_ID))
        add_span(notify_tree, hf_newmail_notify_logon_id, tvb, notify->span[NEWMAIL_NF_LOGON_ID],
                 ENC_NA);
    if (newmail_notify_has(notify, NEWMAIL_NF_FLAGS)) {
        item = proto_tree_add_bitmask(notify_tree, tvb, (int)notify->span[NEWMAIL_NF_FLAGS].offset,
                                      hf_newmail_notify_type, ett_newmail_notify_type,
                                      notify_type_fields, ENC_LITTLE_ENDIAN);
        if (rop->problems & (NEWMAIL_ROP_PROBLEM_NOTIFY_TYPE | NEWMAIL_ROP_PROBLEM_NOTIFY_FLAGS))
            expert_add_info(pinfo, item, &ei_newmail_notify_problem);
    }
    if (newmail_notify_has(notify, NEWMAIL_NF_TABLE_EVENT_TYPE))
        add_span(notify_tree, hf_newmail_notify_table_event, tvb,
                 notify->span[NEWMAIL_NF_TABLE_EVENT_TYPE], ENC_LITTLE_ENDIAN);
    for (size_t i = 0; i < array_length(notify_fields); i++) {
        if (newmail_notify_has(notify, notify_fields[i].field))
            add_span(notify_tree, *notify_fields[i].hf, tvb,
                     notify->span[notify_fields[i].field], notify_fields[i].encoding);
    }
    if (newmail_notify_has(notify, NEWMAIL_NF_MESSAGE_CLASS)) {
        item = add_span(notify_tree, hf_newmail_notify_message_class, tvb,
                        notify->span[NEWMAIL_NF_MESSAGE_CLASS],
                        notify->message_class_unicode ? ENC_UTF_16 | ENC_LITTLE_ENDIAN
                                                      : ENC_ASCII);
        if (rop->problems & NEWMAIL_ROP_PROBLEM_UNTERMINATED)
            expert_add_info(pinfo, item, &ei_newmail_notify_problem);
    }
    if ((notify->type == NEWMAIL_NOTIFY_NEW_MAIL) && fetch != NULL && fetch->signal_count > 0)
        newmail_add_frame_link(notify_tree, hf_newmail_notify_signal_frame, tvb,
                               fetch->first_signal);
    if (type_name != NULL)
        col_append_fstr(pinfo->cinfo, COL_INFO, ", %s", type_name);
}

static void
add_pending(proto_tree *tree, tvbuff_t *tvb, const newmail_rop_response_t *rop)
{
    proto_item *ti = add_span(tree, hf_newmail_pending_rop, tvb, rop->span, ENC_NA);
    proto_tree *pending_tree = proto_item_add_subtree(ti, ett_newmail_rop);

    if (newmail_rop_has(rop, NEWMAIL_RF_SESSION_INDEX))
        add_span(pending_tree, hf_newmail_pending_rop_session_index, tvb,
                 rop->field[NEWMAIL_RF_SESSION_INDEX], ENC_LITTLE_ENDIAN);
}

/* One ROP response the walk read: its id, its return value when it failed. */
static void
add_other_rop(proto_tree *tree, tvbuff_t *tvb, const newmail_rop_response_t *rop)
{
    proto_item *ti;
    proto_tree *rop_tree;

    ti = add_rop_id(tree, tvb, (int)rop->span.offset, (int)rop->span.length, rop->rop_id);
    if (!newmail_rop_has(rop, NEWMAIL_RF_RETURN_VALUE))
        return;
    rop_tree = proto_item_add_subtree(ti, ett_newmail_rop);
    add_span(rop_tree, hf_newmail_rop_return_value, tvb, rop->field[NEWMAIL_RF_RETURN_VALUE],
             ENC_LITTLE_ENDIAN);
}

/* The ROP responses of one decoded output payload, as far as they can be sized. */
static void
add_responses(rop_tree_t *rt, proto_tree *tree, tvbuff_t *tvb, const uint8_t *bytes, size_t length,
              proto_item *rops_item, const newmail_fetch_t *fetch)
{
    packet_info *pinfo = rt->pinfo;
    newmail_rop_walk_t walk;
    newmail_rop_response_t rop;
    proto_item *item;

    newmail_rop_walk_init(&walk, bytes, length);
    while (newmail_rop_next_response(&walk, &rop)) {
        if (!rop_tree_take_entry(rt))
            return;
        if (rop.status == NEWMAIL_ROP_SIZED && rop.rop_id == NEWMAIL_ROP_NOTIFY) {
            add_notify(tree, tvb, pinfo, &rop, fetch);
        } else if (rop.status == NEWMAIL_ROP_SIZED && rop.rop_id == NEWMAIL_ROP_PENDING) {
            add_pending(tree, tvb, &rop);
        } else if (rop.status == NEWMAIL_ROP_SIZED) {
            add_other_rop(tree, tvb, &rop);
        } else if (rop.status == NEWMAIL_ROP_UNSIZED) {
            const char *name = newmail_rop_name(rop.rop_id);

            item = add_rop_id(tree, tvb, (int)rop.span.offset, 1, rop.rop_id);
            expert_add_info_format(pinfo, item, &ei_newmail_rop_unsized,
                                   "%s responses carry no length and their layout depends on"
                                   " the request: the rest of this buffer is not decoded",
                                   name != NULL ? name : "This ROP's");
        } else {
            item = add_rop_id(tree, tvb, (int)rop.span.offset, (int)rop.span.length, rop.rop_id);
            expert_add_info(pinfo, item, &ei_newmail_rop_truncated);
        }
    }
    if (walk.status == NEWMAIL_ROPS_TRUNCATED && walk.count == 0)
        expert_add_info(pinfo, rops_item, &ei_newmail_rop_truncated);
}

/* One decoded payload: RopSize, the ROPs, the server object handle table. */
static void
add_payload(rop_tree_t *rt, proto_tree *tree, tvbuff_t *payload, bool response,
            const newmail_fetch_t *fetch)
{
    packet_info *pinfo = rt->pinfo;
    size_t length = tvb_captured_length(payload);
    const uint8_t *bytes = length > 0 ? tvb_get_ptr(payload, 0, (int)length) : NULL;
    newmail_rop_buffer_t buffer;
    proto_item *rops_item = NULL;

    newmail_rop_buffer_split(bytes, length, &buffer);
    if (buffer.problems & NEWMAIL_ROPBUF_TRUNCATED) {
        expert_add_info_format(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_buffer_problem,
                               "The decoded payload is too short for RopSize");
        return;
    }
    add_span(tree, hf_newmail_rop_size, payload, buffer.rop_size_span, ENC_LITTLE_ENDIAN);
    if (buffer.problems & (NEWMAIL_ROPBUF_SIZE_SMALL | NEWMAIL_ROPBUF_SIZE_PAST_END))
        expert_add_info_format(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_buffer_problem,
                               "RopSize %u does not fit the %zu decoded bytes",
                               buffer.rop_size, length);
    if (buffer.rops.length > 0)
        rops_item = add_span(tree, hf_newmail_rops, payload, buffer.rops, ENC_NA);
    if (response && buffer.rops.length > 0)
        add_responses(rt, tree, payload, bytes, length, rops_item, fetch);
    for (size_t i = 0; i < buffer.handle_count; i++) {
        newmail_span_t handle = { buffer.handle_table.offset + 4 * i, 4 };

        if (!rop_tree_take_entry(rt))
            return;
        add_span(tree, hf_newmail_server_handle, payload, handle, ENC_LITTLE_ENDIAN);
    }
    if (buffer.problems & NEWMAIL_ROPBUF_HANDLES_PARTIAL)
        expert_add_info_format(pinfo, proto_tree_get_parent(tree), &ei_newmail_rop_buffer_problem,
                               "The server object handle table is not a whole number of handles");
}

void
newmail_dissect_rop_buffer(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                           proto_tree *tree, bool response, const newmail_fetch_t *fetch,
                           uint32_t max_decoded, const char *limit_name)
{
    const uint8_t *bytes;
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t block;
    proto_item *block_item;
    proto_tree *buffer_tree, *block_tree;
    rop_tree_t rt = { .pinfo = pinfo };
    /* The capture's snap length cut the buffer: its last block is shown as
     * far as it was captured, not as malformed, and not decoded. */
    bool cut = offset + length >= (int)tvb_captured_length(tvb) &&
               tvb_captured_length(tvb) < tvb_reported_length(tvb);

    if (length <= 0)
        return;
    bytes = tvb_get_ptr(tvb, offset, length);
    rt.buffer_item = proto_tree_add_item(tree, hf_newmail_rop_buffer, tvb, offset, length, ENC_NA);
    buffer_tree = proto_item_add_subtree(rt.buffer_item, ett_newmail_rop_buffer);
    newmail_rpcx_walk_init(&walk, bytes, (size_t)length, max_decoded);
    while (newmail_rpcx_next(&walk, &block)) {
        tvbuff_t *payload;
        bool payload_cut;

        if (!rop_tree_take_entry(&rt))
            break;
        block_item = proto_tree_add_item(buffer_tree, hf_newmail_rpcx, tvb,
                                         offset + (int)block.header.offset,
                                         (int)(block.header.length + block.payload.length), ENC_NA);
        block_tree = proto_item_add_subtree(block_item, ett_newmail_rpcx);
        payload_cut = cut && (block.problems & (NEWMAIL_RPCX_TRUNCATED_HEADER |
                                                NEWMAIL_RPCX_SIZE_PAST_END | NEWMAIL_RPCX_NO_LAST));
        if (payload_cut)
            block.problems &= ~(unsigned)(NEWMAIL_RPCX_TRUNCATED_HEADER |
                                          NEWMAIL_RPCX_SIZE_PAST_END | NEWMAIL_RPCX_NO_LAST);
        newmail_add_problems(pinfo, block_item, &ei_newmail_rpcx_problem, "RPC_HEADER_EXT",
                             block.problems, block_problems, array_length(block_problems));
        if (!block.header_read)
            break;
        proto_tree_add_item(block_tree, hf_newmail_rpcx_version, tvb,
                            offset + (int)block.version_span.offset, 2, ENC_LITTLE_ENDIAN);
        proto_tree_add_bitmask(block_tree, tvb, offset + (int)block.flags_span.offset,
                               hf_newmail_rpcx_flags, ett_newmail_rpcx_flags, rpcx_flag_fields,
                               ENC_LITTLE_ENDIAN);
        proto_tree_add_item(block_tree, hf_newmail_rpcx_size, tvb,
                            offset + (int)block.size_span.offset, 2, ENC_LITTLE_ENDIAN);
        proto_tree_add_item(block_tree, hf_newmail_rpcx_size_actual, tvb,
                            offset + (int)block.size_actual_span.offset, 2, ENC_LITTLE_ENDIAN);
        if (block.problems & NEWMAIL_RPCX_OVER_BUDGET) {
            expert_add_info_format(pinfo, block_item, &ei_newmail_rop_buffer_over_budget,
                                   "With this block the buffer would decode to more than the %u"
                                   " bytes %s allows: decoding stopped here",
                                   max_decoded, limit_name);
            break;
        }
        if (payload_cut)
            break;
        payload = decoded_payload(tvb, offset, bytes, (size_t)length, pinfo, block_item, &block);
        if (payload != NULL)
            add_payload(&rt, block_tree, payload, response, fetch);
        if (rt.full)
            break;
    }
}

void
newmail_register_rop_tree(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_rop_buffer,
          { "ROP buffer", "newmail.rop_buffer", FT_NONE, BASE_NONE, NULL, 0x0,
            "rgbIn, rgbOut or an Execute RopBuffer: RPC_HEADER_EXT blocks and their payloads",
            HFILL } },
        { &hf_newmail_rpcx,
          { "RPC_HEADER_EXT", "newmail.rpc_header_ext", FT_NONE, BASE_NONE, NULL, 0x0,
            "One block of a ROP buffer: its header and payload (MS-OXCRPC 2.2.2.1)", HFILL } },
        { &hf_newmail_rpcx_version,
          { "Version", "newmail.rpc_header_ext.version", FT_UINT16, BASE_HEX, NULL,
            0x0, "RPC_HEADER_EXT Version: 0x0000", HFILL } },
        { &hf_newmail_rpcx_flags,
          { "Flags", "newmail.rpc_header_ext.flags", FT_UINT16, BASE_HEX, NULL, 0x0,
            "RPC_HEADER_EXT Flags: how the payload is encoded, and whether this block is the"
            " last", HFILL } },
        { &hf_newmail_rpcx_flags_compressed,
          { "Compressed", "newmail.rpc_header_ext.flags.compressed", FT_BOOLEAN, 16,
            NULL, NEWMAIL_RPCX_FLAG_COMPRESSED,
            "The payload is LZ77 compressed (MS-OXCRPC 3.1.4.1.1.2)", HFILL } },
        { &hf_newmail_rpcx_flags_xor_magic,
          { "XorMagic", "newmail.rpc_header_ext.flags.xor_magic", FT_BOOLEAN, 16, NULL,
            NEWMAIL_RPCX_FLAG_XOR_MAGIC, "Every payload byte is XORed with 0xA5", HFILL } },
        { &hf_newmail_rpcx_flags_last,
          { "Last", "newmail.rpc_header_ext.flags.last", FT_BOOLEAN, 16, NULL,
            NEWMAIL_RPCX_FLAG_LAST, "No block follows this one", HFILL } },
        { &hf_newmail_rpcx_size,
          { "Size", "newmail.rpc_header_ext.size", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Payload bytes after the header, as sent", HFILL } },
        { &hf_newmail_rpcx_size_actual,
          { "SizeActual", "newmail.rpc_header_ext.size_actual", FT_UINT16, BASE_DEC,
            NULL, 0x0, "Payload bytes once decompressed", HFILL } },
        { &hf_newmail_rop_size,
          { "RopSize", "newmail.rop_size", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Bytes of RopSize and the ROPs; the server object handle table follows them",
            HFILL } },
        { &hf_newmail_rops,
          { "ROPs", "newmail.rops", FT_BYTES, BASE_NONE, NULL, 0x0,
            "The ROP requests or responses of the payload (RopsList)", HFILL } },
        { &hf_newmail_rop,
          { "ROP", "newmail.rop", FT_UINT8, BASE_HEX,
            VALS(rop_id_vals), 0x0,
            "A ROP response the plugin read, by RopId (MS-OXCROPS 2.2.2)", HFILL } },
        { &hf_newmail_rop_return_value,
          { "ReturnValue", "newmail.rop.return_value", FT_UINT32, BASE_HEX, NULL, 0x0,
            "The ROP's return value; a failed ROP's response ends after it", HFILL } },
        { &hf_newmail_server_handle,
          { "Server object handle", "newmail.server_handle", FT_UINT32, BASE_HEX,
            NULL, 0x0, "An entry of the server object handle table", HFILL } },
        { &hf_newmail_notify,
          { "RopNotify", "newmail.notify", FT_NONE, BASE_NONE, NULL, 0x0,
            "A notification the server queued for the session (MS-OXCROPS 2.2.14.2)", HFILL } },
        { &hf_newmail_notify_handle,
          { "NotificationHandle", "newmail.notify.handle", FT_UINT32, BASE_HEX, NULL,
            0x0, "The object handle of the RopRegisterNotification this answers", HFILL } },
        { &hf_newmail_notify_logon_id,
          { "LogonId", "newmail.notify.logon_id", FT_UINT8, BASE_DEC, NULL, 0x0,
            "The logon the notification belongs to", HFILL } },
        { &hf_newmail_notify_type,
          { "NotificationFlags", "newmail.notify.type", FT_UINT16, BASE_HEX, NULL, 0x0,
            "What happened (the NotificationType bits) and which fields follow (MS-OXCNOTIF"
            " 2.2.1.4.1.2)", HFILL } },
        { &hf_newmail_notify_type_newmail,
          { "NewMail", "newmail.notify.type.newmail", FT_BOOLEAN, 16, NULL,
            NEWMAIL_NOTIFY_NEW_MAIL, "A message arrived", HFILL } },
        { &hf_newmail_notify_type_object_created,
          { "ObjectCreated", "newmail.notify.type.object_created", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_OBJECT_CREATED, "A folder or message was created", HFILL } },
        { &hf_newmail_notify_type_object_deleted,
          { "ObjectDeleted", "newmail.notify.type.object_deleted", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_OBJECT_DELETED, "A folder or message was deleted", HFILL } },
        { &hf_newmail_notify_type_object_modified,
          { "ObjectModified", "newmail.notify.type.object_modified", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_OBJECT_MODIFIED, "A folder or message was modified", HFILL } },
        { &hf_newmail_notify_type_object_moved,
          { "ObjectMoved", "newmail.notify.type.object_moved", FT_BOOLEAN, 16, NULL,
            NEWMAIL_NOTIFY_OBJECT_MOVED, "A folder or message was moved", HFILL } },
        { &hf_newmail_notify_type_object_copied,
          { "ObjectCopied", "newmail.notify.type.object_copied", FT_BOOLEAN, 16, NULL,
            NEWMAIL_NOTIFY_OBJECT_COPIED, "A folder or message was copied", HFILL } },
        { &hf_newmail_notify_type_search_complete,
          { "SearchComplete", "newmail.notify.type.search_complete", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_SEARCH_COMPLETE, "A search finished", HFILL } },
        { &hf_newmail_notify_type_table_modified,
          { "TableModified", "newmail.notify.type.table_modified", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_TABLE_MODIFIED, "A table the client watches changed", HFILL } },
        { &hf_newmail_notify_type_extended,
          { "Extended", "newmail.notify.type.extended", FT_BOOLEAN, 16, NULL,
            NEWMAIL_NOTIFY_EXTENDED, "Reserved; clients ignore it", HFILL } },
        { &hf_newmail_notify_type_total_message_count,
          { "TotalMessageCount present", "newmail.notify.type.total_message_count",
            FT_BOOLEAN, 16, NULL, NEWMAIL_NOTIFY_FLAG_T,
            "The folder's total message count follows (flag T)", HFILL } },
        { &hf_newmail_notify_type_unread_message_count,
          { "UnreadMessageCount present", "newmail.notify.type.unread_message_count",
            FT_BOOLEAN, 16, NULL, NEWMAIL_NOTIFY_FLAG_U,
            "The folder's unread message count follows (flag U)", HFILL } },
        { &hf_newmail_notify_type_search_folder,
          { "In a search folder", "newmail.notify.type.search_folder", FT_BOOLEAN, 16,
            NULL, NEWMAIL_NOTIFY_FLAG_S, "The event happened in a search folder (flag S)",
            HFILL } },
        { &hf_newmail_notify_type_message,
          { "On a message", "newmail.notify.type.message", FT_BOOLEAN, 16, NULL,
            NEWMAIL_NOTIFY_FLAG_M, "The event is about a message, not a folder (flag M)",
            HFILL } },
        { &hf_newmail_notify_table_event,
          { "TableEventType", "newmail.notify.table_event", FT_UINT16, BASE_HEX,
            VALS(table_event_vals), 0x0, "How a watched table changed", HFILL } },
        { &hf_newmail_notify_folder_id,
          { "FolderId", "newmail.notify.folder_id", FT_UINT64, BASE_HEX, NULL, 0x0,
            "The folder the event happened in (a new message's folder)", HFILL } },
        { &hf_newmail_notify_message_id,
          { "MessageId", "newmail.notify.message_id", FT_UINT64, BASE_HEX, NULL, 0x0,
            "The message the event is about (the new message)", HFILL } },
        { &hf_newmail_notify_parent_folder_id,
          { "ParentFolderId", "newmail.notify.parent_folder_id", FT_UINT64, BASE_HEX,
            NULL, 0x0, "The folder's parent folder", HFILL } },
        { &hf_newmail_notify_old_folder_id,
          { "OldFolderId", "newmail.notify.old_folder_id", FT_UINT64, BASE_HEX, NULL,
            0x0, "Where the object was before it moved or was copied", HFILL } },
        { &hf_newmail_notify_old_message_id,
          { "OldMessageId", "newmail.notify.old_message_id", FT_UINT64, BASE_HEX,
            NULL, 0x0, "The message's id before it moved or was copied", HFILL } },
        { &hf_newmail_notify_old_parent_folder_id,
          { "OldParentFolderId", "newmail.notify.old_parent_folder_id", FT_UINT64,
            BASE_HEX, NULL, 0x0, "The folder's parent before it moved or was copied", HFILL } },
        { &hf_newmail_notify_tag_count,
          { "TagCount", "newmail.notify.tag_count", FT_UINT16, BASE_DEC, NULL, 0x0,
            "How many property tags of the object changed", HFILL } },
        { &hf_newmail_notify_total_message_count,
          { "TotalMessageCount", "newmail.notify.total_message_count", FT_UINT32,
            BASE_DEC, NULL, 0x0, "Messages in the folder", HFILL } },
        { &hf_newmail_notify_unread_message_count,
          { "UnreadMessageCount", "newmail.notify.unread_message_count", FT_UINT32,
            BASE_DEC, NULL, 0x0, "Unread messages in the folder", HFILL } },
        { &hf_newmail_notify_message_flags,
          { "MessageFlags", "newmail.notify.message_flags", FT_UINT32, BASE_HEX, NULL,
            0x0, "The new message's PidTagMessageFlags", HFILL } },
        { &hf_newmail_notify_unicode,
          { "UnicodeFlag", "newmail.notify.unicode", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "MessageClass is UTF-16LE (true) or 8-bit (false)", HFILL } },
        { &hf_newmail_notify_message_class,
          { "MessageClass", "newmail.notify.message_class", FT_STRING, BASE_NONE, NULL,
            0x0, "The new message's class, e.g. IPM.Note", HFILL } },
        { &hf_newmail_notify_signal_frame,
          { "Announced by signal in", "newmail.notify.signal_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "The signal that told the client about this new mail: the first one the fetch"
            " answers", HFILL } },
        { &hf_newmail_pending_rop,
          { "RopPending", "newmail.pending_rop", FT_NONE, BASE_NONE, NULL, 0x0,
            "More notifications are queued for a session (MS-OXCROPS 2.2.14.3)", HFILL } },
        { &hf_newmail_pending_rop_session_index,
          { "SessionIndex", "newmail.pending_rop.session_index", FT_UINT16, BASE_DEC,
            NULL, 0x0, "The session with notifications pending", HFILL } },
    };
    static int *ett[] = {
        &ett_newmail_rop_buffer, &ett_newmail_rpcx,   &ett_newmail_rpcx_flags,
        &ett_newmail_rop,        &ett_newmail_notify, &ett_newmail_notify_type,
    };
    static ei_register_info ei[] = {
        { &ei_newmail_rpcx_problem,
          { "newmail.rpc_header_ext.malformed", PI_MALFORMED, PI_ERROR,
            "RPC_HEADER_EXT disagrees with the buffer", EXPFILL } },
        { &ei_newmail_rop_decode,
          { "newmail.rop_decode_failed", PI_MALFORMED, PI_ERROR,
            "The payload does not decode as MS-OXCRPC's LZ77 says", EXPFILL } },
        { &ei_newmail_rop_buffer_problem,
          { "newmail.rop_buffer.malformed", PI_MALFORMED, PI_ERROR,
            "The decoded payload is not a well-formed ROP buffer", EXPFILL } },
        { &ei_newmail_rop_unsized,
          { "newmail.rop_unsized", PI_UNDECODED, PI_NOTE,
            "The plugin cannot size this ROP's response: the rest of the buffer is not decoded",
            EXPFILL } },
        { &ei_newmail_rop_truncated,
          { "newmail.rop_truncated", PI_MALFORMED, PI_ERROR,
            "A ROP response runs past the end of RopsList", EXPFILL } },
        { &ei_newmail_rop_buffer_over_budget,
          { "newmail.rop_buffer.over_budget", PI_MALFORMED, PI_ERROR,
            "The buffer's blocks decode to more than its request allowed (pcbOut, MaxRopOut)",
            EXPFILL } },
        { &ei_newmail_rop_buffer_too_many,
          { "newmail.rop_buffer.too_many", PI_UNDECODED, PI_WARN,
            "The buffer holds more blocks, ROP responses and handles than are shown", EXPFILL } },
        { &ei_newmail_notify_problem,
          { "newmail.notify.malformed", PI_MALFORMED, PI_WARN,
            "The notification's flags or strings disagree with MS-OXCNOTIF", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    fill_rop_id_vals();
    proto_register_field_array(proto_newmail, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));
}
