#!/usr/bin/env python3
"""test_rates - issue 12, counter rates: polls that ask for rates report,
for each Counter32/Counter64, the increase per second since the poll's
previous sample, and a discontinuity instead when the agent restarted
(sysUpTime went backwards), its SNMPv3 engine rebooted (engineBoots) or an
interface's counters were reset (ifCounterDiscontinuityTime).

The agents are fakeagent.py and fakeagent_v3.py serving values the test
changes between polls: a Counter32 that wraps, a Counter64 above 2^53.
Rates are checked exactly against the known increments and the interval
the daemon reports for the sample (rate_interval_ms), itself checked
against the sample times it reports.
"""

import calendar
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import Daemon  # noqa: E402
from ber import COUNTER32, COUNTER64, GAUGE32, TIMETICKS  # noqa: E402
from fakeagent import FakeAgent, oid_arcs  # noqa: E402
from fakeagent_v3 import FakeV3Agent  # noqa: E402

UPTIME = "1.3.6.1.2.1.1.3.0"
C32 = "1.3.6.1.4.1.99999.2.1.0"
C64 = "1.3.6.1.4.1.99999.2.2.0"
GAUGE = "1.3.6.1.4.1.99999.2.3.0"
NORATE = "1.3.6.1.4.1.99999.2.4.0"      # a counter asked without rate
IF_IN3 = "1.3.6.1.2.1.2.2.1.10.3"       # ifInOctets.3
IFX = "1.3.6.1.2.1.31.1.1.1"            # ifXEntry
HC3 = IFX + ".6.3"                      # ifHCInOctets.3
HC4 = IFX + ".6.4"
DISC3 = IFX + ".19.3"                   # ifCounterDiscontinuityTime.3
DISC4 = IFX + ".19.4"
TYPES = {UPTIME: TIMETICKS, C32: COUNTER32, C64: COUNTER64,
         GAUGE: GAUGE32, NORATE: COUNTER32, IF_IN3: COUNTER32,
         HC3: COUNTER64, HC4: COUNTER64, DISC3: TIMETICKS,
         DISC4: TIMETICKS}
COUNTERS = (C32, C64, IF_IN3, HC3, HC4)


def parse_time(s):
    """ms since the epoch of "2026-...T..:..:...mmmZ"."""
    t = time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(s[20:23])


def digits15(x):
    """x as the daemon writes a real: 15 significant digits."""
    return float("%.15g" % x)


def value(vb):
    return int(vb["value"])


class Base(unittest.TestCase):

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.sub.close()
        self.d.close()
        self.agent.close()

    def set(self, **vals):
        for k, v in vals.items():
            oid = globals()[k]
            self.agent.values[oid_arcs(oid)] = (TYPES[oid], v)

    def bump(self, **incs):
        for k, inc in incs.items():
            oid = globals()[k]
            tag, v = self.agent.values[oid_arcs(oid)]
            mod = 2 ** 64 if tag == COUNTER64 else 2 ** 32
            self.agent.values[oid_arcs(oid)] = (tag, (v + inc) % mod)

    def subscribe(self):
        self.sub = self.d.connect()
        self.sub.call("events.subscribe", {"events": ["response"],
                                           "sessions": ["fake"]})

    def event(self, poll):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = self.sub.read_msg(deadline - time.monotonic())
            p = m.get("params", {})
            if m.get("method") == "event" and p.get("poll") == poll:
                return p
        self.fail("no response event for " + poll)

    def run_poll(self, poll="r"):
        """Run the poll now: its result (poll.results form) with the
        varbinds by OID, after checking the response event says the
        same; the previous result's sample time is checked against the
        interval the rates cover."""
        res = self.d.call("poll.run", {"session": "fake", "poll": poll},
                          timeout=20)["polls"][0]
        self.assertIsNone(res["error"])
        ev = self.event(poll)
        self.assertEqual(ev["varbinds"], res["varbinds"])
        self.assertEqual(ev.get("rate_interval_ms"),
                         res.get("rate_interval_ms"))
        prev = self.last.get(poll)
        if res.get("rate_interval_ms") is not None and prev is not None:
            # The interval is that between the reported sample times
            # (ms there, µs here: the same clock reading within 2 ms).
            dt = parse_time(res["time"]) - parse_time(prev["time"])
            self.assertLess(abs(res["rate_interval_ms"] - dt), 3)
        self.last[poll] = res
        res["by"] = {vb["oid"]: vb for vb in res["varbinds"]}
        return res

    def assert_rate(self, res, oid, delta):
        vb = res["by"][oid]
        us = round(res["rate_interval_ms"] * 1000)
        self.assertGreater(us, 0)
        self.assertNotIn("discontinuity", vb)
        # Exactly, to the 15 digits the daemon writes of a real: the
        # integer increase over the reported interval.
        self.assertEqual(vb["rate"], digits15(delta / (us / 1e6)), vb)

    def ctl_lines(self, poll):
        """snmpmgrctl results: the line of each OID."""
        out = subprocess.run([self.d.ctlprog, "-s", self.d.sock, "results",
                              "fake", poll], capture_output=True, text=True,
                             timeout=20, check=True).stdout
        return out, {ln.split(" = ")[0].lstrip("."): ln
                     for ln in out.splitlines() if " = " in ln}

    def assert_no_rate(self, res, oid):
        self.assertNotIn("rate", res["by"][oid])
        self.assertNotIn("discontinuity", res["by"][oid])

    def assert_disc(self, res, oid, reason):
        vb = res["by"][oid]
        self.assertNotIn("rate", vb)
        self.assertIs(vb["discontinuity"], True)
        self.assertEqual(vb["discontinuity_reason"], reason)


class V2Rates(Base):

    def setUp(self):
        self.agent = FakeAgent(rows=1)
        self.set(UPTIME=100000, C32=2 ** 32 - 1000, C64=2 ** 60 + 5,
                 GAUGE=5, NORATE=10, IF_IN3=7000, HC3=2 ** 55,
                 HC4=2 ** 63 + 11, DISC3=0, DISC4=0)
        self.last = {}
        self.d = Daemon({
            "log": {"level": "info"},
            "polls": {
                # 7 days: the scheduler runs neither during the test.
                "r": {"get": [UPTIME, C32, C64, GAUGE,
                              {"oid": NORATE, "rate": False}, IF_IN3,
                              HC3, HC4, DISC3, DISC4],
                      "rate": True, "interval": "7d"},
                "w": {"walk": [{"oid": IFX, "rate": True}],
                      "interval": "7d"},
                "plain": {"get": [C32], "interval": "7d"},
            },
            "sessions": {"fake": self.agent.target(
                polls=["r", "w", "plain"])},
        })
        self.subscribe()

    def test_rates_wrap_counter64_and_discontinuities(self):
        first = self.run_poll()
        self.assertIsNone(first["rate_interval_ms"])
        for vb in first["varbinds"]:        # a first sample: no rates
            self.assertNotIn("rate", vb)
            self.assertNotIn("discontinuity", vb)
        self.run_poll("w")

        time.sleep(0.3)
        self.bump(UPTIME=30, C32=1500, C64=3, NORATE=10, IF_IN3=1000,
                  HC3=123456789, HC4=7, GAUGE=1)
        r = self.run_poll()
        self.assertEqual(value(r["by"][C32]), 500)     # it wrapped
        self.assertEqual(value(r["by"][C64]), 2 ** 60 + 8)
        self.assert_rate(r, C32, 1500)
        self.assert_rate(r, C64, 3)     # 2^60 + 5 -> + 8: exact
        self.assert_rate(r, IF_IN3, 1000)
        self.assert_rate(r, HC3, 123456789)
        self.assert_rate(r, HC4, 7)
        for oid in (GAUGE, UPTIME, DISC3, NORATE):  # not counters / asked
            self.assert_no_rate(r, oid)
        # snmpmgrctl shows them after the values.
        out, lines = self.ctl_lines("r")
        self.assertIn("# rates over %.3f ms" % r["rate_interval_ms"], out)
        self.assertEqual(lines[C32], ".%s = Counter32: 500 (rate: %.3f/s)"
                         % (C32, r["by"][C32]["rate"]))
        self.assertEqual(lines[C64], ".%s = Counter64: %d (rate: %.3f/s)"
                         % (C64, 2 ** 60 + 8, r["by"][C64]["rate"]))
        self.assertEqual(lines[GAUGE], ".%s = Gauge32: 6" % GAUGE)
        # The walk poll has its own samples and interval.
        w = self.run_poll("w")
        self.assert_rate(w, HC3, 123456789)
        self.assert_rate(w, HC4, 7)
        self.assert_no_rate(w, DISC3)
        # A poll that does not ask has no rate fields at all.
        plain = self.run_poll("plain")
        self.assertNotIn("rate_interval_ms", plain)
        # poll.value carries the rate of its sample (the newest of C32
        # is the "plain" poll's now: no rate there).
        v = self.d.call("poll.value", {"session": "fake", "oid": HC3})
        self.assertIn(v["poll"], ("r", "w"))
        self.assertIn("rate", v)
        self.assertIn("rate_interval_ms", v)
        self.assertEqual(v["rate"], digits15(
            123456789 / (round(v["rate_interval_ms"] * 1000) / 1e6)))

        # The agent restarted: sysUpTime went backwards.  Counters restart
        # low too; without the discontinuity that would look like a wrap.
        time.sleep(0.2)
        self.set(UPTIME=40, C32=20, IF_IN3=5, HC3=9, HC4=1)
        r = self.run_poll()
        self.assertIsNone(r["rate_interval_ms"])
        for oid in COUNTERS:
            self.assert_disc(r, oid, "sysUpTime")
        self.assert_no_rate(r, GAUGE)
        self.assert_no_rate(r, NORATE)
        out, lines = self.ctl_lines("r")
        self.assertNotIn("# rates over", out)
        self.assertTrue(lines[C32].endswith(
            "Counter32: 20 (discontinuity: sysUpTime)"), lines[C32])

        # Rates again from the restarted values.
        time.sleep(0.2)
        self.bump(UPTIME=25, C32=2000, C64=2 ** 20, IF_IN3=1, HC3=2, HC4=3)
        r = self.run_poll()
        self.assert_rate(r, C32, 2000)
        self.assert_rate(r, C64, 2 ** 20)
        self.assert_rate(r, HC4, 3)
        self.run_poll("w")

        # Interface 3's counters were reset (its discontinuity time
        # changed); interface 4's and the others go on.
        time.sleep(0.2)
        self.bump(UPTIME=25, C32=77, IF_IN3=3, HC4=11)
        self.set(DISC3=140, HC3=4)
        r = self.run_poll()
        self.assert_disc(r, IF_IN3, "ifCounterDiscontinuityTime")
        self.assert_disc(r, HC3, "ifCounterDiscontinuityTime")
        self.assert_rate(r, HC4, 11)
        self.assert_rate(r, C32, 77)
        self.assert_rate(r, C64, 0)
        w = self.run_poll("w")
        self.assert_disc(w, HC3, "ifCounterDiscontinuityTime")
        self.assert_rate(w, HC4, 11)

        # poll.reset forgets the samples: the next one is a first one.
        self.d.call("poll.reset", {"session": "fake"})
        r = self.run_poll()
        self.assertIsNone(r["rate_interval_ms"])
        for oid in COUNTERS:
            self.assert_no_rate(r, oid)


    def test_reload_keeps_or_restarts_rates(self):
        self.run_poll()
        time.sleep(0.2)
        self.bump(UPTIME=20, C32=40)
        self.d.write_config()
        self.d.call("daemon.reload")
        r = self.run_poll()             # unchanged: the sample stayed
        self.assert_rate(r, C32, 40)
        # C32 no longer asked: the poll changed, its samples start over.
        cfg = self.d.config
        cfg["polls"]["r"]["get"][1] = {"oid": C32, "rate": False}
        self.d.write_config(cfg)
        self.d.call("daemon.reload")
        time.sleep(0.2)
        self.bump(UPTIME=20, C32=40, C64=1)
        r = self.run_poll()
        self.assertIsNone(r["rate_interval_ms"])
        self.assert_no_rate(r, C64)
        time.sleep(0.2)
        self.bump(UPTIME=20, C32=40, C64=1)
        r = self.run_poll()
        self.assert_no_rate(r, C32)
        self.assert_rate(r, C64, 1)


class V3Rates(Base):

    def setUp(self):
        self.agent = FakeV3Agent(time_reports=True)
        self.set(C32=2 ** 32 - 3, C64=2 ** 62)
        self.last = {}
        self.d = Daemon({
            "log": {"level": "info"},
            "polls": {"r": {"get": [C32, C64], "rate": True,
                            "interval": "7d"}},
            "sessions": {"fake": self.agent.target(polls=["r"],
                                                   timeout="2s")},
        })
        self.subscribe()

    def test_engine_boots_change_is_a_discontinuity(self):
        self.run_poll()
        time.sleep(0.2)
        self.bump(C32=10, C64=2 ** 40 + 1)
        r = self.run_poll()
        self.assert_rate(r, C32, 10)
        self.assert_rate(r, C64, 2 ** 40 + 1)
        # The agent restarts: boots + 1.  Its counters do not even look
        # reset (a Counter32 that went down would pass for a wrap).
        time.sleep(0.2)
        self.agent.reboot()
        self.bump(C32=5, C64=5)
        r = self.run_poll()
        self.assertIsNone(r["rate_interval_ms"])
        self.assert_disc(r, C32, "engineBoots")
        self.assert_disc(r, C64, "engineBoots")
        self.assertGreaterEqual(
            self.agent.reports.get("usmStatsNotInTimeWindows", 0), 1)
        time.sleep(0.2)
        self.bump(C32=6, C64=7)
        r = self.run_poll()
        self.assert_rate(r, C32, 6)
        self.assert_rate(r, C64, 7)


if __name__ == "__main__":
    unittest.main()
