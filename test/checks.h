/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * checks.h: the little check framework of the C unit tests (test_parse.c,
 * test_rop.c, test_mapihttp_parse.c). No framework beyond this: CHECK()
 * counts, prints one line per failure with file:line and the case being
 * checked (`where`, set with WHERE()), and the test's main() ends with
 * checks_report(): "N passed, N failed", the line CI reads, and the exit
 * status. Each test is one translation unit, so the state lives here.
 */
#ifndef NEWMAIL_TEST_CHECKS_H
#define NEWMAIL_TEST_CHECKS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned passed, failed;
static char where[160]; /* the case being checked, named in failure lines */

static void
check(bool ok, const char *what, const char *file, int line)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("%s:%d: FAIL %s%s%s\n", file, line, what, where[0] ? " in " : "", where);
}

static void
check_eq(unsigned long long got, unsigned long long want, const char *what, const char *file,
         int line)
{
    if (got == want) {
        passed++;
        return;
    }
    failed++;
    printf("%s:%d: FAIL %s: got %#llx, want %#llx%s%s\n", file, line, what, got, want,
           where[0] ? " in " : "", where);
}

#define CHECK(cond) check((cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(got, want)                                                                        \
    check_eq((unsigned long long)(got), (unsigned long long)(want), #got, __FILE__, __LINE__)
#define CHECK_SPAN(sp, off, len)                                                                   \
    do {                                                                                           \
        CHECK_EQ((sp).offset, (off));                                                              \
        CHECK_EQ((sp).length, (len));                                                              \
    } while (0)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define WHERE(...) snprintf(where, sizeof(where), __VA_ARGS__)

/* A copy of `len` bytes on the heap with nothing after it, so that under
 * ASan any read past the end fails. */
static uint8_t *
exact_copy(const void *bytes, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (copy == NULL)
        abort();
    if (len)
        memcpy(copy, bytes, len);
    return copy;
}

/* The last line of a test, and its exit status. */
static int
checks_report(void)
{
    printf("%u passed, %u failed\n", passed, failed);
    return failed != 0;
}

#endif /* NEWMAIL_TEST_CHECKS_H */
