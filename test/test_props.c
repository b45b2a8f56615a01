/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * test_props.c: unit tests for newmail-props.c (MS-OXCDATA 2.7 to 2.12) and
 * the PidTag name table of newmail-proptags.c (MS-OXPROPS).
 *
 * Byte-exact vectors from the specifications where they give any: the
 * RopSetProperties request of MS-OXCPRPT section 4 ("the client requests the
 * server to set values for two properties on a Message object": two
 * TaggedPropertyValues, PidTagSubjectPrefix "" and PidTagNormalizedSubject
 * "Hello World"). The rest is built here byte by byte from the layouts of
 * MS-OXCDATA 2.11.1 and 2.12, never by the reader. Every read is also run on
 * every shorter cut of its input, held in a heap buffer of exactly that
 * length, so under ASan a read past the cut fails and the reader must say
 * TRUNCATED with the cursor unmoved. No framework: main() ends with
 * "N passed, N failed". The bytes are written with test/writer.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newmail-props.h"

#include "checks.h"
#include "writer.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Reads one value of `type` from the whole of w, expecting success and the
 * whole buffer consumed; then every shorter cut must fail as truncated with
 * the cursor unmoved. */
static newmail_prop_value_t
value_exact(const writer_t *w, uint16_t type)
{
    newmail_prop_value_t v;
    uint8_t *copy = exact_copy(w->b, w->len);
    newmail_cursor_t c = newmail_cursor(copy, 0, w->len);

    CHECK(newmail_prop_value_read(&c, type, &v));
    CHECK_EQ(c.pos, w->len);
    CHECK_SPAN(v.span, 0, w->len);
    free(copy);
    for (size_t cut = 0; cut < w->len; cut++) {
        newmail_prop_value_t t;

        copy = exact_copy(w->b, cut);
        c = newmail_cursor(copy, 0, cut);
        CHECK(!newmail_prop_value_read(&c, type, &t));
        CHECK_EQ(c.pos, 0);
        CHECK(t.problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
        free(copy);
    }
    return v;
}

/* ---- fixed-size types ----------------------------------------------------------------------- */

static void
test_fixed(void)
{
    static const struct {
        uint16_t type;
        size_t size;
        uint64_t value;
    } cases[] = {
        { NEWMAIL_PT_INTEGER16, 2, 0xBEEF },
        { NEWMAIL_PT_INTEGER32, 4, 0x00000001 },
        { NEWMAIL_PT_FLOATING32, 4, 0x3F800000 },                /* 1.0f */
        { NEWMAIL_PT_FLOATING64, 8, 0x3FF0000000000000ull },     /* 1.0 */
        { NEWMAIL_PT_CURRENCY, 8, 0x0000000000002710ull },       /* 1.0000 */
        { NEWMAIL_PT_FLOATING_TIME, 8, 0x40E5F54000000000ull },  /* 44970.0 */
        { NEWMAIL_PT_ERROR_CODE, 4, 0x8004010F },                /* MAPI_E_NOT_FOUND */
        { NEWMAIL_PT_BOOLEAN, 1, 1 },
        { NEWMAIL_PT_INTEGER64, 8, 0x0123456789ABCDEFull },
        { NEWMAIL_PT_TIME, 8, 0x01D9C6F4B3C0A000ull },
    };

    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        writer_t w = { .len = 0 };
        newmail_prop_value_t v;

        WHERE("fixed type %#x", cases[i].type);
        for (size_t k = 0; k < cases[i].size; k++)
            put8(&w, (uint8_t)(cases[i].value >> (8 * k)));
        v = value_exact(&w, cases[i].type);
        CHECK_EQ(v.type, cases[i].type);
        CHECK_EQ(v.integer, cases[i].value);
        CHECK_SPAN(v.data, 0, cases[i].size);
        CHECK_EQ(v.count_span.length, 0);
        CHECK_EQ(v.problems, 0);
        CHECK_EQ(newmail_prop_fixed_size(cases[i].type), cases[i].size);
    }
    where[0] = 0;

    /* GUID: 16 bytes, no integer. */
    {
        writer_t w = { .len = 0 };
        newmail_prop_value_t v;

        for (int k = 0; k < 16; k++)
            put8(&w, (uint8_t)(0xA0 + k));
        v = value_exact(&w, NEWMAIL_PT_GUID);
        CHECK_SPAN(v.data, 0, 16);
        CHECK_EQ(v.integer, 0);
    }

    /* A boolean byte other than 0/1 is read and flagged. */
    {
        uint8_t b[] = { 0x02 };
        newmail_cursor_t c = newmail_cursor(b, 0, 1);
        newmail_prop_value_t v;

        CHECK(newmail_prop_value_read(&c, NEWMAIL_PT_BOOLEAN, &v));
        CHECK_EQ(v.integer, 2);
        CHECK_EQ(v.problems, NEWMAIL_PROP_PROBLEM_BOOLEAN);
    }

    /* The cursor starts inside a buffer: spans are offsets from buf. */
    {
        uint8_t b[] = { 0xEE, 0xEE, 0x2A, 0x00, 0x00, 0x00, 0xEE };
        newmail_cursor_t c = newmail_cursor(b, 2, 6);
        newmail_prop_value_t v;

        CHECK(newmail_prop_value_read(&c, NEWMAIL_PT_INTEGER32, &v));
        CHECK_SPAN(v.span, 2, 4);
        CHECK_EQ(v.integer, 42);
        CHECK_EQ(c.pos, 6);
    }
}

/* ---- strings, binaries, server ids ------------------------------------------------------------- */

static void
test_variable(void)
{
    writer_t w = { .len = 0 };
    newmail_prop_value_t v;

    WHERE("PtypString");
    put_utf16z(&w, "Inbox");
    v = value_exact(&w, NEWMAIL_PT_STRING);
    CHECK_EQ(v.count, 5);
    CHECK_SPAN(v.data, 0, 10);
    CHECK_SPAN(v.span, 0, 12);

    WHERE("PtypString empty");
    w.len = 0;
    put16(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_STRING);
    CHECK_EQ(v.count, 0);
    CHECK_SPAN(v.data, 0, 0);

    /* A UTF-16 unit 0x0100 has a zero byte but is not the terminator. */
    WHERE("PtypString with a zero byte");
    w.len = 0;
    put16(&w, 0x0100);
    put16(&w, 0x0041);
    put16(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_STRING);
    CHECK_EQ(v.count, 2);

    WHERE("PtypString8");
    w.len = 0;
    put_asciiz(&w, "IPM.Note");
    v = value_exact(&w, NEWMAIL_PT_STRING8);
    CHECK_EQ(v.count, 8);
    CHECK_SPAN(v.data, 0, 8);

    WHERE("PtypBinary");
    w.len = 0;
    put16(&w, 3);
    put8(&w, 1), put8(&w, 2), put8(&w, 3);
    v = value_exact(&w, NEWMAIL_PT_BINARY);
    CHECK_EQ(v.count, 3);
    CHECK_SPAN(v.count_span, 0, 2);
    CHECK_SPAN(v.data, 2, 3);

    WHERE("PtypBinary empty");
    w.len = 0;
    put16(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_BINARY);
    CHECK_EQ(v.count, 0);
    CHECK_SPAN(v.data, 2, 0);

    /* PtypServerId (MS-OXCDATA 2.11.1.4): 16-bit count, then Ours (1),
     * FolderId (8), MessageId (8), Instance (4). */
    WHERE("PtypServerId");
    w.len = 0;
    put16(&w, 21);
    put8(&w, 1);
    put64(&w, 0x0100000000000001ull);
    put64(&w, 0);
    put32(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_SERVER_ID);
    CHECK_EQ(v.count, 21);
    CHECK_SPAN(v.data, 2, 21);

    /* PtypNull: zero bytes. */
    WHERE("PtypNull");
    {
        uint8_t b[1] = { 0x55 };
        newmail_cursor_t c = newmail_cursor(b, 0, 1);

        CHECK(newmail_prop_value_read(&c, NEWMAIL_PT_NULL, &v));
        CHECK_EQ(c.pos, 0);
        CHECK_SPAN(v.span, 0, 0);
    }

    /* Refused types: the cursor stays. */
    {
        static const uint16_t refused[] = { NEWMAIL_PT_UNSPECIFIED, NEWMAIL_PT_OBJECT };
        static const uint16_t unknown[] = { 0x0008, 0x0049, 0x1001, 0x100B, 0x10FD, 0x1000, 0xFFFF };
        uint8_t b[8] = { 0 };

        for (size_t i = 0; i < COUNT_OF(refused); i++) {
            newmail_cursor_t c = newmail_cursor(b, 0, sizeof(b));

            WHERE("refused type %#x", refused[i]);
            CHECK(!newmail_prop_value_read(&c, refused[i], &v));
            CHECK_EQ(c.pos, 0);
            CHECK_EQ(v.problems, NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED);
        }
        for (size_t i = 0; i < COUNT_OF(unknown); i++) {
            newmail_cursor_t c = newmail_cursor(b, 0, sizeof(b));

            WHERE("unknown type %#x", unknown[i]);
            CHECK(!newmail_prop_value_read(&c, unknown[i], &v));
            CHECK_EQ(c.pos, 0);
            CHECK_EQ(v.problems, NEWMAIL_PROP_PROBLEM_UNKNOWN_TYPE);
        }
    }
    where[0] = 0;
}

/* ---- multi-valued types, MultivalueInstance, rule actions -------------------------------------- */

static void
test_multiple(void)
{
    writer_t w = { .len = 0 };
    newmail_prop_value_t v;

    /* MS-OXCDATA 2.11.1.1: 32-bit value count in ROP buffers. */
    WHERE("PtypMultipleInteger32");
    put32(&w, 3);
    put32(&w, 10), put32(&w, 20), put32(&w, 30);
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_INTEGER32);
    CHECK_EQ(v.count, 3);
    CHECK_SPAN(v.count_span, 0, 4);
    CHECK_SPAN(v.data, 4, 12);

    WHERE("PtypMultipleInteger16 empty");
    w.len = 0;
    put32(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_INTEGER16);
    CHECK_EQ(v.count, 0);
    CHECK_SPAN(v.data, 4, 0);

    WHERE("PtypMultipleGuid");
    w.len = 0;
    put32(&w, 2);
    for (int k = 0; k < 32; k++)
        put8(&w, (uint8_t)k);
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_GUID);
    CHECK_SPAN(v.data, 4, 32);

    WHERE("PtypMultipleTime/Integer64/Floating64/Currency/FloatingTime/Floating32");
    {
        static const uint16_t types[] = {
            NEWMAIL_PT_MULTIPLE_TIME,     NEWMAIL_PT_MULTIPLE_INTEGER64,
            NEWMAIL_PT_MULTIPLE_FLOATING64, NEWMAIL_PT_MULTIPLE_CURRENCY,
            NEWMAIL_PT_MULTIPLE_FLOATING_TIME, NEWMAIL_PT_MULTIPLE_FLOATING32,
        };

        for (size_t i = 0; i < COUNT_OF(types); i++) {
            size_t size = newmail_prop_fixed_size(types[i] & 0x0FFF);

            w.len = 0;
            put32(&w, 2);
            for (size_t k = 0; k < 2 * size; k++)
                put8(&w, (uint8_t)k);
            v = value_exact(&w, types[i]);
            CHECK_EQ(v.count, 2);
            CHECK_SPAN(v.data, 4, 2 * size);
        }
    }

    WHERE("PtypMultipleString");
    w.len = 0;
    put32(&w, 2);
    put_utf16z(&w, "ab");
    put_utf16z(&w, "");
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_STRING);
    CHECK_EQ(v.count, 2);
    CHECK_SPAN(v.data, 4, 8);

    WHERE("PtypMultipleString8");
    w.len = 0;
    put32(&w, 3);
    put_asciiz(&w, "x");
    put_asciiz(&w, "yz");
    put_asciiz(&w, "");
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_STRING8);
    CHECK_EQ(v.count, 3);
    CHECK_SPAN(v.data, 4, 6);

    /* Each element of a PtypMultipleBinary has its own 16-bit byte count. */
    WHERE("PtypMultipleBinary");
    w.len = 0;
    put32(&w, 2);
    put16(&w, 2), put8(&w, 0xAA), put8(&w, 0xBB);
    put16(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_MULTIPLE_BINARY);
    CHECK_EQ(v.count, 2);
    CHECK_SPAN(v.data, 4, 6);

    /* A count the bytes cannot hold ends the read at once. */
    WHERE("PtypMultipleBinary huge count");
    {
        uint8_t b[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00 };
        newmail_cursor_t c = newmail_cursor(b, 0, sizeof(b));

        CHECK(!newmail_prop_value_read(&c, NEWMAIL_PT_MULTIPLE_BINARY, &v));
        CHECK_EQ(v.problems, NEWMAIL_PROP_PROBLEM_TRUNCATED);
        CHECK_EQ(c.pos, 0);
    }

    /* MultivalueInstance: one value of the base type. */
    WHERE("MVI PtypMultipleString");
    CHECK_EQ(newmail_prop_value_type(0x301F), NEWMAIL_PT_STRING);
    CHECK_EQ(newmail_prop_value_type(0x1003), 0x1003);
    CHECK_EQ(newmail_prop_value_type(0x0003), 0x0003);
    w.len = 0;
    put_utf16z(&w, "Red");
    v = value_exact(&w, 0x301F);
    CHECK_EQ(v.type, NEWMAIL_PT_STRING);
    CHECK_EQ(v.count, 3);

    /* RuleAction (MS-OXORULE 2.2.5): NoOfActions 16 bits; each ActionBlock
     * a 16-bit ActionLength covering ActionType, ActionFlavor, ActionFlags
     * and ActionData. One OP_DELETE (0x0A) action: 9 bytes. */
    WHERE("PtypRuleAction");
    w.len = 0;
    put16(&w, 1);
    put16(&w, 9);
    put8(&w, 0x0A);
    put32(&w, 0);
    put32(&w, 0);
    v = value_exact(&w, NEWMAIL_PT_RULE_ACTION);
    CHECK_EQ(v.count, 1);
    CHECK_SPAN(v.data, 2, 11);
    CHECK_EQ(v.problems, 0);

    WHERE("PtypRuleAction short block");
    w.len = 0;
    put16(&w, 1);
    put16(&w, 1);
    put8(&w, 0x0A);
    v = value_exact(&w, NEWMAIL_PT_RULE_ACTION);
    CHECK_EQ(v.problems, NEWMAIL_PROP_PROBLEM_RULE_ACTION);
    where[0] = 0;
}

/* ---- TaggedPropertyValue, TypedPropertyValue, FlaggedPropertyValue ------------------------------- */

static void
test_tagged(void)
{
    /* MS-OXCPRPT section 4, RopSetProperties request: RopId 0x0A, LogonId,
     * InputHandleIndex, PropertyValueSize 0x0024, PropertyValueCount 2, then
     * two TaggedPropertyValues. */
    static const uint8_t spec[] = {
        0x0A, 0x00, 0x00, 0x24, 0x00, 0x02, 0x00, 0x1F, 0x00, 0x3D, 0x00, 0x00, 0x00, 0x1F,
        0x00, 0x1D, 0x0E, 0x48, 0x00, 0x65, 0x00, 0x6C, 0x00, 0x6C, 0x00, 0x6F, 0x00, 0x20,
        0x00, 0x57, 0x00, 0x6F, 0x00, 0x72, 0x00, 0x6C, 0x00, 0x64, 0x00, 0x00, 0x00,
    };
    uint8_t *b = exact_copy(spec, sizeof(spec));
    newmail_cursor_t c = newmail_cursor(b, 7, sizeof(spec));
    newmail_tagged_value_t t;

    WHERE("MS-OXCPRPT RopSetProperties example");
    CHECK(newmail_tagged_value_read(&c, &t));
    CHECK_EQ(t.tag, 0x003D001F);
    CHECK(strcmp(newmail_prop_tag_name(t.tag), "PidTagSubjectPrefix") == 0);
    CHECK_SPAN(t.tag_span, 7, 4);
    CHECK_SPAN(t.span, 7, 6);
    CHECK_EQ(t.value.count, 0);
    CHECK(t.has_value);
    CHECK(newmail_tagged_value_read(&c, &t));
    CHECK_EQ(t.tag, 0x0E1D001F);
    CHECK(strcmp(newmail_prop_tag_name(t.tag), "PidTagNormalizedSubject") == 0);
    CHECK_EQ(t.value.count, 11); /* "Hello World" */
    CHECK_SPAN(t.value.data, 17, 22);
    CHECK_SPAN(t.span, 13, 28);
    CHECK_EQ(c.pos, sizeof(spec));
    /* PropertyValueSize covers the count and the values. */
    CHECK_EQ(c.pos - 5, 0x24);
    CHECK_EQ(t.problems, 0);

    /* Cut anywhere inside the second value: truncated, cursor unmoved. */
    for (size_t cut = 13; cut < sizeof(spec); cut++) {
        uint8_t *short_copy = exact_copy(spec, cut);
        newmail_cursor_t sc = newmail_cursor(short_copy, 13, cut);

        CHECK(!newmail_tagged_value_read(&sc, &t));
        CHECK_EQ(sc.pos, 13);
        CHECK(t.problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
        free(short_copy);
    }
    free(b);

    /* TypedPropertyValue: PropertyType then the value. */
    WHERE("TypedPropertyValue");
    {
        writer_t w = { .len = 0 };

        put16(&w, NEWMAIL_PT_INTEGER32);
        put32(&w, 0x1234);
        c = newmail_cursor(w.b, 0, w.len);
        CHECK(newmail_typed_value_read(&c, &t));
        CHECK_EQ(t.type, NEWMAIL_PT_INTEGER32);
        CHECK_SPAN(t.type_span, 0, 2);
        CHECK_EQ(t.value.integer, 0x1234);
        CHECK_SPAN(t.span, 0, 6);
    }

    /* FlaggedPropertyValue: 0x00 value, 0x01 none, 0x0A error code, other refused. */
    WHERE("FlaggedPropertyValue");
    {
        uint8_t v0[] = { 0x00, 0x01 };
        uint8_t v1[] = { 0x01 };
        uint8_t va[] = { 0x0A, 0x0F, 0x01, 0x04, 0x80 };
        uint8_t vbad[] = { 0x02, 0x01 };

        c = newmail_cursor(v0, 0, sizeof(v0));
        CHECK(newmail_flagged_value_read(&c, NEWMAIL_PT_BOOLEAN, false, &t));
        CHECK(t.has_value && t.flag == 0 && t.value.integer == 1);
        CHECK_SPAN(t.flag_span, 0, 1);
        CHECK_SPAN(t.span, 0, 2);

        c = newmail_cursor(v1, 0, sizeof(v1));
        CHECK(newmail_flagged_value_read(&c, NEWMAIL_PT_STRING, false, &t));
        CHECK(!t.has_value && t.flag == 1);
        CHECK_SPAN(t.span, 0, 1);

        c = newmail_cursor(va, 0, sizeof(va));
        CHECK(newmail_flagged_value_read(&c, NEWMAIL_PT_STRING, false, &t));
        CHECK(t.has_value && t.flag == 0x0A);
        CHECK_EQ(t.value.type, NEWMAIL_PT_ERROR_CODE);
        CHECK_EQ(t.value.integer, 0x8004010F);
        CHECK_SPAN(t.span, 0, 5);

        c = newmail_cursor(vbad, 0, sizeof(vbad));
        CHECK(!newmail_flagged_value_read(&c, NEWMAIL_PT_BOOLEAN, false, &t));
        CHECK_EQ(t.problems, NEWMAIL_PROP_PROBLEM_BAD_FLAG);
        CHECK_EQ(c.pos, 0);
    }

    /* FlaggedPropertyValueWithType: PropertyType, Flag, value. */
    WHERE("FlaggedPropertyValueWithType");
    {
        writer_t w = { .len = 0 };

        put16(&w, NEWMAIL_PT_STRING8);
        put8(&w, 0);
        put_asciiz(&w, "hi");
        c = newmail_cursor(w.b, 0, w.len);
        CHECK(newmail_flagged_value_read(&c, 0xFFFF, true, &t));
        CHECK_EQ(t.type, NEWMAIL_PT_STRING8);
        CHECK_SPAN(t.type_span, 0, 2);
        CHECK_SPAN(t.flag_span, 2, 1);
        CHECK_SPAN(t.value.data, 3, 2);
        CHECK_SPAN(t.span, 0, 6);
    }
    where[0] = 0;
}

/* ---- PropertyRow, PropertyRowSet ------------------------------------------------------------------- */

static void
test_rows(void)
{
    /* The columns a contents table of a mail session asks for. */
    const uint32_t columns[] = {
        NEWMAIL_PROP_TAG(0x674A, NEWMAIL_PT_INTEGER64), /* PidTagMid */
        NEWMAIL_PROP_TAG(0x0037, NEWMAIL_PT_STRING),    /* PidTagSubject */
        NEWMAIL_PROP_TAG(0x0E07, NEWMAIL_PT_INTEGER32), /* PidTagMessageFlags */
        NEWMAIL_PROP_TAG(0x0E1B, NEWMAIL_PT_BOOLEAN),   /* PidTagHasAttachments */
        NEWMAIL_PROP_TAG(0x0FFF, NEWMAIL_PT_BINARY),    /* PidTagEntryId */
        NEWMAIL_PROP_TAG(0x001A, NEWMAIL_PT_UNSPECIFIED), /* PidTagMessageClass, any type */
    };
    newmail_tagged_value_t values[6];
    newmail_property_row_t row;
    writer_t w = { .len = 0 };
    newmail_cursor_t c;

    /* StandardPropertyRow: Flag 0, values; TypedPropertyValue for the
     * PtypUnspecified column. */
    WHERE("StandardPropertyRow");
    put8(&w, 0x00);
    put64(&w, 0x0001000000001234ull);
    put_utf16z(&w, "Hi");
    put32(&w, 0x00000001);
    put8(&w, 0);
    put16(&w, 2), put8(&w, 0xDE), put8(&w, 0xAD);
    put16(&w, NEWMAIL_PT_STRING8);
    put_asciiz(&w, "IPM.Note");
    {
        uint8_t *b = exact_copy(w.b, w.len);

        c = newmail_cursor(b, 0, w.len);
        CHECK(newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, values,
                                        COUNT_OF(values)));
        CHECK_EQ(row.flag, 0);
        CHECK_EQ(row.nread, 6);
        CHECK_SPAN(row.span, 0, w.len);
        CHECK_EQ(c.pos, w.len);
        CHECK_EQ(values[0].value.integer, 0x0001000000001234ull);
        CHECK_SPAN(values[0].span, 1, 8);
        CHECK_EQ(values[1].value.count, 2);
        CHECK_SPAN(values[1].span, 9, 6);
        CHECK_EQ(values[2].value.integer, 1);
        CHECK_EQ(values[3].value.integer, 0);
        CHECK_SPAN(values[4].value.data, 22, 2);
        CHECK_EQ(values[5].type, NEWMAIL_PT_STRING8);
        CHECK_EQ(values[5].tag, 0x001A001E);
        CHECK_SPAN(values[5].type_span, 24, 2);
        CHECK_EQ(values[5].value.count, 8);
        CHECK_EQ(values[0].tag, columns[0]);
        CHECK_EQ(row.problems, 0);
        free(b);
        /* Every cut fails, cursor unmoved. */
        for (size_t cut = 0; cut < w.len; cut++) {
            b = exact_copy(w.b, cut);
            c = newmail_cursor(b, 0, cut);
            CHECK(!newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, values,
                                             COUNT_OF(values)));
            CHECK_EQ(c.pos, 0);
            CHECK(row.problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
            CHECK(row.nread < COUNT_OF(columns));
            free(b);
        }
    }

    /* FlaggedPropertyRow: Flag 1, FlaggedPropertyValue per column
     * (WithType for PtypUnspecified). */
    WHERE("FlaggedPropertyRow");
    w.len = 0;
    put8(&w, 0x01);
    put8(&w, 0x00), put64(&w, 7);                     /* Mid */
    put8(&w, 0x0A), put32(&w, 0x8004010F);             /* Subject: MAPI_E_NOT_FOUND */
    put8(&w, 0x00), put32(&w, 0x00000009);             /* MessageFlags */
    put8(&w, 0x01);                                    /* HasAttachments: no value */
    put8(&w, 0x00), put16(&w, 1), put8(&w, 0x42);      /* EntryId */
    put16(&w, NEWMAIL_PT_STRING), put8(&w, 0x00), put_utf16z(&w, "IPM"); /* MessageClass */
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, values,
                                    COUNT_OF(values)));
    CHECK_EQ(row.flag, 1);
    CHECK_EQ(c.pos, w.len);
    CHECK_EQ(values[0].value.integer, 7);
    CHECK_EQ(values[1].flag, 0x0A);
    CHECK_EQ(values[1].value.type, NEWMAIL_PT_ERROR_CODE);
    CHECK_EQ(values[1].value.integer, 0x8004010F);
    CHECK(!values[3].has_value);
    CHECK_EQ(values[5].tag, 0x001A001F);
    CHECK_EQ(values[5].value.count, 3);

    /* A size-only read (no values array) gives the same span. */
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, NULL, 0));
    CHECK_SPAN(row.span, 0, w.len);

    /* Fewer slots than columns: only those are filled. */
    c = newmail_cursor(w.b, 0, w.len);
    memset(values, 0xCC, sizeof(values));
    CHECK(newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, values, 2));
    CHECK_EQ(values[1].flag, 0x0A);
    CHECK_EQ(values[2].flag, 0xCC);

    WHERE("bad row flag");
    w.b[0] = 0x02;
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(!newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, NULL, 0));
    CHECK_EQ(row.problems, NEWMAIL_PROP_PROBLEM_BAD_ROW_FLAG);
    CHECK_EQ(c.pos, 0);

    /* A bad flag inside the row: nread says where it stopped. */
    WHERE("bad value flag");
    w.b[0] = 0x01;
    w.b[10] = 0x05; /* Subject's flag */
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(!newmail_property_row_read(&c, columns, COUNT_OF(columns), &row, values, 6));
    CHECK_EQ(row.nread, 1);
    CHECK_EQ(values[1].problems, NEWMAIL_PROP_PROBLEM_BAD_FLAG);
    CHECK(row.problems & NEWMAIL_PROP_PROBLEM_BAD_FLAG);

    /* A PtypNull column is refused (zero bytes a value). */
    WHERE("PtypNull column");
    {
        const uint32_t nullcol[] = { NEWMAIL_PROP_TAG(0x0001, NEWMAIL_PT_NULL) };
        uint8_t b[] = { 0x00 };

        c = newmail_cursor(b, 0, 1);
        CHECK(!newmail_property_row_read(&c, nullcol, 1, &row, NULL, 0));
        CHECK(row.problems & NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED);
    }

    /* MVI column in a row: one value of the base type. */
    WHERE("MVI column");
    {
        const uint32_t mvi[] = { NEWMAIL_PROP_TAG(0x8001, 0x3003) };
        uint8_t b[] = { 0x00, 0x05, 0x00, 0x00, 0x00 };

        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(newmail_property_row_read(&c, mvi, 1, &row, values, 1));
        CHECK_EQ(values[0].value.type, NEWMAIL_PT_INTEGER32);
        CHECK_EQ(values[0].value.integer, 5);
        CHECK_EQ(c.pos, sizeof(b));
    }

    /* PropertyRowSet: RowCount then rows. */
    WHERE("PropertyRowSet");
    {
        const uint32_t cols[] = { NEWMAIL_PROP_TAG(0x0E08, NEWMAIL_PT_INTEGER32),
                                  NEWMAIL_PROP_TAG(0x3001, NEWMAIL_PT_STRING) };
        uint16_t rows;
        unsigned problems = 0;

        w.len = 0;
        put16(&w, 2);
        put8(&w, 0), put32(&w, 100), put_utf16z(&w, "A");
        put8(&w, 1), put8(&w, 0), put32(&w, 200), put8(&w, 1);
        c = newmail_cursor(w.b, 0, w.len);
        CHECK(newmail_property_row_set_skip(&c, cols, 2, &rows, &problems));
        CHECK_EQ(rows, 2);
        CHECK_EQ(c.pos, w.len);
        CHECK_EQ(problems, 0);
        c = newmail_cursor(w.b, 0, w.len - 1);
        CHECK(!newmail_property_row_set_skip(&c, cols, 2, &rows, &problems));
        CHECK_EQ(c.pos, 0);
        CHECK(problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
    }
    where[0] = 0;
}

/* ---- tag arrays, PropertyProblem ------------------------------------------------------------------- */

static void
test_arrays(void)
{
    writer_t w = { .len = 0 };
    newmail_cursor_t c;
    newmail_span_t sp;
    uint16_t count;
    newmail_prop_problem_t p;

    WHERE("PropertyTagArray");
    put16(&w, 2);
    put32(&w, 0x0037001F);
    put32(&w, 0x0E070003);
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(newmail_prop_tag_array_read(&c, &count, &sp));
    CHECK_EQ(count, 2);
    CHECK_SPAN(sp, 2, 8);
    CHECK_EQ(newmail_le32(w.b + sp.offset + 4), 0x0E070003);
    c = newmail_cursor(w.b, 0, w.len - 1);
    CHECK(!newmail_prop_tag_array_read(&c, &count, &sp));
    CHECK_EQ(c.pos, 0);

    /* PropertyProblem (MS-OXCDATA 2.7): Index, PropertyTag, ErrorCode. */
    WHERE("PropertyProblem");
    w.len = 0;
    put16(&w, 1);
    put16(&w, 0x0001);
    put32(&w, 0x0E1D001F);
    put32(&w, 0x80040102); /* MAPI_E_NO_SUPPORT */
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(newmail_prop_problem_array_read(&c, &count, &sp));
    CHECK_EQ(count, 1);
    CHECK_SPAN(sp, 2, 10);
    c = newmail_cursor(w.b, 2, w.len);
    CHECK(newmail_prop_problem_read(&c, &p));
    CHECK_EQ(p.tag_index, 1);
    CHECK_EQ(p.tag, 0x0E1D001F);
    CHECK_EQ(p.error_code, 0x80040102);
    CHECK_SPAN(p.span, 2, 10);
    c = newmail_cursor(w.b, 2, w.len - 1);
    CHECK(!newmail_prop_problem_read(&c, &p));
    CHECK_EQ(c.pos, 2);
    where[0] = 0;
}

/* ---- SortOrderSet ------------------------------------------------------------------------------ */

static void
test_sort_orders(void)
{
    writer_t w = { .len = 0 };
    newmail_sort_order_set_t set;
    newmail_cursor_t c;

    /* Categorized by PidTagConversationTopic, then by delivery time, newest first. */
    WHERE("SortOrderSet");
    put16(&w, 2), put16(&w, 1), put16(&w, 1);
    put16(&w, NEWMAIL_PT_STRING), put16(&w, 0x0070), put8(&w, NEWMAIL_SORT_ASCENDING);
    put16(&w, NEWMAIL_PT_TIME), put16(&w, 0x0E06), put8(&w, NEWMAIL_SORT_DESCENDING);
    {
        uint8_t *b = exact_copy(w.b, w.len);

        c = newmail_cursor(b, 0, w.len);
        CHECK(newmail_sort_order_set_read(&c, &set));
        CHECK_EQ(set.sort_order_count, 2);
        CHECK_EQ(set.categorized_count, 1);
        CHECK_EQ(set.expanded_count, 1);
        CHECK_SPAN(set.sort_orders, 6, 10);
        CHECK_SPAN(set.span, 0, 16);
        CHECK_EQ(set.problems, 0);
        CHECK_EQ(newmail_le16(b + set.sort_orders.offset + 5 + 2), 0x0E06);
        free(b);
        for (size_t cut = 0; cut < w.len; cut++) {
            b = exact_copy(w.b, cut);
            c = newmail_cursor(b, 0, cut);
            CHECK(!newmail_sort_order_set_read(&c, &set));
            CHECK_EQ(c.pos, 0);
            free(b);
        }
    }

    WHERE("SortOrderSet problems");
    w.b[2] = 3; /* CategorizedCount 3 > SortOrderCount 2 */
    w.b[15] = 0x02; /* TABLE_SORT_COMBINE: not in MS-OXCDATA 2.13.1 */
    c = newmail_cursor(w.b, 0, w.len);
    CHECK(newmail_sort_order_set_read(&c, &set));
    CHECK_EQ(set.problems, NEWMAIL_SORT_PROBLEM_COUNTS | NEWMAIL_SORT_PROBLEM_ORDER);
    where[0] = 0;
}

/* ---- restrictions ----------------------------------------------------------------------------------- */

typedef struct {
    unsigned enters, leaves, max_depth;
    uint8_t types[64];
    newmail_span_t spans[64]; /* on leave, in leave order */
    newmail_restriction_node_t last;
} visits_t;

static void
visit(void *ctx, const newmail_restriction_node_t *n, bool leave)
{
    visits_t *v = ctx;

    if (leave) {
        if (v->leaves < 64)
            v->spans[v->leaves] = n->span;
        v->leaves++;
        v->last = *n;
    } else {
        if (v->enters < 64)
            v->types[v->enters] = n->type;
        v->enters++;
    }
    if (n->depth > v->max_depth)
        v->max_depth = n->depth;
}

static void
test_restrictions(void)
{
    writer_t w = { .len = 0 };
    newmail_cursor_t c;
    unsigned problems = 0;
    visits_t v;

    /* And(Content(PidTagSubject, substring|ignorecase, "x"),
     *     Or(Property(>=, PidTagMessageDeliveryTime, t), Exist(PidTagHasAttachments)),
     *     Not(BitMask(NEZ, PidTagMessageFlags, 1)),
     *     CompareProperties(=, a, b), Size(<, PidTagMessageSize, 1000),
     *     SubObject(PidTagMessageRecipients, Exist(PidTagDisplayName)),
     *     Comment(1 value, present, Exist(PidTagSubject)),
     *     Count(5, Exist(PidTagEntryId))) */
    WHERE("every restriction type");
    put8(&w, NEWMAIL_RES_AND), put16(&w, 8);
    put8(&w, NEWMAIL_RES_CONTENT), put16(&w, 1), put16(&w, 1), put32(&w, 0x0037001F);
    put32(&w, 0x0037001F), put_utf16z(&w, "x");
    put8(&w, NEWMAIL_RES_OR), put16(&w, 2);
    put8(&w, NEWMAIL_RES_PROPERTY), put8(&w, 3), put32(&w, 0x0E060040);
    put32(&w, 0x0E060040), put64(&w, 0x01D9000000000000ull);
    put8(&w, NEWMAIL_RES_EXIST), put32(&w, 0x0E1B000B);
    put8(&w, NEWMAIL_RES_NOT);
    put8(&w, NEWMAIL_RES_BITMASK), put8(&w, 1), put32(&w, 0x0E070003), put32(&w, 1);
    put8(&w, NEWMAIL_RES_COMPARE_PROPERTIES), put8(&w, 4), put32(&w, 0x0E060040),
        put32(&w, 0x00390040);
    put8(&w, NEWMAIL_RES_SIZE), put8(&w, 0), put32(&w, 0x0E080003), put32(&w, 1000);
    put8(&w, NEWMAIL_RES_SUB_OBJECT), put32(&w, 0x0E12000D);
    put8(&w, NEWMAIL_RES_EXIST), put32(&w, 0x3001001F);
    put8(&w, NEWMAIL_RES_COMMENT), put8(&w, 1), put32(&w, 0x3004001E), put_asciiz(&w, "c"),
        put8(&w, 1);
    put8(&w, NEWMAIL_RES_EXIST), put32(&w, 0x0037001F);
    put8(&w, NEWMAIL_RES_COUNT), put32(&w, 5);
    put8(&w, NEWMAIL_RES_EXIST), put32(&w, 0x0FFF0102);
    {
        static const uint8_t order[] = {
            NEWMAIL_RES_AND,    NEWMAIL_RES_CONTENT, NEWMAIL_RES_OR,
            NEWMAIL_RES_PROPERTY, NEWMAIL_RES_EXIST, NEWMAIL_RES_NOT,
            NEWMAIL_RES_BITMASK, NEWMAIL_RES_COMPARE_PROPERTIES, NEWMAIL_RES_SIZE,
            NEWMAIL_RES_SUB_OBJECT, NEWMAIL_RES_EXIST, NEWMAIL_RES_COMMENT,
            NEWMAIL_RES_EXIST,  NEWMAIL_RES_COUNT,   NEWMAIL_RES_EXIST,
        };
        uint8_t *b = exact_copy(w.b, w.len);

        memset(&v, 0, sizeof(v));
        c = newmail_cursor(b, 0, w.len);
        CHECK(newmail_restriction_walk(&c, visit, &v, &problems));
        CHECK_EQ(c.pos, w.len);
        CHECK_EQ(problems, 0);
        CHECK_EQ(v.enters, COUNT_OF(order));
        CHECK_EQ(v.leaves, COUNT_OF(order));
        for (size_t i = 0; i < COUNT_OF(order); i++)
            CHECK_EQ(v.types[i], order[i]);
        CHECK_EQ(v.max_depth, 2);
        /* The last node left is the top one, whole. */
        CHECK_EQ(v.last.type, NEWMAIL_RES_AND);
        CHECK_SPAN(v.last.span, 0, w.len);
        CHECK_EQ(v.last.value[NEWMAIL_RESF_COUNT], 8);
        CHECK_SPAN(v.last.field[NEWMAIL_RESF_COUNT], 1, 2);
        /* The first node left is the ContentRestriction: 1+2+2+4 + 4+4. */
        CHECK_SPAN(v.spans[0], 3, 17);

        for (size_t cut = 0; cut < w.len; cut++) {
            uint8_t *short_copy = exact_copy(w.b, cut);

            problems = 0;
            c = newmail_cursor(short_copy, 0, cut);
            CHECK(!newmail_restriction_skip(&c, &problems));
            CHECK_EQ(c.pos, 0);
            CHECK(problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
            free(short_copy);
        }
        free(b);
    }

    /* The Content node's fields and TaggedValue. */
    WHERE("ContentRestriction fields");
    {
        writer_t x = { .len = 0 };

        put8(&x, NEWMAIL_RES_CONTENT), put16(&x, 2), put16(&x, 0x0001), put32(&x, 0x0037101F);
        put32(&x, 0x0037101F), put_utf16z(&x, "ab"); /* a multi-valued tag: one value */
        memset(&v, 0, sizeof(v));
        problems = 0;
        c = newmail_cursor(x.b, 0, x.len);
        CHECK(newmail_restriction_walk(&c, visit, &v, &problems));
        CHECK_EQ(c.pos, x.len);
        CHECK_EQ(v.last.value[NEWMAIL_RESF_FUZZY_LOW], 2);
        CHECK_EQ(v.last.value[NEWMAIL_RESF_FUZZY_HIGH], 1);
        CHECK_EQ(v.last.value[NEWMAIL_RESF_TAG], 0x0037101F);
        CHECK(v.last.has_tagged_value);
        CHECK_EQ(v.last.tagged_value.value.type, NEWMAIL_PT_STRING);
        CHECK_EQ(v.last.tagged_value.value.count, 2);
        CHECK_EQ(problems, 0);

        /* Inner tag differs from PropTag: read by its own tag, flagged. */
        x.b[9] = 0x1E; /* inner type 0x101E: PtypString8 once MV is cleared */
        x.len = 13;
        put_asciiz(&x, "ab");
        problems = 0;
        c = newmail_cursor(x.b, 0, x.len);
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(problems, NEWMAIL_PROP_PROBLEM_TAG_MISMATCH);
        CHECK_EQ(c.pos, x.len);
    }

    /* Out-of-range RelOp is flagged but read. */
    WHERE("bad RelOp");
    {
        uint8_t b[] = { NEWMAIL_RES_SIZE, 0x07, 0x03, 0x00, 0x08, 0x0E, 0x01, 0x00, 0x00, 0x00 };

        problems = 0;
        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(problems, NEWMAIL_PROP_PROBLEM_RELOP);
        b[1] = 0x64; /* RELOP_MEMBER_OF_DL */
        problems = 0;
        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(problems, 0);
    }

    WHERE("bad RestrictType");
    {
        uint8_t b[] = { 0x0C, 0x00 };

        problems = 0;
        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(!newmail_restriction_skip(&c, &problems));
        CHECK_EQ(problems, NEWMAIL_PROP_PROBLEM_BAD_RESTRICT_TYPE);
        CHECK_EQ(c.pos, 0);
    }

    /* Depth: NOT nested to the bound is read, one more is refused. */
    WHERE("depth bound");
    {
        uint8_t b[NEWMAIL_RESTRICTION_MAX_DEPTH + 8];
        size_t n = NEWMAIL_RESTRICTION_MAX_DEPTH - 1;

        memset(b, NEWMAIL_RES_NOT, n);
        b[n] = NEWMAIL_RES_EXIST;
        memset(b + n + 1, 0, 4);
        problems = 0;
        c = newmail_cursor(b, 0, n + 5);
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(c.pos, n + 5);
        CHECK_EQ(problems, 0);

        n++;
        memset(b, NEWMAIL_RES_NOT, n);
        b[n] = NEWMAIL_RES_EXIST;
        memset(b + n + 1, 0, 4);
        problems = 0;
        c = newmail_cursor(b, 0, n + 5);
        CHECK(!newmail_restriction_skip(&c, &problems));
        CHECK_EQ(problems, NEWMAIL_PROP_PROBLEM_TOO_DEEP);
        CHECK_EQ(c.pos, 0);
    }

    /* A PtypRestriction value (e.g. PidTagRuleCondition) counts its depth
     * from where it stands in a restriction. */
    WHERE("PtypRestriction value");
    {
        writer_t x = { .len = 0 };
        newmail_prop_value_t pv;

        put8(&x, NEWMAIL_RES_PROPERTY), put8(&x, 4), put32(&x, 0x667900FD);
        put32(&x, 0x667900FD);
        put8(&x, NEWMAIL_RES_EXIST), put32(&x, 0x0037001F);
        problems = 0;
        c = newmail_cursor(x.b, 0, x.len);
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(c.pos, x.len);
        c = newmail_cursor(x.b, 10, x.len);
        CHECK(newmail_prop_value_read(&c, NEWMAIL_PT_RESTRICTION, &pv));
        CHECK_SPAN(pv.span, 10, 5);
    }

    /* And with a count the bytes cannot hold ends at once. */
    WHERE("And count past end");
    {
        uint8_t b[] = { NEWMAIL_RES_AND, 0xFF, 0xFF, NEWMAIL_RES_EXIST, 0, 0, 0, 0 };

        problems = 0;
        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(!newmail_restriction_skip(&c, &problems));
        CHECK(problems & NEWMAIL_PROP_PROBLEM_TRUNCATED);
    }

    /* Comment without a restriction (RestrictionPresent 0). */
    WHERE("Comment, no restriction");
    {
        uint8_t b[] = { NEWMAIL_RES_COMMENT, 0x00, 0x00 };

        problems = 0;
        c = newmail_cursor(b, 0, sizeof(b));
        CHECK(newmail_restriction_skip(&c, &problems));
        CHECK_EQ(c.pos, 3);
    }
    CHECK(strcmp(newmail_restriction_type_name(NEWMAIL_RES_COUNT), "CountRestriction") == 0);
    CHECK(newmail_restriction_type_name(0x0C) == NULL);
    where[0] = 0;
}

/* ---- names ------------------------------------------------------------------------------------------ */

static void
test_names(void)
{
    static const struct {
        uint32_t tag;
        const char *name;
    } known[] = {
        { 0x0037001F, "PidTagSubject" },
        { 0x001A001F, "PidTagMessageClass" },
        { 0x3001001F, "PidTagDisplayName" },
        { 0x0E070003, "PidTagMessageFlags" },
        { 0x0FFF0102, "PidTagEntryId" },
        { 0x0E090102, "PidTagParentEntryId" },
        { 0x674A0014, "PidTagMid" },
        { 0x67480014, "PidTagFolderId" },
        { 0x674D0014, "PidTagInstID" },
        { 0x674E0003, "PidTagInstanceNum" },
        { 0x36020003, "PidTagContentCount" },
        { 0x36030003, "PidTagContentUnreadCount" },
        { 0x30080040, "PidTagLastModificationTime" },
        { 0x30070040, "PidTagCreationTime" },
        { 0x0E080003, "PidTagMessageSize" },
        { 0x0C1A001F, "PidTagSenderName" },
        { 0x0042001F, "PidTagSentRepresentingName" },
        { 0x00170003, "PidTagImportance" },
        { 0x0E060040, "PidTagMessageDeliveryTime" },
        { 0x00390040, "PidTagClientSubmitTime" },
        { 0x0E1B000B, "PidTagHasAttachments" },
        { 0x0FF50003, "PidTagRowType" },
        { 0x30050003, "PidTagDepth" },
        { 0x0FF60102, "PidTagInstanceKey" },
        { 0x0E1D001F, "PidTagNormalizedSubject" },
        { 0x0070001F, "PidTagConversationTopic" },
        { 0x65E20102, "PidTagChangeKey" },
        { 0x65E30102, "PidTagPredecessorChangeList" },
        { 0x65E00102, "PidTagSourceKey" },
        { 0x65E10102, "PidTagParentSourceKey" },
        { 0x0FF40003, "PidTagAccess" },
        { 0x0FF70003, "PidTagAccessLevel" },
        { 0x0FF90102, "PidTagRecordKey" },
        { 0x0FFB0102, "PidTagStoreEntryId" },
        { 0x3613001F, "PidTagContainerClass" },
        { 0x36010003, "PidTagFolderType" },
        { 0x360A000B, "PidTagSubfolders" },
        { 0x001A001E, "PidTagMessageClass" }, /* the type does not matter */
        { 0x7FFF000B, "PidTagAttachmentContactPhoto" },
        { 0x00020003, "PidTagAlternateRecipientAllowed" },
    };
    size_t count;
    const newmail_prop_name_t *names = newmail_prop_names(&count);

    for (size_t i = 0; i < COUNT_OF(known); i++) {
        const char *name = newmail_prop_tag_name(known[i].tag);

        WHERE("tag %#010x", known[i].tag);
        CHECK(name != NULL && strcmp(name, known[i].name) == 0);
    }
    WHERE("name table");
    CHECK(count >= 150);
    for (size_t i = 0; i < count; i++) {
        CHECK(i == 0 || names[i - 1].id < names[i].id); /* sorted, no duplicates */
        CHECK(strncmp(names[i].name, "PidTag", 6) == 0);
        CHECK(newmail_prop_type_name(names[i].type) != NULL);
        /* Every entry is found by its own tag. */
        CHECK(newmail_prop_tag_name(NEWMAIL_PROP_TAG(names[i].id, names[i].type)) == names[i].name);
    }
    CHECK(newmail_prop_tag_name(0x00000000) == NULL);
    CHECK(newmail_prop_tag_name(0x80010003) == NULL); /* a named property */
    CHECK(newmail_prop_tag_name(0xFFFF0003) == NULL);

    WHERE("type names");
    CHECK(strcmp(newmail_prop_type_name(NEWMAIL_PT_STRING), "PtypString") == 0);
    CHECK(strcmp(newmail_prop_type_name(NEWMAIL_PT_MULTIPLE_BINARY), "PtypMultipleBinary") == 0);
    CHECK(strcmp(newmail_prop_type_name(0x3003), "PtypMultipleInteger32") == 0);
    CHECK(strcmp(newmail_prop_type_name(NEWMAIL_PT_SERVER_ID), "PtypServerId") == 0);
    CHECK(newmail_prop_type_name(0x0008) == NULL);
    where[0] = 0;
}

int
main(void)
{
    test_fixed();
    test_variable();
    test_multiple();
    test_tagged();
    test_rows();
    test_arrays();
    test_restrictions();
    test_sort_orders();
    test_names();
    return checks_report();
}
