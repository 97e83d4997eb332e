#!/usr/bin/env python3
"""test_broadcast - issue 9: broadcast targets.

A session with "broadcast": true (SO_BROADCAST) sends its get to a
broadcast address and collects every answer until its timeout, each with
its source.  Two fakeagent.py agents share one port of 0.0.0.0 on
loopback and answer from 127.0.0.2 and 127.0.0.3; 127.255.255.255 is the
broadcast address.  Without the option the send fails at once (397).
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import Daemon, free_udp_port  # noqa: E402
from fakeagent import FakeAgent, ROOT_STR, row_oid  # noqa: E402

BCAST = "127.255.255.255"


class Broadcast(unittest.TestCase):

    def setUp(self):
        port = free_udp_port()
        self.agents = [FakeAgent(port=port, bind_host="0.0.0.0",
                                 reply_host=h)
                       for h in ("127.0.0.2", "127.0.0.3")]
        common = {"host": BCAST, "port": port, "version": "2c",
                  "community": "public", "timeout": "1s", "retries": 0}
        self.d = Daemon({"log": {"level": "info"}, "sessions": {
            "bc": dict(common, broadcast=True),
            "plain": dict(common)}})

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        for a in self.agents:
            a.close()

    def test_get_collects_every_answer_until_the_timeout(self):
        t0 = time.monotonic()
        r = self.d.call("snmp.get", {"session": "bc",
                                     "oids": [row_oid(5)]}, timeout=10)
        took = time.monotonic() - t0
        self.assertTrue(r["broadcast"])
        self.assertEqual(r["count"], 2, r)
        sources = sorted(a["source"].rsplit(":", 1)[0]
                         for a in r["responses"])
        self.assertEqual(sources, ["127.0.0.2", "127.0.0.3"])
        for a in r["responses"]:
            self.assertEqual(a["varbinds"][0]["value"], 5)
            self.assertEqual(a["error_status"], 0)
        self.assertGreaterEqual(took, 0.9)      # waited for the timeout
        self.assertIsInstance(r["request_id"], int)
        # getbulk too.
        r = self.d.call("snmp.getbulk", {"session": "bc",
                                         "oids": [row_oid(1)],
                                         "max_repetitions": 2}, timeout=10)
        self.assertEqual(r["count"], 2, r)
        self.assertEqual(len(r["responses"][0]["varbinds"]), 2)

    def test_ctl_prints_each_source(self):
        r = self.d.ctl("get", "bc", row_oid(6))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("# 127.0.0.2", r.stdout)
        self.assertIn("# 127.0.0.3", r.stdout)
        self.assertEqual(r.stdout.count("INTEGER: 6"), 2, r.stdout)

    def test_no_answer_is_a_timeout(self):
        for a in self.agents:
            a.answers = 0
        r = self.d.rpc("snmp.get", {"session": "bc", "oids": [row_oid(5)]},
                       timeout=10)
        self.assertEqual(r["error"]["code"], 201, r)

    def test_without_broadcast_the_send_fails(self):
        r = self.d.rpc("snmp.get", {"session": "plain",
                                    "oids": [row_oid(5)]}, timeout=10)
        self.assertEqual(r["error"]["code"], 397, r)

    def test_what_needs_one_agent_is_refused(self):
        r = self.d.rpc("snmp.walk", {"session": "bc", "oid": ROOT_STR})
        self.assertEqual(r["error"]["code"], 319, r)
        r = self.d.rpc("snmp.set", {"session": "bc", "varbinds": [
            {"oid": row_oid(1), "type": "i", "value": 1}]})
        self.assertEqual(r["error"]["code"], 319, r)
        r = self.d.rpc("snmp.get", {"session": "bc", "store": True,
                                    "oids": [row_oid(1)]})
        self.assertEqual(r["error"]["code"], -32602, r)
        # SNMPv3 cannot broadcast (discovery needs one engine).
        r = self.d.rpc("snmp.get", {"target": {
            "host": BCAST, "port": self.agents[0].port, "version": "3",
            "user": "u", "broadcast": True}, "oids": [row_oid(1)]})
        self.assertEqual(r["error"]["code"], 399, r)


if __name__ == "__main__":
    unittest.main()
