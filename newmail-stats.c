/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-stats.c: Statistics > NEWMAIL in the GUI, `tshark -z newmail,tree`.
 * From what the dissectors report on the NEWMAIL tap it counts, per
 * callback endpoint and in total, registrations, notifications, context
 * mismatches, notifications with no known registration and unregisters;
 * and per client address, the signals of each mechanism, the fetches that
 * answered them (with the delay from the first signal each answered), the
 * signals repeated with no fetch between, and the notifications refused.
 */
#include <epan/packet.h>
#include <epan/stats_tree.h>

#include "newmail-core.h"
#include "packet-newmail.h"

static const gchar *const node_totals = "Totals";
static const gchar *const node_callbacks = "Per callback endpoint";
static const gchar *const node_registrations = "Registrations";
static const gchar *const node_notifications = "Notifications";
static const gchar *const node_mismatches = "Context mismatches";
static const gchar *const node_unregistered = "Notifications with no known registration";
static const gchar *const node_unregisters = "Unregisters";

static const gchar *const node_clients = "Signals by client";
static const gchar *const node_fetched = "Fetched";
static const gchar *const node_not_fetched = "Not fetched";
static const gchar *const node_refused = "Refused";
static const gchar *const node_fetch_delay = "Fetch delay (ms)";

static int st_node_totals = -1;
static int st_node_callbacks = -1;
static int st_node_clients = -1;

static void
newmail_stats_init(stats_tree *st)
{
    st_node_totals = stats_tree_create_node(st, node_totals, 0, STAT_DT_INT, TRUE);
    st_node_callbacks = stats_tree_create_node(st, node_callbacks, 0, STAT_DT_INT, TRUE);
    st_node_clients = stats_tree_create_node(st, node_clients, 0, STAT_DT_INT, TRUE);
}

/* Ticks the counters a registration event moves under one parent node. */
static void
tick_registration_event(stats_tree *st, int parent, const newmail_tap_info_t *info)
{
    switch (info->event) {
    case NEWMAIL_TAP_REGISTRATION:
        tick_stat_node(st, node_registrations, parent, FALSE);
        break;
    case NEWMAIL_TAP_NOTIFICATION:
        tick_stat_node(st, node_notifications, parent, FALSE);
        if (!info->registered)
            tick_stat_node(st, node_unregistered, parent, FALSE);
        else if (!info->context_match)
            tick_stat_node(st, node_mismatches, parent, FALSE);
        break;
    default: /* NEWMAIL_TAP_UNREGISTER */
        tick_stat_node(st, node_unregisters, parent, FALSE);
        break;
    }
}

/* A signal, a fetch, a repeat or a refusal, under its client. */
static void
tick_client_event(stats_tree *st, const newmail_tap_info_t *info)
{
    int client;

    tick_stat_node(st, node_clients, 0, TRUE);
    client = tick_stat_node(st, info->client, st_node_clients, TRUE);
    switch (info->event) {
    case NEWMAIL_TAP_SIGNAL:
        tick_stat_node(st, val_to_str_const(info->mechanism, newmail_mechanism_node_vals,
                                            "Other signals"),
                       client, FALSE);
        break;
    case NEWMAIL_TAP_FETCH:
        tick_stat_node(st, node_fetched, client, FALSE);
        avg_stat_node_add_value_int(st, node_fetch_delay, client, FALSE,
                                    (int)(info->fetch_delay.secs * 1000 +
                                          info->fetch_delay.nsecs / 1000000));
        break;
    case NEWMAIL_TAP_NOT_FETCHED:
        tick_stat_node(st, node_not_fetched, client, FALSE);
        break;
    default: /* NEWMAIL_TAP_REFUSED */
        tick_stat_node(st, node_refused, client, FALSE);
        break;
    }
}

static tap_packet_status
newmail_stats_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                     const void *data, tap_flags_t flags _U_)
{
    const newmail_tap_info_t *info = (const newmail_tap_info_t *)data;
    int endpoint_node;

    switch (info->event) {
    case NEWMAIL_TAP_REGISTRATION:
    case NEWMAIL_TAP_NOTIFICATION:
    case NEWMAIL_TAP_UNREGISTER:
        tick_stat_node(st, node_totals, 0, TRUE);
        tick_registration_event(st, st_node_totals, info);
        if (info->callback != NULL) {
            tick_stat_node(st, node_callbacks, 0, TRUE);
            endpoint_node = tick_stat_node(st, info->callback, st_node_callbacks, TRUE);
            tick_registration_event(st, endpoint_node, info);
        }
        break;
    default:
        if (info->client != NULL)
            tick_client_event(st, info);
        break;
    }
    return TAP_PACKET_REDRAW;
}

void
proto_register_newmail_stats(void)
{
    stats_tree_register_plugin(NEWMAIL_FILTER_NAME, NEWMAIL_FILTER_NAME, NEWMAIL_SHORT_NAME, 0,
                               newmail_stats_packet, newmail_stats_init, NULL);
}
