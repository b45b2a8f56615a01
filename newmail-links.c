/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * newmail-links.c: the fields every NEWMAIL feeder shares (see
 * newmail-links.h): newmail.session_frame, newmail.signal, newmail.fetch_frame,
 * newmail.fetch_delay, newmail.signal_frame and the not-fetched warning.
 *
 * Links to later frames (a signal's fetch) are complete only once the first
 * pass is over, so they appear in two-pass runs and in the GUI, as
 * Wireshark's request/response links do; everything else is the same in
 * every pass.
 */
#include <epan/expert.h>

#include "newmail-links.h"
#include "packet-newmail.h"

static int hf_newmail_session_frame = -1;
static int hf_newmail_signal = -1;
static int hf_newmail_fetch_frame = -1;
static int hf_newmail_fetch_delay = -1;
static int hf_newmail_signal_frame = -1;
static int hf_newmail_signals_answered = -1;
static int hf_newmail_unfetched_signal_frame = -1;

static expert_field ei_newmail_not_fetched = EI_INIT;

static const value_string signal_mechanism_vals[] = {
    { NEWMAIL_SIGNAL_UDP, "UDP push notification" },
    { NEWMAIL_SIGNAL_ASYNC, "Asynchronous RPC wait (EcDoAsyncWaitEx)" },
    { NEWMAIL_SIGNAL_HTTP, "MAPI over HTTP NotificationWait" },
    { 0, NULL }
};

proto_item *
newmail_add_frame_link(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 frame)
{
    proto_item *item;

    if (frame == 0)
        return NULL;
    item = proto_tree_add_uint(tree, hf, tvb, 0, 0, frame);
    proto_item_set_generated(item);
    return item;
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
                   guint32 previous)
{
    newmail_tap_info_t tap = {0};
    proto_item *item;

    item = proto_tree_add_uint(tree, hf_newmail_signal, tvb, 0, 0, mechanism);
    proto_item_set_generated(item);
    if (PINFO_FD_VISITED(pinfo)) {
        const newmail_fetch_t *fetch = newmail_session_fetch_after(session, pinfo->num);

        if (fetch != NULL) {
            nstime_t delay;

            newmail_add_frame_link(tree, hf_newmail_fetch_frame, tvb, fetch->frame);
            nstime_delta(&delay, &fetch->time, &pinfo->abs_ts);
            proto_item_set_generated(
                proto_tree_add_time(tree, hf_newmail_fetch_delay, tvb, 0, 0, &delay));
        }
    }

    tap.client = newmail_tap_client(pinfo, &pinfo->dst);
    tap.event = NEWMAIL_TAP_SIGNAL;
    tap.mechanism = mechanism;
    newmail_tap_queue(pinfo, &tap);
    if (previous == 0 || !newmail_session_unanswered(session, previous, pinfo->num))
        return;
    /* A repeat is the common case on a client that polls (the server
     * repeats every 60 s): the link item names the earlier signal, so the
     * expert needs no message of its own to format. */
    item = newmail_add_frame_link(tree, hf_newmail_unfetched_signal_frame, tvb, previous);
    expert_add_info(pinfo, item, &ei_newmail_not_fetched);
    tap.event = NEWMAIL_TAP_NOT_FETCHED;
    newmail_tap_queue(pinfo, &tap);
}

void
newmail_add_fetch(proto_tree *tree, tvbuff_t *tvb, packet_info *pinfo,
                  const newmail_fetch_t *fetch)
{
    newmail_tap_info_t tap = {0};

    if (fetch == NULL || fetch->signal_count == 0)
        return;
    newmail_add_frame_link(tree, hf_newmail_signal_frame, tvb, fetch->first_signal);
    proto_item_set_generated(proto_tree_add_uint(tree, hf_newmail_signals_answered, tvb, 0, 0,
                                                 fetch->signal_count));
    tap.event = NEWMAIL_TAP_FETCH;
    tap.client = newmail_tap_client(pinfo, &pinfo->src);
    nstime_delta(&tap.fetch_delay, &fetch->time, &fetch->first_signal_time);
    newmail_tap_queue(pinfo, &tap);
}

void
newmail_register_links(void)
{
    static hf_register_info hf[] = {
        { &hf_newmail_session_frame,
          { "Session in", NEWMAIL_FILTER_NAME ".session_frame", FT_FRAMENUM, BASE_NONE, NULL,
            0x0,
            "First frame of the capture that names this Exchange session (its EcDoConnect(Ex)"
            " response, or MAPI/HTTP Connect request, when the capture holds it)", HFILL } },
        { &hf_newmail_signal,
          { "Signal", NEWMAIL_FILTER_NAME ".signal", FT_UINT8, BASE_DEC,
            VALS(signal_mechanism_vals), 0x0,
            "This frame tells the client that events are pending, by this mechanism", HFILL } },
        { &hf_newmail_fetch_frame,
          { "Fetched in", NEWMAIL_FILTER_NAME ".fetch_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "The session's first request after this signal (EcDoRpcExt2, EcDoRpc or Execute):"
            " the client collecting the events", HFILL } },
        { &hf_newmail_fetch_delay,
          { "Fetch delay", NEWMAIL_FILTER_NAME ".fetch_delay", FT_RELATIVE_TIME, BASE_NONE, NULL,
            0x0, "Time from this signal to the request that fetched the events", HFILL } },
        { &hf_newmail_signal_frame,
          { "Answers signal in", NEWMAIL_FILTER_NAME ".signal_frame", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0,
            "The first of the session's signals since its previous fetch: the one that announced"
            " the events this request collects", HFILL } },
        { &hf_newmail_signals_answered,
          { "Signals answered", NEWMAIL_FILTER_NAME ".signals_answered", FT_UINT32, BASE_DEC,
            NULL, 0x0, "How many signals of the session this request answers", HFILL } },
        { &hf_newmail_unfetched_signal_frame,
          { "Unanswered signal in", NEWMAIL_FILTER_NAME ".unfetched_signal_frame", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "The same registration's, async handle's or session's previous signal, after which"
            " the client fetched nothing", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_newmail_not_fetched,
          { NEWMAIL_FILTER_NAME ".not_fetched", PI_SEQUENCE, PI_WARN,
            "Signalled again: the client fetched nothing since its previous signal", EXPFILL } },
    };
    expert_module_t *expert = expert_register_protocol(proto_newmail);

    proto_register_field_array(proto_newmail, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
