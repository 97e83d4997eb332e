#!/usr/bin/env python3
"""test_daemon - snmpmgrd itself, through its control socket and command line.

Starts a real Net-SNMP snmpd on loopback and snmpmgrd from the build tree
(tests/snmptest.py), then calls every control method (doc/protocol.md),
feeds the socket malformed and hostile input, and checks the command line
(-t, -V), signals and readiness notification.  Standard library only.
"""

import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import (ControlClient, Daemon, Snmpd,  # noqa: E402
                      SYS_DESCR, SYS_NAME,
                      SYS_UPTIME, WRITABLE_OID, free_udp_port,
                      event_time, read_until_closed, silent_tcp_port,
                      top_builddir, top_srcdir)

SYSTEM = "1.3.6.1.2.1.1"
SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SNMP_ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"
BIGTABLE = "1.3.6.1.4.1.99999.1"
BIGTABLE_OBJECTS = 50000


def oid_key(oid):
    return tuple(int(a) for a in oid.split("."))


def build_bigtable(dirname):
    """bench/bigtable.c built as a dlmod module, or None without the tools."""
    cfg = shutil.which("net-snmp-config")
    cc = shutil.which("cc") or shutil.which("gcc")
    src = os.path.join(top_srcdir(), "bench", "bigtable.c")
    if not cfg or not cc or not os.path.exists(src):
        return None
    flags = subprocess.run([cfg, "--cflags"], capture_output=True,
                           text=True).stdout.split()
    so = os.path.join(dirname, "bigtable.so")
    r = subprocess.run([cc, "-shared", "-fPIC", "-O2"] + flags +
                       ["-o", so, src], capture_output=True, text=True)
    return so if r.returncode == 0 else None


class DaemonMethods(unittest.TestCase):
    """Every method against one snmpd and one snmpmgrd."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd()
        cls.dead_port = free_udp_port()
        cls.daemon = Daemon({
            "sessions": {
                "lo": cls.agent.target(),
                "lo1": cls.agent.target(version="1"),
                "rw": cls.agent.target(community="private"),
                "dead": {"host": "127.0.0.1", "port": cls.dead_port,
                         "timeout": "200ms", "retries": 1},
            }})

    @classmethod
    def tearDownClass(cls):
        # A clean stop exits 0 (and, in a sanitizer build, leak-free).
        rc = cls.daemon.stop()
        log = cls.daemon.log()
        cls.daemon.close()
        cls.agent.close()
        if rc != 0:
            raise AssertionError("snmpmgrd exit %s on SIGTERM:\n%s"
                                 % (rc, log[-4000:]))

    def setUp(self):
        self.assertTrue(self.daemon.alive(), self.daemon.log()[-3000:])

    def tearDown(self):
        self.assertTrue(self.daemon.alive(),
                        "snmpmgrd died:\n" + self.daemon.log()[-3000:])

    def call(self, method, params=None, client=None):
        return (client or self.daemon.client).call(method, params, timeout=10)

    def error(self, method, params=None, client=None):
        r = (client or self.daemon.client).rpc(method, params, timeout=10)
        self.assertIn("error", r, r)
        return r["error"]

    # ---------------------------------------------------- daemon, sessions

    def test_daemon_status_reports_pid_and_counts(self):
        st = self.call("daemon.status")
        self.assertEqual(st["pid"], self.daemon.pid)
        self.assertRegex(st["version"], r"^\d+\.\d+")
        self.assertEqual(st["sessions"], 4)
        self.assertEqual(st["sessions_enabled"], 4)
        self.assertGreaterEqual(st["clients"], 1)
        self.assertEqual(st["requests_in_flight"], 0)
        self.assertGreaterEqual(st["uptime"], 0)
        self.assertEqual(self.error("daemon.status", {"x": 1})["code"], -32602)

    def test_session_list_sorted_rows(self):
        rows = self.call("session.list")["sessions"]
        self.assertEqual([r["name"] for r in rows], ["dead", "lo", "lo1", "rw"])
        lo = rows[1]
        self.assertEqual(lo["host"], "127.0.0.1")
        self.assertEqual(lo["port"], self.agent.port)
        self.assertEqual(lo["version"], "2c")
        self.assertEqual(rows[2]["version"], "1")
        self.assertEqual(lo["transport"], "udp")
        self.assertIs(lo["enabled"], True)
        for k in ("requests", "responses", "timeouts", "retries",
                  "bad_packets", "last_rtt_ms"):
            self.assertIn(k, lo)

    def test_last_rtt_is_null_before_an_answer(self):
        # "dead" never answers: no round trip, not 0.0; an answer gives
        # one.
        self.error("snmp.get", {"session": "dead", "oids": [SYS_DESCR]})
        rows = {r["name"]: r for r in
                self.call("session.list")["sessions"]}
        self.assertIsNone(rows["dead"]["last_rtt_ms"], rows["dead"])
        self.assertIsNone(rows["dead"]["srtt_ms"])
        sh = self.call("session.show", {"session": "dead"})
        self.assertIsNone(sh["stats"]["last_rtt_ms"], sh["stats"])
        self.call("snmp.get", {"session": "lo", "oids": [SYS_DESCR]})
        sh = self.call("session.show", {"session": "lo"})
        self.assertGreater(sh["stats"]["last_rtt_ms"], 0)

    def test_session_list_refuses_unknown_state(self):
        # Only the states a session can be in; the error names them.
        for state in ("UP", "bogus", ""):
            with self.subTest(state=state):
                e = self.error("session.list", {"state": state})
                self.assertEqual(e["code"], -32602, e)
                self.assertEqual(e["message"], 'state: expected "up", '
                                 '"down", "unknown", "disabled" or "error"')
        for state in ("up", "down", "unknown", "disabled", "error"):
            rows = self.call("session.list", {"state": state})["sessions"]
            self.assertTrue(all(r["state"] == state for r in rows), rows)
        rows = self.call("session.list", {"state": "unknown"})["sessions"]
        self.assertIn("lo", [r["name"] for r in rows])

    # Every method, with the params it takes.
    METHODS = {
        "cluster.members": [], "daemon.reload": [], "daemon.stats": [],
        "daemon.status": [],
        "events.subscribe": ["events", "sessions", "max_queue"],
        "events.unsubscribe": ["subscription"], "mib.translate": ["names"],
        "poll.reset": ["session"], "poll.results": ["session", "poll"],
        "poll.run": ["session", "poll"], "poll.value": ["session", "oid"],
        "request.cancel": ["id"],
        "session.add": ["persist", "session", "config"],
        "session.config": ["persist", "session", "options"],
        "session.disable": ["persist", "session"],
        "session.enable": ["persist", "session"],
        "session.interrupt": ["session"], "session.list": ["state"],
        "session.remove": ["session"], "session.show": ["session"],
        "snmp.discover": ["session", "target", "force"],
        "snmp.get": ["session", "target", "oids", "store"],
        "snmp.getbulk": ["session", "target", "oids", "non_repeaters",
                         "max_repetitions", "store"],
        "snmp.getnext": ["session", "target", "oids", "store"],
        "snmp.inform": ["session", "target", "trap_oid", "uptime",
                        "varbinds"],
        "snmp.set": ["session", "target", "varbinds"],
        "snmp.table": ["session", "target", "table", "columns",
                       "use_getnext", "max_repetitions"],
        "snmp.trap": ["session", "target", "trap_oid", "uptime", "varbinds",
                      "enterprise", "agent_addr"],
        "snmp.walk": ["session", "target", "oid", "start_oid", "limit",
                      "inside_range", "use_getnext", "max_repetitions",
                      "stream", "store"],
        "usm.hash": ["engine_id", "auth", "auth_password", "auth_key",
                     "priv", "priv_password", "priv_key",
                     "priv_key_extension", "user"],
    }

    def test_every_method_refuses_unknown_params_alike(self):
        # One wording for all: the key, the method, the params it takes,
        # before anything else is looked at.
        for method, takes in sorted(self.METHODS.items()):
            with self.subTest(method=method):
                e = self.error(method, {"bogus_param": 1})
                self.assertEqual(e["code"], -32602, e)
                want = ('unknown param "bogus_param" (%s takes ' % method +
                        ("none" if not takes else
                         ", ".join('"%s"' % t for t in takes[:-1]) +
                         (" or " if len(takes) > 1 else "") +
                         '"%s"' % takes[-1]) + ")")
                self.assertEqual(e["message"], want)
        # Next to good params too, and a long key is cut.
        for method, params in (
                ("snmp.get", {"session": "lo", "oids": [SYS_DESCR],
                              "stor": True}),
                ("session.show", {"session": "lo", "sesion": "lo"}),
                ("session.list", {"stat": "up"}),
                ("poll.results", {"session": "lo", "pol": "x"})):
            with self.subTest(params=params):
                e = self.error(method, params)
                self.assertEqual(e["code"], -32602, e)
                self.assertTrue(e["message"].startswith("unknown param "),
                                e)
        e = self.error("session.list", {"\u00e9" * 30: 1})
        self.assertTrue(e["message"].startswith(
            'unknown param "%s" (' % ("\u00e9" * 20)), e)

    def test_events_subscribe_refuses_unknown_sessions(self):
        for sessions in ("nosuch", ["lo", "nosuch"]):
            with self.subTest(sessions=sessions):
                e = self.error("events.subscribe", {"sessions": sessions})
                self.assertEqual(e["code"], -32602, e)
                self.assertEqual(e["message"], 'unknown session "nosuch"')
        c = self.daemon.connect()
        self.addCleanup(c.close)
        res = c.call("events.subscribe", {"sessions": ["lo", "dead"]})
        self.assertEqual(res["sessions"], ["dead", "lo"])

    def test_session_show_masks_secrets_and_counts(self):
        before = self.call("session.show", {"session": "lo"})
        self.call("snmp.get", {"session": "lo", "oids": [SYS_UPTIME]})
        sh = self.call("session.show", {"session": "lo"})
        self.assertEqual(sh["name"], "lo")
        self.assertEqual(sh["address"], "127.0.0.1:%d" % self.agent.port)
        self.assertEqual(sh["options"]["community"], "***")
        self.assertEqual(sh["options"]["port"], self.agent.port)
        self.assertEqual(sh["stats"]["requests"],
                         before["stats"]["requests"] + 1)
        self.assertEqual(sh["stats"]["responses"],
                         before["stats"]["responses"] + 1)
        self.assertNotIn("public", json.dumps(sh))
        e = self.error("session.show", {"session": "nosuch"})
        self.assertEqual(e["code"], -32602)
        self.assertIn("nosuch", e["message"])
        self.assertEqual(self.error("session.show", {})["code"], -32602)

    def test_session_before_its_first_poll_shows_its_requests(self):
        # A poll once a week has not run yet: until it has, the health
        # is what the clients' requests left, as without polls.
        d = Daemon({"polls": {"weekly": {"get": [SYS_UPTIME],
                                         "interval": "7d"}},
                    "sessions": {"w": self.agent.target(polls=["weekly"])}})
        self.addCleanup(d.close)
        d.call("snmp.get", {"session": "w", "oids": [SYS_UPTIME]})
        st = d.call("session.show", {"session": "w"})["state"]
        self.assertEqual(st["polls_ok"] + st["polls_failed"], 0, st)
        self.assertGreater(st["srtt_ms"] or 0, 0, st)
        self.assertIsNotNone(st["last_success"], st)
        row = d.call("session.list")["sessions"][0]
        self.assertEqual(row["srtt_ms"], st["srtt_ms"])
        self.assertEqual(row["last_success"], st["last_success"])

    def test_session_without_polls_shows_its_requests(self):
        # Sessions of their own, never asked before: no other test's
        # requests mix in.  No polls, so the state stays "unknown".
        silent = free_udp_port()
        for name, cfg in (("asked", self.agent.target()),
                          ("asked_silent", {"host": "127.0.0.1",
                                            "port": silent,
                                            "timeout": "100ms",
                                            "retries": 0})):
            self.call("session.add", {"session": name, "config": cfg})
            self.addCleanup(self.call, "session.remove", {"session": name})

        def show(name):
            return self.call("session.show", {"session": name})["state"]

        def row(name):
            rows = self.call("session.list")["sessions"]
            return [r for r in rows if r["name"] == name][0]

        st = show("asked")
        self.assertEqual(st, {"state": "unknown", "last_success": None,
                              "last_error": None, "srtt_ms": None})
        # A walk answered: a success and an RTT.
        self.call("snmp.walk", {"session": "asked", "oid": SYSTEM})
        st = show("asked")
        self.assertEqual(st["state"], "unknown")
        self.assertIsNotNone(st["last_success"])
        self.assertGreater(st["srtt_ms"], 0)
        self.assertIsNone(st["last_error"])
        # A get answered: the success is as late or later.
        self.call("snmp.get", {"session": "asked", "oids": [SYS_UPTIME]})
        st2 = show("asked")
        self.assertGreaterEqual(st2["last_success"], st["last_success"])
        self.assertGreater(st2["srtt_ms"], 0)
        r = row("asked")
        self.assertEqual(r["polls"], 0)
        self.assertEqual(r["state"], "unknown")
        self.assertEqual(r["last_success"], st2["last_success"])
        self.assertEqual(r["srtt_ms"], st2["srtt_ms"])
        self.assertIsNone(r["last_error"])
        self.assertNotIn("overruns", r)
        # Nothing answers on the silent port: the timeout is the error.
        e = self.error("snmp.get", {"session": "asked_silent",
                                    "oids": [SYS_DESCR]})
        self.assertEqual(e["code"], 201)
        st = show("asked_silent")
        self.assertEqual(st["state"], "unknown")
        self.assertIsNone(st["last_success"])
        self.assertIsNone(st["srtt_ms"])
        self.assertEqual(st["last_error"]["code"], 201)
        self.assertEqual(st["last_error"]["message"], "timeout")
        self.assertEqual(st["last_error"]["detail"], e["data"]["detail"])
        self.assertRegex(st["last_error"]["time"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(row("asked_silent")["last_error"], st["last_error"])

    # ------------------------------------------------------------- snmp.*

    def test_get_renders_types(self):
        r = self.call("snmp.get", {"session": "lo", "oids": [
            SYS_DESCR, SYS_OBJECTID, SYS_UPTIME, SYSTEM + ".99.0"]})
        self.assertEqual(r["error_status"], 0)
        self.assertEqual(r["error_status_name"], "noError")
        self.assertEqual(r["error_index"], 0)
        self.assertIsInstance(r["rtt_ms"], (int, float))
        vb = r["varbinds"]
        self.assertEqual([v["oid"] for v in vb],
                         [SYS_DESCR, SYS_OBJECTID, SYS_UPTIME, SYSTEM + ".99.0"])
        self.assertEqual(vb[0]["type"], "OCTET STRING")
        self.assertIsInstance(vb[0]["value"], str)
        self.assertEqual(vb[1]["type"], "OBJECT IDENTIFIER")
        self.assertRegex(vb[1]["value"], r"^1\.3\.6\.1\.4\.1\.[\d.]+$")
        self.assertEqual(vb[2]["type"], "TimeTicks")
        self.assertIsInstance(vb[2]["value"], int)
        self.assertEqual(vb[3]["type"], "noSuchObject")
        self.assertNotIn("value", vb[3])

    def test_get_inline_target(self):
        r = self.call("snmp.get", {"target": self.agent.target(),
                                   "oids": [SYS_DESCR]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)
        # The temporary session is gone: still 4 configured.
        self.assertEqual(self.call("daemon.status")["sessions"], 4)

    def test_getnext_returns_successor(self):
        r = self.call("snmp.getnext", {"session": "lo", "oids": [SYSTEM]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)

    def test_getbulk_repetitions(self):
        r = self.call("snmp.getbulk", {"session": "lo", "oids": [SYSTEM],
                                       "max_repetitions": 3})
        oids = [v["oid"] for v in r["varbinds"]]
        self.assertEqual(len(oids), 3)
        self.assertEqual(oids[0], SYS_DESCR)
        self.assertEqual(oids, sorted(oids, key=oid_key))
        e = self.error("snmp.getbulk", {"session": "lo1", "oids": [SYSTEM]})
        self.assertEqual(e["code"], 305)
        e = self.error("snmp.getbulk", {"session": "lo", "oids": [SYSTEM],
                                        "max_repetitions": -1})
        self.assertEqual(e["code"], -32602)

    def test_v1_get_missing_is_nosuchname(self):
        r = self.call("snmp.get", {"session": "lo1",
                                   "oids": [SYS_DESCR, SYSTEM + ".99.0"]})
        self.assertEqual(r["error_status"], 2)
        self.assertEqual(r["error_status_name"], "noSuchName")
        self.assertEqual(r["error_index"], 2)

    def test_set_readonly_community_error_status(self):
        r = self.call("snmp.set", {"session": "lo", "varbinds": [
            {"oid": WRITABLE_OID, "type": "s", "value": "nope"}]})
        self.assertNotEqual(r["error_status"], 0)
        self.assertEqual(r["error_index"], 1)
        names = {4: "readOnly", 6: "noAccess", 16: "authorizationError",
                 17: "notWritable"}
        self.assertIn(r["error_status"], names)
        self.assertEqual(r["error_status_name"], names[r["error_status"]])

    def test_set_then_get(self):
        val = "snmpmgrd test %d" % random.randrange(1 << 30)
        r = self.call("snmp.set", {"session": "rw", "varbinds": [
            {"oid": SYS_CONTACT, "type": "OCTET STRING", "value": val}]})
        self.assertEqual(r["error_status"], 0, r)
        r = self.call("snmp.get", {"session": "lo", "oids": [SYS_CONTACT]})
        self.assertEqual(r["varbinds"][0]["value"], val)
        # x (hex digits, spaces allowed) and d (dotted decimal bytes).
        for t, v, want in (("x", "68 69 0A", "hi\n"), ("d", "104.105", "hi")):
            r = self.call("snmp.set", {"session": "rw", "varbinds": [
                {"oid": SYS_CONTACT, "type": t, "value": v}]})
            self.assertEqual(r["error_status"], 0, r)
            got = self.call("snmp.get", {"session": "lo",
                                         "oids": [SYS_CONTACT]})["varbinds"][0]
            self.assertEqual(got, {"oid": SYS_CONTACT, "type": "OCTET STRING",
                                   "value": want})

    def test_binary_octets_render_as_hex(self):
        # snmpEngineID.0 (RFC 3411): binary, starts with 0x80 (RFC 3411 5).
        r = self.call("snmp.get", {"session": "lo", "oids": [SNMP_ENGINE_ID]})
        vb = r["varbinds"][0]
        self.assertEqual(vb["type"], "OCTET STRING")
        self.assertNotIn("value", vb)
        self.assertRegex(vb["hex"], r"^80[0-9a-f]+$")
        self.assertEqual(len(vb["hex"]) % 2, 0)

    def test_set_wrong_type_is_agent_error(self):
        r = self.call("snmp.set", {"session": "rw", "varbinds": [
            {"oid": SYS_CONTACT, "type": "i", "value": "5"}]})
        self.assertEqual(r["error_status"], 7)          # wrongType
        self.assertEqual(r["error_status_name"], "wrongType")

    def test_set_rejects_bad_values(self):
        bad = [
            {"oid": SYS_CONTACT, "type": "Q", "value": "x"},
            {"oid": SYS_CONTACT, "type": "i", "value": 2 ** 31},
            {"oid": SYS_CONTACT, "type": "i", "value": "12a"},
            {"oid": SYS_CONTACT, "type": "u", "value": -1},
            {"oid": SYS_CONTACT, "type": "c", "value": 2 ** 32},
            {"oid": SYS_CONTACT, "type": "C", "value": "18446744073709551616"},
            {"oid": SYS_CONTACT, "type": "a", "value": "1.2.3"},
            {"oid": SYS_CONTACT, "type": "o", "value": "1.x"},
            {"oid": SYS_CONTACT, "type": "x", "value": "abc"},
            {"oid": SYS_CONTACT, "type": "d", "value": "1.256"},
            {"oid": SYS_CONTACT, "type": "s"},
            {"oid": "nope", "type": "s", "value": "x"},
            "1.3.6.1",
        ]
        for vb in bad:
            with self.subTest(vb=vb):
                e = self.error("snmp.set", {"session": "rw", "varbinds": [vb]})
                self.assertEqual(e["code"], -32602, e)
                self.assertIn("varbinds[0]", e["message"])
        e = self.error("snmp.set", {"session": "rw", "varbinds": []})
        self.assertEqual(e["code"], -32602)

    def test_invalid_params(self):
        cases = [
            ({"session": "lo"}, "oids"),
            ({"session": "lo", "oids": []}, "oids"),
            ({"session": "lo", "oids": [SYS_DESCR, "1.3.x"]}, "oids[1]: not an OID"),
            ({"session": "lo", "oids": [SYS_DESCR, 7]}, "oids[1]: not an OID"),
            ({"session": "nosuch", "oids": [SYS_DESCR]}, "unknown session"),
            ({"oids": [SYS_DESCR]}, "session or target"),
            ({"session": "lo", "target": {"host": "127.0.0.1"},
              "oids": [SYS_DESCR]}, "not both"),
            ({"target": {"port": 161}, "oids": [SYS_DESCR]}, "target"),
            ({"target": {"host": "127.0.0.1", "timeout": "soon"},
              "oids": [SYS_DESCR]}, "target"),
        ]
        for params, text in cases:
            with self.subTest(params=params):
                e = self.error("snmp.get", params)
                self.assertEqual(e["code"], -32602, e)
                self.assertIn(text, e["message"])
        r = self.daemon.client.rpc("snmp.get", [SYS_DESCR])
        self.assertEqual(r["error"]["code"], -32602)
        e = self.error("snmp.walk", {"session": "lo"})
        self.assertEqual(e["code"], -32602)
        e = self.error("snmp.walk", {"session": "lo", "oid": "x"})
        self.assertEqual(e["code"], -32602)

    def test_unreachable_agent_times_out(self):
        # The tries as the daemon sent them (trace events, its clock).
        tr = self.daemon.connect()
        self.addCleanup(tr.close)
        tr.call("events.subscribe", {"events": "trace", "sessions": "dead"})
        t0 = time.monotonic()
        e = self.error("snmp.get", {"session": "dead", "oids": [SYS_DESCR]})
        elapsed = time.monotonic() - t0
        self.assertEqual(e["code"], 201)
        self.assertEqual(e["message"], "timeout")
        self.assertIn("2 tries", e["data"]["detail"])
        # timeout 200ms, retries 1: two tries 200 ms apart by the
        # daemon's clock (10 ms of slack for the events' milliseconds),
        # the answer 200 ms after the second, so at least 2 x 200 ms
        # after the request (less the 50 ms of slack this always had).
        # The upper bounds tell the session's 200 ms from the default
        # timeout (5 s a try) with room for a busy machine: the gap is
        # the daemon's timer alone, the answer also this test's wait.
        sent = []
        while len(sent) < 2:
            ev = tr.read_msg(5)["params"]
            if ev["direction"] == "out":
                sent.append(event_time(ev))
        self.assertGreaterEqual(sent[1] - sent[0], 0.19)
        self.assertLess(sent[1] - sent[0], 1.0)
        self.assertGreaterEqual(elapsed, 0.35)
        self.assertLess(elapsed, 5.0)
        st = self.call("session.show", {"session": "dead"})["stats"]
        self.assertGreaterEqual(st["timeouts"], 1)

    def test_stream_timeout_counts_the_one_try_sent(self):
        # Over TCP a request is written once (RFC 3430: no resend on the
        # connection): the timeout says 1 try, not retries + 1.
        port = silent_tcp_port(self)
        e = self.error("snmp.get", {"target": {
            "host": "127.0.0.1", "port": port, "transport": "tcp",
            "timeout": "150ms", "retries": 2}, "oids": [SYS_DESCR]})
        self.assertEqual(e["code"], 201, e)
        self.assertEqual(e["data"]["detail"], "no response from "
                         "127.0.0.1:%d after 1 try" % port)
        self.assertIsInstance(e["data"]["request_id"], int)

    def test_inline_target_timeout(self):
        e = self.error("snmp.get", {"target": {
            "host": "127.0.0.1", "port": self.dead_port, "timeout": "100ms",
            "retries": 0}, "oids": [SYS_DESCR]})
        self.assertEqual(e["code"], 201)

    # ---------------------------------------------------------- snmp.walk

    def walk(self, params, client=None):
        c = client or self.daemon.client
        notes, reply = c.rpc_stream("snmp.walk", params, timeout=30)
        return notes, reply

    def test_walk_streams_rows_then_count(self):
        notes, reply = self.walk({"session": "lo", "oid": SYSTEM,
                                  "max_repetitions": 4})
        self.assertIn("result", reply, reply)
        rows = []
        for n in notes:
            self.assertEqual(n["method"], "walk.rows")
            self.assertNotIn("id", n)
            self.assertEqual(n["params"]["id"], reply["id"])
            self.assertLessEqual(len(n["params"]["varbinds"]), 4)
            rows += n["params"]["varbinds"]
        self.assertGreater(len(notes), 1)
        self.assertEqual(reply["result"]["count"], len(rows))
        self.assertEqual(reply["result"]["last_oid"], rows[-1]["oid"])
        keys = [oid_key(r["oid"]) for r in rows]
        self.assertEqual(keys, sorted(set(keys)))
        for r in rows:
            self.assertTrue(r["oid"].startswith(SYSTEM + "."), r)

    def test_walk_collected_matches_stream(self):
        notes, reply = self.walk({"session": "lo", "oid": SYSTEM})
        streamed = [v["oid"] for n in notes for v in n["params"]["varbinds"]]
        res = self.call("snmp.walk", {"session": "lo", "oid": SYSTEM,
                                      "stream": False})
        self.assertEqual([v["oid"] for v in res["varbinds"]], streamed)
        self.assertEqual(res["count"], len(streamed))

    def test_walk_limit_and_resume(self):
        res = self.call("snmp.walk", {"session": "lo", "oid": SYSTEM,
                                      "limit": 3, "stream": False})
        self.assertEqual(res["count"], 3)
        first = [v["oid"] for v in res["varbinds"]]
        rest = self.call("snmp.walk", {"session": "lo", "oid": SYSTEM,
                                       "start_oid": res["last_oid"],
                                       "stream": False})
        whole = self.call("snmp.walk", {"session": "lo", "oid": SYSTEM,
                                        "stream": False})
        self.assertEqual(first + [v["oid"] for v in rest["varbinds"]],
                         [v["oid"] for v in whole["varbinds"]])

    def test_walk_v1_getnext(self):
        res = self.call("snmp.walk", {"session": "lo1", "oid": SYSTEM,
                                      "stream": False})
        self.assertGreater(res["count"], 5)
        self.assertEqual(res["varbinds"][0]["oid"], SYS_DESCR)

    def test_walk_unreachable_reports_count(self):
        notes, reply = self.walk({"session": "dead", "oid": SYSTEM})
        self.assertEqual(notes, [])
        self.assertEqual(reply["error"]["code"], 201)
        self.assertEqual(reply["error"]["data"]["count"], 0)
        self.assertIn("last_oid", reply["error"]["data"])

    # ---------------------------------------------------- protocol, framing

    def test_protocol_errors(self):
        raw = (b'{"jsonrpc":"2.0","id":1,"method":\n'
               b'[1,2]\n'
               b'{"jsonrpc":"1.0","id":3,"method":"daemon.status"}\n'
               b'{"id":4,"method":"daemon.status"}\n'
               b'{"jsonrpc":"2.0","id":5,"method":7}\n'
               b'{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.status"}\n'
               b'{"jsonrpc":"2.0","id":7,"method":"no.such"}\n'
               b'{"jsonrpc":"2.0","id":8,"method":"session.show","params":3}\n'
               b'\n'
               b'{"jsonrpc":"2.0","id":9,"method":"daemon.status"}\r\n')
        out = self.daemon.raw(raw)
        replies = [json.loads(l) for l in out.splitlines()]
        codes = [(r["id"], r.get("error", {}).get("code")) for r in replies]
        self.assertEqual(codes, [(None, -32700), (None, -32600), (3, -32600),
                                 (4, -32600), (5, -32600), (None, -32600),
                                 (7, -32601), (8, -32602), (9, None)])
        self.assertIn("result", replies[-1])

    def test_deep_nesting_rejected(self):
        out = self.daemon.raw(b"[" * 100000 + b"]" * 100000 + b"\n" +
                              b'{"jsonrpc":"2.0","id":1,"method":"daemon.status",'
                              b'"params":' + b'{"a":' * 40 + b'1' + b'}' * 40 +
                              b'}\n')
        replies = [json.loads(l) for l in out.splitlines()]
        self.assertEqual(len(replies), 2)
        for r in replies:
            self.assertEqual(r["error"]["code"], -32600)

    def test_ids_of_any_kind_come_back(self):
        c = self.daemon.connect()
        try:
            for rid in ("abc", 0, -5, 1.5, "x" * 1000):
                r = c.rpc("daemon.status", id=rid)
                self.assertEqual(r["id"], rid)
                self.assertIn("result", r)
        finally:
            c.close()
        out = self.daemon.raw(b'{"jsonrpc":"2.0","id":null,"method":'
                              b'"daemon.status"}\n')
        r = json.loads(out)
        self.assertIsNone(r["id"])
        self.assertIn("result", r)

    def test_many_requests_in_flight_matched_by_id(self):
        c = self.daemon.connect()
        try:
            oids = [SYS_DESCR, SYS_OBJECTID, SYS_UPTIME, SYS_CONTACT, SYS_NAME]
            sent = {}
            lines = []
            for i in range(40):
                rid = "req-%d" % i if i % 2 else 1000 + i
                oid = oids[i % len(oids)]
                sent[rid] = oid
                method = "snmp.getnext" if i % 3 == 0 else "snmp.get"
                lines.append(json.dumps({"jsonrpc": "2.0", "id": rid,
                                         "method": method, "params": {
                                             "session": "lo", "oids": [oid]}}))
                if method == "snmp.getnext":
                    sent[rid] = ("next", oid)
            c.send_line("\n".join(lines).encode())
            got = {}
            while len(got) < len(sent):
                m = c.read_msg(10)
                self.assertNotIn(m["id"], got)
                got[m["id"]] = m
            for rid, want in sent.items():
                vb = got[rid]["result"]["varbinds"]
                self.assertEqual(len(vb), 1)
                if isinstance(want, tuple):
                    self.assertGreater(oid_key(vb[0]["oid"]), oid_key(want[1]))
                else:
                    self.assertEqual(vb[0]["oid"], want)
        finally:
            c.close()

    def test_notifications_get_no_reply(self):
        c = self.daemon.connect()
        try:
            c.notify("daemon.status")
            c.notify("snmp.get", {"session": "lo", "oids": [SYS_DESCR]})
            c.notify("no.such.method")
            c.notify("snmp.walk", {"session": "lo", "oid": SYSTEM})
            # Let the SNMP ones finish; nothing may arrive for them.
            time.sleep(0.5)
            r = c.rpc("daemon.status", id="after")
            self.assertEqual(r["id"], "after")
            self.assertEqual(c.notifications, [])
            with self.assertRaises(TimeoutError):
                c.read_line(0.3)
        finally:
            c.close()

    def test_long_line_rejected_and_closed(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        try:
            s.setblocking(False)
            data = b'{"jsonrpc":"2.0","id":1,"method":"daemon.status","x":"' + \
                b"a" * (1024 * 1024 + 10) + b'"}\n'
            sent = 0
            out = b""
            closed = False
            deadline = time.monotonic() + 10
            while not closed and time.monotonic() < deadline:
                w = [s] if sent < len(data) else []
                r, w, _ = select.select([s], w, [], 0.2)
                if w:
                    try:
                        sent += s.send(data[sent:sent + 65536])
                    except (BrokenPipeError, ConnectionResetError):
                        sent = len(data)
                if r:
                    try:
                        chunk = s.recv(65536)
                    except ConnectionResetError:
                        closed = True
                        continue
                    if not chunk:
                        closed = True
                    out += chunk
            self.assertTrue(closed, "connection not closed")
            reply = json.loads(out.splitlines()[0])
            self.assertEqual(reply["error"]["code"], -32600)
            self.assertEqual(reply["error"]["message"], "request line too long")
        finally:
            s.close()
        # A line just under the bound is still parsed.
        pad = 1024 * 1024 - 200
        line = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "daemon.status",
                           "pad": "b" * pad}).encode()
        self.assertLessEqual(len(line), 1024 * 1024)
        r = json.loads(self.daemon.raw(line + b"\n", timeout=5).splitlines()[0])
        self.assertEqual(r["id"], 2)
        self.assertIn("result", r)
        self.assertEqual(self.call("daemon.status")["pid"], self.daemon.pid)

    def test_garbage_does_not_kill_daemon(self):
        rnd = random.Random(1234)
        junk = [
            bytes(rnd.randrange(256) for _ in range(4096)),
            b"\x00" * 1000 + b"\n",
            b'{"jsonrpc":"2.0","id":1,"method":"daemon.status\x00"}\n',
            b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"daemon.status"}\n',
            b'{"jsonrpc":"2.0","id":1e999999,"method":"daemon.status"}\n',
            b'{"jsonrpc":"2.0","id":1,"method":"snmp.walk","params":{"session":'
            b'"lo","oid":"1.3.6","limit":99999999999999999999999}}\n',
            b'{"jsonrpc":"2.0","id":1,"method":"snmp.get","params":{"session":'
            b'"lo","oids":["' + b"1." * 300 + b'1"]}}\n',
            b'{"jsonrpc":"2.0","id":1,"method":"snmp.getbulk","params":{'
            b'"session":"lo","oids":["1.3"],"max_repetitions":4294967297}}\n',
            b'\xff\xfe{"jsonrpc":"2.0"}\n',
            b'"\\ud800"\n',
        ]
        for data in junk:
            with self.subTest(data=data[:60]):
                out = self.daemon.raw(data, timeout=2, quiet=0.3)
                for line in out.splitlines():
                    m = json.loads(line)
                    self.assertIn("error", m)
                self.assertTrue(self.daemon.alive(), self.daemon.log()[-2000:])
        self.assertEqual(self.call("daemon.status")["pid"], self.daemon.pid)

    def test_client_gone_mid_walk_cancels_it(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "snmp.walk",
                              "params": {"session": "lo", "oid": "1.3.6.1",
                                         "max_repetitions": 2}}).encode()
                  + b"\n")
        f = s.makefile("rb")
        first = json.loads(f.readline())
        self.assertEqual(first["method"], "walk.rows")
        f.close()
        s.close()
        # The walk is cancelled with its connection; a new client is served.
        deadline = time.monotonic() + 5
        while True:
            st = self.call("daemon.status")
            if st["walks"] == 0 and st["requests_in_flight"] == 0:
                break
            self.assertLess(time.monotonic(), deadline, st)
            time.sleep(0.05)
        r = self.call("snmp.get", {"session": "lo", "oids": [SYS_DESCR]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)

    def test_client_gone_with_request_pending(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "snmp.get",
                              "params": {"session": "dead",
                                         "oids": [SYS_DESCR]}}).encode() + b"\n")
        time.sleep(0.1)
        s.close()
        time.sleep(0.6)         # past the dead session's two tries
        st = self.call("daemon.status")
        self.assertEqual(st["requests_in_flight"], 0)

    def half_closed(self, data):
        """Send data, shut down our sending side (what `echo ... | socat`
        does), and return the parsed lines received until the daemon
        closes the connection."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            out, closed = read_until_closed(s, timeout=10)
        finally:
            s.close()
        self.assertTrue(closed, "daemon did not close: %r" % out[-300:])
        return [json.loads(l) for l in out.splitlines()]

    def test_half_closed_client_gets_its_replies(self):
        reqs = [
            {"jsonrpc": "2.0", "id": 1, "method": "snmp.get",
             "params": {"session": "lo", "oids": [SYS_DESCR]}},
            {"jsonrpc": "2.0", "id": 2, "method": "snmp.walk",
             "params": {"session": "lo", "oid": SYSTEM,
                        "max_repetitions": 2}},
            # Answered only after two 200 ms tries.
            {"jsonrpc": "2.0", "id": 3, "method": "snmp.get",
             "params": {"session": "dead", "oids": [SYS_DESCR]}},
        ]
        msgs = self.half_closed(b"".join(json.dumps(r).encode() + b"\n"
                                         for r in reqs))
        replies = {m["id"]: m for m in msgs if "id" in m}
        self.assertEqual(sorted(replies), [1, 2, 3])
        self.assertEqual(replies[1]["result"]["varbinds"][0]["oid"], SYS_DESCR)
        rows = [v for m in msgs if m.get("method") == "walk.rows"
                for v in m["params"]["varbinds"]]
        self.assertGreater(len(rows), 5)
        self.assertEqual(replies[2]["result"]["count"], len(rows))
        self.assertEqual(replies[2]["result"]["last_oid"], rows[-1]["oid"])
        self.assertEqual(replies[3]["error"]["code"], 201)
        st = self.call("daemon.status")
        self.assertEqual(st["requests_in_flight"], 0)
        self.assertEqual(st["walks"], 0)

    def test_half_closed_last_line_without_newline(self):
        msgs = self.half_closed(
            b'{"jsonrpc":"2.0","id":1,"method":"daemon.status"}\n'
            b'{"jsonrpc":"2.0","id":2,"method":"snmp.get","params":'
            b'{"session":"lo","oids":["' + SYS_NAME.encode() + b'"]}}')
        self.assertEqual([m["id"] for m in msgs], [1, 2])
        self.assertEqual(msgs[1]["result"]["varbinds"][0]["oid"], SYS_NAME)
        # Nothing pending: the daemon closes at once.
        self.assertEqual(self.half_closed(b""), [])

    def test_closed_client_cancels_at_once(self):
        # Unlike a half-close, closing the socket cancels what is pending
        # right away, not when the 30 s timeout would have ended it.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "snmp.get",
                              "params": {"target": {
                                  "host": "127.0.0.1", "port": self.dead_port,
                                  "timeout": "30s", "retries": 0},
                                  "oids": [SYS_DESCR]}}).encode() + b"\n")
        deadline = time.monotonic() + 5
        while self.call("daemon.status")["requests_in_flight"] == 0:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        s.close()
        deadline = time.monotonic() + 5
        while self.call("daemon.status")["requests_in_flight"] != 0:
            self.assertLess(time.monotonic(), deadline, "not cancelled")
            time.sleep(0.02)


class DaemonBackpressure(unittest.TestCase):
    """A streaming walk pauses while its client does not read."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test-daemon-")
        so = build_bigtable(self.tmp)
        if so is None:
            shutil.rmtree(self.tmp)
            self.skipTest("cannot build bench/bigtable.c (net-snmp-config)")
        self.agent = Snmpd(extra_conf=["dlmod bigtable %s" % so])
        self.daemon = Daemon({"sessions": {"big": self.agent.target(
            timeout="5s", max_repetitions=25)}})

    def tearDown(self):
        rc = self.daemon.stop()
        log = self.daemon.log()
        self.daemon.close()
        self.agent.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, log[-4000:])

    def requests(self):
        return self.daemon.call("session.show", {"session": "big"})[
            "stats"]["requests"]

    def test_walk_pauses_for_slow_reader(self):
        c = self.daemon.connect(timeout=60)
        try:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            rid = c.request("snmp.walk", {"session": "big", "oid": BIGTABLE})
            time.sleep(1.0)
            a = self.requests()
            time.sleep(0.5)
            b = self.requests()
            # Paused: no request went out while the client did not read,
            # and far fewer than the whole walk needs (50000 / 25).
            self.assertEqual(a, b)
            self.assertLess(b, BIGTABLE_OBJECTS // 25 // 2)
            self.assertEqual(self.daemon.call("daemon.status")["walks"], 1)
            notes, reply = c.wait_reply(rid, timeout=60)
            rows = sum(len(n["params"]["varbinds"]) for n in notes)
            self.assertEqual(reply["result"]["count"], BIGTABLE_OBJECTS)
            self.assertEqual(rows, BIGTABLE_OBJECTS)
        finally:
            c.close()

    def test_client_that_never_reads_is_dropped(self):
        c = self.daemon.connect(timeout=60)
        try:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # Seven collected walks of ~3.5 MB each: past the 16 MiB bound.
            for i in range(7):
                c.request("snmp.walk", {"session": "big", "oid": BIGTABLE,
                                        "stream": False})
            deadline = time.monotonic() + 60
            while True:
                st = self.daemon.call("daemon.status")
                if st["clients_dropped"] == 1:
                    break
                self.assertLess(time.monotonic(), deadline, st)
                time.sleep(0.2)
            # Its remaining walks were cancelled with it.
            deadline = time.monotonic() + 10
            while st["walks"] or st["requests_in_flight"]:
                self.assertLess(time.monotonic(), deadline, st)
                time.sleep(0.1)
                st = self.daemon.call("daemon.status")
            self.assertIn("does not read", self.daemon.log())
        finally:
            c.close()
        self.assertTrue(self.daemon.alive())

    def test_collected_walk_bound(self):
        r = self.daemon.call("snmp.walk", {"session": "big", "oid": BIGTABLE,
                                           "stream": False}, timeout=60)
        self.assertEqual(r["count"], BIGTABLE_OBJECTS)
        self.assertEqual(len(r["varbinds"]), BIGTABLE_OBJECTS)
        # Counter64 keeps its high word as a decimal string.
        c64 = [v for v in r["varbinds"] if v["type"] == "Counter64"]
        self.assertEqual(len(c64), BIGTABLE_OBJECTS // 5)
        self.assertTrue(all(isinstance(v["value"], str) for v in c64))
        self.assertTrue(any(int(v["value"]) > 2 ** 32 for v in c64))


class DaemonCommandLine(unittest.TestCase):
    """snmpmgrd -t, -V, signals, readiness, socket handling."""

    def setUp(self):
        self.prog = os.path.join(top_builddir(), "snmpmgrd")
        if not os.access(self.prog, os.X_OK):
            self.skipTest("snmpmgrd not built")
        self.tmp = tempfile.mkdtemp(prefix="test-daemon-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def good_config(self, **extra):
        cfg = {"control": {"socket": os.path.join(self.tmp, "run", "ctl.sock")},
               "state_dir": self.tmp,
               "sessions": {"a": {"host": "127.0.0.1", "port": 1161}}}
        cfg.update(extra)
        return self.write("good.json", json.dumps(cfg, indent=2))

    def start(self, conf, env=None, args=()):
        e = dict(os.environ)
        e.update(env or {})
        log = open(os.path.join(self.tmp, "stderr.log"), "ab")
        p = subprocess.Popen([self.prog, "-c", conf] + list(args),
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, env=e)
        log.close()
        self.procs.append(p)
        return p

    def log(self):
        with open(os.path.join(self.tmp, "stderr.log"), errors="replace") as f:
            return f.read()

    def wait_socket(self, path, proc, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), self.log())
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(path)
                return
            except OSError:
                time.sleep(0.05)
        self.fail("socket %s not ready:\n%s" % (path, self.log()))

    def test_version_flag(self):
        r = subprocess.run([self.prog, "-V"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^snmpmgrd \d+\.\d+\.\d+\n$")

    def test_bad_flag_is_usage_error(self):
        r = subprocess.run([self.prog, "-Z"], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("usage", r.stderr)

    def test_check_good_config(self):
        conf = self.good_config()
        r = subprocess.run([self.prog, "-t", "-c", conf], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "run")))

    def test_check_bad_config_names_line_and_column(self):
        conf = self.write("bad.json", '{\n  "sessions": {\n    "a": {"host": }\n  }\n}\n')
        r = subprocess.run([self.prog, "-t", "-c", conf], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.escape(conf) + r":3:\d+:")

    def test_missing_config_fails_to_start(self):
        r = subprocess.run([self.prog, "-c", os.path.join(self.tmp, "none.json")],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("none.json", r.stderr)

    def test_sigterm_stops_cleanly_and_removes_socket(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        self.assertEqual(os.stat(sock).st_mode & 0o777, 0o660)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)
        self.assertFalse(os.path.exists(sock))

    def reload_moving_the_socket(self, p):
        """Reload a config whose control.socket is another: the log."""
        conf = os.path.join(self.tmp, "good.json")
        with open(conf) as f:
            cfg = json.load(f)
        cfg["control"]["socket"] = os.path.join(self.tmp, "moved.sock")
        with open(conf, "w") as f:
            json.dump(cfg, f)
        n = self.log().count("reload: applied")
        os.kill(p.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while self.log().count("reload: applied") == n:
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        return self.log()

    def test_socket_flag_overrides_config(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "other.sock")
        p = self.start(conf, args=["-s", sock])
        self.wait_socket(sock, p)
        # the config's socket is not used: no restart to ask for
        self.assertNotIn("control.socket changed",
                         self.reload_moving_the_socket(p))
        os.kill(p.pid, signal.SIGINT)
        self.assertEqual(p.wait(10), 0)
        # without -s, it is
        conf = self.good_config()
        p = self.start(conf)
        self.wait_socket(os.path.join(self.tmp, "run", "ctl.sock"), p)
        self.assertIn("control.socket changed",
                      self.reload_moving_the_socket(p))
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_socket_warning_compares_with_the_socket_in_use(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        log = self.reload_moving_the_socket(p)
        self.assertEqual(log.count("control.socket changed"), 1, log)
        # The path in use again: no change to warn about.
        self.rewrite(conf, lambda cfg: cfg["control"].update(socket=sock))
        c = ControlClient(sock)
        try:
            r = c.call("daemon.reload", timeout=10)
        finally:
            c.close()
        self.assertEqual(r["warnings"], [])
        self.assertEqual(self.log().count("control.socket changed"), 1)
        self.wait_socket(sock, p)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_stale_socket_replaced_live_one_kept(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        os.makedirs(os.path.dirname(sock))
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(sock)
        stale.close()           # the file stays, nobody listens
        p = self.start(conf)
        self.wait_socket(sock, p)
        # A second daemon on the same socket must refuse, not steal it
        # (with a state_dir of its own: one in use is refused before).
        other = os.path.join(self.tmp, "other-state")
        self.rewrite(conf, lambda cfg: cfg.update(state_dir=other))
        q = self.start(conf)
        self.assertEqual(q.wait(10), 1)
        self.assertIn("another server", self.log())
        self.wait_socket(sock, p)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def boots(self, state):
        with open(os.path.join(state, "engine-id")) as f:
            return json.load(f)["engine_boots"]

    def test_one_daemon_per_state_dir(self):
        # A second snmpmgrd on a state_dir in use (another socket, the
        # same trap journal) is refused, naming the first one's pid, and
        # raises no engineBoots; nor does a start that fails (its only
        # trap port taken).  A start that succeeds raises them by one,
        # on file before its socket shows.
        state = os.path.join(self.tmp, "state")
        port = free_udp_port()
        conf = self.good_config(state_dir=state,
                                traps={"listen": ["udp:127.0.0.1:%d" % port]})
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        self.assertEqual(self.boots(state), 1)
        q = self.start(conf, args=["-s", os.path.join(self.tmp, "q.sock")])
        self.assertEqual(q.wait(10), 1)
        self.assertRegex(self.log(), r"state_dir %s is in use by another "
                         r"snmpmgrd, pid %d " % (re.escape(state), p.pid))
        self.assertEqual(self.boots(state), 1)
        self.wait_socket(sock, p)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)
        # The lock goes with the daemon that held it (its file stays).
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", port))
            q = self.start(conf)
            self.assertEqual(q.wait(10), 1)
        self.assertIn("cannot start the trap receiver", self.log())
        self.assertEqual(self.boots(state), 1)
        p = self.start(conf)
        self.wait_socket(sock, p)
        self.assertEqual(self.boots(state), 2)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_state_dir_made_with_its_parents(self):
        # conf(5): state_dir is made when missing, parents included, and
        # the engine ID and boots go on file there (no "kept for this run
        # only"), its lock beside them; mode 0750.
        state = os.path.join(self.tmp, "var", "lib", "mgr")
        conf = self.good_config(state_dir=state)
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        self.assertEqual(self.boots(state), 1)
        self.assertNotIn("kept for this run only", self.log())
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o750)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_sighup_applies_and_refuses_a_broken_config(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        os.kill(p.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reload: applied" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        with open(conf, "w") as f:
            f.write("{ broken")
        os.kill(p.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not re.search(r"reload: .*" + re.escape(conf) + r":1:", self.log()):
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        self.assertIsNone(p.poll())
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def rewrite(self, conf, change):
        with open(conf) as f:
            cfg = json.load(f)
        change(cfg)
        with open(conf, "w") as f:
            json.dump(cfg, f, indent=2)

    def test_reload_keeps_restart_only_keys_in_use(self):
        # state_dir, control.socket, local_engine_id change at a restart
        # only: a reload keeps the values in use, each named once in a
        # warning, and nothing of the new ones is half applied.
        agent = Snmpd()
        self.addCleanup(agent.close)
        state1 = os.path.join(self.tmp, "state1")
        state2 = os.path.join(self.tmp, "state2")
        os.makedirs(state2)
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        conf = self.good_config(
            state_dir=state1,
            traps={"listen": ["udp:127.0.0.1:%d" % free_udp_port()]},
            sessions={"a": agent.target()})
        p = self.start(conf)
        self.wait_socket(sock, p)
        c = ControlClient(sock)
        self.addCleanup(c.close)
        # A persisted addition and a persisted option, in state1.
        c.call("session.add", {"session": "b", "config": agent.target(),
                               "persist": True})
        c.call("session.config", {"session": "a", "persist": True,
                                  "options": {"retries": 3}})
        for name in ("a", "b"):
            res = c.call("snmp.get", {"session": name, "oids": [SYS_NAME]})
            self.assertEqual(res["error_status"], 0)

        def reload():
            r = c.call("daemon.reload", timeout=10)
            self.assertEqual((r["added"], r["removed"], r["changed"]),
                             ([], [], []), r)
            self.assertEqual(r["unchanged"], 2)
            for name in ("a", "b"):
                show = c.call("session.show", {"session": name})
                self.assertEqual(show["stats"]["requests"], 1, name)
            self.assertEqual(c.call("session.show", {"session": "a"})
                             ["options"]["retries"], 3)
            return r["warnings"]

        with open(os.path.join(state1, "engine-id")) as f:
            engine = json.load(f)["engine_id"]
        self.rewrite(conf, lambda cfg: cfg.update(
            state_dir=state2, local_engine_id="0x8000000005c0ffee",
            resolver={"timeout": "2s"}))
        self.rewrite(conf, lambda cfg: cfg["control"].update(
            socket=os.path.join(self.tmp, "moved.sock"), mode="0600"))
        w = reload()
        self.assertEqual(len(w), 5, w)
        self.assertRegex(w[0], r"^state_dir changed to %s: .*%s stays" %
                         (re.escape(state2), re.escape(state1)))
        self.assertRegex(w[1], r"^control.socket changed: .*%s stays" %
                         re.escape(sock))
        self.assertRegex(w[2], r"^control.mode changed: .*0660 stays")
        self.assertRegex(w[3], r"^local_engine_id changed: .*%s stays" %
                         engine)
        self.assertRegex(w[4], r"^resolver changed: ")
        self.assertEqual(os.stat(sock).st_mode & 0o777, 0o660)
        for text in w:
            self.assertIn("reload: " + text, self.log())
        # Nothing went to state2: no journal, no session file.
        self.assertEqual(os.listdir(state2), [])
        self.assertNotIn(state2 + "/", self.log())
        self.wait_socket(sock, p)
        # Back to the values in use: nothing to warn about.
        self.rewrite(conf, lambda cfg: cfg.update(state_dir=state1,
                                                  local_engine_id=engine,
                                                  resolver={}))
        self.rewrite(conf, lambda cfg: cfg["control"].update(socket=sock,
                                                             mode="0660"))
        self.assertEqual(reload(), [])
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_notify_socket_ready_and_stopping(self):
        conf = self.good_config()
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        npath = os.path.join(self.tmp, "notify")
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(npath)
        n.settimeout(10)
        try:
            p = self.start(conf, env={"NOTIFY_SOCKET": npath})
            self.assertIn(b"READY=1", n.recv(4096))
            self.wait_socket(sock, p)
            os.kill(p.pid, signal.SIGTERM)
            self.assertIn(b"STOPPING=1", n.recv(4096))
            self.assertEqual(p.wait(10), 0)
        finally:
            n.close()

    def test_polls_are_scheduled_at_start(self):
        conf = self.good_config(polls={"sys": {"get": [SYS_UPTIME],
                                               "interval": "30s"}},
                                sessions={"a": {"host": "127.0.0.1",
                                                "port": 1161,
                                                "polls": ["sys"]}})
        sock = os.path.join(self.tmp, "run", "ctl.sock")
        p = self.start(conf)
        self.wait_socket(sock, p)
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)
        self.assertIn("1 polls scheduled", self.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
