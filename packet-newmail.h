/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet-newmail.h: what plugin.c and the dissector share.
 */
#ifndef PACKET_NEWMAIL_H
#define PACKET_NEWMAIL_H

#include <glib.h>

/* Stock Wireshark already registers a NEWMAIL protocol under the filter name
 * "newmail"; the plugin adopts it. A test build passes another name (CMake's
 * NEWMAIL_FILTER_NAME) so that the path taken on a Wireshark without a
 * built-in NEWMAIL runs beside the stock one. */
#ifndef NEWMAIL_FILTER_NAME
#define NEWMAIL_FILTER_NAME "newmail"
#define NEWMAIL_SHORT_NAME "NEWMAIL"
#define NEWMAIL_LONG_NAME "Microsoft Exchange New Mail Notification"
#else
#define NEWMAIL_SHORT_NAME NEWMAIL_FILTER_NAME
#define NEWMAIL_LONG_NAME "Microsoft Exchange New Mail Notification (" NEWMAIL_FILTER_NAME ")"
#endif

/* What the dissector reports on its tap (named NEWMAIL_FILTER_NAME), one
 * per registration, notification and unregister it decodes. */
typedef enum {
    NEWMAIL_TAP_REGISTRATION,
    NEWMAIL_TAP_NOTIFICATION,
    NEWMAIL_TAP_UNREGISTER,
} newmail_tap_event_t;

typedef struct {
    newmail_tap_event_t event;
    /* "address:port" of the registration's callback; for a notification
     * with no known registration, where it was sent; NULL when unknown. */
    const char *callback;
    gboolean registered;    /* notification: tied to a known registration */
    gboolean context_match; /* notification: payload equals the registered context */
} newmail_tap_info_t;

void proto_register_newmail(void);
void proto_reg_handoff_newmail(void);

/* newmail-stats.c: registers the NEWMAIL stats_tree on the tap. */
void newmail_register_stats(void);

#endif /* PACKET_NEWMAIL_H */
