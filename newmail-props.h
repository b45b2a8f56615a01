/* SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright 2026 The newmail plugin authors
 *
 * newmail-props.h: bounds-checked readers for the property structures that
 * ROP buffers carry (property tags, values, rows, problems, restrictions),
 * and the names of property tags and types.
 *
 * Specifications:
 *   MS-OXCDATA 2.7      PropertyProblem (Index, PropertyTag, ErrorCode)
 *   MS-OXCDATA 2.8.1    PropertyRow: StandardPropertyRow (Flag 0x00),
 *                       FlaggedPropertyRow (Flag 0x01)
 *   MS-OXCDATA 2.8.2    PropertyRowSet
 *   MS-OXCDATA 2.9      PropertyTag (PropertyType, PropertyId)
 *   MS-OXCDATA 2.11.1   property data types and the layout of their values
 *   MS-OXCDATA 2.11.1.1 COUNT: its width in ROP buffers
 *   MS-OXCDATA 2.11.2-6 PropertyValue, TypedPropertyValue,
 *                       TaggedPropertyValue, FlaggedPropertyValue,
 *                       FlaggedPropertyValueWithType
 *   MS-OXCDATA 2.12     restrictions (RestrictType 0x00 to 0x0B)
 *   MS-OXCDATA 2.13     SortOrder, SortOrderSet
 *   MS-OXORULE 2.2.5    RuleAction (PtypRuleAction values: sized only)
 *   MS-OXPROPS 2        the canonical PidTag names and their property ids
 *
 * Plain C11 with no Wireshark or GLib types, like newmail-rop.h: the unit
 * test (test/test_props.c) and the fuzzer (fuzz/fuzz_props.c) drive exactly
 * the code the dissector uses. Every reader works on a newmail_cursor_t
 * (newmail-bytes.h), never reads outside [pos, end), never allocates, and
 * does work bounded by the bytes it is given: every loop iteration consumes
 * at least one byte or ends the read, and each count is checked against the
 * bytes left before a loop starts. On failure a reader returns false and
 * leaves the cursor where it was; the problem bits say why. Where a field
 * lies is reported as a newmail_span_t (offset from the cursor's buf).
 *
 * Readings chosen where the sources disagree:
 *
 * - Width of COUNT in ROP buffers. MS-OXCDATA 2.11.1.1 says: byte counts of
 *   PtypBinary (and PtypServerId) are 16 bits, value counts of every
 *   PtypMultiple* are 32 bits. MS-OXCDATA 2.11.2.1 (PropertyValue) says
 *   instead that "for multivalue types, the first element in the ROP buffer
 *   is a 16-bit integer". MAPI Inspector for Fiddler reads 32 bits ("Always
 *   32-bit for multiple types"), and so does OpenChange, which interoperates
 *   with Exchange. Chosen: 32-bit value counts, 16-bit byte counts (each
 *   element of a PtypMultipleBinary has its own 16-bit byte count).
 *
 * - MultivalueInstance (0x2000) in a column's type. A column asked for with
 *   MVI_FLAG (0x3000 | base type) is expanded into one row per value, and
 *   QueryRows returns a single value of the base type in it (MAPI "Working
 *   with multivalued columns"; MS-OXCDATA 2.9 names the flag). MAPI
 *   Inspector's PropertyRow clears only the 0x2000 bit and so reads such a
 *   column as a whole multi-valued property (32-bit count and all values).
 *   Chosen: the MAPI reading, one value of type & 0x0FFF
 *   (newmail_prop_value_type()).
 *
 * - TaggedValue of ContentRestriction and PropertyRestriction. MS-OXCDATA
 *   2.12.2/2.12.3 make it a TaggedPropertyValue, self-describing; MAPI
 *   Inspector reads its value by the type of the restriction's own
 *   PropTag instead, with the multi-valued bit cleared. Chosen: the
 *   TaggedValue's own tag, with the multi-valued bit cleared as MAPI
 *   Inspector does (a restriction on a multi-valued property compares one
 *   value); when the two tags differ the node gets
 *   NEWMAIL_PROP_PROBLEM_TAG_MISMATCH, and the bytes are still read by
 *   their own tag.
 *
 * - PtypBoolean is one byte in ROP buffers (MS-OXCDATA 2.11.1); a value
 *   other than 0 or 1 is read and flagged (NEWMAIL_PROP_PROBLEM_BOOLEAN).
 *
 * - PtypObject / PtypEmbeddedTable (0x000D) has no layout in ROP buffers
 *   (its value is reached through RopOpenStream or RopOpenEmbeddedMessage);
 *   MAPI Inspector reads it as zero bytes and says "not implemented". Here
 *   it is refused (NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED): a walk stops
 *   honestly rather than guess. PtypNull (0x0001) is zero bytes (MS-OXCDATA
 *   2.11.1: a placeholder). PtypUnspecified (0x0000) is only a column type:
 *   the row then carries the type (TypedPropertyValue,
 *   FlaggedPropertyValueWithType); as a value type it is refused.
 *
 * - Counts of restrictions use the ROP buffer widths (MS-OXCDATA 2.12:
 *   RestrictCount 16 bits, CountRestriction's Count 32 bits,
 *   CommentRestriction's TaggedValuesCount 8 bits), as MAPI Inspector's
 *   RopBuffers context does; extended rules (MS-OXORULE 2.2.4) are not read
 *   here.
 */
#ifndef NEWMAIL_PROPS_H
#define NEWMAIL_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "newmail-bytes.h"

/* ---- Property types (MS-OXCDATA 2.11.1) --------------------------------------- */

#define NEWMAIL_PT_UNSPECIFIED 0x0000
#define NEWMAIL_PT_NULL 0x0001
#define NEWMAIL_PT_INTEGER16 0x0002
#define NEWMAIL_PT_INTEGER32 0x0003
#define NEWMAIL_PT_FLOATING32 0x0004
#define NEWMAIL_PT_FLOATING64 0x0005
#define NEWMAIL_PT_CURRENCY 0x0006
#define NEWMAIL_PT_FLOATING_TIME 0x0007
#define NEWMAIL_PT_ERROR_CODE 0x000A
#define NEWMAIL_PT_BOOLEAN 0x000B
#define NEWMAIL_PT_OBJECT 0x000D /* also PtypEmbeddedTable */
#define NEWMAIL_PT_INTEGER64 0x0014
#define NEWMAIL_PT_STRING8 0x001E
#define NEWMAIL_PT_STRING 0x001F
#define NEWMAIL_PT_TIME 0x0040
#define NEWMAIL_PT_GUID 0x0048
#define NEWMAIL_PT_SERVER_ID 0x00FB
#define NEWMAIL_PT_RESTRICTION 0x00FD
#define NEWMAIL_PT_RULE_ACTION 0x00FE
#define NEWMAIL_PT_BINARY 0x0102
#define NEWMAIL_PT_MV 0x1000          /* MultiValue flag: PtypMultiple* = base | 0x1000 */
#define NEWMAIL_PT_MV_INSTANCE 0x2000 /* MultivalueInstance flag (columns, sort orders) */
#define NEWMAIL_PT_MULTIPLE_INTEGER16 0x1002
#define NEWMAIL_PT_MULTIPLE_INTEGER32 0x1003
#define NEWMAIL_PT_MULTIPLE_FLOATING32 0x1004
#define NEWMAIL_PT_MULTIPLE_FLOATING64 0x1005
#define NEWMAIL_PT_MULTIPLE_CURRENCY 0x1006
#define NEWMAIL_PT_MULTIPLE_FLOATING_TIME 0x1007
#define NEWMAIL_PT_MULTIPLE_INTEGER64 0x1014
#define NEWMAIL_PT_MULTIPLE_STRING8 0x101E
#define NEWMAIL_PT_MULTIPLE_STRING 0x101F
#define NEWMAIL_PT_MULTIPLE_TIME 0x1040
#define NEWMAIL_PT_MULTIPLE_GUID 0x1048
#define NEWMAIL_PT_MULTIPLE_BINARY 0x1102

/* PropertyTag (MS-OXCDATA 2.9): read as a little-endian uint32, the type is
 * the low 16 bits and the id the high 16 bits. */
#define NEWMAIL_PROP_TAG(id, type) ((uint32_t)(id) << 16 | (uint16_t)(type))
#define NEWMAIL_PROP_ID(tag) ((uint16_t)((uint32_t)(tag) >> 16))
#define NEWMAIL_PROP_TYPE(tag) ((uint16_t)((uint32_t)(tag)&0xFFFF))

/* The type a value of a column or tag of type `type` is read as: with
 * MultivalueInstance set, one value of the base type (see the header
 * comment); otherwise `type` itself. */
uint16_t newmail_prop_value_type(uint16_t type);

/* ---- Problem bits ----------------------------------------------------------------- */

/* Fatal ones end the read (the reader returns false); the others are
 * reported with a value that was read in full. */
#define NEWMAIL_PROP_PROBLEM_TRUNCATED 0x0001        /* fatal: the buffer ends first */
#define NEWMAIL_PROP_PROBLEM_UNKNOWN_TYPE 0x0002     /* fatal: not a type of 2.11.1 */
#define NEWMAIL_PROP_PROBLEM_TYPE_NOT_ALLOWED 0x0004 /* fatal: PtypUnspecified/PtypObject as a value */
#define NEWMAIL_PROP_PROBLEM_BAD_FLAG 0x0008         /* fatal: FlaggedPropertyValue Flag not 0x00/0x01/0x0A */
#define NEWMAIL_PROP_PROBLEM_BAD_ROW_FLAG 0x0010     /* fatal: PropertyRow Flag not 0x00/0x01 */
#define NEWMAIL_PROP_PROBLEM_BAD_RESTRICT_TYPE 0x0020 /* fatal: RestrictType above 0x0B */
#define NEWMAIL_PROP_PROBLEM_TOO_DEEP 0x0040          /* fatal: restrictions nest deeper than the bound */
#define NEWMAIL_PROP_PROBLEM_BOOLEAN 0x0100          /* a PtypBoolean byte other than 0 or 1 */
#define NEWMAIL_PROP_PROBLEM_RULE_ACTION 0x0200      /* an ActionBlock shorter than its fixed fields */
#define NEWMAIL_PROP_PROBLEM_TAG_MISMATCH 0x0400     /* restriction TaggedValue's tag is not its PropTag */
#define NEWMAIL_PROP_PROBLEM_RELOP 0x0800            /* RelOp/BitmapRelOp/FuzzyLevel out of range */
#define NEWMAIL_PROP_PROBLEMS_FATAL 0x00FF

/* ---- One property value (MS-OXCDATA 2.11.1, 2.11.2) ------------------------------- */

typedef struct {
    uint16_t type;       /* the type it was read as (no MultivalueInstance bit) */
    newmail_span_t span; /* the whole value: count, data, terminator; on failure, what
                            was read before the problem */
    /* Fixed-size types (Integer16/32/64, Floating32/64, Currency,
     * FloatingTime, ErrorCode, Boolean, Time): the little-endian value, bit
     * for bit (floats as their IEEE 754 bits). Guid: none (data = 16 bytes). */
    uint64_t integer;
    /* String/String8: the characters, without the terminator; count = chars.
     * Binary/ServerId: the bytes after COUNT; count = bytes.
     * PtypMultiple*: the values after COUNT; count = values (read each with
     *   newmail_prop_value_read(..., type & ~NEWMAIL_PT_MV, ...) from data.offset).
     * RuleAction: the ActionBlocks after NoOfActions; count = NoOfActions.
     * Restriction, Guid, fixed-size types: data = span, count = 0. */
    newmail_span_t data;
    newmail_span_t count_span; /* COUNT/NoOfActions field; length 0 when the type has none */
    uint32_t count;
    unsigned problems;
} newmail_prop_value_t;

/* Size (and read) one value of `type` at c (MS-OXCDATA 2.11.1, ROP buffer
 * widths). False, cursor unmoved, when it does not fit or the type is
 * unknown or not allowed as a value; out->problems says which. PtypString is
 * UTF-16LE and PtypString8 8-bit, both null-terminated, whatever the logon's
 * Unicode flag. A MultivalueInstance bit in `type` is honoured
 * (newmail_prop_value_type()). */
bool newmail_prop_value_read(newmail_cursor_t *c, uint16_t type, newmail_prop_value_t *out);

/* The bytes a fixed-size type takes, 0 for the variable ones and unknown types. */
size_t newmail_prop_fixed_size(uint16_t type);

/* ---- Tagged, typed and flagged values (MS-OXCDATA 2.11.3-2.11.6) -------------------- */

/* The flags of FlaggedPropertyValue (MS-OXCDATA 2.11.5). */
#define NEWMAIL_PROP_FLAG_VALUE 0x00    /* PropertyValue follows */
#define NEWMAIL_PROP_FLAG_NO_VALUE 0x01 /* no value: not set, or not readable */
#define NEWMAIL_PROP_FLAG_ERROR 0x0A    /* a PtypErrorCode follows */

/* One value with what precedes it. Which fields exist depends on the
 * structure; absent ones have a span of length 0. */
typedef struct {
    newmail_span_t span;      /* the whole structure */
    uint32_t tag;             /* TaggedPropertyValue: as read. Row values: the column's
                                 tag, its type replaced by the row's own type where the
                                 column says PtypUnspecified */
    newmail_span_t tag_span;  /* TaggedPropertyValue's PropertyTag */
    uint16_t type;            /* the type the structure says or implies */
    newmail_span_t type_span; /* TypedPropertyValue's / FlaggedPropertyValueWithType's PropertyType */
    uint8_t flag;             /* FlaggedPropertyValue(WithType): Flag */
    newmail_span_t flag_span;
    bool has_value;           /* false for Flag 0x01 */
    newmail_prop_value_t value; /* Flag 0x0A: a PtypErrorCode */
    unsigned problems;        /* of the structure and its value */
} newmail_tagged_value_t;

/* TaggedPropertyValue (2.11.4): PropertyTag, then a value of its type. */
bool newmail_tagged_value_read(newmail_cursor_t *c, newmail_tagged_value_t *out);
/* TypedPropertyValue (2.11.3): PropertyType, then a value of it. */
bool newmail_typed_value_read(newmail_cursor_t *c, newmail_tagged_value_t *out);
/* FlaggedPropertyValue (2.11.5) of `type`, or FlaggedPropertyValueWithType
 * (2.11.6) when with_type (then `type` is ignored). */
bool newmail_flagged_value_read(newmail_cursor_t *c, uint16_t type, bool with_type,
                                newmail_tagged_value_t *out);

/* ---- PropertyRow (MS-OXCDATA 2.8.1) ------------------------------------------------- */

#define NEWMAIL_PROP_ROW_STANDARD 0x00
#define NEWMAIL_PROP_ROW_FLAGGED 0x01

typedef struct {
    newmail_span_t span;      /* the whole row, Flag included */
    uint8_t flag;             /* 0x00 StandardPropertyRow, 0x01 FlaggedPropertyRow */
    newmail_span_t flag_span;
    size_t nread;             /* values read in full (ncolumns on success) */
    unsigned problems;        /* of the row and all its values */
} newmail_property_row_t;

/* A PropertyRow laid out by `columns` (the property tags of the table's
 * RopSetColumns, or of RopGetPropertiesSpecific's request): a Flag byte, then
 * per column a PropertyValue (TypedPropertyValue where the column's type is
 * PtypUnspecified) for a standard row, or a FlaggedPropertyValue
 * (FlaggedPropertyValueWithType) for a flagged one. The first nvalues values
 * go into values[] (values may be NULL, nvalues 0: size only). On failure
 * the cursor is unmoved; out->nread says how many values were read before
 * the problem, and values[out->nread] (if it fits) holds the failed one. */
bool newmail_property_row_read(newmail_cursor_t *c, const uint32_t *columns, size_t ncolumns,
                               newmail_property_row_t *out, newmail_tagged_value_t *values,
                               size_t nvalues);

/* The RopGetPropertiesSpecific response's RowData (MS-OXCROPS 2.2.8.3.2) is
 * a PropertyRow like the above. A PropertyRowSet (2.8.2) is a 16-bit
 * RowCount then that many rows: */
bool newmail_property_row_set_skip(newmail_cursor_t *c, const uint32_t *columns, size_t ncolumns,
                                   uint16_t *row_count, unsigned *problems);

/* ---- Arrays of tags and problems ---------------------------------------------------- */

/* PropertyTagArray as ROPs carry it: a 16-bit count, then that many 4-byte
 * tags (read tag i with newmail_le32(buf + tags->offset + 4 * i)). */
bool newmail_prop_tag_array_read(newmail_cursor_t *c, uint16_t *count, newmail_span_t *tags);

/* PropertyProblem (MS-OXCDATA 2.7). */
typedef struct {
    newmail_span_t span; /* 10 bytes */
    uint16_t tag_index;  /* into the request's tags */
    uint32_t tag;
    uint32_t error_code;
} newmail_prop_problem_t;

bool newmail_prop_problem_read(newmail_cursor_t *c, newmail_prop_problem_t *out);
/* PropertyProblemArray as ROP responses carry it: a 16-bit count, then the
 * problems (10 bytes each). */
bool newmail_prop_problem_array_read(newmail_cursor_t *c, uint16_t *count, newmail_span_t *problems);

/* ---- Restrictions (MS-OXCDATA 2.12) ------------------------------------------------- */

#define NEWMAIL_RES_AND 0x00
#define NEWMAIL_RES_OR 0x01
#define NEWMAIL_RES_NOT 0x02
#define NEWMAIL_RES_CONTENT 0x03
#define NEWMAIL_RES_PROPERTY 0x04
#define NEWMAIL_RES_COMPARE_PROPERTIES 0x05
#define NEWMAIL_RES_BITMASK 0x06
#define NEWMAIL_RES_SIZE 0x07
#define NEWMAIL_RES_EXIST 0x08
#define NEWMAIL_RES_SUB_OBJECT 0x09
#define NEWMAIL_RES_COMMENT 0x0A
#define NEWMAIL_RES_COUNT 0x0B

/* How deep restrictions may nest (the top one is depth 0), counting the
 * restrictions inside PtypRestriction values of TaggedValues. Exchange's own
 * limit is not published; MAPI clients build a handful of levels. Deeper
 * input is refused (NEWMAIL_PROP_PROBLEM_TOO_DEEP), which also bounds the
 * recursion of the reader. */
#define NEWMAIL_RESTRICTION_MAX_DEPTH 32

/* The fields of one restriction node, in wire order after RestrictType. */
typedef enum {
    NEWMAIL_RESF_TYPE,          /* RestrictType, 1 byte */
    NEWMAIL_RESF_COUNT,         /* And/Or RestrictCount (2), Comment TaggedValuesCount (1),
                                   Count's Count (4) */
    NEWMAIL_RESF_FUZZY_LOW,     /* Content: FuzzyLevelLow (2) */
    NEWMAIL_RESF_FUZZY_HIGH,    /* Content: FuzzyLevelHigh (2) */
    NEWMAIL_RESF_RELOP,         /* Property/CompareProperties/Size: RelOp; BitMask: BitmapRelOp (1) */
    NEWMAIL_RESF_TAG,           /* PropertyTag / PropTag / PropTag1 / Subobject (4) */
    NEWMAIL_RESF_TAG2,          /* CompareProperties: PropTag2 (4) */
    NEWMAIL_RESF_MASK,          /* BitMask: Mask (4) */
    NEWMAIL_RESF_SIZE,          /* Size: Size (4) */
    NEWMAIL_RESF_TAGGED_VALUES, /* Comment: the TaggedValues (span only) */
    NEWMAIL_RESF_PRESENT,       /* Comment: RestrictionPresent (1) */
    NEWMAIL_RESF_COUNT_OF
} newmail_res_field_t;

typedef struct {
    unsigned depth;
    uint8_t type;
    /* On enter: offset of RestrictType, length up to the end of the node's
     * own fields (children and TaggedValue follow); on leave: the whole
     * restriction. */
    newmail_span_t span;
    newmail_span_t field[NEWMAIL_RESF_COUNT_OF]; /* length 0 when absent */
    uint32_t value[NEWMAIL_RESF_COUNT_OF];
    bool has_tagged_value;                       /* Content, Property */
    newmail_tagged_value_t tagged_value;         /* valid on leave */
    unsigned problems;
} newmail_restriction_node_t;

/* Called on entering each node (leave false, the node's own fields read) and
 * on leaving it (leave true, the node read in full), in wire order. A node
 * that fails is not left; the walk returns false. */
typedef void (*newmail_restriction_visit_t)(void *ctx, const newmail_restriction_node_t *node,
                                            bool leave);

/* A restriction (MS-OXCDATA 2.12): sizes it, depth-bounded; *problems gets
 * the problem bits of every node (ORed in). False, cursor unmoved, when it
 * does not fit. */
bool newmail_restriction_skip(newmail_cursor_t *c, unsigned *problems);
/* The same walk, calling visit (may be NULL) for every node. */
bool newmail_restriction_walk(newmail_cursor_t *c, newmail_restriction_visit_t visit, void *ctx,
                              unsigned *problems);

const char *newmail_restriction_type_name(uint8_t type);

/* ---- SortOrderSet (MS-OXCDATA 2.13) ------------------------------------------------------ */

#define NEWMAIL_SORT_ASCENDING 0x00
#define NEWMAIL_SORT_DESCENDING 0x01
#define NEWMAIL_SORT_MAXIMUM_CATEGORY 0x04

#define NEWMAIL_SORT_PROBLEM_COUNTS 0x1000 /* CategorizedCount > SortOrderCount, or
                                              ExpandedCount > CategorizedCount */
#define NEWMAIL_SORT_PROBLEM_ORDER 0x2000  /* an Order not 0x00, 0x01 or 0x04 */

typedef struct {
    newmail_span_t span;        /* the whole set */
    uint16_t sort_order_count, categorized_count, expanded_count;
    newmail_span_t sort_orders; /* 5 bytes each: PropertyType (2), PropertyId (2), Order (1) */
    unsigned problems;          /* NEWMAIL_SORT_PROBLEM_*; never fatal */
} newmail_sort_order_set_t;

/* SortOrderCount, CategorizedCount, ExpandedCount (16 bits each), then the
 * SortOrders; false, cursor unmoved, when it does not fit. Read SortOrder i
 * at sort_orders.offset + 5 * i: type newmail_le16(p), id newmail_le16(p + 2),
 * Order p[4]. */
bool newmail_sort_order_set_read(newmail_cursor_t *c, newmail_sort_order_set_t *out);

/* ---- Names (MS-OXPROPS, MS-OXCDATA 2.11.1) -------------------------------------------- */

/* The canonical PidTag name of a tag, looked up by its property id (the type
 * is ignored): "PidTagSubject". NULL if unknown. */
const char *newmail_prop_tag_name(uint32_t tag);
/* "PtypString", "PtypMultipleInteger32", ...; NULL if unknown. A
 * MultivalueInstance bit is ignored. */
const char *newmail_prop_type_name(uint16_t type);

/* The name table, sorted by property id, for the dissector's value_string
 * and for tests. */
typedef struct {
    uint16_t id;
    uint16_t type; /* the canonical type MS-OXPROPS gives */
    const char *name;
} newmail_prop_name_t;

const newmail_prop_name_t *newmail_prop_names(size_t *count);

#endif /* NEWMAIL_PROPS_H */
