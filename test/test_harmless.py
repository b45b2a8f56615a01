# SPDX-License-Identifier: GPL-2.0-or-later
"""Harmless to the rest: the plugin changes nothing but what is its own.

For every generated capture, tshark reads it in two passes (-2) with the
plugin and without it (stock), once as PDML and once as the summary columns
(-T fields -e _ws.col.*). Then, frame by frame:

  - a NEWMAIL notification (one the manifest lists under "newmail": a
    datagram to a registered callback, by PROTOCOL.md's rules) is the
    plugin's own business and is not compared; a frame the plugin makes
    NEWMAIL that the manifest does not list is compared like any other, so
    it fails;
  - an ICMP error quoting a notification (the manifest's "refusals") shows
    the NEWMAIL it quotes, as Wireshark shows any protocol inside an ICMP
    error, and is likewise not compared;
  - a frame of an EMSMDB call the plugin reads (opnums 0, 1, 2, 4, 5, 10,
    11, 14: the manifest's calls' request and response frames, or one where
    stock's PDML has the mapi protocol and such a dcerpc.opnum) whose
    operation stock decodes may differ only by the plugin's subtree: every
    PDML element whose name starts with "newmail" is removed from the
    plugin's PDML and the rest must equal stock's, attribute for attribute;
    its columns must be stock's, except that Info may end in the
    ", registers ADDRESS:PORT" and the notification types (", NewMail") the
    plugin appends;
  - a call stock does not decode (an opnum stock's MAPI lacks, shown as
    "unknown operation"; AsyncEMSMDB, which no Wireshark decodes, and the
    binds to it, where DCE/RPC now names the interface AsyncEMSMDB instead
    of "async MAPI") is the plugin's to name and is not compared;
  - every other frame must have exactly stock's PDML and columns.

Nothing in the packets' PDML differs between two runs of the same capture
(time stamps are the capture's, positions and sizes the same), so no
attribute is ignored; only the <pdml> root element, which names the time of
the run, is not compared.
"""

import re
import unittest

import tshark_harness as tshark

COLUMNS = ["_ws.col.No.", "_ws.col.Time", "_ws.col.Source", "_ws.col.Destination",
           "_ws.col.Protocol", "_ws.col.Length", "_ws.col.Info"]
INFO = COLUMNS.index("_ws.col.Info") + 1  # row[0] is frame.number
REGISTERS_SUFFIX = re.compile(r", registers (\[[0-9A-Fa-f:.]+\]|[0-9.]+):\d+")
NOTIFY_SUFFIX = re.compile(r"(, (NewMail|ObjectCreated|ObjectDeleted|ObjectModified|ObjectMoved"
                           r"|ObjectCopied|SearchComplete|TableModified|Extended))+$")
PLUGIN_OPNUMS = {0, 1, 2, 4, 5, 10, 11, 14}


def is_plugins(element):
    return element.get("name", "").startswith("newmail")


def without_plugin_elements(element):
    """A copy of element's tree with every element named newmail* removed."""
    copy = element.makeelement(element.tag, dict(element.attrib))
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        if not is_plugins(child):
            copy.append(without_plugin_elements(child))
    return copy


def first_difference(mine, stock, path=""):
    """Where two PDML elements differ first, as text; None when they are equal."""
    here = f"{path}/{mine.tag}[{mine.get('name', '')}]"
    if mine.tag != stock.tag or mine.attrib != stock.attrib:
        return (f"{here}: with the plugin {mine.tag} {dict(mine.attrib)}\n"
                f"  stock {stock.tag} {dict(stock.attrib)}")
    mine_children, stock_children = list(mine), list(stock)
    for mine_child, stock_child in zip(mine_children, stock_children):
        difference = first_difference(mine_child, stock_child, here)
        if difference:
            return difference
    if len(mine_children) != len(stock_children):
        extra = (mine_children[len(stock_children):] if len(mine_children) > len(stock_children)
                 else stock_children[len(mine_children):])
        return (f"{here}: {len(mine_children)} children with the plugin, {len(stock_children)} "
                f"stock; first extra: {extra[0].tag} {dict(extra[0].attrib)}")
    return None


def frame_number(packet):
    for field in packet.iter("field"):
        if field.get("name") == "num":
            return int(field.get("show"))
    raise AssertionError("a PDML packet without geninfo.num")


def is_plugin_call(stock_packet):
    """A MAPI frame of an opnum the plugin reads, judged from stock's decode alone."""
    if not any(p.get("name") == "mapi" for p in stock_packet.iter("proto")):
        return False
    return any(f.get("name") == "dcerpc.opnum" and int(f.get("show")) in PLUGIN_OPNUMS
               for f in stock_packet.iter("field"))


def manifest_frames(name):
    """(frames with NEWMAIL: notifications and the ICMP errors quoting them,
    frames of the calls the plugin reads) by the manifest."""
    entry = tshark.manifest()["scenarios"][name]
    notifications = {n["frame"] for n in entry["newmail"]}
    notifications |= {r["frame"] for r in entry.get("refusals", [])}
    plugin_calls = set()
    for call in entry["calls"]:
        if call.get("interface", "emsmdb") == "emsmdb" and call["opnum"] not in PLUGIN_OPNUMS:
            continue
        plugin_calls.update(call["request_frames"])
        plugin_calls.update(f for f in (call["request_frame"], call["response_frame"]) if f)
    return notifications, plugin_calls


def columns(capture, plugin):
    rows = tshark.fields(capture, COLUMNS, plugin=plugin, two_pass=True)
    return {int(row[0]): row for row in rows}


def compare_capture(name):
    """Compare one capture with and without the plugin.

    Returns (counts, problems): how many frames were compared in each way
    (None when the two decodes do not even have the same frames), and a
    description of every frame that differs where it must not (empty when
    the plugin is harmless on this capture).
    """
    counts = {"identical": 0, "push_calls": 0, "push_calls_with_subtree": 0,
              "notifications": 0, "plugin_named": 0}
    problems = []
    mine_pdml = {frame_number(p): p for p in tshark.pdml(name, two_pass=True)}
    stock_pdml = {frame_number(p): p for p in tshark.pdml(name, plugin=False, two_pass=True)}
    mine_cols = columns(name, plugin=True)
    stock_cols = columns(name, plugin=False)
    if sorted(mine_pdml) != sorted(stock_pdml) or sorted(mine_cols) != sorted(stock_cols):
        return None, [f"{name}: frame numbers differ: PDML {sorted(mine_pdml)} with the "
                        f"plugin, {sorted(stock_pdml)} stock; columns {sorted(mine_cols)} "
                        f"with the plugin, {sorted(stock_cols)} stock"]
    notifications, plugin_calls = manifest_frames(name)
    for number in sorted(stock_pdml):
        mine, stock = mine_pdml[number], stock_pdml[number]
        where = f"{name} frame {number}"
        if number in notifications:
            counts["notifications"] += 1
            continue
        if tshark.plugin_named(stock, mine):
            counts["plugin_named"] += 1
            continue
        if number in plugin_calls or is_plugin_call(stock):
            counts["push_calls"] += 1
            if any(is_plugins(e) for e in mine.iter()):
                counts["push_calls_with_subtree"] += 1
            difference = first_difference(without_plugin_elements(mine), stock)
            if difference:
                problems.append(f"{where} (a call the plugin reads, newmail* removed): "
                                f"{difference}")
            mine_row = list(mine_cols[number])
            mine_row[INFO] = NOTIFY_SUFFIX.sub("", REGISTERS_SUFFIX.sub("", mine_row[INFO], count=1))
            if mine_row != stock_cols[number]:
                problems.append(f"{where} (a call the plugin reads): columns differ beyond"
                                f" ', registers ...' and notification types:"
                                f"\n  with the plugin {mine_row}\n  stock {stock_cols[number]}")
            continue
        counts["identical"] += 1
        difference = first_difference(mine, stock)
        if difference:
            problems.append(f"{where}: {difference}")
        if mine_cols[number] != stock_cols[number]:
            problems.append(f"{where}: columns differ:\n  with the plugin {mine_cols[number]}"
                            f"\n  stock {stock_cols[number]}")
    return counts, problems


class _Harmless:
    """Each test stands alone: the comparison runs once, for the class, over
    every other capture of the manifest (PART 0 or 1), so that the two halves
    run side by side (test/CMakeLists.txt splits the module by class)."""

    PART = None

    @classmethod
    def setUpClass(cls):
        # capture name -> (counts, problems); a tshark run that fails (stderr,
        # exit status) is that capture's problem, reported by its subtest.
        cls.results = {}
        for name in sorted(tshark.manifest()["scenarios"])[cls.PART::2]:
            try:
                cls.results[name] = compare_capture(name)
            except AssertionError as error:
                cls.results[name] = (None, [f"{name}: {error}"])

    def test_every_capture(self):
        self.assertTrue(self.results, "the manifest names no captures")
        for name, (_counts, problems) in self.results.items():
            with self.subTest(capture=name):
                if problems:
                    self.fail(f"{len(problems)} difference(s), the first ones:\n"
                              + "\n".join(problems[:5]))

    def test_not_vacuous(self):
        """Every capture was compared, and each way of comparing saw many frames."""
        compared = [counts for counts, _ in self.results.values() if counts is not None]
        totals = {key: sum(counts[key] for counts in compared) for key in
                  ("identical", "push_calls", "push_calls_with_subtree", "notifications")}
        totals["captures"] = len(compared)
        print(f"\nharmless, part {self.PART}: {totals}")
        self.assertEqual(totals["captures"],
                         len(sorted(tshark.manifest()["scenarios"])[self.PART::2]))
        self.assertGreater(totals["identical"], 50)
        self.assertGreater(totals["push_calls_with_subtree"], 5)
        self.assertGreater(totals["notifications"], 5)


class EvenCaptures(_Harmless, unittest.TestCase):
    PART = 0


class OddCaptures(_Harmless, unittest.TestCase):
    PART = 1


if __name__ == "__main__":
    unittest.main()
