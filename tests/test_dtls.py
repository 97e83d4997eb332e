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

    def test_valid_files_pass_the_check_until_dtls_is_wired(self):
        # Every check passes; the session is refused only because the
        # daemon does not run DTLS sessions yet (a clear error, not a
        # silent UDP session).
        r = self.expect_error(self.good(), "not supported yet")
        self.assertNotIn("error 27", r.stderr)

    def test_version_other_than_3_is_an_error(self):
        self.expect_error(self.good(version="2c"),
                          "carries SNMPv3 only")
        self.expect_error(self.good(version="1"), "carries SNMPv3 only")
        r = self.expect_error(self.good(version="3"), "not supported yet")
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

    def test_certificate_expiring_soon_is_a_warning(self):
        r = self.check(self.good(cert=self.certs.p("soon.pem"),
                                 key=self.certs.p("soon.key")))
        self.assertIn("expires in", r.stderr)
        self.assertIn("not supported yet", r.stderr)

    def test_key_password(self):
        r = self.expect_error(self.good(key=self.certs.p("me-enc.key"),
                                        key_password="wrong-phrase"),
                              "error 273")
        self.assertNotIn("wrong-phrase", r.stdout + r.stderr)
        r = self.expect_error(self.good(key=self.certs.p("me-enc.key"),
                                        key_password="s3cret-phrase"),
                              "not supported yet")
        self.assertNotIn("s3cret-phrase", r.stdout + r.stderr)

    def test_fingerprints(self):
        fp = "ab" * 32
        for good in ("sha256:" + fp, "SHA256:" + fp.upper(),
                     "sha256:" + ":".join(["ab"] * 32), "sha1:" + "cd" * 20,
                     "sha384:" + "ef" * 48, "sha512:" + "01" * 64):
            r = self.expect_error(self.good(server_fingerprint=good),
                                  "not supported yet")
        self.expect_error(self.good(server_fingerprint="sha256:abcd"),
                          "expected a certificate fingerprint")
        self.expect_error(self.good(server_fingerprint="md5:" + "ab" * 16),
                          "expected a certificate fingerprint")

    def test_empty_server_name_needs_a_fingerprint(self):
        self.expect_error(self.good(server_name=""), "needs a "
                          "server_fingerprint")
        self.expect_error(self.good(server_name="",
                                    server_fingerprint="sha256:" + "ab" * 32),
                          "not supported yet")

    def test_other_options_checked(self):
        self.expect_error(self.good(tls_min_version="1.0"), "expected")
        self.expect_error(self.good(dtls_idle_timeout="0s"), "")
        self.expect_error(self.good(tsm_use_prefix="yes"), "expected")
        self.expect_error(self.good(security_level="authPriv",
                                    dtls_idle_timeout="10m",
                                    tsm_use_prefix=True,
                                    security_name="mgr",
                                    tls_ciphers="ECDHE+AESGCM"),
                          "not supported yet")


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=1).result
    if r.testsRun == len(r.skipped):
        sys.exit(77)
    sys.exit(0 if r.wasSuccessful() else 1)
