#!/usr/bin/env python3
"""test_dtls_options.py - a DTLS session's options at run time, against
Net-SNMP snmpd's dtlsudp: transport (certificates and agent as in
test_dtls.py).

set-option, enable, disable and session.config change a session over
DTLS and it keeps answering (a GET after each); session.add adds one;
session.show lists its TLS options (paths and names as given, the pass
phrase as "***", never a key's contents); a changed TLS option builds a
new association from it; a session moved to another agent takes its
association along; log lines name the session, not its host; options
persisted (overrides.json, sessions/NAME.json) come back after a reload
and a restart; a pass phrase is never persisted.
"""
import json
import os
import shutil
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snmptest import Daemon, SYS_DESCR, free_udp_port, skip_unless  # noqa
from test_dtls import (AgentTestCase, MGR_NAME, OPENSSL,  # noqa: E402
                       dtls_agent, run)
from test_dtls_traps import fingerprint  # noqa: E402

PW = "Opts-Key-Phrase-42"


@skip_unless("snmpd", "openssl")
class DtlsSessionOptionsTest(AgentTestCase):
    """One agent for the class; no test makes a handshake it refuses."""

    @classmethod
    def make_certs(cls, p):
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("mgr2", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
        run(OPENSSL, "pkey", "-in", p.path("mgr.key"), "-aes256",
            "-passout", "pass:" + PW, "-out", p.path("mgr-enc.key"))
        cls.agent_fp = fingerprint(p.path("agent.crt"))

    def session(self, port=None, **over):
        s = {"host": "127.0.0.1", "port": port or self.port,
             "transport": "dtls", "timeout": "5s", "retries": 1,
             "cert": self.pki.path("mgr.crt"),
             "key": self.pki.path("mgr.key"), "ca": self.pki.ca}
        s.update(over)
        return s

    def get(self, d, name):
        return d.rpc("snmp.get", {"session": name, "oids": [SYS_DESCR]},
                     timeout=30)

    def get_ok(self, d, name):
        r = self.get(d, name)
        self.assertIn("result", r, r)
        self.assertEqual(r["result"]["varbinds"][0]["oid"], SYS_DESCR)

    def ctl_ok(self, d, *args):
        r = d.ctl(*args)
        self.assertEqual(r.returncode, 0, "%s: %s%s" % (args, r.stdout,
                                                        r.stderr))
        return r

    def opts(self, d, name):
        return d.call("session.show", {"session": name})["options"]

    def test_set_option_enable_disable_config(self):
        with Daemon({"sessions": {"dtls": self.session()}}) as d:
            self.get_ok(d, "dtls")
            self.ctl_ok(d, "set-option", "dtls", "timeout", "2s")
            self.get_ok(d, "dtls")
            self.ctl_ok(d, "disable", "dtls")
            self.assertEqual(self.get(d, "dtls")["error"]["code"], 109)
            self.ctl_ok(d, "enable", "dtls")
            self.get_ok(d, "dtls")
            self.ctl_ok(d, "call", "session.config", json.dumps(
                {"session": "dtls", "options": {"retries": 2}}))
            self.get_ok(d, "dtls")
            o = self.opts(d, "dtls")
            # A session over DTLS already keeps its port and level.
            self.assertEqual((o["port"], o["timeout"], o["retries"],
                              o["security_level"]),
                             (self.port, "2s", 2, "authPriv"))
            self.assertEqual(o["cert"], self.pki.path("mgr.crt"))
            self.assertTrue(d.call("session.show", {
                "session": "dtls"})["modified"])

    def test_tls_option_change_makes_a_new_association(self):
        with Daemon({"sessions": {"dtls": self.session()}}) as d:
            self.get_ok(d, "dtls")
            tls = d.call("session.show", {"session": "dtls"})["tls"]
            self.assertEqual(tls["accepted_by"], "ca")
            c = d.connect()
            c.call("events.subscribe", {"events": ["disconnected"],
                                        "sessions": ["dtls"]})
            res = d.call("session.config", {"session": "dtls", "options": {
                "server_fingerprint": self.agent_fp}})
            self.assertEqual(res["options"]["server_fingerprint"],
                             self.agent_fp)
            ev = c.read_msg(5)
            self.assertEqual((ev["params"]["event"],
                              ev["params"]["reason"]),
                             ("disconnected", "options changed"))
            c.close()
            self.get_ok(d, "dtls")
            # The pin is checked now beside the CA.
            tls = d.call("session.show", {"session": "dtls"})["tls"]
            self.assertEqual(tls["accepted_by"], "both")
            # A file that is not there: refused, nothing changed.
            r = d.rpc("session.config", {"session": "dtls", "options": {
                "cert": self.pki.path("none.crt")}})
            self.assertIn("272", r["error"]["message"], r)
            self.assertEqual(self.opts(d, "dtls")["cert"],
                             self.pki.path("mgr.crt"))
            self.get_ok(d, "dtls")

    def test_udp_session_becomes_dtls(self):
        udp = {"host": "127.0.0.1", "port": self.port, "timeout": "2s",
               "retries": 0}
        with Daemon({"sessions": {"sw": udp}}) as d:
            self.assertNotIn("tls", d.call("session.show", {"session": "sw"}))
            tls = self.session()
            del tls["host"], tls["timeout"], tls["retries"]
            res = d.call("session.config", {"session": "sw",
                                            "options": tls})
            # SNMPv3 under TSM, authPriv; the port given stays.
            o = res["options"]
            self.assertEqual((o["transport"], o["version"], o["port"],
                              o["security_level"]),
                             ("dtls", "3", self.port, "authPriv"))
            self.get_ok(d, "sw")
            self.assertEqual(d.call("session.show", {
                "session": "sw"})["tls"]["accepted_by"], "ca")
            # And back: no DTLS member, the key let go.
            d.call("session.config", {"session": "sw", "options": {
                "transport": "udp", "version": "2c"}})
            self.assertNotIn("tls", d.call("session.show", {"session": "sw"}))

    def test_session_add(self):
        with Daemon({}) as d:
            res = d.call("session.add", {"session": "added",
                                         "config": self.session()})
            self.assertEqual(res["options"]["key"], self.pki.path("mgr.key"))
            self.get_ok(d, "added")
            self.ctl_ok(d, "set-option", "added", "retries", "2")
            self.get_ok(d, "added")
            self.ctl_ok(d, "disable", "added")
            self.ctl_ok(d, "enable", "added")
            self.get_ok(d, "added")
            self.ctl_ok(d, "add", "added2", "--json",
                        json.dumps(self.session()))
            self.ctl_ok(d, "set-option", "added2", "timeout", "3s")
            self.get_ok(d, "added2")

    def test_show_lists_tls_options(self):
        full = self.session(server_fingerprint=self.agent_fp,
                            server_name="localhost",
                            tls_ciphers="ECDHE+AESGCM",
                            dtls_idle_timeout="7m", security_name="mgr")
        enc = self.session(key=self.pki.path("mgr-enc.key"),
                           key_password=PW)
        with Daemon({"sessions": {
                "full": full, "enc": enc, "plain": self.session(),
                "clear": dict(enc, mask_sensitive_data=False)}}) as d:
            for name in ("full", "enc"):
                self.get_ok(d, name)
            o = self.opts(d, "full")
            for k in ("cert", "key", "ca", "server_fingerprint",
                      "server_name", "tls_ciphers", "security_name"):
                self.assertEqual(o[k], full[k], k)
            self.assertEqual((o["dtls_idle_timeout"], o["tls_min_version"],
                              o["tsm_use_prefix"]), ("7m", "1.2", False))
            self.assertNotIn("key_password", o)
            o = self.opts(d, "plain")
            self.assertEqual((o["server_fingerprint"], o["server_name"],
                              o["tls_ciphers"], o["dtls_idle_timeout"]),
                             (None, None, None, "5m"))
            # The key file's path is shown, its pass phrase never, not
            # even unmasked; nor the key itself.
            for res in (d.call("session.show", {"session": "enc"}),
                        d.call("session.show", {"session": "clear"}),
                        d.call("session.config", {"session": "clear"})):
                o = res["options"]
                self.assertEqual(o["key"], self.pki.path("mgr-enc.key"))
                self.assertEqual(o["key_password"], "***")
                text = json.dumps(res)
                self.assertNotIn(PW, text)
                self.assertNotIn("PRIVATE KEY", text)
            self.assertNotIn(PW, d.log())

    def test_log_lines_name_the_session(self):
        gone = free_udp_port()
        with Daemon({"sessions": {
                "named": self.session(),
                "nobody": self.session(port=gone, timeout="2s")}},
                debug=True) as d:
            self.get_ok(d, "named")
            self.assertIn("error", self.get(d, "nobody"))
            # An inline target has no name: its host, said so.
            r = d.rpc("snmp.get", {"target": self.session(
                port=gone, timeout="2s"), "oids": [SYS_DESCR]}, timeout=30)
            self.assertIn("error", r)
            log = d.log()
            self.assertIn("session named: DTLS association open", log)
            self.assertIn("session nobody: DTLS handshake failed", log)
            self.assertIn("target 127.0.0.1: DTLS handshake failed", log)
            self.assertNotIn("session 127.0.0.1:", log)

    def test_move_to_another_agent(self):
        a, a_port = dtls_agent(self.pki)
        try:
            # One try: the first request after the move must reach b.
            m = self.session(port=a_port, retries=0, timeout="3s")
            with Daemon({"sessions": {"m": m}}) as d:
                self.get_ok(d, "m")          # an association to a
                self.ctl_ok(d, "set-option", "m", "port", str(self.port))
                a.close()
                # The association went with the old address.
                self.get_ok(d, "m")
                self.assertEqual(d.call("session.show", {
                    "session": "m"})["address"], "127.0.0.1:%d" % self.port)
        finally:
            a.close()

    def test_reload_reads_a_renewed_certificate(self):
        # Our certificate and key replaced on disk (the agent knows both):
        # a reload that keeps the session makes its next association with
        # the new ones.
        cur = {"cert": self.pki.path("cur.crt"),
               "key": self.pki.path("cur.key")}
        shutil.copy(self.pki.path("mgr.crt"), cur["cert"])
        shutil.copy(self.pki.path("mgr.key"), cur["key"])
        a, port = dtls_agent(self.pki, extra=[
            "certSecName 11 %s --sn %s" % (
                fingerprint(self.pki.path("mgr2.crt"))[7:], MGR_NAME)])
        try:
            with Daemon({"sessions": {"r": self.session(port=port, **cur)}}
                        ) as d:
                self.get_ok(d, "r")
                c = d.connect()
                c.call("events.subscribe", {"events": ["disconnected"],
                                            "sessions": ["r"]})
                shutil.copy(self.pki.path("mgr2.crt"), cur["cert"])
                shutil.copy(self.pki.path("mgr2.key"), cur["key"])
                res = d.call("daemon.reload", timeout=30)
                self.assertEqual(res["unchanged"], 1, res)
                ev = c.read_msg(5)["params"]
                self.assertEqual((ev["event"], ev["reason"]),
                                 ("disconnected", "options changed"))
                c.close()
                self.get_ok(d, "r")
        finally:
            a.close()

    def test_persist_reload_restart(self):
        changed = {"server_fingerprint": self.agent_fp,
                   "server_name": "localhost", "tls_ciphers": "ECDHE+AESGCM",
                   "dtls_idle_timeout": "7m", "security_name": "mgr",
                   "retries": 2}
        with Daemon({"sessions": {"dtls": self.session()}}) as d:
            d.call("session.config", {"session": "dtls", "options": changed,
                                      "persist": True})
            self.ctl_ok(d, "set-option", "--persist", "dtls", "timeout",
                        "3s")
            self.ctl_ok(d, "add", "--persist", "added", "--json",
                        json.dumps(self.session()))
            ca2 = self.pki.path("ca-copy.crt")
            shutil.copy(self.pki.ca, ca2)
            self.ctl_ok(d, "set-option", "--persist", "added", "ca", ca2)
            self.ctl_ok(d, "disable", "--persist", "added")
            state = d.config["state_dir"]
            for f in ("overrides.json", "sessions/added.json"):
                path = os.path.join(state, f)
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

            def check(after):
                o = self.opts(d, "dtls")
                for k, v in changed.items():
                    self.assertEqual(o[k], v, "%s: %s" % (after, k))
                self.assertEqual(o["timeout"], "3s", after)
                self.get_ok(d, "dtls")
                self.assertEqual(d.call("session.show", {
                    "session": "dtls"})["tls"]["accepted_by"], "both")
                o = self.opts(d, "added")
                self.assertEqual((o["ca"], o["enabled"]), (ca2, False),
                                 after)
                self.assertEqual(self.get(d, "added")["error"]["code"], 109)

            self.get_ok(d, "dtls")
            check("run time")
            res = d.call("daemon.reload", timeout=30)
            # Running as persisted: kept, not rebuilt.
            self.assertNotIn("dtls", res["changed"], res)
            check("reload")
            d.stop()
            d.start()
            check("restart")
            self.ctl_ok(d, "enable", "added")
            self.get_ok(d, "added")

    def test_pass_phrase_never_persisted(self):
        enc = self.session(key=self.pki.path("mgr-enc.key"),
                           key_password=PW)
        with Daemon({}) as d:
            r = d.rpc("session.add", {"session": "enc", "config": enc,
                                      "persist": True})
            self.assertIn("key_password", json.dumps(r["error"]), r)
            state = d.config["state_dir"]
            self.assertFalse(os.path.exists(os.path.join(
                state, "sessions", "enc.json")))
            d.call("session.add", {"session": "enc", "config": enc})
            self.get_ok(d, "enc")
            # Options beside the key: the key read at the start serves.
            self.ctl_ok(d, "set-option", "enc", "retries", "2")
            self.ctl_ok(d, "set-option", "enc", "server_name", "localhost")
            self.get_ok(d, "enc")
            # Another key file needs its pass phrase again ...
            r = d.rpc("session.config", {"session": "enc", "options": {
                "key": self.pki.path("mgr-enc.key")}})
            self.assertIn("key_password", r["error"]["message"], r)
            # ... which is never written to a file: refused, not applied.
            opts = {"key": self.pki.path("mgr-enc.key"), "key_password": PW,
                    "retries": 0}
            r = d.rpc("session.config", {"session": "enc", "options": opts,
                                         "persist": True})
            self.assertIn("key_password", r["error"]["message"], r)
            self.assertEqual(self.opts(d, "enc")["retries"], 2)
            self.assertFalse(os.path.exists(os.path.join(
                state, "overrides.json")))
            d.call("session.config", {"session": "enc", "options": opts})
            self.assertEqual(self.opts(d, "enc")["retries"], 0)
            self.get_ok(d, "enc")
            text = d.log() + json.dumps(d.call("session.show", {
                "session": "enc"}))
            for root, _, files in os.walk(state):
                for f in files:
                    with open(os.path.join(root, f), errors="replace") as fh:
                        text += fh.read()
            self.assertNotIn(PW, text)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    if r.testsRun == len(r.skipped):
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
