#!/usr/bin/env python3
"""test_cluster_auth.py - cluster mode logging in with a NATS creds file.

nats-server runs in operator (decentralized JWT) mode with a MEMORY
resolver: the test makes its own operator, account and user, their nkeys
(ed25519 seeds in the NATS nkey encoding: base32 of prefix bytes, key and
CRC-16) and JWTs (v2 claims signed with the issuer's nkey), and writes
the user's .creds file.  A node given `cluster.nats.creds` joins, owns
every session and its poll results are in the stream, read back by the
test's own consumer, itself logged in with a JWT and a signed nonce: so
both of the node's connections (libnats and the publishing thread's own)
got in.  A user of an account the server does not know, or a corrupted
seed, is refused with a clear logged error and the node keeps polling
(standalone-degraded, spooling).  The seed is never in the log, the
control replies or argv.  Skips (exit 77) without nats-server, libnats or
python3-cryptography.
"""
import base64
import hashlib
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest  # noqa: E402
import test_cluster as tc  # noqa: E402

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey)
    from cryptography.hazmat.primitives import serialization
except ImportError:
    Ed25519PrivateKey = None

# nkey prefix bytes (the first base32 character names the kind).
PREFIX_SEED = 18 << 3       # 'S'
PREFIX_OPERATOR = 14 << 3   # 'O'
PREFIX_ACCOUNT = 0          # 'A'
PREFIX_USER = 20 << 3       # 'U'


def crc16(data):
    """CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys uses."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc


def b32(raw):
    return base64.b32encode(raw + crc16(raw).to_bytes(2, "little")) \
        .decode().rstrip("=")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class NKey:
    def __init__(self, prefix):
        self.prefix = prefix
        self.key = Ed25519PrivateKey.generate()
        self.raw_seed = self.key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption())
        raw_pub = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = b32(bytes([prefix]) + raw_pub)
        self.seed = b32(bytes([PREFIX_SEED | (prefix >> 5),
                               (prefix & 31) << 3]) + self.raw_seed)

    def sign(self, data):
        return self.key.sign(data)


def jwt(issuer, subject, name, nats):
    """A NATS v2 JWT for subject, signed by issuer."""
    claims = {"iat": int(time.time()), "iss": issuer.public,
              "name": name, "sub": subject, "nats": nats}
    claims["jti"] = base64.b32encode(hashlib.sha256(json.dumps(
        claims, sort_keys=True).encode()).digest()).decode().rstrip("=")
    head = b64url(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"})
                  .encode())
    body = b64url(json.dumps(claims).encode())
    sig = issuer.sign(("%s.%s" % (head, body)).encode())
    return "%s.%s.%s" % (head, body, b64url(sig))


UNLIMITED = {"subs": -1, "data": -1, "payload": -1}


def account_jwt(operator, account, name):
    limits = dict(UNLIMITED, imports=-1, exports=-1, wildcards=True,
                  conn=-1, leaf=-1, mem_storage=-1, disk_storage=-1,
                  streams=-1, consumer=-1)
    return jwt(operator, account.public, name,
               {"type": "account", "version": 2, "limits": limits})


def user_jwt(account, user, name):
    return jwt(account, user.public, name,
               dict(UNLIMITED, pub={}, sub={}, type="user", version=2))


def creds_text(user_token, seed):
    return ("-----BEGIN NATS USER JWT-----\n%s\n"
            "------END NATS USER JWT------\n\n"
            "************************* IMPORTANT *************************\n"
            "NKEY Seed printed below can be used to sign and prove "
            "identity.\n\n"
            "-----BEGIN USER NKEY SEED-----\n%s\n"
            "------END USER NKEY SEED------\n\n"
            "*************************************************************\n"
            % (user_token, seed))


class Trust:
    """An operator with one account (JetStream on) known to the server,
    one it does not know, and a user of each."""

    def __init__(self):
        self.operator = NKey(PREFIX_OPERATOR)
        self.op_jwt = jwt(self.operator, self.operator.public, "op",
                          {"type": "operator", "version": 2})
        # JetStream needs the server's system account.
        self.system = NKey(PREFIX_ACCOUNT)
        self.sys_jwt = jwt(self.operator, self.system.public, "SYS",
                           {"type": "account", "version": 2})
        self.account = NKey(PREFIX_ACCOUNT)
        self.acct_jwt = account_jwt(self.operator, self.account, "mgr")
        self.user = NKey(PREFIX_USER)
        self.user_jwt = user_jwt(self.account, self.user, "mgr-a")
        stranger = NKey(PREFIX_ACCOUNT)
        self.other = NKey(PREFIX_USER)
        self.other_jwt = user_jwt(stranger, self.other, "nobody")

    def server_conf(self):
        return ("operator: %s\nsystem_account: %s\nresolver: MEMORY\n"
                "resolver_preload: {\n  %s: %s\n  %s: %s\n}\n"
                % (self.op_jwt, self.system.public, self.system.public,
                   self.sys_jwt, self.account.public, self.acct_jwt))


class JwtReader(tc.JsReader):
    """The test's consumer logged in as the user: JWT and the server's
    nonce signed with the user's seed."""

    def __init__(self, port, user, user_token):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        info = json.loads(self.line().split(b" ", 1)[1])
        sig = b64url(user.sign(info["nonce"].encode()))
        self.sock.sendall(b"CONNECT %s\r\nSUB _INBOX.t 1\r\nPING\r\n" %
                          json.dumps(dict(verbose=False, headers=True,
                                          jwt=user_token, sig=sig))
                          .encode())
        while True:
            ln = self.line()
            if ln == b"PONG":
                break
            if ln.startswith(b"-ERR"):
                raise ConnectionError(ln.decode())
        self.n = 0


class ClusterCreds(unittest.TestCase):
    def setUp(self):
        if Ed25519PrivateKey is None:
            raise unittest.SkipTest("python3-cryptography not installed")
        self.trust = Trust()
        self.nats = tc.NatsServer(conf=self.trust.server_conf())
        self.addCleanup(self.nats.close)
        self.agent = snmptest.Snmpd()
        self.addCleanup(self.agent.close)

    def node(self, jwt_token, seed):
        path = os.path.join(self.nats.dir, "node.creds")
        with open(path, "w") as f:
            f.write(creds_text(jwt_token, seed))
        conf = tc.node_config(self.agent, self.nats, "mgr-a")
        conf["cluster"]["nats"]["creds"] = path
        d = snmptest.Daemon(conf)
        self.addCleanup(lambda: d.alive() and d.stop())
        return d

    def assert_seed_hidden(self, d, seed):
        self.assertNotIn(seed, d.log())
        for m in ("daemon.status", "cluster.members", "session.list"):
            self.assertNotIn(seed, json.dumps(d.call(m)))
        with open("/proc/%d/cmdline" % d.pid) as f:
            self.assertNotIn(seed, f.read())

    def test_creds_publish(self):
        """Both connections log in with the creds file: the node joins,
        owns every session and its results are in the stream."""
        # The server knows the account and lets its user in.
        r = JwtReader(self.nats.port, self.trust.user, self.trust.user_jwt)
        r.close()
        d = self.node(self.trust.user_jwt, self.trust.user.seed)
        deadline = time.time() + 15
        while time.time() < deadline:
            st = d.call("daemon.status")["cluster"]
            if st["nats"] == "connected" and st["published"] >= 2 * \
                    tc.NSESS:
                break
            time.sleep(0.2)
        m = d.call("cluster.members")["members"]
        self.assertEqual([(x["node"], x["sessions"]) for x in m
                          if x["live"]], [("mgr-a", tc.NSESS)], d.log())
        self.assertFalse(st["standalone"])
        self.assertGreaterEqual(st["published"], 2 * tc.NSESS, d.log())
        self.assertEqual(st["publish_errors"], 0)
        js = JwtReader(self.nats.port, self.trust.user, self.trust.user_jwt)
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        self.assertEqual({rec["session"] for _, _, rec in msgs},
                         {"s%02d" % i for i in range(tc.NSESS)})
        self.assertTrue(all(rec["node"] == "mgr-a" for _, _, rec in msgs))
        self.assert_seed_hidden(d, self.trust.user.seed)

    def assert_degraded(self, d, pattern):
        deadline = time.time() + 10
        while time.time() < deadline and not pattern.search(d.log()):
            time.sleep(0.2)
        self.assertRegex(d.log(), pattern)
        st = d.call("daemon.status")["cluster"]
        self.assertNotEqual(st["nats"], "connected")
        self.assertTrue(st["standalone"])
        self.assertEqual(st["sessions_owned"], tc.NSESS)
        before = tc.polled(d)
        time.sleep(tc.INTERVAL * 2 + 0.5)
        after = tc.polled(d)
        self.assertTrue(all(after[s] > before[s] for s in before))
        self.assertGreater(d.call("daemon.status")["cluster"]
                           ["spool_depth"], 0)
        self.assertTrue(d.alive())

    def test_unknown_account_degraded(self):
        d = self.node(self.trust.other_jwt, self.trust.other.seed)
        self.assert_degraded(d, tc.re.compile(
            r"cluster t1: NATS: cannot connect: .*[Aa]uthoriz"))
        self.assert_seed_hidden(d, self.trust.other.seed)

    def test_corrupted_seed_degraded(self):
        seed = self.trust.user.seed
        bad = seed[:10] + ("A" if seed[10] != "A" else "B") + seed[11:]
        d = self.node(self.trust.user_jwt, bad)
        self.assert_degraded(d, tc.re.compile(
            r"cluster t1: NATS: cannot connect: .*(checksum|seed)"))
        self.assert_seed_hidden(d, bad)
        self.assert_seed_hidden(d, seed)


if __name__ == "__main__":
    if not os.access(tc.SNMPMGRD, os.X_OK) or not tc.have_nats():
        print("snmpmgrd not built or built without libnats; skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
