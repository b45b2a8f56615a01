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
#include "newmail-objects.h"
#include "newmail-rop-request.h"
#include "newmail-rop-response.h"
#include "newmail-rop-tree.h"
#include "newmail-rop.h"

#include <string.h>

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
static int hf_newmail_notify_subscription_frame = -1;
static int hf_newmail_notify_table_row_data = -1;
static int hf_newmail_subscription = -1;
static int hf_newmail_subscription_notification_count = -1;
static int hf_newmail_subscription_type_count = -1;
static int hf_newmail_subscription_notification_frame = -1;
static int hf_newmail_pending_rop = -1;
static int hf_newmail_pending_rop_session_index = -1;

static int hf_newmail_rop_request = -1;
static int hf_newmail_rop_field_other = -1;
/* One field per MS-OXCROPS field name and direction (newmail.rop.request.*,
 * newmail.rop.response.*), registered at start-up from the readers' name
 * tables (newmail_register_rop_tree); 0: not registered. */
static int rq_field_ids[NEWMAIL_RQ_NAME_COUNT];
static int rs_field_ids[NEWMAIL_RS_NAME_COUNT];

static int ett_newmail_rop_request = -1;
static int ett_newmail_rop_buffer = -1;
static int ett_newmail_rpcx = -1;
static int ett_newmail_rpcx_flags = -1;
static int ett_newmail_rop = -1;
static int ett_newmail_notify = -1;
static int ett_newmail_notify_type = -1;
static int ett_newmail_subscription = -1;

static expert_field ei_newmail_rpcx_problem = EI_INIT;
static expert_field ei_newmail_rop_decode = EI_INIT;
static expert_field ei_newmail_rop_buffer_problem = EI_INIT;
static expert_field ei_newmail_rop_unsized = EI_INIT;
static expert_field ei_newmail_rop_truncated = EI_INIT;
static expert_field ei_newmail_notify_problem = EI_INIT;
static expert_field ei_newmail_rop_buffer_over_budget = EI_INIT;
static expert_field ei_newmail_rop_buffer_too_many = EI_INIT;
static expert_field ei_newmail_rop_needs_request = EI_INIT;
static expert_field ei_newmail_rop_needs_columns = EI_INIT;
static expert_field ei_newmail_rop_request_unread = EI_INIT;
static expert_field ei_newmail_notify_subscription_unknown = EI_INIT;
static expert_field ei_newmail_objects_too_many = EI_INIT;

/* The filter name and type of each field name, by the kinds the readers give
 * it (newmail-rop-request.c, newmail-rop-response.c): integers by their
 * widest width, strings, GUIDs, and bytes for lists, rows and byte arrays. A
 * field read with a kind its name's type cannot hold is shown under
 * newmail.rop.field instead (add_rop_field()). RopId is the ROP's own item
 * (newmail.rop, newmail.rop.request) and a response's ReturnValue is
 * newmail.rop.return_value, as before: they have no entry here. */
typedef struct {
    unsigned name;
    const char *abbrev;
    enum ftenum type;
    int display;
} rop_field_type_t;

/* clang-format off */
static const rop_field_type_t rq_field_types[] = {
    { NEWMAIL_RQ_LOGON_ID, "newmail.rop.request.logon_id", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_INPUT_HANDLE_INDEX, "newmail.rop.request.input_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RQ_OUTPUT_HANDLE_INDEX, "newmail.rop.request.output_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RQ_SOURCE_HANDLE_INDEX, "newmail.rop.request.source_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RQ_DEST_HANDLE_INDEX, "newmail.rop.request.dest_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RQ_RESPONSE_HANDLE_INDEX, "newmail.rop.request.response_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RQ_LOGON_FLAGS, "newmail.rop.request.logon_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_OPEN_FLAGS, "newmail.rop.request.open_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_STORE_STATE, "newmail.rop.request.store_state", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_ESSDN_SIZE, "newmail.rop.request.essdn_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_ESSDN, "newmail.rop.request.essdn", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_FOLDER_ID, "newmail.rop.request.folder_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_ID, "newmail.rop.request.message_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_OPEN_MODE_FLAGS, "newmail.rop.request.open_mode_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_CODE_PAGE_ID, "newmail.rop.request.code_page_id", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_ASSOCIATED_FLAG, "newmail.rop.request.associated_flag", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_TABLE_FLAGS, "newmail.rop.request.table_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_SIZE_LIMIT, "newmail.rop.request.property_size_limit", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_UNICODE, "newmail.rop.request.want_unicode", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_TAG_COUNT, "newmail.rop.request.property_tag_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_TAGS, "newmail.rop.request.property_tags", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_PROPERTY_TAG, "newmail.rop.request.property_tag", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_VALUE_SIZE, "newmail.rop.request.property_value_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_VALUE_COUNT, "newmail.rop.request.property_value_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_VALUES, "newmail.rop.request.property_values", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SAVE_FLAGS, "newmail.rop.request.save_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_RESERVED, "newmail.rop.request.reserved", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_COLUMN_COUNT, "newmail.rop.request.column_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_RECIPIENT_COLUMNS, "newmail.rop.request.recipient_columns", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_ROW_COUNT, "newmail.rop.request.row_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_RECIPIENT_ROWS, "newmail.rop.request.recipient_rows", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_ROW_ID, "newmail.rop.request.row_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_READ_FLAGS, "newmail.rop.request.read_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_CLIENT_DATA, "newmail.rop.request.client_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SET_COLUMNS_FLAGS, "newmail.rop.request.set_columns_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SORT_TABLE_FLAGS, "newmail.rop.request.sort_table_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SORT_ORDER_COUNT, "newmail.rop.request.sort_order_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_CATEGORIZED_COUNT, "newmail.rop.request.categorized_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_EXPANDED_COUNT, "newmail.rop.request.expanded_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_SORT_ORDERS, "newmail.rop.request.sort_orders", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_RESTRICT_FLAGS, "newmail.rop.request.restrict_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_RESTRICTION_DATA_SIZE, "newmail.rop.request.restriction_data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_RESTRICTION_DATA, "newmail.rop.request.restriction_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_QUERY_ROWS_FLAGS, "newmail.rop.request.query_rows_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_FORWARD_READ, "newmail.rop.request.forward_read", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_ORIGIN, "newmail.rop.request.origin", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_ROW_MOVED_COUNT, "newmail.rop.request.want_row_moved_count", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_BOOKMARK_SIZE, "newmail.rop.request.bookmark_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_BOOKMARK, "newmail.rop.request.bookmark", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_NUMERATOR, "newmail.rop.request.numerator", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_DENOMINATOR, "newmail.rop.request.denominator", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_FOLDER_TYPE, "newmail.rop.request.folder_type", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_USE_UNICODE_STRINGS, "newmail.rop.request.use_unicode_strings", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_OPEN_EXISTING, "newmail.rop.request.open_existing", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_DISPLAY_NAME, "newmail.rop.request.display_name", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_COMMENT, "newmail.rop.request.comment", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_DELETE_FOLDER_FLAGS, "newmail.rop.request.delete_folder_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_ASYNCHRONOUS, "newmail.rop.request.want_asynchronous", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_NOTIFY_NON_READ, "newmail.rop.request.notify_non_read", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_ID_COUNT, "newmail.rop.request.message_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_IDS, "newmail.rop.request.message_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_MESSAGE_STATUS_FLAGS, "newmail.rop.request.message_status_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_STATUS_MASK, "newmail.rop.request.message_status_mask", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_OPEN_ATTACHMENT_FLAGS, "newmail.rop.request.open_attachment_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_ATTACHMENT_ID, "newmail.rop.request.attachment_id", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_CLASS, "newmail.rop.request.message_class", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_NOTIFICATION_TYPES, "newmail.rop.request.notification_types", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_WHOLE_STORE, "newmail.rop.request.want_whole_store", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_BYTE_COUNT, "newmail.rop.request.byte_count", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_MAXIMUM_BYTE_COUNT, "newmail.rop.request.maximum_byte_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_DATA_SIZE, "newmail.rop.request.data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_DATA, "newmail.rop.request.data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_OFFSET, "newmail.rop.request.offset", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_STREAM_SIZE, "newmail.rop.request.stream_size", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_FOLDER_ID_COUNT, "newmail.rop.request.folder_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_FOLDER_IDS, "newmail.rop.request.folder_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SEARCH_FLAGS, "newmail.rop.request.search_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_USE_UNICODE, "newmail.rop.request.use_unicode", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_INCLUDE_RESTRICTION, "newmail.rop.request.include_restriction", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_INCLUDE_FOLDERS, "newmail.rop.request.include_folders", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SUBMIT_FLAGS, "newmail.rop.request.submit_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_COPY, "newmail.rop.request.want_copy", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_RECURSIVE, "newmail.rop.request.want_recursive", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_NEW_FOLDER_NAME, "newmail.rop.request.new_folder_name", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_WANT_SUB_OBJECTS, "newmail.rop.request.want_sub_objects", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_COPY_FLAGS, "newmail.rop.request.copy_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_EXCLUDED_TAG_COUNT, "newmail.rop.request.excluded_tag_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_EXCLUDED_TAGS, "newmail.rop.request.excluded_tags", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_MODIFY_FLAGS, "newmail.rop.request.modify_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_MODIFY_COUNT, "newmail.rop.request.modify_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PERMISSIONS_DATA, "newmail.rop.request.permissions_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_MODIFY_RULES_FLAGS, "newmail.rop.request.modify_rules_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_RULES_COUNT, "newmail.rop.request.rules_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_RULES_DATA, "newmail.rop.request.rules_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_OBJECT_ID, "newmail.rop.request.object_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_LONG_TERM_ID, "newmail.rop.request.long_term_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_LOCK_STATE, "newmail.rop.request.lock_state", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SEND_OPTIONS, "newmail.rop.request.send_options", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_LEVEL, "newmail.rop.request.level", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_BUFFER_SIZE, "newmail.rop.request.buffer_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_MAXIMUM_BUFFER_SIZE, "newmail.rop.request.maximum_buffer_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_FIND_ROW_FLAGS, "newmail.rop.request.find_row_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_WANT_CANCEL, "newmail.rop.request.want_cancel", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_FLAGS, "newmail.rop.request.message_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_SOURCE_OPERATION, "newmail.rop.request.source_operation", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_TRANSFER_DATA_SIZE, "newmail.rop.request.transfer_data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_TRANSFER_DATA, "newmail.rop.request.transfer_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_PROPERTY_ID_COUNT, "newmail.rop.request.property_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_IDS, "newmail.rop.request.property_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_FLAGS, "newmail.rop.request.flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_NAME_COUNT, "newmail.rop.request.property_name_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_NAMES, "newmail.rop.request.property_names", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SERVER_ENTRY_ID_SIZE, "newmail.rop.request.server_entry_id_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_SERVER_ENTRY_ID, "newmail.rop.request.server_entry_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_CLIENT_ENTRY_ID_SIZE, "newmail.rop.request.client_entry_id_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_CLIENT_ENTRY_ID, "newmail.rop.request.client_entry_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_WANT_DELETE_ASSOCIATED, "newmail.rop.request.want_delete_associated", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_MAX_ROW_COUNT, "newmail.rop.request.max_row_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_CATEGORY_ID, "newmail.rop.request.category_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_REGION_OFFSET, "newmail.rop.request.region_offset", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_REGION_SIZE, "newmail.rop.request.region_size", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RQ_LOCK_FLAGS, "newmail.rop.request.lock_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_QUERY_FLAGS, "newmail.rop.request.query_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_HAS_GUID, "newmail.rop.request.has_guid", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_PROPERTY_GUID, "newmail.rop.request.property_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RQ_DATABASE_GUID, "newmail.rop.request.database_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RQ_DATA_OFFSET, "newmail.rop.request.data_offset", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_MAX_DATA_SIZE, "newmail.rop.request.max_data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_HAS_FINISHED, "newmail.rop.request.has_finished", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_REPL_GUID, "newmail.rop.request.repl_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RQ_ROW_INSTANCE_NUMBER, "newmail.rop.request.row_instance_number", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_COLLAPSE_STATE_SIZE, "newmail.rop.request.collapse_state_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_COLLAPSE_STATE, "newmail.rop.request.collapse_state", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_ADDRESS_TYPE, "newmail.rop.request.address_type", FT_STRING, BASE_NONE },
    { NEWMAIL_RQ_WANT_WIN32, "newmail.rop.request.want_win32", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SYNCHRONIZATION_TYPE, "newmail.rop.request.synchronization_type", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_SYNCHRONIZATION_FLAGS, "newmail.rop.request.synchronization_flags", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_SYNCHRONIZATION_EXTRA_FLAGS, "newmail.rop.request.synchronization_extra_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_IMPORT_FLAG, "newmail.rop.request.import_flag", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_HIERARCHY_VALUE_COUNT, "newmail.rop.request.hierarchy_value_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_HIERARCHY_VALUES, "newmail.rop.request.hierarchy_values", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_IMPORT_DELETE_FLAGS, "newmail.rop.request.import_delete_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_STATE_PROPERTY, "newmail.rop.request.state_property", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_TRANSFER_BUFFER_SIZE, "newmail.rop.request.transfer_buffer_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_STREAM_DATA_SIZE, "newmail.rop.request.stream_data_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_STREAM_DATA, "newmail.rop.request.stream_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SOURCE_FOLDER_ID_SIZE, "newmail.rop.request.source_folder_id_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_SOURCE_FOLDER_ID, "newmail.rop.request.source_folder_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_SOURCE_MESSAGE_ID_SIZE, "newmail.rop.request.source_message_id_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_SOURCE_MESSAGE_ID, "newmail.rop.request.source_message_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_PREDECESSOR_CHANGE_LIST_SIZE, "newmail.rop.request.predecessor_change_list_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_PREDECESSOR_CHANGE_LIST, "newmail.rop.request.predecessor_change_list", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_DESTINATION_MESSAGE_ID_SIZE, "newmail.rop.request.destination_message_id_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_DESTINATION_MESSAGE_ID, "newmail.rop.request.destination_message_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_CHANGE_NUMBER_SIZE, "newmail.rop.request.change_number_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_CHANGE_NUMBER, "newmail.rop.request.change_number", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_IS_CONTENTS_COLLECTOR, "newmail.rop.request.is_contents_collector", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RQ_ID_COUNT, "newmail.rop.request.id_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_READ_STATES_SIZE, "newmail.rop.request.message_read_states_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RQ_MESSAGE_READ_STATES, "newmail.rop.request.message_read_states", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_VERSION, "newmail.rop.request.version", FT_BYTES, BASE_NONE },
    { NEWMAIL_RQ_LONG_TERM_ID_RANGE_COUNT, "newmail.rop.request.long_term_id_range_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RQ_LONG_TERM_ID_RANGES, "newmail.rop.request.long_term_id_ranges", FT_BYTES, BASE_NONE },
};
static const rop_field_type_t rs_field_types[] = {
    { NEWMAIL_RS_INPUT_HANDLE_INDEX, "newmail.rop.response.input_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RS_OUTPUT_HANDLE_INDEX, "newmail.rop.response.output_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RS_RESPONSE_HANDLE_INDEX, "newmail.rop.response.response_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RS_SOURCE_HANDLE_INDEX, "newmail.rop.response.source_handle_index", FT_UINT8, BASE_DEC },
    { NEWMAIL_RS_DEST_HANDLE_INDEX, "newmail.rop.response.dest_handle_index", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_LOGON_FLAGS, "newmail.rop.response.logon_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_FOLDER_IDS, "newmail.rop.response.folder_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_RESPONSE_FLAGS, "newmail.rop.response.response_flags", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_MAILBOX_GUID, "newmail.rop.response.mailbox_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RS_REPL_ID, "newmail.rop.response.repl_id", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_REPL_GUID, "newmail.rop.response.repl_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RS_LOGON_TIME, "newmail.rop.response.logon_time", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_GWART_TIME, "newmail.rop.response.gwart_time", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_STORE_STATE, "newmail.rop.response.store_state", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_PER_USER_GUID, "newmail.rop.response.per_user_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RS_SERVER_NAME_SIZE, "newmail.rop.response.server_name_size", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_SERVER_NAME, "newmail.rop.response.server_name", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HAS_RULES, "newmail.rop.response.has_rules", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_IS_GHOSTED, "newmail.rop.response.is_ghosted", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_SERVER_COUNT, "newmail.rop.response.server_count", FT_UINT16, BASE_DEC },
    { NEWMAIL_RS_CHEAP_SERVER_COUNT, "newmail.rop.response.cheap_server_count", FT_UINT16, BASE_DEC },
    { NEWMAIL_RS_SERVERS, "newmail.rop.response.servers", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HAS_NAMED_PROPERTIES, "newmail.rop.response.has_named_properties", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_SUBJECT_PREFIX, "newmail.rop.response.subject_prefix", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_NORMALIZED_SUBJECT, "newmail.rop.response.normalized_subject", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_RECIPIENT_COUNT, "newmail.rop.response.recipient_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_COLUMN_COUNT, "newmail.rop.response.column_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_RECIPIENT_COLUMNS, "newmail.rop.response.recipient_columns", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_ROW_COUNT, "newmail.rop.response.row_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_RECIPIENT_ROWS, "newmail.rop.response.recipient_rows", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_READ_STATUS_CHANGED, "newmail.rop.response.read_status_changed", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_LOGON_ID, "newmail.rop.response.logon_id", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_CLIENT_DATA, "newmail.rop.response.client_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HAS_MESSAGE_ID, "newmail.rop.response.has_message_id", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_MESSAGE_ID, "newmail.rop.response.message_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_MESSAGE_STATUS_FLAGS, "newmail.rop.response.message_status_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_ATTACHMENT_ID, "newmail.rop.response.attachment_id", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_RESERVED, "newmail.rop.response.reserved", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_VALUE_COUNT, "newmail.rop.response.property_value_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_VALUES, "newmail.rop.response.property_values", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_PROPERTY_TAG_COUNT, "newmail.rop.response.property_tag_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_TAGS, "newmail.rop.response.property_tags", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_ROW_DATA, "newmail.rop.response.row_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_PROPERTY_PROBLEM_COUNT, "newmail.rop.response.property_problem_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_PROBLEMS, "newmail.rop.response.property_problems", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_ID_COUNT, "newmail.rop.response.id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_IDS, "newmail.rop.response.property_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_PROPERTY_NAMES, "newmail.rop.response.property_names", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_PROPERTY_ID_COUNT, "newmail.rop.response.property_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_PROPERTY_NAME_COUNT, "newmail.rop.response.property_name_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_STREAM_SIZE, "newmail.rop.response.stream_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_DATA_SIZE, "newmail.rop.response.data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_DATA, "newmail.rop.response.data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_WRITTEN_SIZE, "newmail.rop.response.written_size", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_NEW_POSITION, "newmail.rop.response.new_position", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_READ_BYTE_COUNT, "newmail.rop.response.read_byte_count", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_WRITTEN_BYTE_COUNT, "newmail.rop.response.written_byte_count", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_TABLE_STATUS, "newmail.rop.response.table_status", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_ORIGIN, "newmail.rop.response.origin", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_NUMERATOR, "newmail.rop.response.numerator", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_DENOMINATOR, "newmail.rop.response.denominator", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_HAS_SOUGHT_LESS, "newmail.rop.response.has_sought_less", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_ROWS_SOUGHT, "newmail.rop.response.rows_sought", FT_INT32, BASE_DEC },
    { NEWMAIL_RS_ROW_NO_LONGER_VISIBLE, "newmail.rop.response.row_no_longer_visible", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_BOOKMARK_SIZE, "newmail.rop.response.bookmark_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_BOOKMARK, "newmail.rop.response.bookmark", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HAS_ROW_DATA, "newmail.rop.response.has_row_data", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_EXPANDED_ROW_COUNT, "newmail.rop.response.expanded_row_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_COLLAPSED_ROW_COUNT, "newmail.rop.response.collapsed_row_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_COLLAPSE_STATE_SIZE, "newmail.rop.response.collapse_state_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_COLLAPSE_STATE, "newmail.rop.response.collapse_state", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_FOLDER_ID, "newmail.rop.response.folder_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_IS_EXISTING_FOLDER, "newmail.rop.response.is_existing_folder", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_PARTIAL_COMPLETION, "newmail.rop.response.partial_completion", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_RESTRICTION_DATA_SIZE, "newmail.rop.response.restriction_data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_RESTRICTION_DATA, "newmail.rop.response.restriction_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_FOLDER_ID_COUNT, "newmail.rop.response.folder_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_SEARCH_FLAGS, "newmail.rop.response.search_flags", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_ATTACHMENT_ID_COUNT, "newmail.rop.response.attachment_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_ATTACHMENT_ID_ARRAY, "newmail.rop.response.attachment_id_array", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_ADDRESS_TYPE_COUNT, "newmail.rop.response.address_type_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_ADDRESS_TYPE_SIZE, "newmail.rop.response.address_type_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_ADDRESS_TYPES, "newmail.rop.response.address_types", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_NO_PROPERTIES_RETURNED, "newmail.rop.response.no_properties_returned", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_OPTIONS_INFO_SIZE, "newmail.rop.response.options_info_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_OPTIONS_INFO, "newmail.rop.response.options_info", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HELP_FILE_SIZE, "newmail.rop.response.help_file_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_HELP_FILE, "newmail.rop.response.help_file", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_HELP_FILE_NAME, "newmail.rop.response.help_file_name", FT_STRING, BASE_NONE },
    { NEWMAIL_RS_TRANSFER_STATUS, "newmail.rop.response.transfer_status", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_IN_PROGRESS_COUNT, "newmail.rop.response.in_progress_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_TOTAL_STEP_COUNT, "newmail.rop.response.total_step_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_BUFFER_USED_SIZE, "newmail.rop.response.buffer_used_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_TRANSFER_BUFFER_SIZE, "newmail.rop.response.transfer_buffer_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_TRANSFER_BUFFER, "newmail.rop.response.transfer_buffer", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_BACKOFF_TIME, "newmail.rop.response.backoff_time", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_GLOBAL_COUNT, "newmail.rop.response.global_count", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_OWNING_SERVERS_COUNT, "newmail.rop.response.owning_servers_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_CHEAP_SERVERS_COUNT, "newmail.rop.response.cheap_servers_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_OWNING_SERVERS, "newmail.rop.response.owning_servers", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_SERVERS_COUNT, "newmail.rop.response.servers_count", FT_UINT16, BASE_DEC },
    { NEWMAIL_RS_LONG_TERM_ID, "newmail.rop.response.long_term_id", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_OBJECT_ID, "newmail.rop.response.object_id", FT_UINT64, BASE_HEX_DEC },
    { NEWMAIL_RS_LONG_TERM_ID_COUNT, "newmail.rop.response.long_term_id_count", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_LONG_TERM_IDS, "newmail.rop.response.long_term_ids", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_DATABASE_GUID, "newmail.rop.response.database_guid", FT_GUID, BASE_NONE },
    { NEWMAIL_RS_HAS_FINISHED, "newmail.rop.response.has_finished", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_EXPLICIT_MESSAGE_CLASS, "newmail.rop.response.explicit_message_class", FT_STRING, BASE_NONE },
    { NEWMAIL_RS_ROWS, "newmail.rop.response.rows", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_COMPLETED_TASK_COUNT, "newmail.rop.response.completed_task_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_TOTAL_TASK_COUNT, "newmail.rop.response.total_task_count", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_SESSION_INDEX, "newmail.rop.response.session_index", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_SIZE_NEEDED, "newmail.rop.response.size_needed", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_REQUEST_BUFFERS, "newmail.rop.response.request_buffers", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_DURATION, "newmail.rop.response.duration", FT_UINT32, BASE_HEX_DEC },
    { NEWMAIL_RS_BACKOFF_ROP_COUNT, "newmail.rop.response.backoff_rop_count", FT_UINT8, BASE_HEX_DEC },
    { NEWMAIL_RS_BACKOFF_ROP_DATA, "newmail.rop.response.backoff_rop_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_ADDITIONAL_DATA_SIZE, "newmail.rop.response.additional_data_size", FT_UINT16, BASE_HEX_DEC },
    { NEWMAIL_RS_ADDITIONAL_DATA, "newmail.rop.response.additional_data", FT_BYTES, BASE_NONE },
    { NEWMAIL_RS_NOTIFICATION_DATA, "newmail.rop.response.notification_data", FT_BYTES, BASE_NONE },
};
/* clang-format on */

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
    /* The session's objects (newmail-objects.h), NULL when none are known;
     * looked up as of this call (its response's frame). */
    const newmail_objects_t *objects;
    /* The handle table of the payload being shown. */
    const uint8_t *payload_handles;
    size_t payload_handle_count;
    /* First pass of a response in a known session: what the walk learns for
     * newmail_objects_update_call(). Nothing here is read by the tree. */
    bool learn;
    uint8_t *outcomes; /* newmail_outcome_t per request of the call */
    size_t outcome_count;
    const uint8_t *response_handles; /* the first payload's handle table */
    size_t response_handle_count;
    newmail_objects_notify_t *notifications;
    size_t notification_count, notification_capacity;
    /* The caller's record of the RopNotify shown (NULL: none kept). */
    newmail_rop_call_t *call;
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


/* ---- ROP fields, both directions ----------------------------------------------------- */

typedef enum { FIELD_INT, FIELD_STRING8, FIELD_UNICODE, FIELD_GUID, FIELD_BYTES } field_class_t;

static field_class_t
rq_class(unsigned kind)
{
    switch (kind) {
    case NEWMAIL_RQK_U8: case NEWMAIL_RQK_U16: case NEWMAIL_RQK_U32: case NEWMAIL_RQK_I32:
    case NEWMAIL_RQK_U64: case NEWMAIL_RQK_HANDLE_INDEX:
        return FIELD_INT;
    case NEWMAIL_RQK_STRING8: case NEWMAIL_RQK_STRING8_COUNTED:
        return FIELD_STRING8;
    case NEWMAIL_RQK_UNICODE:
        return FIELD_UNICODE;
    case NEWMAIL_RQK_GUID:
        return FIELD_GUID;
    default:
        return FIELD_BYTES;
    }
}

static field_class_t
rs_class(unsigned kind)
{
    switch (kind) {
    case NEWMAIL_RSK_U8: case NEWMAIL_RSK_U16: case NEWMAIL_RSK_U32: case NEWMAIL_RSK_I32:
    case NEWMAIL_RSK_U64: case NEWMAIL_RSK_HANDLE_INDEX:
        return FIELD_INT;
    case NEWMAIL_RSK_STRING8:
        return FIELD_STRING8;
    case NEWMAIL_RSK_GUID:
        return FIELD_GUID;
    default:
        return FIELD_BYTES;
    }
}

/* One field of a request or response at its span, under its own filter name
 * when its type holds what was read, else under newmail.rop.field with its
 * MS-OXCROPS name. */
static void
add_rop_field(proto_tree *tree, tvbuff_t *tvb, int hf, const char *name, field_class_t cls,
              newmail_span_t span, uint64_t value)
{
    enum ftenum type = hf > 0 ? proto_registrar_get_ftype(hf) : FT_NONE;
    int offset = (int)span.offset, length = (int)span.length;

    switch (cls) {
    case FIELD_INT:
        if (type == FT_UINT64) {
            proto_tree_add_uint64(tree, hf, tvb, offset, length, value);
            return;
        }
        if (type == FT_INT32 && length == 4) {
            proto_tree_add_int(tree, hf, tvb, offset, length, (int32_t)(uint32_t)value);
            return;
        }
        if ((type == FT_UINT32 && value <= 0xFFFFFFFFu) ||
            (type == FT_UINT16 && value <= 0xFFFFu) || (type == FT_UINT8 && value <= 0xFFu)) {
            proto_tree_add_uint(tree, hf, tvb, offset, length, (uint32_t)value);
            return;
        }
        break;
    case FIELD_STRING8:
    case FIELD_UNICODE:
        if (type == FT_STRING) {
            if (cls == FIELD_UNICODE)
                proto_tree_add_item(tree, hf, tvb, offset, length, ENC_UTF_16 | ENC_LITTLE_ENDIAN);
            else
                proto_tree_add_item(tree, hf, tvb, offset, length, ENC_ASCII);
            return;
        }
        break;
    case FIELD_GUID:
        if (type == FT_GUID && length == 16) {
            proto_tree_add_item(tree, hf, tvb, offset, length, ENC_LITTLE_ENDIAN);
            return;
        }
        break;
    case FIELD_BYTES:
        break;
    }
    if (type == FT_BYTES) {
        proto_tree_add_item(tree, hf, tvb, offset, length, ENC_NA);
        return;
    }
    proto_tree_add_bytes_format(tree, hf_newmail_rop_field_other, tvb, offset, length, NULL,
                                "%s (%d bytes)", name != NULL ? name : "Field", length);
}

static void
add_request_fields(proto_tree *tree, tvbuff_t *tvb, const newmail_rop_request_t *rq)
{
    for (unsigned i = 0; i < rq->nfields && i < NEWMAIL_RQ_MAX_FIELDS; i++) {
        const newmail_rq_field_t *f = &rq->field[i];

        if (f->name == NEWMAIL_RQ_ROP_ID || f->name >= NEWMAIL_RQ_NAME_COUNT)
            continue;
        add_rop_field(tree, tvb, rq_field_ids[f->name], newmail_rq_field_name(f->name),
                      rq_class(f->kind), f->span, f->value);
    }
}

static void
add_response_fields(proto_tree *tree, tvbuff_t *tvb, const newmail_rop_response_t *rop)
{
    for (unsigned i = 0; i < rop->nfields && i < NEWMAIL_RS_MAX_FIELDS; i++) {
        const newmail_rs_field_t *f = &rop->rs[i];

        if (f->name == NEWMAIL_RS_ROP_ID || f->name == NEWMAIL_RS_RETURN_VALUE ||
            f->name >= NEWMAIL_RS_NAME_COUNT)
            continue;
        add_rop_field(tree, tvb, rs_field_ids[f->name], newmail_rs_field_name(f->name),
                      rs_class(f->kind), f->span, f->value);
    }
}

static const char *
request_stop_text(newmail_rq_status_t status)
{
    switch (status) {
    case NEWMAIL_RQ_TRUNCATED:
        return "RopsList ends inside this request";
    case NEWMAIL_RQ_UNREADABLE:
        return "a property value or name of this request has no size the plugin knows";
    case NEWMAIL_RQ_NEEDS_LOGON:
        return "its layout depends on the LogonFlags of a logon made before the capture";
    case NEWMAIL_RQ_UNKNOWN:
    default:
        return "its RopId is reserved or has no request";
    }
}

/* The ROP requests of one decoded input payload, field by field. */
static void
add_requests(rop_tree_t *rt, proto_tree *tree, tvbuff_t *tvb, const uint8_t *bytes, size_t length)
{
    newmail_rop_request_walk_t walk;
    newmail_rop_request_t rq;

    newmail_rop_request_walk_init(&walk, bytes, length);
    while (newmail_rop_request_next(&walk, &rq)) {
        proto_item *ti;
        proto_tree *rq_tree;

        if (!rop_tree_take_entry(rt))
            return;
        ti = proto_tree_add_uint_format_value(
            tree, hf_newmail_rop_request, tvb, (int)rq.span.offset,
            rq.span.length > 0 ? (int)rq.span.length : 1, rq.rop_id, "%s (0x%02x)",
            val_to_str_const(rq.rop_id, rop_id_vals, "Reserved"), rq.rop_id);
        rq_tree = proto_item_add_subtree(ti, ett_newmail_rop_request);
        add_request_fields(rq_tree, tvb, &rq);
        if (rq.status != NEWMAIL_RQ_READ)
            expert_add_info_format(rt->pinfo, ti, &ei_newmail_rop_request_unread,
                                   "This request cannot be read whole (%s): the rest of this"
                                   " buffer is not decoded",
                                   request_stop_text(rq.status));
    }
}

/* What a response walk is told of its call: the requests the first pass kept
 * (read again here), no table columns from earlier calls (stage 2). */
typedef struct {
    newmail_rop_context_t ctx;
    bool have_request;    /* the request of the call is in the capture */
    size_t first_request; /* the request the payload's first response answers: 0, or
                             for a chained payload the call's last (chained_context()) */
    /* The session's objects as of this call, and the request's handle table
     * (u32 LE each) that names them by index. */
    const newmail_objects_t *objects;
    uint32_t frame;
    const uint8_t *request_handles;
    size_t request_handle_count;
} response_context_t;

/* The columns of the table the request's handle table names at
 * handle_index, as of this call (newmail-objects.h: the last RopSetColumns
 * answered in an earlier call). */
static bool
session_table_columns(void *ctx, uint8_t handle_index, const uint32_t **tags, size_t *count)
{
    const response_context_t *rc = (const response_context_t *)ctx;
    const newmail_object_t *table;

    if (handle_index >= rc->request_handle_count)
        return false;
    table = newmail_object_lookup(rc->objects,
                                  newmail_le32(rc->request_handles + 4 * (size_t)handle_index),
                                  rc->frame);
    return newmail_object_columns_at(table, rc->frame, tags, count);
}

/* The same for the table a TableModified notification's NotificationHandle
 * names (MS-OXCNOTIF 3.1.4.2.1: table notifications come on the table's own
 * handle). */
static bool
session_notify_columns(void *ctx, uint32_t handle, const uint32_t **tags, size_t *count)
{
    const response_context_t *rc = (const response_context_t *)ctx;

    return newmail_object_columns_at(newmail_object_lookup(rc->objects, handle, rc->frame),
                                     rc->frame, tags, count);
}

/* A request buffer that holds no ROP (RopSize 2): what a client sends to
 * collect its notifications, so on most calls of a long capture. What its
 * response needs of it is only that it asked for nothing; one copy serves
 * them all: the payload RopSize 2 with an empty handle table (the table is
 * only ever read by the indexes of the request's ROPs). */
static const uint8_t empty_request_payload[] = { 0x02, 0x00 };
static const newmail_rop_request_copy_t empty_request = {
    empty_request_payload, sizeof(empty_request_payload), NEWMAIL_ROP_BUFFER_MAX_DECODED, true
};

/* True when the block's payload is readable as it is on the wire, or
 * cleared of its XOR, and its RopSize says it holds no ROP. */
static bool
block_holds_no_rop(const uint8_t *buf, const newmail_rpcx_block_t *block)
{
    uint8_t size[2];

    if (block->flags & NEWMAIL_RPCX_FLAG_COMPRESSED || block->payload.length < 2 ||
        block->size_actual != block->payload.length)
        return false;
    memcpy(size, buf + block->payload.offset, 2);
    if (block->flags & NEWMAIL_RPCX_FLAG_XOR_MAGIC) {
        size[0] ^= NEWMAIL_XOR_MAGIC;
        size[1] ^= NEWMAIL_XOR_MAGIC;
    }
    return newmail_le16(size) == 2;
}

const newmail_rop_request_copy_t *
newmail_rop_request_copy_add(const uint8_t *buf, size_t len, uint32_t max_decoded)
{
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t block;
    newmail_rop_request_copy_t *copy;
    uint8_t *wire;

    if (buf != NULL && len > 0) {
        newmail_rpcx_walk_init(&walk, buf, len, max_decoded);
        if (newmail_rpcx_next(&walk, &block) && block.header_read) {
            if (block_holds_no_rop(buf, &block) &&
                !(block.problems & (NEWMAIL_RPCX_OVER_BUDGET | NEWMAIL_RPCX_SIZE_PAST_END)))
                return &empty_request;
            /* The copy and its bytes in one allocation. */
            copy = (newmail_rop_request_copy_t *)wmem_alloc0(
                wmem_file_scope(),
                sizeof(*copy) + block.header.length + block.payload.length);
            wire = (uint8_t *)(copy + 1);
            copy->max_decoded = max_decoded;
            copy->wire_length = block.header.length + block.payload.length;
            memcpy(wire, buf + block.header.offset, copy->wire_length);
            copy->wire = wire;
            return copy;
        }
    }
    copy = wmem_new0(wmem_file_scope(), newmail_rop_request_copy_t);
    copy->max_decoded = max_decoded;
    return copy;
}

const newmail_rop_request_copy_t *
newmail_rop_request_copy_add_xor(const uint8_t *buf, size_t len, uint32_t max_decoded)
{
    newmail_rop_request_copy_t *copy = wmem_new0(wmem_file_scope(), newmail_rop_request_copy_t);
    uint8_t *cleared;

    copy->max_decoded = max_decoded;
    copy->payload = true;
    if (buf == NULL || len == 0)
        return copy;
    if (len > max_decoded)
        len = max_decoded;
    cleared = (uint8_t *)wmem_alloc(wmem_file_scope(), len);
    newmail_xor_magic(buf, len, cleared);
    copy->wire = cleared;
    copy->wire_length = len;
    return copy;
}

/* The request's first block decoded, into the packet's scope: false when it
 * holds nothing a response can be laid out by (a cut or refused block, an
 * empty or undecodable payload). */
static bool
request_copy_decode(packet_info *pinfo, const newmail_rop_request_copy_t *request,
                    const uint8_t **bytes, size_t *length)
{
    newmail_rpcx_walk_t walk;
    newmail_rpcx_block_t block;
    uint8_t *out;
    size_t produced = 0;

    if (request->wire == NULL)
        return false;
    if (request->payload) {
        *bytes = request->wire;
        *length = request->wire_length;
        return true;
    }
    newmail_rpcx_walk_init(&walk, request->wire, request->wire_length, request->max_decoded);
    if (!newmail_rpcx_next(&walk, &block) || !block.header_read ||
        (block.problems & (NEWMAIL_RPCX_OVER_BUDGET | NEWMAIL_RPCX_SIZE_PAST_END)))
        return false;
    if (!(block.flags & (NEWMAIL_RPCX_FLAG_COMPRESSED | NEWMAIL_RPCX_FLAG_XOR_MAGIC))) {
        *bytes = request->wire + block.payload.offset;
        *length = block.payload.length;
        return block.payload.length > 0;
    }
    if (block.size_actual == 0)
        return false;
    out = (uint8_t *)wmem_alloc(pinfo->pool, block.size_actual);
    newmail_rpcx_decode(request->wire, request->wire_length, &block, out, block.size_actual,
                        &produced);
    *bytes = out;
    *length = produced;
    return produced > 0;
}

static void
response_context_init(response_context_t *rc, packet_info *pinfo,
                      const newmail_rop_request_copy_t *request, const newmail_objects_t *objects)
{
    newmail_rop_request_walk_t walk;
    newmail_rop_request_t *list = NULL;
    size_t count = 0, capacity = 0, length = 0;
    const uint8_t *bytes = NULL;

    memset(rc, 0, sizeof(*rc));
    rc->ctx.table_columns = session_table_columns;
    rc->ctx.notify_columns = session_notify_columns;
    rc->ctx.ctx = rc;
    rc->objects = objects;
    rc->frame = pinfo->num;
    if (request == NULL)
        return;
    rc->have_request = true;
    if (!request_copy_decode(pinfo, request, &bytes, &length))
        return; /* seen, but nothing of it could be decoded */
    newmail_rop_request_walk_init(&walk, bytes, length);
    /* At most as many requests as a buffer may show responses. */
    while (count < ROP_TREE_MAX_ENTRIES) {
        if (count == capacity) {
            capacity = capacity == 0 ? 16 : capacity * 2;
            list = (newmail_rop_request_t *)wmem_realloc(pinfo->pool, list,
                                                         capacity * sizeof(*list));
        }
        if (!newmail_rop_request_next(&walk, &list[count]))
            break;
        count++;
    }
    rc->ctx.request_buf = bytes;
    rc->ctx.request_len = length;
    rc->ctx.requests = list;
    rc->ctx.request_count = count;
    rc->ctx.requests_complete = walk.status == NEWMAIL_RQW_COMPLETE;
    if (walk.buffer.handle_count > 0) {
        rc->request_handles = bytes + walk.buffer.handle_table.offset;
        rc->request_handle_count = walk.buffer.handle_count;
    }
}

/* A request that holds no ROP (a client collecting its notifications), or
 * whose buffer could not be decoded, lays out nothing: its response is
 * walked as without a request, which sizes the ROPs that do not depend on
 * one. A request not in the capture is used as
 * such: the walk stops, by name, at the first response that needs it. */
static bool
response_context_usable(const response_context_t *rc)
{
    return !rc->have_request || rc->ctx.request_count > 0;
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

/* Tells the caller (for its tap) about a RopNotify shown and what its
 * handle names. */
static void
note_notified(const rop_tree_t *rt, const newmail_notify_t *notify, const newmail_object_t *object)
{
    newmail_rop_call_t *call = rt->call;
    newmail_notified_t *item;

    if (call == NULL)
        return;
    if (call->notified_count == call->notified_capacity) {
        call->notified_capacity = call->notified_capacity == 0 ? 4 : 2 * call->notified_capacity;
        call->notified = (newmail_notified_t *)wmem_realloc(
            rt->pinfo->pool, call->notified, call->notified_capacity * sizeof(*call->notified));
    }
    item = &call->notified[call->notified_count++];
    item->type = notify->type;
    item->tie = object == NULL                   ? NEWMAIL_NOTIFIED_UNKNOWN
                : object->subscription != NULL ? NEWMAIL_NOTIFIED_SUBSCRIPTION
                                               : NEWMAIL_NOTIFIED_OTHER;
    item->subscription_frame = object != NULL && object->subscription != NULL
                                   ? object->subscription->request_frame
                                   : 0;
}

/* The subscription a RopNotify answers: the RopRegisterNotification that
 * made the object its NotificationHandle names, as of this call; a note when
 * the capture shows no object with that handle (the subscription was made
 * before the capture began, or in a session the capture does not name).
 * TableModified notifications come on a table's handle: no note for them. */
static void
add_notify_subscription(proto_tree *tree, proto_item *ti, tvbuff_t *tvb, const rop_tree_t *rt,
                        const newmail_notify_t *notify)
{
    const newmail_object_t *object;

    if (!newmail_notify_has(notify, NEWMAIL_NF_HANDLE))
        return;
    object = newmail_object_lookup(rt->objects, notify->handle, rt->pinfo->num);
    note_notified(rt, notify, object);
    if (object != NULL && object->subscription != NULL) {
        if (object->subscription->request_frame != 0)
            newmail_add_frame_link(tree, hf_newmail_notify_subscription_frame, tvb,
                                   object->subscription->request_frame);
    } else if (object == NULL) {
        expert_add_info_format(rt->pinfo, ti, &ei_newmail_notify_subscription_unknown,
                               "No RopRegisterNotification in the capture made the subscription"
                               " with handle 0x%08x (made before the capture began?)",
                               notify->handle);
    }
}

static void
add_notify(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo, const newmail_rop_response_t *rop,
           const newmail_fetch_t *fetch, const rop_tree_t *rt)
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
    if (newmail_notify_has(notify, NEWMAIL_NF_TABLE_ROW_DATA) && rop->row_data_read)
        add_span(notify_tree, hf_newmail_notify_table_row_data, tvb,
                 notify->span[NEWMAIL_NF_TABLE_ROW_DATA], ENC_NA);
    if ((notify->type == NEWMAIL_NOTIFY_NEW_MAIL) && fetch != NULL && fetch->signal_count > 0)
        newmail_add_frame_link(notify_tree, hf_newmail_notify_signal_frame, tvb,
                               fetch->first_signal);
    add_notify_subscription(notify_tree, ti, tvb, rt, notify);
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

/* A successful RopRegisterNotification: the subscription it made (the object
 * at its OutputHandleIndex of this response's handle table) and the
 * notifications the capture shows for it. On a single pass, only those seen
 * so far: none, as they come in later responses. */
static void
add_subscription(proto_tree *tree, tvbuff_t *tvb, const rop_tree_t *rt,
                 const newmail_rop_response_t *rop)
{
    const newmail_object_t *object;
    const newmail_subscription_t *sub;
    proto_item *ti;
    proto_tree *sub_tree;
    uint32_t idx;

    if (rop->rop_id != NEWMAIL_ROP_REGISTER_NOTIFICATION ||
        !newmail_rop_has(rop, NEWMAIL_RF_RETURN_VALUE) || rop->value[NEWMAIL_RF_RETURN_VALUE] != 0 ||
        !newmail_rop_has(rop, NEWMAIL_RF_HANDLE_INDEX))
        return;
    idx = rop->value[NEWMAIL_RF_HANDLE_INDEX];
    if (idx >= rt->payload_handle_count)
        return;
    object = newmail_object_created_in(rt->objects, newmail_le32(rt->payload_handles + 4 * idx),
                                       rt->pinfo->num);
    if (object == NULL || object->subscription == NULL)
        return;
    sub = object->subscription;
    ti = proto_tree_add_item(tree, hf_newmail_subscription, tvb, (int)rop->span.offset,
                             (int)rop->span.length, ENC_NA);
    proto_item_append_text(ti, ": handle 0x%08x", object->handle);
    proto_item_set_generated(ti);
    sub_tree = proto_item_add_subtree(ti, ett_newmail_subscription);
    ti = proto_tree_add_uint(sub_tree, hf_newmail_subscription_notification_count, tvb, 0, 0,
                             sub->notification_count);
    proto_item_set_generated(ti);
    for (unsigned bit = 0; bit < NEWMAIL_NOTIFY_TYPE_BITS; bit++) {
        const char *name = newmail_notify_type_name((uint16_t)(1u << bit));

        if (sub->type_counts[bit] == 0)
            continue;
        ti = proto_tree_add_uint_format_value(sub_tree, hf_newmail_subscription_type_count, tvb, 0,
                                              0, sub->type_counts[bit], "%s: %u",
                                              name != NULL ? name : "Other",
                                              sub->type_counts[bit]);
        proto_item_set_generated(ti);
    }
    for (uint32_t i = 0; i < sub->frame_count; i++)
        newmail_add_frame_link(sub_tree, hf_newmail_subscription_notification_frame, tvb,
                               sub->frames[i]);
    if (sub->notification_count > 0 && sub->frame_count == NEWMAIL_SUBSCRIPTION_MAX_FRAMES)
        proto_item_append_text(proto_tree_get_parent(sub_tree), " (the first %u frames shown)",
                               NEWMAIL_SUBSCRIPTION_MAX_FRAMES);
}

/* One ROP response the walk read: its id, its return value when it failed,
 * and with a context every field read. */
static void
add_other_rop(proto_tree *tree, tvbuff_t *tvb, const newmail_rop_response_t *rop,
              const rop_tree_t *rt)
{
    proto_item *ti;
    proto_tree *rop_tree;

    ti = add_rop_id(tree, tvb, (int)rop->span.offset, (int)rop->span.length, rop->rop_id);
    if (!newmail_rop_has(rop, NEWMAIL_RF_RETURN_VALUE) && rop->nfields == 0)
        return;
    rop_tree = proto_item_add_subtree(ti, ett_newmail_rop);
    if (newmail_rop_has(rop, NEWMAIL_RF_RETURN_VALUE))
        add_span(rop_tree, hf_newmail_rop_return_value, tvb, rop->field[NEWMAIL_RF_RETURN_VALUE],
                 ENC_LITTLE_ENDIAN);
    add_response_fields(rop_tree, tvb, rop);
    add_subscription(rop_tree, tvb, rt, rop);
}

/* First pass: what one response says for the session's objects. */
static void
learn_response(rop_tree_t *rt, const newmail_rop_response_t *rop)
{
    if (!rt->learn || rop->status != NEWMAIL_ROP_SIZED)
        return;
    if (rop->rop_id == NEWMAIL_ROP_NOTIFY && newmail_notify_has(&rop->notify, NEWMAIL_NF_HANDLE)) {
        if (rt->notification_count == rt->notification_capacity) {
            rt->notification_capacity =
                rt->notification_capacity == 0 ? 8 : 2 * rt->notification_capacity;
            rt->notifications = (newmail_objects_notify_t *)wmem_realloc(
                rt->pinfo->pool, rt->notifications,
                rt->notification_capacity * sizeof(*rt->notifications));
        }
        rt->notifications[rt->notification_count++] =
            (newmail_objects_notify_t){ rop->notify.handle, rop->notify.type };
        return;
    }
    if (rop->request_index < rt->outcome_count)
        rt->outcomes[rop->request_index] =
            (uint8_t)(newmail_rop_has(rop, NEWMAIL_RF_RETURN_VALUE) &&
                              rop->value[NEWMAIL_RF_RETURN_VALUE] != 0
                          ? NEWMAIL_OUTCOME_FAILURE
                          : NEWMAIL_OUTCOME_SUCCESS);
}

/* A response the walk stopped at: what it read of it, and why it stopped. */
static void
add_stopped_rop(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                const newmail_rop_response_t *rop, const response_context_t *rc)
{
    const char *name = newmail_rop_name(rop->rop_id);
    proto_item *item;

    if (name == NULL)
        name = "This ROP's";
    item = add_rop_id(tree, tvb, (int)rop->span.offset,
                      rc != NULL && rop->span.length > 0 ? (int)rop->span.length : 1,
                      rop->rop_id);
    if (rop->nfields > 0)
        add_response_fields(proto_item_add_subtree(item, ett_newmail_rop), tvb, rop);
    if (rop->status == NEWMAIL_ROP_NEEDS_REQUEST) {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_needs_request,
                               "%s response is laid out by its request, and %s: the rest of this"
                               " buffer is not decoded",
                               name,
                               rc != NULL && rc->have_request
                                   ? "the request of this call was not read that far"
                                   : "the request of this call is not in the capture");
    } else if (rop->status == NEWMAIL_ROP_NEEDS_COLUMNS) {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_needs_columns,
                               "%s rows are laid out by their table's columns, which are not"
                               " known (no RopSetColumns for the table earlier in this call):"
                               " the rest of this buffer is not decoded",
                               name);
    } else if (rop->problems & NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH) {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_unsized,
                               "%s response does not answer the next request of this call: the"
                               " rest of this buffer is not decoded",
                               name);
    } else if (rop->problems & NEWMAIL_ROP_PROBLEM_NO_REQUEST) {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_unsized,
                               "%s response follows the responses to every request of this call:"
                               " the rest of this buffer is not decoded",
                               name);
    } else if (rc != NULL) {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_unsized,
                               "%s response cannot be sized: the rest of this buffer is not"
                               " decoded",
                               name);
    } else {
        expert_add_info_format(pinfo, item, &ei_newmail_rop_unsized,
                               "%s responses carry no length and their layout depends on"
                               " the request: the rest of this buffer is not decoded",
                               name);
    }
}

/* The ROP responses of one decoded output payload, as far as they can be
 * sized: with rc, read with the call's requests; without, the 11 RopIds of
 * the walk without a context. */
static void
add_responses(rop_tree_t *rt, proto_tree *tree, tvbuff_t *tvb, const uint8_t *bytes, size_t length,
              proto_item *rops_item, const newmail_fetch_t *fetch, const response_context_t *rc)
{
    packet_info *pinfo = rt->pinfo;
    newmail_rop_walk_t walk;
    newmail_rop_response_t rop;
    proto_item *item;

    if (rc != NULL) {
        newmail_rop_walk_init_ctx(&walk, bytes, length, &rc->ctx);
        /* The requests before it still say what each handle index holds. */
        walk.next_request = rc->first_request;
    } else
        newmail_rop_walk_init(&walk, bytes, length);
    while (newmail_rop_next_response(&walk, &rop)) {
        if (!rop_tree_take_entry(rt))
            return;
        learn_response(rt, &rop);
        if (rop.status == NEWMAIL_ROP_SIZED && rop.rop_id == NEWMAIL_ROP_NOTIFY) {
            add_notify(tree, tvb, pinfo, &rop, fetch, rt);
        } else if (rop.status == NEWMAIL_ROP_SIZED && rop.rop_id == NEWMAIL_ROP_PENDING) {
            add_pending(tree, tvb, &rop);
        } else if (rop.status == NEWMAIL_ROP_SIZED) {
            add_other_rop(tree, tvb, &rop, rt);
        } else if (rop.status == NEWMAIL_ROP_TRUNCATED) {
            item = add_rop_id(tree, tvb, (int)rop.span.offset, (int)rop.span.length, rop.rop_id);
            if (rop.nfields > 0)
                add_response_fields(proto_item_add_subtree(item, ett_newmail_rop), tvb, &rop);
            expert_add_info(pinfo, item, &ei_newmail_rop_truncated);
        } else {
            add_stopped_rop(tree, tvb, pinfo, &rop, rc);
        }
    }
    if (walk.status == NEWMAIL_ROPS_TRUNCATED && walk.count == 0)
        expert_add_info(pinfo, rops_item, &ei_newmail_rop_truncated);
}

/* One decoded payload: RopSize, the ROPs, the server object handle table. */
static void
add_payload(rop_tree_t *rt, proto_tree *tree, tvbuff_t *payload, bool response,
            const newmail_fetch_t *fetch, const response_context_t *rc)
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
    rt->payload_handles = bytes != NULL ? bytes + buffer.handle_table.offset : NULL;
    rt->payload_handle_count = bytes != NULL ? buffer.handle_count : 0;
    if (response && rc != NULL && rt->response_handles == NULL) {
        rt->response_handles = rt->payload_handles;
        rt->response_handle_count = rt->payload_handle_count;
    }
    if (response && buffer.rops.length > 0)
        add_responses(rt, tree, payload, bytes, length, rops_item, fetch, rc);
    else if (!response && buffer.rops.length > 0)
        add_requests(rt, tree, payload, bytes, length);
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

/* The ROPs whose responses a server may chain (MS-OXCRPC 3.1.4.2.1.2.2). */
static bool
rop_chains(uint8_t rop_id)
{
    return rop_id == NEWMAIL_ROP_QUERY_ROWS || rop_id == NEWMAIL_ROP_READ_STREAM ||
           rop_id == NEWMAIL_ROP_FAST_TRANSFER_SOURCE_GET_BUFFER;
}

/* A chained response's payloads after the first (MS-OXCRPC 3.1.4.2.1.2.2):
 * when the call's last request is a RopQueryRows, RopReadStream or
 * RopFastTransferSourceGetBuffer, the server may add payloads built "as if
 * the client sent another request with only" that ROP. Sets *chained to
 * read such a payload with that request; false when the request list does
 * not end with one (or is not known whole): the payload is then walked
 * without a request, and stops, by name, at the first ROP that needs one. */
static bool
chained_context(const response_context_t *rc, response_context_t *chained)
{
    const newmail_rop_context_t *ctx = &rc->ctx;

    if (ctx->requests == NULL || ctx->request_count == 0 || !ctx->requests_complete ||
        !rop_chains(ctx->requests[ctx->request_count - 1].rop_id))
        return false;
    *chained = *rc;
    chained->ctx.ctx = chained;
    chained->first_request = ctx->request_count - 1;
    return true;
}

/* First pass, once the response is read: what the call did to the
 * session's objects. */
static void
learn_call(const rop_tree_t *rt, const response_context_t *rc, const newmail_rop_call_t *call)
{
    newmail_objects_call_t c;

    /* A call with no request read makes no object: only a session that
     * has objects already has subscriptions to notify. */
    if (rt->outcome_count == 0 &&
        (rt->notification_count == 0 || newmail_objects_of_session(call->session) == NULL))
        return;
    memset(&c, 0, sizeof(c));
    c.frame = rt->pinfo->num;
    c.request_frame = call->request_frame;
    c.request_buf = rc->ctx.request_buf;
    c.request_len = rc->ctx.request_len;
    c.requests = rc->ctx.requests;
    c.request_count = rt->outcome_count; /* 0 when the walk did not use them */
    c.request_handles = rc->request_handles;
    c.request_handle_count = rc->request_handle_count;
    c.response_handles = rt->response_handles;
    c.response_handle_count = rt->response_handle_count;
    c.outcomes = rt->outcomes;
    c.notifications = rt->notifications;
    c.notification_count = rt->notification_count;
    newmail_objects_update_call(newmail_objects_get_or_add(call->session), &c);
}

void
newmail_dissect_rop_buffer(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                           proto_tree *tree, bool response, const newmail_fetch_t *fetch,
                           uint32_t max_decoded, const char *limit_name,
                           const newmail_rop_request_copy_t *request)
{
    newmail_dissect_rop_buffer_call(tvb, offset, length, pinfo, tree, response, fetch, max_decoded,
                                    limit_name, request, NULL);
}

/* What a buffer of a call needs before its payloads are shown: the session's
 * objects, and for a response its request list (and, on the first pass
 * within a session, room for what each request's response said). */
static void
call_begin(rop_tree_t *rt, response_context_t *rc, packet_info *pinfo, bool response,
           const newmail_rop_request_copy_t *request, newmail_rop_call_t *call)
{
    rt->objects = call != NULL ? newmail_objects_of_session(call->session) : NULL;
    rt->call = response ? call : NULL;
    rt->learn = response && call != NULL && call->session != NULL && !PINFO_FD_VISITED(pinfo);
    if (!response)
        return;
    response_context_init(rc, pinfo, request, rt->objects);
    if (rt->learn && response_context_usable(rc) && rc->ctx.request_count > 0) {
        rt->outcome_count = rc->ctx.request_count;
        rt->outcomes = (uint8_t *)wmem_alloc0(pinfo->pool, rt->outcome_count);
    }
}

/* Once a response's payloads are shown: on the first pass, what the call
 * did to the session's objects; on every pass, whether the session could
 * follow all of them. */
static void
call_end(rop_tree_t *rt, const response_context_t *rc, packet_info *pinfo, bool response,
         const newmail_rop_call_t *call)
{
    uint32_t dropped;

    if (rt->learn)
        learn_call(rt, rc, call);
    if (!response || call == NULL)
        return;
    dropped = newmail_objects_dropped_in(newmail_objects_of_session(call->session), pinfo->num);
    if (dropped > 0)
        expert_add_info_format(pinfo, rt->buffer_item, &ei_newmail_objects_too_many,
                               "The session holds the %u objects the plugin follows: %u"
                               " objects this call made are not followed (their rows and"
                               " notifications are not tied to them)",
                               NEWMAIL_OBJECTS_MAX, dropped);
}

void
newmail_dissect_rop_buffer_call(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                                proto_tree *tree, bool response, const newmail_fetch_t *fetch,
                                uint32_t max_decoded, const char *limit_name,
                                const newmail_rop_request_copy_t *request,
                                newmail_rop_call_t *call)
{
    response_context_t rc, chained;
    bool have_chained = false;
    unsigned payloads = 0;
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
    call_begin(&rt, &rc, pinfo, response, request, call);
    if (response)
        have_chained = response_context_usable(&rc) && chained_context(&rc, &chained);
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
        /* The call's requests lay out the responses of the first payload,
         * its last request those of the chained payloads that follow
         * (chained_context()); without it they are walked as before. */
        if (payload != NULL)
            add_payload(&rt, block_tree, payload, response, fetch,
                        !response                                        ? NULL
                        : payloads == 0 && response_context_usable(&rc) ? &rc
                        : payloads > 0 && have_chained                   ? &chained
                                                                         : NULL);
        payloads++;
        if (rt.full)
            break;
    }
    call_end(&rt, &rc, pinfo, response, call);
}

void
newmail_dissect_rop_payload_xor(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                                proto_tree *tree, bool response, const newmail_fetch_t *fetch,
                                uint32_t max_decoded, const char *limit_name,
                                const newmail_rop_request_copy_t *request,
                                newmail_rop_call_t *call)
{
    response_context_t rc;
    rop_tree_t rt = { .pinfo = pinfo };
    proto_tree *buffer_tree;
    tvbuff_t *payload;
    uint8_t *cleared;

    if (length <= 0)
        return;
    rt.buffer_item = proto_tree_add_item(tree, hf_newmail_rop_buffer, tvb, offset, length, ENC_NA);
    buffer_tree = proto_item_add_subtree(rt.buffer_item, ett_newmail_rop_buffer);
    if ((uint32_t)length > max_decoded) {
        expert_add_info_format(pinfo, rt.buffer_item, &ei_newmail_rop_buffer_over_budget,
                               "The buffer holds %d bytes, more than the %u bytes %s allows:"
                               " not decoded",
                               length, max_decoded, limit_name);
        return;
    }
    call_begin(&rt, &rc, pinfo, response, request, call);
    cleared = (uint8_t *)wmem_alloc(pinfo->pool, (size_t)length);
    newmail_xor_magic(tvb_get_ptr(tvb, offset, length), (size_t)length, cleared);
    payload = tvb_new_child_real_data(tvb, cleared, (unsigned)length, length);
    add_new_data_source(pinfo, payload, "Decoded ROP buffer");
    add_payload(&rt, buffer_tree, payload, response, fetch,
                response && response_context_usable(&rc) ? &rc : NULL);
    call_end(&rt, &rc, pinfo, response, call);
}

/* The hf_register_info of each field name of one direction: its MS-OXCROPS
 * name, its filter name and type from `types`, a blurb naming both. */
static size_t
fill_field_hf(hf_register_info *out, int *ids, const rop_field_type_t *types, size_t count,
              const char *(*field_name)(unsigned), const char *direction)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = field_name(types[i].name);

        ids[types[i].name] = -1;
        out[i].p_id = &ids[types[i].name];
        out[i].hfinfo.name = name;
        out[i].hfinfo.abbrev = types[i].abbrev;
        out[i].hfinfo.type = types[i].type;
        out[i].hfinfo.display = types[i].display;
        out[i].hfinfo.strings = NULL;
        out[i].hfinfo.bitmask = 0;
        out[i].hfinfo.blurb =
            g_strdup_printf("The %s field of a ROP %s, as MS-OXCROPS 2.2 names it", name,
                            direction);
        out[i].hfinfo.id = -1;
        out[i].hfinfo.parent = 0;
        out[i].hfinfo.ref_type = HF_REF_TYPE_NONE;
        out[i].hfinfo.same_name_prev_id = -1;
        out[i].hfinfo.same_name_next = NULL;
    }
    return count;
}

/* The request and response fields, registered from tables; their blurbs
 * are made at registration and freed at shutdown (Wireshark unloads the
 * plugin, and this array with it, after its shutdown routines). */
static hf_register_info field_hf[NEWMAIL_RQ_NAME_COUNT + NEWMAIL_RS_NAME_COUNT];
static size_t field_hf_count;

static void
free_field_blurbs(void)
{
    for (size_t i = 0; i < field_hf_count; i++) {
        g_free((char *)field_hf[i].hfinfo.blurb);
        field_hf[i].hfinfo.blurb = NULL;
    }
    field_hf_count = 0;
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
        { &hf_newmail_rop_request,
          { "ROP request", "newmail.rop.request", FT_UINT8, BASE_HEX,
            VALS(rop_id_vals), 0x0,
            "A ROP request the plugin read, by RopId (MS-OXCROPS 2.2.2); its fields under it",
            HFILL } },
        { &hf_newmail_rop_field_other,
          { "ROP field", "newmail.rop.field", FT_BYTES, BASE_NONE, NULL, 0x0,
            "A field of a ROP request or response read with a layout its name's filter field"
            " does not hold", HFILL } },
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
        { &hf_newmail_notify_subscription_frame,
          { "Subscription made in", "newmail.notify.subscription_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "The RopRegisterNotification request that made the subscription this notification"
            " answers (the object its NotificationHandle names)", HFILL } },
        { &hf_newmail_notify_table_row_data,
          { "TableRowData", "newmail.notify.table_row_data", FT_BYTES, BASE_NONE, NULL, 0x0,
            "The row a TableModified notification carries, read in the columns of the table's"
            " last RopSetColumns", HFILL } },
        { &hf_newmail_subscription,
          { "Subscription", "newmail.subscription", FT_NONE, BASE_NONE, NULL, 0x0,
            "The subscription a RopRegisterNotification made, and the notifications the capture"
            " shows for it", HFILL } },
        { &hf_newmail_subscription_notification_count,
          { "Notifications", "newmail.subscription.notification_count", FT_UINT32, BASE_DEC,
            NULL, 0x0, "How many RopNotify the capture shows for this subscription", HFILL } },
        { &hf_newmail_subscription_type_count,
          { "Notifications of a type", "newmail.subscription.type_count", FT_UINT32, BASE_DEC,
            NULL, 0x0, "How many RopNotify of one NotificationType this subscription received",
            HFILL } },
        { &hf_newmail_subscription_notification_frame,
          { "Notification in", "newmail.subscription.notification_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "A response carrying a RopNotify for this subscription (the first 64 frames)",
            HFILL } },
        { &hf_newmail_pending_rop,
          { "RopPending", "newmail.pending_rop", FT_NONE, BASE_NONE, NULL, 0x0,
            "More notifications are queued for a session (MS-OXCROPS 2.2.14.3)", HFILL } },
        { &hf_newmail_pending_rop_session_index,
          { "SessionIndex", "newmail.pending_rop.session_index", FT_UINT16, BASE_DEC,
            NULL, 0x0, "The session with notifications pending", HFILL } },
    };
    static int *ett[] = {
        &ett_newmail_rop_request,
        &ett_newmail_rop_buffer, &ett_newmail_rpcx,   &ett_newmail_rpcx_flags,
        &ett_newmail_rop,        &ett_newmail_notify, &ett_newmail_notify_type,
        &ett_newmail_subscription,
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
        { &ei_newmail_rop_needs_request,
          { "newmail.rop_needs_request", PI_UNDECODED, PI_NOTE,
            "This ROP response is laid out by its request, which the capture lacks: the rest of"
            " the buffer is not decoded", EXPFILL } },
        { &ei_newmail_rop_needs_columns,
          { "newmail.rop_needs_columns", PI_UNDECODED, PI_NOTE,
            "These rows are laid out by their table's columns, which are not known: the rest of"
            " the buffer is not decoded", EXPFILL } },
        { &ei_newmail_notify_subscription_unknown,
          { "newmail.notify.subscription_unknown", PI_SEQUENCE, PI_NOTE,
            "The capture shows no RopRegisterNotification for this notification's handle",
            EXPFILL } },
        { &ei_newmail_objects_too_many,
          { "newmail.objects.too_many", PI_UNDECODED, PI_WARN,
            "The session holds the most objects the plugin follows: this call's are not"
            " followed", EXPFILL } },
        { &ei_newmail_rop_request_unread,
          { "newmail.rop_request_unread", PI_UNDECODED, PI_NOTE,
            "This ROP request cannot be read whole: the rest of the buffer is not decoded",
            EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    size_t nfield = 0;

    fill_rop_id_vals();
    proto_register_field_array(proto_newmail, hf, array_length(hf));
    nfield += fill_field_hf(field_hf + nfield, rq_field_ids, rq_field_types,
                            array_length(rq_field_types), newmail_rq_field_name, "request");
    nfield += fill_field_hf(field_hf + nfield, rs_field_ids, rs_field_types,
                            array_length(rs_field_types), newmail_rs_field_name, "response");
    field_hf_count = nfield;
    proto_register_field_array(proto_newmail, field_hf, (int)nfield);
    register_shutdown_routine(free_field_blurbs);
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));
}
