/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rpch.h: the capture's model of RPC over HTTP v2 (MS-RPCH)
 * virtual connections and their channels.
 *
 * A virtual connection (VC, MS-RPCH 1.3.1) is one DCE/RPC connection carried
 * by two HTTP connections: the IN channel (RPC_IN_DATA, client to server)
 * and the OUT channel (RPC_OUT_DATA, server to client). The client names the
 * VC by the VirtualConnectionCookie it puts in CONN/A1 (OUT channel) and
 * CONN/B1 (IN channel), and again when it replaces a channel (IN_R1/A1,
 * OUT_R1/A3 and their R2 forms), so that cookie ties all the TCP (or TLS)
 * connections of one VC together.
 *
 * A channel is one TCP connection of a VC: its role, the frame whose HTTP
 * body opened it, and the first frame from which its bytes are RPC PDUs
 * rather than HTTP (the takeover). An IN channel whose RPC_IN_DATA header
 * came apart from its CONN/B1 is taken over from the frame after the header
 * with no VC yet (pending): the first PDU of the takeover, B1, names the VC,
 * or the channel is declined and its bytes stay HTTP's. VCs are numbered 1, 2, ... in the order
 * the capture first names them; the dissector hands both channels of VC n
 * to DCE/RPC as one conversation.
 *
 * State only: the dissector feeds it on the first pass (_get_or_add, _add
 * create) and reads it on every pass (_lookup never creates); nothing here
 * builds a tree. Everything lives in wmem_file_scope().
 */
#ifndef NEWMAIL_RPCH_H
#define NEWMAIL_RPCH_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/conversation.h>

#define NEWMAIL_RPCH_COOKIE_LENGTH 16

typedef enum {
    NEWMAIL_RPCH_CHANNEL_IN = 1,  /* RPC_IN_DATA: client to server */
    NEWMAIL_RPCH_CHANNEL_OUT = 2, /* RPC_OUT_DATA: server to client */
} newmail_rpch_role_t;

typedef struct {
    uint32_t ordinal; /* 1, 2, ... in the order the capture names VCs */
    uint8_t cookie[NEWMAIL_RPCH_COOKIE_LENGTH];
    uint32_t out_frame; /* the first CONN/A1 (or OUT recycling) that named it, 0 for none */
    uint32_t in_frame;  /* the first CONN/B1 (or IN recycling) that named it, 0 for none */
} newmail_rpch_vc_t;

typedef struct {
    newmail_rpch_vc_t *vc;
    newmail_rpch_role_t role;
    uint32_t open_frame;     /* the frame whose HTTP body carried A1, B1 or a recycling PDU */
    uint32_t response_frame; /* OUT channel: the server's HTTP response header, 0 before it */
    uint32_t takeover_frame; /* first frame whose bytes are RPC PDUs; 0 while HTTP still has it */
    bool over_tls;
    bool declined; /* first pass: the bytes after a header sent apart were no B1 */
} newmail_rpch_channel_t;

/* Registers the model's init routine. */
void newmail_rpch_register(void);

/* First pass: the VC named by `cookie` (NEWMAIL_RPCH_COOKIE_LENGTH bytes),
 * created if new; `frame` (a PDU of `role`) is remembered as its first
 * frame of that role if it has none. */
newmail_rpch_vc_t *newmail_rpch_vc_get_or_add(const uint8_t *cookie, newmail_rpch_role_t role,
                                              uint32_t frame);

/* First pass: `conversation` (a TCP connection) becomes a channel of `vc`
 * opened in `frame`; with `vc` NULL and `frame` 0, a pending channel
 * (newmail_rpch_channel_open() gives it its VC). Returns the new record;
 * the caller sets the takeover. */
newmail_rpch_channel_t *newmail_rpch_channel_add(conversation_t *conversation,
                                                 newmail_rpch_vc_t *vc,
                                                 newmail_rpch_role_t role, uint32_t frame);

/* First pass: a channel with no VC (pending or declined) becomes a channel
 * of `vc` and `role` opened in `frame`. */
void newmail_rpch_channel_open(newmail_rpch_channel_t *channel, newmail_rpch_vc_t *vc,
                               newmail_rpch_role_t role, uint32_t frame);

/* The channel `conversation` is, or NULL. Never creates. */
newmail_rpch_channel_t *newmail_rpch_channel_lookup(const conversation_t *conversation);

#endif /* NEWMAIL_RPCH_H */
