/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * packet-newmail.h: what plugin.c and the dissector share.
 */
#ifndef PACKET_NEWMAIL_H
#define PACKET_NEWMAIL_H

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

void proto_register_newmail(void);
void proto_reg_handoff_newmail(void);

#endif /* PACKET_NEWMAIL_H */
