#!/usr/bin/env python3
"""test_ctl - snmpmgrctl, the command-line client of the control socket.

Three groups: argument parsing (usage errors exit 2 before any connection
is tried); the client's side of the connection (missing socket, a peer that
hangs up, replies that arrive in small pieces or as one very long line),
checked against a scripted Unix socket peer in this file; and every command
against a real snmpmgrd and Net-SNMP snmpd (tests/snmptest.py), comparing
human and --json output with what snmpget/snmpwalk print for the same
objects.  Standard library only.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import (Daemon, Snmpd, SYS_DESCR, SYS_NAME,  # noqa: E402
                      SYS_UPTIME, WRITABLE_OID, free_udp_port, net_snmp,
                      norm_varbind, parse_net_snmp_line, top_builddir)

CTL = os.path.join(top_builddir(), "snmpmgrctl")
SYSTEM = "1.3.6.1.2.1.1"
SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
IFTABLE = "1.3.6.1.2.1.2.2"
SNMP_ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"
# snmpEnableAuthenTraps.0 (RFC 3418): INTEGER enabled(1)/disabled(2),
# writable in Net-SNMP unless the config fixes it.
AUTHEN_TRAPS = "1.3.6.1.2.1.11.30.0"
# Where snmpmgrctl takes secrets from when they are not flags.
SECRET_ENV = ("SNMPMGR_AUTH_PASSWORD", "SNMPMGR_PRIV_PASSWORD",
              "SNMPMGR_COMMUNITY")


def ctl_env(env=None):
    """The environment for snmpmgrctl: ours without its variables, plus
    env; SkipTest (AssertionError under make) when it is not built."""
    if not os.access(CTL, os.X_OK):
        if "top_builddir" in os.environ:
            raise AssertionError("%s not built" % CTL)
        raise unittest.SkipTest("%s not built" % CTL)
    e = dict(os.environ)
    for name in ("SNMPMGRD_SOCKET",) + SECRET_ENV:
        e.pop(name, None)
    if env:
        e.update(env)
    return e


def ctl(*args, env=None, input=None, timeout=30):
    """Run snmpmgrctl with ARGS; CompletedProcess (text)."""
    return subprocess.run([CTL] + [str(a) for a in args],
                          capture_output=True, text=True, env=ctl_env(env),
                          input=input, timeout=timeout)


class Usage(unittest.TestCase):
    """Usage errors: exit 2 and a usage message, before connecting (the
    socket given does not exist, so a connection attempt would say so)."""

    def setUp(self):
        self.sock = os.path.join(tempfile.gettempdir(),
                                 "snmpmgrctl-test-no-such.sock")

    def usage_error(self, *args):
        r = ctl("-s", self.sock, *args)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("usage:", r.stderr)
        self.assertNotIn("cannot connect", r.stderr)
        self.assertEqual(r.stdout, "")
        return r

    def test_no_command_is_usage_error(self):
        self.usage_error()

    def test_unknown_command_is_usage_error(self):
        r = self.usage_error("frobnicate")
        self.assertIn("unknown command: frobnicate", r.stderr)

    def test_unknown_global_option_is_usage_error(self):
        self.usage_error("--no-such-option", "status")

    def test_missing_operands_are_usage_errors(self):
        for args in (["get"], ["get", "lo"], ["show"], ["show", "a", "b"],
                     ["walk", "lo"], ["walk", "lo", "1.3", "1.4"],
                     ["set", "lo", "1.3.6.1.2.1.1.6.0", "s"],
                     ["getbulk", "-n", "1"], ["call"],
                     ["status", "extra"]):
            with self.subTest(args=args):
                self.usage_error(*args)

    def test_bad_option_values_are_usage_errors(self):
        for args in (["getbulk", "-n", "x", "lo", "1.3"],
                     ["getbulk", "-r", "-1", "lo", "1.3"],
                     ["walk", "--limit", "many", "lo", "1.3"],
                     ["get", "-H", "127.0.0.1:0", "1.3"],
                     ["get", "-H", "127.0.0.1:70000", "1.3"],
                     ["get", "-H", "[::1", "1.3"],
                     ["get", "-H", "h", "-v", "4", "1.3"],
                     ["get", "-H", "h", "--retries", "x", "1.3"],
                     ["get", "-c", "public", "lo", "1.3"],
                     ["get", "--community-file", "/dev/null", "lo", "1.3"],
                     ["get", "--auth-password-file", "/dev/null", "lo",
                      "1.3"],
                     ["get", "--limit", "3", "lo", "1.3"],
                     ["status", "-H", "h"]):
            with self.subTest(args=args):
                self.usage_error(*args)

    def test_options_after_operands_are_usage_errors(self):
        # Not sent to the daemon as OIDs: said before connecting.
        for args in (["get", "lo", "-v", "1", SYS_NAME],
                     ["get", "lo", SYS_NAME, "-v", "1"],
                     ["get", "-H", "127.0.0.1", SYS_NAME, "--retries", "1"],
                     ["getnext", "lo", "-O", "n", SYS_NAME],
                     ["getbulk", "lo", "-r", "5", SYS_NAME],
                     ["walk", "lo", "--limit", "3", "1.3"],
                     ["walk", "lo", "1.3", "--json"],
                     ["set", "lo", "-c", "x", WRITABLE_OID, "s", "v"],
                     ["set", "lo", WRITABLE_OID, "s", "v", "-v", "1", "x"],
                     ["inform", "lo", "-t", "1s", "1.3.6.1.4.1.1.0.1"],
                     ["table", "lo", "--getnext", "1.3.6.1.2.1.2.2"],
                     ["discover", "lo", "-l", "authPriv"]):
            with self.subTest(args=args):
                r = self.usage_error(*args)
                self.assertIn("after an operand: options come first",
                              r.stderr)
        # A negative value where a value goes is no option.
        p = Peer(lambda conn, req: conn.sendall(_line(
            {"jsonrpc": "2.0", "id": req["id"], "result": {}})))
        try:
            r = ctl("-s", p.path, "set", "lo", WRITABLE_OID, "i", "-5",
                    WRITABLE_OID, "s", "-x")
        finally:
            p.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([v.get("value") for v in
                          p.requests[0]["params"]["varbinds"]], [-5, "-x"])

    def test_set_rejects_unknown_type_letter(self):
        r = self.usage_error("set", "lo", WRITABLE_OID, "z", "v")
        self.assertIn("i u t a o s x d n c C U", r.stderr)

    def test_call_rejects_bad_json_params(self):
        r = ctl("-s", self.sock, "call", "daemon.status", "{not json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("JSON-PARAMS", r.stderr)
        r = ctl("-s", self.sock, "call", "daemon.status", "-",
                input="[1,")
        self.assertEqual(r.returncode, 2)
        self.assertIn("JSON-PARAMS", r.stderr)

    def test_help_exits_zero_and_lists_every_command(self):
        r = ctl("-h")
        self.assertEqual(r.returncode, 0)
        for c in ("status", "sessions", "show", "get", "getnext", "getbulk",
                  "set", "walk", "call"):
            self.assertRegex(r.stdout, r"(?m)^  %s\b" % c)
        r = ctl("help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage:", r.stdout)

    def test_version_flag(self):
        r = ctl("-V")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^snmpmgrctl \d+\.\d+")


class Peer:
    """A scripted control-socket peer: for each connection, read one
    request line and run script(conn, request).  Not a daemon stand-in for
    results; it exercises the client's framing and failure handling."""

    def __init__(self, script):
        self.dir = tempfile.mkdtemp(prefix="snmpmgrctl-test-")
        self.path = os.path.join(self.dir, "peer.sock")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(4)
        self.script = script
        self.requests = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        with conn:
            buf = b""
            while b"\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            req = json.loads(buf.split(b"\n", 1)[0])
            self.requests.append(req)
            self.script(conn, req)

    def close(self):
        self.srv.close()
        self.thread.join(5)
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.rmdir(self.dir)


def _line(obj):
    return (json.dumps(obj) + "\n").encode()


class Connection(unittest.TestCase):

    def test_nested_results_print_as_lines(self):
        # What a DTLS session's show and stats traps hold: lists of
        # objects, lists of strings, empty ones, reals with a double's
        # noise (as a raw reply line may carry them).
        raw = (b'{"jsonrpc":"2.0","id":%d,"result":{"name":"d",'
               b'"tls":{"peer":{"subject":"CN=agent","san":[{"type":"dns",'
               b'"value":"agent.example"},{"type":"ip","value":"::1"}],'
               b'"chain":[{"subject":"CN=agent","issuer":"CN=ca"}]},'
               b'"ciphers":["A","B"],"empty":[],"none":{}},'
               b'"listeners":[{"listen":"udp:[::1]:162","open":true,'
               b'"rtt_ms":0.39900000000000002,"tiny":1.0000000000000001e-05,'
               b'"nested":[[1,2],[3]]}],"uptime":12345.678901234}}\n')
        p = Peer(lambda conn, req: conn.sendall(raw % req["id"]))
        try:
            r = ctl("-s", p.path, "show", "d")
        finally:
            p.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "\n".join([
            "name: d",
            "tls:",
            "  peer:",
            "    subject: CN=agent",
            "    san:",
            "      - type: dns",
            "        value: agent.example",
            "      - type: ip",
            "        value: ::1",
            "    chain:",
            "      - subject: CN=agent",
            "        issuer: CN=ca",
            "  ciphers: A, B",
            "  empty: -",
            "  none: -",
            "listeners:",
            "  - listen: udp:[::1]:162",
            "    open: yes",
            "    rtt_ms: 0.399",
            "    tiny: 1e-05",
            "    nested:",
            "      - 1, 2",
            "      - 3",
            "uptime: 12345.679", ""]))

    def test_missing_socket_exits_2(self):
        path = os.path.join(tempfile.gettempdir(), "snmpmgrctl-nope.sock")
        r = ctl("-s", path, "status")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot connect to " + path, r.stderr)

    def test_socket_from_environment(self):
        path = os.path.join(tempfile.gettempdir(), "snmpmgrctl-env.sock")
        r = ctl("status", env={"SNMPMGRD_SOCKET": path})
        self.assertEqual(r.returncode, 2)
        self.assertIn(path, r.stderr)

    def test_default_socket_path(self):
        if os.path.exists("/run/snmpmgrd/control.sock"):
            self.skipTest("a system snmpmgrd is running")
        r = ctl("status")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/run/snmpmgrd/control.sock", r.stderr)

    def test_peer_closing_before_reply_exits_2(self):
        p = Peer(lambda conn, req: None)
        try:
            r = ctl("-s", p.path, "status")
        finally:
            p.close()
        self.assertEqual(r.returncode, 2)
        self.assertIn("closed the connection", r.stderr)

    def test_peer_closing_mid_walk_exits_2_after_rows(self):
        def script(conn, req):
            conn.sendall(_line({"jsonrpc": "2.0", "method": "walk.rows",
                                "params": {"id": req["id"], "varbinds": [
                                    {"oid": "1.3.6.1.2.1.1.%d.0" % i,
                                     "type": "Integer32", "value": i}
                                    for i in range(1, 4)]}}))
        p = Peer(script)
        try:
            r = ctl("-s", p.path, "walk", "lo", SYSTEM)
        finally:
            p.close()
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stdout.splitlines()), 3)
        self.assertIn("closed the connection", r.stderr)

    def test_reply_in_small_pieces_and_one_long_line(self):
        big = "x" * 300000             # several read buffers long
        reply = None

        def script(conn, req):
            nonlocal reply
            reply = _line({"jsonrpc": "2.0", "id": req["id"], "result": {
                "error_status": 0, "error_status_name": "noError",
                "error_index": 0, "varbinds": [
                    {"oid": SYS_DESCR, "type": "OCTET STRING",
                     "value": big}]}})
            head, tail = reply[:1000], reply[1000:]
            for i in range(0, len(head), 7):    # partial reads
                conn.sendall(head[i:i + 7])
            conn.sendall(tail)
        p = Peer(script)
        try:
            r = ctl("-s", p.path, "get", "lo", SYS_DESCR)
        finally:
            p.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '.%s = STRING: "%s"\n' % (SYS_DESCR, big))
        self.assertEqual(p.requests[0]["method"], "snmp.get")
        self.assertEqual(p.requests[0]["params"],
                         {"session": "lo", "oids": [SYS_DESCR]})

    def test_malformed_reply_exits_2(self):
        p = Peer(lambda conn, req: conn.sendall(b"this is not json\n"))
        try:
            r = ctl("-s", p.path, "status")
        finally:
            p.close()
        self.assertEqual(r.returncode, 2)
        self.assertIn("malformed reply", r.stderr)

    def test_foreign_ids_and_notifications_are_skipped(self):
        def script(conn, req):
            conn.sendall(_line({"jsonrpc": "2.0", "method": "event",
                                "params": {"x": 1}}))
            conn.sendall(_line({"jsonrpc": "2.0", "id": "other",
                                "result": {"wrong": True}}))
            conn.sendall(_line({"jsonrpc": "2.0", "id": req["id"],
                                "result": {"right": True}}))
        p = Peer(script)
        try:
            r = ctl("-s", p.path, "--json", "status")
        finally:
            p.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"right": True})

    def test_request_shapes(self):
        """Each command sends its method with doc/protocol.md's params."""
        cases = [
            (["getbulk", "-n", "1", "-r", "7", "lo", "1.3.6", "1.3.7"],
             "snmp.getbulk", {"session": "lo", "oids": ["1.3.6", "1.3.7"],
                              "non_repeaters": 1, "max_repetitions": 7}),
            (["walk", "--limit", "5", "--start-oid", "1.3.6.1.2.1.1.3.0",
              "--no-inside-range", "--getnext", "-r", "9", "lo", SYSTEM],
             "snmp.walk", {"session": "lo", "oid": SYSTEM, "limit": 5,
                           "start_oid": "1.3.6.1.2.1.1.3.0",
                           "inside_range": False, "use_getnext": True,
                           "max_repetitions": 9, "stream": True}),
            (["get", "-H", "udp6:[::1]:1161", "-v", "1", "-c", "pub",
              "-t", "0.5", "-r", "3", SYS_NAME],
             "snmp.get", {"target": {"host": "::1", "port": 1161,
                                     "transport": "udp6", "version": "1",
                                     "community": "pub", "timeout": 0.5,
                                     "retries": 3}, "oids": [SYS_NAME]}),
            (["getnext", "-H", "agent.example", "-t", "300ms", SYS_NAME],
             "snmp.getnext", {"target": {"host": "agent.example",
                                         "timeout": "300ms"},
                              "oids": [SYS_NAME]}),
            (["set", "lo", "1.3.6.1.2.1.1.6.0", "s", "here",
              "1.3.6.1.2.1.1.7.0", "i", "-5", "1.3.6.1.2.1.1.8.0", "n", "x"],
             "snmp.set", {"session": "lo", "varbinds": [
                 {"oid": "1.3.6.1.2.1.1.6.0", "type": "s", "value": "here"},
                 {"oid": "1.3.6.1.2.1.1.7.0", "type": "i", "value": -5},
                 {"oid": "1.3.6.1.2.1.1.8.0", "type": "n"}]}),
            (["show", "core1"], "session.show", {"session": "core1"}),
            (["call", "x.y", '{"a": [1, 2]}'], "x.y", {"a": [1, 2]}),
        ]
        for args, method, params in cases:
            with self.subTest(args=args):
                p = Peer(lambda conn, req: conn.sendall(_line(
                    {"jsonrpc": "2.0", "id": req["id"], "result": {}})))
                try:
                    r = ctl("-s", p.path, *args)
                finally:
                    p.close()
                self.assertEqual(r.returncode, 0, r.stderr)
                req = p.requests[0]
                self.assertEqual(req["jsonrpc"], "2.0")
                self.assertEqual(req["method"], method)
                self.assertEqual(req["params"], params)


def _vb_lines(text):
    return [l for l in text.splitlines() if l.strip()]


class AgainstDaemon(unittest.TestCase):
    """Every command against snmpmgrd and a Net-SNMP snmpd."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(stable_view=True)
        cls.dead_port = free_udp_port()
        try:
            cls.daemon = Daemon({"sessions": {
                "lo": cls.agent.target(),
                "lo1": cls.agent.target(version="1"),
                "rw": cls.agent.target(community="private"),
            }})
        except BaseException:
            cls.agent.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()

    def run_ctl(self, *args, **kw):
        return ctl("-s", self.daemon.sock, *args, **kw)

    def ok(self, *args, **kw):
        r = self.run_ctl(*args, **kw)
        self.assertEqual(r.returncode, 0, "%s\n%s\n%s" % (
            args, r.stderr, self.daemon.log()[-2000:]))
        return r.stdout

    def js(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))

    def net(self, cmd, community, *args):
        return [parse_net_snmp_line(l) for l in net_snmp(
            cmd, "-v2c", "-c", community, self.agent.addr, *args)]

    # ------------------------------------------------ status and sessions

    def test_status_human_and_json(self):
        out = self.ok("status")
        self.assertRegex(out, r"(?m)^pid: %d$" % self.daemon.pid)
        self.assertRegex(out, r"(?m)^version: \d")
        st = self.js("status")
        self.assertEqual(st["pid"], self.daemon.pid)
        self.assertEqual(st["sessions"], 3)

    def test_sessions_table_and_json(self):
        lines = self.ok("sessions").splitlines()
        self.assertEqual(lines[0].split()[:4],
                         ["NAME", "HOST", "PORT", "VERSION"])
        rows = [l.split() for l in lines[1:]]
        self.assertEqual([r[0] for r in rows], ["lo", "lo1", "rw"])
        for r in rows:
            self.assertEqual(r[1:3], ["127.0.0.1", str(self.agent.port)])
        self.assertEqual(rows[1][3], "1")
        js = self.js("sessions")
        self.assertEqual([s["name"] for s in js["sessions"]],
                         ["lo", "lo1", "rw"])

    def test_sessions_rtt_is_dash_before_an_answer(self):
        # lo1 is asked nothing in this class before this test.
        lines = self.ok("sessions").splitlines()
        head = lines[0].split()
        row = [l.split() for l in lines[1:] if l.split()[0] == "lo1"][0]
        self.assertEqual(row[head.index("RTT_MS")], "-", lines)
        self.assertEqual(row[head.index("SRTT_MS")], "-", lines)
        self.assertIsNone(self.js("show", "lo1")["stats"]["last_rtt_ms"])

    def test_sessions_bad_state_is_error(self):
        for args in (["sessions", "--state", "bogus"],
                     ["call", "session.list", '{"state": "UP"}'],
                     ["call", "session.list", '{"stat": "up"}']):
            with self.subTest(args=args):
                r = self.run_ctl(*args)
                self.assertEqual(r.returncode, 1, r)
                self.assertIn("error -32602", r.stderr)
                self.assertEqual(r.stdout, "")
        r = self.run_ctl("sessions", "--state", "bogus")
        self.assertIn('"up", "down", "unknown", "disabled" or "error"',
                      r.stderr)

    def test_watch_unknown_session_is_error(self):
        # Said at once, not a watch that never prints.
        r = self.run_ctl("watch", "--session", "lo,nosuch", timeout=10)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn('unknown session "nosuch"', r.stderr)
        self.assertEqual(r.stdout, "")

    def test_show_human_and_json(self):
        out = self.ok("show", "rw")
        self.assertRegex(out, r"(?m)^name: rw$")
        self.assertNotIn("private", out)        # the community is masked
        js = self.js("show", "rw")
        self.assertEqual(js["name"], "rw")

    def test_error_reply_exits_1_with_message(self):
        r = self.run_ctl("show", "no-such-session")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^snmpmgrctl: error -?\d+: ")
        self.assertEqual(r.stdout, "")
        r = self.run_ctl("get", "no-such-session", SYS_NAME)
        self.assertEqual(r.returncode, 1)
        r = self.run_ctl("call", "no.such.method")
        self.assertEqual(r.returncode, 1)
        self.assertIn("-32601", r.stderr)

    # ----------------------------------------------------- get and friends

    def test_get_human_matches_snmpget(self):
        out = self.ok("get", "lo", SYS_DESCR, SYS_OBJECTID, SNMP_ENGINE_ID)
        ours = [parse_net_snmp_line(l) for l in _vb_lines(out)]
        theirs = self.net("snmpget", "public", SYS_DESCR, SYS_OBJECTID,
                          SNMP_ENGINE_ID)
        self.assertEqual(ours, theirs)
        self.assertTrue(out.startswith(".%s = STRING: \"" % SYS_DESCR))
        self.assertIn(" = Hex-STRING: 80 ", out)

    def test_get_timeticks_and_missing_object(self):
        out = self.ok("get", "lo", SYS_UPTIME, "1.3.6.1.2.1.1.99.0")
        lines = _vb_lines(out)
        self.assertRegex(lines[0], r"^\.%s = Timeticks: \(\d+\) "
                         r"(\d+ days?, )?\d+:\d\d:\d\d\.\d\d$" % SYS_UPTIME)
        self.assertRegex(lines[1], r"= No Such (Object|Instance)")

    def test_get_json_matches_snmpget(self):
        res = self.js("get", "lo", SYS_DESCR, SYS_OBJECTID, SNMP_ENGINE_ID)
        self.assertEqual(res["error_status"], 0)
        ours = [norm_varbind(vb) for vb in res["varbinds"]]
        theirs = self.net("snmpget", "public", SYS_DESCR, SYS_OBJECTID,
                          SNMP_ENGINE_ID)
        self.assertEqual(ours, theirs)

    def test_getnext_matches_snmpgetnext(self):
        out = self.ok("getnext", "lo", SYSTEM, SYS_DESCR)
        ours = [parse_net_snmp_line(l) for l in _vb_lines(out)]
        theirs = self.net("snmpgetnext", "public", SYSTEM, SYS_DESCR)
        self.assertEqual([o[:2] for o in ours], [t[:2] for t in theirs])
        self.assertEqual(ours[0], theirs[0])            # sysDescr.0

    def test_getbulk_matches_snmpbulkget(self):
        res = self.js("getbulk", "-n", "1", "-r", "4", "lo", SYSTEM,
                      "1.3.6.1.2.1.1.4")
        theirs = self.net("snmpbulkget", "public", "-Cn1", "-Cr4", SYSTEM,
                          "1.3.6.1.2.1.1.4")
        self.assertEqual([norm_varbind(v)[:2] for v in res["varbinds"]],
                         [t[:2] for t in theirs])
        self.assertEqual(len(res["varbinds"]), 5)

    def test_getbulk_on_v1_is_error_305(self):
        r = self.run_ctl("getbulk", "lo1", SYSTEM)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 305", r.stderr)

    def test_adhoc_target(self):
        out = self.ok("get", "-H", self.agent.addr, "-v", "2c", "-c",
                      "public", "-t", "1", "-r", "1", SYS_DESCR)
        self.assertEqual([parse_net_snmp_line(l) for l in _vb_lines(out)],
                         self.net("snmpget", "public", SYS_DESCR))

    def test_adhoc_target_timeout_exits_1(self):
        r = self.run_ctl("get", "-H", "127.0.0.1:%d" % self.dead_port,
                         "-t", "200ms", "--retries", "0", SYS_NAME)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 201", r.stderr)

    # ----------------------------------------------------------------- set

    def test_set_readonly_community_reports_error_status(self):
        r = self.run_ctl("set", "lo", WRITABLE_OID, "s", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr,
                         r"Error in packet: \w+ \(\d+\) at index 1")
        self.assertEqual(len(_vb_lines(r.stdout)), 1)   # varbinds printed
        r = self.run_ctl("--json", "set", "lo", WRITABLE_OID, "s", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertNotEqual(json.loads(r.stdout)["error_status"], 0)

    def test_set_octet_string_letters(self):
        for letter, text, want in (
                ("s", "rack 4, row 2", b"rack 4, row 2"),
                # sysLocation is a DisplayString: snmpd takes printable
                # bytes only (wrongValue otherwise).
                ("x", "41 42 7a", b"ABz"),
                ("d", "72.105.33", b"Hi!")):
            with self.subTest(letter=letter):
                res = self.js("set", "rw", WRITABLE_OID, letter, text)
                self.assertEqual(res["error_status"], 0, res)
                got = self.net("snmpget", "public", WRITABLE_OID)[0]
                self.assertEqual(got, (WRITABLE_OID, "OCTET STRING", want))

    def test_set_integer_letter(self):
        for value in (2, 1):
            res = self.js("set", "rw", AUTHEN_TRAPS, "i", value)
            self.assertEqual(res["error_status"], 0, res)
            got = self.net("snmpget", "public", AUTHEN_TRAPS)[0]
            self.assertEqual(got, (AUTHEN_TRAPS, "Integer32", value))

    def test_set_other_letters_reach_agent_typed(self):
        """u t a o n c C U are sent as their types: sysContact.0 is an
        OCTET STRING, so the agent answers wrongType (RFC 3416 4.2.5)."""
        for letter, value in (("u", "5"), ("t", "100"), ("a", "10.0.0.1"),
                              ("o", "1.3.6.1.4.1"), ("n", "-"),
                              ("c", "7"), ("C", "18446744073709551615"),
                              ("U", "9")):
            with self.subTest(letter=letter):
                r = self.run_ctl("set", "rw", SYS_CONTACT, letter, value)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("Error in packet: wrongType (7) at index 1",
                              r.stderr)

    # ---------------------------------------------------------------- walk

    def test_walk_line_count_equals_snmpwalk(self):
        for root in (SYSTEM, IFTABLE):
            with self.subTest(root=root):
                out = self.ok("walk", "lo", root)
                theirs = self.net("snmpwalk", "public", root)
                ours = [parse_net_snmp_line(l) for l in _vb_lines(out)]
                self.assertEqual(len(ours), len(theirs))
                self.assertEqual([o[:2] for o in ours],
                                 [t[:2] for t in theirs])

    def test_walk_json_lines(self):
        out = self.ok("--json", "walk", "lo", SYSTEM)
        vbs = [json.loads(l) for l in out.splitlines()]
        theirs = self.net("snmpwalk", "public", SYSTEM)
        self.assertEqual([norm_varbind(v)[:2] for v in vbs],
                         [t[:2] for t in theirs])
        self.assertEqual(norm_varbind(vbs[0]), theirs[0])   # sysDescr.0

    def test_walk_getnext_v1_and_limit(self):
        out = self.ok("walk", "--getnext", "lo", SYSTEM)
        self.assertEqual(len(_vb_lines(out)),
                         len(self.net("snmpwalk", "public", SYSTEM)))
        out = self.ok("walk", "lo1", SYSTEM)
        self.assertEqual(len(_vb_lines(out)),
                         len(self.net("snmpwalk", "public", SYSTEM)))
        out = self.ok("walk", "--limit", "3", "lo", SYSTEM)
        self.assertEqual(len(_vb_lines(out)), 3)

    def test_walk_start_oid_resumes(self):
        full = _vb_lines(self.ok("walk", "lo", SYSTEM))
        third = full[2].split(" = ")[0].lstrip(".")
        rest = _vb_lines(self.ok("walk", "--start-oid", third, "lo", SYSTEM))
        self.assertEqual([l.split(" = ")[0] for l in rest],
                         [l.split(" = ")[0] for l in full[3:]])

    def test_walk_verbose_count_on_stderr(self):
        r = self.run_ctl("--verbose", "walk", "lo", SYSTEM)
        self.assertEqual(r.returncode, 0)
        n = len(_vb_lines(r.stdout))
        self.assertIn("snmpmgrctl: %d objects" % n, r.stderr)

    def test_walk_error_exits_1_with_resume_hint(self):
        r = self.run_ctl("walk", "-H", "127.0.0.1:%d" % self.dead_port,
                         "-t", "200ms", "--retries", "0", SYSTEM)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 201", r.stderr)
        self.assertIn("walk stopped after 0 objects", r.stderr)

    # ---------------------------------------------------------------- call

    def test_call_prints_result_json(self):
        out = self.ok("call", "daemon.status")
        self.assertEqual(json.loads(out)["pid"], self.daemon.pid)
        res = json.loads(self.ok("call", "snmp.get", "-", input=json.dumps(
            {"session": "lo", "oids": [SYS_DESCR]})))
        self.assertEqual(res["varbinds"][0]["oid"], SYS_DESCR)

    def test_call_walk_prints_notifications_then_result(self):
        out = self.ok("--json", "call", "snmp.walk",
                      json.dumps({"session": "lo", "oid": SYSTEM}))
        docs = [json.loads(l) for l in out.splitlines()]
        rows = sum(len(d["params"]["varbinds"]) for d in docs[:-1])
        self.assertTrue(all(d["method"] == "walk.rows" for d in docs[:-1]))
        self.assertEqual(docs[-1]["count"], rows)
        self.assertEqual(rows, len(self.net("snmpwalk", "public", SYSTEM)))


# ------------------------------------------------------------------ secrets

AUTH_PW = "planted-auth-7c1f2d"
PRIV_PW = "planted-priv-93ab6e"
COMMUNITY = "planted-comm-5e20c4"
AUTH_KEY = "a1b2c3d4e5" * 4             # 20 octets: an HMAC-SHA-96 key
PRIV_KEY = "f9e8d7c6" * 4               # 16 octets: an AES-128 key
ENGINE = "0x80001f8880c0ffee00000002"
SECRETS = (AUTH_PW, PRIV_PW, COMMUNITY, AUTH_KEY, PRIV_KEY)


def _secret_file(test, text):
    """A file holding text, removed after the test."""
    fd, path = tempfile.mkstemp(prefix="snmpmgrctl-secret-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    test.addCleanup(os.unlink, path)
    return path


# A real number as JSON writes it, and its significant digits.
REAL = re.compile(rb'(?<![\w".])-?(\d+)\.(\d+)(?:[eE][-+]?\d+)?(?![\w"])')


def real_digits(m):
    return len((m.group(1) + m.group(2)).lstrip(b"0"))


class PolledSession(unittest.TestCase):
    """A session with a poll: what show prints of nested lists and reals,
    and how many digits the daemon writes of a real."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd()
        try:
            cls.daemon = Daemon({
                "sessions": {"lo": dict(cls.agent.target(),
                                        polls=["sys"])},
                "polls": {"sys": {"get": [SYS_UPTIME, SYS_NAME],
                                  "interval": "200ms"}}})
        except BaseException:
            cls.agent.close()
            raise
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sh = cls.daemon.call("session.show", {"session": "lo"})
            if sh["polls"] and sh["polls"][0].get("runs", 0) >= 2:
                break
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()

    def test_show_prints_nested_lists_readably(self):
        r = ctl("-s", self.daemon.sock, "show", "lo")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        # No JSON text in what people read: lists of objects are items.
        self.assertNotRegex(out, r'[\[{]["{\[]', out)
        self.assertRegex(out, r"(?m)^polls:\n  - poll: sys$")
        self.assertRegex(out, r"(?m)^    kind: get$")
        # Reals to at most three decimals.
        for m in re.finditer(r"(?m)^\s*(?:- )?(\w+_ms): (\S+)$", out):
            if m.group(2) != "-":
                self.assertRegex(m.group(2), r"^\d+(\.\d{1,3})?$",
                                 m.group(0))
        self.assertRegex(out, r"(?m)^    duration_ms: \d")

    def test_watch_with_every_option(self):
        # Every option of watch is a param events.subscribe takes.
        r = ctl("-s", self.daemon.sock, "watch", "--session", "lo",
                "--event", "poll,state", "--count", "1", "--max-queue",
                "65536", timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["event"], "poll")

    def test_replies_and_events_write_reals_without_noise(self):
        c = snmptest.ControlClient(self.daemon.sock)
        self.addCleanup(c.close)
        raw = []
        for method, params in (("session.show", {"session": "lo"}),
                               ("session.list", None),
                               ("poll.results", {"session": "lo"}),
                               ("daemon.stats", None),
                               ("daemon.status", None)):
            c.request(method, params)
            raw.append(c.read_line(10))
        c.request("events.subscribe", {"events": ["poll", "response"],
                                       "sessions": "lo"})
        raw.append(c.read_line(10))
        for _ in range(4):
            raw.append(c.read_line(10))
        reals = [m for line in raw for m in REAL.finditer(line)]
        self.assertTrue(any(b"duration_ms" in l for l in raw[-4:]), raw)
        self.assertGreater(len(reals), 5, raw)
        for m in reals:
            self.assertLessEqual(real_digits(m), 15, m.group(0))


class SecretsOnCommandLine(unittest.TestCase):
    """issue 9 item 7: a secret given as a flag is gone from the process's
    argument list (what ps and /proc/PID/cmdline show) while snmpmgrctl
    runs, and secrets can come from a file or the environment instead.
    Checked against a scripted peer that holds its reply until the test
    has read /proc/PID/cmdline: by then every argument has been read."""

    def held(self, *args, env=None):
        """Run snmpmgrctl ARGS while the peer holds the reply; (request
        params, /proc/PID/cmdline as its arguments, stdout + stderr)."""
        if not os.path.exists("/proc/self/cmdline"):
            self.skipTest("no /proc/PID/cmdline here")
        got, release = threading.Event(), threading.Event()

        def script(conn, req):
            got.set()
            release.wait(30)
            conn.sendall(_line({"jsonrpc": "2.0", "id": req["id"],
                                "result": {}}))
        p = Peer(script)
        proc = subprocess.Popen([CTL, "-s", p.path] + list(args),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=ctl_env(env))
        try:
            self.assertTrue(got.wait(30), "no request came")
            with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
                cmdline = f.read()
        finally:
            release.set()
            out, err = proc.communicate(timeout=30)
            p.close()
        self.assertEqual(proc.returncode, 0, err)
        return p.requests[0]["params"], cmdline.split(b"\0"), out + err

    def assert_hidden(self, cmdline, output, *secrets):
        for secret in secrets:
            self.assertFalse(any(secret.encode() in a for a in cmdline),
                             "%s shows in /proc/PID/cmdline: %r"
                             % (secret, cmdline))
            self.assertNotIn(secret, output)

    def test_community_is_blanked(self):
        for args in (["-c", COMMUNITY], ["-c" + COMMUNITY]):
            with self.subTest(args=args):
                params, cmdline, out = self.held(
                    "get", "-H", "127.0.0.1:1161", *args, SYS_NAME)
                self.assertEqual(params["target"]["community"], COMMUNITY)
                self.assert_hidden(cmdline, out, COMMUNITY)
                self.assertIn(b"-H", cmdline)        # the rest stays
                self.assertIn(SYS_NAME.encode(), cmdline)

    def test_v3_passwords_and_keys_are_blanked(self):
        user = ["-H", "127.0.0.1:1161", "-u", "ops", "-l", "authPriv",
                "-a", "SHA", "-x", "AES"]
        for args, keys in (
                (["-A", AUTH_PW, "-X", PRIV_PW],
                 {"auth_password": AUTH_PW, "priv_password": PRIV_PW}),
                (["-A" + AUTH_PW, "-X" + PRIV_PW],
                 {"auth_password": AUTH_PW, "priv_password": PRIV_PW}),
                (["--auth-key", AUTH_KEY, "--priv-key=" + PRIV_KEY],
                 {"auth_key": AUTH_KEY, "priv_key": PRIV_KEY})):
            with self.subTest(args=args):
                params, cmdline, out = self.held("get", *user, *args,
                                                 SYS_NAME)
                for k, v in keys.items():
                    self.assertEqual(params["target"][k], v)
                self.assert_hidden(cmdline, out, *keys.values())
                self.assertIn(b"ops", cmdline)

    def test_walk_inform_and_hash_blank_too(self):
        params, cmdline, out = self.held(
            "walk", "-H", "127.0.0.1:1161", "-c", COMMUNITY, SYSTEM)
        self.assertEqual(params["target"]["community"], COMMUNITY)
        self.assert_hidden(cmdline, out, COMMUNITY)
        params, cmdline, out = self.held(
            "inform", "-H", "127.0.0.1:1162", "-u", "ops", "-A", AUTH_PW,
            "1.3.6.1.6.3.1.1.5.1")
        self.assertEqual(params["target"]["auth_password"], AUTH_PW)
        self.assert_hidden(cmdline, out, AUTH_PW)
        params, cmdline, out = self.held(
            "hash", "-a", "SHA", "-e", ENGINE, "-A", AUTH_PW, "-x", "AES",
            "-X", PRIV_PW)
        self.assertEqual((params["auth_password"], params["priv_password"]),
                         (AUTH_PW, PRIV_PW))
        self.assert_hidden(cmdline, out, AUTH_PW, PRIV_PW)
        params, cmdline, out = self.held(
            "hash", "-a", "SHA", "-e", ENGINE, "--auth-key", AUTH_KEY,
            "--priv-key", PRIV_KEY)
        self.assertEqual((params["auth_key"], params["priv_key"]),
                         (AUTH_KEY, PRIV_KEY))
        self.assert_hidden(cmdline, out, AUTH_KEY, PRIV_KEY)


class SecretsFromFilesAndEnvironment(unittest.TestCase):
    """--auth-password-file, --priv-password-file, --community-file and
    $SNMPMGR_AUTH_PASSWORD, $SNMPMGR_PRIV_PASSWORD, $SNMPMGR_COMMUNITY:
    the first line of the file, without its newline; the flag first, then
    the file, then the environment."""

    def request(self, *args, env=None):
        p = Peer(lambda conn, req: conn.sendall(_line(
            {"jsonrpc": "2.0", "id": req["id"], "result": {}})))
        try:
            r = ctl("-s", p.path, *args, env=env)
        finally:
            p.close()
        self.assertEqual(r.returncode, 0, r.stderr)
        for secret in SECRETS:
            self.assertNotIn(secret, r.stdout + r.stderr)
        return p.requests[0]["params"]

    def test_first_line_of_the_file(self):
        auth = _secret_file(self, AUTH_PW + "\nsecond line\n")
        priv = _secret_file(self, PRIV_PW + "\r\n")
        comm = _secret_file(self, COMMUNITY)
        t = self.request("get", "-H", "h", "-u", "ops",
                         "--auth-password-file", auth,
                         "--priv-password-file", priv, SYS_NAME)["target"]
        self.assertEqual(t, {"host": "h", "version": "3", "user": "ops",
                             "auth_password": AUTH_PW,
                             "priv_password": PRIV_PW})
        t = self.request("get", "-H", "h", "--community-file", comm,
                         SYS_NAME)["target"]
        self.assertEqual(t, {"host": "h", "community": COMMUNITY})
        p = self.request("hash", "-a", "SHA", "-e", ENGINE,
                         "--auth-password-file", auth)
        self.assertEqual(p["auth_password"], AUTH_PW)

    def test_environment(self):
        env = {"SNMPMGR_AUTH_PASSWORD": AUTH_PW,
               "SNMPMGR_PRIV_PASSWORD": PRIV_PW,
               "SNMPMGR_COMMUNITY": COMMUNITY}
        t = self.request("get", "-H", "h", "-u", "ops", SYS_NAME,
                         env=env)["target"]
        # An SNMPv3 target takes the passwords, not the community.
        self.assertEqual(t, {"host": "h", "version": "3", "user": "ops",
                             "auth_password": AUTH_PW,
                             "priv_password": PRIV_PW})
        t = self.request("get", "-H", "h", "-v", "2c", SYS_NAME,
                         env=env)["target"]
        self.assertEqual(t, {"host": "h", "version": "2c",
                             "community": COMMUNITY})
        # A configured session has its own secrets.
        self.assertEqual(self.request("get", "lo", SYS_NAME, env=env),
                         {"session": "lo", "oids": [SYS_NAME]})
        p = self.request("hash", "-a", "SHA", "-e", ENGINE, env=env)
        self.assertEqual((p["auth_password"], p["priv_password"]),
                         (AUTH_PW, PRIV_PW))

    def test_flag_then_file_then_environment(self):
        env = {"SNMPMGR_AUTH_PASSWORD": "env-auth-pass",
               "SNMPMGR_COMMUNITY": "env-community"}
        auth = _secret_file(self, "file-auth-pass\n")
        comm = _secret_file(self, "file-community\n")
        v3 = ["get", "-H", "h", "-u", "ops"]
        for args, want in ((["-A", AUTH_PW, "--auth-password-file", auth],
                            AUTH_PW),
                           (["--auth-password-file", auth],
                            "file-auth-pass"),
                           ([], "env-auth-pass")):
            with self.subTest(args=args):
                t = self.request(*v3, *args, SYS_NAME, env=env)["target"]
                self.assertEqual(t["auth_password"], want)
        # A key given as a flag leaves the password out.
        t = self.request(*v3, "--auth-key", AUTH_KEY, "--auth-password-file",
                         auth, SYS_NAME, env=env)["target"]
        self.assertEqual(t["auth_key"], AUTH_KEY)
        self.assertNotIn("auth_password", t)
        for args, want in ((["--community-file", comm, "-c", COMMUNITY],
                            COMMUNITY),
                           (["--community-file", comm], "file-community"),
                           ([], "env-community")):
            with self.subTest(args=args):
                t = self.request("get", "-H", "h", *args, SYS_NAME,
                                 env=env)["target"]
                self.assertEqual(t["community"], want)

    def test_unreadable_file_exits_2(self):
        sock = os.path.join(tempfile.gettempdir(),
                            "snmpmgrctl-test-no-such.sock")
        missing = os.path.join(tempfile.gettempdir(),
                               "snmpmgrctl-no-such-secret")
        toolong = _secret_file(self, "x" * 5000)
        nul = _secret_file(self, "pass\0word\n")
        for opt, path in (("--auth-password-file", missing),
                          ("--priv-password-file", tempfile.gettempdir()),
                          ("--community-file", missing),
                          ("--auth-password-file", toolong),
                          ("--community-file", nul)):
            with self.subTest(opt=opt, path=path):
                r = ctl("-s", sock, "get", "-H", "h", opt, path, SYS_NAME)
                self.assertEqual(r.returncode, 2, r)
                self.assertIn("%s %s" % (opt, path), r.stderr)
                self.assertNotIn("cannot connect", r.stderr)
                self.assertEqual(r.stdout, "")
        r = ctl("-s", sock, "hash", "-a", "SHA", "-e", ENGINE,
                "--auth-password-file", missing)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--auth-password-file " + missing, r.stderr)


@snmptest.skip_unless("snmpd")
class SecretsAgainstAgent(unittest.TestCase):
    """The file and environment variants reach a Net-SNMP snmpd with a
    user and a community of its own; no output (snmpmgrctl's, the
    daemon's log) shows them."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(community=COMMUNITY, rw_community=None,
                          persist_conf=["createUser ctlsec SHA %s AES %s"
                                        % (AUTH_PW, PRIV_PW)],
                          extra_conf=["rouser ctlsec priv"])
        try:
            cls.daemon = Daemon({})
        except BaseException:
            cls.agent.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()

    def get(self, *args, env=None):
        r = ctl("-s", self.daemon.sock, "get", "-H", self.agent.addr,
                "-t", "1", "--retries", "1", *args, SYS_NAME, env=env)
        for secret in SECRETS:
            self.assertNotIn(secret, r.stdout + r.stderr)
            self.assertNotIn(secret, self.daemon.log())
        return r

    def assert_sysname(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(_vb_lines(r.stdout)), 1)
        self.assertTrue(r.stdout.startswith(".%s = STRING: " % SYS_NAME),
                        r.stdout)

    def test_v3_passwords_from_file_and_environment(self):
        auth = _secret_file(self, AUTH_PW + "\n")
        priv = _secret_file(self, PRIV_PW + "\n")
        v3 = ["-u", "ctlsec", "-l", "authPriv", "-a", "SHA", "-x", "AES"]
        self.assert_sysname(self.get(*v3, "--auth-password-file", auth,
                                     "--priv-password-file", priv))
        self.assert_sysname(self.get(*v3, env={
            "SNMPMGR_AUTH_PASSWORD": AUTH_PW,
            "SNMPMGR_PRIV_PASSWORD": PRIV_PW}))
        self.assert_sysname(self.get(*v3, "--priv-password-file", priv,
                                     env={"SNMPMGR_AUTH_PASSWORD": AUTH_PW}))
        # The file is what is used: a wrong one fails (308).
        wrong = _secret_file(self, "not-the-password\n")
        r = self.get(*v3, "--auth-password-file", wrong,
                     "--priv-password-file", priv)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 308", r.stderr)

    def test_community_from_file_and_environment(self):
        comm = _secret_file(self, COMMUNITY + "\n")
        self.assert_sysname(self.get("--community-file", comm))
        self.assert_sysname(self.get(env={"SNMPMGR_COMMUNITY": COMMUNITY}))
        # Without it the default community gets no answer.
        r = self.get("-t", "300ms", "--retries", "0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 201", r.stderr)


if __name__ == "__main__":
    snmptest.main()
