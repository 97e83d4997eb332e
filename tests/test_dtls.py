#!/usr/bin/env python3
"""test_dtls.py - SNMP over DTLS (RFC 6353), client side: configuration.

Certificates are made here with `openssl` (a CA, our certificate signed
by it, one that has expired, one that expires in 10 days).  `snmpmgrd -t`
must check what a session with transport "dtls" says: SNMPv3 only, the
TLS options' rules, and our certificate and key files (errors 272 / 273,
a warning when the certificate ends within 30 days), with key_password
never echoed.  Skips (exit 77) without snmpmgrd or openssl.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TOP_BUILDDIR = os.environ.get("top_builddir",
                              os.path.join(os.path.dirname(__file__), ".."))
SNMPMGRD = os.path.join(TOP_BUILDDIR, "snmpmgrd")
OPENSSL = shutil.which("openssl")

CA_CNF = """[ca]
default_ca = ca_default
[ca_default]
dir = %(dir)s
database = %(dir)s/index.txt
new_certs_dir = %(dir)s
certificate = %(dir)s/ca.pem
private_key = %(dir)s/ca.key
serial = %(dir)s/serial
default_md = sha256
policy = pol
copy_extensions = copy
[pol]
commonName = supplied
"""


def run(*args, cwd=None):
    subprocess.run(list(args), check=True, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Certs:
    """A CA and certificates it signs, in a directory of their own."""

    def __init__(self, d):
        self.d = d
        with open(os.path.join(d, "index.txt"), "w"):
            pass
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(CA_CNF % {"dir": d})
        run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            self.p("ca.key"), "-out", self.p("ca.pem"), "-subj", "/CN=test CA",
            "-days", "30")

    def p(self, name):
        return os.path.join(self.d, name)

    def issue(self, name, start=None, end=None, days=30):
        """name.pem / name.key signed by the CA, with the given dates."""
        run(OPENSSL, "req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            self.p(name + ".key"), "-out", self.p(name + ".csr"), "-subj",
            "/CN=" + name, "-addext", "subjectAltName=DNS:localhost")
        dates = (["-startdate", start, "-enddate", end] if start else
                 ["-days", str(days)])
        run(OPENSSL, "ca", "-batch", "-config", self.p("ca.cnf"), "-in",
            self.p(name + ".csr"), "-out", self.p(name + ".pem"), "-notext",
            *dates)


@unittest.skipUnless(os.access(SNMPMGRD, os.X_OK) and OPENSSL,
                     "snmpmgrd or openssl missing")
class DtlsConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test_dtls.")
        cls.certs = Certs(cls.tmp)
        cls.certs.issue("me")
        cls.certs.issue("old", start="20200101000000Z",
                        end="20200201000000Z")
        cls.certs.issue("soon", days=10)
        # Our key, encrypted: PEM with a pass phrase.
        run(OPENSSL, "pkey", "-in", cls.certs.p("me.key"), "-aes256",
            "-passout", "pass:s3cret-phrase", "-out",
            cls.certs.p("me-enc.key"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check(self, session):
        conf = {"state_dir": self.tmp, "sessions": {"a": session}}
        path = os.path.join(self.tmp, "snmpmgrd.json")
        with open(path, "w") as f:
            json.dump(conf, f)
        return subprocess.run([SNMPMGRD, "-t", "-c", path],
                              capture_output=True, text=True, timeout=30)

    def good(self, **kw):
        s = {"host": "127.0.0.1", "transport": "dtls",
             "cert": self.certs.p("me.pem"), "key": self.certs.p("me.key"),
             "ca": self.certs.p("ca.pem")}
        s.update(kw)
        return s

    def expect_error(self, session, text):
        r = self.check(session)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(text, r.stderr)
        return r

    def expect_ok(self, session):
        r = self.check(session)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_valid_files_pass_the_check(self):
        r = self.expect_ok(self.good())
        self.assertNotIn("error 27", r.stderr)

    def test_version_other_than_3_is_an_error(self):
        self.expect_error(self.good(version="2c"),
                          "carries SNMPv3 only")
        self.expect_error(self.good(version="1"), "carries SNMPv3 only")
        r = self.expect_ok(self.good(version="3"))
        self.assertNotIn("SNMPv3 only", r.stderr)

    def test_missing_cert_and_key_files(self):
        s = self.good()
        del s["cert"]
        self.expect_error(s, "error 272")
        self.expect_error(self.good(cert=os.path.join(self.tmp, "none.pem")),
                          "error 272")
        self.expect_error(self.good(key=os.path.join(self.tmp, "none.key")),
                          "error 272")

    def test_key_not_matching_the_cert(self):
        self.expect_error(self.good(key=self.certs.p("old.key")),
                          "error 273")

    def test_unreadable_ca(self):
        self.expect_error(self.good(ca=os.path.join(self.tmp, "none-ca")),
                          "error 271")

    def test_expired_certificate(self):
        self.expect_error(self.good(cert=self.certs.p("old.pem"),
                                    key=self.certs.p("old.key")),
                          "has expired")

    def p12(self, name):
        """name.pem and name.key as one PKCS#12 file (pass phrase)."""
        out = self.certs.p(name + ".p12")
        run(OPENSSL, "pkcs12", "-export", "-in", self.certs.p(name + ".pem"),
            "-inkey", self.certs.p(name + ".key"), "-passout",
            "pass:p12-phrase", "-out", out)
        s = self.good(cert=out, key_password="p12-phrase")
        del s["key"]
        return s

    def test_pkcs12_dates_checked_as_pem_ones(self):
        # The dates of a PKCS#12 certificate are checked at load as those
        # of a PEM one: the same error and the same warning.
        self.expect_ok(self.p12("me"))
        r = self.expect_error(self.p12("old"), "has expired")
        self.assertIn("error 273", r.stderr)
        self.assertNotIn("p12-phrase", r.stdout + r.stderr)
        r = self.check(self.p12("soon"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("expires in", r.stderr)

    def test_certificate_expiring_soon_is_a_warning(self):
        r = self.check(self.good(cert=self.certs.p("soon.pem"),
                                 key=self.certs.p("soon.key")))
        self.assertIn("expires in", r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)

    def check_conf(self, conf):
        conf = dict(conf, state_dir=self.tmp)
        path = os.path.join(self.tmp, "snmpmgrd.json")
        with open(path, "w") as f:
            json.dump(conf, f)
        return subprocess.run([SNMPMGRD, "-t", "-c", path],
                              capture_output=True, text=True, timeout=30)

    def test_sessions_sharing_files_are_checked_once(self):
        # Issue 10: one check per distinct set of files and options, so
        # the warning about the ending certificate comes once per set.
        ca2 = os.path.join(self.tmp, "ca-copy.pem")
        shutil.copyfile(self.certs.p("ca.pem"), ca2)
        t = self.good(cert=self.certs.p("soon.pem"),
                      key=self.certs.p("soon.key"))
        del t["host"]
        sessions = {"s%d" % i: {"template": "t", "host": "127.0.0.1",
                                "port": 20000 + i} for i in range(5)}
        sessions["other-ca"] = {"template": "t", "host": "127.0.0.1",
                                "ca": ca2}
        r = self.check_conf({"templates": {"t": t}, "sessions": sessions})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.count("expires in"), 2, r.stderr)
        # A session naming other files is still checked on its own.
        sessions["bad-key"] = {"template": "t", "host": "127.0.0.1",
                               "key": self.certs.p("old.key")}
        r = self.check_conf({"templates": {"t": t}, "sessions": sessions})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("error 273", r.stderr)

    def test_key_password(self):
        r = self.expect_error(self.good(key=self.certs.p("me-enc.key"),
                                        key_password="wrong-phrase"),
                              "error 273")
        self.assertNotIn("wrong-phrase", r.stdout + r.stderr)
        r = self.expect_ok(self.good(key=self.certs.p("me-enc.key"),
                                     key_password="s3cret-phrase"))
        self.assertNotIn("s3cret-phrase", r.stdout + r.stderr)

    def test_fingerprints(self):
        fp = "ab" * 32
        for good in ("sha256:" + fp, "SHA256:" + fp.upper(),
                     "sha256:" + ":".join(["ab"] * 32), "sha1:" + "cd" * 20,
                     "sha384:" + "ef" * 48, "sha512:" + "01" * 64):
            self.expect_ok(self.good(server_fingerprint=good))
        self.expect_error(self.good(server_fingerprint="sha256:abcd"),
                          "expected a certificate fingerprint")
        self.expect_error(self.good(server_fingerprint="md5:" + "ab" * 16),
                          "expected a certificate fingerprint")

    def test_empty_server_name_needs_a_fingerprint(self):
        self.expect_error(self.good(server_name=""), "needs a "
                          "server_fingerprint")
        self.expect_ok(self.good(server_name="",
                                 server_fingerprint="sha256:" + "ab" * 32))

    def test_other_options_checked(self):
        self.expect_error(self.good(tls_min_version="1.0"), "expected")
        self.expect_error(self.good(dtls_idle_timeout="0s"), "")
        self.expect_error(self.good(tsm_use_prefix="yes"), "expected")
        self.expect_ok(self.good(security_level="authPriv",
                                 dtls_idle_timeout="10m",
                                 tsm_use_prefix=True,
                                 security_name="mgr",
                                 tls_ciphers="ECDHE+AESGCM"))


# ============================================== sessions over DTLS (client)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snmptest import (Daemon, MIB2, SYS_DESCR, SYS_UPTIME,  # noqa: E402
                      Snmpd, find_program, free_udp_port, parse_net_snmp,
                      skip_unless, NET_SNMP_OPTS)
from snmptest import _join_records  # noqa: E402
from test_dtls_traps import FORGERIES, Pki, Relay, fingerprint  # noqa: E402
from test_interop import compare_sandwich, vbs_of  # noqa: E402
from test_daemon import build_bigtable  # noqa: E402

SYSTEM = "1.3.6.1.2.1.1"
SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
BIGTABLE = "1.3.6.1.4.1.99999.1"
BIGTABLE_OBJECTS = 50000
MGR_NAME = "mgr-tsm"


def dtls_agent(pki, ipv6=False, agent_cert="agent", extra=(), persist=()):
    """A fresh snmpd answering on dtlsudp:127.0.0.1:PORT (and [::1] with
    ipv6) with the agent certificate named, accepting pki's "mgr"
    certificate as MGR_NAME (read-write, TSM); persist: lines of its
    persistent config (createUser).  (snmpd, port)."""
    port = free_udp_port()
    addrs = ["dtlsudp:127.0.0.1@lo:%d" % port]
    if ipv6:
        addrs.append("dtlsudp6:[::1]@lo:%d" % port)
    a = Snmpd(start=False, stable_view=True, agent_addresses=addrs,
              extra_conf=["[snmp] localCert " + agent_cert,
                          "[snmp] trustCert ca",
                          "certSecName 10 %s --sn %s" % (
                              fingerprint(pki.path("mgr.crt"))[7:],
                              MGR_NAME),
                          "rwuser -s tsm %s priv" % MGR_NAME] +
              list(extra), persist_conf=list(persist))
    for sub in ("certs", "private", "ca-certs"):
        os.makedirs(os.path.join(a.dir, "tls", sub), exist_ok=True)
    shutil.copy(pki.ca, os.path.join(a.dir, "tls", "ca-certs", "ca.crt"))
    shutil.copy(pki.path(agent_cert + ".crt"),
                os.path.join(a.dir, "tls", "certs"))
    shutil.copy(pki.path(agent_cert + ".key"),
                os.path.join(a.dir, "tls", "private"))
    a.start()
    return a, port


def ns_dtls(pki, cmd, target, *args):
    """A Net-SNMP tool over DTLS as "mgr": its varbinds, parsed."""
    prog = find_program(cmd)
    if prog is None:
        raise unittest.SkipTest("%s not installed" % cmd)
    r = subprocess.run([prog] + list(NET_SNMP_OPTS) + [
        "-v3", "-l", "authPriv", "-t", "5", "-r", "1",
        "-T", "our_identity=mgr", "-T", "trust_cert=ca",
        "-T", "their_hostname=localhost", target] + list(args),
        capture_output=True, text=True, timeout=60, env=pki.env())
    if r.returncode != 0:
        raise AssertionError("%s: %s" % (cmd, r.stderr))
    return parse_net_snmp(_join_records(r.stdout))


@skip_unless("snmpd", "snmpget", "snmpbulkwalk", "openssl")
class DtlsClientTest(unittest.TestCase):
    """Sessions over DTLS against Net-SNMP snmpd's dtlsudp: transport."""

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1")
        cls.so = build_bigtable(p.dir)
        try:
            cls.agent, cls.port = dtls_agent(
                p, ipv6=True, extra=["dlmod bigtable %s" % cls.so]
                if cls.so else [])
        except BaseException:
            p.close()
            raise
        cls.daemon = None
        try:
            cls.daemon = Daemon({"sessions": {
                "d": cls.session(timeout="5s"),
                "ev": cls.session(timeout="5s", dtls_idle_timeout="1s"),
                "d6": cls.session(host="::1", timeout="5s")}})
        except BaseException:
            cls.agent.close()
            p.close()
            raise

    @classmethod
    def session(cls, **over):
        s = {"host": "127.0.0.1", "port": cls.port, "transport": "dtls",
             "cert": cls.pki.path("mgr.crt"), "key": cls.pki.path("mgr.key"),
             "ca": cls.pki.ca}
        s.update(over)
        return s

    @classmethod
    def tearDownClass(cls):
        if cls.daemon is not None:
            cls.daemon.close()
        cls.agent.close()
        cls.pki.close()

    def setUp(self):
        if not self.daemon.alive():
            self.fail("snmpmgrd died:\n" + self.daemon.log()[-4000:])

    def target(self):
        return "dtlsudp:localhost:%d" % self.port

    def test_get_matches_snmpget(self):
        oids = [SYS_DESCR, SYS_OBJECTID]
        ours = vbs_of(self.daemon.ctl_json("get", "d", *oids))
        self.assertEqual(ours, ns_dtls(self.pki, "snmpget", self.target(),
                                       *oids))
        # The same association serves the next request.
        ours = vbs_of(self.daemon.ctl_json("get", "d", *oids))
        self.assertEqual(len(ours), 2)


    def test_getnext_getbulk_match(self):
        oids = [SYSTEM, "1.3.6.1.2.1.2.2.1.2"]
        ours = vbs_of(self.daemon.ctl_json("getnext", "d", *oids))
        self.assertEqual(ours, ns_dtls(self.pki, "snmpgetnext",
                                       self.target(), *oids))
        res = self.daemon.call("snmp.getbulk", {
            "session": "d", "oids": [SYS_DESCR, SYSTEM],
            "non_repeaters": 1, "max_repetitions": 6})
        theirs = ns_dtls(self.pki, "snmpbulkget", self.target(), "-Cn1",
                         "-Cr6", SYS_DESCR, SYSTEM)
        self.assertEqual([x for x in vbs_of(res) if x[0] != SYS_UPTIME],
                         [x for x in theirs if x[0] != SYS_UPTIME])
        self.assertEqual(len(vbs_of(res)), 7)

    def test_set_then_get_back(self):
        ours = vbs_of(self.daemon.ctl_json("set", "d", SYS_CONTACT, "s",
                                           "dtls room 7"))
        self.assertEqual(ours, [(SYS_CONTACT, "OCTET STRING",
                                 b"dtls room 7")])
        self.assertEqual(ns_dtls(self.pki, "snmpget", self.target(),
                                 SYS_CONTACT), ours)

    def test_walk_matches_snmpbulkwalk(self):
        before = ns_dtls(self.pki, "snmpbulkwalk", self.target(), MIB2)
        ours = vbs_of(self.daemon.ctl_json("walk", "d", MIB2))
        after = ns_dtls(self.pki, "snmpbulkwalk", self.target(), MIB2)
        n = compare_sandwich(self, before, ours, after, "dtls walk")
        self.assertGreater(n, 100)

    def test_events_show_and_idle_close(self):
        c = self.daemon.connect()
        c.call("events.subscribe", {"events": list(CLIENT_EVENTS),
                                    "sessions": ["ev"]})
        self.assertEqual(self.daemon.call("session.show", {
            "session": "ev"})["tls"], None)
        self.assertIn("result", get_rpc(self.daemon, "ev"))
        tls = self.daemon.call("session.show", {"session": "ev"})["tls"]
        self.assertEqual(tls["protocol"], "DTLSv1.2")
        self.assertIn("GCM", tls["cipher"])
        self.assertEqual(tls["subject"], "CN=localhost")
        self.assertEqual(tls["issuer"], "CN=snmpmgrd test CA")
        self.assertEqual(tls["accepted_by"], "ca")
        self.assertEqual(tls["sha256"].lower(), fingerprint(
            self.pki.path("agent.crt")).lower())
        self.assertTrue(tls["sha1"].startswith("sha1:"))
        for k in ("serial", "not_before", "not_after"):
            self.assertTrue(tls[k], k)
        self.assertIn({"type": "ip", "value": "127.0.0.1"}, tls["san"])
        self.assertIn({"type": "dns", "value": "localhost"}, tls["san"])
        self.assertGreaterEqual(len(tls["chain"]), 1)
        # Idle for dtls_idle_timeout: closed (close_notify), told, and
        # opened again by the next request.
        seen = read_events(c, lambda e: e["event"] == "disconnected", 5)
        names = [e["event"] for e in seen]
        for want in ("ssl-status", "ssl-server-authentication",
                     "connected", "disconnected"):
            self.assertIn(want, names)
        self.assertTrue(all(e["session"] == "ev" for e in seen), seen)
        auth = [e for e in seen if e["event"] ==
                "ssl-server-authentication"][0]
        self.assertEqual(auth["decision"], "accept")
        self.assertEqual(auth["reason"], "ca")
        self.assertEqual(auth["certificate"]["subject"], "CN=localhost")
        self.assertEqual(seen[-1]["reason"], "idle")
        self.assertIsNone(self.daemon.call("session.show", {
            "session": "ev"})["tls"])
        self.assertIn("result", get_rpc(self.daemon, "ev"))
        self.assertTrue(read_events(c, lambda e: e["event"] ==
                                    "connected", 5))
        c.close()

    def test_adhoc_targets(self):
        oids = [SYS_DESCR, SYS_OBJECTID]
        theirs = ns_dtls(self.pki, "snmpget", self.target(), *oids)
        ours = vbs_of(self.daemon.ctl_json(
            "get", "-H", "dtls:127.0.0.1:%d" % self.port,
            "--cert", self.pki.path("mgr.crt"),
            "--key", self.pki.path("mgr.key"), "--ca", self.pki.ca, *oids))
        self.assertEqual(ours, theirs)
        # IPv6, the agent pinned by its fingerprint alone (no --ca).
        ours = vbs_of(self.daemon.ctl_json(
            "get", "-H", "dtls:[::1]:%d" % self.port,
            "--cert", self.pki.path("mgr.crt"),
            "--key", self.pki.path("mgr.key"),
            "--fingerprint", fingerprint(self.pki.path("agent.crt")),
            "--server-name", "", *oids))
        self.assertEqual(ours, theirs)
        # A JSON-RPC target object; a walk.
        res = self.daemon.call("snmp.get", {"target": self.session(),
                                            "oids": oids}, timeout=30)
        self.assertEqual(vbs_of(res), theirs)
        res = self.daemon.ctl_json(
            "walk", "-H", "dtls:127.0.0.1:%d" % self.port,
            "--cert", self.pki.path("mgr.crt"),
            "--key", self.pki.path("mgr.key"), "--ca", self.pki.ca, SYSTEM)
        self.assertEqual([x for x in vbs_of(res) if x[0] != SYS_UPTIME],
                         [x for x in ns_dtls(self.pki, "snmpbulkwalk",
                                             self.target(), SYSTEM)
                          if x[0] != SYS_UPTIME])
        # The wrong CA: error 275 for the ad-hoc target too.
        r = self.daemon.rpc("snmp.get", {
            "target": self.session(ca=self.pki.path("mgr.crt")),
            "oids": [SYS_DESCR]}, timeout=30)
        self.assertEqual(r.get("error", {}).get("code"), 275, r)
        # "dtls" with version 2c is refused.
        r = self.daemon.rpc("snmp.get", {
            "target": self.session(version="2c"), "oids": [SYS_DESCR]})
        self.assertIn("SNMPv3 only", json.dumps(r))

    def test_big_walk_on_one_association(self):
        if not self.so:
            self.skipTest("cannot build bench/bigtable.c (net-snmp-config)")
        self.daemon.ctl_json("get", "d", SYS_DESCR)     # open now
        c = self.daemon.connect()
        c.call("events.subscribe", {"events": list(CLIENT_EVENTS),
                                    "sessions": ["d"]})
        before = self.daemon.call("session.show", {"session": "d"})
        ours = vbs_of(self.daemon.ctl_json("walk", "-r", "25", "d",
                                           BIGTABLE))
        theirs = ns_dtls(self.pki, "snmpbulkwalk", self.target(), "-Cr25",
                         BIGTABLE)
        self.assertEqual(len(ours), BIGTABLE_OBJECTS)
        self.assertEqual(ours, theirs)
        after = self.daemon.call("session.show", {"session": "d"})
        self.assertEqual(after["stats"]["timeouts"],
                         before["stats"]["timeouts"])
        self.assertEqual(after["stats"]["retries"],
                         before["stats"]["retries"])
        # The same association all along: no handshake, no close.
        self.assertEqual(read_events(c, lambda e: True, 1), [])
        c.close()

    def test_ipv6(self):
        oids = [SYS_DESCR, SYS_OBJECTID]
        ours = vbs_of(self.daemon.ctl_json("get", "d6", *oids))
        self.assertEqual(ours, ns_dtls(
            self.pki, "snmpget", "dtlsudp6:[::1]:%d" % self.port, *oids))


CLIENT_EVENTS = ("ssl-status", "ssl-server-authentication", "connected",
                 "disconnected")


def read_events(c, until, timeout):
    """Events read from subscription c until one satisfies until (then
    the list, that one last) or timeout (then [])."""
    import time
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = c.read_msg(deadline - time.monotonic())
        except TimeoutError:
            break
        if msg.get("method") != "event":
            continue
        seen.append(msg["params"])
        if until(msg["params"]):
            return seen
    return []


def get_rpc(daemon, session, timeout=30):
    return daemon.rpc("snmp.get", {"session": session, "oids": [SYS_DESCR]},
                      timeout=timeout)


@skip_unless("snmpd", "openssl")
class DtlsClientFailureTest(unittest.TestCase):
    """Agents we must refuse, each a fresh snmpd (5.9.3 can wedge after
    one failed handshake), and an agent that restarts or goes silent."""

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1")
        p.make("othername", "elsewhere", "DNS:elsewhere.example")
        p.make_expired("expired", "localhost")
        cls.other = Pki()
        cls.other.make("mgr", "snmpmgrd", "DNS:mgr.example")

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()
        cls.other.close()

    def session(self, port, **over):
        s = {"host": "127.0.0.1", "port": port, "transport": "dtls",
             "timeout": "3s", "retries": 1,
             "cert": self.pki.path("mgr.crt"),
             "key": self.pki.path("mgr.key"), "ca": self.pki.ca}
        s.update(over)
        return s

    def refused(self, agent_cert, code, text, **over):
        a, port = dtls_agent(self.pki, agent_cert=agent_cert)
        try:
            with Daemon({"sessions": {"d": self.session(port, **over)}},
                        debug=True) as d:
                c = d.connect()
                c.call("events.subscribe", {"events": list(CLIENT_EVENTS),
                                            "sessions": ["d"]})
                r = get_rpc(d, "d")
                err = r.get("error", {})
                self.assertEqual(err.get("code"), code, r)
                self.assertIn(text, json.dumps(err), r)
                seen = read_events(c, lambda e: e["event"] == "ssl-status"
                                   and e["status"] == "failed", 5)
                auth = [e for e in seen
                        if e["event"] == "ssl-server-authentication"]
                self.assertEqual(len(auth), 1, seen)
                self.assertEqual(auth[0]["decision"], "reject")
                self.assertEqual(auth[0]["code"], code)
                self.assertEqual(seen[-1]["code"], code)
                self.assertNotIn("connected", [e["event"] for e in seen])
                c.close()
                self.assertTrue(d.alive())
                return d.log()
        finally:
            a.close()

    def test_wrong_ca_275(self):
        self.refused("agent", 275, "verify", ca=self.other.ca)

    def test_fingerprint_mismatch_280(self):
        self.refused("agent", 280, "fingerprint",
                     server_fingerprint=fingerprint(
                         self.other.path("mgr.crt")))

    def test_expired_agent_certificate_280(self):
        self.refused("expired", 280, "expired")

    def test_name_mismatch_280(self):
        self.refused("othername", 280, "name")

    def test_pinned_fingerprint_alone_accepts(self):
        a, port = dtls_agent(self.pki)
        try:
            s = self.session(port, server_fingerprint=fingerprint(
                self.pki.path("agent.crt")), server_name="")
            del s["ca"]
            with Daemon({"sessions": {"d": s}}) as d:
                r = get_rpc(d, "d")
                self.assertIn("result", r, r)
        finally:
            a.close()

    def test_closed_port_276(self):
        # Nothing listens: the ICMP port unreachable ends the handshake
        # (and the request) at once, with 276.
        import time
        with Daemon({"sessions": {"d": self.session(
                free_udp_port(), timeout="5s", retries=0)}}) as d:
            t0 = time.monotonic()
            r = get_rpc(d, "d")
            self.assertEqual(r.get("error", {}).get("code"), 276, r)
            self.assertIn("unreachable", json.dumps(r))
            self.assertLess(time.monotonic() - t0, 4)

    def test_silent_agent_times_out_201(self):
        # A UDP socket that reads and never answers: the handshake
        # never finishes; the request ends with its own timeout.
        import socket
        import time
        sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sk.bind(("127.0.0.1", 0))
        try:
            with Daemon({"sessions": {"d": self.session(
                    sk.getsockname()[1], timeout="1s", retries=1)}}) as d:
                t0 = time.monotonic()
                r = get_rpc(d, "d")
                took = time.monotonic() - t0
                self.assertEqual(r.get("error", {}).get("code"), 201, r)
                self.assertLess(took, 2.9)
                self.assertTrue(d.alive())
        finally:
            sk.close()

    def test_agent_restart_mid_poll(self):
        import time
        a, port = dtls_agent(self.pki)
        try:
            s = self.session(port, timeout="1s", retries=1)
            s["polls"] = ["p"]
            with Daemon({"polls": {"p": {"get": [SYS_UPTIME],
                                         "interval": "300ms"}},
                         "sessions": {"d": s}}) as d:
                c = d.connect()
                c.call("events.subscribe", {"events": ["connected"],
                                            "sessions": ["d"]})

                def ok():
                    return d.call("session.show", {
                        "session": "d"})["state"]["polls_ok"]
                deadline = time.monotonic() + 10
                while ok() < 3 and time.monotonic() < deadline:
                    time.sleep(0.2)
                self.assertGreaterEqual(ok(), 3)
                # The first association's event, if it came after the
                # subscription (the first turn may open the association
                # before it): drained, so that what follows is new.
                read_events(c, lambda e: True, 2)
                a.restart()
                before = ok()
                deadline = time.monotonic() + 20
                while ok() < before + 5 and time.monotonic() < deadline:
                    time.sleep(0.2)
                self.assertGreaterEqual(ok(), before + 5,
                                        d.log()[-3000:])
                # A second association was opened for the new agent.
                self.assertTrue(read_events(
                    c, lambda e: e["event"] == "connected", 5))
                c.close()
        finally:
            a.close()

    def test_agent_restart_association_reopened(self):
        a, port = dtls_agent(self.pki)
        try:
            with Daemon({"sessions": {"d": self.session(
                    port, timeout="2s", retries=1)}}) as d:
                self.assertIn("result", get_rpc(d, "d"))
                a.restart()
                ok = 0
                for _ in range(4):
                    if "result" in get_rpc(d, "d"):
                        ok += 1
                # The request in flight when the agent lost the
                # association may time out; the next ones open a new one.
                self.assertGreaterEqual(ok, 3)
                self.assertIn("result", get_rpc(d, "d"))
        finally:
            a.close()


@skip_unless("snmpd", "openssl")
class DtlsForgedRecordsTest(unittest.TestCase):
    """Altered, forged, short and cut records between snmpd and a session
    (a UDP relay in between, RFC 6347 4.1.2.7): each is dropped and
    counted, the association stays up and the request is answered.  With
    a CBC cipher (SHA-256 or SHA-1 MAC, encrypt_then_mac) OpenSSL keeps
    the records, and OpenSSL 3.0 alone ends the association on the first
    of them; with the default AEAD cipher they are our own."""

    CIPHERS = {"cbc": "ECDHE-RSA-AES128-SHA256",
               "cbc1": "ECDHE-RSA-AES256-SHA",
               "gcm": None}

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1")
        cls.agent, cls.relays, cls.daemon = None, {}, None
        try:
            cls.agent, port = dtls_agent(p)
            cls.agent_port = port
            sessions = {}
            for name, cipher in cls.CIPHERS.items():
                r = cls.relays[name] = Relay(port)
                s = {"host": "127.0.0.1", "port": r.port,
                     "transport": "dtls", "cert": p.path("mgr.crt"),
                     "key": p.path("mgr.key"), "ca": p.ca,
                     "timeout": "1s", "retries": 2}
                if cipher:
                    s["tls_ciphers"] = cipher
                sessions[name] = s
            cls.daemon = Daemon({"sessions": sessions}, debug=True)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.daemon is not None:
            cls.daemon.close()
        for r in cls.relays.values():
            r.close()
        if cls.agent is not None:
            cls.agent.close()
        cls.pki.close()

    def forged(self, session, daemon=None, relay=None,
               counted=len(FORGERIES) - 1):
        daemon = daemon or self.daemon
        relay = relay or self.relays[session]
        self.assertIn("result", get_rpc(daemon, session))
        tls = daemon.call("session.show", {"session": session})["tls"]
        if self.CIPHERS.get(session):
            self.assertEqual(tls["cipher"], self.CIPHERS[session])
        c = daemon.connect()
        c.call("events.subscribe", {"events": list(CLIENT_EVENTS),
                                    "sessions": [session]})
        try:
            for name in FORGERIES:
                relay.to_client = [name]
                r = get_rpc(daemon, session)
                self.assertIn("result", r, "%s: %s: %s" % (session, name,
                                                            r))
                self.assertEqual(relay.done[-1], name)
            # Not one association closed or opened meanwhile.
            self.assertEqual(read_events(c, lambda e: True, 0.5), [],
                             "%s:\n%s" % (session, daemon.log()[-3000:]))
        finally:
            c.close()
        # Each of them but the garbage (whose header is random) counted,
        # and traced; the next request served on the same association.
        after = daemon.call("session.show", {"session": session})["tls"]
        self.assertGreaterEqual(after["records_dropped"] -
                                tls["records_dropped"], counted)
        self.assertEqual(after["sha256"], tls["sha256"])
        self.assertIn("invalid record", daemon.log())
        self.assertIn("result", get_rpc(daemon, session))

    def test_cbc_sha256(self):
        self.forged("cbc")

    def test_cbc_sha1(self):
        self.forged("cbc1")

    def test_aead(self):
        self.forged("gcm")

    def test_cbc_mac_then_encrypt(self):
        # OpenSSL's system configuration turns encrypt_then_mac off in
        # this daemon: the MAC is inside the encryption, OpenSSL checks
        # it and drops what fails; only the short and cut records are
        # ours to count.  A real record must not be taken for a short one.
        conf = self.pki.path("no-etm.cnf")
        with open(conf, "w") as f:
            f.write("openssl_conf = c\n[c]\nssl_conf = s\n[s]\n"
                    "system_default = d\n[d]\n"
                    "Options = -EncryptThenMac\n")
        relay = Relay(self.agent_port)
        old = os.environ.get("OPENSSL_CONF")
        os.environ["OPENSSL_CONF"] = conf
        try:
            d = Daemon({"sessions": {"mte": {
                "host": "127.0.0.1", "port": relay.port,
                "transport": "dtls", "cert": self.pki.path("mgr.crt"),
                "key": self.pki.path("mgr.key"), "ca": self.pki.ca,
                "timeout": "1s", "retries": 2,
                "tls_ciphers": self.CIPHERS["cbc"]}}}, debug=True)
        finally:
            if old is None:
                del os.environ["OPENSSL_CONF"]
            else:
                os.environ["OPENSSL_CONF"] = old
        try:
            self.forged("mte", d, relay, counted=2)
        finally:
            d.close()
            relay.close()


class AgentTestCase(unittest.TestCase):
    """Tests sharing one Pki (its certificates made by make_certs) and one
    fresh DTLS agent (dtls_agent) in .agent, .port."""

    @classmethod
    def make_certs(cls, pki):
        pass

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        try:
            cls.make_certs(p)
            cls.agent, cls.port = dtls_agent(p)
        except BaseException:
            p.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        cls.pki.close()


@skip_unless("snmpd", "snmpget", "openssl")
class DtlsEncryptedKeyTest(AgentTestCase):
    """Our key encrypted (PEM with a pass phrase, PKCS#12): read and
    decrypted when the config is loaded, used from memory when the
    session connects (the file may be gone by then), the password never
    shown; a wrong password is error 273 at start, reload and -t."""

    PEM_PW = "Enc-Pem-Phrase-31"
    P12_PW = "P12-Phrase-77"

    @classmethod
    def make_certs(cls, p):
        p.make("mgr", "snmpmgrd", "DNS:mgr.example")
        p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1")
        run(OPENSSL, "pkey", "-in", p.path("mgr.key"), "-aes256",
            "-passout", "pass:" + cls.PEM_PW, "-out", p.path("mgr-enc.key"))
        run(OPENSSL, "pkcs12", "-export", "-in", p.path("mgr.crt"),
            "-inkey", p.path("mgr.key"), "-certfile", p.ca, "-passout",
            "pass:" + cls.P12_PW, "-out", p.path("mgr.p12"))

    def sessions(self, pem_pw=None, p12_pw=None, key=None):
        base = {"host": "127.0.0.1", "port": self.port, "transport": "dtls",
                "timeout": "5s", "ca": self.pki.ca}
        enc = dict(base, cert=self.pki.path("mgr.crt"),
                   key=key or self.pki.path("mgr-enc.key"),
                   key_password=pem_pw or self.PEM_PW)
        p12 = dict(base, cert=self.pki.path("mgr.p12"),
                   key_password=p12_pw or self.P12_PW)
        return {"sessions": {"enc": enc, "p12": p12}}

    def no_secret(self, text):
        for pw in (self.PEM_PW, self.P12_PW, "Wrong-Phrase-5"):
            self.assertNotIn(pw, text)

    def test_get_with_encrypted_pem_and_pkcs12(self):
        theirs = ns_dtls(self.pki, "snmpget", "dtlsudp:localhost:%d" %
                         self.port, SYS_DESCR)
        # A copy of the encrypted key, removed once the daemon runs: the
        # key is used from memory, not read again when connecting.
        gone = self.pki.path("mgr-enc-copy.key")
        shutil.copy(self.pki.path("mgr-enc.key"), gone)
        with Daemon(self.sessions(key=gone), debug=True) as d:
            os.unlink(gone)
            for name in ("enc", "p12"):
                r = d.rpc("snmp.get", {"session": name,
                                       "oids": [SYS_DESCR]}, timeout=30)
                self.assertIn("result", r, r)
                self.assertEqual(vbs_of(r["result"]), theirs)
                shown = d.call("session.show", {"session": name})
                self.assertEqual(shown["tls"]["subject"], "CN=localhost")
                self.no_secret(json.dumps(shown))
                self.no_secret(json.dumps(d.call("session.config", {
                    "session": name})))
            # Inline targets: the same, and a wrong password is 273.
            for tgt in self.sessions()["sessions"].values():
                r = d.rpc("snmp.get", {"target": tgt,
                                       "oids": [SYS_DESCR]}, timeout=30)
                self.assertEqual(vbs_of(r.get("result", r)), theirs, r)
            tgt = self.sessions(p12_pw="Wrong-Phrase-5")["sessions"]["p12"]
            r = d.rpc("snmp.get", {"target": tgt, "oids": [SYS_DESCR]},
                      timeout=30)
            self.assertIn("273", json.dumps(r.get("error")), r)
            self.no_secret(json.dumps(r))
            # A reload reads the files again; the sessions still work.
            shutil.copy(self.pki.path("mgr-enc.key"), gone)
            d.call("daemon.reload", timeout=30)
            for name in ("enc", "p12"):
                r = d.rpc("snmp.get", {"session": name,
                                       "oids": [SYS_DESCR]}, timeout=30)
                self.assertIn("result", r, r)
            # A reload with a wrong password is refused (273): the
            # running config stays.
            d.write_config(self.sessions(key=gone, p12_pw="Wrong-Phrase-5"))
            r = d.rpc("daemon.reload", timeout=30)
            self.assertIn("error", r, r)
            self.assertIn("error 273", json.dumps(r))
            self.no_secret(json.dumps(r))
            r = d.rpc("snmp.get", {"session": "p12", "oids": [SYS_DESCR]},
                      timeout=30)
            self.assertIn("result", r, r)
            self.no_secret(d.log())

    def check(self, conf):
        path = self.pki.path("check.json")
        with open(path, "w") as f:
            json.dump(dict(conf, state_dir=self.pki.dir), f)
        return subprocess.run([SNMPMGRD, "-t", "-c", path],
                              capture_output=True, text=True, timeout=30)

    def test_wrong_password_is_273(self):
        r = self.check(self.sessions())
        self.assertEqual(r.returncode, 0, r.stderr)
        for conf in (self.sessions(pem_pw="Wrong-Phrase-5"),
                     self.sessions(p12_pw="Wrong-Phrase-5")):
            r = self.check(conf)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("error 273", r.stderr)
            self.no_secret(r.stdout + r.stderr)
            d = Daemon(conf, start=False)
            try:
                with self.assertRaises(RuntimeError) as cm:
                    d.start()
                self.assertIn("error 273", str(cm.exception))
                self.no_secret(str(cm.exception))
            finally:
                d.close()


@skip_unless("snmptrapd", "openssl")
class DtlsInformTest(unittest.TestCase):
    """Our inform over DTLS, acknowledged by Net-SNMP snmptrapd."""

    def test_inform_acknowledged(self):
        import time
        p = Pki()
        trapd = None
        try:
            p.make("mgr", "snmpmgrd", "DNS:mgr.example")
            p.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
            d = tempfile.mkdtemp(prefix="snmptest-trapd-dtls-", dir=p.dir)
            for sub in ("certs", "private", "ca-certs"):
                os.makedirs(os.path.join(d, "tls", sub))
            os.mkdir(os.path.join(d, "cert_indexes"))
            shutil.copy(p.ca, os.path.join(d, "tls", "ca-certs"))
            shutil.copy(p.path("agent.crt"), os.path.join(d, "tls", "certs"))
            shutil.copy(p.path("agent.key"),
                        os.path.join(d, "tls", "private"))
            port = free_udp_port()
            log = os.path.join(d, "trapd.log")
            conf = os.path.join(d, "snmptrapd.conf")
            with open(conf, "w") as f:
                f.write("snmpTrapdAddr dtlsudp:127.0.0.1@lo:%d\n" % port)
                f.write("disableAuthorization yes\n")
                f.write("[snmp] localCert agent\n[snmp] trustCert ca\n")
                f.write("certSecName 10 %s --sn %s\n" % (
                    fingerprint(p.path("mgr.crt"))[7:], MGR_NAME))
            env = dict(os.environ, SNMP_PERSISTENT_DIR=d, SNMPCONFPATH=d,
                       MIBS="")
            trapd = subprocess.Popen(
                [find_program("snmptrapd"), "-f", "-Lf", log, "-n", "-On",
                 "-C", "-c", conf, "-p", os.path.join(d, "pid")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env)
            time.sleep(0.5)
            s = {"host": "127.0.0.1", "port": port, "transport": "dtls",
                 "timeout": "3s", "retries": 1,
                 "cert": p.path("mgr.crt"), "key": p.path("mgr.key"),
                 "ca": p.ca}
            oid = "1.3.6.1.4.1.99999.0.4242"
            with Daemon({"sessions": {"t": s}}) as dm:
                # A trap first: it opens the association and waits for it
                # (TSM, no answer); the inform then uses it.
                r = dm.ctl("trap", "t", oid, "1.3.6.1.2.1.1.5.0", "s",
                           "trap-via-dtls")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                r = dm.ctl("inform", "t", oid, "1.3.6.1.2.1.1.5.0", "s",
                           "over-dtls")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                # Inline targets: a temporary session each, which lives
                # until its trap has left on a new association.
                vb = [{"oid": "1.3.6.1.2.1.1.5.0", "type": "s",
                       "value": "inline-trap"}]
                r = dm.rpc("snmp.trap", {"target": s, "trap_oid": oid,
                                         "varbinds": vb}, timeout=30)
                self.assertTrue(r.get("result", {}).get("sent"), r)
                r = dm.ctl("inform", "-H", "dtls:127.0.0.1:%d" % port,
                           "--cert", p.path("mgr.crt"), "--key",
                           p.path("mgr.key"), "--ca", p.ca, oid,
                           "1.3.6.1.2.1.1.5.0", "s", "inline-inform")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                # An agent our CA does not vouch for: the handshake's
                # error is the answer, and nothing is sent.
                vb[0]["value"] = "must-not-arrive"
                r = dm.rpc("snmp.trap", {"target": dict(
                    s, ca=p.path("mgr.crt")), "trap_oid": oid,
                    "varbinds": vb}, timeout=30)
                self.assertEqual(r.get("error", {}).get("code"), 275, r)
                want = ("over-dtls", "trap-via-dtls", "inline-trap",
                        "inline-inform")
                deadline = time.monotonic() + 5
                text = ""
                while time.monotonic() < deadline:
                    with open(log, errors="replace") as f:
                        text = f.read()
                    if all(w in text for w in want):
                        break
                    time.sleep(0.1)
            for w in want:
                self.assertIn(w, text)
            self.assertNotIn("must-not-arrive", text)
            self.assertIn(oid, text)
        finally:
            if trapd is not None:
                trapd.terminate()
                trapd.wait(5)
            p.close()


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=1).result
    if r.testsRun == len(r.skipped):
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
