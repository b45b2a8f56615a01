#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes docs/fields.md: every protocol, field and expert info the plugin registers.

The lists come from tshark itself, run twice through test/tshark_harness.py
(a temporary HOME, unprivileged when root; see that file): once with the built
newmail.so and once without it. What `tshark -G fields` lists only with the
plugin, plus the other fields of the protocols the plugin's fields belong to
(Wireshark's own newmail.notification_payload, which the plugin keeps), is the
plugin's. `tshark -G values` gives their value strings.

Expert infos are registered as header fields too, so `tshark -G fields` lists
them (their name is the summary, with no description); no Wireshark release
up to 4.6 prints their group and severity, so those two are read from the
ei_register_info tables of the plugin's C sources, the registrations
themselves. An expert info tshark lists that no table names, or the other way
round, is an error.

Nothing version-specific is written (no base, no Wireshark version), so the
same file results on every tested Wireshark; test/test_docs.py checks that
docs/fields.md is what this script writes.

    scripts/gen-fields-doc.py [--plugin build/newmail.so] [--output docs/fields.md] [--check]

--check writes nothing and exits 1, with a diff, when the file differs.
"""

import argparse
import difflib
import os
import re
import sys

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(SOURCE_DIR, "docs", "fields.md")

# Folders under the source tree that hold no plugin sources.
_NOT_PLUGIN_DIRS = {".git", "test", "fuzz", "bench", "examples", "docs", "scripts", ".ci"}

SEVERITIES = {
    "PI_COMMENT": "comment",
    "PI_CHAT": "chat",
    "PI_NOTE": "note",
    "PI_WARN": "warning",
    "PI_ERROR": "error",
}
GROUPS = {
    "PI_CHECKSUM": "Checksum",
    "PI_SEQUENCE": "Sequence",
    "PI_RESPONSE_CODE": "Response",
    "PI_REQUEST_CODE": "Request",
    "PI_UNDECODED": "Undecoded",
    "PI_REASSEMBLE": "Reassemble",
    "PI_MALFORMED": "Malformed",
    "PI_DEBUG": "Debug",
    "PI_PROTOCOL": "Protocol",
    "PI_SECURITY": "Security",
    "PI_COMMENTS_GROUP": "Comment",
    "PI_DECRYPTION": "Decryption",
    "PI_ASSUMPTION": "Assumption",
    "PI_DEPRECATED": "Deprecated",
    "PI_RECEIVE": "Receive",
    "PI_INTERFACE": "Interface",
}

# Field types as Wireshark's display filter reference names them.
TYPES = {
    "FT_NONE": "Label",
    "FT_PROTOCOL": "Protocol",
    "FT_BOOLEAN": "Boolean",
    "FT_CHAR": "Character (8 bits)",
    "FT_UINT8": "Unsigned integer (8 bits)",
    "FT_UINT16": "Unsigned integer (16 bits)",
    "FT_UINT24": "Unsigned integer (24 bits)",
    "FT_UINT32": "Unsigned integer (32 bits)",
    "FT_UINT64": "Unsigned integer (64 bits)",
    "FT_INT8": "Signed integer (8 bits)",
    "FT_INT16": "Signed integer (16 bits)",
    "FT_INT32": "Signed integer (32 bits)",
    "FT_INT64": "Signed integer (64 bits)",
    "FT_ABSOLUTE_TIME": "Date and time",
    "FT_RELATIVE_TIME": "Time offset",
    "FT_STRING": "Character string",
    "FT_STRINGZ": "Character string",
    "FT_BYTES": "Byte sequence",
    "FT_IPv4": "IPv4 address",
    "FT_IPv6": "IPv6 address",
    "FT_ETHER": "Ethernet or other MAC address",
    "FT_GUID": "Globally Unique Identifier",
    "FT_FRAMENUM": "Frame number",
}


def _harness():
    sys.path.insert(0, os.path.join(SOURCE_DIR, "test"))
    import tshark_harness  # pylint: disable=import-outside-toplevel
    return tshark_harness


# --- What tshark lists --------------------------------------------------------------

def parse_fields(text):
    """`tshark -G fields` -> (protocols {abbrev: name}, fields [dict], in listed order)."""
    protocols, fields = {}, []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "P" and len(parts) >= 3:
            protocols[parts[2]] = parts[1]
        elif parts[0] == "F" and len(parts) >= 8:
            fields.append({"name": parts[1], "abbrev": parts[2], "type": parts[3],
                           "protocol": parts[4], "base": parts[5],
                           "bitmask": parts[6], "blurb": "\t".join(parts[7:]),
                           "line": line})
    return protocols, fields


def parse_values(text):
    """`tshark -G values` -> {abbrev: [(value or range, string)]}."""
    values = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "V" and len(parts) >= 4:
            values.setdefault(parts[1], []).append((parts[2], parts[3]))
        elif parts[0] == "R" and len(parts) >= 5:
            values.setdefault(parts[1], []).append((f"{parts[2]}-{parts[3]}", parts[4]))
        elif parts[0] == "T" and len(parts) >= 4:
            values.setdefault(parts[1], []).extend([("true", parts[2]), ("false", parts[3])])
    return values


# --- What the C sources register ---------------------------------------------------------

_STRING_OR_MACRO = r'(?:"(?:[^"\\]|\\.)*"|[A-Z_][A-Z0-9_]*)'
_EI_ENTRY = re.compile(
    r"\{\s*&\w+\s*,\s*\{\s*(?P<abbrev>" + _STRING_OR_MACRO + r"(?:\s*" + _STRING_OR_MACRO +
    r")*)\s*,\s*(?P<group>PI_\w+)\s*,\s*(?P<severity>PI_\w+)\s*,")
_DEFINE = re.compile(r'^\s*#\s*define\s+([A-Z_][A-Z0-9_]*)\s+("(?:[^"\\]|\\.)*")\s*$', re.M)


def _plugin_sources():
    for folder, dirs, files in os.walk(SOURCE_DIR):
        dirs[:] = sorted(d for d in dirs
                         if d not in _NOT_PLUGIN_DIRS and not d.startswith("build"))
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.join(folder, name)


def _without_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def source_experts():
    """{abbrev: (group, severity)} from every ei_register_info entry of the plugin's sources."""
    texts = []
    for path in _plugin_sources():
        with open(path, encoding="utf-8") as source:
            texts.append(_without_comments(source.read()))
    macros = {}
    for text in texts:
        for name, literal in _DEFINE.findall(text):
            macros[name] = literal[1:-1]
    experts = {}
    for text in texts:
        for match in _EI_ENTRY.finditer(text):
            pieces = re.findall(_STRING_OR_MACRO, match.group("abbrev"))
            if any(not p.startswith('"') and p not in macros for p in pieces):
                continue  # not an abbreviation made of known strings
            abbrev = "".join(p[1:-1] if p.startswith('"') else macros[p] for p in pieces)
            experts[abbrev] = (match.group("group"), match.group("severity"))
    return experts


# --- The plugin's share -------------------------------------------------------------------

def collect(plugin_fields, stock_fields, plugin_values, experts_in_source):
    """Everything the document says, from tshark's listings and the ei tables."""
    stock_protocols, stock_list = parse_fields(stock_fields)
    protocols, field_list = parse_fields(plugin_fields)
    stock_lines = {f["line"] for f in stock_list}
    new = [f for f in field_list if f["line"] not in stock_lines]
    if not new:
        raise RuntimeError("tshark lists no field with the plugin that it does not list "
                           "without it: was newmail.so built for this Wireshark?")
    own_protocols = sorted({f["protocol"] for f in new} |
                           {p for p in protocols if p not in stock_protocols})
    mine = [f for f in field_list if f["protocol"] in own_protocols]
    kept = {f["abbrev"] for f in mine if f["line"] in stock_lines}

    values_all = parse_values(plugin_values)
    values = {}
    for abbrev in {f["abbrev"] for f in mine}:
        if abbrev in values_all:
            values[abbrev] = values_all[abbrev]

    experts, fields, problems = [], [], []
    listed_experts = set()
    for field in mine:
        if field["abbrev"] in experts_in_source:
            group, severity = experts_in_source[field["abbrev"]]
            if field["type"] != "FT_NONE" or field["blurb"]:
                problems.append(f"{field['abbrev']} is an expert info in the sources, "
                                f"but tshark lists it as an ordinary field")
            experts.append({"abbrev": field["abbrev"], "protocol": field["protocol"],
                            "summary": field["name"],
                            "group": GROUPS.get(group, group),
                            "severity": SEVERITIES.get(severity, severity)})
            listed_experts.add(field["abbrev"])
        else:
            if field["type"] == "FT_NONE" and not field["blurb"] and field["abbrev"] not in kept:
                problems.append(f"{field['abbrev']}: tshark lists it without a description "
                                f"and no ei_register_info table of the sources names it")
            fields.append(field)
    own_experts = {a for a in experts_in_source
                   if a.split(".", 1)[0] in own_protocols}
    for abbrev in sorted(own_experts - listed_experts):
        problems.append(f"{abbrev}: registered in the sources, but tshark does not list it")
    return {"protocols": [(p, protocols[p]) for p in own_protocols],
            "fields": fields, "experts": experts, "values": values, "kept": kept,
            "problems": problems}


# --- Markdown -------------------------------------------------------------------------------

def _cell(text):
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text):
    return f"`{text}`"


def _type(field):
    kind = TYPES.get(field["type"], field["type"])
    mask = field["bitmask"]
    if mask not in ("", "0x0", "0"):
        kind += f", mask {mask}"
    return kind


def _values(pairs):
    if not pairs:
        return ""
    shown = ", ".join(f"{value} = {string}" for value, string in pairs)
    return f" (values: {shown})"


def render(data):
    out = []
    w = out.append
    w("# Fields and expert infos")
    w("")
    w("<!-- Generated by scripts/gen-fields-doc.py from `tshark -G fields` and `tshark -G values`")
    w("     with the plugin loaded. Do not edit: change the registrations, then run")
    w("     scripts/gen-fields-doc.py --plugin BUILD/newmail.so. test_docs fails when this")
    w("     file differs from what the script writes. -->")
    w("")
    w("Every protocol, display filter field and expert info the plugin registers, as")
    w("tshark lists them with the plugin loaded (`tshark -G fields`, `tshark -G values`).")
    w("Every field and every expert info is a display filter: `newmail.signal == 2`,")
    w("`newmail.not_fetched`, `mapihttp.request_type == \"Execute\"`. Expert infos'")
    w("group and severity are read from the plugin's `ei_register_info` tables, as")
    w("tshark does not print them. Fields are sorted by name; what each shows, and on")
    w("which frames, is in [decoding.md](decoding.md).")
    w("")
    w("## Protocols")
    w("")
    w("| filter | name |")
    w("|---|---|")
    for abbrev, name in data["protocols"]:
        w(f"| {_code(abbrev)} | {_cell(name)} |")
    w("")
    if data["kept"]:
        kept = ", ".join(_code(a) for a in sorted(data["kept"]))
        w("Wireshark has its own `newmail` protocol; the plugin takes it over and keeps its")
        w(f"field {kept}, listed below with the plugin's own.")
        w("")
    for abbrev, name in data["protocols"]:
        fields = sorted((f for f in data["fields"] if f["protocol"] == abbrev),
                        key=lambda f: f["abbrev"])
        experts = sorted((e for e in data["experts"] if e["protocol"] == abbrev),
                         key=lambda e: e["abbrev"])
        w(f"## {_cell(name)} (`{abbrev}`)")
        w("")
        if fields:
            w(f"{len(fields)} field{'s' if len(fields) != 1 else ''}:")
            w("")
            w("| field | type | name | description |")
            w("|---|---|---|---|")
            for field in fields:
                description = field["blurb"] + _values(data["values"].get(field["abbrev"]))
                if field["abbrev"] in data["kept"]:
                    description += " (Wireshark's own field, kept)"
                w(f"| {_code(field['abbrev'])} | {_cell(_type(field))} | {_cell(field['name'])} "
                  f"| {_cell(description.strip())} |")
            w("")
        if experts:
            w(f"{len(experts)} expert info{'s' if len(experts) != 1 else ''}:")
            w("")
            w("| expert info | severity | group | summary |")
            w("|---|---|---|---|")
            for expert in experts:
                w(f"| {_code(expert['abbrev'])} | {expert['severity']} | {expert['group']} "
                  f"| {_cell(expert['summary'])} |")
            w("")
    return "\n".join(out)


def generate(plugin=None):
    """The text of docs/fields.md, from tshark with and without the plugin.

    plugin: the newmail.so to load; None uses $NEWMAIL_PLUGIN (as under CTest).
    Raises RuntimeError when tshark's listing and the sources disagree.
    """
    harness = _harness()
    if plugin:
        harness.use_plugin(plugin)
    listings = {}
    for report, with_plugin in (("fields", True), ("fields", False), ("values", True)):
        out, _err, _rc = harness.run(["-G", report], plugin=with_plugin)
        listings[(report, with_plugin)] = out
    data = collect(listings[("fields", True)], listings[("fields", False)],
                   listings[("values", True)], source_experts())
    if data["problems"]:
        raise RuntimeError("tshark's listing and the sources disagree:\n  " +
                           "\n  ".join(data["problems"]))
    return render(data) + "\n"


def _default_plugin():
    for build in ("build", "build-test"):
        path = os.path.join(SOURCE_DIR, build, "newmail.so")
        if os.path.exists(path):
            return path
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin", help="the built newmail.so (default: build/newmail.so, "
                                         "else build-test/newmail.so)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="where to write (default: docs/fields.md)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff when the file differs")
    args = parser.parse_args()
    plugin = args.plugin or os.environ.get("NEWMAIL_PLUGIN") or _default_plugin()
    if not plugin or not os.path.exists(plugin):
        parser.error("no newmail.so: build it first (cmake --build build) or give --plugin")
    text = generate(os.path.abspath(plugin))
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as current:
                old = current.read()
        except FileNotFoundError:
            old = ""
        if old == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), text.splitlines(True), args.output, "generated"))
        return 1
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
