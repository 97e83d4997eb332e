#!/usr/bin/env python3
"""test_packets - what snmpmgrd tells about its sessions' datagrams and
failures: "trace" events (SPEC.md 4 on_packet_trace, with
mask_sensitive_data and decrypt_trace of SPEC.md 2), "bad-packet" events
of the manager sessions (on_bad_packet), "error" events of operations
started over the control socket (on_error), and what session.show
reveals when mask_sensitive_data is off.

Peers: a Net-SNMP snmpd (v2c and an SNMPv3 authPriv user), the small
agent of fakeagent.py (answers from the wrong port, or not at all), and
a UDP socket that never answers.  Standard library only.
"""

import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon, Snmpd, SYS_NAME  # noqa: E402
from fakeagent import FakeAgent, ROOT_STR, row_oid  # noqa: E402

AUTHPW = "trace-auth-pass"
PRIVPW = "trace-priv-pass"
PUBLIC_HEX = b"public".hex()


def wait_for(cond, timeout=5.0, step=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(step)


def drain(c, quiet=0.3):
    """The event params that arrive on c until it is quiet."""
    out = []
    while True:
        try:
            m = c.read_msg(timeout=quiet)
        except TimeoutError:
            return out
        if m.get("method") == "event":
            out.append(m["params"])


def subscribe(d, **params):
    c = d.connect()
    c.call("events.subscribe", params)
    return c


@snmptest.skip_unless("snmpd")
class Traces(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(persist_conf=["createUser ops SHA %s AES %s" % (
            AUTHPW, PRIVPW)], extra_conf=["rouser ops priv"])

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()

    def setUp(self):
        v3 = self.agent.target(version="3", user="ops", auth="sha",
                               auth_password=AUTHPW, priv="aes",
                               priv_password=PRIVPW)
        v3.pop("community")
        self.d = Daemon({"sessions": {"a": self.agent.target(),
                                      "b": self.agent.target(),
                                      "v3": v3}})

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()

    def get(self, session):
        return self.d.call("snmp.get", {"session": session,
                                        "oids": [SYS_NAME]})

    def traces(self):
        return self.d.call("daemon.stats")["engine"]["traces"]

    def test_traces_of_the_sessions_asked_for_community_masked(self):
        # Nobody asked: nothing traced.
        self.get("a")
        self.assertEqual(self.traces(), 0)
        ev = subscribe(self.d, events="trace", sessions=["a"])
        res = self.get("a")
        self.get("b")
        got = drain(ev)
        self.assertEqual([(e["session"], e["direction"]) for e in got],
                         [("a", "out"), ("a", "in")])
        out, inn = got
        addr = "127.0.0.1:%d" % self.agent.port
        for e in got:
            self.assertEqual(e["event"], "trace")
            self.assertEqual(e["address"], addr)
            self.assertEqual(e["version"], "2c")
            self.assertEqual(e["community"], "***")
            self.assertEqual(len(e["hex"]), 2 * e["length"])
            self.assertNotIn(PUBLIC_HEX, e["hex"])
            self.assertIn("*" * 12, e["hex"])
        self.assertEqual(out["pdu_type"], "GetRequest")
        self.assertEqual(inn["pdu_type"], "Response")
        self.assertEqual(out["request_id"], inn["request_id"])
        self.assertEqual(inn["varbinds"], res["varbinds"])
        self.assertEqual(self.traces(), 2)
        # mask_sensitive_data off (at run time): the community shows.
        opts = self.d.call("session.config", {"session": "a", "options": {
            "mask_sensitive_data": False}})["options"]
        self.assertEqual((opts["community"], opts["mask_sensitive_data"]),
                         ("public", False))
        self.get("a")
        got = drain(ev)
        self.assertEqual([e["community"] for e in got], ["public"] * 2)
        self.assertTrue(all(PUBLIC_HEX in e["hex"] for e in got))
        # The subscriber gone, tracing stops.
        ev.close()
        wait_for(lambda: self.d.call("daemon.stats")["events"]
                 ["subscribers"] == 0, what="no subscriber")
        self.get("a")
        self.assertEqual(self.traces(), 4)

    def test_v3_traces_show_the_pdu_only_with_decrypt_trace(self):
        ev = subscribe(self.d, events=["trace"], sessions="v3")
        self.get("v3")
        got = drain(ev)
        text = json.dumps(got)
        self.assertNotIn(AUTHPW, text)
        self.assertNotIn(PRIVPW, text)
        # Discovery probes first (in clear), then the encrypted get.
        self.assertEqual(got[0]["security_level"], "noAuthNoPriv")
        self.assertEqual(got[0]["pdu_type"], "GetRequest")
        self.assertEqual(got[0]["varbinds"], [])
        priv = [e for e in got if e["security_level"] == "authPriv"]
        self.assertEqual([e["direction"] for e in priv], ["out", "in"])
        for e in priv:
            self.assertEqual(e["version"], "3")
            self.assertEqual(e["user"], "ops")
            self.assertTrue(e["encrypted"])
            self.assertFalse(e["decrypted"])
            self.assertNotIn("varbinds", e)
        self.assertEqual(priv[0]["pdu_type"], "GetRequest")
        self.assertEqual(priv[1]["pdu_type"], "Response")
        self.assertEqual(priv[0]["request_id"], priv[1]["request_id"])
        self.assertEqual(priv[0]["msg_id"], priv[1]["msg_id"])
        # decrypt_trace: the scoped PDUs, varbinds and all.
        self.d.call("session.config", {"session": "v3", "options": {
            "decrypt_trace": True}})
        res = self.get("v3")
        got = drain(ev)
        self.assertEqual([e["direction"] for e in got], ["out", "in"])
        self.assertTrue(all(e["decrypted"] for e in got))
        self.assertEqual(got[0]["varbinds"][0]["oid"], SYS_NAME)
        self.assertEqual(got[1]["varbinds"], res["varbinds"])
        self.assertEqual(got[1]["context_name"], "")
        text = json.dumps(got)
        self.assertNotIn(AUTHPW, text)
        self.assertNotIn(PRIVPW, text)
        show = self.d.call("session.show", {"session": "v3"})["options"]
        self.assertTrue(show["decrypt_trace"])
        self.assertEqual(show["auth_password"], "***")
        ev.close()


class BadPacketsAndErrors(unittest.TestCase):

    def setUp(self):
        self.hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.hole.bind(("127.0.0.1", 0))
        self.agent = FakeAgent(wrong_port=True)
        self.walker = FakeAgent(answers=1)
        self.d = Daemon({"log": {"level": "info"}, "sessions": {
            "w": self.agent.target(timeout="300ms", retries=1),
            "k": self.walker.target(timeout="300ms"),
        }})

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        self.agent.close()
        self.walker.close()
        self.hole.close()

    def test_bad_packets_are_counted_logged_once_and_published(self):
        ev = subscribe(self.d, events=["bad-packet", "error"])
        # Answers from another port: dropped (318), so the get times out.
        err = self.d.rpc("snmp.get", {"session": "w", "oids": [SYS_NAME]})
        self.assertEqual(err["error"]["code"], 201)
        # Junk to the daemon's socket: nobody's (317).
        self.agent.send(self.agent.last_from, b"\x01\x02 not SNMP")
        got = []
        wait_for(lambda: got.extend(drain(ev, 0.1)) or
                 len([e for e in got if e["event"] == "bad-packet"]) >= 3,
                 what="bad-packet events")
        bad = [e for e in got if e["event"] == "bad-packet"]
        for e in bad[:2]:
            self.assertEqual((e["session"], e["code"], e["origin"]),
                             ("w", 318, "session"))
            self.assertEqual(e["source"], "127.0.0.1")
            self.assertEqual(e["port"], self.agent.other.getsockname()[1])
            self.assertEqual(e["address"], "127.0.0.1:%d" % self.agent.port)
            self.assertEqual(e["message"], "not from bound point")
            self.assertTrue(e["hex"].startswith("30"))
            self.assertNotIn(PUBLIC_HEX, e["hex"])
            self.assertIn("*" * 12, e["hex"])
            self.assertLessEqual(len(e["hex"]), 128)
        self.assertEqual(bad[2]["code"], 317)
        self.assertNotIn("session", bad[2])
        self.assertEqual(bad[2]["hex"], b"\x01\x02 not SNMP".hex())
        errs = [e for e in got if e["event"] == "error"]
        self.assertEqual(len(errs), 1)
        self.assertEqual((errs[0]["session"], errs[0]["method"],
                          errs[0]["code"]), ("w", "snmp.get", 201))
        eng = self.d.call("daemon.stats")["engine"]
        self.assertEqual(eng["bad_packets_by_code"], {"318": 2, "317": 1})
        self.assertEqual(eng["bad_packets"], 3)
        self.assertEqual(eng["unmatched_bad_packets"], 1)
        show = self.d.call("session.show", {"session": "w"})
        self.assertEqual(show["last_bad_packet"]["code"], 318)
        self.assertEqual(show["stats"]["origin_mismatch"], 2)
        # A warning once per session, not per packet.
        self.d.rpc("snmp.get", {"session": "w", "oids": [SYS_NAME]})
        log = self.d.log()
        self.assertEqual(log.count("session w: bad packet from"), 1, log)
        self.assertEqual(log.count("session engine: bad packet from"), 1)
        ev.close()

    def test_error_events_of_control_requests(self):
        ev = subscribe(self.d, events="error")
        hole = {"host": "127.0.0.1", "port": self.hole.getsockname()[1],
                "timeout": "200ms", "retries": 0}
        r = self.d.rpc("snmp.get", {"target": hole, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 201)
        r = self.d.rpc("snmp.inform", {"target": hole,
                                       "trap_oid": "1.3.6.1.6.3.1.1.5.1"})
        self.assertEqual(r["error"]["code"], 201)
        r = self.d.rpc("snmp.walk", {"session": "k", "oid": ROOT_STR,
                                     "max_repetitions": 5})
        self.assertEqual(r["error"]["code"], 201)
        r = self.d.rpc("snmp.getbulk", {"session": "k", "oids": [ROOT_STR],
                                        "max_repetitions": 200000})
        self.assertEqual(r["error"]["code"], -32602)   # not an SNMP error
        got = drain(ev)
        self.assertEqual([e["method"] for e in got],
                         ["snmp.get", "snmp.inform", "snmp.walk"])
        addr = "127.0.0.1:%d" % self.hole.getsockname()[1]
        for e in got[:2]:
            self.assertNotIn("session", e)
            self.assertEqual(e["address"], addr)
            self.assertEqual((e["code"], e["message"]), (201, "timeout"))
            self.assertIn("no ", e["detail"])
        walk = got[2]
        self.assertEqual(walk["session"], "k")
        self.assertEqual((walk["count"], walk["last_oid"]),
                         (5, row_oid(5)))
        ev.close()


class MaskOff(unittest.TestCase):

    def test_session_show_reveals_keys_only_when_asked(self):
        v3 = {"host": "127.0.0.1", "version": "3", "user": "u",
              "auth": "sha", "auth_password": AUTHPW, "priv": "aes",
              "priv_password": PRIVPW}
        with Daemon({"sessions": {
                "plain": {"host": "127.0.0.1", "community": "s3cret"},
                "open": {"host": "127.0.0.1", "community": "s3cret",
                         "mask_sensitive_data": False},
                "v3": v3,
                "v3open": dict(v3, mask_sensitive_data=False)}}) as d:
            def opts(name):
                return d.call("session.show", {"session": name})["options"]
            o = opts("plain")
            self.assertEqual((o["community"], o["mask_sensitive_data"],
                              o["decrypt_trace"]), ("***", True, False))
            self.assertEqual(opts("open")["community"], "s3cret")
            o = opts("v3")
            self.assertEqual((o["auth_password"], o["priv_password"]),
                             ("***", "***"))
            self.assertNotIn("auth_key", o)
            # Unmasked: the keys the passwords were hashed into (the
            # passwords themselves are not shown), which usm.hash agrees
            # with.
            o = opts("v3open")
            self.assertNotIn("auth_password", o)
            self.assertNotIn(AUTHPW, json.dumps(o))
            self.assertEqual((o["auth_key_type"], o["priv_key_type"]),
                             ("master", "master"))
            keys = d.call("usm.hash", {
                "engine_id": "0x8000000001", "auth": "sha",
                "auth_password": AUTHPW, "priv": "aes",
                "priv_password": PRIVPW})
            self.assertEqual(o["auth_key"], keys["auth_master_key"])
            self.assertEqual(o["priv_key"], keys["priv_master_key"])
            # The runtime switch works both ways.
            r = d.call("session.config", {"session": "open", "options": {
                "mask_sensitive_data": True}})
            self.assertEqual(r["options"]["community"], "***")


if __name__ == "__main__":
    snmptest.main()
