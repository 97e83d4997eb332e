#!/usr/bin/env python3
"""test_bounds - issue 9 items 4 and 10 through the daemon: never ask for
what cannot be taken, say so when an agent sends more than is taken, and
report a send the system refuses at once.

- A GetBulk whose legal answer (non-repeaters + repeaters x
  max-repetitions, RFC 3416 4.2.3) holds more varbinds than snmpmgrd
  decodes in one message is refused with 302 before anything is sent.
- An answer with more varbinds than that ends its request with 317 and
  the reason, not with 201 after the retries, and counts as a bad packet.
- A datagram the system refuses to send (EACCES to 255.255.255.255 without
  SO_BROADCAST on Linux) ends the request with 397 and the errno text at
  once, and counts in the session's send_errors.

The agent is fakeagent.py on loopback.  Standard library only.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import Daemon  # noqa: E402
import ber  # noqa: E402
from fakeagent import FakeAgent, ROOT, ROOT_STR  # noqa: E402

# SNMPMGR_MAX_VARBINDS (core/limits.h).
MAX_VARBINDS = 2048


class Flood(FakeAgent):
    """Answers every request with `many` varbinds."""

    many = MAX_VARBINDS + 52

    def _answer(self, data):
        ver, comm, pdu = ber.ber_read_all(ber.ber_read(data)[1])
        reqid = ber.int_of(ber.ber_read_all(pdu[1])[0][1])
        vbs = [(ROOT + (1,), ber.ber_int(7))] * self.many
        return ber.response(ber.int_of(ver[1]), comm[1], reqid, vbs)


class Bounds(unittest.TestCase):

    def setUp(self):
        self.agent = FakeAgent(rows=40)
        self.flood = Flood(rows=1)
        self.d = Daemon({
            "log": {"level": "info"},
            "sessions": {
                "fake": self.agent.target(timeout="3s", retries=1),
                "flood": self.flood.target(timeout="3s", retries=2),
                "bcast": {"host": "255.255.255.255", "timeout": "3s",
                          "retries": 2},
            },
        })

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        self.agent.close()
        self.flood.close()

    def stats(self, name):
        return self.d.call("session.show", {"session": name})["stats"]

    def test_getbulk_answer_past_the_bound_refused_with_302(self):
        oids = [ROOT_STR + ".1", ROOT_STR + ".2", ROOT_STR + ".3"]
        rep = self.d.rpc("snmp.getbulk", {"session": "fake", "oids": oids,
                                          "max_repetitions": 1000})
        self.assertIn("error", rep, rep)
        self.assertEqual(rep["error"]["code"], 302, rep)
        self.assertIn("3000", rep["error"]["data"]["detail"])
        self.assertEqual(self.agent.requests, 0)
        # Within the bound it is asked.
        res = self.d.call("snmp.getbulk", {"session": "fake", "oids": oids,
                                           "max_repetitions": 682})
        self.assertGreater(len(res["varbinds"]), 0)
        self.assertEqual(self.agent.requests, 1)

    def test_answer_past_the_bound_is_317_not_a_timeout(self):
        t0 = time.monotonic()
        rep = self.d.rpc("snmp.get", {"session": "flood",
                                      "oids": [ROOT_STR + ".1"]},
                         timeout=30)
        took = time.monotonic() - t0
        self.assertIn("error", rep, rep)
        self.assertEqual(rep["error"]["code"], 317, rep)
        detail = rep["error"]["data"]["detail"]
        self.assertIn("%d varbinds" % Flood.many, detail)
        self.assertLess(took, 2.5)
        self.assertEqual(self.flood.requests, 1)
        st = self.stats("flood")
        self.assertEqual(st["bad_packets"], 1, st)
        self.assertEqual(st["timeouts"], 0, st)

    def test_send_refused_is_reported_at_once(self):
        for params in ({"session": "bcast"},
                       {"target": {"host": "255.255.255.255",
                                   "timeout": "3s", "retries": 2}}):
            params["oids"] = ["1.3.6.1.2.1.1.3.0"]
            t0 = time.monotonic()
            rep = self.d.rpc("snmp.get", params, timeout=30)
            took = time.monotonic() - t0
            self.assertIn("error", rep, rep)
            self.assertEqual(rep["error"]["code"], 397, rep)
            self.assertEqual(rep["error"]["message"], "send failed")
            self.assertIn("Permission denied", rep["error"]["data"]["detail"])
            self.assertLess(took, 2.5)
        st = self.stats("bcast")
        self.assertEqual(st["send_errors"], 1, st)
        self.assertEqual(st["timeouts"], 0, st)
        # snmpmgrctl says the same.
        r = self.d.ctl("get", "bcast", "1.3.6.1.2.1.1.3.0")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("397", r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
