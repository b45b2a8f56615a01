/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * packet-newmail.h: the plugin's entry points, one register and one handoff
 * function per protocol, as Wireshark's generated plugin.c calls them.
 * plugin.c calls them; each packet-*.c defines its own pair. What the
 * protocols share otherwise is in newmail-core.h.
 */
#ifndef PACKET_NEWMAIL_H
#define PACKET_NEWMAIL_H

/* packet-newmail.c: NEWMAIL, the UDP push notifications, and the fields of
 * the tree helpers (newmail-links.c, newmail-stub-tree.c, newmail-rop-tree.c). */
void proto_register_newmail(void);
void proto_reg_handoff_newmail(void);

/* packet-dcerpc-newmail.c: the NEWMAIL subtrees of the EMSMDB calls. */
void proto_register_dcerpc_newmail(void);
void proto_reg_handoff_dcerpc_newmail(void);

/* packet-asyncemsmdb.c: AsyncEMSMDB (EcDoAsyncWaitEx). */
void proto_register_asyncemsmdb(void);
void proto_reg_handoff_asyncemsmdb(void);

/* packet-mapihttp.c: MAPI over HTTP. */
void proto_register_mapihttp(void);
void proto_reg_handoff_mapihttp(void);

/* packet-rpch-newmail.c: Outlook Anywhere (RPC over HTTP v2) channels. */
void proto_register_rpch_newmail(void);
void proto_reg_handoff_rpch_newmail(void);

/* newmail-stats.c: the stats tree on the NEWMAIL tap (no handoff). */
void proto_register_newmail_stats(void);

#endif /* PACKET_NEWMAIL_H */
