#!/usr/bin/env python3
"""test_table - issue 12, table views: snmp.table and snmpmgrctl table.

ifTable of a local Net-SNMP snmpd, cell by cell against Net-SNMP's own
snmptable loading the same MIB files; a sparse table (missing cells,
columns ending at different rows, a column with no cell) served by a
FakeAgent under SNMPMGR-TEST-MIB, walked with GetBulk, GetNext and
through tooBig.  MIB files as in test_mib (npm pack net-snmp).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ber import ber_int, tlv  # noqa: E402
from fakeagent import FakeAgent  # noqa: E402
from snmptest import Daemon, Snmpd  # noqa: E402
from test_mib import MODULES, NET_SNMP_MIBS, TEST_MIBS, mib_cache, \
    ns_tool  # noqa: E402

ENTRY = (1, 3, 6, 1, 4, 1, 99999, 1, 2, 1)
ROWS = [(1, "a"), (2, "bc"), (3, "d")]


def cell(col, idx, name, value):
    return (ENTRY + (col, idx, len(name)) + tuple(name.encode()), value)


def sparse_objects():
    objs = {}
    for idx, name in ROWS:                      # tstState: every row
        objs.update([cell(3, idx, name, ber_int(idx))])
    for idx, name in (ROWS[0], ROWS[2]):        # tstAddr: not row 2
        objs.update([cell(4, idx, name, tlv(0x04, bytes([0, 0x1a, idx])))])
    objs.update([cell(5, 1, "a", ber_int(215))])  # tstTemp: row 1 only
    # tstWhen (6): no cell at all; then an object past the table
    objs[(1, 3, 6, 1, 4, 1, 99999, 1, 3, 0)] = ber_int(7)
    return objs


class SparseTable(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.agent = FakeAgent(objects=sparse_objects())
        cls.d = Daemon({
            "mibs": {"dirs": [mib_cache(), TEST_MIBS],
                     "modules": ["SNMPv2-TC", "SNMPMGR-TEST-MIB"]},
            "polls": {"tp": {"table": "SNMPMGR-TEST-MIB::tstTable",
                             "columns": ["tstAddr", "tstState"],
                             "interval": "1h"}},
            "sessions": {"f": cls.agent.target(polls=["tp"])},
        })

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.agent.close()

    def table(self, **params):
        p = {"session": "f", "table": "SNMPMGR-TEST-MIB::tstTable"}
        p.update(params)
        r = self.d.rpc("snmp.table", p, timeout=30)
        self.assertIn("result", r, r)
        return r["result"]

    def check_rows(self, res):
        self.assertEqual([c["name"] for c in res["columns"]],
                         ["tstState", "tstAddr", "tstTemp", "tstWhen"])
        rows = res["rows"]
        self.assertEqual([r["index"] for r in rows],
                         [{"tstIndex": i, "tstName": n} for i, n in ROWS])
        self.assertEqual([r["suffix"] for r in rows],
                         ["1.1.97", "2.2.98.99", "3.1.100"])
        self.assertEqual([sorted(r["values"]) for r in rows],
                         [["tstAddr", "tstState", "tstTemp"], ["tstState"],
                          ["tstAddr", "tstState"]])
        st = rows[0]["values"]["tstState"]
        self.assertEqual((st["value"], st["enum"]), (1, "idle"))
        self.assertEqual(rows[1]["values"]["tstState"]["enum"], "busy")
        self.assertEqual(rows[2]["values"]["tstAddr"]["display"],
                         "00:1a:03")
        self.assertEqual(rows[0]["values"]["tstTemp"]["value"], 215)
        self.assertEqual(res["count"], 3)
        self.assertEqual(res["cells"], 6)

    def test_getbulk_several_columns_per_request(self):
        res = self.table()
        self.check_rows(res)
        # the four columns in one GetBulk, all of it in one answer
        self.assertEqual(res["requests"], 1)

    def test_small_repetitions_and_getnext(self):
        res = self.table(max_repetitions=2)
        self.check_rows(res)
        self.assertGreater(res["requests"], 1)
        res = self.table(use_getnext=True)
        self.check_rows(res)
        # GetNext: one answer per row step, columns together
        self.assertLessEqual(res["requests"], 4)

    def test_toobig_halves(self):
        self.agent.toobig_above = 1
        try:
            res = self.table(max_repetitions=8)
        finally:
            self.agent.toobig_above = None
        self.check_rows(res)

    def test_some_columns_by_name_and_oid(self):
        res = self.table(columns=["tstTemp", "1.3.6.1.4.1.99999.1.2.1.3"])
        self.assertEqual([c["name"] for c in res["columns"]],
                         ["tstTemp", "tstState"])
        self.assertEqual([sorted(r["values"]) for r in res["rows"]],
                         [["tstState", "tstTemp"], ["tstState"],
                          ["tstState"]])

    def test_table_poll(self):
        self.d.rpc("poll.run", {"session": "f", "poll": "tp"}, timeout=30)
        res = self.d.rpc("poll.results", {"session": "f", "poll": "tp"},
                         timeout=30)["result"]
        p = res["polls"][0]
        self.assertEqual(p["kind"], "table")
        self.assertEqual(p["count"], 5)
        rows = p["rows"]
        self.assertEqual([r["index"] for r in rows],
                         [{"tstIndex": i, "tstName": n} for i, n in ROWS])
        self.assertEqual([sorted(r["values"]) for r in rows],
                         [["tstAddr", "tstState"], ["tstState"],
                          ["tstAddr", "tstState"]])
        self.assertEqual(rows[2]["values"]["tstState"]["enum"], "broken")

    def test_table_poll_config_errors(self):
        for poll, text in (
                ({"table": "tstState", "interval": "1h"}, "not a table"),
                ({"table": "tstTable", "columns": ["tstCount"],
                  "interval": "1h"}, "not a column"),
                ({"walk": ["tstTable"], "columns": ["tstState"],
                  "interval": "1h"}, "needs a \"table\""),
                ({"walk": ["tstTable"], "table": "tstTable",
                  "interval": "1h"}, "not both")):
            conf = os.path.join(tempfile.mkdtemp(), "c.json")
            with open(conf, "w") as f:
                json.dump({"mibs": {"dirs": [mib_cache(), TEST_MIBS],
                                    "modules": ["SNMPv2-TC",
                                                "SNMPMGR-TEST-MIB"]},
                           "polls": {"p": poll}}, f)
            r = subprocess.run([self.d.prog, "-t", "-c", conf],
                               capture_output=True, text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0, poll)
            self.assertIn(text, r.stderr)

    def test_errors(self):
        for p, text in (({"table": "tstState"}, "not a table"),
                        ({"table": "noSuchThing"}, "noSuchThing"),
                        ({"columns": ["sysDescr"]}, "sysDescr")):
            q = {"session": "f", "table": "tstTable"}
            q.update(p)
            err = self.d.rpc("snmp.table", q)["error"]
            self.assertEqual(err["code"], -32602, err)
            self.assertIn(text, err["message"])

    def test_ctl_text_and_json(self):
        r = self.d.ctl("table", "f", "tstTable")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "SNMP table: SNMPMGR-TEST-MIB::tstTable", "",
            "tstState  tstAddr tstTemp tstWhen",
            "    idle 00:1a:01    21.5       ?",
            "    busy        ?       ?       ?",
            "  broken 00:1a:03       ?       ?"])
        r = self.d.ctl("table", "-Cf", ",", "-Ci", "-CH", "f", "tstTable",
                       "tstState")
        self.assertEqual(r.stdout.splitlines(), [
            '1."a",idle', '2."bc",busy', '3."d",broken'])
        rows = self.d.ctl_json("table", "f", "tstTable")
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[1]["index"], {"tstIndex": 2, "tstName": "bc"})


class IfTable(unittest.TestCase):
    """ifTable against snmptable on the same agent and MIB files."""

    def start(self, **polls):
        """The MIB directories, an snmpd and a daemon with session "a"
        (polling polls, name: definition), stopped after the test."""
        if not os.path.isdir(NET_SNMP_MIBS):
            raise unittest.SkipTest("libsnmp-base MIBs not installed")
        dirs = [mib_cache(), NET_SNMP_MIBS, TEST_MIBS]
        agent = Snmpd(stable_view=True)
        self.addCleanup(agent.close)
        cfg = {"mibs": {"dirs": dirs, "modules": MODULES},
               "sessions": {"a": agent.target(timeout="3s")}}
        if polls:
            cfg["polls"] = polls
            cfg["sessions"]["a"]["polls"] = list(polls)
        d = Daemon(cfg)
        self.addCleanup(d.close)
        return dirs, agent, d

    def test_same_as_snmptable(self):
        dirs, agent, d = self.start()
        theirs = ns_tool("snmptable", dirs, MODULES, "-v2c", "-c",
                         "public", "-Cf", "\t", "-Ci", "-CH",
                         agent.addr, "IF-MIB::ifTable")
        self.assertEqual(theirs.returncode, 0, theirs.stderr)
        r = d.ctl("table", "-Cf", "\t", "-Ci", "-CH", "a",
                  "IF-MIB::ifTable")
        self.assertEqual(r.returncode, 0, r.stderr)
        ours = [l.split("\t") for l in r.stdout.splitlines()]
        them = [l.split("\t") for l in theirs.stdout.splitlines()]
        self.assertGreater(len(them), 0)
        self.assertEqual(len(ours), len(them))
        diff = [(i, j, a, b) for i, (ro, rt) in enumerate(zip(ours, them))
                for j, (a, b) in enumerate(zip(ro, rt))
                if a != norm(b)]
        self.assertEqual(diff, [])
        self.assertEqual([len(x) for x in ours], [len(x) for x in them])

    def test_table_poll_rows_carry_the_rates(self):
        # poll.results' rows hold the same values as its varbinds,
        # grouped by row: the counters' rates too.
        _, _, d = self.start(ift={"table": "IF-MIB::ifTable",
                                  "columns": ["ifDescr", "ifInOctets"],
                                  "rate": True, "interval": "7d"})
        for _ in range(2):
            res = d.call("poll.run", {"session": "a", "poll": "ift"},
                         timeout=30)["polls"][0]
            self.assertIsNone(res["error"], res)
        counters = [vb for vb in res["varbinds"]
                    if vb["type"] == "Counter32"]
        self.assertGreater(len(counters), 0, res)
        self.assertTrue(all("rate" in vb for vb in counters), counters)
        cells = {vb["oid"]: vb for row in res["rows"]
                 for vb in row["values"].values()}
        for vb in res["varbinds"]:
            self.assertEqual(cells[vb["oid"]], vb)

def norm(theirs):
    """Net-SNMP prints a "1x:" hint's octets without leading zeros
    ("0:1a:3"); we print each octet with two digits, as RFC 2579 3.1
    says for "x"."""
    parts = theirs.split(":")
    if len(parts) == 6 and all(0 < len(p) <= 2 and
                               all(c in "0123456789abcdef" for c in p)
                               for p in parts):
        return ":".join(p.rjust(2, "0") for p in parts)
    return theirs


if __name__ == "__main__":
    unittest.main()
