/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-evidence.c: DCE/RPC endpoints, TCP connections and the sessions
 * of datagrams found without their registration (see newmail-evidence.h).
 *
 * Costs: one hash lookup per TCP frame (its address pair) and a scan of
 * the pair's connections (at most PAIR_MAX_CONNECTIONS, mostly one or two),
 * a bounded scan of the frame's bytes only when DCE/RPC dissected part of
 * it, and one more
 * lookup per segment with payload once the heuristic has claimed a
 * datagram. A UDP datagram the heuristic considers costs one lookup of its
 * address pair and, for each of that pair's connections (at most
 * PAIR_MAX_CONNECTIONS), one of the sender's endpoint.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/wmem_scopes.h>

#include "newmail-bytes.h"
#include "newmail-evidence.h"
#include "newmail-registration.h"

/* An address and TCP port that speaks DCE/RPC as the server. */
typedef struct {
    uint32_t rpc_frame;        /* first PDU it answered or was sent (as the server) */
    uint32_t emsmdb_frame;     /* first bind to EMSMDB on it, or EMSMDB call */
    uint32_t other_bind_frame; /* first bind to another interface on it */
} rpc_endpoint_t;

/* A TCP connection, kept in its address pair (below): its ports on the
 * pair's addresses a and b. A long capture holds tens of thousands of
 * connections; they are kept small, in place, and found by their pair. */
typedef struct {
    uint16_t port_a, port_b;
    uint32_t first_frame;
    uint32_t bind_frame; /* a bind or alter_context on it, or 0 */
    /* A call's PDU (request, response, fault) was read: the connection's
     * server is known and its binds, if captured, came before. Its later
     * frames are not read again, unless stock's EMSMDB names one. */
    bool calls_seen;
    bool emsmdb_seen;
} connection_t;

/* Two addresses (canonical order) and the connections between them. A pair
 * keeps at most PAIR_MAX_CONNECTIONS, the first ones: a port scan between
 * two hosts must not make each frame's or datagram's lookup walk
 * thousands. */
typedef struct {
    uint16_t family;
    uint8_t a[16], b[16];
} pair_key_t;

#define PAIR_MAX_CONNECTIONS 64

typedef struct {
    pair_key_t key;
    uint32_t count, capacity;
    connection_t *connections; /* in place; moved as the array grows */
} pair_t;

/* A server endpoint and a client address: the heuristic's session. */
typedef struct {
    newmail_endpoint_t server;
    uint8_t client[16];
} session_key_t;

typedef struct {
    session_key_t key;
    newmail_session_t *session;
    uint32_t last_signal;
} heuristic_session_t;

static wmem_map_t *rpc_endpoints; /* newmail_endpoint_t -> rpc_endpoint_t */
static wmem_map_t *pairs;         /* pair_key_t -> pair_t */
static wmem_map_t *sessions;      /* session_key_t -> heuristic_session_t */

/* Keys come from the capture: wmem_strong_hash, as newmail-registration.c
 * explains. Every key type here has no padding, and is zeroed before use. */

/* Every TCP frame between two high ports looks its pair up: an IPv4 key
 * is hashed on the 8 bytes it uses, not the 34 it has. */
static unsigned
pair_hash(gconstpointer key)
{
    const pair_key_t *pair = (const pair_key_t *)key;
    uint8_t packed[8];

    if (pair->family != NEWMAIL_AF_INET)
        return wmem_strong_hash((const uint8_t *)key, sizeof(pair_key_t));
    memcpy(packed, pair->a, 4);
    memcpy(packed + 4, pair->b, 4);
    return wmem_strong_hash(packed, sizeof(packed));
}

static gboolean
pair_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(pair_key_t)) == 0;
}

static unsigned
session_hash(gconstpointer key)
{
    return wmem_strong_hash((const uint8_t *)key, sizeof(session_key_t));
}

static gboolean
session_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(session_key_t)) == 0;
}

static void
newmail_evidence_init(void)
{
    rpc_endpoints = wmem_map_new(wmem_file_scope(), newmail_endpoint_hash, newmail_endpoint_equal);
    pairs = wmem_map_new(wmem_file_scope(), pair_hash, pair_equal);
    sessions = wmem_map_new(wmem_file_scope(), session_hash, session_equal);
}

void
newmail_evidence_register(void)
{
    register_init_routine(newmail_evidence_init);
}

/* ---- Keys ------------------------------------------------------------------- */

/* Whether y comes first in the canonical order of two endpoints: by
 * address, then (both on one host) by port. */
static bool
endpoints_swapped(const newmail_endpoint_t *x, const newmail_endpoint_t *y)
{
    int order = memcmp(x->address, y->address, sizeof(x->address));

    return order > 0 || (order == 0 && x->port > y->port);
}

static void
pair_key_of(const newmail_endpoint_t *x, const newmail_endpoint_t *y, pair_key_t *key)
{
    bool swap = endpoints_swapped(x, y);

    memset(key, 0, sizeof(*key));
    key->family = x->family;
    memcpy(key->a, swap ? y->address : x->address, sizeof(key->a));
    memcpy(key->b, swap ? x->address : y->address, sizeof(key->b));
}

/* ---- TCP frames ---------------------------------------------------------------- */

/* EMSMDB's interface UUID, a4f1db00-ca47-1067-b31f-00dd010662da, as NDR
 * puts it on the wire with little-endian and with big-endian integers. */
static const uint8_t emsmdb_uuid_le[16] = {0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10,
                                           0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};
static const uint8_t emsmdb_uuid_be[16] = {0xa4, 0xf1, 0xdb, 0x00, 0xca, 0x47, 0x10, 0x67,
                                           0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};

/* Connection-oriented DCE/RPC (C706 12.6): the packet types. */
enum {
    CO_REQUEST = 0,
    CO_RESPONSE = 2,
    CO_FAULT = 3,
    CO_BIND = 11,
    CO_BIND_ACK = 12,
    CO_BIND_NAK = 13,
    CO_ALTER_CONTEXT = 14,
    CO_ALTER_CONTEXT_RESP = 15,
    CO_SHUTDOWN = 17,
    CO_CO_CANCEL = 18,
    CO_ORPHANED = 19,
};

#define PDU_HEADER_LEN 16
/* Link, IP and TCP headers before the segment's data: at most this many
 * bytes are searched for the PDU's start. */
#define PDU_SEARCH_LIMIT 256
#define PDU_CHAIN_LIMIT 8

/* A CO PDU header at `offset`: version 5.0 or 5.1, a known type, a
 * representation byte of ASCII integers in either order; its fragment
 * length, or 0 when this is none. */
static unsigned
pdu_length_at(tvbuff_t *tvb, unsigned offset, bool *big_endian)
{
    uint8_t header[10]; /* rpc_vers .. frag_length */
    unsigned length;

    tvb_memcpy(tvb, header, offset, sizeof(header));
    if (header[0] != 5 || header[1] > 1 || header[2] > CO_ORPHANED)
        return 0;
    /* drep[0]: integer order in the high nibble, ASCII characters (0) in the low */
    if ((header[4] & 0xe0) != 0 || (header[4] & 0x0f) != 0)
        return 0;
    *big_endian = (header[4] & 0x10) == 0;
    length = newmail_u16(header + 8, *big_endian);
    return length >= PDU_HEADER_LEN ? length : 0;
}

/* Where the frame's first DCE/RPC PDU starts: the offset from which whole
 * PDUs reach the end of the captured frame exactly. The frame is one TCP
 * segment of a connection DCE/RPC decodes, so its data is one or a few
 * PDUs; a segment that ends inside a PDU is not read (false). The search
 * looks only at offsets that hold a version 5 byte. */
static bool
find_pdu(tvbuff_t *tvb, unsigned *start, bool *big_endian)
{
    uint8_t prefix[PDU_SEARCH_LIMIT + 2];
    unsigned captured = tvb_captured_length(tvb);
    unsigned limit, copied;
    const uint8_t *at_five;

    if (captured < PDU_HEADER_LEN || captured != tvb_reported_length(tvb))
        return false;
    limit = MIN(captured - PDU_HEADER_LEN, PDU_SEARCH_LIMIT); /* last offset tried */
    copied = limit + 2;
    tvb_memcpy(tvb, prefix, 0, copied);
    for (at_five = memchr(prefix, 5, limit + 1); at_five != NULL;
         at_five = memchr(at_five + 1, 5, (size_t)(prefix + limit - at_five))) {
        unsigned offset = (unsigned)(at_five - prefix), at = offset, pdus = 0;

        if (at_five[1] > 1)
            continue;
        while (pdus < PDU_CHAIN_LIMIT && at + PDU_HEADER_LEN <= captured) {
            bool order;
            unsigned length = pdu_length_at(tvb, at, &order);

            if (length == 0 || length > captured - at)
                break;
            if (pdus == 0)
                *big_endian = order;
            at += length;
            pdus++;
        }
        if (pdus > 0 && at == captured) {
            *start = offset;
            return true;
        }
    }
    return false;
}

/* Whether a bind or alter_context PDU at `offset` proposes EMSMDB. */
static bool
bind_proposes_emsmdb(tvbuff_t *tvb, unsigned offset, unsigned pdu_length, bool big_endian)
{
    unsigned end = offset + pdu_length;
    unsigned at = offset + PDU_HEADER_LEN + 8; /* max_xmit, max_recv, assoc_group */
    uint8_t count;

    if (at + 4 > end)
        return false;
    tvb_memcpy(tvb, &count, at, 1);
    at += 4;
    for (unsigned i = 0; i < count; i++) {
        uint8_t transfer_count;

        if (at + 4 + 20 > end)
            return false;
        tvb_memcpy(tvb, &transfer_count, at + 2, 1);
        if (tvb_memeql(tvb, at + 4, big_endian ? emsmdb_uuid_be : emsmdb_uuid_le, 16) == 0)
            return true;
        at += 4 + 20 + 20 * transfer_count;
    }
    return false;
}

static rpc_endpoint_t *
rpc_endpoint_get_or_add(const newmail_endpoint_t *endpoint)
{
    rpc_endpoint_t *record = (rpc_endpoint_t *)wmem_map_lookup(rpc_endpoints, endpoint);

    if (record == NULL) {
        record = wmem_new0(wmem_file_scope(), rpc_endpoint_t);
        wmem_map_insert(rpc_endpoints, wmem_memdup(wmem_file_scope(), endpoint, sizeof(*endpoint)),
                        record);
    }
    return record;
}

/* The frame's DCE/RPC PDUs say which side is the server, and binds say
 * which interfaces it serves. */
static void
add_dcerpc(tvbuff_t *tvb, const packet_info *pinfo, const newmail_endpoint_t *src,
           const newmail_endpoint_t *dst, connection_t *connection, bool emsmdb)
{
    unsigned offset, length;
    bool big_endian = false; /* set by find_pdu(); gcc -O2 cannot tell */
    rpc_endpoint_t *server;
    uint8_t type;

    if (connection->calls_seen && (!emsmdb || connection->emsmdb_seen))
        return;
    if (!find_pdu(tvb, &offset, &big_endian))
        return;
    length = pdu_length_at(tvb, offset, &big_endian);
    tvb_memcpy(tvb, &type, offset + 2, 1);
    switch (type) {
    case CO_RESPONSE:
    case CO_FAULT:
    case CO_BIND_ACK:
    case CO_BIND_NAK:
    case CO_ALTER_CONTEXT_RESP:
    case CO_SHUTDOWN:
        server = rpc_endpoint_get_or_add(src);
        break;
    default:
        server = rpc_endpoint_get_or_add(dst);
        break;
    }
    if (server->rpc_frame == 0)
        server->rpc_frame = pinfo->num;
    if (type == CO_BIND || type == CO_ALTER_CONTEXT) {
        if (connection->bind_frame == 0)
            connection->bind_frame = pinfo->num;
        if (bind_proposes_emsmdb(tvb, offset, length, big_endian))
            emsmdb = true;
        else if (server->other_bind_frame == 0)
            server->other_bind_frame = pinfo->num;
    }
    if (emsmdb && server->emsmdb_frame == 0)
        server->emsmdb_frame = pinfo->num;
    if (emsmdb)
        connection->emsmdb_seen = true;
    if (type == CO_REQUEST || type == CO_RESPONSE || type == CO_FAULT)
        connection->calls_seen = true;
}

/* The connection of a TCP frame, found in or added to its address pair;
 * NULL past the pair's PAIR_MAX_CONNECTIONS. Valid until the pair's next
 * connection is added. */
static connection_t *
connection_get_or_add(const packet_info *pinfo, const newmail_endpoint_t *src,
                      const newmail_endpoint_t *dst)
{
    bool swap = endpoints_swapped(src, dst);
    uint16_t port_a = swap ? dst->port : src->port;
    uint16_t port_b = swap ? src->port : dst->port;
    connection_t *connection;
    pair_key_t pkey;
    pair_t *pair;

    pair_key_of(src, dst, &pkey);
    pair = (pair_t *)wmem_map_lookup(pairs, &pkey);
    if (pair == NULL) {
        pair = wmem_new0(wmem_file_scope(), pair_t);
        pair->key = pkey;
        wmem_map_insert(pairs, &pair->key, pair);
    }
    for (uint32_t i = 0; i < pair->count; i++) {
        if (pair->connections[i].port_a == port_a && pair->connections[i].port_b == port_b)
            return &pair->connections[i];
    }
    if (pair->count == PAIR_MAX_CONNECTIONS)
        return NULL;
    if (pair->count == pair->capacity) {
        pair->capacity = pair->capacity ? 2 * pair->capacity : 2;
        pair->connections = (connection_t *)wmem_realloc(wmem_file_scope(), pair->connections,
                                                         pair->capacity * sizeof(connection_t));
    }
    connection = &pair->connections[pair->count++];
    memset(connection, 0, sizeof(*connection));
    connection->port_a = port_a;
    connection->port_b = port_b;
    connection->first_frame = pinfo->num;
    return connection;
}

static heuristic_session_t *
session_record(const newmail_endpoint_t *server, const newmail_endpoint_t *client)
{
    session_key_t key;

    memset(&key, 0, sizeof(key));
    key.server = *server;
    memcpy(key.client, client->address, sizeof(key.client));
    return (heuristic_session_t *)wmem_map_lookup(sessions, &key);
}

void
newmail_evidence_add_tcp_frame(tvbuff_t *frame_tvb, packet_info *pinfo, bool dcerpc, bool emsmdb,
                               bool payload)
{
    newmail_endpoint_t src, dst;
    connection_t *connection, beyond;

    if (!newmail_endpoint_from_address(&pinfo->src, (uint16_t)pinfo->srcport, &src) ||
        !newmail_endpoint_from_address(&pinfo->dst, (uint16_t)pinfo->destport, &dst) ||
        src.family != dst.family)
        return;
    connection = connection_get_or_add(pinfo, &src, &dst);
    if (connection == NULL) {
        /* Past the pair's bound: its PDUs still name the server's endpoint,
         * read afresh from every frame. */
        memset(&beyond, 0, sizeof(beyond));
        connection = &beyond;
    }
    if (dcerpc)
        add_dcerpc(frame_tvb, pinfo, &src, &dst, connection, emsmdb);
    if (payload && wmem_map_size(sessions) != 0) {
        /* A segment from a client to the endpoint of a claimed session is
         * its next request: the fetch, however Wireshark decodes it. */
        heuristic_session_t *record = session_record(&dst, &src);

        if (record != NULL)
            newmail_session_add_fetch(record->session, pinfo);
    }
}

const newmail_fetch_t *
newmail_evidence_fetch_in(const packet_info *pinfo)
{
    newmail_endpoint_t src, dst;
    heuristic_session_t *record;

    if (wmem_map_size(sessions) == 0 ||
        !newmail_endpoint_from_address(&pinfo->src, (uint16_t)pinfo->srcport, &src) ||
        !newmail_endpoint_from_address(&pinfo->dst, (uint16_t)pinfo->destport, &dst))
        return NULL;
    record = session_record(&dst, &src);
    return record != NULL ? newmail_session_fetch_in(record->session, pinfo->num) : NULL;
}

bool
newmail_evidence_any_tcp(void)
{
    return wmem_map_size(pairs) != 0;
}

/* ---- Datagrams ------------------------------------------------------------------- */

bool
newmail_evidence_lookup(const packet_info *pinfo, newmail_heuristic_claim_t *claim)
{
    newmail_endpoint_t sender, receiver;
    const pair_t *pair;
    pair_key_t pkey;
    bool found = false;

    if (!newmail_endpoint_from_address(&pinfo->src, 0, &sender) ||
        !newmail_endpoint_from_address(&pinfo->dst, 0, &receiver) ||
        sender.family != receiver.family)
        return false;
    pair_key_of(&sender, &receiver, &pkey);
    pair = (const pair_t *)wmem_map_lookup(pairs, &pkey);
    if (pair == NULL)
        return false;
    for (uint32_t i = 0; i < pair->count; i++) {
        const connection_t *connection = &pair->connections[i];
        newmail_endpoint_t server_endpoint;
        const newmail_endpoint_t *server = &server_endpoint;
        const rpc_endpoint_t *record;
        uint32_t evidence;
        bool emsmdb;

        /* The sender's side of the connection (both, on one host: a's). */
        memset(&server_endpoint, 0, sizeof(server_endpoint));
        server_endpoint.family = pair->key.family;
        if (memcmp(pair->key.a, sender.address, sizeof(sender.address)) == 0) {
            memcpy(server_endpoint.address, pair->key.a, sizeof(server_endpoint.address));
            server_endpoint.port = connection->port_a;
        } else if (memcmp(pair->key.b, sender.address, sizeof(sender.address)) == 0) {
            memcpy(server_endpoint.address, pair->key.b, sizeof(server_endpoint.address));
            server_endpoint.port = connection->port_b;
        } else {
            continue;
        }
        /* A connection whose bind is in the capture holds the whole
         * session: had the client registered on it, the capture would show
         * it. The datagrams the heuristic is for belong to sessions that
         * began before the capture. */
        if (connection->bind_frame != 0)
            continue;
        record = (const rpc_endpoint_t *)wmem_map_lookup(rpc_endpoints, server);
        if (record == NULL)
            continue;
        /* Where the capture can tell, the endpoint must serve EMSMDB: one
         * that was only ever bound to other interfaces does not count. */
        emsmdb = record->emsmdb_frame != 0;
        if (!emsmdb && (record->rpc_frame == 0 || record->other_bind_frame != 0))
            continue;
        evidence = emsmdb ? record->emsmdb_frame : record->rpc_frame;
        if (found && (claim->emsmdb && !emsmdb))
            continue;
        if (found && claim->emsmdb == emsmdb && claim->evidence_frame <= evidence)
            continue;
        memset(claim, 0, sizeof(*claim));
        claim->evidence_frame = evidence;
        claim->connection_frame = connection->first_frame;
        claim->server_port = server->port;
        claim->emsmdb = emsmdb;
        found = true;
    }
    return found;
}

void
newmail_evidence_add_signal(packet_info *pinfo, newmail_heuristic_claim_t *claim)
{
    newmail_endpoint_t server, client;
    heuristic_session_t *record;

    if (!newmail_endpoint_from_address(&pinfo->src, claim->server_port, &server) ||
        !newmail_endpoint_from_address(&pinfo->dst, 0, &client))
        return;
    record = session_record(&server, &client);
    if (record == NULL) {
        record = wmem_new0(wmem_file_scope(), heuristic_session_t);
        record->key.server = server;
        memcpy(record->key.client, client.address, sizeof(record->key.client));
        record->session = newmail_session_add(pinfo);
        wmem_map_insert(sessions, &record->key, record);
    }
    claim->session = record->session;
    claim->previous_signal = record->last_signal;
    record->last_signal = pinfo->num;
    newmail_session_add_signal(record->session, pinfo);
}

newmail_session_t *
newmail_evidence_session_lookup(const packet_info *pinfo, uint16_t server_port)
{
    newmail_endpoint_t server, client;
    heuristic_session_t *record;

    if (!newmail_endpoint_from_address(&pinfo->src, server_port, &server) ||
        !newmail_endpoint_from_address(&pinfo->dst, 0, &client))
        return NULL;
    record = session_record(&server, &client);
    return record != NULL ? record->session : NULL;
}
