/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * newmail-links.h: the tree items every NEWMAIL feeder shares: the session a
 * frame belongs to, a signal and what became of it, and the signals a fetch
 * request answers. The UDP, EMSMDB, AsyncEMSMDB and MAPI/HTTP dissectors all
 * show them the same way. Reads the session model, never changes it.
 */
#ifndef NEWMAIL_LINKS_H
#define NEWMAIL_LINKS_H

#include <epan/packet.h>

#include "newmail-session.h"

/* newmail.session_frame, when the session is known. */
void newmail_add_session_link(proto_tree *tree, tvbuff_t *tvb, const newmail_session_t *session);

/* A signal of `mechanism` to the client at pinfo->dst: newmail.signal and,
 * after the first pass, the fetch of `session` that answered it. `previous`
 * is the same source's signal before this one (0 for none): when the
 * session made no fetch between the two, a not-fetched warning links it.
 * Queues the tap events. */
void newmail_add_signal(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                        newmail_mechanism_t mechanism, const newmail_session_t *session,
                        guint32 previous);

/* A fetch request from the client at pinfo->src: newmail.signal_frame for
 * the first signal it answers and how many it answers. Queues the tap event. */
void newmail_add_fetch(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                       const newmail_fetch_t *fetch);

/* A generated frame link; nothing for frame 0. */
proto_item *newmail_add_frame_link(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 frame);

#endif /* NEWMAIL_LINKS_H */
