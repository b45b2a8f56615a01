/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * moduleinfo.h: the NEWMAIL plugin's version, the one place it is set.
 * CMakeLists.txt reads it from here for the package version.
 */
#ifndef NEWMAIL_MODULEINFO_H
#define NEWMAIL_MODULEINFO_H

#define NEWMAIL_PLUGIN_VERSION "2.0.0"

#endif /* NEWMAIL_MODULEINFO_H */
