/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-request.h: a reader for the ROP requests of a decoded ROP input
 * buffer (EcDoRpc rgbIn after XorMagic, EcDoRpcExt2 rgbIn after its
 * RPC_HEADER_EXT blocks are decoded, MAPI over HTTP Execute RopBuffer):
 * RopSize, RopsList, Server object handle table (MS-OXCROPS 2.2.1), and every
 * ROP request of MS-OXCROPS 2.2.3 to 2.2.15, field by field.
 *
 * Plain C11 with no Wireshark or GLib types, like newmail-rop.h, whose
 * newmail_rop_buffer_split(), NEWMAIL_ROP_* ids and newmail_rop_name() it
 * uses, and newmail-props.h's readers for property values, restrictions and
 * sort orders. Every reader takes (buf, pos, end), never reads outside [pos, end),
 * never allocates, and does work bounded by the bytes it is given. Each field
 * is reported as a span (offset from buf, length), its kind, and its integer
 * value where it has one (for lists: the element count).
 *
 * ---- Readings chosen where the sources differ ----------------------------
 * Sources compared: MS-OXCROPS 2.2 (the reference), MAPI Inspector for
 * Fiddler (OfficeDev/Office-Inspectors-for-Fiddler, MAPIInspector/Source/
 * Parsers/<spec>/rops/Rop...Request.cs, read for comparison only; every
 * layout here has its field order and widths) and stock Wireshark 4.4/4.6's
 * "mapi" dissector (its request fields as `tshark -G fields` lists them).
 *
 *  - RopRegisterNotification (0x29): MS-OXCROPS 2.2.14.1.1 gives
 *    NotificationTypes as 1 byte, then Reserved 1 byte (MUST be 0), then
 *    WantWholeStore, then FolderId and MessageId only when WantWholeStore is
 *    0. Stock reads NotificationTypes as 16 bits; MAPI Inspector reads 16
 *    bits and then a Reserved byte only when the Extended bit 0x0400 is set
 *    in those 16 bits. Chosen: MS-OXCROPS (u8 NotificationTypes, u8
 *    Reserved, always). Every reading gives the same size unless the byte
 *    after NotificationTypes has bit 0x04 set, which MS-OXCROPS forbids
 *    (Reserved MUST be 0): NEWMAIL_RQ_PROBLEM_RESERVED flags it, and such a
 *    request is read with MS-OXCROPS's size. NotificationTypes is a flag set
 *    (NewMail 0x02, ObjectCreated 0x04, ObjectDeleted 0x08, ObjectModified
 *    0x10, ObjectMoved 0x20, ObjectCopied 0x40, SearchComplete 0x80).
 *  - RopSetMessageReadFlag (0x11): RopId, LogonId, ResponseHandleIndex,
 *    InputHandleIndex, ReadFlags, then ClientData (24 bytes) only when the
 *    logon was made without the Private flag, i.e. to public folders
 *    (MS-OXCROPS 2.2.6.11.1). The walk learns LogonFlags from
 *    RopLogon requests earlier in the same buffer and from
 *    newmail_rop_request_walk_set_logon() (the caller's session state);
 *    without either the request stops the walk with NEWMAIL_RQ_NEEDS_LOGON.
 *    MAPI Inspector does the same from its session context.
 *  - RopWritePerUserInformation (0x64): ReplGuid (16 bytes) is present only
 *    when DataOffset is 0 and the logon is private (2.2.3.13.1). Same logon
 *    rule as above.
 *  - RopReadStream (0x2C): MaximumByteCount (u32) follows ByteCount only
 *    when ByteCount is 0xBABE (2.2.9.2.1); RopFastTransferSourceGetBuffer
 *    (0x4E): MaximumBufferSize (u16) only when BufferSize is 0xBABE
 *    (2.2.12.3.1). All three sources agree.
 *  - RopLogon (0xFE): RopId, LogonId, OutputHandleIndex (no
 *    InputHandleIndex), LogonFlags u8, OpenFlags u32, StoreState u32,
 *    EssdnSize u16, Essdn (EssdnSize bytes of ASCII including its
 *    terminator; MS-OXCROPS 2.2.3.1.1). Essdn is reported as EssdnSize bytes;
 *    a last byte other than 0 sets NEWMAIL_RQ_PROBLEM_UNTERMINATED.
 *  - RopSetProperties (0x0A) / RopSetPropertiesNoReplicate (0x79):
 *    PropertyValueSize counts PropertyValueCount and PropertyValues
 *    (2.2.8.5.1, 2.2.8.6.1), so PropertyValues is PropertyValueSize - 2
 *    bytes; a PropertyValueSize below 2 sets NEWMAIL_RQ_PROBLEM_SIZE.
 *  - Restrictions (RopRestrict, RopFindRow, RopSetSearchCriteria,
 *    RopSynchronizationConfigure) are preceded by RestrictionDataSize: sized
 *    by it and reported as one NEWMAIL_RQK_RESTRICTION span, which the
 *    property reader (newmail-props.h) then reads; a restriction that does
 *    not fill RestrictionDataSize exactly, or that the property reader
 *    flags, sets NEWMAIL_RQ_PROBLEM_RESTRICTION (the size is known, so the
 *    request is still read whole). MAPI Inspector reads the restriction
 *    without holding it to RestrictionDataSize except in
 *    RopSynchronizationConfigure.
 *  - TaggedPropertyValue lists are read with the property reader, ROP buffer
 *    widths (MS-OXCDATA 2.11.1.1: 16-bit PtypBinary counts, 32-bit
 *    PtypMultiple* counts). Lists with a byte count before them
 *    (RopSetProperties*) are sized by it, and values that do not fill it
 *    exactly set NEWMAIL_RQ_PROBLEM_SIZE. Lists with only a value count
 *    (RopModifyPermissions' PermissionsData, RopModifyRules' RulesData,
 *    RopSynchronizationImportMessageChange, ...ImportHierarchyChange,
 *    ...ImportDeletes) are sized value by value; a value whose type the
 *    property reader cannot size stops the walk with NEWMAIL_RQ_UNREADABLE.
 *    MAPI Inspector reads RopModifyRules' RuleData values with 32-bit
 *    PtypBinary counts (its "extended rules" context) since January 2026;
 *    MS-OXORULE 2.2.1.3 makes them TaggedPropertyValues of a ROP buffer, so
 *    16 bits here.
 *  - RopSortTable's SortOrders: sized by SortOrderCount (5 bytes each);
 *    counts and Order values the property reader rejects set
 *    NEWMAIL_RQ_PROBLEM_SORT_ORDERS.
 *  - Strings whose width is chosen by a flag (RopCreateFolder's
 *    DisplayName/Comment by UseUnicodeStrings, RopMoveFolder and
 *    RopCopyFolder's NewFolderName by UseUnicode): nonzero = UTF-16LE, as
 *    MS-OXCROPS and MAPI Inspector read it.
 *  - RopSeekRow and RopSeekRowBookmark's RowCount is a signed 32-bit
 *    integer (NEWMAIL_RQK_I32; value holds the 32 bits as unsigned).
 *  - Stock Wireshark 4.4/4.6 ("mapi", generated from OpenChange's IDL)
 *    names and groups some fields differently with the same sizes:
 *    RopCreateFolder's OpenExisting and Reserved are one 16-bit "ulFlags",
 *    RopRegisterNotification's NotificationTypes and Reserved one 16-bit
 *    "notificationFlags", RopSeekRow's RowCount a signed "offset". Here each
 *    field is MS-OXCROPS's, by its MS-OXCROPS name.
 *  - RopNotify (0x2A), RopPending (0x6E), RopBackoff (0xF9) and
 *    RopBufferTooSmall (0xFF) have no request: in an input buffer they are
 *    NEWMAIL_RQ_UNKNOWN with NEWMAIL_RQ_PROBLEM_RESPONSE_ONLY.
 */
#ifndef NEWMAIL_ROP_REQUEST_H
#define NEWMAIL_ROP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"
#include "newmail-rop.h"

/* Ids this reader names that newmail-rop.h may not define (yet). */
#ifndef NEWMAIL_ROP_GET_PROPERTIES_SPECIFIC
#define NEWMAIL_ROP_GET_PROPERTIES_SPECIFIC 0x07
#endif
#ifndef NEWMAIL_ROP_QUERY_ROWS
#define NEWMAIL_ROP_QUERY_ROWS 0x15
#endif
#ifndef NEWMAIL_ROP_SET_MESSAGE_READ_FLAG
#define NEWMAIL_ROP_SET_MESSAGE_READ_FLAG 0x11
#endif
#ifndef NEWMAIL_ROP_WRITE_PER_USER_INFORMATION
#define NEWMAIL_ROP_WRITE_PER_USER_INFORMATION 0x64
#endif

/* LogonFlags (MS-OXCROPS 2.2.3.1.1). */
#define NEWMAIL_LOGON_FLAG_PRIVATE 0x01
#define NEWMAIL_LOGON_FLAG_UNDERCOVER 0x02
#define NEWMAIL_LOGON_FLAG_GHOSTED 0x04
#define NEWMAIL_LOGON_FLAG_SPLPROCESS 0x08

/* ---- field names ----------------------------------------------------------------- */

/* X(enum suffix, MS-OXCROPS field name). The names are those of MS-OXCROPS;
 * the dissector can build filter names from them. */
#define NEWMAIL_RQ_NAMES(X)                                                                        \
    X(ROP_ID, "RopId")                                                                             \
    X(LOGON_ID, "LogonId")                                                                         \
    X(INPUT_HANDLE_INDEX, "InputHandleIndex")                                                      \
    X(OUTPUT_HANDLE_INDEX, "OutputHandleIndex")                                                    \
    X(SOURCE_HANDLE_INDEX, "SourceHandleIndex")                                                    \
    X(DEST_HANDLE_INDEX, "DestHandleIndex")                                                        \
    X(RESPONSE_HANDLE_INDEX, "ResponseHandleIndex")                                                \
    X(LOGON_FLAGS, "LogonFlags")                                                                   \
    X(OPEN_FLAGS, "OpenFlags")                                                                     \
    X(STORE_STATE, "StoreState")                                                                   \
    X(ESSDN_SIZE, "EssdnSize")                                                                     \
    X(ESSDN, "Essdn")                                                                              \
    X(FOLDER_ID, "FolderId")                                                                       \
    X(MESSAGE_ID, "MessageId")                                                                     \
    X(OPEN_MODE_FLAGS, "OpenModeFlags")                                                            \
    X(CODE_PAGE_ID, "CodePageId")                                                                  \
    X(ASSOCIATED_FLAG, "AssociatedFlag")                                                           \
    X(TABLE_FLAGS, "TableFlags")                                                                   \
    X(PROPERTY_SIZE_LIMIT, "PropertySizeLimit")                                                    \
    X(WANT_UNICODE, "WantUnicode")                                                                 \
    X(PROPERTY_TAG_COUNT, "PropertyTagCount")                                                      \
    X(PROPERTY_TAGS, "PropertyTags")                                                               \
    X(PROPERTY_TAG, "PropertyTag")                                                                 \
    X(PROPERTY_VALUE_SIZE, "PropertyValueSize")                                                    \
    X(PROPERTY_VALUE_COUNT, "PropertyValueCount")                                                  \
    X(PROPERTY_VALUES, "PropertyValues")                                                           \
    X(SAVE_FLAGS, "SaveFlags")                                                                     \
    X(RESERVED, "Reserved")                                                                        \
    X(COLUMN_COUNT, "ColumnCount")                                                                 \
    X(RECIPIENT_COLUMNS, "RecipientColumns")                                                       \
    X(ROW_COUNT, "RowCount")                                                                       \
    X(RECIPIENT_ROWS, "RecipientRows")                                                             \
    X(ROW_ID, "RowId")                                                                             \
    X(READ_FLAGS, "ReadFlags")                                                                     \
    X(CLIENT_DATA, "ClientData")                                                                   \
    X(SET_COLUMNS_FLAGS, "SetColumnsFlags")                                                        \
    X(SORT_TABLE_FLAGS, "SortTableFlags")                                                          \
    X(SORT_ORDER_COUNT, "SortOrderCount")                                                          \
    X(CATEGORIZED_COUNT, "CategorizedCount")                                                       \
    X(EXPANDED_COUNT, "ExpandedCount")                                                             \
    X(SORT_ORDERS, "SortOrders")                                                                   \
    X(RESTRICT_FLAGS, "RestrictFlags")                                                             \
    X(RESTRICTION_DATA_SIZE, "RestrictionDataSize")                                                \
    X(RESTRICTION_DATA, "RestrictionData")                                                         \
    X(QUERY_ROWS_FLAGS, "QueryRowsFlags")                                                          \
    X(FORWARD_READ, "ForwardRead")                                                                 \
    X(ORIGIN, "Origin")                                                                            \
    X(WANT_ROW_MOVED_COUNT, "WantRowMovedCount")                                                   \
    X(BOOKMARK_SIZE, "BookmarkSize")                                                               \
    X(BOOKMARK, "Bookmark")                                                                        \
    X(NUMERATOR, "Numerator")                                                                      \
    X(DENOMINATOR, "Denominator")                                                                  \
    X(FOLDER_TYPE, "FolderType")                                                                   \
    X(USE_UNICODE_STRINGS, "UseUnicodeStrings")                                                    \
    X(OPEN_EXISTING, "OpenExisting")                                                               \
    X(DISPLAY_NAME, "DisplayName")                                                                 \
    X(COMMENT, "Comment")                                                                          \
    X(DELETE_FOLDER_FLAGS, "DeleteFolderFlags")                                                    \
    X(WANT_ASYNCHRONOUS, "WantAsynchronous")                                                       \
    X(NOTIFY_NON_READ, "NotifyNonRead")                                                            \
    X(MESSAGE_ID_COUNT, "MessageIdCount")                                                          \
    X(MESSAGE_IDS, "MessageIds")                                                                   \
    X(MESSAGE_STATUS_FLAGS, "MessageStatusFlags")                                                  \
    X(MESSAGE_STATUS_MASK, "MessageStatusMask")                                                    \
    X(OPEN_ATTACHMENT_FLAGS, "OpenAttachmentFlags")                                                \
    X(ATTACHMENT_ID, "AttachmentID")                                                               \
    X(MESSAGE_CLASS, "MessageClass")                                                               \
    X(NOTIFICATION_TYPES, "NotificationTypes")                                                     \
    X(WANT_WHOLE_STORE, "WantWholeStore")                                                          \
    X(BYTE_COUNT, "ByteCount")                                                                     \
    X(MAXIMUM_BYTE_COUNT, "MaximumByteCount")                                                      \
    X(DATA_SIZE, "DataSize")                                                                       \
    X(DATA, "Data")                                                                                \
    X(OFFSET, "Offset")                                                                            \
    X(STREAM_SIZE, "StreamSize")                                                                   \
    X(FOLDER_ID_COUNT, "FolderIdCount")                                                            \
    X(FOLDER_IDS, "FolderIds")                                                                     \
    X(SEARCH_FLAGS, "SearchFlags")                                                                 \
    X(USE_UNICODE, "UseUnicode")                                                                   \
    X(INCLUDE_RESTRICTION, "IncludeRestriction")                                                   \
    X(INCLUDE_FOLDERS, "IncludeFolders")                                                           \
    X(SUBMIT_FLAGS, "SubmitFlags")                                                                 \
    X(WANT_COPY, "WantCopy")                                                                       \
    X(WANT_RECURSIVE, "WantRecursive")                                                             \
    X(NEW_FOLDER_NAME, "NewFolderName")                                                            \
    X(WANT_SUB_OBJECTS, "WantSubObjects")                                                          \
    X(COPY_FLAGS, "CopyFlags")                                                                     \
    X(EXCLUDED_TAG_COUNT, "ExcludedTagCount")                                                      \
    X(EXCLUDED_TAGS, "ExcludedTags")                                                               \
    X(MODIFY_FLAGS, "ModifyFlags")                                                                 \
    X(MODIFY_COUNT, "ModifyCount")                                                                 \
    X(PERMISSIONS_DATA, "PermissionsData")                                                         \
    X(MODIFY_RULES_FLAGS, "ModifyRulesFlags")                                                      \
    X(RULES_COUNT, "RulesCount")                                                                   \
    X(RULES_DATA, "RulesData")                                                                     \
    X(OBJECT_ID, "ObjectId")                                                                       \
    X(LONG_TERM_ID, "LongTermId")                                                                  \
    X(LOCK_STATE, "LockState")                                                                     \
    X(SEND_OPTIONS, "SendOptions")                                                                 \
    X(LEVEL, "Level")                                                                              \
    X(BUFFER_SIZE, "BufferSize")                                                                   \
    X(MAXIMUM_BUFFER_SIZE, "MaximumBufferSize")                                                    \
    X(FIND_ROW_FLAGS, "FindRowFlags")                                                              \
    X(WANT_CANCEL, "WantCancel")                                                                   \
    X(MESSAGE_FLAGS, "MessageFlags")                                                               \
    X(SOURCE_OPERATION, "SourceOperation")                                                         \
    X(TRANSFER_DATA_SIZE, "TransferDataSize")                                                      \
    X(TRANSFER_DATA, "TransferData")                                                               \
    X(PROPERTY_ID_COUNT, "PropertyIdCount")                                                        \
    X(PROPERTY_IDS, "PropertyIds")                                                                 \
    X(FLAGS, "Flags")                                                                              \
    X(PROPERTY_NAME_COUNT, "PropertyNameCount")                                                    \
    X(PROPERTY_NAMES, "PropertyNames")                                                             \
    X(SERVER_ENTRY_ID_SIZE, "ServerEntryIdSize")                                                   \
    X(SERVER_ENTRY_ID, "ServerEntryId")                                                            \
    X(CLIENT_ENTRY_ID_SIZE, "ClientEntryIdSize")                                                   \
    X(CLIENT_ENTRY_ID, "ClientEntryId")                                                            \
    X(WANT_DELETE_ASSOCIATED, "WantDeleteAssociated")                                              \
    X(MAX_ROW_COUNT, "MaxRowCount")                                                                \
    X(CATEGORY_ID, "CategoryId")                                                                   \
    X(REGION_OFFSET, "RegionOffset")                                                               \
    X(REGION_SIZE, "RegionSize")                                                                   \
    X(LOCK_FLAGS, "LockFlags")                                                                     \
    X(QUERY_FLAGS, "QueryFlags")                                                                   \
    X(HAS_GUID, "HasGuid")                                                                         \
    X(PROPERTY_GUID, "PropertyGuid")                                                               \
    X(DATABASE_GUID, "DatabaseGuid")                                                               \
    X(DATA_OFFSET, "DataOffset")                                                                   \
    X(MAX_DATA_SIZE, "MaxDataSize")                                                                \
    X(HAS_FINISHED, "HasFinished")                                                                 \
    X(REPL_GUID, "ReplGuid")                                                                       \
    X(ROW_INSTANCE_NUMBER, "RowInstanceNumber")                                                    \
    X(COLLAPSE_STATE_SIZE, "CollapseStateSize")                                                    \
    X(COLLAPSE_STATE, "CollapseState")                                                             \
    X(ADDRESS_TYPE, "AddressType")                                                                 \
    X(WANT_WIN32, "WantWin32")                                                                     \
    X(SYNCHRONIZATION_TYPE, "SynchronizationType")                                                 \
    X(SYNCHRONIZATION_FLAGS, "SynchronizationFlags")                                               \
    X(SYNCHRONIZATION_EXTRA_FLAGS, "SynchronizationExtraFlags")                                    \
    X(IMPORT_FLAG, "ImportFlag")                                                                   \
    X(HIERARCHY_VALUE_COUNT, "HierarchyValueCount")                                                \
    X(HIERARCHY_VALUES, "HierarchyValues")                                                         \
    X(IMPORT_DELETE_FLAGS, "ImportDeleteFlags")                                                    \
    X(STATE_PROPERTY, "StateProperty")                                                             \
    X(TRANSFER_BUFFER_SIZE, "TransferBufferSize")                                                  \
    X(STREAM_DATA_SIZE, "StreamDataSize")                                                          \
    X(STREAM_DATA, "StreamData")                                                                   \
    X(SOURCE_FOLDER_ID_SIZE, "SourceFolderIdSize")                                                 \
    X(SOURCE_FOLDER_ID, "SourceFolderId")                                                          \
    X(SOURCE_MESSAGE_ID_SIZE, "SourceMessageIdSize")                                               \
    X(SOURCE_MESSAGE_ID, "SourceMessageId")                                                        \
    X(PREDECESSOR_CHANGE_LIST_SIZE, "PredecessorChangeListSize")                                   \
    X(PREDECESSOR_CHANGE_LIST, "PredecessorChangeList")                                            \
    X(DESTINATION_MESSAGE_ID_SIZE, "DestinationMessageIdSize")                                     \
    X(DESTINATION_MESSAGE_ID, "DestinationMessageId")                                              \
    X(CHANGE_NUMBER_SIZE, "ChangeNumberSize")                                                      \
    X(CHANGE_NUMBER, "ChangeNumber")                                                               \
    X(IS_CONTENTS_COLLECTOR, "IsContentsCollector")                                                \
    X(ID_COUNT, "IdCount")                                                                         \
    X(MESSAGE_READ_STATES_SIZE, "MessageReadStatesSize")                                           \
    X(MESSAGE_READ_STATES, "MessageReadStates")                                                    \
    X(VERSION, "Version")                                                                          \
    X(LONG_TERM_ID_RANGE_COUNT, "LongTermIdRangeCount")                                            \
    X(LONG_TERM_ID_RANGES, "LongTermIdRanges")

/* clang-format off */
typedef enum {
#define NEWMAIL_RQ_ENUM(sym, str) NEWMAIL_RQ_##sym,
    NEWMAIL_RQ_NAMES(NEWMAIL_RQ_ENUM)
#undef NEWMAIL_RQ_ENUM
    NEWMAIL_RQ_NAME_COUNT
} newmail_rq_name_t;
/* clang-format on */

/* "LogonFlags" for NEWMAIL_RQ_LOGON_FLAGS; NULL out of range. */
const char *newmail_rq_field_name(unsigned name);

/* How a field's bytes are laid out. value is the integer for the integer
 * kinds, the element count for the list kinds, the characters before the
 * terminator for strings, the byte length for byte arrays. */
typedef enum {
    NEWMAIL_RQK_U8,
    NEWMAIL_RQK_U16,
    NEWMAIL_RQK_U32,
    NEWMAIL_RQK_I32,             /* signed 32-bit (value holds its bits) */
    NEWMAIL_RQK_U64,             /* FolderId, MessageId, ... (MS-OXCDATA 2.2.1.1/2 as one u64 LE) */
    NEWMAIL_RQK_HANDLE_INDEX,    /* u8 index into the Server object handle table */
    NEWMAIL_RQK_GUID,            /* 16 bytes */
    NEWMAIL_RQK_LONG_TERM_ID,    /* 24 bytes: DatabaseGuid, GlobalCounter (6), Pad (2) */
    NEWMAIL_RQK_BYTES,           /* counted or fixed bytes; value = length */
    NEWMAIL_RQK_STRING8,         /* null-terminated 8-bit string; span without terminator */
    NEWMAIL_RQK_UNICODE,         /* null-terminated UTF-16LE; span without terminator */
    NEWMAIL_RQK_STRING8_COUNTED, /* Essdn: counted bytes holding a string and its terminator */
    NEWMAIL_RQK_TAGS,            /* value x u32 property tags */
    NEWMAIL_RQK_IDS,             /* value x u64 ids */
    NEWMAIL_RQK_PROPERTY_IDS,    /* value x u16 property ids */
    NEWMAIL_RQK_SORT_ORDERS,     /* value x 5-byte SortOrder (PropertyType u16, PropertyId u16,
                                    Order u8) */
    NEWMAIL_RQK_RESTRICTION,     /* RestrictionDataSize bytes holding a restriction; value =
                                    bytes */
    NEWMAIL_RQK_PROPERTY_VALUES, /* TaggedPropertyValues, sized by a byte count; value =
                                    PropertyValueCount */
    NEWMAIL_RQK_RECIPIENT_ROWS,  /* value x ModifyRecipientRow (RowId u32, RecipientType u8,
                                    RecipientRowSize u16, RecipientRow) */
    NEWMAIL_RQK_PROPERTY_NAMES,  /* value x PropertyName (MS-OXCDATA 2.6.1) */
    NEWMAIL_RQK_LONG_TERM_ID_RANGES, /* value x 48-byte LongTermIdRange */
    NEWMAIL_RQK_PERMISSIONS_DATA,    /* value x PermissionData (PermissionDataFlags u8,
                                        PropertyValueCount u16, TaggedPropertyValues) */
    NEWMAIL_RQK_RULES_DATA,          /* value x RuleData (RuleDataFlags u8,
                                        PropertyValueCount u16, TaggedPropertyValues) */
    NEWMAIL_RQK_MESSAGE_READ_STATES, /* value x MessageReadState (MessageIdSize u16,
                                        MessageId, MarkAsRead u8) */
    NEWMAIL_RQK_COUNT
} newmail_rq_kind_t;

typedef struct {
    uint16_t name; /* newmail_rq_name_t */
    uint8_t kind;  /* newmail_rq_kind_t */
    newmail_span_t span;
    uint64_t value;
} newmail_rq_field_t;

/* More than any request of MS-OXCROPS has (RopSynchronizationImportMessageMove: 13). */
#define NEWMAIL_RQ_MAX_FIELDS 24

typedef enum {
    NEWMAIL_RQ_READ,        /* every field read; span is the whole request */
    NEWMAIL_RQ_TRUNCATED,   /* RopsList ends inside it; the fields before are valid */
    NEWMAIL_RQ_UNREADABLE,  /* a property value whose type, or a PropertyName whose Kind,
                               gives no size: nothing after it can be placed */
    NEWMAIL_RQ_NEEDS_LOGON, /* the layout depends on the LogonFlags of a logon this buffer
                               and the caller do not know (RopSetMessageReadFlag,
                               RopWritePerUserInformation) */
    NEWMAIL_RQ_UNKNOWN,     /* a reserved RopId or one with no request: cannot be sized */
} newmail_rq_status_t;

enum {
    NEWMAIL_RQ_PROBLEM_UNKNOWN_ID = 1u << 0,     /* RopId reserved in MS-OXCROPS 2.2.2 */
    NEWMAIL_RQ_PROBLEM_RESPONSE_ONLY = 1u << 1,  /* RopNotify, RopPending, RopBackoff,
                                                    RopBufferTooSmall in an input buffer */
    NEWMAIL_RQ_PROBLEM_UNTERMINATED = 1u << 2,   /* a string without its terminator */
    NEWMAIL_RQ_PROBLEM_SIZE = 1u << 3,           /* a byte count that contradicts the counts or
                                                    rows inside it */
    NEWMAIL_RQ_PROBLEM_RESERVED = 1u << 4,       /* a Reserved field that MUST be 0 is not */
    NEWMAIL_RQ_PROBLEM_PROPERTY_NAME = 1u << 5,  /* a PropertyName Kind other than 0, 1, 0xFF */
    NEWMAIL_RQ_PROBLEM_HANDLE_INDEX = 1u << 6,   /* a handle index past the handle table
                                                    (set by the walk only) */
    NEWMAIL_RQ_PROBLEM_RESTRICTION = 1u << 7,    /* RestrictionData is not exactly one
                                                    restriction the property reader accepts */
    NEWMAIL_RQ_PROBLEM_PROPERTY_VALUE = 1u << 8, /* a TaggedPropertyValue the property reader
                                                    flags or cannot read */
    NEWMAIL_RQ_PROBLEM_SORT_ORDERS = 1u << 9,    /* counts or Order values of RopSortTable's
                                                    SortOrderSet (MS-OXCDATA 2.13) */
};

typedef struct {
    uint8_t rop_id;
    uint8_t logon_id;
    newmail_rq_status_t status;
    newmail_span_t span; /* from RopId; for anything but READ, the bytes read */
    /* The handle indexes, also present among the fields. input is
     * InputHandleIndex or SourceHandleIndex; output is OutputHandleIndex
     * (the object the response creates); dest is DestHandleIndex. */
    bool has_input, has_output, has_dest;
    uint8_t input_handle_index, output_handle_index, dest_handle_index;
    unsigned nfields;
    newmail_rq_field_t field[NEWMAIL_RQ_MAX_FIELDS];
    unsigned problems; /* NEWMAIL_RQ_PROBLEM_* */
} newmail_rop_request_t;

/* The first field named `name`, or NULL. */
const newmail_rq_field_t *newmail_rop_request_find(const newmail_rop_request_t *rq, unsigned name);

/* Element i (< f->value) of a NEWMAIL_RQK_TAGS field: RopGetPropertiesSpecific's
 * and RopSetColumns' PropertyTags, which lay out the responses of
 * RopGetPropertiesSpecific, RopQueryRows, RopFindRow and RopExpandRow. buf is
 * the buffer the request was read from. */
static inline uint32_t
newmail_rq_tag(const uint8_t *buf, const newmail_rq_field_t *f, size_t i)
{
    return newmail_le32(buf + f->span.offset + 4 * i);
}

/* Steps through the elements of a list field (NEWMAIL_RQK_TAGS and the
 * kinds after it): start with *pos = f->span.offset; each call gives the
 * next element's span and moves *pos past it. False at the end of the field,
 * or when the next element does not lie wholly inside it (then *pos stays).
 * Each element of PROPERTY_VALUES is a TaggedPropertyValue
 * (newmail_tagged_value_read() reads it), of PERMISSIONS_DATA and RULES_DATA
 * a flags byte, a u16 count and TaggedPropertyValues. */
bool newmail_rq_list_next(const uint8_t *buf, const newmail_rq_field_t *f, size_t *pos,
                          newmail_span_t *elem);

/* Element i (< f->value) of a NEWMAIL_RQK_IDS field (MessageIds, FolderIds). */
static inline uint64_t
newmail_rq_id(const uint8_t *buf, const newmail_rq_field_t *f, size_t i)
{
    return newmail_le64(buf + f->span.offset + 8 * i);
}

/* The kind of Server object a request's OutputHandleIndex receives when it
 * succeeds (MS-OXCROPS 1.3.1 and the ROP sections; MS-OXCNOTIF 2.2.1.2.1
 * for the subscription, MS-OXCFXICS 2.2.3 for the transfer contexts): what
 * the session model records for the handle the response puts at that
 * index. RopRelease frees the object at its InputHandleIndex. */
typedef enum {
    NEWMAIL_RQ_OBJECT_NONE, /* the request creates nothing */
    NEWMAIL_RQ_OBJECT_LOGON,
    NEWMAIL_RQ_OBJECT_FOLDER,
    NEWMAIL_RQ_OBJECT_MESSAGE,
    NEWMAIL_RQ_OBJECT_ATTACHMENT,
    NEWMAIL_RQ_OBJECT_TABLE,
    NEWMAIL_RQ_OBJECT_STREAM,
    NEWMAIL_RQ_OBJECT_SUBSCRIPTION,           /* RopRegisterNotification */
    NEWMAIL_RQ_OBJECT_FAST_TRANSFER_DOWNLOAD, /* RopFastTransferSourceCopy*,
                                               RopSynchronizationGetTransferState */
    NEWMAIL_RQ_OBJECT_FAST_TRANSFER_UPLOAD,   /* RopFastTransferDestinationConfigure */
    NEWMAIL_RQ_OBJECT_SYNC_DOWNLOAD,          /* RopSynchronizationConfigure */
    NEWMAIL_RQ_OBJECT_SYNC_UPLOAD,            /* RopSynchronizationOpenCollector */
    NEWMAIL_RQ_OBJECT_COUNT
} newmail_rq_object_t;

/* The object a request of rop_id creates at its OutputHandleIndex
 * (NEWMAIL_RQ_OBJECT_NONE for the requests that have none). */
newmail_rq_object_t newmail_rop_request_output_object(uint8_t rop_id);

/* "Folder", "Subscription", ...; NULL for NONE and out of range. */
const char *newmail_rq_object_name(unsigned object);

/* What the reader knows of the session's logons, for the two requests whose
 * layout depends on LogonFlags. */
typedef struct {
    uint8_t known[32];    /* bit i: logon id i's LogonFlags known */
    uint8_t private_[32]; /* bit i: logon id i has NEWMAIL_LOGON_FLAG_PRIVATE */
} newmail_rq_logons_t;

static inline void
newmail_rq_logons_set(newmail_rq_logons_t *l, uint8_t logon_id, uint8_t logon_flags)
{
    l->known[logon_id / 8] |= (uint8_t)(1u << (logon_id % 8));
    if (logon_flags & NEWMAIL_LOGON_FLAG_PRIVATE)
        l->private_[logon_id / 8] |= (uint8_t)(1u << (logon_id % 8));
    else
        l->private_[logon_id / 8] &= (uint8_t) ~(1u << (logon_id % 8));
}

/* Reads one ROP request from buf[pos, end) (end: the end of RopsList).
 * logons may be NULL (no logon known). Returns out->status; out->span.length
 * is the bytes it took (> 0 unless pos == end). */
newmail_rq_status_t newmail_rop_request_read(const uint8_t *buf, size_t pos, size_t end,
                                             const newmail_rq_logons_t *logons,
                                             newmail_rop_request_t *out);

/* ---- the walk over a ROP input buffer ---------------------------------------------- */

typedef enum {
    NEWMAIL_RQW_RUNNING,   /* more to give */
    NEWMAIL_RQW_COMPLETE,  /* every request read, RopsList used up exactly */
    NEWMAIL_RQW_STOPPED,   /* stopped at a request it cannot size (its status says why) */
    NEWMAIL_RQW_TRUNCATED, /* a request runs past the end of RopsList */
} newmail_rqw_status_t;

typedef struct {
    const uint8_t *buf;
    size_t len;
    newmail_rop_buffer_t buffer; /* RopSize, RopsList and handle table */
    size_t pos;                  /* where the next request starts */
    size_t rops_end;             /* end of RopsList */
    unsigned count;              /* requests returned so far */
    newmail_rqw_status_t status;
    newmail_rq_status_t stop;   /* with STOPPED: the status of the request it stopped at */
    newmail_rq_logons_t logons; /* from set_logon and this buffer's RopLogon requests */
} newmail_rop_request_walk_t;

/* Starts a walk over a decoded ROP input buffer buf[0, len). */
void newmail_rop_request_walk_init(newmail_rop_request_walk_t *walk, const uint8_t *buf,
                                   size_t len);

/* Tells the walk a logon's LogonFlags from the session (a RopLogon of an
 * earlier call). RopLogon requests in the buffer itself are learnt as read. */
void newmail_rop_request_walk_set_logon(newmail_rop_request_walk_t *walk, uint8_t logon_id,
                                        uint8_t logon_flags);

/* Reads the next request into *out; false when the walk is over
 * (walk->status says how it ended). A request whose status is not READ is
 * returned and ends the walk. */
bool newmail_rop_request_next(newmail_rop_request_walk_t *walk, newmail_rop_request_t *out);

/* The server object handle at `handle_index` of the buffer's handle table; false
 * when the table has no such entry. */
bool newmail_rop_request_handle(const newmail_rop_request_walk_t *walk, uint8_t handle_index,
                                uint32_t *handle);

#endif /* NEWMAIL_ROP_REQUEST_H */
