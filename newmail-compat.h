/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-compat.h: the one place where the dissectors meet an API that
 * differs between the Wireshark releases the plugin builds for. CMake
 * finds out which the Wireshark it builds against has and sets the
 * NEWMAIL_HAVE_* defines; nothing here guesses from version numbers.
 */
#ifndef NEWMAIL_COMPAT_H
#define NEWMAIL_COMPAT_H

/* What HTTP hands a media type's dissector, with the message's headers
 * (lower-case name -> value) in `data`: Wireshark 4.2 moved it from
 * packet-http.h to packet-media-type.h and renamed it; its layout is the same. */
#ifdef NEWMAIL_HAVE_MEDIA_CONTENT_INFO
#include <epan/dissectors/packet-media-type.h>
typedef media_content_info_t newmail_media_info_t;
#define NEWMAIL_MEDIA_HTTP_REQUEST MEDIA_CONTAINER_HTTP_REQUEST
#define NEWMAIL_MEDIA_HTTP_RESPONSE MEDIA_CONTAINER_HTTP_RESPONSE
#else
#include <epan/dissectors/packet-http.h>
typedef http_message_info_t newmail_media_info_t;
#define NEWMAIL_MEDIA_HTTP_REQUEST HTTP_REQUEST
#define NEWMAIL_MEDIA_HTTP_RESPONSE HTTP_RESPONSE
#endif

/* What a heuristic dissector returns: bool from 4.4, gboolean before. */
#ifdef NEWMAIL_HAVE_BOOL_HEURISTICS
typedef bool newmail_heur_result_t;
#else
typedef gboolean newmail_heur_result_t;
#endif

#endif /* NEWMAIL_COMPAT_H */
