/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-evidence.h: what the capture shows about DCE/RPC servers and
 * their clients, for finding NEWMAIL datagrams whose registration is not in
 * the capture (MS-OXCNOTIF 3.1.5.1: the server sends the datagram to a
 * client it serves over EMSMDB, MS-OXCRPC 3.1.4.5).
 *
 * The model holds three things, learned on the first pass by the NEWMAIL
 * post-dissector (packet-newmail.c) from every TCP frame between two ports
 * above 1023 (Exchange's RPC endpoints and Outlook's ports are dynamic):
 *   - DCE/RPC endpoints: an address and TCP port that answered or received
 *     DCE/RPC PDUs, whether a bind to EMSMDB was made on it, whether binds
 *     to other interfaces only were;
 *   - TCP connections between two addresses, by their ports, with their
 *     first frame;
 *   - sessions of datagrams the heuristic claimed: a server endpoint and a
 *     client address, whose fetches are the client's TCP segments with
 *     payload to that endpoint, whatever Wireshark decodes them as.
 * State only, like newmail-session.c: nothing here builds a tree or queues
 * a tap event. Everything lives in wmem_file_scope().
 */
#ifndef NEWMAIL_EVIDENCE_H
#define NEWMAIL_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/packet.h>

#include "newmail-session.h"

/* The longest payload the heuristic takes for a context blob. Outlook
 * registers 8 bytes; cbContext is a uint16, so a registered callback keeps
 * taking any length, but without a registration a longer datagram is far
 * more likely to be something else (RTP's shortest packet is 12 bytes). */
#define NEWMAIL_HEURISTIC_MAX_CONTEXT 16

/* Why a datagram was taken as NEWMAIL without its registration. */
typedef struct {
    uint32_t evidence_frame;    /* the frame that shows the sender's endpoint serves DCE/RPC */
    uint32_t connection_frame;  /* the first TCP frame between the client and that endpoint */
    uint16_t server_port;       /* the sender's TCP port that serves DCE/RPC */
    bool emsmdb;                /* a bind to (or a call of) EMSMDB on it is in the capture */
    newmail_session_t *session; /* the (endpoint, client) session its fetches go to */
    uint32_t previous_signal;   /* first pass: the session's datagram before, or 0 */
} newmail_heuristic_claim_t;

/* Registers the init routine that empties the model for each file. */
void newmail_evidence_register(void);

/* First pass, once per TCP frame (the post-dissector): the connection, its
 * DCE/RPC PDU if the frame holds one, and a fetch of a claimed session.
 * `frame_tvb` is the whole frame; `dcerpc` says whether DCE/RPC dissected
 * part of it; `emsmdb` whether stock's EMSMDB did; `payload` whether the
 * TCP segment carries data. */
void newmail_evidence_add_tcp_frame(tvbuff_t *frame_tvb, packet_info *pinfo, bool dcerpc,
                                    bool emsmdb, bool payload);

/* The fetch of a claimed datagram's session this TCP segment (from a
 * client to a server endpoint) is, on any pass once the first has been
 * there; NULL when it is none. Never creates. */
const newmail_fetch_t *newmail_evidence_fetch_in(const packet_info *pinfo);

/* Whether the model knows any TCP connection at all: a capture without
 * one costs the heuristic nothing more than this test. */
bool newmail_evidence_any_tcp(void);

/* The best evidence that the datagram's sender (pinfo->src) is a DCE/RPC
 * server of its receiver (pinfo->dst), as far as the model knows now:
 * true and `claim` filled (without session) when an endpoint of the sender
 * that serves DCE/RPC, and is not known to serve only other interfaces
 * than EMSMDB, has TCP traffic with the receiver. Never creates. */
bool newmail_evidence_lookup(const packet_info *pinfo, newmail_heuristic_claim_t *claim);

/* First pass: the claim's session (created for its endpoint and client if
 * new), the datagram recorded as its signal; fills session and
 * previous_signal. */
void newmail_evidence_add_signal(packet_info *pinfo, newmail_heuristic_claim_t *claim);

/* The session of a server endpoint (pinfo->src, `server_port`) and client
 * (pinfo->dst), or NULL. Never creates. */
newmail_session_t *newmail_evidence_session_lookup(const packet_info *pinfo, uint16_t server_port);

#endif /* NEWMAIL_EVIDENCE_H */
