/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-stats.c: Statistics > NEWMAIL in the GUI, `tshark -z newmail,tree`.
 * From what the dissectors report on the NEWMAIL tap it counts, per
 * callback endpoint and in total, registrations, notifications, context
 * mismatches, notifications with no known registration and unregisters;
 * and per client address, the signals of each mechanism, the fetches that
 * answered them (with the delay from the first signal each answered), the
 * signals repeated with no fetch between, and the notifications refused;
 * and the RopNotify of ROP responses per NotificationType and per
 * subscription (the RopRegisterNotification request that made it, as the
 * first pass tied them, newmail-objects.h).
 */
#include <epan/packet.h>
#include <epan/stats_tree.h>

#include "newmail-core.h"
#include "newmail-rop.h"
#include "packet-newmail.h"

static const char *const node_totals = "Totals";
static const char *const node_callbacks = "Per callback endpoint";
static const char *const node_registrations = "Registrations";
static const char *const node_notifications = "Notifications";
static const char *const node_mismatches = "Context mismatches";
static const char *const node_unregistered = "Notifications with no known registration";
static const char *const node_unregisters = "Unregisters";

static const char *const node_clients = "Signals by client";
static const char *const node_fetched = "Fetched";
static const char *const node_not_fetched = "Not fetched";
static const char *const node_refused = "Refused";
static const char *const node_fetch_delay = "Fetch delay (ms)";

static const char *const node_rop_notify_types = "RopNotify by NotificationType";
static const char *const node_rop_notify_subscriptions = "RopNotify by subscription";
static const char *const node_subscription_unknown = "Subscription not in the capture";
static const char *const node_subscription_other = "On a table or other object";

static int st_node_totals = -1;
static int st_node_callbacks = -1;
static int st_node_clients = -1;
static int st_node_rop_notify_types = -1;
static int st_node_rop_notify_subscriptions = -1;

static void
newmail_stats_init(stats_tree *st)
{
    st_node_totals = stats_tree_create_node(st, node_totals, 0, STAT_DT_INT, true);
    st_node_callbacks = stats_tree_create_node(st, node_callbacks, 0, STAT_DT_INT, true);
    st_node_clients = stats_tree_create_node(st, node_clients, 0, STAT_DT_INT, true);
    st_node_rop_notify_types =
        stats_tree_create_node(st, node_rop_notify_types, 0, STAT_DT_INT, true);
    st_node_rop_notify_subscriptions =
        stats_tree_create_node(st, node_rop_notify_subscriptions, 0, STAT_DT_INT, true);
}

/* A RopNotify: under its NotificationType, and under its subscription by
 * type. */
static void
tick_rop_notify(stats_tree *st, packet_info *pinfo, const newmail_tap_info_t *info)
{
    const char *type = newmail_notify_type_name(info->notify_type);
    const char *subscription;
    int node;

    if (type == NULL)
        type = "Unknown type";
    tick_stat_node(st, node_rop_notify_types, 0, true);
    tick_stat_node(st, type, st_node_rop_notify_types, false);
    if (info->subscription_frame != 0)
        subscription = wmem_strdup_printf(pinfo->pool, "Subscription made in frame %u",
                                          info->subscription_frame);
    else
        subscription = info->on_object ? node_subscription_other : node_subscription_unknown;
    tick_stat_node(st, node_rop_notify_subscriptions, 0, true);
    node = tick_stat_node(st, subscription, st_node_rop_notify_subscriptions, true);
    tick_stat_node(st, type, node, false);
}

/* Ticks the counters a registration event moves under one parent node. */
static void
tick_registration_event(stats_tree *st, int parent, const newmail_tap_info_t *info)
{
    switch (info->event) {
    case NEWMAIL_TAP_REGISTRATION:
        tick_stat_node(st, node_registrations, parent, false);
        break;
    case NEWMAIL_TAP_NOTIFICATION:
        tick_stat_node(st, node_notifications, parent, false);
        if (!info->registered)
            tick_stat_node(st, node_unregistered, parent, false);
        else if (!info->context_match)
            tick_stat_node(st, node_mismatches, parent, false);
        break;
    default: /* NEWMAIL_TAP_UNREGISTER */
        tick_stat_node(st, node_unregisters, parent, false);
        break;
    }
}

/* A signal, a fetch, a repeat or a refusal, under its client. */
static void
tick_client_event(stats_tree *st, const newmail_tap_info_t *info)
{
    int client;

    tick_stat_node(st, node_clients, 0, true);
    client = tick_stat_node(st, info->client, st_node_clients, true);
    switch (info->event) {
    case NEWMAIL_TAP_SIGNAL:
        tick_stat_node(st, val_to_str_const(info->mechanism, newmail_mechanism_node_vals,
                                            "Other signals"),
                       client, false);
        break;
    case NEWMAIL_TAP_FETCH:
        tick_stat_node(st, node_fetched, client, false);
        avg_stat_node_add_value_int(st, node_fetch_delay, client, false,
                                    (int)(info->fetch_delay.secs * 1000 +
                                          info->fetch_delay.nsecs / 1000000));
        break;
    case NEWMAIL_TAP_NOT_FETCHED:
        tick_stat_node(st, node_not_fetched, client, false);
        break;
    default: /* NEWMAIL_TAP_REFUSED */
        tick_stat_node(st, node_refused, client, false);
        break;
    }
}

static tap_packet_status
newmail_stats_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_,
                     const void *data, tap_flags_t flags _U_)
{
    const newmail_tap_info_t *info = (const newmail_tap_info_t *)data;
    int endpoint_node;

    switch (info->event) {
    case NEWMAIL_TAP_REGISTRATION:
    case NEWMAIL_TAP_NOTIFICATION:
    case NEWMAIL_TAP_UNREGISTER:
        tick_stat_node(st, node_totals, 0, true);
        tick_registration_event(st, st_node_totals, info);
        if (info->callback != NULL) {
            tick_stat_node(st, node_callbacks, 0, true);
            endpoint_node = tick_stat_node(st, info->callback, st_node_callbacks, true);
            tick_registration_event(st, endpoint_node, info);
        }
        break;
    case NEWMAIL_TAP_ROP_NOTIFY:
        tick_rop_notify(st, pinfo, info);
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
