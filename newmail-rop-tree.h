/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rop-tree.h: the tree of a ROP buffer (MS-OXCRPC 2.2.2.1, MS-OXCROPS
 * 2.2.1): its RPC_HEADER_EXT blocks, each block's decoded payload as a data
 * source of its own, and in a response the RopNotify and RopPending the
 * server queued. EcDoRpcExt2 (rgbIn, rgbOut) and MAPI over HTTP Execute carry
 * the same buffers, so both dissectors call this. The bytes are read by
 * newmail-rop.c.
 */
#ifndef NEWMAIL_ROP_TREE_H
#define NEWMAIL_ROP_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>

#include "newmail-objects.h" /* newmail_notified_t */
#include "newmail-rop.h"     /* NEWMAIL_ROP_BUFFER_MAX_DECODED */
#include "newmail-session.h"

/* What the response of a call needs from its request: the first
 * RPC_HEADER_EXT block of the request's buffer as it was on the wire
 * (header and payload), copied into file scope by the first pass. It is
 * decoded again, into the packet's scope, when the response is dissected:
 * kept decoded, a few bytes that expand to 64 KiB would make every call of
 * a capture cost 64 KiB for the life of the file. */
typedef struct {
    const uint8_t *wire; /* NULL: the request was seen but holds no block */
    size_t wire_length;
    uint32_t max_decoded; /* the request buffer's decoding budget */
    bool payload;         /* EcDoRpc: wire is the whole ROP input buffer, already
                             cleared of its XOR (no RPC_HEADER_EXT to decode) */
} newmail_rop_request_copy_t;

/* First pass only: keeps a file-scope copy of the first block of the
 * request buffer buf[0, len), to be decoded within max_decoded bytes.
 * Creates, but for a block that holds no ROP (RopSize 2), which gets a copy
 * all such requests share; the copy's wire is NULL when the buffer holds no
 * whole block header, which still tells the response that its request was
 * seen. Adds nothing to any tree. */
const newmail_rop_request_copy_t *newmail_rop_request_copy_add(const uint8_t *buf, size_t len,
                                                             uint32_t max_decoded);

/* Adds the buffer at tvb[offset, offset + length). `fetch` is the fetch
 * request a response buffer answers (its NewMail notifications link the
 * signal that announced them), or NULL. Its blocks are decoded to at most
 * `max_decoded` bytes in all: what the request allowed (`limit_name` says
 * which field, for the expert), else NEWMAIL_ROP_BUFFER_MAX_DECODED. */
/* A response's first payload is read with `request` (the copy the first pass
 * kept of its request, NULL when the request is not in the capture): every
 * ROP response is read field by field, and the walk stops, by name, where
 * the request or a table's columns are missing. The payloads of a chained
 * response that follow it are read with the call's last request when that
 * is a RopQueryRows, RopReadStream or RopFastTransferSourceGetBuffer
 * (MS-OXCRPC 3.1.4.2.1.2.2), else walked without a request. A request
 * buffer's ROP requests are shown field by field. */
void newmail_dissect_rop_buffer(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                                proto_tree *tree, bool response, const newmail_fetch_t *fetch,
                                uint32_t max_decoded, const char *limit_name,
                                const newmail_rop_request_copy_t *request);

/* The call a buffer belongs to: its session (NULL: not known) and the frame
 * of its request (0: not known); and, filled by the dissection of a
 * response, the RopNotify it showed with what each NotificationHandle names
 * as of this call (in the packet's scope), for the caller's tap. */
typedef struct {
    newmail_session_t *session;
    uint32_t request_frame;
    newmail_notified_t *notified; /* out */
    size_t notified_count;        /* out */
    size_t notified_capacity;     /* out */
} newmail_rop_call_t;

/* newmail_dissect_rop_buffer() within the session's objects
 * (newmail-objects.h): a response's rows and TableModified rows are laid out
 * by the columns its tables got in earlier calls, a RopNotify is tied to the
 * RopRegisterNotification that made its subscription. On the first pass,
 * once the response is read, what the call did to the session's objects is
 * recorded (newmail_objects_update_call()); the tree itself only reads them.
 * call may be NULL (no session: as newmail_dissect_rop_buffer()). */
void newmail_dissect_rop_buffer_call(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                                     proto_tree *tree, bool response,
                                     const newmail_fetch_t *fetch, uint32_t max_decoded,
                                     const char *limit_name,
                                     const newmail_rop_request_copy_t *request,
                                     newmail_rop_call_t *call);

/* EcDoRpc (opnum 2): first pass only, as newmail_rop_request_copy_add()
 * but for a ROP input buffer with no RPC_HEADER_EXT, every byte XOR 0xA5:
 * keeps it cleared of the XOR, at most max_decoded bytes of it. Creates. */
const newmail_rop_request_copy_t *newmail_rop_request_copy_add_xor(const uint8_t *buf,
                                                                 size_t len,
                                                                 uint32_t max_decoded);

/* EcDoRpc (opnum 2): adds the ROP buffer at tvb[offset, offset + length),
 * which has no RPC_HEADER_EXT and is obfuscated whole with XOR 0xA5
 * (newmail_xor_magic()): cleared into a data source of its own, then shown
 * as newmail_dissect_rop_buffer() shows a decoded payload (RopSize, ROP
 * requests or responses, the server object handle table). A buffer longer
 * than max_decoded (limit_name says what set it) is not decoded. The other
 * arguments are newmail_dissect_rop_buffer_call()'s. */
void newmail_dissect_rop_payload_xor(tvbuff_t *tvb, int offset, int length, packet_info *pinfo,
                                     proto_tree *tree, bool response,
                                     const newmail_fetch_t *fetch, uint32_t max_decoded,
                                     const char *limit_name,
                                     const newmail_rop_request_copy_t *request,
                                     newmail_rop_call_t *call);

void newmail_register_rop_tree(void);

#endif /* NEWMAIL_ROP_TREE_H */
