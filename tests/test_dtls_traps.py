#!/usr/bin/env python3
"""test_dtls_traps - snmpmgrd's trap and inform receiver over DTLS
(RFC 6353) with the Transport Security Model (RFC 5591), issue 10.

Certificates are made here with `openssl`: a CA, our listener's
certificate, and one sender certificate per cert_to_name rule kind
(specified, cn, san_rfc822, san_ip, san_any, and san_dns through the CA's
fingerprint), one the CA signed that no rule maps, and a self-signed one
nobody trusts.  Net-SNMP's snmptrap and snmpinform send over DTLS (the
inform after its RFC 5343 contextEngineID probe); each accepted
notification is journaled with transport "dtls", the tmSecurityName its
rule gives and the sender's certificate fingerprint, and informs are
acknowledged.  Refused senders (unmapped, untrusted, no certificate) are
counted, get an ssl-client-authentication "reject" event, leave nothing in
the journal, and the next good sender is still served.  A hostile peer
(garbage datagrams, a ClientHello flood from many source ports,
half-finished handshakes) stays inside the listener's bounds: other
senders are served and the daemon's memory stays bounded.  Forged,
altered, short and cut records (a relay between sender and listener) are
dropped and counted, and the association stays up (RFC 6347 4.1.2.7).
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest                                     # noqa: E402
from snmptest import Daemon, find_program, skip_unless  # noqa: E402
from test_traps import (Watcher, by_oid, journal_records,  # noqa: E402
                        port_both, wait_record)

OUR_ENGINE = "80001f88046d677274657374"
EVENTS = ("trap", "inform", "bad-packet", "discovery-request", "ssl-status",
          "ssl-client-authentication", "connected", "disconnected")

_counter = [0]


def unique_oid():
    _counter[0] += 1
    return "1.3.6.1.4.1.99999.10.%d" % (1000 + _counter[0])


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def fingerprint(path):
    out = openssl("x509", "-in", path, "-noout", "-fingerprint", "-sha256")
    return "sha256:" + out.strip().split("=", 1)[1]


class Pki:
    """A CA and certificates in a temp dir, and a Net-SNMP client config
    tree (DIR/tls/{certs,private,ca-certs})."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="snmptest-dtls-")
        self.client = os.path.join(self.dir, "client")
        for sub in ("certs", "private", "ca-certs"):
            os.makedirs(os.path.join(self.client, "tls", sub))
        os.mkdir(os.path.join(self.client, "cert_indexes"))
        self.ca = self.path("ca.crt")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                self.path("ca.key"), "-out", self.ca, "-days", "365",
                "-subj", "/CN=snmpmgrd test CA")
        shutil.copy(self.ca, os.path.join(self.client, "tls", "ca-certs",
                                          "ca.crt"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def make(self, name, cn, san=None, self_signed=False, days=365):
        key, crt = self.path(name + ".key"), self.path(name + ".crt")
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            if san:
                f.write("subjectAltName=%s\n" % san)
        if self_signed:
            openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", crt, "-days", str(days),
                    "-subj", "/CN=" + cn, "-addext",
                    "basicConstraints=CA:FALSE",
                    *(["-addext", "subjectAltName=" + san] if san else []))
        else:
            csr = self.path(name + ".csr")
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=" + cn)
            openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
                    self.path("ca.key"), "-CAcreateserial", "-out", crt,
                    "-days", str(days), "-extfile", ext)
        shutil.copy(crt, os.path.join(self.client, "tls", "certs",
                                      name + ".crt"))
        shutil.copy(key, os.path.join(self.client, "tls", "private",
                                      name + ".key"))
        return crt, key

    def make_expired(self, name, cn):
        """A certificate the CA signed for January 2020 only."""
        key, crt = self.path(name + ".key"), self.path(name + ".crt")
        csr, conf = self.path(name + ".csr"), self.path("ca.cnf")
        os.makedirs(self.path("newcerts"), exist_ok=True)
        open(self.path("index.txt"), "a").close()
        if not os.path.exists(self.path("serial")):
            with open(self.path("serial"), "w") as f:
                f.write("1000\n")
        with open(conf, "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s\n"
                    "new_certs_dir = %s\nserial = %s\ndefault_md = sha256\n"
                    "policy = p\n[p]\ncommonName = supplied\n"
                    % (self.path("index.txt"), self.path("newcerts"),
                       self.path("serial")))
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", csr, "-subj", "/CN=" + cn)
        openssl("ca", "-batch", "-config", conf, "-cert", self.ca,
                "-keyfile", self.path("ca.key"), "-in", csr, "-out", crt,
                "-startdate", "20200101000000Z", "-enddate",
                "20200201000000Z", "-notext")
        return crt, key

    def env(self):
        e = dict(os.environ)
        e.update(MIBS="", SNMPCONFPATH=self.client,
                 SNMP_PERSISTENT_DIR=self.client)
        return e

    def close(self):
        shutil.rmtree(self.dir, True)


def ns(pki, cmd, identity, target, *args, timeout=30):
    """snmptrap / snmpinform over DTLS as `identity`."""
    prog = find_program(cmd)
    if prog is None:
        raise unittest.SkipTest("%s not installed" % cmd)
    argv = [prog, "-v3", "-l", "authPriv", "-t", "2", "-r", "2",
            "-T", "our_identity=" + identity, "-T", "trust_cert=ca",
            "-T", "their_hostname=localhost", target] + list(args)
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, env=pki.env())


def listener_tls(pki, rule_map, **over):
    """traps.tls with our "mgr" certificate and one rule mapping every
    certificate the test CA signed with rule_map."""
    t = {"cert": pki.path("mgr.crt"), "key": pki.path("mgr.key"),
         "ca": pki.ca, "cert_to_name": [{"fingerprint": fingerprint(pki.ca),
                                         "map": rule_map}]}
    t.update(over)
    return t


def send_until_journaled(pki, journal, identity, target, oid,
                         cmd="snmptrap", tries=3):
    """Send until journaled (snmptrap gives the handshake little time and
    drops the trap silently when it is slow): (the last run, the record
    or None)."""
    for _ in range(tries):
        r = ns(pki, cmd, identity, target, "", oid, "1.3.6.1.2.1.1.5.0",
               "s", identity)
        rec = wait_record(journal, by_oid(oid), timeout=3)
        if rec is not None:
            return r, rec
    return r, None


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --------------------------------------------------- a hand-made ClientHello

def client_hello(cookie=b"", seq=0):
    """A DTLS 1.2 ClientHello (RFC 6347 4.2.1) offering ECDHE-RSA with
    AES-GCM, in one record."""
    body = (b"\xfe\xfd" + os.urandom(32) + b"\x00" +
            bytes([len(cookie)]) + cookie +
            b"\x00\x04\xc0\x2f\xc0\x30" + b"\x01\x00")
    exts = (b"\x00\x0a\x00\x04\x00\x02\x00\x17" +      # secp256r1
            b"\x00\x0b\x00\x02\x01\x00" +              # uncompressed
            b"\x00\x0d\x00\x04\x00\x02\x04\x01")       # rsa_pkcs1_sha256
    body += struct.pack(">H", len(exts)) + exts
    n = len(body)
    hs = (b"\x01" + n.to_bytes(3, "big") + struct.pack(">H", seq) +
          b"\x00\x00\x00" + n.to_bytes(3, "big") + body)
    return (b"\x16\xfe\xff" + b"\x00\x00" + seq.to_bytes(6, "big") +
            struct.pack(">H", len(hs)) + hs)


def hvr_cookie(dgram):
    """The cookie of a HelloVerifyRequest record, or None."""
    if len(dgram) < 13 + 12 + 3 or dgram[0] != 22 or dgram[13] != 3:
        return None
    p = 13 + 12 + 2
    return dgram[p + 1:p + 1 + dgram[p]]


def half_handshake(port, timeout=1.0, source="127.0.0.1"):
    """A ClientHello, the cookie back, and nothing after: the listener
    holds a handshake in progress for this socket (bound to source, any
    port).  The socket."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.send(client_hello())
    cookie = hvr_cookie(s.recv(2048))
    if cookie is None:
        s.close()
        return None
    s.send(client_hello(cookie, seq=1))
    return s


def dtls_records(d):
    """The records of a datagram (RFC 6347 4.1 headers)."""
    out, p = [], 0
    while len(d) - p >= 13:
        n = struct.unpack(">H", d[p + 11:p + 13])[0]
        out.append(d[p:p + 13 + n])
        p += 13 + n
    return out


def flipped(d):
    """d with one bit of its last octet (the MAC or tag) changed."""
    return d[:-1] + bytes([d[-1] ^ 0x01])


# What Relay does to an application-data datagram d: the datagrams sent
# in its place.  The real one goes after the forgery, but for "altered".
FORGERIES = {
    # One octet changed in flight: the real one is lost.
    "altered": lambda d: [flipped(d)],
    # An altered copy first, then the real one.
    "altered copy": lambda d: [flipped(d), d],
    # Random octets.
    "garbage": lambda d: [os.urandom(len(d)), d],
    # The real header (epoch, sequence number) over a random body.
    "bad MAC": lambda d: [d[:13] + os.urandom(len(dtls_records(d)[0]) - 13),
                          d],
    # A record too short to hold a MAC or tag, in the real one's datagram.
    "short": lambda d: [d[:11] + b"\x00\x05" + os.urandom(5) + d],
    # A record cut short: its length says more than the datagram holds.
    "cut": lambda d: [d[:13 + (len(dtls_records(d)[0]) - 13) // 2], d],
    # The real one, its replay, and random octets under its header.
    "replayed": lambda d: [d, d, d[:11] + struct.pack(">H", len(d) - 13) +
                           os.urandom(len(d) - 13)],
}


class Relay:
    """A UDP relay between one DTLS peer and another on port: each of
    .to_server / .to_client is a list of FORGERIES names applied, one
    each, to the next application-data datagrams that way; .done lists
    those applied."""

    def __init__(self, port):
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.connect(("127.0.0.1", port))
        self.front.settimeout(0.01)
        self.back.settimeout(0.01)
        self.client = None
        self.to_server, self.to_client, self.done = [], [], []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def meddle(self, d, plan, send):
        if plan and d[:1] == b"\x17":
            name = plan.pop(0)
            self.done.append(name)
            for x in FORGERIES[name](d):
                send(x)
        else:
            send(d)

    def run(self):
        while not self.stop:
            try:
                d, self.client = self.front.recvfrom(65536)
                self.meddle(d, self.to_server, self.back.send)
            except (socket.timeout, ConnectionRefusedError):
                pass
            try:
                d = self.back.recv(65536)
                if self.client:
                    self.meddle(d, self.to_client, lambda x: (
                        self.front.sendto(x, self.client)))
            except (socket.timeout, ConnectionRefusedError):
                pass

    def close(self):
        self.stop = True
        self.t.join()
        self.front.close()
        self.back.close()


# ================================================================= tests

@skip_unless("snmptrap", "snmpinform", "openssl")
class DtlsReceiverTest(unittest.TestCase):
    """One listener, every cert_to_name rule kind, refused senders and a
    hostile peer."""

    MAX_HS = 16
    MAX_ASSOCS = 64

    @classmethod
    def setUpClass(cls):
        p = cls.pki = Pki()
        p.make("mgr", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1")
        p.make("spec", "specified-cn", "DNS:spec.example")
        p.make("cncert", "Sender CN 1")
        p.make("rfc", "rfc-cn", "email:ops@Example.COM,DNS:rfc.example")
        p.make("ipcert", "ip-cn", "DNS:ip.example,IP:127.0.0.1")
        p.make("anycert", "any-cn", "IP:127.0.0.1,DNS:any.example")
        p.make("dnscert", "dns-cn", "DNS:Sender.Example.NET")
        p.make("unmapped", "nobody-maps-me")
        p.make("rogue", "localhost", "DNS:rogue.example", self_signed=True)
        crt, key = p.make_expired("expired", "expired-sender")
        for src, sub in ((crt, "certs"), (key, "private")):
            shutil.copy(src, os.path.join(p.client, "tls", sub))
        fp = {n: fingerprint(p.path(n + ".crt"))
              for n in ("spec", "cncert", "rfc", "ipcert", "anycert")}
        cls.rules = [
            {"fingerprint": fp["spec"], "map": "specified",
             "name": "ops-specified"},
            {"fingerprint": fp["cncert"], "map": "cn"},
            {"fingerprint": fp["rfc"], "map": "san_rfc822"},
            {"fingerprint": fp["ipcert"], "map": "san_ip"},
            {"fingerprint": fp["anycert"], "map": "san_any"},
            # Every certificate the CA signed, by its DNS name.
            {"fingerprint": fingerprint(p.ca), "map": "san_dns"},
        ]
        cls.port = port_both()
        cfg = {
            "local_engine_id": "0x" + OUR_ENGINE,
            "traps": {
                "listen": ["dtls:127.0.0.1:%d" % cls.port,
                           "dtls:[::1]:%d" % cls.port],
                "tls": {"cert": p.path("mgr.crt"), "key": p.path("mgr.key"),
                        "ca": p.ca, "cert_to_name": cls.rules,
                        "max_handshakes": cls.MAX_HS,
                        "max_associations": cls.MAX_ASSOCS,
                        "handshake_timeout": "2s"},
                "journal": {"path": "traps.jsonl", "fsync": "interval",
                            "interval": "50ms"},
            },
        }
        cls.d = Daemon(cfg)
        cls.journal = os.path.join(cls.d.config["state_dir"], "traps.jsonl")
        cls.w = Watcher(cls.d, EVENTS)
        cls.target = "dtlsudp:localhost:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        cls.d.close()
        cls.pki.close()

    def dtls_stats(self, i=0):
        return self.d.call("trap.stats")["listeners"][i]["dtls"]

    def trap(self, identity, oid, target=None, cmd="snmptrap"):
        r, rec = send_until_journaled(self.pki, self.journal, identity,
                                      target or self.target, oid, cmd)
        if rec is not None:
            return r, rec
        self.fail("%s %s: not journaled: %s\n%s" % (cmd, identity,
                                                    r.stderr,
                                                    self.d.log()[-3000:]))

    def inform_ok(self, who, name):
        """An inform from who, acknowledged and journaled as name."""
        oid = unique_oid()
        r = ns(self.pki, "snmpinform", who, self.target, "", oid,
               "1.3.6.1.2.1.1.5.0", "s", who)
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = wait_record(self.journal, by_oid(oid))
        self.check_rec(rec, who, name, typ="inform")
        return True

    def check_rec(self, rec, identity, name, typ="trap"):
        self.assertEqual(rec["type"], typ)
        self.assertEqual(rec["transport"], "dtls")
        self.assertEqual(rec["version"], "3")
        self.assertEqual(rec["security_model"], "tsm")
        self.assertEqual(rec["tm_security_name"], name)
        self.assertEqual(rec["security_name"], name)
        self.assertEqual(rec["security_level"], "authPriv")
        self.assertEqual(rec["peer_fingerprint"].lower(),
                         fingerprint(self.pki.path(identity +
                                                   ".crt")).lower())
        self.assertEqual(rec["varbinds"][-1]["value"], identity)

    def mapped(self, identity, name, target=None):
        """A trap from identity, journaled under name."""
        _, rec = self.trap(identity, unique_oid(), target=target)
        self.check_rec(rec, identity, name)
        return rec

    # ------------------------------------------------------- mapping
    def test_rule_specified(self):
        self.mapped("spec", "ops-specified")

    def test_rule_cn(self):
        self.mapped("cncert", "Sender CN 1")

    def test_traps_lists_and_selects_the_security_name(self):
        # A TSM record has no USM user nor engine: `traps` shows its
        # securityName, and --user selects it.
        rec = self.mapped("cncert", "Sender CN 1")
        oid = rec["trap_oid"]
        r = self.d.ctl("traps", "--trap-oid", oid)
        self.assertEqual(r.returncode, 0, r.stderr)
        head = r.stdout.splitlines()[0]
        self.assertIn(" v3 trap %s security-name Sender CN 1 authPriv"
                      % oid, head)
        self.assertNotIn("engine", head)
        self.assertNotIn(" user ", head)
        for user, n in (("Sender CN 1", 1), ("Sender CN", 0)):
            r = self.d.ctl("traps", "--trap-oid", oid, "--user", user)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.count(" v3 trap "), n, (user, r.stdout))

    def test_rule_san_rfc822_lowercases_the_host(self):
        self.mapped("rfc", "ops@example.com")

    def test_rule_san_ip(self):
        self.mapped("ipcert", "127.0.0.1")

    def test_rule_san_any_takes_the_first(self):
        self.mapped("anycert", "127.0.0.1")

    def test_rule_san_dns_by_ca_fingerprint(self):
        self.mapped("dnscert", "sender.example.net")
        ev = self.w.wait(lambda e: e["event"] ==
                         "ssl-client-authentication" and
                         e.get("security_name") == "sender.example.net")
        self.assertIsNotNone(ev)
        self.assertEqual(ev["decision"], "accept")
        self.assertEqual(ev["reason"], "ca")
        self.assertEqual(ev["map_rule"], 5)
        self.assertEqual(ev["certificate"]["subject"], "CN=dns-cn")
        self.assertIn({"type": "dns", "value": "Sender.Example.NET"},
                      ev["certificate"]["san"])
        self.assertIsNotNone(self.w.wait(
            lambda e: e["event"] == "connected" and
            e.get("security_name") == "sender.example.net"))

    def test_ipv6_listener(self):
        rec = self.mapped("spec", "ops-specified",
                          target="dtlsudp6:[::1]:%d" % self.port)
        self.assertEqual(rec["source"], "::1")

    # ------------------------------------------------------- informs
    def test_inform_acknowledged_after_probe(self):
        oid = unique_oid()
        r, rec = self.trap("spec", oid, cmd="snmpinform")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_rec(rec, "spec", "ops-specified", typ="inform")
        # The RFC 5343 probe taught it our engine ID.
        self.assertEqual(rec["context_engine_id"], OUR_ENGINE)
        self.assertIsNotNone(self.w.wait(
            lambda e: e["event"] == "discovery-request" and
            e.get("listener", "").startswith("dtls:")))
        st = self.d.call("trap.stats")
        self.assertGreaterEqual(st["informs"], 1)
        # snmpTsmStats: DTLS provides authPriv, so no level is too high.
        self.assertEqual(st["tsm"], {"invalid_caches": 0,
                                     "inadequate_levels": 0,
                                     "unknown_prefixes": 0,
                                     "invalid_prefixes": 0})

    # ------------------------------------------------------- refused
    def refused(self, identity, field, code, wait_detail=None):
        before = self.dtls_stats()
        oid = unique_oid()
        r = ns(self.pki, "snmpinform", identity, self.target, "", oid,
               "1.3.6.1.2.1.1.5.0", "s", identity)
        self.assertNotEqual(r.returncode, 0, "inform from %s acknowledged"
                            % identity)
        ev = self.w.wait(lambda e: e["event"] ==
                         "ssl-client-authentication" and
                         e.get("decision") == "reject" and
                         e.get("code") == code and
                         (wait_detail is None or
                          wait_detail in e.get("reason", "")))
        self.assertIsNotNone(ev, "no reject event for %s" % identity)
        after = self.dtls_stats()
        self.assertGreater(after["refused"], before["refused"])
        if field:
            self.assertGreater(after[field], before[field])
        self.assertIsNone(wait_record(self.journal, by_oid(oid), 0.5))
        # The next good sender is served.
        _, rec = self.trap("spec", unique_oid())
        self.check_rec(rec, "spec", "ops-specified")

    def test_unmapped_certificate_refused(self):
        self.refused("unmapped", "unmapped", 280, "cert_to_name")

    def test_untrusted_certificate_refused(self):
        self.refused("rogue", None, 280)

    def test_expired_certificate_refused(self):
        self.refused("expired", None, 280, "expired")

    def test_no_client_certificate_refused(self):
        if find_program("openssl") is None:
            self.skipTest("openssl not installed")
        before = self.dtls_stats()
        # A DTLS client with no certificate of its own.
        subprocess.run(["openssl", "s_client", "-dtls1_2", "-connect",
                        "127.0.0.1:%d" % self.port, "-CAfile",
                        self.pki.ca], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=20)
        ev = self.w.wait(lambda e: e["event"] ==
                         "ssl-client-authentication" and
                         e.get("code") == 281)
        self.assertIsNotNone(ev, self.d.log()[-2000:])
        self.assertEqual(ev["decision"], "reject")
        after = self.dtls_stats()
        self.assertGreater(after["no_certificate"], before["no_certificate"])
        _, rec = self.trap("cncert", unique_oid())
        self.check_rec(rec, "cncert", "Sender CN 1")

    # ------------------------------------------------------- hostile
    def test_one_address_flood_abandons_its_own_handshakes(self):
        # One handshake under way from 127.0.0.1, then far more than
        # max_handshakes from 127.0.0.2: those abandoned are the
        # flooder's, the oldest of the address with the most under way,
        # never the older one of the other address.
        deadline = time.monotonic() + 6      # earlier tests' time out
        while (self.dtls_stats()["handshaking"] > 0 and
               time.monotonic() < deadline):
            time.sleep(0.1)
        mine = half_handshake(self.port)
        self.assertIsNotNone(mine)
        port = mine.getsockname()[1]
        before = self.dtls_stats()
        flood = [half_handshake(self.port, source="127.0.0.2")
                 for _ in range(self.MAX_HS + 8)]
        try:
            self.assertNotIn(None, flood)

            def evicted(source, port):
                return self.w.wait(
                    lambda e: e["event"] == "ssl-status" and
                    e.get("status") == "handshake-abandoned" and
                    "evicted" in e.get("detail", "") and
                    e.get("source") == source and e.get("port") == port,
                    timeout=1.0)

            deadline = time.monotonic() + 5
            while (self.dtls_stats()["evicted"] - before["evicted"] < 9 and
                   time.monotonic() < deadline):
                time.sleep(0.05)
            self.assertEqual(self.dtls_stats()["evicted"] -
                             before["evicted"], 9)
            self.assertIsNone(evicted("127.0.0.1", port),
                              "the other address's handshake abandoned")
            for s in flood[:9]:
                self.assertIsNotNone(evicted("127.0.0.2",
                                             s.getsockname()[1]))
        finally:
            mine.close()
            for s in flood:
                if s is not None:
                    s.close()

    def relayed_inform(self, plan):
        """An inform from "spec" through a Relay doing plan to what it
        sends: (the relay, the run, the inform's OID)."""
        m = Relay(self.port)
        m.to_server = list(plan)
        try:
            oid = unique_oid()
            r = ns(self.pki, "snmpinform", "spec", "dtlsudp:localhost:%d"
                   % m.port, "", oid, "1.3.6.1.2.1.1.5.0", "s", "spec")
        finally:
            m.close()
        return m, r, oid

    def test_replayed_and_garbage_records_are_dropped(self):
        m, r, oid = self.relayed_inform(["replayed"] * 8)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(len(m.done), 2)    # the probe, the inform
        time.sleep(0.3)
        recs = [x for x in journal_records(self.journal)
                 if x.get("trap_oid") == oid]
        self.assertEqual(len(recs), 1, "replayed inform journaled again")
        self.check_rec(recs[0], "spec", "ops-specified", typ="inform")

    def test_forged_records_leave_the_association_up(self):
        # An association's records are OpenSSL's until the sender's first
        # message (the inform's RFC 5343 probe), ours after.  Forged,
        # altered, short and cut records before each of the sender's
        # messages are dropped and counted; the association stays up, so
        # the inform is acknowledged and journaled once.
        for plan in (["short", "bad MAC"], ["altered copy", "garbage"],
                     ["cut", "short"]):
            before = self.dtls_stats()
            m, r, oid = self.relayed_inform(plan)
            self.assertEqual(m.done, plan)
            self.assertEqual(r.returncode, 0, "%s: %s\n%s" % (
                plan, r.stderr, self.d.log()[-2000:]))
            rec = wait_record(self.journal, by_oid(oid))
            self.check_rec(rec, "spec", "ops-specified", typ="inform")
            self.assertIsNone(self.w.wait(
                lambda e: e["event"] == "disconnected" and
                "record" in e.get("reason", ""), 0.2), plan)
            after = self.dtls_stats()
            self.assertEqual(after["established"] - before["established"],
                             1, plan)
            self.assertGreaterEqual(after["records_dropped"] -
                                    before["records_dropped"], 1, plan)
        # A trap (one message, the first) behind a short record.
        m = Relay(self.port)
        m.to_server = ["short"]
        try:
            _, rec = self.trap("spec", unique_oid(), target=(
                "dtlsudp:localhost:%d" % m.port))
        finally:
            m.close()
        self.check_rec(rec, "spec", "ops-specified")
        self.assertEqual(m.done, ["short"])

    def test_handshake_times_out_while_its_peer_keeps_sending(self):
        # Every datagram reaches the half-finished handshake's
        # association; the listener's timer must fire all the same
        # (handshake_timeout 2 s).
        before = self.dtls_stats()
        s = half_handshake(self.port)
        self.assertIsNotNone(s)
        end = time.monotonic() + 4
        while time.monotonic() < end:
            s.send(os.urandom(40))
            time.sleep(0.02)
        s.close()
        st = self.dtls_stats()
        self.assertGreater(st["timeouts"] - before["timeouts"], 0)

    def test_hostile_peer_stays_inside_bounds(self):
        pid = self.d.pid
        _, rec = self.trap("spec", unique_oid())
        rss0 = rss_kib(pid)
        before = self.dtls_stats()
        # Garbage: not a ClientHello, from an address with no
        # association: dropped, nothing kept.
        g = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(500):
            g.sendto(os.urandom(1 + i % 300), ("127.0.0.1", self.port))
        g.close()
        # A ClientHello flood from many source ports: a cookie each.
        flood = []
        for _ in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(client_hello(), ("127.0.0.1", self.port))
            flood.append(s)
        # Half-finished handshakes, far more than max_handshakes.
        half = [half_handshake(self.port) for _ in range(100)]
        half = [s for s in half if s is not None]
        self.assertGreater(len(half), self.MAX_HS)
        st = self.dtls_stats()
        self.assertLessEqual(st["handshaking"], self.MAX_HS)
        self.assertLessEqual(st["associations"], self.MAX_ASSOCS)
        self.assertGreaterEqual(st["cookies"] - before["cookies"], 300)
        self.assertGreaterEqual(st["dropped"] - before["dropped"], 400)
        self.assertGreaterEqual(st["evicted"] - before["evicted"],
                                len(half) - self.MAX_HS)
        # Other senders are served while the half-finished ones sit,
        # and while more come.
        stop = threading.Event()
        more = []

        # The flood comes from an address of its own, so it abandons
        # its own handshakes, not theirs (see the test below).
        def keep_flooding():
            while not stop.is_set():
                s = half_handshake(self.port, 0.5, "127.0.0.2")
                if s is not None:
                    more.append(s)

        t = threading.Thread(target=keep_flooding, daemon=True)
        t.start()
        try:
            served = [self.inform_ok(w, n) for w, n in
                      (("cncert", "Sender CN 1"), ("spec", "ops-specified"),
                       ("anycert", "127.0.0.1"))]
        finally:
            stop.set()
            t.join()
        self.assertEqual(served, [True] * 3)
        self.assertGreater(len(more), 0)
        half += more
        # Half-finished handshakes time out (handshake_timeout 2 s).
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            st = self.dtls_stats()
            if st["handshaking"] == 0:
                break
            time.sleep(0.2)
        self.assertEqual(st["handshaking"], 0)
        self.assertGreater(st["timeouts"] - before["timeouts"], 1)
        # Logged once per run of failures, not once per peer (the rest
        # at debug level): a second warning only after handshakes
        # succeeded again (the good senders above may come between).
        warned, run = 0, False
        for ln in self.d.log().splitlines():
            if "DTLS handshakes succeed again" in ln:
                run = False
            elif "warning" in ln and "not done within" in ln:
                self.assertFalse(run, "warned twice in one run: " + ln)
                run = True
                warned += 1
        self.assertGreater(warned, 0)
        for s in flood + half:
            s.close()
        # Memory stays bounded: a few MiB at most for all of it (under
        # AddressSanitizer its quarantine keeps freed memory: a looser bound).
        with open(self.d.prog, "rb") as f:
            asan = b"__asan_init" in f.read()
        self.assertLess(rss_kib(pid) - rss0, (128 if asan else 16) * 1024)
        self.assertTrue(self.d.alive())


@skip_unless("snmptrap", "openssl")
class DtlsPrefixTest(unittest.TestCase):
    """tsm_use_prefix: the securityName gets the "dtls:" prefix (RFC 5591
    5.2 step 3); tmSecurityName stays as the rule gave it."""

    def test_prefix(self):
        p = Pki()
        try:
            p.make("mgr", "localhost", "DNS:localhost")
            p.make("dnscert", "dns-cn", "DNS:pfx.example")
            port = port_both()
            cfg = {"local_engine_id": "0x" + OUR_ENGINE,
                   "traps": {"listen": ["dtls:127.0.0.1:%d" % port],
                             "tls": listener_tls(p, "san_dns",
                                                 tsm_use_prefix=True),
                             "journal": {"path": "traps.jsonl"}}}
            target = "dtlsudp:localhost:%d" % port
            with Daemon(cfg) as d:
                journal = os.path.join(d.config["state_dir"], "traps.jsonl")
                _, rec = send_until_journaled(p, journal, "dnscert", target,
                                              unique_oid())
                self.assertIsNotNone(rec, d.log()[-2000:])
                self.assertEqual(rec["security_name"], "dtls:pfx.example")
                self.assertEqual(rec["tm_security_name"], "pfx.example")
                # trap.list's "user" finds it by either name.
                for user in ("dtls:pfx.example", "pfx.example"):
                    res = d.call("trap.list", {"user": user,
                                               "trap_oid": rec["trap_oid"]})
                    self.assertEqual(res["count"], 1, user)
                # A reload opens the DTLS listener anew; it still serves.
                d.call("daemon.reload")
                _, rec = send_until_journaled(p, journal, "dnscert", target,
                                              unique_oid())
                self.assertIsNotNone(rec, d.log()[-2000:])
        finally:
            p.close()


@skip_unless("openssl")
class DtlsIdleTest(unittest.TestCase):
    """An association that carries nothing for idle_timeout is closed
    (close_notify), with a disconnected event saying so."""

    def test_idle_association_closed(self):
        p = Pki()
        try:
            p.make("mgr", "localhost", "DNS:localhost")
            crt, key = p.make("idler", "idler-cn")
            port = port_both()
            cfg = {"traps": {"listen": ["dtls:127.0.0.1:%d" % port],
                             "tls": listener_tls(p, "cn", idle_timeout="1s"),
                             "journal": {"path": "traps.jsonl"}}}
            with Daemon(cfg) as d:
                w = Watcher(d, ("connected", "disconnected"))
                c = subprocess.Popen(
                    ["openssl", "s_client", "-dtls1_2", "-connect",
                     "127.0.0.1:%d" % port, "-cert", crt, "-key", key,
                     "-CAfile", p.ca], stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    up = w.wait(lambda e: e["event"] == "connected", 10)
                    self.assertIsNotNone(up, d.log()[-2000:])
                    self.assertEqual(up["security_name"], "idler-cn")
                    t0 = time.monotonic()
                    down = w.wait(lambda e: e["event"] == "disconnected",
                                  10)
                    self.assertIsNotNone(down)
                    self.assertEqual(down["reason"], "idle")
                    self.assertGreaterEqual(time.monotonic() - t0, 0.5)
                    st = d.call("trap.stats")["listeners"][0]["dtls"]
                    self.assertEqual(st["idle_closed"], 1)
                    self.assertEqual(st["associations"], 0)
                finally:
                    c.kill()
                    c.wait()
                    c.stdin.close()
                    w.close()
        finally:
            p.close()


@skip_unless("openssl")
class DtlsBusyPeerTest(unittest.TestCase):
    """A half-finished handshake whose peer keeps sending (every datagram
    reaches its association) still times out: the listener's timer is
    not pushed back by traffic."""

    def test_handshake_times_out_while_its_peer_keeps_sending(self):
        p = Pki()
        try:
            p.make("mgr", "localhost", "DNS:localhost")
            port = port_both()
            cfg = {"traps": {"listen": ["dtls:127.0.0.1:%d" % port],
                             "tls": listener_tls(p, "cn",
                                                 handshake_timeout="1s"),
                             "journal": {"path": "traps.jsonl"}}}
            with Daemon(cfg) as d:
                s = half_handshake(port)
                self.assertIsNotNone(s)
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    s.send(os.urandom(40))
                    time.sleep(0.02)
                s.close()
                st = d.call("trap.stats")["listeners"][0]["dtls"]
                self.assertEqual(st["timeouts"], 1)
                self.assertEqual(st["handshaking"], 0)
        finally:
            p.close()


@skip_unless("openssl")
class DtlsConfigTest(unittest.TestCase):
    """traps.tls errors with FILE:LINE:COL and the numbered errors;
    `snmpmgrd -t` checks the files."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()
        cls.pki.make("mgr", "localhost", "DNS:localhost")
        cls.pki.make("other", "other")
        cls.pki.make("soon", "soon", days=10)

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()

    def check(self, tls, listen=("dtls:127.0.0.1:10162",)):
        d = Daemon({"traps": {"listen": list(listen), "tls": tls}},
                   start=False)
        try:
            r = subprocess.run([d.prog, "-t", "-c", d.conf],
                               capture_output=True, text=True, timeout=30)
            return r
        finally:
            d.close()

    def base(self, **over):
        return listener_tls(self.pki, "cn", **over)

    def test_valid(self):
        r = self.check(self.base())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("warning", r.stderr)

    def test_missing_key_file_is_272(self):
        r = self.check(self.base(key=self.pki.path("nope.key")))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"snmpmgrd\.json:\d+:\d+: traps\.tls\."
                         r"key: error 272")

    def test_unreadable_ca_is_271(self):
        r = self.check(self.base(ca=self.pki.path("nope-ca.crt")))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r":\d+:\d+: traps\.tls\.ca: error 271")

    def test_key_not_matching_is_273(self):
        r = self.check(self.base(key=self.pki.path("other.key")))
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 273", r.stderr)

    def test_expiring_soon_is_a_warning(self):
        r = self.check(self.base(cert=self.pki.path("soon.crt"),
                                 key=self.pki.path("soon.key")))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("expires within 30 days", r.stderr)

    def test_expired_certificate_is_273(self):
        crt, key = self.pki.make_expired("old", "old")
        r = self.check(self.base(cert=crt, key=key))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r":\d+:\d+: traps\.tls\.cert: error 273"
                         r".*expired")

    def test_pkcs12_with_password(self):
        p12 = self.pki.path("mgr.p12")
        openssl("pkcs12", "-export", "-in", self.pki.path("mgr.crt"),
                "-inkey", self.pki.path("mgr.key"), "-out", p12,
                "-passout", "pass:p12-Secret-9")
        t = self.base(cert=p12, key_password="p12-Secret-9")
        del t["key"]
        r = self.check(t)
        self.assertEqual(r.returncode, 0, r.stderr)
        t["key_password"] = "wrong-Secret-7"
        r = self.check(t)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error 273", r.stderr)
        self.assertNotIn("Secret", r.stderr)

    def test_expired_pkcs12_is_273(self):
        # Checked as a PEM certificate is: at load, the same error.
        crt, key = self.pki.make_expired("old12", "old12")
        p12 = self.pki.path("old12.p12")
        openssl("pkcs12", "-export", "-in", crt, "-inkey", key, "-out",
                p12, "-passout", "pass:p12-Secret-9")
        t = self.base(cert=p12, key_password="p12-Secret-9")
        del t["key"]
        r = self.check(t)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stderr, r":\d+:\d+: traps\.tls\.cert: error 273"
                         r".*expired")
        self.assertNotIn("Secret", r.stderr)

    def test_rules(self):
        r = self.check(self.base(cert_to_name=[]))
        self.assertIn("at least one rule", r.stderr)
        r = self.check(self.base(cert_to_name=[
            {"fingerprint": "sha256:zz", "map": "cn"}]))
        self.assertRegex(r.stderr, r":\d+:\d+: traps\.tls\.cert_to_name"
                         r"\[0\]\.fingerprint")
        r = self.check(self.base(cert_to_name=[
            {"fingerprint": fingerprint(self.pki.ca), "map": "specified"}]))
        self.assertIn("needs a \"name\"", r.stderr)
        r = self.check(self.base(cert_to_name=[
            {"fingerprint": fingerprint(self.pki.ca), "map": "sn"}]))
        self.assertEqual(r.returncode, 1)

    def test_dtls_listener_needs_tls(self):
        d = Daemon({"traps": {"listen": ["dtls:127.0.0.1"]}}, start=False)
        try:
            r = subprocess.run([d.prog, "-t", "-c", d.conf],
                               capture_output=True, text=True, timeout=30)
        finally:
            d.close()
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"traps\.listen\[0\]: a DTLS listener "
                         r"needs")


if __name__ == "__main__":
    snmptest.main()
