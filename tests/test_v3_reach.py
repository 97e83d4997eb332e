#!/usr/bin/env python3
"""test_v3_reach - issue 9: reach every SNMPv3 agent Net-SNMP's tools reach.

The agent is fakeagent_v3.py: engineBoots 0, no answer to a GetRequest
without varbinds, and an unauthenticated usmStatsWrongDigests report (or
silence) for the authNoPriv probe of two-step discovery.  snmpget reaches
it (it takes boots/time from the engine ID report); so must snmpmgrd, by
falling back to that report's boots/time, and say so in its discovery
event; a wrong password is still 308, decided by the real request.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon  # noqa: E402
from fakeagent import row_oid  # noqa: E402
from fakeagent_v3 import ENGINE_ID, FakeV3Agent  # noqa: E402


class Reach(unittest.TestCase):

    def start(self, mode):
        self.agent = FakeV3Agent(authnopriv=mode)
        self.d = Daemon({
            "log": {"level": "info"},
            "sessions": {"fb": self.agent.target()},
        })

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        self.agent.close()

    def discovery_event(self, sub):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            msg = sub.read_msg(deadline - time.monotonic())
            if msg.get("method") == "event" and \
                    msg["params"].get("event") == "discovery":
                return msg["params"]
        self.fail("no discovery event")

    def check_reached(self, why):
        sub = self.d.connect()
        self.assertNotIn("error", sub.rpc("events.subscribe",
                                          {"events": ["discovery"]}))
        rep = self.d.rpc("snmp.get", {"session": "fb",
                                      "oids": [row_oid(7)]}, timeout=20)
        self.assertIn("result", rep, rep)
        vb = rep["result"]["varbinds"][0]
        self.assertEqual(vb["oid"], row_oid(7))
        self.assertEqual(vb["value"], 7)
        ev = self.discovery_event(sub)
        sub.close()
        self.assertEqual(ev["session"], "fb")
        self.assertIn(why, ev.get("fallback", ""), ev)
        eng = self.d.call("session.show", {"session": "fb"})["engine"]
        self.assertEqual(eng["engine_boots"], 0)
        self.assertIn(why, eng["fallback"])
        self.assertEqual(eng["discovery"], "done")
        return ev

    def test_unauthenticated_wrong_digests_to_the_probe(self):
        self.start("wrongdigests")
        self.check_reached("unauthenticated usmStatsWrongDigests")

    def test_silent_to_the_probe(self):
        self.start("silent")
        self.check_reached("no answer to the boots/time probe")

    def test_preset_engine_id_fetches_a_report_to_fall_back_to(self):
        # The engine ID known in advance: discovery begins at the
        # authenticated probe; when that fails it asks for the engine ID
        # report once, and falls back to it.
        self.start("silent")
        t = self.agent.target(engine_id="0x" + ENGINE_ID.hex())
        rep = self.d.rpc("snmp.get", {"target": t, "oids": [row_oid(9)]},
                         timeout=20)
        self.assertIn("result", rep, rep)
        self.assertEqual(rep["result"]["varbinds"][0]["value"], 9)
        self.assertEqual(
            self.agent.reports.get("usmStatsUnknownEngineIDs"), 1)

    def test_wrong_password_is_still_308(self):
        self.start("wrongdigests")
        t = self.agent.target(auth_password="not-the-password")
        rep = self.d.rpc("snmp.get", {"target": t, "oids": [row_oid(7)]},
                         timeout=20)
        self.assertEqual(rep["error"]["code"], 308, rep)
        # The probe's report and the real request's.
        self.assertGreaterEqual(
            self.agent.reports.get("usmStatsWrongDigests", 0), 2)


    def test_discover_checks_keys_after_falling_back(self):
        # The agent answers a good password's probe the way Net-SNMP's
        # snmpd answers a wrong one's: discover's Get decides.  A wrong
        # auth password: its report, 308; a wrong priv password: the
        # agent drops what it cannot decrypt, a timeout that says what
        # was being checked.
        self.start("wrongdigests")
        r = self.d.rpc("snmp.discover", {"target": self.agent.target()},
                       timeout=20)
        self.assertEqual(r["result"]["discovery"], "done", r)
        self.assertIn("unauthenticated", r["result"]["fallback"])
        r = self.d.rpc("snmp.discover", {"target": self.agent.target(
            auth_password="not-the-password")}, timeout=20)
        self.assertEqual(r["error"]["code"], 308, r)
        r = self.d.rpc("snmp.discover", {"target": self.agent.target(
            priv_password="not-the-password", timeout="300ms",
            retries=1)}, timeout=20)
        self.assertEqual(r["error"]["code"], 201, r)
        self.assertIn("after 2 tries (the Get that checks the user's keys",
                      r["error"]["data"]["detail"])


class NetSnmpReach(unittest.TestCase):

    @snmptest.skip_unless("snmpget")
    def test_snmpget_reaches_it_too(self):
        for mode in ("wrongdigests", "silent"):
            with FakeV3Agent(authnopriv=mode) as agent:
                out = snmptest.net_snmp(
                    "snmpget", "-v3", "-l", "authPriv", "-u", "fbuser",
                    "-a", "SHA", "-A", "fb-auth-pass", "-x", "AES",
                    "-X", "fb-priv-pass", "-r", "1", "-t", "1",
                    "127.0.0.1:%d" % agent.port, row_oid(7))
                self.assertEqual(len(out), 1, out)
                self.assertIn("INTEGER: 7", out[0])


if __name__ == "__main__":
    unittest.main()
