/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-bytes.h: what every byte reader of the plugin shares (the stub
 * reader newmail-parse.c, the ROP buffer reader newmail-rop.c, the MAPI over
 * HTTP reader newmail-mapihttp-parse.c): where a field lies (a span), integer
 * loads in either byte order, and a bounded cursor.
 *
 * Plain C11, no Wireshark or GLib types: the readers stay testable and
 * fuzzable alone. Every function takes lengths, never reads past them, and is
 * written so that no sum of untrusted counts can wrap.
 */
#ifndef NEWMAIL_BYTES_H
#define NEWMAIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where something lies: offset from the start of the buffer given, and length. */
typedef struct {
    size_t offset;
    size_t length;
} newmail_span_t;

static inline newmail_span_t
newmail_span(size_t offset, size_t length)
{
    return (newmail_span_t){ offset, length };
}

static inline uint16_t
newmail_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
newmail_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
newmail_le64(const uint8_t *p)
{
    return (uint64_t)newmail_le32(p) | (uint64_t)newmail_le32(p + 4) << 32;
}

/* NDR integers follow the PDU's data representation. */
static inline uint16_t
newmail_u16(const uint8_t *p, bool big_endian)
{
    return big_endian ? (uint16_t)(p[0] << 8 | p[1]) : newmail_le16(p);
}

static inline uint32_t
newmail_u32(const uint8_t *p, bool big_endian)
{
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return newmail_le32(p);
}

/* A read position in buf[0, end): pos only grows and never passes end. */
typedef struct {
    const uint8_t *buf;
    size_t pos;
    size_t end;
} newmail_cursor_t;

static inline newmail_cursor_t
newmail_cursor(const uint8_t *buf, size_t pos, size_t end)
{
    return (newmail_cursor_t){ buf, pos, end };
}

/* Claims n bytes at the next multiple of align (offsets from buf; 1 for
 * none); false, with the cursor unmoved, when the buffer ends first. */
static inline bool
newmail_cursor_take(newmail_cursor_t *c, size_t align, size_t n, newmail_span_t *sp)
{
    size_t start = c->pos;

    if (align > 1 && start % align != 0) {
        if (align - start % align > c->end - start)
            return false;
        start += align - start % align;
    }
    if (start > c->end || n > c->end - start)
        return false;
    *sp = newmail_span(start, n);
    c->pos = start + n;
    return true;
}

/* A null-terminated string of 1-byte or 2-byte (UTF-16LE) units: the span
 * excludes the terminator, *chars counts the units before it, and the cursor
 * moves past it. False, with the cursor unmoved, when the buffer ends first. */
static inline bool
newmail_cursor_take_string(newmail_cursor_t *c, size_t unit, newmail_span_t *sp, size_t *chars)
{
    for (size_t p = c->pos; unit <= c->end - p; p += unit) {
        if (c->buf[p] == 0 && (unit == 1 || c->buf[p + 1] == 0)) {
            *sp = newmail_span(c->pos, p - c->pos);
            *chars = (p - c->pos) / unit;
            c->pos = p + unit;
            return true;
        }
    }
    return false;
}

#endif /* NEWMAIL_BYTES_H */
