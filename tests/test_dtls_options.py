#!/usr/bin/env python3
"""test_dtls_options.py - a DTLS session's options and what the daemon
says about it, against Net-SNMP snmpd's dtlsudp: transport (certificates
and agent as in test_dtls.py).

Log lines name the session, not its host.
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
