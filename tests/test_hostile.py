#!/usr/bin/env python3
"""test_hostile - snmpmgrd against hostile clients, agents and limits.

"The daemon never crashes or exits because of what a peer or client
sent": control clients that flood connections, send endless lines, never
read, send huge arrays, odd numbers and invalid UTF-8; agents (a fake one
in this file, on loopback) that answer with 64 KiB datagrams, the same
OID forever, wrong request IDs or from another port; and a daemon that
runs out of file descriptors.  Every case checks that the daemon is still
up and answers the next request correctly.  Standard library only; in a
sanitizer build the Daemon fixture also fails on any report.
"""

import json
import os
import resource
import select
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from snmptest import (Daemon, Snmpd, SYS_DESCR, SYS_NAME,  # noqa: E402
                      WRITABLE_OID, free_udp_port, read_until_closed)
import snmptest                                             # noqa: E402
from ber import (ber_int, ber_read, oid_text, response, tlv,  # noqa: E402
                 v2c_trap)

SYSTEM = "1.3.6.1.2.1.1"


def wait_for(cond, timeout, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def decode_request(data):
    """(version, community, pdu tag, request-id, [oid, ...]) of a v1/v2c
    request, or None."""
    try:
        _, msg, _ = ber_read(data, 0)
        _, ver, p = ber_read(msg, 0)
        _, comm, p = ber_read(msg, p)
        tag, pdu, _ = ber_read(msg, p)
        _, rid, q = ber_read(pdu, 0)
        _, _, q = ber_read(pdu, q)
        _, _, q = ber_read(pdu, q)
        _, vbl, _ = ber_read(pdu, q)
        oids = []
        q = 0
        while q < len(vbl):
            _, vb, q = ber_read(vbl, q)
            _, name, _ = ber_read(vb, 0)
            oids.append(oid_text(name))
        return (int.from_bytes(ver, "big"), comm, tag,
                int.from_bytes(rid, "big", signed=True), oids)
    except (IndexError, ValueError):
        return None


class FakeAgent:
    """A v1/v2c agent on 127.0.0.1 that answers as the test says.

    mode(req) -> list of (datagram, other_port) for each decoded request
    req = (version, community, pdu tag, request-id, oids); the datagrams
    go back from the agent's port, or from another one.  The default
    answers every OID with OCTET STRING "ok".
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))
        self.mode = self.normal
        self.requests = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def normal(req):
        ver, comm, _, rid, oids = req
        return [(response(ver, comm, rid,
                          [(o, tlv(0x04, b"ok")) for o in oids]), False)]

    def run(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            req = decode_request(data)
            if req is None:
                continue
            self.requests += 1
            for out, other in self.mode(req):
                (self.other if other else self.sock).sendto(out, peer)

    @staticmethod
    def table(req, size=100000):
        """An endless-looking table under 1.3.6.1.4.1.99999.1: rows of
        1000 octets after the asked OID, as many as the request wants."""
        ver, comm, tag, rid, oids = req
        if tag == 0xA0:
            return FakeAgent.normal(req)
        arcs = [int(a) for a in oids[-1].split(".")]
        n = arcs[9] if len(arcs) > 9 and arcs[:9] == [1, 3, 6, 1, 4, 1,
                                                      99999, 1, 1] else 0
        count = 50 if tag == 0xA5 else 1
        vbs = [("1.3.6.1.4.1.99999.1.1.%d" % i, tlv(0x04, b"t" * 1000))
               for i in range(n + 1, min(n + 1 + count, size + 1))]
        if not vbs:
            vbs = [("1.3.6.1.4.1.99999.1.1.%d" % (size + 1), b"\x82\x00")]
        return [(response(ver, comm, rid, vbs), False)]

    def target(self, **over):
        t = {"host": "127.0.0.1", "port": self.port, "version": "2c",
             "community": "public", "timeout": "300ms", "retries": 0}
        t.update(over)
        return t

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()
        self.other.close()


# ------------------------------------------------------------- the suites

class HostileClients(unittest.TestCase):
    """Control clients doing their worst; one daemon and one snmpd."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd()
        cls.trap_port = free_udp_port()
        try:
            cls.daemon = Daemon({
                "sessions": {"lo": cls.agent.target(),
                             "rw": cls.agent.target(community="private")},
                "traps": {"listen": ["udp:127.0.0.1:%d" % cls.trap_port],
                          "communities": ["public"]}})
        except Exception:
            cls.agent.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.daemon.stop()
            if rc != 0:
                raise AssertionError("snmpmgrd exit %s:\n%s"
                                     % (rc, cls.daemon.log()[-4000:]))
        finally:
            cls.daemon.close()
            cls.agent.close()

    def tearDown(self):
        # Still up, and answering an SNMP request correctly.
        self.assertTrue(self.daemon.alive(), self.daemon.log()[-3000:])
        c = self.daemon.connect()
        try:
            res = c.call("snmp.get", {"session": "lo", "oids": [SYS_DESCR]},
                         timeout=10)
            self.assertEqual(res["varbinds"][0]["oid"], SYS_DESCR)
            self.assertEqual(res["varbinds"][0]["type"], "OCTET STRING")
        finally:
            c.close()

    def clients(self):
        return self.daemon.call("daemon.status")["clients"]

    def expect_error(self, method, params, codes, raw=None):
        """The reply to one request (params as a dict, or raw JSON text)
        is an error with one of codes."""
        if raw is None:
            line = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method,
                               "params": params}).encode()
        else:
            line = (b'{"jsonrpc":"2.0","id":7,"method":"' +
                    method.encode() + b'","params":' + raw + b'}')
        # A half-closed client: the daemon answers, then closes.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.daemon.sock)
            s.sendall(line + b"\n")
            s.shutdown(socket.SHUT_WR)
            out, closed = read_until_closed(s, 10)
        self.assertTrue(closed and out, "no reply to %r" % line[:200])
        reply = json.loads(out.splitlines()[0])
        self.assertIn("error", reply, line[:200])
        self.assertIn(reply["error"]["code"], codes, reply)
        return reply["error"]

    # ---------------------------------------------------------- connections

    def test_300_connections_at_once(self):
        n0 = self.clients()         # the fixture's own connection
        socks = []
        try:
            for _ in range(300):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.daemon.sock)
                socks.append(s)
            # The ones past the limit hear why and are closed; the
            # others hear nothing.
            want = 300 - (256 - n0)
            refused = set()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r, _, _ = select.select([s for s in socks
                                         if s not in refused], [], [],
                                        0.3 if len(refused) < want else 0.5)
                if not r and len(refused) >= want:
                    break
                for s in r:
                    out, closed = read_until_closed(s, 2)
                    self.assertTrue(closed)
                    err = json.loads(out)["error"]
                    self.assertEqual(err["message"], "too many clients")
                    refused.add(s)
            self.assertEqual(len(refused), want)
            self.assertEqual(self.clients(), 256)
        finally:
            for s in socks:
                s.close()
        wait_for(lambda: self.clients() <= n0, 10, "the clients to go")

    def test_endless_line_closed_at_one_mib(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        chunk = b"x" * 65536
        sent = 0
        try:
            s.settimeout(5)
            while sent < 100 * 1024 * 1024:
                try:
                    sent += s.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                except socket.timeout:
                    self.fail("the daemon stopped reading but kept the "
                              "connection (%d bytes sent)" % sent)
            self.assertLess(sent, 8 * 1024 * 1024)
        finally:
            s.close()

    def test_half_closed_subscriber_that_goes_is_let_go(self):
        # A subscription on a connection whose client shut down writing,
        # then closed: no event ever comes, yet its slot must be freed.
        n0 = self.clients()
        for _ in range(3):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.daemon.sock)
            s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1,
                                  "method": "events.subscribe",
                                  "params": {"events": ["config"]}})
                      .encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            line = s.makefile("rb").readline()
            self.assertIn(b'"result"', line)
            s.close()
        # <=: a connection of an earlier test may still be closing
        # when n0 was taken, and go meanwhile.
        wait_for(lambda: self.clients() <= n0, 10, "the subscribers to go")

    def test_subscriptions_are_bounded(self):
        # Each is memory and a look at every event: 1024 at most.  "lo"
        # has no polls: nothing is delivered to them meanwhile.
        c = self.daemon.connect()
        try:
            line = (b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe",'
                    b'"params":{"events":["poll"],"sessions":["lo"]}}\n')
            c.send_line(line * 1100)
            codes = []
            for _ in range(1100):
                m = c.read_msg(10)
                codes.append(m["error"]["code"] if "error" in m else 0)
            self.assertEqual(codes.count(0), 1024)
            self.assertEqual(codes[1024:], [307] * 76)
            self.assertEqual(self.daemon.call("daemon.stats")["events"]
                             ["subscribers"], 1024)
        finally:
            c.close()
        wait_for(lambda: self.daemon.call("daemon.stats")["events"]
                 ["subscribers"] == 0, 5, "the subscriptions to end")

    def test_requests_in_flight_per_client_are_bounded(self):
        # poll.run waits for the poll: against an agent that never
        # answers, 16384 of them may wait on one connection, no more.
        quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        quiet.bind(("127.0.0.1", 0))
        port = quiet.getsockname()[1]
        c = self.daemon.connect()
        cfg = dict(self.daemon.config)
        cfg["polls"] = {"p": {"get": [SYS_NAME], "interval": "1h"}}
        cfg["sessions"] = dict(cfg["sessions"], mute={
            "host": "127.0.0.1", "port": port, "timeout": "3s",
            "retries": 0, "polls": ["p"]})
        self.daemon.write_config(cfg)
        try:
            self.daemon.call("daemon.reload")
            # The timeout outlasts reading all the lines, even under
            # sanitizers on a loaded machine.
            n = 16384 + 10
            line = (b'{"jsonrpc":"2.0","id":1,"method":"poll.run",'
                    b'"params":{"session":"mute"}}\n')
            c.send_line(line * n)
            codes = []
            deadline = time.monotonic() + 20
            while len(codes) < n and time.monotonic() < deadline:
                m = c.read_msg(10)
                codes.append(m["error"]["code"] if "error" in m else 0)
            self.assertEqual(codes[:10], [307] * 10)
            self.assertEqual(len(codes), n)
            self.assertEqual(codes.count(307), 10)
        finally:
            c.close()
            quiet.close()
            cfg["polls"] = {}
            del cfg["sessions"]["mute"]
            self.daemon.write_config(cfg)
            self.daemon.call("daemon.reload")

    def test_subscriber_that_never_reads_during_a_trap_flood(self):
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(self.daemon.sock)
        ended = self.daemon.call("daemon.stats")["events"]["ended"]["slow"]
        try:
            slow.sendall(json.dumps({"jsonrpc": "2.0", "id": 1,
                                     "method": "events.subscribe",
                                     "params": {"events": ["trap"],
                                                "max_queue": 65536}})
                         .encode() + b"\n")
            blast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            pkts = [v2c_trap(i, "1.3.6.1.4.1.99999.0.%d" % (i % 7),
                             text=b"y" * 400) for i in range(200)]
            for i in range(4000):
                blast.sendto(pkts[i % len(pkts)],
                             ("127.0.0.1", self.trap_port))
                if i % 500 == 499:
                    time.sleep(0.02)
            blast.close()
            wait_for(lambda: self.daemon.call("daemon.stats")["events"]
                     ["ended"]["slow"] > ended, 10, "the slow subscriber "
                     "dropped")
            st = self.daemon.call("trap.stats")
            self.assertGreater(st["received"]["total"]
                               if isinstance(st.get("received"), dict)
                               else 1, 0)
        finally:
            slow.close()

    # ------------------------------------------------------------ params

    def test_huge_arrays_are_refused_early(self):
        # 1,000,000 OIDs do not fit in a request line at all.
        line = (b'{"jsonrpc":"2.0","id":1,"method":"snmp.get","params":'
                b'{"session":"lo","oids":[' + b'"1",' * 999999 + b'"1"]}}\n')
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.daemon.sock)
        try:
            try:
                s.sendall(line)
            except (BrokenPipeError, ConnectionResetError):
                pass
            out, closed = read_until_closed(s, 5)
        finally:
            s.close()
        self.assertTrue(closed)
        self.assertEqual(json.loads(out.splitlines()[0])["error"]["message"],
                         "request line too long")
        # As many as fit in one line: refused by count, not allocated,
        # with 302 (too many objects) as the reference has it.
        many = b"[" + b"0," * 400000 + b"0]"
        for method, key in (("snmp.get", b"oids"), ("snmp.getnext", b"oids"),
                            ("snmp.getbulk", b"oids"),
                            ("snmp.set", b"varbinds"),
                            ("snmp.inform", b"varbinds"),
                            ("snmp.trap", b"varbinds")):
            # trap_oid only where the method takes it: any other key is
            # refused before the array is read.
            notif = method in ("snmp.inform", "snmp.trap")
            with self.subTest(method=method):
                err = self.expect_error(method, None, (302,),
                                        raw=b'{"session":"lo",' +
                                        (b'"trap_oid":"1.3.6.1.4",'
                                         if notif else b"") +
                                        b'"' + key + b'":' + many + b'}')
                self.assertEqual(err["message"], "too many objects")
                self.assertRegex(err["data"]["detail"],
                                 r"^%s: more than \d+" % key.decode())

    def test_walk_max_repetitions_zero_and_huge(self):
        for mr in (b"0", b"-0", b"1001", b"4294967297", b"9223372036854775807",
                   b"-1", b"2.5", b'"25x"', b"true"):
            with self.subTest(max_repetitions=mr):
                self.expect_error("snmp.walk", None, (-32602,),
                                  raw=b'{"session":"lo","oid":"1.3.6.1.2.1.1",'
                                  b'"max_repetitions":' + mr + b'}')
        for mr in (b"1e400", b"18446744073709551616", b"-1e400"):
            with self.subTest(max_repetitions=mr):
                self.expect_error("snmp.walk", None, (-32700,),
                                  raw=b'{"session":"lo","oid":"1.3.6.1.2.1.1",'
                                  b'"max_repetitions":' + mr + b'}')
        # 1000 (the bound) works.
        res = self.daemon.call("snmp.walk", {"session": "lo", "oid": SYSTEM,
                                             "max_repetitions": 1000,
                                             "stream": False}, timeout=10)
        self.assertGreater(res["count"], 3)

    def test_odd_numbers_in_every_numeric_param(self):
        odd = (b"1e400", b"-1e400", b"-0", b"-0.0", b"0.5", b"1e-400",
               b"18446744073709551616", b"18446744073709551615",
               b"9223372036854775808", b"-9223372036854775809",
               b"9223372036854775807", b"-9223372036854775808", b"-1",
               b"4294967296", b"2147483648", b'"1e400"', b'""', b"null",
               b"[]", b"{}")
        shapes = [
            ("snmp.getbulk", b'{"session":"lo","oids":["1.3"],'
             b'"non_repeaters":%s}'),
            ("snmp.getbulk", b'{"session":"lo","oids":["1.3"],'
             b'"max_repetitions":%s}'),
            ("snmp.walk", b'{"session":"lo","oid":"1.3.6.1.2.1.1.9",'
             b'"limit":%s}'),
            ("snmp.get", b'{"target":{"host":"127.0.0.1","port":%s},'
             b'"oids":["1.3"]}'),
            ("snmp.get", b'{"target":{"host":"127.0.0.1","port":9,'
             b'"timeout":%s,"retries":0},"oids":["1.3"]}'),
            ("snmp.get", b'{"target":{"host":"127.0.0.1","port":9,'
             b'"timeout":"1ms","retries":%s},"oids":["1.3"]}'),
            ("snmp.get", b'{"target":{"host":"127.0.0.1","port":9,'
             b'"timeout":"1ms","retries":0,"max_packet_size":%s},'
             b'"oids":["1.3"]}'),
            ("snmp.set", b'{"session":"rw","varbinds":[{"oid":"1.3.6.1.2.1.1'
             b'.6.0","type":"i","value":%s}]}'),
            ("snmp.set", b'{"session":"rw","varbinds":[{"oid":"1.3.6.1.2.1.1'
             b'.6.0","type":"u","value":%s}]}'),
            ("snmp.set", b'{"session":"rw","varbinds":[{"oid":"1.3.6.1.2.1.1'
             b'.6.0","type":"C","value":%s}]}'),
            ("snmp.trap", b'{"target":{"host":"127.0.0.1","port":9},'
             b'"trap_oid":"1.3.6.1.4","uptime":%s}'),
            ("events.subscribe", b'{"events":["config"],"max_queue":%s}'),
            ("events.unsubscribe", b'{"subscription":%s}'),
            ("trap.list", b'{"limit":%s}'),
            ("session.config", b'{"session":"lo","options":{"retries":%s}}'),
            ("session.config", b'{"session":"lo","options":{"timeout":%s}}'),
            ("session.config", b'{"session":"lo","options":{"dscp":%s}}'),
        ]
        c = self.daemon.connect()
        try:
            for method, shape in shapes:
                for num in odd:
                    params = shape % num
                    line = (b'{"jsonrpc":"2.0","id":1,"method":"' +
                            method.encode() + b'","params":' + params +
                            b'}\n')
                    c.send_line(line)
                    # The reply: to id 1, or (unparsable) to id null.
                    while True:
                        m = c.read_msg(10)
                        if m.get("id", 0) in (1, None):
                            break
                    self.assertTrue("error" in m or "result" in m, line)
            # Options changed by the loop above go back to the config's.
            r = c.call("session.config", {"session": "lo", "options": {
                "retries": 1, "timeout": "1s", "dscp": None}})
            self.assertEqual(r["options"]["retries"], 1)
        finally:
            c.close()

    def test_set_with_octet_strings_past_the_packet_size(self):
        # Longer than any message: refused while parsing.
        self.expect_error("snmp.set", {"session": "rw", "varbinds": [
            {"oid": WRITABLE_OID, "type": "s", "value": "a" * 70000}]},
            (-32602,))
        # Each fits, together they do not: 118, nothing sent.
        err = self.expect_error("snmp.set", {"session": "rw", "varbinds": [
            {"oid": WRITABLE_OID, "type": "s", "value": "a" * 40000},
            {"oid": WRITABLE_OID, "type": "x", "value": "ab" * 30000}]},
            (118,))
        self.assertIn("message", err)
        # One that fits a message but is far too big for the agent.
        c = self.daemon.connect()
        try:
            r = c.rpc("snmp.set", {"session": "rw", "varbinds": [
                {"oid": WRITABLE_OID, "type": "s", "value": "b" * 60000}]},
                timeout=10)
        finally:
            c.close()
        self.assertTrue("error" in r or r["result"]["error_status"] != 0, r)

    def test_invalid_utf8_and_escapes_in_strings(self):
        bad = [b'"\xc3\x28"', b'"\xc0\xaf"', b'"\xed\xa0\x80"',
               b'"\xf8\x88\x80\x80\x80"', b'"\xff"', b'"lo\x00"']
        for s in bad:
            with self.subTest(s=s):
                self.expect_error("snmp.get", None, (-32700,),
                                  raw=b'{"session":' + s + b',"oids":["1.3"]}')
        for s in (b'"\\ud800"', b'"\\u0000"', b'"\\udc00\\ud800"'):
            with self.subTest(s=s):
                self.expect_error("snmp.set", None, (-32700,),
                                  raw=b'{"session":"rw","varbinds":[{"oid":'
                                  b'"1.3.6.1.2.1.1.6.0","type":"s","value":'
                                  + s + b'}]}')
        # Valid non-ASCII text is an ordinary (unknown) name.
        err = self.expect_error("session.show", {"session": "\u00e9t\u00e9"
                                                 "\U0001f600"}, (-32602,))
        self.assertIn("\u00e9t\u00e9", err["message"])


class HostileAgents(unittest.TestCase):
    """Agents that answer wrongly, on purpose; one daemon, inline targets."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon({"sessions": {}})

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.daemon.stop()
            if rc != 0:
                raise AssertionError("snmpmgrd exit %s:\n%s"
                                     % (rc, cls.daemon.log()[-4000:]))
        finally:
            cls.daemon.close()

    def setUp(self):
        self.agent = FakeAgent()

    def tearDown(self):
        try:
            # Still up, and a well-behaved answer is taken as it is.
            self.assertTrue(self.daemon.alive(), self.daemon.log()[-3000:])
            self.agent.mode = FakeAgent.normal
            res = self.get(self.agent.target())
            self.assertEqual(res["varbinds"], [{"oid": SYS_NAME,
                                                "type": "OCTET STRING",
                                                "value": "ok"}])
        finally:
            self.agent.close()

    def get(self, target, oids=(SYS_NAME,)):
        return self.daemon.call("snmp.get", {"target": target,
                                             "oids": list(oids)}, timeout=10)

    def rpc(self, method, params):
        return self.daemon.rpc(method, params, timeout=20)

    def test_64k_responses(self):
        def huge_value(req):
            ver, comm, _, rid, oids = req
            pad = 65400
            while True:
                msg = response(ver, comm, rid,
                               [(oids[0], tlv(0x04, b"z" * pad))])
                if len(msg) <= 65507:
                    return [(msg, False)]
                pad -= len(msg) - 65507
        self.agent.mode = huge_value
        res = self.get(self.agent.target())
        self.assertGreater(len(res["varbinds"][0]["value"]), 65000)

        def many_varbinds(req):
            ver, comm, _, rid, _ = req
            vbs = [("1.3.%d" % i, b"\x05\x00") for i in range(6000)]
            return [(response(ver, comm, rid, vbs)[:65507], False)]
        self.agent.mode = many_varbinds
        r = self.rpc("snmp.get", {"target": self.agent.target(),
                                  "oids": [SYS_NAME]})
        # More than snmpmgrd takes: said (317, how many), not a timeout.
        self.assertEqual(r["error"]["code"], 317, r)
        self.assertIn("6000 varbinds", r["error"]["data"]["detail"])

        # A walk fed 44 KiB responses of 2000 rows each (more than it
        # asked for) still ends.
        def big_rows(req):
            ver, comm, _, rid, oids = req
            base = oids[0]
            start = int(base.rsplit(".", 1)[1]) if base.count(".") > 8 else 0
            if start >= 8000:
                return [(response(ver, comm, rid, [("1.3.6.1.2.1.2.9.0",
                                                    tlv(0x04, b"end"))]),
                         False)]
            vbs = [("1.3.6.1.2.1.2.2.1.%d" % (start + 1 + i),
                    tlv(0x04, b"r" * 5)) for i in range(2000)]
            return [(response(ver, comm, rid, vbs), False)]
        self.agent.mode = big_rows
        r = self.rpc("snmp.walk", {"target": self.agent.target(),
                                   "oid": "1.3.6.1.2.1.2.2.1",
                                   "max_repetitions": 1000,
                                   "stream": False})
        self.assertEqual(r.get("result", {}).get("count"), 8000, r)

    def test_same_oid_forever(self):
        def stuck(req):
            ver, comm, _, rid, oids = req
            return [(response(ver, comm, rid, [("1.3.6.1.2.1.2.2.1.1.1",
                                                ber_int(1))] * 10), False)]
        self.agent.mode = stuck
        for getnext in (False, True):
            with self.subTest(use_getnext=getnext):
                n = self.agent.requests
                r = self.rpc("snmp.walk", {"target": self.agent.target(),
                                           "oid": "1.3.6.1.2.1.2",
                                           "use_getnext": getnext})
                self.assertEqual(r["error"]["code"], 333, r)
                self.assertEqual(r["error"]["data"]["count"], 1)
                self.assertLessEqual(self.agent.requests - n, 2)
                # Without inside_range it is no end either: the walk
                # asks for less, then gives up (issue 9 item 3).
                n = self.agent.requests
                r = self.rpc("snmp.walk", {"target": self.agent.target(),
                                           "oid": "1.3.6.1.2.1.2",
                                           "use_getnext": getnext,
                                           "inside_range": False})
                self.assertEqual(r["error"]["code"], 320, r)
                self.assertEqual(r["error"]["data"]["count"], 1)
                self.assertEqual(r["error"]["data"]["last_oid"],
                                 "1.3.6.1.2.1.2.2.1.1.1")
                self.assertLessEqual(self.agent.requests - n, 1 + 16)

    def test_wrong_request_ids(self):
        def wrong_then_right(req):
            ver, comm, tag, rid, oids = req
            vbs = [(o, tlv(0x04, b"wrong")) for o in oids]
            return [(response(ver, comm, rid + 1, vbs), False),
                    (response(ver, comm, rid ^ 0x40000000, vbs), False),
                    (response(ver, comm, -rid, vbs), False),
                    (response(ver, comm, 0, vbs), False)] + \
                FakeAgent.normal(req)
        self.agent.mode = wrong_then_right
        bad0 = self.daemon.call("daemon.stats")["engine"][
            "unmatched_bad_packets"]
        res = self.get(self.agent.target())
        self.assertEqual(res["varbinds"][0]["value"], "ok")
        wait_for(lambda: self.daemon.call("daemon.stats")["engine"][
            "unmatched_bad_packets"] >= bad0 + 4, 3, "bad packets counted")

        def only_wrong(req):
            ver, comm, tag, rid, oids = req
            return [(response(ver, comm, rid + 7,
                              [(o, tlv(0x04, b"wrong")) for o in oids]),
                     False)]
        self.agent.mode = only_wrong
        r = self.rpc("snmp.get", {"target": self.agent.target(),
                                  "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 201, r)

    def test_odd_values_come_out_as_valid_json(self):
        octets = [b"", b"\x00", bytes(range(256)), b"\xed\xa0\x80",
                  b"\xc0\xaf", b"\xef\xbf\xbe", b"caf\xc3\xa9", b"\x7f",
                  b"\xc2\x80", b"\xf4\x90\x80\x80", b'"\\\n\t',
                  b"\xe2\x80\xa8", b"a\x00b", b"\xf0\x9f\x98"]
        values = [tlv(0x04, o) for o in octets] + [
            tlv(0x44, bytes(range(256))),           # Opaque
            tlv(0x45, b"\x01\x02\x03"),             # NsapAddress
            b"\x41\x05\x00\xff\xff\xff\xff",          # Counter32 2^32-1
            b"\x41\x01\xff",                         # Counter32, sign set
            b"\x41\x05\x01\x00\x00\x00\x00",          # Counter32 2^32
            b"\x02\x05\x00\x80\x00\x00\x00",          # Integer32 2^31
            b"\x02\x00",                             # empty INTEGER
            b"\x46\x09\x00" + b"\xff" * 8,            # Counter64 2^64-1
            b"\x46\x09\x01" + b"\x00" * 8,            # Counter64 2^64
            b"\x40\x05\x01\x02\x03\x04\x05",          # IpAddress, 5 octets
            b"\x40\x03\x01\x02\x03",                  # IpAddress, 3 octets
            b"\x06\x0b\x2b\x82\x80\x80\x80\x80\x80\x80\x80\x80\x01",
            b"\x06\x00",                             # empty OID
            b"\x06\x01\x80",                         # truncated arc
            b"\x05\x01\x00",                         # NULL with content
            b"\x48\x01\x00",                         # unknown tag
            b"\x80\x00", b"\x81\x00", b"\x82\x00",       # exceptions
            b"\x82\x01\x00",                         # one with content
            b"\x30\x03\x02\x01\x01",                  # constructed
        ]
        sock = self.daemon.connect()
        try:
            for v in values:
                self.agent.mode = (
                    lambda req, v=v: [(response(req[0], req[1], req[3],
                                                [(req[4][0], v)]), False)])
                sock.send({"jsonrpc": "2.0", "id": 1, "method": "snmp.get",
                           "params": {"target": self.agent.target(
                               timeout="50ms"), "oids": [SYS_NAME]}})
                line = sock.read_line(10)
                # Strict UTF-8 and strict JSON, or the line is wrong.
                m = json.loads(line.decode("utf-8"))
                with self.subTest(value=v[:20]):
                    if "error" in m:
                        self.assertEqual(m["error"]["code"], 201, m)
                        continue
                    vb = m["result"]["varbinds"][0]
                    if vb["type"] == "OCTET STRING":
                        got = (bytes.fromhex(vb["hex"]) if "hex" in vb
                               else vb["value"].encode("utf-8"))
                        self.assertEqual(got, ber_read(v, 0)[1])
        finally:
            sock.close()

    def test_response_from_another_port(self):
        def other_port(req):
            return [(FakeAgent.normal(req)[0][0], True)]
        self.agent.mode = other_port
        r = self.rpc("snmp.get", {"target": self.agent.target(),
                                  "oids": [SYS_NAME]})
        self.assertEqual(r["error"]["code"], 201, r)
        res = self.get(self.agent.target(ignore_port_mismatch=True))
        self.assertEqual(res["varbinds"][0]["value"], "ok")


class InFlight(unittest.TestCase):
    """Sessions changed, removed and reloaded, and the daemon stopped, while
    requests and paused walks are in flight on them."""

    def setUp(self):
        self.agent = FakeAgent()
        # 2 MB of rows: more than a client that does not read can queue.
        self.agent.mode = lambda req: FakeAgent.table(req, 2000)
        self.silent = FakeAgent()
        self.silent.mode = lambda req: []
        self.d = Daemon({"sessions": {
            "fa": self.agent.target(timeout="2s"),
            "quiet": self.silent.target(timeout="30s", retries=2)}})

    def tearDown(self):
        try:
            if self.d.proc is not None and self.d.proc.returncode is None:
                self.assertTrue(self.d.alive(), self.d.log()[-3000:])
                rc = self.d.stop()
                self.assertEqual(rc, 0, self.d.log()[-3000:])
        finally:
            self.d.close()
            self.agent.close()
            self.silent.close()

    def paused_walk(self, session="fa"):
        """A client that started a streamed walk and does not read; returns
        once the walk waits for it."""
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.connect(self.d.sock)
        c.sendall(json.dumps({"jsonrpc": "2.0", "id": "w", "method":
                              "snmp.walk", "params": {
                                  "session": session,
                                  "oid": "1.3.6.1.4.1.99999"}}).encode() +
                  b"\n")
        last = -1
        while last != self.agent.requests:
            last = self.agent.requests
            time.sleep(0.15)
        self.assertGreater(last, 2)
        self.assertEqual(self.d.call("daemon.status")["walks"], 1)
        return c

    def finish(self, c, code):
        """Read the paused walk's client to the end: rows, then its reply
        (an error with code, or a result when code is None)."""
        c.settimeout(10)
        f = c.makefile("rb")
        while True:
            line = f.readline()
            self.assertTrue(line, "no reply to the walk")
            m = json.loads(line)
            if m.get("id") == "w":
                break
        f.close()
        c.close()
        if code is None:
            self.assertIn("result", m)
        else:
            self.assertEqual(m["error"]["code"], code, m)

    def test_session_removed_under_a_paused_walk(self):
        c = self.paused_walk()
        res = self.d.call("session.remove", {"session": "fa"})
        self.assertTrue(res["removed"])
        self.finish(c, 398)

    def test_session_options_changed_under_a_paused_walk(self):
        c = self.paused_walk()
        self.d.call("session.config", {"session": "fa", "options": {
            "local_port": free_udp_port(), "timeout": "300ms"}})
        self.d.call("session.disable", {"session": "fa"})
        self.d.call("session.enable", {"session": "fa"})
        # Whatever became of it, it ends with a reply.
        c.settimeout(20)
        f = c.makefile("rb")
        while True:
            line = f.readline()
            self.assertTrue(line, "no reply to the walk")
            if json.loads(line).get("id") == "w":
                break
        c.close()

    def test_reload_without_the_session_under_a_paused_walk(self):
        c = self.paused_walk()
        cfg = dict(self.d.config)
        cfg["sessions"] = {"quiet": cfg["sessions"]["quiet"]}
        self.d.write_config(cfg)
        res = self.d.call("daemon.reload")
        self.assertEqual(res["removed"], ["fa"])
        self.finish(c, 398)

    def test_session_removed_with_requests_waiting(self):
        c = self.d.connect()
        try:
            ids = [c.request("snmp.get", {"session": "quiet",
                                          "oids": [SYS_NAME]}),
                   c.request("snmp.walk", {"session": "quiet",
                                           "oid": "1.3.6.1.2.1"}),
                   c.request("snmp.getbulk", {"session": "quiet",
                                              "oids": ["1.3"]}),
                   c.request("poll.run", {"session": "quiet"})]
            time.sleep(0.3)
            self.d.call("session.remove", {"session": "quiet"})
            for rid in ids:
                _, r = c.wait_reply(rid, timeout=10)
                self.assertTrue("error" in r or "result" in r, r)
        finally:
            c.close()

    def test_stop_with_everything_in_flight(self):
        c = self.paused_walk()
        other = self.d.connect()
        other.request("snmp.get", {"session": "quiet", "oids": [SYS_NAME]})
        other.request("snmp.get", {"target": self.silent.target(
            timeout="30s"), "oids": [SYS_NAME]})
        other.request("snmp.discover", {"target": self.silent.target(
            version="3", timeout="30s")})
        other.request("snmp.inform", {"target": self.silent.target(
            timeout="30s"), "trap_oid": "1.3.6.1.4.1.99999.0.1"})
        other.request("events.subscribe", {"events": ["response"]})
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(self.d.sock)
        half.sendall(b'{"jsonrpc":"2.0","id":1,"method":"snmp.get","params":'
                     b'{"session":"quiet","oids":["1.3.6.1.2.1.1.5.0"]}}\n')
        half.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
        try:
            # A second SIGTERM stops without waiting for the answers:
            # everything in flight is dropped, and nothing leaks.
            self.d.signal(signal.SIGTERM)
            time.sleep(0.3)
            self.assertEqual(self.d.stop(wait=15), 0, self.d.log()[-3000:])
        finally:
            c.close()
            other.close()
            half.close()


class ResourceLimits(unittest.TestCase):

    def test_emfile_pauses_accept_without_spinning(self):
        with Daemon({"sessions": {}}) as d:
            # Let the daemon use only a few more descriptors than now.
            nfd = len(os.listdir("/proc/%d/fd" % d.pid))
            _, hard = resource.prlimit(d.pid, resource.RLIMIT_NOFILE)
            resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (nfd + 2, hard))
            socks = []
            try:
                for _ in range(8):
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(d.sock)
                    socks.append(s)
                wait_for(lambda: "pausing for a second" in d.log(), 5,
                         "accept() to fail with EMFILE")
                cpu0 = cpu_seconds(d.pid)
                time.sleep(1.0)
                self.assertLess(cpu_seconds(d.pid) - cpu0, 0.3,
                                "snmpmgrd spins while out of descriptors")
                self.assertTrue(d.alive())
            finally:
                for s in socks:
                    s.close()
            resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (1024, hard))
            # Accepting again: a new client is answered.
            c = d.connect()
            try:
                self.assertEqual(c.call("daemon.status", timeout=5)["pid"],
                                 d.pid)
            finally:
                c.close()
            self.assertEqual(d.stop(), 0)


# ------------------------------------------------------- control slots

def rss_mib(pid):
    """Resident set size of a process, in MiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise AssertionError("no VmRSS for %d" % pid)


def sanitizer_build(prog):
    with open(prog, "rb") as f:
        return b"__asan_init" in f.read()


def connect_and_ask(path, n, line):
    """Open n connections to path, send line on each, and read what came
    back first on each: ({"ok": answered, "refused": {message: count}},
    the sockets still open)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        socks.append(s)
    for s in socks:
        try:
            s.sendall(line)
        except OSError:
            pass        # refused and closed already; its line is there
    res, kept = {"ok": 0, "refused": {}}, []
    for s in socks:
        s.settimeout(60)
        with s.makefile("rb") as f:
            m = json.loads(f.readline())
        if "result" in m:
            res["ok"] += 1
            kept.append(s)
        else:
            msg = m["error"]["message"]
            res["refused"][msg] = res["refused"].get(msg, 0) + 1
            s.close()
    return res, kept


STATUS_LINE = b'{"jsonrpc":"2.0","id":1,"method":"daemon.status"}\n'


class ControlSlots(unittest.TestCase):
    """Control socket slots cannot be kept from an administrator: slow
    and idle clients are closed, other users are limited per uid and
    leave a reserve for root (issue 9 item 2); and the memory a burst of
    clients took is given back (item 11)."""

    def setUp(self):
        self.d = None
        self.kids = []

    def tearDown(self):
        for pid, hold in self.kids:
            os.close(hold)
            os.waitpid(pid, 0)
        if self.d is not None:
            try:
                self.assertTrue(self.d.alive(), self.d.log()[-3000:])
                self.assertEqual(self.d.stop(), 0, self.d.log()[-3000:])
            finally:
                self.d.close()

    def daemon(self, control=None):
        ctl = dict(control or {})
        self.d = Daemon({"sessions": {}, "control": ctl})
        return self.d

    def status(self):
        # A fresh connection each time: the fixture's would go idle.
        c = self.d.connect()
        try:
            return c.call("daemon.status", timeout=10)
        finally:
            c.close()

    def clients_as(self, uid, n, line=STATUS_LINE):
        """n connections of user uid (a child process that drops to uid),
        each sending line: {"ok": answered, "refused": {message: count}}.
        The child keeps those let in until tearDown."""
        rfd, wfd = os.pipe()
        hold_r, hold_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(rfd)
                os.close(hold_w)
                for _, w in self.kids:
                    os.close(w)
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                res, _ = connect_and_ask(self.d.sock, n, line)
                os.write(wfd, json.dumps(res).encode() + b"\n")
                os.read(hold_r, 1)
                code = 0
            except BaseException as e:
                os.write(2, ("clients_as: %r\n" % e).encode())
            finally:
                os._exit(code)
        os.close(wfd)
        os.close(hold_r)
        self.kids.append((pid, hold_w))
        with os.fdopen(rfd, "rb") as f:
            out = f.readline()
        self.assertTrue(out, "clients of uid %d failed" % uid)
        return json.loads(out)

    def test_other_users_are_limited_and_root_keeps_a_reserve(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to connect as other users")
        d = self.daemon({"mode": "0666"})
        os.chmod(d.dir, 0o711)
        per_uid, reserve = 64, 16
        # One user: 64 connections, the next ones are told why.
        got = self.clients_as(60001, per_uid + 6)
        self.assertEqual(got, {"ok": per_uid, "refused": {
            "too many clients of this user": 6}})
        # More users, each under its limit: together they leave the
        # last 16 of 256 slots to root and the daemon's user.
        self.assertEqual(self.clients_as(60002, per_uid)["ok"], per_uid)
        self.assertEqual(self.clients_as(60003, per_uid)["ok"], per_uid)
        got = self.clients_as(60004, per_uid)
        ordinary = 256 - reserve
        self.assertEqual(got, {"ok": ordinary - 3 * per_uid, "refused": {
            "too many clients": 4 * per_uid - ordinary}})
        # The administrator gets in, with snmpmgrctl and by hand.
        r = d.ctl("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.status()["clients"], ordinary + 1)

    def test_slow_loris_is_cut_off_and_snmpmgrctl_gets_in(self):
        # 300 clients that send one byte a second, never a whole line:
        # each is closed once its line is 2 s old, with an error saying
        # why, and snmpmgrctl gets in.
        d = self.daemon({"line_timeout": "2s"})
        socks, opened, ended = [], {}, {}
        try:
            for _ in range(300):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.sock)
                s.setblocking(False)
                try:
                    s.send(b"{")
                except OSError:
                    pass
                socks.append(s)
                opened[s] = time.monotonic()
            deadline = time.monotonic() + 30
            next_byte = time.monotonic() + 1
            while len(ended) < len(socks) and time.monotonic() < deadline:
                live = [s for s in socks if s not in ended]
                r, _, _ = select.select(live, [], [], 0.2)
                for s in r:
                    out, closed = read_until_closed(s, 2)
                    self.assertTrue(closed)
                    ended[s] = (time.monotonic() - opened[s],
                                json.loads(out.splitlines()[0])["error"])
                if time.monotonic() >= next_byte:
                    next_byte += 1
                    for s in socks:
                        if s not in ended:
                            try:
                                s.send(b" ")
                            except OSError:
                                pass
            self.assertEqual(len(ended), 300, "slow clients kept their "
                             "slots: %d of 300 closed" % len(ended))
            slow = [(t, e) for t, e in ended.values()
                    if e["message"] != "too many clients"]
            self.assertGreaterEqual(len(slow), 250)
            for t, e in slow:
                self.assertEqual(e["code"], -32600, e)
                self.assertEqual(e["message"],
                                 "request line not finished in time")
                self.assertEqual(e["data"], {"timeout_ms": 2000})
                self.assertGreater(t, 1.5)
        finally:
            for s in socks:
                s.close()
        r = d.ctl("status")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_slow_loris_of_another_user_leaves_root_in(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to connect as other users")
        d = self.daemon({"mode": "0666", "line_timeout": "2s"})
        os.chmod(d.dir, 0o711)
        # Half a line on each of 300, as nobody: 64 let in and ended by
        # the line timeout, the others refused at once.
        t0 = time.monotonic()
        got = self.clients_as(65534, 300, b'{"jsonrpc":"2.0"')
        self.assertGreater(time.monotonic() - t0, 1.5)
        self.assertEqual(got["refused"].get("too many clients of this "
                                            "user"), 300 - 64, got)
        self.assertEqual(got["refused"].get("request line not finished "
                                            "in time"), 64, got)
        r = d.ctl("status")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_idle_clients_are_closed_but_not_busy_ones(self):
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        d = self.daemon({"idle_timeout": "1s"})
        conns = {}
        try:
            for name in ("idle", "asked", "subscriber", "waiting"):
                conns[name] = d.connect()
            t0 = time.monotonic()
            self.assertIn("pid", conns["asked"].call("daemon.status"))
            conns["subscriber"].rpc("events.subscribe",
                                    {"events": ["config"]})
            target = {"host": "127.0.0.1", "port": silent.getsockname()[1],
                      "community": "public", "timeout": "3s", "retries": 0}
            conns["waiting"].request("snmp.get", {"target": target,
                                                  "oids": [SYS_NAME]}, id=9)
            # The idle ones go after about a second.
            for name in ("idle", "asked"):
                out, closed = read_until_closed(conns[name].sock, 10)
                self.assertTrue(closed, name)
                self.assertEqual(out, b"", name)
            self.assertGreater(time.monotonic() - t0, 0.8)
            # The one waiting for its reply gets it, 3 s on.
            _, reply = conns["waiting"].wait_reply(9, 10)
            self.assertEqual(reply["error"]["code"], 201, reply)
            self.assertGreater(time.monotonic() - t0, 2.5)
            # A subscriber that hears nothing for longer is still there.
            time.sleep(max(0.0, t0 + 4.0 - time.monotonic()))
            self.assertIn("pid", conns["subscriber"].call("daemon.status"))
        finally:
            for c in conns.values():
                c.close()
            silent.close()

    def test_memory_of_a_burst_is_given_back(self):
        d = self.daemon()
        if sanitizer_build(d.prog):
            self.skipTest("the sanitizer's allocator keeps its memory")
        self.status()
        base = rss_mib(d.pid)
        # 255 unfinished lines of almost 1 MiB (272 MB of RSS that stayed
        # after they left, before).
        chunk = b"x" * ((1 << 20) - 1)
        socks = []
        try:
            for _ in range(255):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.sock)
                s.settimeout(30)
                s.sendall(chunk)
                socks.append(s)
            wait_for(lambda: rss_mib(d.pid) > base + 150, 20,
                     "the burst to take memory (%.0f MiB at start, %.0f "
                     "now)" % (base, rss_mib(d.pid)))
        finally:
            for s in socks:
                s.close()
        wait_for(lambda: self.status()["clients"] == 1, 20,
                 "the clients to go")
        try:
            wait_for(lambda: rss_mib(d.pid) < base + 32, 20, "RSS back")
        except AssertionError:
            self.fail("RSS %.0f MiB after the burst, %.0f before"
                      % (rss_mib(d.pid), base))
        self.assertEqual(self.status()["clients"], 1)


if __name__ == "__main__":
    snmptest.main()
