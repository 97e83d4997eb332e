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
Standard library only.
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


class SlowProxy:
    """A UDP relay in front of an agent: answers with more than `most`
    varbinds reach the manager `late` seconds after the agent sent them.
    .bulk_reps: the max-repetitions of each GetBulk relayed, in order;
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
                tag, ints, _ = pdu_of(data)
                if tag == 0xA5:
                    with self.lock:
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
        # what snmpd has, straight from it
        # (the table ends snmpd's MIB: snmpbulkwalk prints the
        # endOfMibView that ends it as a line)
        cls.want = [vb for vb in parse_net_snmp(net_snmp(
            "snmpbulkwalk", "-v2c", "-c", "public", "-Cr10",
            cls.snmpd.addr, VIEW_TABLE)) if vb[1] != "endOfMibView"]

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
        # the next walk does not grow past what came in time
        held = self.proxy.held
        res2, reps2, _ = self.walk()
        self.assertEqual(res2["count"], len(self.want))
        self.assertTrue(reps2, reps2)
        self.assertLessEqual(max(reps2), SLOW_ABOVE, reps2)
        self.assertEqual(self.proxy.held, held)


if __name__ == "__main__":
    snmptest.main()
