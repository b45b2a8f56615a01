/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-stub-tree.h: the tree items the EMSMDB hook and AsyncEMSMDB both
 * add for a DCE/RPC stub that newmail-parse.c read: a field at its span, the
 * return code, the links between a call's request and response, the ACXH,
 * and where the stub ends or was cut. Reads, never changes the model.
 */
#ifndef NEWMAIL_STUB_TREE_H
#define NEWMAIL_STUB_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>
#include <epan/dissectors/packet-dcerpc.h>

#include "newmail-parse.h"

/* Registers the fields and expert items below (in proto_newmail). */
void newmail_register_stub_tree(void);

/* Reads the stub at tvb[offset...] with the parser. */
void newmail_stub_parse(newmail_stub_kind_t kind, tvbuff_t *tvb, int offset, unsigned encoding,
                        newmail_stub_t *stub);

/* The field at its span; the stub starts at `stub_offset` in tvb. */
proto_item *newmail_stub_add_item(proto_tree *tree, int hf, tvbuff_t *tvb, int stub_offset,
                                  const newmail_stub_t *stub, newmail_field_t field,
                                  unsigned encoding);

/* newmail.return_code, when the stub has it; its item or NULL. */
proto_item *newmail_stub_add_return_code(proto_tree *tree, tvbuff_t *tvb, int stub_offset,
                                         const newmail_stub_t *stub, unsigned encoding);

/* newmail.async.acxh, when the stub has it; its item or NULL. */
proto_item *newmail_stub_add_acxh(proto_tree *tree, tvbuff_t *tvb, int stub_offset,
                                  const newmail_stub_t *stub);

/* A request's newmail.response_frame, or a response's newmail.request_frame,
 * as DCE/RPC matched them. */
void newmail_stub_add_call_links(proto_tree *tree, tvbuff_t *tvb, const dcerpc_info *di,
                                 bool request);

/* newmail.request_frame for a known request frame. */
void newmail_stub_add_request_link(proto_tree *tree, tvbuff_t *tvb, uint32_t frame);

/* Where the last field the parser read ends, from the tvb's start. */
int newmail_stub_end(int stub_offset, const newmail_stub_t *stub);

/* The stub-truncated error on `item` when the stub ends inside a field;
 * `consequence` is appended to its text. */
void newmail_stub_add_truncation(packet_info *pinfo, proto_item *item, const newmail_stub_t *stub,
                                 const char *consequence);

#endif /* NEWMAIL_STUB_TREE_H */
