#!/usr/bin/env python3
"""test_resolve - host names never stall snmpmgrd (issue 9, item 1).

A small DNS server started by the test on loopback (silent, or answering
every A query with 127.0.0.1) is the daemon's only name server, through the
config's "resolver" section, so the machine's resolver is never touched.
While a lookup hangs, other clients, configured polls and ad-hoc requests
to numeric addresses are answered at once; the waiting request ends with
303 and the reason; a name that answers works for configured sessions,
session.add and ad-hoc targets; a name whose address changes is followed.
"""

import os
import select
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import Daemon, Snmpd, SYS_DESCR, SYS_UPTIME  # noqa: E402


class FakeDns:
    """A UDP DNS server on 127.0.0.1: .silent drops every query; else A
    queries get .answer (an IPv4 address) with TTL .ttl, AAAA nothing."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.silent = False
        self.answer = "127.0.0.1"
        self.ttl = 1
        self.queries = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def _run(self):
        while not self._stop:
            try:
                q, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(q) < 12:
                continue
            off = 12
            labels = []
            while off < len(q) and q[off] != 0:
                labels.append(q[off + 1:off + 1 + q[off]].decode(
                    "ascii", "replace"))
                off += q[off] + 1
            off += 1
            if off + 4 > len(q):
                continue
            qtype = struct.unpack("!H", q[off:off + 2])[0]
            off += 4
            self.queries.append((".".join(labels).lower(), qtype))
            if self.silent:
                continue
            hdr = q[:2] + b"\x81\x80" + q[4:6]
            if qtype == 1:
                hdr += b"\x00\x01\x00\x00\x00\x00"
                rr = (b"\xc0\x0c\x00\x01\x00\x01" +
                      struct.pack("!IH", self.ttl, 4) +
                      socket.inet_aton(self.answer))
            else:
                hdr += b"\x00\x00\x00\x00\x00\x00"
                rr = b""
            self.sock.sendto(hdr + q[12:off] + rr, peer)

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


class NamesDoNotStall(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd()
        cls.agent.start()
        cls.dns = FakeDns()

    @classmethod
    def tearDownClass(cls):
        cls.dns.close()
        cls.agent.stop()

    def daemon(self, **extra):
        cfg = {"resolver": {"nameservers": [self.dns.addr],
                            "hosts": "", "timeout": "3s"},
               "sessions": {"numeric": self.agent.target()}}
        cfg.update(extra)
        d = Daemon(cfg)
        self.addCleanup(d.close)
        return d

    def test_silent_dns_stalls_nothing_else(self):
        self.dns.silent = True
        d = self.daemon()
        slow = d.connect()
        t = self.agent.target(host="slow.example.com")
        t0 = time.monotonic()
        slow.request("snmp.get", {"target": t, "oids": [SYS_DESCR]}, id=1)
        # Meanwhile the daemon answers everything else, while the lookup
        # is still out: when each answer is here, nothing has come for
        # the slow request.  The daemon sends a reply as soon as it is
        # made, so a loop held by the lookup would have sent the slow
        # request's error (at the lookup's 3 s timeout) before it even
        # read these.  No wall-clock bound: a busy machine delays both.
        for _ in range(5):
            r = d.call("snmp.get", {"session": "numeric",
                                    "oids": [SYS_UPTIME]})
            self.assertEqual(r["varbinds"][0]["oid"], SYS_UPTIME)
            r = d.call("daemon.status")
            self.assertIn("sessions", r)
            ready, _, _ = select.select([slow.sock], [], [], 0)
            self.assertFalse(bool(ready or slow.buf),
                             "the slow request was answered first")
        _, reply = slow.wait_reply(1, timeout=15)
        waited = time.monotonic() - t0
        self.assertEqual(reply["error"]["code"], 303, reply)
        self.assertIn("slow.example.com", reply["error"]["data"]["detail"])
        # It waited for the lookup, not for more than its own timeout
        # and retries.
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 10)
        self.assertTrue(any(n == "slow.example.com"
                            for n, _ in self.dns.queries))
        self.dns.silent = False

    def test_configured_name_session_add_and_target_resolve(self):
        self.dns.silent = False
        self.dns.answer = "127.0.0.1"
        d = self.daemon(sessions={
            "named": self.agent.target(host="agent-a.test")})
        r = d.call("snmp.get", {"session": "named", "oids": [SYS_DESCR]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)
        d.call("session.add", {"session": "added", "config":
                               self.agent.target(host="agent-b.test")})
        r = d.call("snmp.get", {"session": "added", "oids": [SYS_DESCR]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)
        r = d.call("snmp.get", {"target": self.agent.target(
            host="agent-c.test"), "oids": [SYS_DESCR]})
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)
        names = {n for n, _ in self.dns.queries}
        self.assertTrue({"agent-a.test", "agent-b.test",
                         "agent-c.test"} <= names, names)

    def test_an_address_change_is_followed(self):
        self.dns.silent = False
        self.dns.answer = "127.0.0.2"   # nobody answers there
        self.dns.ttl = 1
        d = self.daemon(sessions={"moving": self.agent.target(
            host="moving.test", resolve_interval="1s", timeout="500ms",
            retries=0)})
        with self.assertRaises(Exception):
            d.call("snmp.get", {"session": "moving", "oids": [SYS_DESCR]})
        self.dns.answer = "127.0.0.1"
        deadline = time.monotonic() + 10
        while True:
            try:
                r = d.call("snmp.get", {"session": "moving",
                                        "oids": [SYS_DESCR]})
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        self.assertEqual(r["varbinds"][0]["oid"], SYS_DESCR)

    def test_nxdomain_is_a_clear_error(self):
        self.dns.silent = False
        d = self.daemon()
        orig = self.dns.answer
        try:
            # Our server answers AAAA with nothing and A with an address;
            # an udp6 session asks AAAA only: no address.
            t = self.agent.target(host="v4only.test", transport="udp6")
            reply = d.rpc("snmp.get", {"target": t, "oids": [SYS_DESCR]})
            self.assertEqual(reply["error"]["code"], 303, reply)
            self.assertIn("v4only.test", reply["error"]["data"]["detail"])
        finally:
            self.dns.answer = orig


if __name__ == "__main__":
    import snmptest
    snmptest.main()
