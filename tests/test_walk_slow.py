#!/usr/bin/env python3
"""test_walk_slow - an adaptive walk against an agent too slow to answer
large GetBulk requests in time.

A real Net-SNMP snmpd serves a table of a few hundred objects (the VACM
view table, filled by the config, so nothing in it moves).  Between it and
snmpmgrd sits SlowProxy, a small UDP relay that holds back every answer
carrying more than SLOW_ABOVE varbinds until well after the session's
timeout, as an agent slow on large answers would.  A walk without its own
max_repetitions grows its GetBulk size while answers come back full; the
first one past SLOW_ABOVE times out, and its retry must ask for fewer
repetitions (half) instead of sending the same request again: the walk
then completes within the session's retries with every object snmpd has
(compared with snmpbulkwalk straight to snmpd), and the session's next
walk does not grow past what came in time.

A table walk asks for all its columns at once, one repetition each at
least: against a relay that holds back answers of more than a few
varbinds, its request times out even at one repetition, and the retry
must ask for half the columns instead (then half again), the table come
out as snmptable straight to snmpd prints it, and the session's next
table walks ask for no more columns than came in time (session.show's
"walk" says how many, and for how many walks).
A walk poll with its own max_repetitions asks that in every GetBulk (it
does not adapt), and a session whose max_repetitions is changed at run
time starts its next walk from the new value, not from where its last
walk ended.
Standard library only (the MIB modules as in test_mib).
"""

import os
import select
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from ber import ber_read, ber_read_all, int_of  # noqa: E402
from snmptest import Daemon, Snmpd, net_snmp, parse_net_snmp  # noqa: E402
from test_mib import MODULES, NET_SNMP_MIBS, TEST_MIBS, mib_cache, \
    ns_tool  # noqa: E402

VIEW_TABLE = "1.3.6.1.6.3.16.1.5.2"     # vacmViewTreeFamilyTable
VIEWS = 60                              # rows, 5 readable columns each
SLOW_ABOVE = 30                         # varbinds an answer may carry
TIMEOUT_S = 2                           # the session's, per try
LATE_S = 2.5 * TIMEOUT_S                # how late a large answer comes


def pdu_of(msg):
    """(PDU tag, [its integers], varbind count) of a v1/v2c message."""
    _, body, _ = ber_read(msg)
    parts = ber_read_all(body)
    tag, pdu = parts[2]
    fields = ber_read_all(pdu)
    ints = [int_of(v) for _, v in fields[:3]]
    return tag, ints, len(ber_read_all(fields[3][1]))


def view_table(snmpd):
    """What snmpd has in VIEW_TABLE, straight from it (the table ends
    snmpd's MIB: snmpbulkwalk prints the endOfMibView that ends it as a
    line)."""
    return [vb for vb in parse_net_snmp(net_snmp(
        "snmpbulkwalk", "-v2c", "-c", "public", "-Cr10",
        snmpd.addr, VIEW_TABLE)) if vb[1] != "endOfMibView"]


class SlowProxy:
    """A UDP relay in front of an agent: answers with more than `most`
    varbinds reach the manager `late` seconds after the agent sent them.
    .bulk_reps: the max-repetitions of each GetBulk relayed, in order;
    .req_vbs: the varbind count of each request relayed, in order;
    .held: answers held back."""

    def __init__(self, agent_port, most, late):
        self.agent = ("127.0.0.1", agent_port)
        self.most = most
        self.late = late
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.manager = None
        self.bulk_reps = []
        self.req_vbs = []
        self.held = 0
        self.later = []                 # (when, datagram)
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            wait = 0.05
            now = time.monotonic()
            with self.lock:
                due = [d for t, d in self.later if t <= now]
                self.later = [(t, d) for t, d in self.later if t > now]
            for d in due:
                self.front.sendto(d, self.manager)
            r, _, _ = select.select([self.front, self.back], [], [], wait)
            if self.front in r:
                data, self.manager = self.front.recvfrom(65535)
                tag, ints, n = pdu_of(data)
                with self.lock:
                    self.req_vbs.append(n)
                    if tag == 0xA5:
                        self.bulk_reps.append(ints[2])
                self.back.sendto(data, self.agent)
            if self.back in r:
                data, _ = self.back.recvfrom(65535)
                _, _, n = pdu_of(data)
                if n > self.most:
                    with self.lock:
                        self.held += 1
                        self.later.append((time.monotonic() + self.late,
                                           data))
                else:
                    self.front.sendto(data, self.manager)

    def reps(self):
        with self.lock:
            return list(self.bulk_reps)

    def vbs(self):
        with self.lock:
            return list(self.req_vbs)

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.front.close()
        self.back.close()


class WalkSlowAgent(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        snmptest.skip_unless("snmpd", "snmpbulkwalk")
        views = ["view slow%02d included .1.3.6.1.4.1.%d" % (i, 1000 + i)
                 for i in range(VIEWS)]
        cls.snmpd = Snmpd(extra_conf=views)
        cls.proxy = SlowProxy(cls.snmpd.port, SLOW_ABOVE, LATE_S)
        cls.d = Daemon({"sessions": {"slow": cls.snmpd.target(
            port=cls.proxy.port, timeout="%ds" % TIMEOUT_S, retries=2,
            max_repetitions=10)}})
        cls.want = view_table(cls.snmpd)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.proxy.close()
        cls.snmpd.close()

    def walk(self):
        t0 = time.monotonic()
        start = len(self.proxy.reps())
        res = self.d.call("snmp.walk", {"session": "slow",
                                        "oid": VIEW_TABLE, "stream": False},
                          timeout=60)
        return res, self.proxy.reps()[start:], time.monotonic() - t0

    def got(self, res):
        return [snmptest.norm_varbind(vb) for vb in res["varbinds"]]

    def test_walk_asks_for_less_after_a_timeout_and_remembers(self):
        self.assertGreater(len(self.want), 5 * SLOW_ABOVE)
        stats0 = self.d.call("session.show", {"session": "slow"})["stats"]
        res, reps, took = self.walk()
        # every object, as snmpd has them
        self.assertEqual(res["count"], len(self.want))
        self.assertEqual(self.got(res), self.want)
        # it grew past what the agent answers in time, and the retry of
        # that request asked for half, not the same again
        big = [i for i, r in enumerate(reps) if r > SLOW_ABOVE]
        self.assertTrue(big, reps)
        self.assertLess(big[0] + 1, len(reps), reps)
        self.assertEqual(reps[big[0] + 1], reps[big[0]] // 2, reps)
        self.assertGreaterEqual(self.proxy.held, 1)
        # the walk ended well within its tries: no request ran out
        stats = self.d.call("session.show", {"session": "slow"})["stats"]
        self.assertEqual(stats["timeouts"], stats0["timeouts"], stats)
        self.assertGreater(stats["retries"], stats0["retries"], stats)
        self.assertLess(took, 3 * TIMEOUT_S * len(big), (took, reps))
        # session.show tells the ceiling and for how many walks it holds
        walk = self.d.call("session.show", {"session": "slow"})["walk"]
        ceil = walk["max_repetitions_ceiling"]
        self.assertIsNotNone(ceil, walk)
        self.assertLessEqual(ceil, SLOW_ABOVE, walk)
        self.assertEqual(walk["max_repetitions_ceiling_walks"], 64, walk)
        self.assertIsNone(walk["columns_ceiling"], walk)
        self.assertLessEqual(walk["max_repetitions"], ceil, walk)
        # the next walk does not grow past what came in time
        held = self.proxy.held
        res2, reps2, _ = self.walk()
        self.assertEqual(res2["count"], len(self.want))
        self.assertTrue(reps2, reps2)
        self.assertLessEqual(max(reps2), SLOW_ABOVE, reps2)
        self.assertEqual(self.proxy.held, held)
        walk = self.d.call("session.show", {"session": "slow"})["walk"]
        self.assertEqual(walk["max_repetitions_ceiling"], ceil, walk)
        self.assertEqual(walk["max_repetitions_ceiling_walks"], 63, walk)


class GivenRepetitions(unittest.TestCase):
    """Walks asked for a GetBulk size: a poll's own, a session's new one.
    Each session has a relay of its own (none held back), so the
    GetBulk sizes it saw are that session's."""

    @classmethod
    def setUpClass(cls):
        snmptest.skip_unless("snmpd", "snmpbulkwalk")
        views = ["view given%02d included .1.3.6.1.4.1.%d" % (i, 1000 + i)
                 for i in range(VIEWS)]
        cls.snmpd = Snmpd(extra_conf=views)
        cls.pproxy = SlowProxy(cls.snmpd.port, 1 << 30, LATE_S)
        cls.wproxy = SlowProxy(cls.snmpd.port, 1 << 30, LATE_S)
        cls.d = Daemon({
            "polls": {"views": {"walk": [VIEW_TABLE], "interval": "1h",
                                "max_repetitions": 4}},
            "sessions": {
                "p": cls.snmpd.target(port=cls.pproxy.port,
                                      max_repetitions=10, polls=["views"]),
                "w": cls.snmpd.target(port=cls.wproxy.port,
                                      max_repetitions=10)}})
        cls.want = view_table(cls.snmpd)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.pproxy.close()
        cls.wproxy.close()
        cls.snmpd.close()

    def test_poll_asks_its_own_size(self):
        self.assertGreater(len(self.want), 40)
        start = len(self.pproxy.reps())
        self.d.call("poll.run", {"session": "p", "poll": "views"},
                    timeout=60)
        res = self.d.call("poll.results", {"session": "p",
                                           "poll": "views"})
        self.assertEqual(res["polls"][0]["count"], len(self.want), res)
        reps = self.pproxy.reps()[start:]
        # every GetBulk asked 4: the run's, and any the scheduler ran
        self.assertGreaterEqual(len(reps), len(self.want) // 4, reps)
        self.assertEqual(set(reps), {4}, reps)

    def walk(self):
        start = len(self.wproxy.reps())
        res = self.d.call("snmp.walk", {"session": "w", "oid": VIEW_TABLE,
                                        "stream": False}, timeout=60)
        self.assertEqual(res["count"], len(self.want))
        return self.wproxy.reps()[start:]

    def test_new_session_size_starts_the_next_walk(self):
        reps = self.walk()
        self.assertEqual(reps[0], 10, reps)
        self.assertGreater(max(reps), 10, reps)     # it adapted
        ended = self.d.call("session.show", {"session": "w"})["walk"]
        self.assertGreater(ended["max_repetitions"], 10, ended)
        self.d.call("session.config", {"session": "w", "options": {
            "max_repetitions": 7}})
        reps = self.walk()
        self.assertEqual(reps[0], 7, reps)
        # the same size again: where the last walk ended holds
        ended = self.d.call("session.show", {"session": "w"})["walk"]
        self.d.call("session.config", {"session": "w", "options": {
            "max_repetitions": 7}})
        reps = self.walk()
        self.assertEqual(reps[0], ended["max_repetitions"], reps)


EXTEND_TABLE = "NET-SNMP-EXTEND-MIB::nsExtendConfigTable"
EXTENDS = 40                            # rows, 8 readable columns each
TABLE_SLOW_ABOVE = 3                    # varbinds an answer may carry


class TableSlowAgent(unittest.TestCase):
    """A table walk of 8 columns against an agent that answers at most 3
    varbinds in time: it must split its columns."""

    @classmethod
    def setUpClass(cls):
        snmptest.skip_unless("snmpd", "snmptable")
        if not os.path.isdir(NET_SNMP_MIBS):
            raise unittest.SkipTest("libsnmp-base MIBs not installed")
        cls.dirs = [mib_cache(), NET_SNMP_MIBS, TEST_MIBS]
        # nsExtendConfigTable rows: read, never run, so nothing moves
        ext = ["extend slow%02d /bin/true arg%d" % (i, i)
               for i in range(EXTENDS)]
        cls.snmpd = Snmpd(extra_conf=ext)
        cls.proxy = SlowProxy(cls.snmpd.port, TABLE_SLOW_ABOVE, LATE_S)
        cls.d = Daemon({
            "mibs": {"dirs": cls.dirs, "modules": MODULES},
            "sessions": {"slow": cls.snmpd.target(
                port=cls.proxy.port, timeout="%ds" % TIMEOUT_S, retries=2,
                max_repetitions=10)}})
        theirs = ns_tool("snmptable", cls.dirs, MODULES, "-v2c", "-c",
                         "public", "-Cf", "\t", "-Ci", "-CH",
                         cls.snmpd.addr, EXTEND_TABLE)
        if theirs.returncode != 0:
            raise AssertionError(theirs.stderr)
        cls.want = theirs.stdout.splitlines()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.proxy.close()
        cls.snmpd.close()

    def table(self):
        start = len(self.proxy.vbs())
        r = self.d.ctl("table", "-Cf", "\t", "-Ci", "-CH", "slow",
                       EXTEND_TABLE, timeout=90)
        return r, self.proxy.vbs()[start:]

    def test_table_splits_its_columns_after_a_timeout_and_remembers(self):
        self.assertEqual(len(self.want), EXTENDS)
        self.assertEqual(len(self.want[0].split("\t")), 9)   # index + 8
        walk0 = self.d.call("session.show", {"session": "slow"})["walk"]
        self.assertIsNone(walk0["columns_ceiling"], walk0)
        self.assertEqual(walk0["columns_ceiling_walks"], 0, walk0)
        r, vbs = self.table()
        self.assertEqual(r.returncode, 0, (r.stderr, vbs))
        self.assertEqual(r.stdout.splitlines(), self.want)
        # all 8 columns first, held back; then 4, held back; then 2
        self.assertEqual(vbs[:3], [8, 4, 2], vbs)
        self.assertLessEqual(max(vbs[2:]), 2, vbs)
        self.assertEqual(self.proxy.held, 2)
        walk = self.d.call("session.show", {"session": "slow"})["walk"]
        self.assertEqual(walk["columns_ceiling"], 2, walk)
        self.assertEqual(walk["columns_ceiling_walks"], 64, walk)
        self.assertEqual(walk["max_repetitions_ceiling"], 2, walk)
        # the next table walk asks for no more than came in time
        r, vbs = self.table()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), self.want)
        self.assertLessEqual(max(vbs), 2, vbs)
        self.assertEqual(self.proxy.held, 2)
        walk = self.d.call("session.show", {"session": "slow"})["walk"]
        self.assertEqual(walk["columns_ceiling"], 2, walk)
        self.assertEqual(walk["columns_ceiling_walks"], 63, walk)


if __name__ == "__main__":
    snmptest.main()
