/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * writer.h: the one byte writer of the C unit tests (test_parse.c,
 * test_rop.c, test_mapihttp_parse.c, test_props.c, test_rop_request.c,
 * test_rop_response.c). A writer_t holds the bytes of a
 * buffer being built, in little-endian order unless .be is set (the
 * stubs of big-endian NDR); every put returns the offset where its value
 * starts, so a test can compare the parser's spans with what it wrote.
 *
 *   put8/16/32/64    a value right where the buffer ends (no alignment)
 *   put_ndr16/32     the same, after padding to the value's size as NDR
 *                    aligns it from the start of the stub
 *   put_pad          NDR padding: 0xEE bytes (NDR leaves them undefined,
 *                    so a reader must skip them, not expect zeros)
 *   put_bytes, put_asciiz, put_utf16z (ASCII text as UTF-16LE)
 *   put_fill         n bytes counting up from v (v, v+1, ...): filler a
 *                    test can tell apart from its neighbours
 *
 * Writing past the end of the buffer aborts: a test must never run on a
 * buffer it did not finish. Header only, static inline: each test includes
 * its own copy.
 */
#ifndef NEWMAIL_TEST_WRITER_H
#define NEWMAIL_TEST_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the largest buffer a test writes: a 64 KiB ROP buffer and its
 * RPC_HEADER_EXT (test_rop.c). */
#define WRITER_SIZE 70000

typedef struct {
    uint8_t b[WRITER_SIZE];
    size_t len;
    bool be; /* big-endian values (NDR's other data representation) */
} writer_t;

static inline void
writer_room(const writer_t *w, size_t n)
{
    if (n > sizeof(w->b) - w->len) {
        fprintf(stderr, "writer.h: %zu more bytes do not fit after %zu of %zu\n", n, w->len,
                sizeof(w->b));
        abort();
    }
}

/* Writes the low `size` bytes of v in the writer's byte order. */
static inline size_t
put_value(writer_t *w, uint64_t v, size_t size)
{
    writer_room(w, size);
    for (size_t i = 0; i < size; i++)
        w->b[w->len++] = (uint8_t)(v >> (w->be ? 8 * (size - 1 - i) : 8 * i));
    return w->len - size;
}

static inline size_t
put8(writer_t *w, uint8_t v)
{
    return put_value(w, v, 1);
}

static inline size_t
put16(writer_t *w, uint16_t v)
{
    return put_value(w, v, 2);
}

static inline size_t
put32(writer_t *w, uint32_t v)
{
    return put_value(w, v, 4);
}

static inline size_t
put64(writer_t *w, uint64_t v)
{
    return put_value(w, v, 8);
}

static inline void
put_pad(writer_t *w, size_t align)
{
    while (w->len % align) {
        writer_room(w, 1);
        w->b[w->len++] = 0xee;
    }
}

static inline size_t
put_ndr16(writer_t *w, uint16_t v)
{
    put_pad(w, 2);
    return put16(w, v);
}

static inline size_t
put_ndr32(writer_t *w, uint32_t v)
{
    put_pad(w, 4);
    return put32(w, v);
}

static inline size_t
put_bytes(writer_t *w, const void *p, size_t n)
{
    writer_room(w, n);
    if (n)
        memcpy(w->b + w->len, p, n);
    w->len += n;
    return w->len - n;
}

static inline size_t
put_fill(writer_t *w, uint8_t v, size_t n)
{
    size_t at = w->len;

    for (size_t i = 0; i < n; i++)
        put8(w, (uint8_t)(v + i));
    return at;
}

static inline size_t
put_asciiz(writer_t *w, const char *s)
{
    return put_bytes(w, s, strlen(s) + 1);
}

static inline size_t
put_utf16z(writer_t *w, const char *s)
{
    size_t at = w->len;

    for (; *s; s++)
        put16(w, (uint8_t)*s);
    put16(w, 0);
    return at;
}

#endif /* NEWMAIL_TEST_WRITER_H */
