#!/usr/bin/env python3
"""test_v3 - SNMPv3 (USM) end to end against real peers.

One Net-SNMP snmpd (started here, fixed engine ID) holds a user for every
authentication protocol (MD5, SHA, SHA-224 ... SHA-512) with every privacy
protocol (none, DES, AES, AES-192, AES-256, AES-192-C, AES-256-C: the -C
forms use the Reeder key extension), and one snmpmgrd holds a session for
each, plus a noAuthNoPriv one per protocol: each gets and walks, compared
with the same objects read over SNMPv2c.  A pysnmp command responder
(tests/pysnmp_responder.py, /usr/bin/python3) covers 3DES and both AES-
192/256 key extensions.  Then the failures, each with its numbered error:
wrong passwords, unknown user, too high a security level, a stale preset
engine ID, an agent restarted between requests, and forged responses put
on the wire by a proxy between the daemon and the agent.  Also
snmp.discover, usm.hash, the ctl flags, the config checks and the masking
of secrets.
"""

import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest  # noqa: E402
from snmptest import Daemon, Snmpd, SYS_DESCR, SYS_NAME  # noqa: E402

ENGINE = "0x80001f8880c0ffee00000001"
SYSTEM = "1.3.6.1.2.1.1"
# Ours and Net-SNMP's names of the authentication protocols.
AUTHS = [("md5", "MD5"), ("sha", "SHA"), ("sha224", "SHA-224"),
         ("sha256", "SHA-256"), ("sha384", "SHA-384"), ("sha512", "SHA-512")]
# Privacy: our name, Net-SNMP's, our priv_key_extension.
PRIVS = [("des", "DES", None), ("aes", "AES", None),
         ("aes192", "AES-192", "blumenthal"),
         ("aes256", "AES-256", "blumenthal"),
         ("aes192", "AES-192-C", "reeder"),
         ("aes256", "AES-256-C", "reeder")]
AUTHPW = "auth-pass-%s"
PRIVPW = "priv-pass-%s"


def ns_name(s):
    return s.lower().replace("-", "")


def user_name(auth, priv=None):
    return "%s_%s" % (auth, ns_name(priv) if priv else "auth")


def v3_target(agent, user, auth=None, priv=None, ext=None, **over):
    """Session options for one of the snmpd users above."""
    t = agent.target(version="3", user=user)
    t.pop("community")
    if auth:
        t.update(auth=auth, auth_password=AUTHPW % user)
    if priv:
        t.update(priv=priv, priv_password=PRIVPW % user)
    if ext:
        t["priv_key_extension"] = ext
    t.update(over)
    return t


def pipeline(client, calls, timeout=30):
    """Send every (method, params) at once; the replies in order."""
    ids = [client.request(m, p) for m, p in calls]
    return [client.wait_reply(i, timeout)[1] for i in ids]


def result(reply):
    if "error" in reply:
        raise AssertionError("error reply: %r" % reply["error"])
    return reply["result"]


def walk_shape(varbinds):
    """OIDs and types (values move: sysUpTime, counters)."""
    return [(v["oid"], v["type"]) for v in varbinds]


@snmptest.skip_unless("snmpd", "snmpget")
class NetSnmpMatrix(unittest.TestCase):
    """Every auth x priv combination against one Net-SNMP snmpd."""

    @classmethod
    def setUpClass(cls):
        persist, extra = [], []
        cls.sessions = {}
        for auth, nsauth in AUTHS:
            u = user_name(auth)
            persist.append("createUser %s %s %s" % (u, nsauth, AUTHPW % u))
            extra.append("rouser %s noauth" % u)
            cls.sessions["%s_noauth" % auth] = (u, auth, None, None,
                                                "noAuthNoPriv")
            cls.sessions[u] = (u, auth, None, None, None)
            for priv, nspriv, ext in PRIVS:
                u = user_name(auth, nspriv)
                persist.append("createUser %s %s %s %s %s" % (
                    u, nsauth, AUTHPW % u, nspriv, PRIVPW % u))
                extra.append("rouser %s priv" % u)
                cls.sessions[u] = (u, auth, priv, ext, None)
        # Users for the failure cases.
        persist.append("createUser onlyauth SHA %s" % (AUTHPW % "onlyauth"))
        extra.append("rouser onlyauth auth")
        cls.agent = Snmpd(persist_conf=persist, extra_conf=extra,
                          engine_id=ENGINE)
        sessions = {"v2": cls.agent.target()}
        for name, (u, auth, priv, ext, level) in cls.sessions.items():
            t = v3_target(cls.agent, u, auth, priv, ext)
            if level:
                t["security_level"] = level
            sessions[name] = t
        cls.daemon = Daemon({
            "credentials": {"shared": {
                "user": "sha256_aes", "auth": "sha256",
                "auth_password": AUTHPW % "sha256_aes", "priv": "aes",
                "priv_password": PRIVPW % "sha256_aes"}},
            "templates": {"v3shared": {"version": "3",
                                       "credentials": "shared"}},
            "sessions": dict(sessions, **{
                "tmpl1": {"template": "v3shared", "host": "127.0.0.1",
                          "port": cls.agent.port, "timeout": "1s"},
                "tmpl2": {"template": "v3shared", "host": "127.0.0.1",
                          "port": cls.agent.port, "timeout": "1s"}})})

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()

    def test_get_with_every_auth_and_priv_protocol(self):
        names = sorted(self.sessions) + ["tmpl1", "tmpl2"]
        replies = pipeline(self.daemon.client, [
            ("snmp.get", {"session": n, "oids": [SYS_DESCR, SYS_NAME]})
            for n in ["v2"] + names])
        want = result(replies[0])["varbinds"]
        for name, reply in zip(names, replies[1:]):
            with self.subTest(session=name):
                got = result(reply)
                self.assertEqual(got["error_status"], 0)
                self.assertEqual(got["varbinds"], want)
        self.assertGreaterEqual(len(names), 6 * 8)

    def test_walk_with_every_auth_and_priv_protocol(self):
        names = sorted(self.sessions)
        replies = pipeline(self.daemon.client, [
            ("snmp.walk", {"session": n, "oid": SYSTEM, "stream": False})
            for n in ["v2"] + names])
        want = walk_shape(result(replies[0])["varbinds"])
        self.assertGreater(len(want), 5)
        for name, reply in zip(names, replies[1:]):
            with self.subTest(session=name):
                self.assertEqual(walk_shape(result(reply)["varbinds"]), want)

    def test_key_extensions_differ_for_short_hashes(self):
        # MD5/SHA-1 with AES-192/256: Blumenthal and Reeder keys differ,
        # so the wrong one gets no answer (snmpd drops what it cannot
        # decrypt), for both directions.
        calls = []
        for auth in ("md5", "sha"):
            for size in ("192", "256"):
                for nspriv, ext in (("AES-%s" % size, "reeder"),
                                    ("AES-%s-C" % size, "blumenthal")):
                    u = user_name(auth, nspriv)
                    calls.append(("snmp.get", {"target": v3_target(
                        self.agent, u, auth, "aes" + size, ext,
                        timeout="300ms", retries=0), "oids": [SYS_NAME]}))
        for reply in pipeline(self.daemon.client, calls):
            self.assertEqual(reply["error"]["code"], 201, reply)

    def test_show_reports_engine_and_counters_with_secrets_masked(self):
        result(self.daemon.rpc("snmp.get", {"session": "sha512_aes256c",
                                            "oids": [SYS_NAME]}))
        show = self.daemon.call("session.show",
                                {"session": "sha512_aes256c"})
        self.assertEqual(show["engine"]["engine_id"], ENGINE)
        self.assertGreaterEqual(show["engine"]["engine_boots"], 1)
        self.assertEqual(show["engine"]["discovery"], "done")
        self.assertEqual(show["engine"]["security_level"], "authPriv")
        self.assertGreaterEqual(show["usm"]["discoveries"], 1)
        self.assertGreaterEqual(
            show["usm"]["reports"]["unknown_engine_ids"], 1)
        opts = show["options"]
        self.assertEqual(opts["auth_password"], "***")
        self.assertEqual(opts["priv_password"], "***")
        self.assertEqual(opts["priv_key_extension"], "reeder")
        text = json.dumps(show)
        self.assertNotIn(AUTHPW % "sha512_aes256c", text)
        self.assertNotIn(PRIVPW % "sha512_aes256c", text)
        # ... nor in what the daemon logged, nor in session.list.
        self.assertNotIn("auth-pass-", self.daemon.log())
        self.assertNotIn("auth-pass-",
                         json.dumps(self.daemon.call("session.list")))

    def test_wrong_auth_password_is_308_with_a_report_event(self):
        sub = self.daemon.connect()
        ack = sub.rpc("events.subscribe", {"events": ["report"]})
        self.assertNotIn("error", ack)
        t = v3_target(self.agent, "sha_aes", "sha", "aes")
        t["auth_password"] = "not-the-password"
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 308, r)
        self.assertIn("usmStatsWrongDigests", json.dumps(r["error"]))
        deadline = time.monotonic() + 5
        names = []
        while time.monotonic() < deadline and \
                "usmStatsWrongDigests" not in names:
            msg = sub.read_msg(deadline - time.monotonic())
            if msg.get("method") == "event":
                names.append(msg["params"].get("name"))
                if msg["params"].get("name") == "usmStatsWrongDigests":
                    self.assertEqual(msg["params"]["event"], "report")
                    self.assertEqual(msg["params"]["code"], 308)
        self.assertIn("usmStatsWrongDigests", names)
        sub.close()

    def test_wrong_priv_password_times_out_201(self):
        t = v3_target(self.agent, "sha_aes", "sha", "aes", timeout="300ms",
                      retries=1)
        t["priv_password"] = "not-the-password"
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 201, r)

    def test_unknown_user_is_326(self):
        t = v3_target(self.agent, "nobody", "sha", "aes")
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 326, r)

    def test_security_level_too_high(self):
        # authNoPriv to a user snmpd serves at authPriv only: its VACM
        # says authorizationError.
        t = v3_target(self.agent, "sha_aes", "sha", "aes",
                      security_level="authNoPriv")
        got = result(self.daemon.rpc("snmp.get", {"target": t,
                                                  "oids": [SYS_NAME]}))
        self.assertEqual(got["error_status"], 16)
        self.assertEqual(got["error_status_name"], "authorizationError")
        # authPriv with a user that has no privacy key: usmStats
        # UnsupportedSecLevels -> 327.
        t = v3_target(self.agent, "onlyauth", "sha", "aes")
        t["priv_password"] = "some-priv-pass"
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 327, r)
        # And a level the credential cannot do is refused up front.
        t = v3_target(self.agent, "onlyauth", "sha",
                      security_level="authPriv")
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], -32602, r)
        self.assertIn("security_level", r["error"]["message"])

    def test_stale_preset_engine_id_recovers(self):
        # A preset engine ID (and clock) that is not the agent's: the
        # agent's unknownEngineID report starts discovery, and the request
        # goes again.  No operator action, no error.
        t = v3_target(self.agent, "sha256_aes256", "sha256", "aes256",
                      engine_id="0x8000000001020304050607",
                      engine_boots=42, engine_time=4242)
        got = result(self.daemon.rpc("snmp.get", {"target": t,
                                                  "oids": [SYS_NAME]}))
        self.assertEqual(got["error_status"], 0)
        # Right engine ID, wrong clock: one authenticated
        # notInTimeWindow report, then the answer.
        t.update(engine_id=ENGINE, engine_boots=1000, engine_time=5)
        got = result(self.daemon.rpc("snmp.get", {"target": t,
                                                  "oids": [SYS_NAME]}))
        self.assertEqual(got["error_status"], 0)

    def test_discover_method_and_command(self):
        sub = self.daemon.connect()
        ack = sub.rpc("events.subscribe", {"events": ["discovery"],
                                           "sessions": ["md5_des"]})
        self.assertNotIn("error", ack)
        res = self.daemon.call("snmp.discover", {"session": "md5_des"})
        msg = sub.read_msg(5)
        self.assertEqual(msg["params"]["event"], "discovery")
        self.assertEqual(msg["params"]["session"], "md5_des")
        self.assertEqual(msg["params"]["engine_id"], ENGINE)
        sub.close()
        self.assertEqual(res["engine_id"], ENGINE)
        self.assertGreaterEqual(res["engine_boots"], 1)
        self.assertGreaterEqual(res["engine_time"], 0)
        self.assertEqual(res["discovery"], "done")
        # single_step_discovery and noAuthNoPriv: one probe is enough.
        t = v3_target(self.agent, "sha_auth", "sha",
                      single_step_discovery=True)
        res = self.daemon.call("snmp.discover", {"target": t})
        self.assertEqual(res["engine_id"], ENGINE)
        out = self.daemon.ctl_json("discover", "-H", self.agent.addr,
                                   "-u", "sha_auth")
        self.assertEqual(out["engine_id"], ENGINE)
        r = self.daemon.ctl("discover", "v2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 305", r.stderr)

    def test_discover_checks_the_users_keys(self):
        # snmpd answers the authenticated probe of a wrong password, or of
        # a user it does not know, with an unauthenticated report, as some
        # agents answer a good one: discovery falls back, and one Get with
        # the keys decides, so discover says 308 / 326 and exits 1.
        for change, code in ((("auth_password", "not-the-password"), 308),
                             (("user", "nobody"), 326)):
            with self.subTest(code=code):
                t = v3_target(self.agent, "sha_aes", "sha", "aes")
                t[change[0]] = change[1]
                r = self.daemon.rpc("snmp.discover", {"target": t})
                self.assertEqual(r.get("error", {}).get("code"), code, r)
        r = self.daemon.ctl("discover", "-H", self.agent.addr, "-u", "sha_aes",
                            "-a", "SHA", "-A", "not-the-password", "-x",
                            "AES", "-X", PRIVPW % "sha_aes")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("error 308", r.stderr)
        # The right keys: done, whether or not it fell back.
        res = self.daemon.call("snmp.discover", {"target": v3_target(
            self.agent, "sha_aes", "sha", "aes")})
        self.assertEqual(res["discovery"], "done")

    def test_discover_without_force_answers_from_what_is_known(self):
        first = self.daemon.call("snmp.discover", {"session": "sha_aes"})
        again = self.daemon.call("snmp.discover", {"session": "sha_aes",
                                                   "force": False})
        self.assertEqual(again["engine_id"], first["engine_id"])
        self.assertEqual(again["discoveries"], first["discoveries"])

    def test_hash_gives_keys_that_replace_passwords(self):
        u = "sha_aes192c"
        h = self.daemon.call("usm.hash", {
            "engine_id": ENGINE, "auth": "sha",
            "auth_password": AUTHPW % u, "priv": "aes192",
            "priv_password": PRIVPW % u, "priv_key_extension": "reeder"})
        self.assertEqual(len(h["auth_key"]), 2 + 2 * 20)
        self.assertEqual(len(h["priv_key"]), 2 + 2 * 24)
        base = {"host": "127.0.0.1", "port": self.agent.port,
                "version": "3", "user": u, "auth": "sha", "priv": "aes192",
                "priv_key_extension": "reeder", "timeout": "1s"}
        localized = dict(base, auth_key=h["auth_key"],
                         priv_key=h["priv_key"])
        master = dict(base, auth_key=h["auth_master_key"],
                      auth_key_type="master",
                      priv_key=h["priv_master_key"], priv_key_type="master")
        for t in (localized, master):
            got = result(self.daemon.rpc("snmp.get", {"target": t,
                                                      "oids": [SYS_NAME]}))
            self.assertEqual(got["error_status"], 0)
        # snmpmgrctl hash prints the same keys.
        out = self.daemon.ctl_json("hash", "-a", "SHA", "-e", ENGINE, "-A",
                                   AUTHPW % u, "-x", "AES-192-C", "-X",
                                   PRIVPW % u)
        self.assertEqual(out["auth_key"], h["auth_key"])
        self.assertEqual(out["priv_key"], h["priv_key"])
        self.assertEqual(out["priv_key_extension"], "reeder")
        # A localized key for another engine does not verify: 308.
        other = self.daemon.call("usm.hash", {
            "engine_id": "0x8000000001", "auth": "sha",
            "auth_password": AUTHPW % u})
        t = dict(localized, auth_key=other["auth_key"])
        r = self.daemon.rpc("snmp.get", {"target": t, "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 308, r)

    def test_ctl_netsnmp_style_flags(self):
        u = user_name("sha256", "AES-256-C")
        r = self.daemon.ctl("get", "-H", self.agent.addr, "-u", u, "-l",
                            "authPriv", "-a", "SHA-256", "-A", AUTHPW % u,
                            "-x", "AES-256-C", "-X", PRIVPW % u, "-e", ENGINE,
                            SYS_NAME)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(".1.3.6.1.2.1.1.5.0 = STRING:", r.stdout)
        r = self.daemon.ctl("walk", "-H", self.agent.addr, "-u", u,
                            "-a", "SHA-256", "-A", AUTHPW % u, "-x",
                            "AES-256-C", "-X", PRIVPW % u, SYSTEM)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(len(r.stdout.splitlines()), 5)
        # -Z presets boots and time (wrong ones: recovered), -n a context.
        r = self.daemon.ctl("get", "-H", self.agent.addr, "-u", u, "-a",
                            "SHA-256", "-A", AUTHPW % u, "-x", "AES-256-C",
                            "-X", PRIVPW % u, "-e", ENGINE, "-Z", "7,12345",
                            "-n", "", SYS_NAME)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.daemon.ctl("get", "-H", self.agent.addr, "-u", u, "-a",
                            "SHA-256", "-A", "wrong-password", "-x",
                            "AES-256-C", "-X", PRIVPW % u, SYS_NAME)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 308", r.stderr)
        r = self.daemon.ctl("get", "-H", self.agent.addr, "-a", "SHA-999",
                            SYS_NAME)
        self.assertEqual(r.returncode, 2)
        r = self.daemon.ctl("get", "-u", u, "v2", SYS_NAME)
        self.assertEqual(r.returncode, 2)

    def test_getbulk_set_and_getnext_on_v3(self):
        c = self.daemon.client
        got = result(c.rpc("snmp.getbulk", {"session": "sha384_aes",
                                            "oids": [SYSTEM],
                                            "max_repetitions": 3}))
        self.assertEqual(len(got["varbinds"]), 3)
        got = result(c.rpc("snmp.getnext", {"session": "sha384_aes",
                                            "oids": [SYSTEM]}))
        self.assertEqual(got["varbinds"][0]["oid"], SYS_DESCR)
        # rouser: a set is refused by the agent, as it should be.
        got = result(c.rpc("snmp.set", {"session": "sha384_aes",
                                        "varbinds": [{
                                            "oid": snmptest.WRITABLE_OID,
                                            "type": "s", "value": "x"}]}))
        self.assertNotEqual(got["error_status"], 0)


@snmptest.skip_unless("snmpd")
class InlineTargetCache(unittest.TestCase):
    """Ad-hoc SNMPv3 requests (inline targets) reuse the credential and
    the engine learned by the previous one, and no password is kept in
    what the daemon shows or logs."""

    AUTH = "inline-auth-secret-1"
    PRIV = "inline-priv-secret-2"

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(persist_conf=["createUser cacheu SHA %s AES %s"
                                        % (cls.AUTH, cls.PRIV)],
                          extra_conf=["rouser cacheu priv"],
                          engine_id=ENGINE)

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()

    def setUp(self):
        # A daemon per test: each starts with nothing cached.
        self.daemon = Daemon({"sessions": {"conf3": self.target()}},
                             debug=True)

    def tearDown(self):
        self.daemon.close()

    @classmethod
    def target(cls, **over):
        t = cls.agent.target(version="3", user="cacheu", auth="sha",
                             auth_password=cls.AUTH, priv="aes",
                             priv_password=cls.PRIV)
        t.pop("community")
        t.update(over)
        return t

    def discoveries(self, sub):
        """The discovery events sub has received (until it goes quiet)."""
        seen = []
        while True:
            try:
                msg = sub.read_msg(0.5)
            except TimeoutError:
                return seen
            if msg.get("method") == "event" and \
                    msg["params"].get("event") == "discovery":
                seen.append(msg["params"])

    def test_twenty_inline_gets_discover_once(self):
        sub = self.daemon.connect()
        self.assertNotIn("error", sub.rpc("events.subscribe",
                                          {"events": ["discovery"]}))
        before = self.daemon.call("daemon.stats")["v3_cache"]
        for i in range(20):
            res = self.daemon.call("snmp.get", {"target": self.target(),
                                                "oids": [SYS_NAME]})
            self.assertEqual(res["error_status"], 0)
        # ctl spells the same target with Net-SNMP flags: no discovery.
        out = self.daemon.ctl_json("get", "-H", self.agent.addr, "-u",
                                   "cacheu", "-l", "authPriv", "-a", "SHA",
                                   "-A", self.AUTH, "-x", "AES", "-X",
                                   self.PRIV, SYS_NAME)
        self.assertEqual(out["error_status"], 0)
        ev = [e for e in self.discoveries(sub)
              if e.get("address", "").endswith(":%d" % self.agent.port)]
        sub.close()
        self.assertEqual(len(ev), 1, ev)
        self.assertEqual(ev[0]["engine_id"], ENGINE)
        after = self.daemon.call("daemon.stats")["v3_cache"]
        self.assertEqual(after["engine_hits"] - before["engine_hits"], 20)
        self.assertEqual(after["credential_hits"] -
                         before["credential_hits"], 20)
        self.assertEqual(after["credentials"], 1)

    def test_stale_cached_engine_recovers(self):
        # Learn the engine, then restart the agent (boots go up): the
        # preset is stale and the engine's recovery fixes it.
        self.daemon.call("snmp.get", {"target": self.target(),
                                      "oids": [SYS_NAME]})
        self.agent.restart()
        res = self.daemon.call("snmp.get", {"target": self.target(
            timeout="2s"), "oids": [SYS_NAME]})
        self.assertEqual(res["error_status"], 0)

    def test_persist_writes_keys_not_passwords_in_0600_files(self):
        # Issue 9 item 7: session.add --persist and set-option --persist
        # keep keys, never the passwords; every file is 0600; after a
        # reload the session still works against the real v3 user.
        d = self.daemon
        state = d.config["state_dir"]
        # (Where older snmpmgrd wrote, so that it is tested as well.)
        d.config["include"] = [os.path.join(state, "conf.d", "*.json")]
        d.write_config()
        d.call("daemon.reload")
        t = self.target(timeout="2s")
        t["host"] = "127.0.0.1"
        out = d.ctl_json("add", "p3", "--persist", "--json", json.dumps(t))
        self.assertTrue(out["persisted"])
        # A community cannot be hashed: kept, in a 0600 file.
        d.ctl_json("add", "p2", "--persist", "--json", json.dumps(
            self.agent.target()))
        def check(nfiles):
            # Every config file the daemon wrote, wherever it put it.
            files = [os.path.join(dp, f) for dp, _, fs in os.walk(state)
                     for f in fs if f.endswith(".json")]
            self.assertEqual(len(files), nfiles, files)
            for path in files:
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600,
                                 path)
                with open(path) as f:
                    text = f.read()
                self.assertNotIn(self.AUTH, text, path)
                self.assertNotIn(self.PRIV, text, path)
        check(2)
        d.ctl_json("set-option", "--persist", "p3", "auth_password",
                   self.AUTH)
        check(3)
        files = [os.path.join(state, "sessions", "p3.json")]
        with open(files[0]) as f:
            p3 = json.load(f)["sessions"]["p3"]
        self.assertNotIn("auth_password", p3)
        self.assertNotIn("priv_password", p3)
        self.assertEqual(p3["auth_key_type"], "master")
        self.assertEqual(len(p3["auth_key"]), 2 + 2 * 20)
        for path in os.listdir(os.path.join(state, "sessions")):
            self.assertTrue(path.endswith(".json"), path)
        d.call("daemon.reload")
        self.assertEqual(d.call("session.show", {"session": "p3"})["origin"],
                         "config")
        for name in ("p3", "p2"):
            res = d.call("snmp.get", {"session": name, "oids": [SYS_NAME]})
            self.assertEqual(res["error_status"], 0)

    def test_persisted_v3_session_kept_at_reload(self):
        # A session added with passwords and --persist is read back at
        # the reload from its file, which holds the master keys: the same
        # credential, so the session keeps its engine and counters.
        d = self.daemon
        t = self.target(timeout="2s")
        t["host"] = "127.0.0.1"
        d.ctl_json("add", "p3", "--persist", "--json", json.dumps(t))

        def reload_keeps(name):
            res = d.call("snmp.get", {"session": name, "oids": [SYS_NAME]})
            self.assertEqual(res["error_status"], 0)
            before = d.call("session.show", {"session": name})["stats"]
            self.assertGreater(before["requests"], 0)
            r = d.call("daemon.reload")
            self.assertEqual(r["changed"], [])
            self.assertEqual(r["added"], [])
            self.assertEqual(r["removed"], [])
            after = d.call("session.show", {"session": name})["stats"]
            self.assertEqual(after["requests"], before["requests"])
            self.assertEqual(after["responses"], before["responses"])
        reload_keeps("p3")
        # The same password set again and persisted: the same keys, for
        # a session added at run time and for one of the config.
        for name in ("p3", "conf3"):
            d.ctl_json("set-option", "--persist", name, "auth_password",
                       self.AUTH)
            reload_keeps(name)
        # Another password is another credential: rebuilt.
        d.config["sessions"]["c3"] = self.target()
        d.write_config()
        self.assertEqual(d.call("daemon.reload")["added"], ["c3"])
        for key in ("auth_password", "priv_password"):
            d.config["sessions"]["c3"][key] += "x"
            d.write_config()
            r = d.call("daemon.reload")
            self.assertEqual(r["changed"], ["c3"], key)
        self.assertNotIn(self.AUTH, d.log())
        self.assertNotIn(self.PRIV, d.log())

    def test_no_password_in_show_or_log(self):
        self.daemon.call("snmp.get", {"target": self.target(),
                                      "oids": [SYS_NAME]})
        self.daemon.call("snmp.get", {"session": "conf3",
                                      "oids": [SYS_NAME]})
        self.daemon.call("session.config", {"session": "conf3", "options": {
            "auth_password": self.AUTH}})
        self.daemon.call("usm.hash", {"engine_id": ENGINE, "auth": "sha",
                                      "auth_password": self.AUTH})
        r = self.daemon.rpc("session.add", {"session": "added3",
                                            "config": self.target()})
        self.assertNotIn("error", r)
        for name in ("conf3", "added3"):
            show = json.dumps(self.daemon.call("session.show",
                                               {"session": name}))
            self.assertIn("cacheu", show)
            self.assertNotIn(self.AUTH, show)
            self.assertNotIn(self.PRIV, show)
        log = self.daemon.log()
        self.assertIn("snmp.get", log)
        self.assertNotIn(self.AUTH, log)
        self.assertNotIn(self.PRIV, log)


class Proxy:
    """A UDP relay between snmpmgrd and an agent that, before each
    authenticated answer, sends a forged copy of it (one octet of the
    encrypted PDU changed): the daemon must drop every forgery."""

    def __init__(self, agent_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.up.connect(("127.0.0.1", agent_port))
        self.client = None
        self.forged = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def flags(msg):
        """msgFlags of an SNMPv3 message (short-form lengths only)."""
        # 30 LL 02 01 03 30 LL 02 .. (msgID) 02 .. (maxSize) 04 01 FLAGS
        i = 2 if msg[1] < 0x80 else 2 + (msg[1] & 0x7f)
        i += 3                          # version
        i += 2 if msg[i + 1] < 0x80 else 2 + (msg[i + 1] & 0x7f)
        for _ in range(2):              # msgID, msgMaxSize
            i += 2 + msg[i + 1]
        return msg[i + 2]

    def run(self):
        while not self.stop:
            r, _, _ = select.select([self.sock, self.up], [], [], 0.1)
            for s in r:
                data = s.recv(65535) if s is self.up else None
                if s is self.sock:
                    data, self.client = self.sock.recvfrom(65535)
                    self.up.send(data)
                    continue
                if self.client is None:
                    continue
                if self.flags(data) & 1:
                    bad = bytearray(data)
                    bad[-5] ^= 0x40
                    self.sock.sendto(bytes(bad), self.client)
                    self.forged += 1
                self.sock.sendto(data, self.client)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()
        self.up.close()


@snmptest.skip_unless("snmpd")
class RecoveryAndForgery(unittest.TestCase):
    """An agent of its own: restarted, and behind a forging proxy."""

    def setUp(self):
        self.agent = Snmpd(persist_conf=[
            "createUser ops SHA-512 %s AES-256 %s" % (AUTHPW % "ops",
                                                      PRIVPW % "ops")],
            extra_conf=["rouser ops priv"])
        self.proxy = Proxy(self.agent.port)
        direct = v3_target(self.agent, "ops", "sha512", "aes256")
        proxied = dict(direct, port=self.proxy.port)
        self.daemon = Daemon({"sessions": {"direct": direct,
                                           "proxied": proxied}})

    def tearDown(self):
        self.daemon.close()
        self.proxy.close()
        self.agent.close()

    def get(self, session):
        return self.daemon.rpc("snmp.get", {"session": session,
                                            "oids": [SYS_NAME]})

    def test_agent_restart_between_requests_recovers(self):
        self.assertEqual(result(self.get("direct"))["error_status"], 0)
        before = self.daemon.call("session.show", {"session": "direct"})
        self.agent.restart()        # engineBoots goes up
        got = result(self.get("direct"))
        self.assertEqual(got["error_status"], 0)
        after = self.daemon.call("session.show", {"session": "direct"})
        self.assertEqual(after["engine"]["engine_boots"],
                         before["engine"]["engine_boots"] + 1)
        self.assertEqual(after["usm"]["recoveries"], 1)
        self.assertEqual(after["usm"]["reports"]["not_in_time_windows"],
                         before["usm"]["reports"]["not_in_time_windows"] + 1)
        self.assertEqual(after["stats"]["timeouts"], 0)

    def test_forged_responses_are_dropped_and_counted(self):
        for _ in range(3):
            got = result(self.get("proxied"))
            self.assertEqual(got["error_status"], 0)
            self.assertEqual(got["varbinds"][0]["oid"], SYS_NAME)
        self.assertGreaterEqual(self.proxy.forged, 4)
        show = self.daemon.call("session.show", {"session": "proxied"})
        self.assertEqual(show["usm"]["wrong_digests"], self.proxy.forged)
        self.assertGreaterEqual(show["stats"]["bad_packets"],
                                self.proxy.forged)
        self.assertEqual(show["stats"]["responses"], 3)


@snmptest.skip_unless("snmpd")
class ConfigChecks(unittest.TestCase):
    """snmpmgrd -t on SNMPv3 configs: good ones pass, bad ones fail with
    FILE:LINE:COL and the key."""

    def check(self, config):
        d = Daemon(config, start=False)
        try:
            r = subprocess.run([d.prog, "-t", "-c", d.conf],
                               capture_output=True, text=True, timeout=20)
            return r.returncode, r.stdout + r.stderr
        finally:
            d.close()

    def test_good_and_bad_v3_configs(self):
        ok = {"local_engine_id": "0x8000000005aabbccdd",
              "credentials": {"ops": {"user": "ops", "auth": "sha256",
                                      "auth_password": "12345678",
                                      "priv": "aes256",
                                      "priv_key_extension": "reeder",
                                      "priv_password": "abcdefgh"}},
              "sessions": {"a": {"host": "127.0.0.1", "version": "3",
                                 "credentials": "ops",
                                 "engine_id": "0x80001f8880aabbccdd",
                                 "engine_boots": 3, "engine_time": 100,
                                 "context_name": "ctx"},
                           "b": {"host": "127.0.0.1", "version": "3",
                                 "user": "k", "auth": "md5",
                                 "auth_key": "0x" + "11" * 16,
                                 "auth_key_type": "master",
                                 "security_level": "authNoPriv"}}}
        rc, out = self.check(ok)
        self.assertEqual(rc, 0, out)
        bad = [
            ({"sessions": {"a": {"host": "h", "version": "3", "user": "u",
                                 "auth": "sha",
                                 "security_level": "authPriv"}}},
             "auth_password"),
            ({"sessions": {"a": {"host": "h", "version": "3", "user": "u",
                                 "auth": "sha", "auth_password": "12345678",
                                 "security_level": "authPriv"}}},
             "security_level"),
            ({"sessions": {"a": {"host": "h", "version": "3", "user": "u",
                                 "auth": "sha256",
                                 "auth_key": "0x" + "11" * 16}}},
             "auth_key"),
            ({"sessions": {"a": {"host": "h", "version": "3",
                                 "engine_boots": 1, "engine_time": 2}}},
             "engine_id"),
            ({"local_engine_id": "0x1234"}, "local_engine_id"),
        ]
        for config, key in bad:
            with self.subTest(key=key):
                rc, out = self.check(config)
                self.assertEqual(rc, 1, out)
                self.assertIn(key, out)
                self.assertRegex(out, r"\.json:\d+:\d+: ")

    def test_local_engine_id_kept_and_boots_counted(self):
        d = Daemon({})
        try:
            state = d.config["state_dir"]
            with open(os.path.join(state, "engine-id")) as f:
                first = json.load(f)
            d.stop()
            d.start()
            with open(os.path.join(state, "engine-id")) as f:
                second = json.load(f)
            self.assertEqual(second["engine_id"], first["engine_id"])
            self.assertEqual(second["engine_boots"],
                             first["engine_boots"] + 1)
            self.assertIn("local engine ID %s" % first["engine_id"],
                          d.log())
            # A configured engine ID replaces it; boots start again.
            d.stop()
            d.config["local_engine_id"] = "0x8000000005c0ffee"
            d.write_config()
            d.start()
            with open(os.path.join(state, "engine-id")) as f:
                third = json.load(f)
            self.assertEqual(third, {"engine_id": "0x8000000005c0ffee",
                                     "engine_boots": 1})
        finally:
            d.close()


@snmptest.skip_unless("snmpd")
class PysnmpResponder(unittest.TestCase):
    """3DES and the AES-192/256 key extensions against pysnmp."""

    USERS = ["md5_3des:md5:3des", "sha_3des:sha:3des"] + [
        "%s_aes%s%s:%s:aes%s%s" % (a, n, e, a, n, e)
        for a in ("md5", "sha") for n in ("192", "256") for e in "rb"]
    ENGINE = "0x8000000001c0ffee02"

    @classmethod
    def setUpClass(cls):
        py = "/usr/bin/python3"
        try:
            subprocess.run([py, "-c", "import pysnmp"], check=True,
                           capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            raise unittest.SkipTest("no pysnmp for /usr/bin/python3")
        cls.port = snmptest.free_udp_port()
        here = os.path.dirname(os.path.abspath(__file__))
        cls.proc = subprocess.Popen(
            [py, os.path.join(here, "pysnmp_responder.py"), str(cls.port),
             cls.ENGINE] + cls.USERS, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        snmptest._track(cls.proc)
        line = cls.proc.stdout.readline()
        if "READY" not in line:
            snmptest._kill(cls.proc)
            raise RuntimeError("pysnmp responder: %s%s"
                               % (line, cls.proc.stdout.read()))
        cls.sessions = {}
        for spec in cls.USERS:
            user, auth, priv = spec.split(":")
            t = {"host": "127.0.0.1", "port": cls.port, "version": "3",
                 "user": user, "auth": auth,
                 "auth_password": "authpass-" + user,
                 "priv_password": "privpass-" + user,
                 "timeout": "2s", "retries": 1}
            if priv == "3des":
                t["priv"] = "3des"
            else:
                t["priv"] = priv[:-1]
                t["priv_key_extension"] = ("reeder" if priv[-1] == "r"
                                           else "blumenthal")
            cls.sessions[user] = t
        cls.daemon = Daemon({"sessions": cls.sessions})

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        snmptest._kill(cls.proc)

    def test_get_and_walk(self):
        names = sorted(self.sessions)
        replies = pipeline(self.daemon.client, [
            ("snmp.get", {"session": n, "oids": [SYS_DESCR]})
            for n in names] + [
            ("snmp.walk", {"session": n, "oid": SYSTEM, "stream": False})
            for n in names], timeout=60)
        gets, walks = replies[:len(names)], replies[len(names):]
        want = None
        for name, g, w in zip(names, gets, walks):
            with self.subTest(session=name):
                vb = result(g)["varbinds"][0]
                self.assertEqual(vb["oid"], SYS_DESCR)
                self.assertIn("PySNMP", vb.get("value", ""))
                shape = walk_shape(result(w)["varbinds"])
                self.assertGreater(len(shape), 3)
                want = want or shape
                self.assertEqual(shape, want)

    def test_wrong_key_extension_fails(self):
        # The other extension makes another key: no answer, or pysnmp's
        # decryption-error report.
        calls = []
        for user in ("md5_aes192r", "sha_aes256b"):
            t = dict(self.sessions[user], timeout="500ms", retries=0)
            t["priv_key_extension"] = ("blumenthal" if user.endswith("r")
                                       else "reeder")
            calls.append(("snmp.get", {"target": t, "oids": [SYS_DESCR]}))
        for reply in pipeline(self.daemon.client, calls):
            self.assertIn("error", reply)
            self.assertIn(reply["error"]["code"], (201, 313), reply)


if __name__ == "__main__":
    snmptest.main()
