/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-response.h: every ROP response of MS-OXCROPS 2.2, success and
 * failure layouts, read with what the layout depends on: the request of the
 * same call (RopLogon's LogonFlags, RopGetPropertiesSpecific's PropertyTags,
 * RopSetColumns earlier in the call) and the session's tables across calls
 * (a callback gives a table's columns). Used by the walk of newmail-rop.h
 * when it is started with newmail_rop_walk_init_ctx().
 *
 * Plain C11, no Wireshark or GLib types; no allocation; work bounded by the
 * bytes (every row column and list element takes at least one byte).
 *
 * ---- Matching responses with requests --------------------------------------
 * The responses answer the requests in order (MS-OXCROPS 3.1.4.2); RopRelease
 * has no response and is skipped. A response whose RopId is not that of the
 * next request stops the walk (UNSIZED, NEWMAIL_ROP_PROBLEM_REQUEST_MISMATCH);
 * so does a response after the last request of a complete list
 * (NEWMAIL_ROP_PROBLEM_NO_REQUEST). RopNotify, RopPending, RopBackoff and
 * RopBufferTooSmall answer no request: they are taken wherever they appear
 * (RopBackoff "can appear at any location", 3.1.5.1.1; RopBufferTooSmall
 * replaces the responses that did not fit), without moving along the list.
 * A request with WantAsynchronous nonzero (RopEmptyFolder, RopDeleteMessages,
 * RopMoveFolder, ...) may be answered by RopProgress (MS-OXCPRPT 3.2.5.20,
 * example 4.5), which then takes that request's place.
 *
 * ---- What stops the walk, by name --------------------------------------------
 *  NEWMAIL_ROP_NEEDS_REQUEST  RopLogon success (private and public layouts
 *      differ by the request's LogonFlags), RopGetPropertiesSpecific success
 *      (its row is laid out by the request's PropertyTags), when the request
 *      list is absent, ended before this response (requests_complete false),
 *      or the request was not read as far as that field; and a row set on a
 *      table whose RopSetColumns is in this call when the request list is
 *      absent.
 *  NEWMAIL_ROP_NEEDS_COLUMNS  RopQueryRows, RopFindRow (with HasRowData) and
 *      RopExpandRow success when the table's columns are not known: neither a
 *      RopSetColumns earlier in this call nor the table_columns callback gives
 *      them, or the handle index got a new object earlier in this call with no
 *      RopSetColumns after it (the callback would name the old object).
 *  UNSIZED  with REQUEST_MISMATCH / NO_REQUEST (above), PROPERTY (a value
 *      whose type the property reader cannot size, or a row it rejects),
 *      VALUE (TypedString StringType or PropertyName Kind outside their
 *      values), and the old reasons (reserved RopId, RopRelease, RopNotify's
 *      unknown types).
 * A TableModified RopNotify is never stopped by its row: TableRowDataSize
 * sizes it; its PropertyRow is read when notify_columns gives the columns of
 * the table the NotificationHandle names (row_data_read), else left unread.
 *
 * ---- Readings chosen where the sources differ --------------------------------
 * Sources: MS-OXCROPS 2.2 (reference), MS-OXCFXICS, MS-OXCSTOR, and MAPI
 * Inspector for Fiddler (OfficeDev/Office-Inspectors-for-Fiddler,
 * MAPIInspector/Source/Parsers, read for comparison only).
 *  - RopFastTransferSourceGetBuffer (0x4E): ReturnValue 0x00000480
 *    (ecServerBusy) carries BackoffTime (u32) only. Any other ReturnValue
 *    carries TransferStatus u16, InProgressCount u16, TotalStepCount u16,
 *    Reserved u8, TransferBufferSize u16, TransferBuffer, as MS-OXCFXICS
 *    2.2.3.1.1.5.2 describes (TransferStatus Error 0x0000 "the ReturnValue
 *    field ... contains a code for that error", so the fields come with a
 *    failure) and as the walk of newmail_rop_walk_init always assumed. MAPI
 *    Inspector reads the transfer fields on success only (6 bytes on other
 *    failures).
 *  - RopFastTransferDestinationPutBufferExtended (0x9D): InProgressCount and
 *    TotalStepCount are u32 (MS-OXCFXICS 2.2.3.1.2.3.2); in
 *    RopFastTransferDestinationPutBuffer (0x54) they are u16. Both carry
 *    their fields whatever the ReturnValue.
 *  - RopTransportSend (0x4A) success: NoPropertiesReturned u8, then
 *    PropertyValueCount u16 and PropertyValues always, as MAPI Inspector
 *    reads it; MS-OXCROPS 2.2.7.6.2 marks PropertyValueCount "optional"
 *    without saying when, so a server that omitted it would stop the walk
 *    (TRUNCATED) rather than be misread silently only if it is the last ROP.
 *  - RopLogon (0xFE): the success layout follows the request's LogonFlags
 *    Private bit (MS-OXCSTOR 2.2.1.1.3/2.2.1.1.4, MAPI Inspector); the
 *    response repeats LogonFlags, and a Private bit that differs is flagged
 *    (NEWMAIL_ROP_PROBLEM_LOGON_FLAGS). ReturnValue 0x00000478 (ecWrongServer)
 *    is the redirect response: LogonFlags u8, ServerNameSize u8, ServerName
 *    (ServerNameSize bytes of ASCII including the terminator).
 *  - Failure responses with more than 6 bytes: PartialCompletion u8 follows
 *    ReturnValue whatever its value in RopDeleteFolder, RopDeleteMessages,
 *    RopHardDeleteMessages, RopEmptyFolder, RopHardDeleteMessagesAndSubfolders,
 *    RopSetReadFlags, RopMoveCopyMessages, RopMoveFolder, RopCopyFolder;
 *    ReturnValue 0x00000503 (ecDstNullObject) puts DestHandleIndex u32 first in
 *    RopMoveCopyMessages, RopMoveFolder, RopCopyFolder, RopCopyTo,
 *    RopCopyProperties, RopCopyToStream; RopCopyToStream carries
 *    ReadByteCount/WrittenByteCount and the stream writes WrittenSize, and
 *    RopReadStream DataSize/Data, whatever the ReturnValue.
 *  - RopGetReceiveFolderTable (0x68): Rows are PropertyRows of the three
 *    columns MS-OXCROPS 2.2.3.7.2 fixes: PidTagFolderId (PtypInteger64),
 *    PidTagMessageClass (PtypString8), PidTagLastModificationTime (PtypTime).
 *  - OpenRecipientRow / ReadRecipientRow: RecipientRow (MS-OXCDATA 2.8.3) is
 *    sized by RecipientRowSize and reported as bytes.
 *  - RopSetMessageReadFlag (0x11): LogonId and ClientData follow only when
 *    ReadStatusChanged is nonzero (2.2.6.11.2), which is in the response.
 */
#ifndef NEWMAIL_ROP_RESPONSE_H
#define NEWMAIL_ROP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-rop-request.h"
#include "newmail-rop.h"

/* What the response walk knows beyond the output buffer. Every member may be
 * NULL/0: the walk then stops, by name, where it needs one. */
typedef struct newmail_rop_context {
    /* The requests of the same call (newmail_rop_request_next() in order) and
     * the decoded input buffer their spans refer to. NULL/0: not captured. */
    const uint8_t *request_buf;
    size_t request_len;
    const newmail_rop_request_t *requests;
    size_t request_count;
    /* The request walk read every request (NEWMAIL_RQW_COMPLETE): a response
     * past the last one is a mismatch, not a missing request. */
    bool requests_complete;
    /* The columns (the PropertyTags of its last RopSetColumns, in an earlier
     * call) of the table at this handle index of the call; false when not
     * known. The array must stay valid until the walk's next response. */
    bool (*table_columns)(void *ctx, uint8_t handle_index, const uint32_t **tags, size_t *count);
    /* The same for the table a RopNotify's NotificationHandle (a subscription
     * made by RopRegisterNotification on a table) names. */
    bool (*notify_columns)(void *ctx, uint32_t notification_handle, const uint32_t **tags,
                           size_t *count);
    void *ctx;
} newmail_rop_context_t;

/* Reads one response at c->pos (its RopId first) with the walk's context;
 * the cursor ends after what was read. rq is the request it answers (NULL
 * when not known). Used by newmail_rop_next_response(); exposed for tests. */
newmail_rop_status_t newmail_rop_response_read(newmail_cursor_t *c, newmail_rop_walk_t *walk,
                                               const newmail_rop_request_t *rq,
                                               newmail_rop_response_t *r);

/* Internal to the walk: reads the next response of a walk started with a
 * context, matching it with its request; and the reader of the 11 ids the
 * walk without a context sizes. */
newmail_rop_status_t newmail_rop_response_next_ctx(newmail_rop_walk_t *walk, newmail_cursor_t *c,
                                                   newmail_rop_response_t *r);
newmail_rop_status_t newmail_rop_response_read_legacy(newmail_cursor_t *c,
                                                      newmail_rop_response_t *r);

/* The first field named `name` (newmail_rs_name_t) of a response, or NULL. */
const newmail_rs_field_t *newmail_rop_response_find(const newmail_rop_response_t *r, unsigned name);

/* Starts a walk as newmail_rop_walk_init() does, with the request of the
 * call and the session's tables: every response of MS-OXCROPS 2.2 is read
 * field by field. ctx must outlive the walk. */
void newmail_rop_walk_init_ctx(newmail_rop_walk_t *walk, const uint8_t *buf, size_t len,
                               const newmail_rop_context_t *ctx);

/* Reads the next response of either walk into *out; false when the walk is
 * over (walk->status tells how it ended). */
bool newmail_rop_next_response(newmail_rop_walk_t *walk, newmail_rop_response_t *out);

#endif /* NEWMAIL_ROP_RESPONSE_H */
