#!/usr/bin/env python3
"""test_tcp - SNMP over TCP (RFC 3430) for sessions and ad-hoc targets.

Against Net-SNMP snmpd listening on tcp:127.0.0.1:PORT: get, getnext,
getbulk and walks over TCP equal snmpget/snmpbulkwalk over tcp: value for
value, a 50,000-object walk (bench/bigtable.c as a dlmod module) on one
connection, and an agent restart after which the session connects anew.

Against a hostile TCP peer written here (the answers are built by
fakeagent.py): replies one octet at a time, a reply split across reads,
two replies in one write, a 10 MiB length prefix and a stream that is not
SNMP (refused: the connection closed, a bad packet counted, the daemon
still serving others), a peer that never answers (the request is written
once per connection, RFC 3430: no retransmission on the same stream) and
one that drops the connection (the retry goes out on a new one).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import (Daemon, MIB2, SYS_DESCR, SYS_UPTIME, Snmpd,  # noqa
                      net_snmp, parse_net_snmp, skip_unless)
from fakeagent import FakeAgent, row_oid  # noqa: E402
from test_daemon import build_bigtable  # noqa: E402
from test_interop import compare_sandwich, vbs_of  # noqa: E402

SYSTEM = "1.3.6.1.2.1.1"
SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
IF_SPEED_1 = "1.3.6.1.2.1.2.2.1.5.1"
BIGTABLE = "1.3.6.1.4.1.99999.1"
BIGTABLE_OBJECTS = 50000
AUTHPW = "tcp-auth-secret"
PRIVPW = "tcp-priv-secret"


def ns(cmd, *args):
    return parse_net_snmp(net_snmp(cmd, *args))


def established(port):
    """TCP connections established to 127.0.0.1:port (from /proc)."""
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            rhost, rport = fields[2].split(":")
            if (rhost == "0100007F" and int(rport, 16) == port
                    and fields[3] == "01"):
                n += 1
    return n


def frame(buf):
    """(message, rest) when buf starts with a whole BER SEQUENCE, else
    (None, buf)."""
    if len(buf) < 2:
        return None, buf
    ln = buf[1]
    hdr = 2
    if ln & 0x80:
        k = ln & 0x7f
        if len(buf) < 2 + k:
            return None, buf
        ln = int.from_bytes(buf[2:2 + k], "big")
        hdr += k
    if len(buf) < hdr + ln:
        return None, buf
    return buf[:hdr + ln], buf[hdr + ln:]


class TcpPeer:
    """An SNMP agent on a TCP port of 127.0.0.1 that misbehaves on demand.

    Answers come from agent._answer() (a FakeAgent's table).  mode:
    "normal" one write per answer; "bytes" one octet per write; "split"
    half, a pause, the rest; "pair" two answers held and written at once;
    "huge" a SEQUENCE header announcing 10 MiB instead of an answer;
    "junk" octets that are no SEQUENCE; "silent" read, never answer;
    "drop" close the connection on the first request, then normal.
    .requests counts requests, .accepted connections, .closed_by_peer
    connections the daemon closed.
    """

    def __init__(self, agent, mode="normal"):
        self.agent = agent
        self.mode = mode
        self.requests = 0
        self.accepted = 0
        self.closed_by_peer = 0
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self._stop = False
        self._conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self._stop = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            self.accepted += 1
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conns.append(c)
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        buf, held = b"", []
        while not self._stop:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                self.closed_by_peer += 1
                return
            buf += data
            while True:
                msg, buf = frame(buf)
                if msg is None:
                    break
                self.requests += 1
                if self.mode == "drop":
                    self.mode = "normal"
                    c.close()
                    return
                if self.mode == "silent":
                    continue
                if self.mode == "huge":
                    c.sendall(b"\x30\x84" + (10 << 20).to_bytes(4, "big") +
                              b"\x02\x01\x01")
                    continue
                if self.mode == "junk":
                    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    continue
                reply = self.agent._answer(msg)
                if reply is None:
                    continue
                if self.mode == "bytes":
                    for i in range(len(reply)):
                        c.sendall(reply[i:i + 1])
                        time.sleep(0.001)
                elif self.mode == "split":
                    h = len(reply) // 2
                    c.sendall(reply[:h])
                    time.sleep(0.1)
                    c.sendall(reply[h:])
                elif self.mode == "pair":
                    held.append(reply)
                    if len(held) == 2:
                        c.sendall(held[0] + held[1])
                        held = []
                else:
                    c.sendall(reply)


def _built(name):
    return os.access(os.path.join(snmptest.top_builddir(), name), os.X_OK)


BUILT = unittest.skipUnless((_built("snmpmgrd") and _built("snmpmgrctl"))
                            or "top_builddir" in os.environ,
                            "snmpmgrd/snmpmgrctl not built")


@BUILT
@skip_unless("snmpd", "snmpget", "snmpgetnext", "snmpbulkget",
             "snmpbulkwalk")
class TcpInterop(unittest.TestCase):
    """snmpmgrd over TCP against Net-SNMP snmpd's tcp: transport."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test-tcp-")
        cls.so = build_bigtable(cls.tmp)
        extra = ["dlmod bigtable %s" % cls.so] if cls.so else []
        extra.append("rouser tcpuser priv")
        cls.agent = Snmpd(tcp=True, ipv6=True, stable_view=True,
                          extra_conf=extra, persist_conf=[
                              "createUser tcpuser SHA-256 %s AES %s"
                              % (AUTHPW, PRIVPW)])
        a = cls.agent
        try:
            cls.daemon = Daemon({"sessions": {
                "tcp": a.target(transport="tcp", timeout="10s"),
                "tcp1": a.target(transport="tcp", version="1"),
                "tcp6": a.target(ipv6=True, transport="tcp6"),
                "tcp3": a.target(transport="tcp", version="3",
                                 user="tcpuser", auth="sha256",
                                 auth_password=AUTHPW, priv="aes",
                                 priv_password=PRIVPW),
                "udp": a.target()}})
        except BaseException:
            a.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if not self.daemon.alive():
            self.fail("snmpmgrd died:\n" + self.daemon.log()[-4000:])

    def ctl(self, *args):
        return self.daemon.ctl_json(*args)

    def stats(self, session):
        return self.daemon.call("session.show", {"session": session})[
            "stats"]

    def test_get_matches_snmpget(self):
        oids = [SYS_DESCR, SYS_OBJECTID, IF_SPEED_1]
        ours = vbs_of(self.ctl("get", "tcp", *oids))
        theirs = ns("snmpget", "-v2c", "-cpublic", self.agent.addr_tcp,
                    *oids)
        self.assertEqual(ours, theirs)
        ours = vbs_of(self.ctl("get", "tcp1", *oids))
        self.assertEqual(ours, ns("snmpget", "-v1", "-cpublic",
                                  self.agent.addr_tcp, *oids))
        ours = vbs_of(self.ctl("get", "tcp6", *oids))
        self.assertEqual(ours, ns("snmpget", "-v2c", "-cpublic",
                                  self.agent.addr_tcp6, *oids))
        show = self.daemon.call("session.show", {"session": "tcp"})
        self.assertEqual(show["options"]["transport"], "tcp")
        show = self.daemon.call("session.show", {"session": "tcp6"})
        self.assertEqual(show["options"]["transport"], "tcp6")

    def test_snmpv3_over_tcp(self):
        oids = [SYS_DESCR, SYS_OBJECTID]
        ours = vbs_of(self.ctl("get", "tcp3", *oids))
        theirs = ns("snmpget", "-v3", "-u", "tcpuser", "-l", "authPriv",
                    "-a", "SHA-256", "-A", AUTHPW, "-x", "AES", "-X", PRIVPW,
                    self.agent.addr_tcp, *oids)
        self.assertEqual(ours, theirs)
        self.assertEqual(self.stats("tcp3")["bad_packets"], 0)

    def test_getnext_and_getbulk_match(self):
        oids = [SYSTEM, "1.3.6.1.2.1.2.2.1.2"]
        ours = vbs_of(self.ctl("getnext", "tcp", *oids))
        theirs = ns("snmpgetnext", "-v2c", "-cpublic", self.agent.addr_tcp,
                    *oids)
        self.assertEqual(ours, theirs)
        res = self.daemon.call("snmp.getbulk", {
            "session": "tcp", "oids": [SYS_DESCR, SYSTEM],
            "non_repeaters": 1, "max_repetitions": 6})
        theirs = ns("snmpbulkget", "-v2c", "-cpublic", "-Cn1", "-Cr6",
                    self.agent.addr_tcp, SYS_DESCR, SYSTEM)
        keep = [x for x in theirs if x[0] != SYS_UPTIME]
        self.assertEqual([x for x in vbs_of(res) if x[0] != SYS_UPTIME],
                         keep)
        self.assertEqual(len(vbs_of(res)), 7)

    def test_walk_mib2_matches_snmpbulkwalk(self):
        # snmpd walks some of mib-2 slowly on a loaded machine: the
        # reference waits as long as our session ("timeout": "10s").
        args = ("-v2c", "-cpublic", "-t", "10", "-r", "1",
                self.agent.addr_tcp, MIB2)
        before = ns("snmpbulkwalk", *args)
        ours = vbs_of(self.ctl("walk", "tcp", MIB2))
        after = ns("snmpbulkwalk", *args)
        n = compare_sandwich(self, before, ours, after, "tcp walk")
        self.assertGreater(n, 100)

    def test_adhoc_target(self):
        ours = vbs_of(self.ctl("get", "-H", "tcp:127.0.0.1:%d"
                               % self.agent.port, "-c", "public",
                               SYS_DESCR, SYS_OBJECTID))
        theirs = ns("snmpget", "-v2c", "-cpublic", self.agent.addr_tcp,
                    SYS_DESCR, SYS_OBJECTID)
        self.assertEqual(ours, theirs)

    def test_big_walk_on_one_connection(self):
        if not self.so:
            self.skipTest("cannot build bench/bigtable.c (net-snmp-config)")
        self.ctl("get", "tcp", SYS_DESCR)       # connected now
        conns = established(self.agent.port)
        before = self.stats("tcp")
        # a fixed max-repetitions (no adapting): 2,000 requests
        ours = vbs_of(self.ctl("walk", "-r", "25", "tcp", BIGTABLE))
        theirs = ns("snmpbulkwalk", "-v2c", "-cpublic", "-Cr25",
                    self.agent.addr_tcp, BIGTABLE)
        self.assertEqual(len(ours), BIGTABLE_OBJECTS)
        self.assertEqual(ours, theirs)
        after = self.stats("tcp")
        self.assertEqual(after["retries"], before["retries"])
        self.assertEqual(after["timeouts"], before["timeouts"])
        self.assertGreaterEqual(after["requests"] - before["requests"],
                                BIGTABLE_OBJECTS // 25)
        # Every request of the walk went on the session's connection.
        self.assertEqual(established(self.agent.port), conns)


@BUILT
@skip_unless("snmpd", "snmpget")
class TcpReconnect(unittest.TestCase):
    """The session's connection is made anew after the agent restarts."""

    def setUp(self):
        self.agent = Snmpd(tcp=True)
        self.daemon = Daemon({"sessions": {"tcp": self.agent.target(
            transport="tcp", timeout="500ms", retries=2)}})

    def tearDown(self):
        self.daemon.close()
        self.agent.close()

    def get(self):
        return self.daemon.rpc("snmp.get", {"session": "tcp",
                                            "oids": [SYS_DESCR]},
                               timeout=30)

    def test_agent_restart(self):
        r = self.get()
        self.assertIn("result", r, r)
        self.agent.restart()
        for _ in range(2):
            r = self.get()
            self.assertIn("result", r, r)
        # While the agent is down: the connection is refused, and the
        # request ends at once with 397 (as snmpget's does) ...
        self.agent.stop()
        r = self.get()
        self.assertEqual(r.get("error", {}).get("code"), 397, r)
        self.assertIn("Connection refused", r["error"]["data"]["detail"])
        # ... and once it is back, requests work again.
        self.agent.start()
        r = self.get()
        self.assertIn("result", r, r)
        self.assertEqual(vbs_of(r["result"]),
                         ns("snmpget", "-v2c", "-cpublic",
                            self.agent.addr_tcp, SYS_DESCR))
        self.assertTrue(self.daemon.alive())


@BUILT
class TcpHostilePeer(unittest.TestCase):
    """A peer that frames oddly or hostilely; others keep being served."""

    def setUp(self):
        self.fake = FakeAgent(rows=40)
        self.peer = TcpPeer(self.fake)
        self.daemon = Daemon({"sessions": {
            "t": {"host": "127.0.0.1", "port": self.peer.port,
                  "transport": "tcp", "community": "public",
                  "timeout": "2s", "retries": 1},
            "udp": self.fake.target()}})

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.daemon.log()[-4000:])
        self.daemon.close()
        self.peer.close()
        self.fake.close()

    def get(self, session="t", oids=(row_oid(1), row_oid(2)), **over):
        """snmp.get on a session, or with over on an inline target (a
        session of its own, so a connection of its own) to the peer."""
        p = {"session": session, "oids": list(oids)}
        if over:
            t = dict(self.daemon.config["sessions"][session])
            t.update(over)
            p = {"target": t, "oids": list(oids)}
        return self.daemon.rpc("snmp.get", p, timeout=30)

    def assert_get_ok(self, session="t"):
        r = self.get(session)
        self.assertIn("result", r, r)
        self.assertEqual([vb["value"] for vb in r["result"]["varbinds"]],
                         [1, 2])

    def stats(self, session="t"):
        return self.daemon.call("session.show", {"session": session})[
            "stats"]

    def wait_for(self, cond, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.02)
        return False

    def test_one_octet_at_a_time(self):
        self.peer.mode = "bytes"
        self.assert_get_ok()
        notes, rep = self.daemon.rpc_stream("snmp.walk", {
            "session": "t", "oid": "1.3.6.1.4.1.99999.1",
            "max_repetitions": 10}, timeout=60)
        self.assertEqual(rep["result"]["count"], 40, rep)
        self.assertEqual(self.peer.accepted, 1)

    def test_split_across_reads(self):
        self.peer.mode = "split"
        self.assert_get_ok()
        self.assert_get_ok()
        self.assertEqual(self.stats()["bad_packets"], 0)

    def test_two_messages_in_one_read(self):
        self.peer.mode = "pair"
        c = self.daemon.client
        ids = [c.request("snmp.get", {"session": "t", "oids": [row_oid(n)]})
               for n in (5, 7)]
        vals = []
        for i in ids:
            _, rep = c.wait_reply(i, timeout=30)
            self.assertIn("result", rep, rep)
            vals.append(rep["result"]["varbinds"][0]["value"])
        self.assertEqual(vals, [5, 7])
        self.assertEqual(self.peer.accepted, 1)

    def test_10mib_length_prefix_refused(self):
        self.peer.mode = "huge"
        r = self.get()
        self.assertEqual(r.get("error", {}).get("code"), 201, r)
        # The daemon closed that connection at once, counted a bad packet
        # (118: longer than any message it takes) and serves the rest.
        self.assertTrue(self.wait_for(lambda: self.peer.closed_by_peer >= 1))
        self.assertGreaterEqual(self.stats()["bad_packets"], 1)
        self.assert_get_ok("udp")
        # A good peer on the same port is reached on a new connection.
        self.peer.mode = "normal"
        self.assert_get_ok()
        self.assertGreaterEqual(self.peer.accepted, 2)
        self.assertTrue(self.daemon.alive())

    def test_not_snmp_refused(self):
        self.peer.mode = "junk"
        r = self.get()
        self.assertEqual(r.get("error", {}).get("code"), 201, r)
        self.assertTrue(self.wait_for(lambda: self.peer.closed_by_peer >= 1))
        self.assertGreaterEqual(self.stats()["bad_packets"], 1)
        self.assert_get_ok("udp")

    def test_no_retransmission_on_one_connection(self):
        # RFC 3430: a request is not sent again on the stream it went out
        # on; it times out after its tries (2 x 300 ms) like over UDP.
        self.peer.mode = "silent"
        t0 = time.monotonic()
        r = self.get(timeout="300ms", retries=1)
        self.assertEqual(r.get("error", {}).get("code"), 201, r)
        self.assertGreaterEqual(time.monotonic() - t0, 0.5)
        time.sleep(0.2)
        self.assertEqual(self.peer.requests, 1)
        self.assertEqual(self.peer.accepted, 1)
        # A configured session's connection that let a request run out
        # of tries is closed (the agent may be gone without a word); the
        # next request connects anew.
        r = self.get()
        self.assertEqual(r.get("error", {}).get("code"), 201, r)
        self.assertTrue(self.wait_for(lambda: self.peer.closed_by_peer >= 2))
        self.peer.mode = "normal"
        self.assert_get_ok()
        self.assertEqual(self.peer.accepted, 3)
        self.assertEqual(self.stats()["retries"], 0)

    def test_dropped_connection_retry_on_new_one(self):
        # The peer closes the connection on the first request: the retry
        # goes out on a new connection and is answered.
        self.peer.mode = "drop"
        r = self.get(timeout="500ms", retries=2)
        self.assertIn("result", r, r)
        self.assertEqual(self.peer.accepted, 2)
        self.assertEqual(self.peer.requests, 2)

    def test_trap_to_an_inline_tcp_target(self):
        # The temporary session lives until the trap has left on its new
        # connection; the answer says so.
        t = dict(self.daemon.config["sessions"]["t"])
        r = self.daemon.rpc("snmp.trap", {"target": t,
                                          "trap_oid": "1.3.6.1.6.3.1.1.5.1"},
                            timeout=30)
        self.assertTrue(r.get("result", {}).get("sent"), r)
        self.assertTrue(self.wait_for(lambda: self.peer.requests == 1), r)
        self.assertEqual(self.peer.accepted, 1)
        # Once it is answered, the connection goes with the session.
        self.assertTrue(self.wait_for(lambda: self.peer.closed_by_peer == 1))
        # Nobody listening: the connection fails, and the answer says so.
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            t["port"] = sk.getsockname()[1]
        r = self.daemon.rpc("snmp.trap", {"target": t,
                                          "trap_oid": "1.3.6.1.6.3.1.1.5.1"},
                            timeout=30)
        self.assertEqual(r.get("error", {}).get("code"), 397, r)
        self.assert_get_ok()

    def test_refused_connection_fails_at_once(self):
        # Nobody listens: the refusal ends the request now with 397 and
        # says where, as Net-SNMP's tools do, not a timeout after every
        # try's wait (2 tries of 5 s here).
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        t = dict(self.daemon.config["sessions"]["t"], port=port,
                 timeout="5s", retries=1)
        t0 = time.monotonic()
        r = self.daemon.rpc("snmp.get", {"target": t,
                                         "oids": [row_oid(3)]}, timeout=30)
        took = time.monotonic() - t0
        self.assertEqual(r.get("error", {}).get("code"), 397, r)
        self.assertIn("connecting to 127.0.0.1:%d: Connection refused"
                      % port, r["error"]["data"]["detail"], r)
        self.assertLess(took, 4.0, r)
        self.assert_get_ok()

    def test_polls_of_a_refused_agent_mark_it_down(self):
        # A refused connection is no answer from the agent: walk polls
        # as well as get polls count it towards down_after.
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            port = sk.getsockname()[1]
        d = Daemon({
            "scheduler": {"down_after": 2, "backoff_min": "200ms",
                          "backoff_max": "400ms"},
            "defaults": {"host": "127.0.0.1", "port": port,
                         "transport": "tcp", "community": "public",
                         "timeout": "300ms", "retries": 0},
            "polls": {"w": {"walk": ["1.3.6.1.2.1.1"], "interval": "300ms"},
                      "g": {"get": ["1.3.6.1.2.1.1.5.0"],
                            "interval": "300ms"}},
            "sessions": {"walkonly": {"polls": ["w"]},
                         "getonly": {"polls": ["g"]}}})
        try:
            def states():
                return {r["name"]: r["state"] for r in
                        d.call("session.list")["sessions"]}
            self.assertTrue(self.wait_for(
                lambda: states() == {"walkonly": "down", "getonly": "down"},
                timeout=10), states())
        finally:
            d.close()

    def test_adhoc_tcp_target(self):
        r = self.daemon.ctl_json("get", "-H", "tcp:127.0.0.1:%d"
                                 % self.peer.port, "-c", "public",
                                 row_oid(3))
        self.assertEqual(r["varbinds"][0]["value"], 3)
        self.assertEqual(self.peer.accepted, 1)


@skip_unless("snmptrapd")
class TcpTrapToSnmptrapd(unittest.TestCase):
    """Our traps (v1, v2c, v3) and an inform on a session with transport
    "tcp", received by Net-SNMP snmptrapd listening on tcp:."""

    def test_traps_seen_by_snmptrapd(self):
        d = tempfile.mkdtemp(prefix="snmptest-trapd-tcp-")
        trapd = None
        try:
            with socket.socket() as sk:
                sk.bind(("127.0.0.1", 0))
                port = sk.getsockname()[1]
            log = os.path.join(d, "trapd.log")
            conf = os.path.join(d, "snmptrapd.conf")
            engine = "0x80001f88804d4752544350"
            with open(conf, "w") as f:
                f.write("snmpTrapdAddr tcp:127.0.0.1:%d\n" % port)
                f.write("disableAuthorization yes\n")
                f.write("authCommunity log public\n")
                f.write("createUser -e %s tcpuser SHA %s AES %s\n"
                        % (engine, AUTHPW, PRIVPW))
            env = dict(os.environ, SNMP_PERSISTENT_DIR=d, SNMPCONFPATH=d,
                       MIBS="")
            trapd = subprocess.Popen(
                [snmptest.find_program("snmptrapd"), "-f", "-Lf", log,
                 "-n", "-On", "-C", "-c", conf, "-p",
                 os.path.join(d, "pid")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env)
            deadline = time.monotonic() + 5
            while not os.path.exists(os.path.join(d, "pid")) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            base = {"host": "127.0.0.1", "port": port, "transport": "tcp",
                    "timeout": "3s", "retries": 1, "community": "public"}
            sessions = {
                "v1": dict(base, version="1"),
                "v2": dict(base, version="2c"),
                "v3": dict(base, version="3", user="tcpuser", auth="sha",
                           auth_password=AUTHPW, priv="aes",
                           priv_password=PRIVPW,
                           local_engine_id=engine[2:])}
            oid = "1.3.6.1.4.1.99999.0.77"
            with Daemon({"sessions": sessions}) as dm:
                for name in ("v1", "v2", "v3"):
                    r = dm.ctl("trap", name, oid, "1.3.6.1.2.1.1.5.0", "s",
                               "tcp-trap-" + name)
                    self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                r = dm.ctl("inform", "v2", oid, "1.3.6.1.2.1.1.5.0", "s",
                           "tcp-inform")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                # Inline targets (-H): a temporary session each.
                hp = "tcp:127.0.0.1:%d" % port
                r = dm.ctl("trap", "-H", hp, "-c", "public", oid,
                           "1.3.6.1.2.1.1.5.0", "s", "tcp-inline-trap")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                r = dm.ctl("inform", "-H", hp, "-c", "public", oid,
                           "1.3.6.1.2.1.1.5.0", "s", "tcp-inline-inform")
                self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
                r = dm.rpc("snmp.trap", {"target": sessions["v3"],
                                         "trap_oid": oid, "varbinds": [
                    {"oid": "1.3.6.1.2.1.1.5.0", "type": "s",
                     "value": "tcp-inline-v3"}]}, timeout=30)
                self.assertTrue(r.get("result", {}).get("sent"), r)
                deadline = time.monotonic() + 10
                text = ""
                want = ["tcp-trap-v1", "tcp-trap-v2", "tcp-trap-v3",
                        "tcp-inform", "tcp-inline-trap", "tcp-inline-inform",
                        "tcp-inline-v3"]
                while time.monotonic() < deadline:
                    with open(log, errors="replace") as f:
                        text = f.read()
                    if all(w in text for w in want):
                        break
                    time.sleep(0.1)
                for w in want:
                    self.assertIn(w, text)
                self.assertIn("TCP: [127.0.0.1]", text)
                self.assertTrue(dm.alive())
        finally:
            if trapd is not None:
                trapd.terminate()
                trapd.wait(5)
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    snmptest.main()
