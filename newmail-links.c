/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-links.c: the fields every NEWMAIL feeder shares (see
 * newmail-links.h): newmail.session_frame, newmail.signal, newmail.fetch_frame,
 * newmail.fetch_delay, newmail.signal_frame, newmail.registration_frame and
 * the not-fetched warning.
 *
 * Links to later frames (a signal's fetch) are complete only once the first
 * pass is over, so they appear in two-pass runs and in the GUI, as
 * Wireshark's request/response links do; everything else is the same in
 * every pass.
 */
#include <epan/expert.h>

#include "newmail-core.h"
#include "newmail-links.h"

static int hf_newmail_session_frame = -1;
static int hf_newmail_registration_frame = -1;
static int hf_newmail_signal = -1;
static int hf_newmail_fetch_frame = -1;
static int hf_newmail_fetch_delay = -1;
static int hf_newmail_signal_frame = -1;
static int hf_newmail_signals_answered = -1;
static int hf_newmail_unfetched_signal_frame = -1;

static expert_field ei_newmail_not_fetched = EI_INIT;

proto_item *
newmail_add_frame_link(proto_tree *tree, int hf, tvbuff_t *tvb, uint32_t frame)
{
    proto_item *item;

    if (frame == 0)
        return NULL;
    item = proto_tree_add_uint(tree, hf, tvb, 0, 0, frame);
    proto_item_set_generated(item);
    return item;
}

proto_item *
newmail_add_registration_link(proto_tree *tree, tvbuff_t *tvb, uint32_t frame)
{
    return newmail_add_frame_link(tree, hf_newmail_registration_frame, tvb, frame);
}

void
newmail_add_session_link(proto_tree *tree, tvbuff_t *tvb, const newmail_session_t *session)
{
    if (session != NULL)
        newmail_add_frame_link(tree, hf_newmail_session_frame, tvb, session->first_frame);
}

void
newmail_add_signal(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                   newmail_mechanism_t mechanism, const newmail_session_t *session,
                   uint32_t previous)
{
    proto_item *item;

    item = proto_tree_add_uint(tree, hf_newmail_signal, tvb, 0, 0, mechanism);
    proto_item_set_generated(item);
    if (PINFO_FD_VISITED(pinfo)) {
        const newmail_fetch_t *fetch = newmail_session_fetch_after(session, pinfo->num);

        if (fetch != NULL) {
            nstime_t delay;

            newmail_add_frame_link(tree, hf_newmail_fetch_frame, tvb, fetch->frame);
            nstime_delta(&delay, &fetch->request_time, &pinfo->abs_ts);
            proto_item_set_generated(
                proto_tree_add_time(tree, hf_newmail_fetch_delay, tvb, 0, 0, &delay));
        }
    }
    if (!newmail_session_unanswered(session, previous, pinfo->num))
        return;
    /* A repeat is the common case on a client that polls (the server
     * repeats every 60 s): the link item names the earlier signal, so the
     * expert needs no message of its own to format. */
    item = newmail_add_frame_link(tree, hf_newmail_unfetched_signal_frame, tvb, previous);
    expert_add_info(pinfo, item, &ei_newmail_not_fetched);
}

void
newmail_add_fetch(proto_tree *tree, tvbuff_t *tvb, const newmail_fetch_t *fetch)
{
    if (fetch == NULL || fetch->signal_count == 0)
        return;
    newmail_add_frame_link(tree, hf_newmail_signal_frame, tvb, fetch->first_signal);
    proto_item_set_generated(proto_tree_add_uint(tree, hf_newmail_signals_answered, tvb, 0, 0,
                                                 fetch->signal_count));
}

void
newmail_add_problems(packet_info *pinfo, proto_item *item, expert_field *ei, const char *prefix,
                     unsigned problems, const newmail_problem_text_t *texts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (problems & texts[i].bit)
            expert_add_info_format(pinfo, item, ei, "%s: %s", prefix, texts[i].text);
    }
}

void
newmail_register_links(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_session_frame,
          { "Session in", "newmail.session_frame", FT_FRAMENUM, BASE_NONE, NULL,
            0x0,
            "First frame of the capture that names this Exchange session (its EcDoConnect(Ex)"
            " response, or MAPI/HTTP Connect request, when the capture holds it)", HFILL } },
        { &hf_newmail_registration_frame,
          { "Registration in", "newmail.registration_frame", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "Frame of the EcRRegisterPushNotification request this belongs to", HFILL } },
        { &hf_newmail_signal,
          { "Signal", "newmail.signal", FT_UINT8, BASE_DEC,
            VALS(newmail_mechanism_vals), 0x0,
            "This frame tells the client that events are pending, by this mechanism", HFILL } },
        { &hf_newmail_fetch_frame,
          { "Fetched in", "newmail.fetch_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The session's first request after this signal (EcDoRpcExt2, EcDoRpc or Execute):"
            " the client collecting the events", HFILL } },
        { &hf_newmail_fetch_delay,
          { "Fetch delay", "newmail.fetch_delay", FT_RELATIVE_TIME, BASE_NONE, NULL,
            0x0, "Time from this signal to the request that fetched the events", HFILL } },
        { &hf_newmail_signal_frame,
          { "Answers signal in", "newmail.signal_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0,
            "The first of the session's signals since its previous fetch: the one that announced"
            " the events this request collects", HFILL } },
        { &hf_newmail_signals_answered,
          { "Signals answered", "newmail.signals_answered", FT_UINT32, BASE_DEC,
            NULL, 0x0, "How many signals of the session this request answers", HFILL } },
        { &hf_newmail_unfetched_signal_frame,
          { "Unanswered signal in", "newmail.unfetched_signal_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "The same registration's, async handle's or session's previous signal, after which"
            " the client fetched nothing", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_newmail_not_fetched,
          { "newmail.not_fetched", PI_SEQUENCE, PI_WARN,
            "Signalled again: the client fetched nothing since its previous signal", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    proto_register_field_array(proto_newmail, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
