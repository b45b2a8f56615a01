/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * fuzz_invariants.h: what every fuzz target needs to check a reader's
 * result against its input. A broken invariant aborts, so that libFuzzer
 * keeps the input as a crash.
 */
#ifndef NEWMAIL_FUZZ_INVARIANTS_H
#define NEWMAIL_FUZZ_INVARIANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "newmail-parse.h" /* newmail_span_t */

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The span lies wholly between start and stop. */
static inline bool
span_within(newmail_span_t span, size_t start, size_t stop)
{
    return span.offset >= start && span.offset <= stop && span.length <= stop - span.offset;
}

/* The span lies wholly inside an input of size bytes. */
static inline bool
span_inside(newmail_span_t span, size_t size)
{
    return span_within(span, 0, size);
}

/* The little-endian integer in the n (at most 8) bytes at p. Written here
 * again rather than taken from newmail-bytes.h, so that a check does not
 * trust the loaders of the code it checks. */
static inline uint64_t
le_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static inline uint16_t
le16(const uint8_t *p)
{
    return (uint16_t)le_n(p, 2);
}

static inline uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)le_n(p, 4);
}

#endif /* NEWMAIL_FUZZ_INVARIANTS_H */
