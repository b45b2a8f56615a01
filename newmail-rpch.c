/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-rpch.c: RPC over HTTP v2 virtual connections and channels (see
 * newmail-rpch.h).
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/wmem_scopes.h>

#include "newmail-core.h"
#include "newmail-rpch.h"

static wmem_map_t *vcs_by_cookie;           /* cookie bytes -> newmail_rpch_vc_t */
static wmem_map_t *channels_by_conversation; /* conversation_t * -> newmail_rpch_channel_t */
static uint32_t vc_count;

G_STATIC_ASSERT(NEWMAIL_RPCH_COOKIE_LENGTH == NEWMAIL_KEY16_LEN);

static void
newmail_rpch_init(void)
{
    vcs_by_cookie = wmem_map_new(wmem_file_scope(), newmail_key16_hash, newmail_key16_equal);
    channels_by_conversation = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    vc_count = 0;
}

void
newmail_rpch_register(void)
{
    register_init_routine(newmail_rpch_init);
}

newmail_rpch_vc_t *
newmail_rpch_vc_get_or_add(const uint8_t *cookie, newmail_rpch_role_t role, uint32_t frame)
{
    newmail_rpch_vc_t *vc = (newmail_rpch_vc_t *)wmem_map_lookup(vcs_by_cookie, cookie);

    if (vc == NULL) {
        vc = wmem_new0(wmem_file_scope(), newmail_rpch_vc_t);
        vc->ordinal = ++vc_count;
        memcpy(vc->cookie, cookie, NEWMAIL_RPCH_COOKIE_LENGTH);
        wmem_map_insert(vcs_by_cookie, vc->cookie, vc);
    }
    if (role == NEWMAIL_RPCH_CHANNEL_OUT && vc->out_frame == 0)
        vc->out_frame = frame;
    else if (role == NEWMAIL_RPCH_CHANNEL_IN && vc->in_frame == 0)
        vc->in_frame = frame;
    return vc;
}

newmail_rpch_channel_t *
newmail_rpch_channel_add(conversation_t *conversation, newmail_rpch_vc_t *vc,
                         newmail_rpch_role_t role, uint32_t frame)
{
    newmail_rpch_channel_t *channel = wmem_new0(wmem_file_scope(), newmail_rpch_channel_t);

    channel->vc = vc;
    channel->role = role;
    channel->open_frame = frame;
    wmem_map_insert(channels_by_conversation, conversation, channel);
    return channel;
}

void
newmail_rpch_channel_open(newmail_rpch_channel_t *channel, newmail_rpch_vc_t *vc,
                          newmail_rpch_role_t role, uint32_t frame)
{
    channel->vc = vc;
    channel->role = role;
    channel->open_frame = frame;
    channel->declined = false;
}

newmail_rpch_channel_t *
newmail_rpch_channel_lookup(const conversation_t *conversation)
{
    if (conversation == NULL)
        return NULL;
    return (newmail_rpch_channel_t *)wmem_map_lookup(channels_by_conversation, conversation);
}
