/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-links.h: the tree items every NEWMAIL feeder shares: frame links,
 * the session a frame belongs to, a signal and what became of it, the
 * signals a fetch request answers, and the expert items of a reader's
 * problem bits. The UDP, EMSMDB, AsyncEMSMDB and MAPI/HTTP dissectors all
 * show them the same way. Reads the session model, never changes it, and
 * queues no tap event.
 */
#ifndef NEWMAIL_LINKS_H
#define NEWMAIL_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <epan/expert.h>
#include <epan/packet.h>

#include "newmail-session.h"

/* Registers the fields and expert items below (in proto_newmail). */
void newmail_register_links(void);

/* A generated frame link; nothing for frame 0. */
proto_item *newmail_add_frame_link(proto_tree *tree, int hf, tvbuff_t *tvb, uint32_t frame);

/* newmail.registration_frame: the EcRRegisterPushNotification request a
 * notification or an unregister belongs to. */
proto_item *newmail_add_registration_link(proto_tree *tree, tvbuff_t *tvb, uint32_t frame);

/* newmail.session_frame, when the session is known. */
void newmail_add_session_link(proto_tree *tree, tvbuff_t *tvb, const newmail_session_t *session);

/* A signal of `mechanism` to the client at pinfo->dst: newmail.signal and,
 * after the first pass, the fetch of `session` that answered it. `previous`
 * is the same source's signal before this one (0 for none): when the
 * session made no fetch between the two, a not-fetched warning links it. */
void newmail_add_signal(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                        newmail_mechanism_t mechanism, const newmail_session_t *session,
                        uint32_t previous);

/* A fetch request: newmail.signal_frame for the first signal it answers and
 * how many it answers; nothing when it answers none. */
void newmail_add_fetch(proto_tree *tree, tvbuff_t *tvb, const newmail_fetch_t *fetch);

/* What one problem bit of a reader means. */
typedef struct {
    unsigned bit;
    const char *text;
} newmail_problem_text_t;

/* One expert item `ei` on `item` for each bit of `problems` that `texts`
 * names, in the table's order: "<prefix>: <text>". */
void newmail_add_problems(packet_info *pinfo, proto_item *item, expert_field *ei,
                          const char *prefix, unsigned problems,
                          const newmail_problem_text_t *texts, size_t count);

#endif /* NEWMAIL_LINKS_H */
