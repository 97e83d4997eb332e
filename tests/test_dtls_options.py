#!/usr/bin/env python3
"""test_dtls_options.py - a DTLS session's options and what the daemon
says about it, against Net-SNMP snmpd's dtlsudp: transport (certificates
and agent as in test_dtls.py).

session.show lists a DTLS session's TLS options (paths and names as
given, the pass phrase as "***", never a key's contents); log lines name
the session, not its host.
"""
import json
import os
import shutil
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snmptest import Daemon, SYS_DESCR, free_udp_port, skip_unless  # noqa
from test_dtls import MGR_NAME, OPENSSL, dtls_agent, run  # noqa: E402
from test_dtls_traps import Pki, fingerprint  # noqa: E402

PW = "Opts-Key-Phrase-42"


@skip_unless("snmpd", "openssl")
class DtlsSessionOptionsTest(unittest.TestCase):
    """One agent for the class; no test makes a handshake it refuses."""

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("mgr2", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
        run(OPENSSL, "pkey", "-in", p.path("mgr.key"), "-aes256",
            "-passout", "pass:" + PW, "-out", p.path("mgr-enc.key"))
        cls.agent_fp = fingerprint(p.path("agent.crt"))
        try:
            cls.agent, cls.port = dtls_agent(p)
        except BaseException:
            p.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        cls.pki.close()

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
            log = d.log()
            self.assertIn("session named: DTLS association open", log)
            self.assertIn("session nobody: DTLS handshake failed", log)
            self.assertNotIn("session 127.0.0.1:", log)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    if r.testsRun == len(r.skipped):
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
