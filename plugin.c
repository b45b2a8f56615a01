/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * plugin.c: the entry points Wireshark's plugin loader looks for, and nothing
 * else. As Wireshark's generated plugin.c does, it registers each protocol
 * of the plugin with a proto_plugin of its own. Wireshark 4.2 added
 * plugin_describe(); older releases only read the version symbols.
 * CMakeLists.txt turns that difference into NEWMAIL_HAVE_PLUGIN_DESCRIBE so
 * that this is the only file that knows.
 */
#include <gmodule.h>
#include <epan/proto.h>
#include <ws_version.h>
#ifdef NEWMAIL_HAVE_PLUGIN_DESCRIBE
#include <wsutil/plugins.h>
#endif

#include "moduleinfo.h"
#include "packet-newmail.h"

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = NEWMAIL_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#ifdef NEWMAIL_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t
plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR;
}
#endif

void
plugin_register(void)
{
    static proto_plugin plug_newmail;
    static proto_plugin plug_dcerpc_newmail;
    static proto_plugin plug_asyncemsmdb;
    static proto_plugin plug_mapihttp;
    static proto_plugin plug_rpch_newmail;
    static proto_plugin plug_newmail_stats;

    plug_newmail.register_protoinfo = proto_register_newmail;
    plug_newmail.register_handoff = proto_reg_handoff_newmail;
    proto_register_plugin(&plug_newmail);
    plug_dcerpc_newmail.register_protoinfo = proto_register_dcerpc_newmail;
    plug_dcerpc_newmail.register_handoff = proto_reg_handoff_dcerpc_newmail;
    proto_register_plugin(&plug_dcerpc_newmail);
    plug_asyncemsmdb.register_protoinfo = proto_register_asyncemsmdb;
    plug_asyncemsmdb.register_handoff = proto_reg_handoff_asyncemsmdb;
    proto_register_plugin(&plug_asyncemsmdb);
    plug_mapihttp.register_protoinfo = proto_register_mapihttp;
    plug_mapihttp.register_handoff = proto_reg_handoff_mapihttp;
    proto_register_plugin(&plug_mapihttp);
    plug_rpch_newmail.register_protoinfo = proto_register_rpch_newmail;
    plug_rpch_newmail.register_handoff = proto_reg_handoff_rpch_newmail;
    proto_register_plugin(&plug_rpch_newmail);
    plug_newmail_stats.register_protoinfo = proto_register_newmail_stats;
    plug_newmail_stats.register_handoff = NULL;
    proto_register_plugin(&plug_newmail_stats);
}
