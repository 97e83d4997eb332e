#!/usr/bin/env python3
"""test_op_events - issue 9: "response" events for every response on a
session, not only the polls', and "trace" events for the trap receiver's
traffic (traps and informs received, our acknowledgements and reports).

The agent is fakeagent.py; the senders are Net-SNMP's snmpinform and
snmptrap.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon, Watcher, free_udp_port  # noqa: E402
from fakeagent import FakeAgentCase, ROOT_STR, row_oid  # noqa: E402


class Responses(FakeAgentCase):

    def test_responses_of_requests_and_walks(self):
        fake = self.d.connect()
        fake.call("events.subscribe", {"events": ["response"],
                                       "sessions": ["fake"]})
        anyw = Watcher(self.d, events=("response",))
        r = self.d.call("snmp.get", {"session": "fake",
                                     "oids": [row_oid(4)]})
        ev = anyw.wait(lambda e: e.get("method") == "snmp.get")
        self.assertIsNotNone(ev)
        self.assertEqual(ev["session"], "fake")
        self.assertEqual(ev["request_id"], r["request_id"])
        self.assertEqual(ev["request_id"], self.agent.reqids[-1])
        self.assertEqual(ev["varbinds"][0]["value"], 4)
        self.assertEqual(ev["error_status"], 0)
        self.assertIn("127.0.0.1", ev["address"])
        # An inline target's: no session, so not for the filtered one.
        self.d.call("snmp.getnext", {"target": self.agent.target(),
                                     "oids": [row_oid(4)]})
        ev = anyw.wait(lambda e: e.get("method") == "snmp.getnext")
        self.assertIsNotNone(ev)
        self.assertNotIn("session", ev)
        self.assertEqual(ev["varbinds"][0]["oid"], row_oid(5))
        # A walk: one event per answer, every row once.
        self.d.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                  "stream": False, "max_repetitions": 10})
        anyw.wait(lambda e: False, timeout=1)     # collect them all
        walk_evs = [e for e in anyw.seen if e.get("method") == "snmp.walk"]
        self.assertEqual(len(walk_evs), 4)          # 4 answers of 10
        rows = [vb["oid"] for e in walk_evs for vb in e["varbinds"]]
        self.assertEqual(rows, [row_oid(n) for n in range(1, 41)])
        # The filtered subscriber saw the session's, not the target's.
        got = []
        while True:
            try:
                msg = fake.read_msg(1)
            except TimeoutError:
                break
            if msg.get("method") == "event":
                got.append(msg["params"])
        self.assertEqual([e["method"] for e in got][:1], ["snmp.get"])
        self.assertNotIn("snmp.getnext", [e["method"] for e in got])
        self.assertIn("snmp.walk", [e["method"] for e in got])
        fake.close()
        anyw.close()


@snmptest.skip_unless("snmpinform", "snmptrap")
class TrapTraces(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.port = free_udp_port()
        # "quiet" is never asked anything: its subscribers must not see
        # the receiver's traffic.
        cls.d = Daemon({"sessions": {"quiet": {
            "host": "127.0.0.1", "port": free_udp_port()}}, "traps": {
            "listen": ["udp:127.0.0.1:%d" % cls.port],
            "communities": ["public"],
            "journal": {"path": "traps.jsonl", "fsync": "interval",
                        "interval": "50ms"}}})
        cls.addr = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def test_inform_and_ack_traced(self):
        w = Watcher(self.d, events=("trace",))
        sess_only = self.d.connect()
        sess_only.call("events.subscribe", {"events": ["trace"],
                                            "sessions": ["quiet"]})
        oid = "1.3.6.1.4.1.99999.0.77"
        r = snmptest.net_snmp_run("snmpinform", "-v2c", "-c", "public",
                                  "-r", "2", "-t", "2", self.addr, "",
                                  oid, opts=())
        self.assertEqual(r.returncode, 0, r.stderr)
        ev = w.wait(lambda e: e.get("direction") == "in")
        self.assertIsNotNone(ev, w.seen)
        self.assertEqual(ev["origin"], "traps")
        self.assertEqual(ev["listener"], "udp:127.0.0.1:%d" % self.port)
        self.assertEqual(ev["note"], "accepted inform")
        self.assertEqual(ev["pdu_type"], "InformRequest")
        self.assertEqual(ev["community"], "***")
        self.assertNotIn("session", ev)
        ack = w.wait(lambda e: e.get("direction") == "out")
        self.assertIsNotNone(ack, w.seen)
        self.assertEqual(ack["note"], "acknowledgement")
        self.assertEqual(ack["pdu_type"], "Response")
        self.assertEqual(ack["request_id"], ev["request_id"])
        # A refused trap is traced with the reason.
        r = snmptest.net_snmp_run("snmptrap", "-v2c", "-c", "wrong",
                                  self.addr, "", oid, opts=())
        bad = w.wait(lambda e: e.get("note", "").startswith("rejected"))
        self.assertIsNotNone(bad, w.seen)
        self.assertNotIn("wrong", str(bad))
        # Traces of sessions only: none of these.
        with self.assertRaises(TimeoutError):
            while True:
                msg = sess_only.read_msg(0.5)
                if msg.get("method") == "event":
                    self.fail("trap trace for a session filter: %r" % msg)
        sess_only.close()
        w.close()


if __name__ == "__main__":
    unittest.main()
