/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * newmail-stats.c: Statistics > NEWMAIL in the GUI, `tshark -z newmail,tree`.
 * Counts, per callback endpoint and in total, what the dissector reports on
 * its tap: registrations, notifications, context mismatches, notifications
 * with no known registration, and unregisters.
 */
#include <epan/packet.h>
#include <epan/stats_tree.h>

#include "packet-newmail.h"

static const gchar *const node_totals = "Totals";
static const gchar *const node_callbacks = "Per callback endpoint";
static const gchar *const node_registrations = "Registrations";
static const gchar *const node_notifications = "Notifications";
static const gchar *const node_mismatches = "Context mismatches";
static const gchar *const node_unregistered = "Notifications with no known registration";
static const gchar *const node_unregisters = "Unregisters";

static int st_node_totals = -1;
static int st_node_callbacks = -1;

static void
newmail_stats_init(stats_tree *st)
{
    st_node_totals = stats_tree_create_node(st, node_totals, 0, STAT_DT_INT, TRUE);
    st_node_callbacks = stats_tree_create_node(st, node_callbacks, 0, STAT_DT_INT, TRUE);
}

/* Ticks the counters an event moves under one parent node. */
static void
tick_event(stats_tree *st, int parent, const newmail_tap_info_t *info)
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
    case NEWMAIL_TAP_UNREGISTER:
        tick_stat_node(st, node_unregisters, parent, FALSE);
        break;
    }
}

static tap_packet_status
newmail_stats_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                     const void *data, tap_flags_t flags _U_)
{
    const newmail_tap_info_t *info = (const newmail_tap_info_t *)data;
    int endpoint_node;

    tick_stat_node(st, node_totals, 0, TRUE);
    tick_event(st, st_node_totals, info);
    if (info->callback != NULL) {
        tick_stat_node(st, node_callbacks, 0, TRUE);
        endpoint_node = tick_stat_node(st, info->callback, st_node_callbacks, TRUE);
        tick_event(st, endpoint_node, info);
    }
    return TAP_PACKET_REDRAW;
}

void
newmail_register_stats(void)
{
    stats_tree_register_plugin(NEWMAIL_FILTER_NAME, NEWMAIL_FILTER_NAME, NEWMAIL_SHORT_NAME, 0,
                               newmail_stats_packet, newmail_stats_init, NULL);
}
