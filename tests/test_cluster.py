#!/usr/bin/env python3
"""test_cluster.py - cluster mode (issue 13).

The "cluster" section is parsed and checked (`snmpmgrd -t`), the NATS
password is a secret that never appears in messages, and the config hash
leaves out the per-node keys and changes with everything else.  Then real
nats-server processes (JetStream, loopback, free ports, own store
directories, stopped by PID) and snmpmgrd nodes polling a Net-SNMP snmpd:
every session is polled by exactly one node, the one all nodes name as
its owner; a node killed with SIGKILL has its sessions taken over within 3
heartbeats plus one interval; a node that cannot authenticate says why
and keeps polling every session (standalone-degraded); a node that loses
NATS keeps its sessions and queues its results and traps, published in order when
NATS is back, none lost and none twice (read back from the stream with
the test's own consumer over the raw NATS protocol).
Three NATS servers in one cluster with R3 streams: one stopped, no poll
result lost.  Skips (exit 77) when snmpmgrd has not been built or was
built without libnats.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest  # noqa: E402
from ber import v2c_trap  # noqa: E402
from test_traps import reqid_of  # noqa: E402

TOP_BUILDDIR = os.environ.get("top_builddir",
                              os.path.join(os.path.dirname(__file__), ".."))
SNMPMGRD = os.path.join(TOP_BUILDDIR, "snmpmgrd")
SECRET = "n4ts-s3cret-pw"


def have_nats():
    try:
        with open(os.path.join(TOP_BUILDDIR, "config.h")) as f:
            return "#define HAVE_NATS 1" in f.read()
    except OSError:
        return False


class ClusterConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="snmpmgrd-cluster-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def conf(self, fname, node="mgr-a", sock="a.sock", state="a",
             listen="udp:127.0.0.1:1162", **cluster):
        sd = os.path.join(self.dir, state)
        os.makedirs(sd, exist_ok=True)
        cl = {"name": "dc1", "node": node, "heartbeat": "1s",
              "nats": {"servers": ["nats://127.0.0.1:4222"],
                       "user": "mgr", "password": SECRET},
              "spool": {"path": "spool-" + node, "max_size": "10MiB"}}
        cl.update(cluster)
        doc = {"state_dir": sd,
               "control": {"socket": os.path.join(self.dir, sock)},
               "log": {"level": "info"},
               "polls": {"sys": {"get": ["1.3.6.1.2.1.1.3.0"],
                                 "interval": "10s"}},
               "sessions": {"r1": {"host": "127.0.0.1", "polls": ["sys"]}},
               "traps": {"listen": [listen]},
               "cluster": cl}
        path = os.path.join(self.dir, fname)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
        return path, doc

    def check(self, path):
        return subprocess.run([SNMPMGRD, "-t", "-c", path],
                              capture_output=True, text=True, timeout=30)

    def hash_of(self, path):
        r = self.check(path)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"cluster dc1, node (\S+), config hash ([0-9a-f]{16})",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertNotIn(SECRET, r.stdout + r.stderr)
        return m.group(2)

    def test_hash_ignores_per_node_keys(self):
        a, _ = self.conf("a.json")
        b, _ = self.conf("b.json", node="mgr-b", sock="b.sock", state="b",
                         listen="udp:127.0.0.1:2162")
        self.assertEqual(self.hash_of(a), self.hash_of(b))

    def test_hash_follows_the_rest(self):
        a, _ = self.conf("a.json")
        h = self.hash_of(a)
        for change in ({"heartbeat": "2s"}, {"name": "dc2"},
                       {"nats": {"servers": ["nats://127.0.0.1:4223"]}}):
            p, _ = self.conf("c.json", **change)
            r = self.check(p)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn(h, r.stdout, change)
        # a session option too
        p, doc = self.conf("d.json")
        doc["sessions"]["r1"]["port"] = 1161
        with open(p, "w") as f:
            json.dump(doc, f)
        self.assertNotEqual(self.hash_of(p), h)
        # key order and layout do not matter
        p, doc = self.conf("e.json")
        with open(p, "w") as f:
            json.dump(dict(reversed(list(doc.items()))), f)
        self.assertEqual(self.hash_of(p), h)

    def test_bad_values(self):
        cases = [({"heartbeat": "400ms"}, "cluster.heartbeat"),
                 ({"forward_timeout": "50ms"}, "cluster.forward_timeout"),
                 ({"name": "dc.1"}, "cluster.name"),
                 ({"replicas": 9}, "cluster.replicas"),
                 ({"nats": {"servers": ["http://x"]}}, "cluster.nats.servers"),
                 ({"nats": {"servers": ["nats://:4222"]}},
                  "cluster.nats.servers"),
                 ({"nats": {"servers": ["nats://h:70000"]}},
                  "cluster.nats.servers"),
                 ({"nats": {"resolve_interval": "2d"}},
                  "cluster.nats.resolve_interval"),
                 ({"nats": {"user": "u"}}, "user"),
                 ({"nats": {"creds": "/nonexistent/x.creds"}},
                  "cluster.nats.creds"),
                 ({"publish": {"events": ["nosuch"]}}, "nosuch"),
                 ({"streams": {"polls": {"max_age": "1s"}}},
                  "cluster.streams.polls.max_age"),
                 ({"heartbeet": "1s"}, "heartbeat")]
        for change, want in cases:
            p, _ = self.conf("bad.json", **change)
            r = self.check(p)
            self.assertEqual(r.returncode, 1, (change, r.stdout))
            self.assertIn(want, r.stderr, change)
            self.assertNotIn(SECRET, r.stdout + r.stderr)

    def test_ack_after(self):
        p, doc = self.conf("ack.json")
        doc["traps"]["ack_after"] = "cluster"
        for change, want in (({}, None),
                             ({"ack_after": "nats"}, "traps.ack_after"),
                             ({"cluster": None}, "needs a \"cluster\""),
                             ({"publish": False}, "cluster.publish")):
            d = json.loads(json.dumps(doc))
            if "ack_after" in change:
                d["traps"]["ack_after"] = change["ack_after"]
            if "cluster" in change:
                del d["cluster"]
            if "publish" in change:
                d["cluster"]["publish"] = {"traps": False}
            with open(p, "w") as f:
                json.dump(d, f)
            r = self.check(p)
            if want is None:
                self.assertEqual(r.returncode, 0, r.stderr)
            else:
                self.assertEqual(r.returncode, 1, (change, r.stdout))
                self.assertIn(want, r.stderr, change)

    def test_shipped_examples_check(self):
        top = os.environ.get("top_srcdir",
                             os.path.join(os.path.dirname(__file__), ".."))
        ex = os.path.join(top, "etc", "cluster")
        p, doc = self.conf("ex.json")
        with open(os.path.join(ex, "snmpmgrd-cluster.json")) as f:
            doc["cluster"] = json.load(f)["cluster"]
        with open(p, "w") as f:
            json.dump(doc, f)
        self.hash_of(p)
        prog = shutil.which("nats-server")
        if prog is None:
            return
        for i in (1, 2, 3):
            r = subprocess.run([prog, "-c", os.path.join(
                ex, "nats-%d.conf" % i), "-t"], capture_output=True,
                text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_secret_not_quoted_in_syntax_error(self):
        p, _ = self.conf("s.json")
        with open(p) as f:
            text = f.read()
        with open(p, "w") as f:
            f.write(text.replace('"%s"' % SECRET, '"%s" x' % SECRET))
        r = self.check(p)
        self.assertEqual(r.returncode, 1)
        self.assertIn("password", r.stderr)
        self.assertNotIn(SECRET, r.stdout + r.stderr)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NatsServer:
    """nats-server with JetStream on 127.0.0.1 (or host), its own store,
    by PID."""

    def __init__(self, user=None, password=None, name=None,
                 cluster_port=None, routes=(), start=True, tls=None,
                 max_payload=None, conf=None, host="127.0.0.1", port=None):
        self.prog = shutil.which("nats-server")
        if self.prog is None:
            raise unittest.SkipTest("nats-server not installed")
        self.dir = tempfile.mkdtemp(prefix="snmptest-nats-")
        self.host = host
        self.port = port or free_tcp_port()
        self.user, self.password = user, password
        self.tls = tls                    # (cert, key) files
        self.name, self.cluster_port = name, cluster_port
        self.routes = list(routes)
        self.max_payload = max_payload
        self.conf = conf                  # more server config, as text
        self.proc = None
        if start:
            self.start()

    @property
    def url(self):
        return "nats://%s:%d" % (self.host, self.port)

    def start(self):
        args = [self.prog, "-js", "-sd", os.path.join(self.dir, "js"),
                "-a", self.host, "-p", str(self.port)]
        if self.user:
            args += ["--user", self.user, "--pass", self.password]
        if self.max_payload or self.conf:
            conf = os.path.join(self.dir, "server.conf")
            with open(conf, "w") as f:
                if self.max_payload:
                    f.write("max_payload: %d\n" % self.max_payload)
                f.write(self.conf or "")
            args += ["-c", conf]
        if self.tls:
            args += ["--tls", "--tlscert", self.tls[0], "--tlskey",
                     self.tls[1]]
        if self.cluster_port:
            args += ["--name", self.name, "--cluster_name", "snmptest",
                     "--cluster", "nats://127.0.0.1:%d" % self.cluster_port,
                     "--routes", ",".join(self.routes)]
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection((self.host, self.port),
                                              timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class JsReader:
    """The test's own consumer: the JetStream API over a plain NATS
    connection (raw protocol, no client library): stream info, then every
    message by sequence ($JS.API.STREAM.MSG.GET)."""

    def __init__(self, port, user=None, password=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.line()                       # INFO
        auth = {"user": user, "pass": password} if user else {}
        self.sock.sendall(b"CONNECT %s\r\nSUB _INBOX.t 1\r\nPING\r\n" %
                          json.dumps(dict(verbose=False, headers=True,
                                          **auth)).encode())
        while self.line() != b"PONG":
            pass
        self.n = 0

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise ConnectionError("NATS closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def take(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        d, self.buf = self.buf[:n], self.buf[n + 2:]
        return d

    def request(self, subject, body):
        data = json.dumps(body).encode()
        self.sock.sendall(b"PUB %s _INBOX.t %d\r\n%s\r\n"
                          % (subject.encode(), len(data), data))
        while True:
            ln = self.line()
            if ln.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
                continue
            if ln.startswith(b"MSG "):
                return json.loads(self.take(int(ln.split()[-1])))
            if ln.startswith(b"HMSG "):
                raw = self.take(int(ln.split()[-1]))
                return json.loads(raw[int(ln.split()[-2]):])

    def messages(self, stream):
        """[(subject, msg_id, record)] of the whole stream, in order."""
        import base64
        info = self.request("$JS.API.STREAM.INFO." + stream, {})
        st = info["state"]
        out = []
        for seq in range(st["first_seq"], st["last_seq"] + 1):
            r = self.request("$JS.API.STREAM.MSG.GET." + stream,
                             {"seq": seq})
            if "message" not in r:
                continue
            m = r["message"]
            hdrs = base64.b64decode(m.get("hdrs", "")).decode()
            mid = re.search(r"Nats-Msg-Id:\s*(\S+)", hdrs)
            out.append((m["subject"], mid.group(1) if mid else None,
                        json.loads(base64.b64decode(m["data"]))))
        return out

    def close(self):
        self.sock.close()


HB = 0.5        # heartbeat, s
INTERVAL = 1.0  # poll interval, s
NSESS = 30


def node_config(agent, nats, node, password=None, retries=1,
                forward_timeout=None, interval=INTERVAL):
    cl = {"name": "t1", "node": node, "heartbeat": "%dms" % (HB * 1000),
          "nats": {"servers": [nats.url]}}
    if forward_timeout is not None:
        cl["forward_timeout"] = forward_timeout
    if password is not None:
        cl["nats"].update(user="mgr", password=password)
    return {"defaults": {"timeout": "300ms", "retries": retries},
            "polls": {"up": {"get": ["1.3.6.1.2.1.1.3.0"],
                             "interval": "%ds" % interval}},
            "sessions": {"s%02d" % i: agent.target(polls=["up"])
                         for i in range(NSESS)},
            "cluster": cl}


def sessions_of(node):
    return {r["name"]: r for r in node.call("session.list")["sessions"]}


def polled(node):
    """{session: polls_ok} of node."""
    out = {}
    for name, r in sessions_of(node).items():
        out[name] = r.get("responses", 0)
    return out


class ClusterNodes(unittest.TestCase):
    def setUp(self):
        self.agent = snmptest.Snmpd()
        self.addCleanup(self.agent.close)
        self.nodes = []

    def start_node(self, nats, name, **kw):
        d = snmptest.Daemon(node_config(self.agent, nats, name, **kw))
        self.addCleanup(lambda: d.alive() and d.stop())
        return d

    def wait_members(self, node, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = node.call("cluster.members")
            live = [x for x in m["members"] if x["live"]]
            owned = sum(x["sessions"] for x in m["members"])
            if len(live) == n and owned == NSESS:
                return m
            time.sleep(0.2)
        self.fail("%d live members not seen: %r" % (n, m))

    def owners(self, node):
        return {k: r["owner"] for k, r in sessions_of(node).items()}

    def assert_slots_whole(self, slots, nodes):
        """Nothing lost, nothing twice: {session: [slot of each record]}
        holds each slot once, and a slot missing between a session's
        first and last is one a run of it had no result for: a run that
        timed out, or a turn skipped as an overrun, on some node (a slow
        machine may do either; they are counted).  A result lost on its
        way (e.g. dropped by JetStream as a duplicate of a wrongly named
        one) is a gap nothing explains."""
        failed = {}
        for d in nodes:
            for name, r in sessions_of(d).items():
                failed[name] = failed.get(name, 0) + \
                    r.get("timeouts", 0) + r.get("overruns", 0)
        for sess, sl in slots.items():
            self.assertEqual(len(sl), len(set(sl)),
                             "a slot twice in %s: %r" % (sess, sorted(sl)))
            missing = sorted(set(range(min(sl), max(sl) + 1)) - set(sl))
            self.assertLessEqual(len(missing), failed.get(sess, 0),
                                 "gap in %s: slots %r missing, %d runs "
                                 "without a result: %r" % (
                                     sess, missing, failed.get(sess, 0),
                                     sorted(sl)))

    def test_reload_adds_sessions_that_get_owners(self):
        """Sessions a reload adds are shared too, though the members did
        not change: each gets one owner, the same on every node, and is
        polled there only."""
        nats = NatsServer()
        self.addCleanup(nats.close)
        names = ("mgr-a", "mgr-b")
        nodes = [self.start_node(nats, n) for n in names]
        for d in nodes:
            self.wait_members(d, 2)
        time.sleep(3 * HB)
        new = ["s%02d" % i for i in range(NSESS, NSESS + 8)]
        for d in nodes:
            cfg = dict(d.config)
            cfg["sessions"] = dict(cfg["sessions"])
            for n in new:
                cfg["sessions"][n] = self.agent.target(polls=["up"])
            d.write_config(cfg)
            d.call("daemon.reload")
        time.sleep(3 * HB)
        own = [self.owners(d) for d in nodes]
        self.assertEqual(own[0], own[1])
        for n in new:
            self.assertIn(own[0][n], names, n)
        before = [polled(d) for d in nodes]
        time.sleep(3 * INTERVAL + 0.5)
        after = [polled(d) for d in nodes]
        for s in new:
            grew = [names[i] for i in range(2) if after[i][s] > before[i][s]]
            self.assertEqual(grew, [own[0][s]], s)

    def test_reload_keeps_the_cluster_section_in_use(self):
        """The cluster section changes at a restart only: a reload that
        changes it warns once and the node goes on as it was; one that
        changes only sessions (and so the config hash) does not warn."""
        nats = NatsServer()
        self.addCleanup(nats.close)
        d = self.start_node(nats, "mgr-a")
        self.wait_members(d, 1)
        cfg = json.loads(json.dumps(d.config))
        cfg["cluster"]["node"] = "mgr-z"
        cfg["cluster"]["heartbeat"] = "3s"
        d.write_config(cfg)
        r = d.call("daemon.reload")
        self.assertEqual(len(r["warnings"]), 1, r)
        self.assertTrue(r["warnings"][0].startswith("cluster changed:"), r)
        self.assertEqual(d.call("daemon.status")["cluster"]["node"], "mgr-a")
        cfg["cluster"]["node"] = "mgr-a"
        cfg["cluster"]["heartbeat"] = "%dms" % (HB * 1000)
        cfg["sessions"]["extra"] = self.agent.target()
        d.write_config(cfg)
        before = d.call("cluster.members")["config_hash"]
        r = d.call("daemon.reload")
        self.assertEqual((r["added"], r["warnings"]), (["extra"], []), r)
        self.assertEqual(d.log().count("cluster changed"), 1)
        # It announces the hash of the files as now loaded, so nodes
        # given the same files agree however they started.
        now = d.call("cluster.members")["config_hash"]
        self.assertNotEqual(now, before)
        deadline = time.time() + 4 * HB + 5
        while time.time() < deadline:
            me = [m for m in d.call("cluster.members")["members"]
                  if m["node"] == "mgr-a"]
            if me and me[0]["config_hash"] == now:
                break
            time.sleep(0.2)
        self.assertEqual(me[0]["config_hash"], now, me)
        self.assertIs(me[0]["mismatch"], False, me)

    def test_each_session_polled_by_exactly_one_node(self):
        nats = NatsServer()
        self.addCleanup(nats.close)
        nodes = [self.start_node(nats, "mgr-a"),
                 self.start_node(nats, "mgr-b"),
                 self.start_node(nats, "mgr-c", retries=2)]
        for d in nodes:
            self.wait_members(d, 3)
        time.sleep(3 * HB)
        own = [self.owners(d) for d in nodes]
        self.assertEqual(own[0], own[1])
        self.assertEqual(own[0], own[2])
        self.assertEqual(set(own[0]), {"s%02d" % i for i in range(NSESS)})
        share = {n: list(own[0].values()).count(n)
                 for n in ("mgr-a", "mgr-b", "mgr-c")}
        for n, k in share.items():
            self.assertGreater(k, 0, share)
        # Polled by its owner only, over a few intervals.
        t_steady = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        before = [polled(d) for d in nodes]
        time.sleep(3 * INTERVAL + 0.5)
        after = [polled(d) for d in nodes]
        names = ("mgr-a", "mgr-b", "mgr-c")
        for s in own[0]:
            grew = [names[i] for i in range(3)
                    if after[i][s] > before[i][s]]
            self.assertEqual(grew, [own[0][s]], s)
        # The stream: every session's results from its owner only,
        # every record with "node", no Nats-Msg-Id twice.
        time.sleep(2 * HB)
        js = JsReader(nats.port)
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        self.assertGreater(len(msgs), NSESS * 2)
        ids = [m[1] for m in msgs]
        self.assertEqual(len(ids), len(set(ids)), "a Nats-Msg-Id twice")
        by_sess = {}
        for subj, mid, rec in msgs:
            sess = subj.split(".")[3]
            self.assertEqual(subj, "snmpmgrd.t1.poll.%s.up" % sess)
            self.assertTrue(mid.startswith(sess + "/up/"), mid)
            self.assertEqual(rec["session"], sess)
            self.assertIn("varbinds", rec)
            if rec["time"] >= t_steady:
                by_sess.setdefault(sess, set()).add(rec["node"])
        self.assertEqual(set(by_sess), set(own[0]), "union covers all")
        for sess, nodes_seen in by_sess.items():
            self.assertEqual(nodes_seen, {own[0][sess]}, sess)
        st = nodes[0].call("daemon.status")["cluster"]
        self.assertGreater(st["published"], 0)
        # Polls go on: a batch gathering or waiting for its PubAcks
        # counts in spool_depth, so it is 0 between batches, not always.
        deadline = time.time() + 5
        while st["spool_depth"] != 0 and time.time() < deadline:
            time.sleep(0.01)
            st = nodes[0].call("daemon.status")["cluster"]
        self.assertEqual(st["spool_depth"], 0)

        # The table shows OWNER; members show the odd config.
        out = nodes[0].ctl("sessions").stdout
        self.assertIn("OWNER", out.splitlines()[0])
        m = {x["node"]: x for x in nodes[0].call("cluster.members")["members"]}
        self.assertFalse(m["mgr-a"]["mismatch"])
        self.assertFalse(m["mgr-b"]["mismatch"])
        self.assertTrue(m["mgr-c"]["mismatch"])
        self.assertNotEqual(m["mgr-a"]["config_hash"],
                            m["mgr-c"]["config_hash"])
        # ... and say so in the log, once.
        line = ("node mgr-c announces config hash %s, ours is %s: its "
                "configuration files differ from ours"
                % (m["mgr-c"]["config_hash"][:16],
                   m["mgr-a"]["config_hash"][:16]))
        self.assertEqual(nodes[0].log().count(line), 1, nodes[0].log())
        st = nodes[1].call("daemon.status")["cluster"]
        self.assertEqual(st["nats"], "connected")
        self.assertEqual(st["sessions_owned"], share["mgr-b"])
        text = nodes[0].ctl("cluster").stdout
        self.assertIn("mgr-a", text)
        self.assertRegex(text, r"mgr-c .* yes")

        # kill -9 one node: the others take its sessions within
        # 3 heartbeats + 1 interval (SPEC 10), from the kill to the start
        # of the first run of each on another node as that node's clock
        # saw it (a `poll` event's time less its duration), not to when
        # this test got round to asking: a busy machine delays the test's
        # sampling and the agent's answer, neither of which is the
        # takeover.
        gone = nodes[2]
        lost = [s for s, n in own[0].items() if n == "mgr-c"]
        subs = []
        for d in nodes[:2]:
            c = d.connect()
            self.addCleanup(c.close)
            c.call("events.subscribe", {"events": "poll", "sessions": lost})
            subs.append(c)
        t0 = time.time()
        os.kill(gone.pid, signal.SIGKILL)
        gone.proc.wait()
        taken = {}
        deadline = time.monotonic() + 10
        while len(taken) < len(lost) and time.monotonic() < deadline:
            for c in subs:
                try:
                    m = c.read_msg(0.1)
                except TimeoutError:
                    continue
                ev = m.get("params", {})
                if m.get("method") != "event" or ev.get("event") != "poll":
                    continue
                self.assertIn(ev["session"], lost)
                start = (snmptest.event_time(ev) -
                         ev["duration_ms"] / 1000.0)
                taken.setdefault(ev["session"], start - t0)
        self.assertEqual(len(taken), len(lost), taken)
        worst = max(taken.values())
        print("takeover of %d sessions after kill -9: %.2fs (bound %.1fs)"
              % (len(lost), worst, 3 * HB + INTERVAL), file=sys.stderr)
        # 0.01 s: the event's time and duration are in milliseconds.
        self.assertLess(worst, 3 * HB + INTERVAL + 0.01)
        own2 = self.owners(nodes[0])
        for s, n in own[0].items():
            if n != "mgr-c":
                self.assertEqual(own2[s], n, "only the dead node's share "
                                 "moves")

    def test_forward_to_owner(self):
        """A request for a session another node owns is answered by the
        owner over NATS; an owner that does not answer is error 396; once
        its lease ends the session is answered where it moved."""
        nats = NatsServer()
        self.addCleanup(nats.close)
        a = self.start_node(nats, "mgr-a", forward_timeout="400ms")
        b = self.start_node(nats, "mgr-b", forward_timeout="400ms")
        self.wait_members(a, 2)
        self.wait_members(b, 2)
        time.sleep(3 * HB)
        own = self.owners(a)
        self.assertEqual(own, self.owners(b))
        sb = sorted(s for s, n in own.items() if n == "mgr-b")[0]
        sa = sorted(s for s, n in own.items() if n == "mgr-a")[0]
        # a does not poll sb (it may have, before b joined): what a
        # answers is b's.
        local = polled(a)[sb]
        time.sleep(2 * INTERVAL + 0.3)
        self.assertEqual(polled(a)[sb], local)
        ra = a.call("poll.results", {"session": sb})["polls"][0]
        rb = b.call("poll.results", {"session": sb})["polls"][0]
        self.assertGreater(ra["runs"], local + 1)
        self.assertIsNotNone(ra["time"])
        self.assertTrue(ra["varbinds"])
        self.assertLessEqual(abs(rb["runs"] - ra["runs"]), 1)
        v = a.call("poll.value", {"session": sb,
                                  "oid": "1.3.6.1.2.1.1.3.0"})
        self.assertEqual((v["session"], v["poll"]), (sb, "up"))
        show = a.call("session.show", {"session": sb})
        self.assertGreater(show["state"]["polls_ok"], 0)
        run = a.call("poll.run", {"session": sb})["polls"][0]
        self.assertGreater(run["runs"], rb["runs"])
        # errors come back as the owner's, with their numbers
        with self.assertRaises(snmptest.RpcError) as e:
            a.call("poll.value", {"session": sb, "oid": "1.3.6.1.4.1.9.9"})
        self.assertEqual(e.exception.code, 322)
        with self.assertRaises(snmptest.RpcError) as e:
            a.call("poll.results", {"session": sb, "poll": "nosuch"})
        self.assertEqual(e.exception.code, -32602)
        # poll.reset goes to the owner, where the values are
        fa = a.call("daemon.status")["cluster"]["forwarded"]
        fb = b.call("daemon.status")["cluster"]["served"]
        self.assertEqual(a.call("poll.reset", {"session": sb}),
                         {"session": sb, "reset": True})
        self.assertEqual(a.call("daemon.status")["cluster"]["forwarded"],
                         fa + 1)
        self.assertEqual(b.call("daemon.status")["cluster"]["served"],
                         fb + 1)
        # its own sessions a answers itself
        self.assertGreater(a.call("poll.results", {"session": sa})[
            "polls"][0]["runs"], 0)
        sta = a.call("daemon.status")["cluster"]
        stb = b.call("daemon.status")["cluster"]
        self.assertGreaterEqual(sta["forwarded"], 6)
        self.assertGreaterEqual(stb["served"], 6)
        self.assertEqual(sta["forward_errors"], 0)
        # The owner stops answering (SIGSTOP): error 396 after the
        # forward timeout, and the loop of a is not held meanwhile: a
        # daemon.status asked while the forward waits is answered while
        # it still waits (the forward sent, not yet failed), which a
        # loop held by the forward could only answer after its end,
        # however fast or slow this machine is.
        os.kill(b.pid, signal.SIGSTOP)
        slow = a.connect()
        self.addCleanup(slow.close)
        c2 = a.connect()
        self.addCleanup(c2.close)
        st0 = c2.call("daemon.status")["cluster"]
        out = {}

        def ask():
            t0 = time.time()
            try:
                slow.call("poll.results", {"session": sb}, timeout=10)
            except snmptest.RpcError as x:
                out["err"] = x
            out["t"] = time.time() - t0
        th = threading.Thread(target=ask)
        th.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = c2.call("daemon.status")["cluster"]
            if (st["forwarded"], st["forward_errors"]) != (
                    st0["forwarded"], st0["forward_errors"]):
                break
            time.sleep(0.01)
        self.assertEqual(st["forwarded"], st0["forwarded"] + 1, st)
        self.assertEqual(st["forward_errors"], st0["forward_errors"],
                         "daemon.status was answered only after the "
                         "forward ended")
        th.join(10)
        err = out["err"]
        self.assertEqual(err.code, 396)
        self.assertEqual(err.message, "owner node did not answer")
        self.assertEqual(err.data["node"], "mgr-b")
        self.assertIn("no answer within 400 ms", err.data["detail"])
        self.assertGreaterEqual(out["t"], 0.35)
        self.assertLess(out["t"], 1.5)
        os.kill(b.pid, signal.SIGCONT)
        self.wait_members(a, 2)
        time.sleep(3 * HB)
        sb = sorted(s for s, n in self.owners(a).items() if n == "mgr-b")[0]
        # Killed: nobody listens for it any more.
        t0 = time.time()
        os.kill(b.pid, signal.SIGKILL)
        b.proc.wait()
        time.sleep(0.1)
        with self.assertRaises(snmptest.RpcError) as e:
            a.call("poll.results", {"session": sb})
        self.assertEqual(e.exception.code, 396)
        self.assertIn("mgr-b", e.exception.data["detail"])
        # ... until the session moves to a, which then answers itself.
        deadline = t0 + 3 * HB + INTERVAL + 3
        moved = None
        while time.time() < deadline:
            try:
                r = a.call("poll.results", {"session": sb})["polls"][0]
            except snmptest.RpcError as x:
                self.assertEqual(x.code, 396)
                time.sleep(0.1)
                continue
            if polled(a)[sb] > 0:
                moved = r
                break
            time.sleep(0.1)
        self.assertIsNotNone(moved, "session never moved to mgr-a")
        self.assertEqual(self.owners(a)[sb], "mgr-a")
        self.assertTrue(a.alive())

    def test_takeover_polls_at_once(self):
        """Sessions taken from a node that died are polled as soon as
        they are taken (its lease ended), not at their next point of a
        long interval."""
        nats = NatsServer()
        self.addCleanup(nats.close)
        a = self.start_node(nats, "mgr-a", interval=20)
        b = self.start_node(nats, "mgr-b", interval=20)
        self.wait_members(a, 2)
        self.wait_members(b, 2)
        time.sleep(3 * HB)
        own = self.owners(a)
        lost = [s for s, n in own.items() if n == "mgr-b"]
        self.assertTrue(lost)
        base = polled(a)
        t0 = time.time()
        os.kill(b.pid, signal.SIGKILL)
        b.proc.wait()
        taken = {}
        while time.time() - t0 < 10 and len(taken) < len(lost):
            now = polled(a)
            for s in lost:
                if s not in taken and now[s] > base[s]:
                    taken[s] = time.time() - t0
            time.sleep(0.1)
        self.assertEqual(len(taken), len(lost), taken)
        worst = max(taken.values())
        print("takeover of %d sessions polled every 20 s: %.2fs"
              % (len(lost), worst), file=sys.stderr)
        # the lease ends within 3 heartbeats; then one poll's time and
        # this test's sampling, far from the 20 s of the interval
        self.assertLess(worst, 3 * HB + 1.0)
        # one catch-up run each, then their own points again (at most
        # one of those in this short while)
        time.sleep(1.0)
        again = polled(a)
        self.assertTrue(all(1 <= again[s] - base[s] <= 2 for s in lost),
                        {s: again[s] - base[s] for s in lost})

    def test_bad_credentials_standalone(self):
        nats = NatsServer(user="mgr", password="right-pw")
        self.addCleanup(nats.close)
        d = self.start_node(nats, "mgr-a", password="wrong-pw-123")
        deadline = time.time() + 10
        while time.time() < deadline and "uthoriz" not in d.log():
            time.sleep(0.2)
        self.assertRegex(d.log(), r"cluster t1: NATS: cannot connect: "
                         r".*[Aa]uthorization")
        self.assertNotIn("wrong-pw-123", d.log())
        st = d.call("daemon.status")["cluster"]
        self.assertNotEqual(st["nats"], "connected")
        self.assertTrue(st["standalone"])
        self.assertEqual(st["sessions_owned"], NSESS)
        before = polled(d)
        time.sleep(INTERVAL * 2 + 0.5)
        after = polled(d)
        self.assertTrue(all(after[s] > before[s] for s in before))
        self.assertTrue(d.alive())

    def assert_publishes(self, d):
        """d, alone in its cluster, has every session's results
        acknowledged by JetStream twice over, without an error."""
        self.wait_members(d, 1)
        deadline = time.time() + 15
        while True:
            st = d.call("daemon.status")["cluster"]
            if st["published"] >= 2 * NSESS or time.time() >= deadline:
                break
            time.sleep(0.2)
        self.assertEqual(st["nats"], "connected")
        self.assertGreaterEqual(st["published"], 2 * NSESS, d.log())
        self.assertEqual(st["publish_errors"], 0)

    def test_password_publishes(self):
        """Records go out on the publishing thread's own connection (the
        lean client of cluster_wire.c), which logs in with the user and
        password as the node's libnats connection does."""
        nats = NatsServer(user="mgr", password="right-pw-456")
        self.addCleanup(nats.close)
        d = self.start_node(nats, "mgr-a", password="right-pw-456")
        self.assert_publishes(d)
        js = JsReader(nats.port, user="mgr", password="right-pw-456")
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        self.assertEqual({rec["session"] for _, _, rec in msgs},
                         {"s%02d" % i for i in range(NSESS)})
        self.assertTrue(all(rec["node"] == "mgr-a" for _, _, rec in msgs))
        self.assertNotIn("right-pw-456", d.log())

    def test_record_longer_than_max_payload_is_dropped(self):
        """A record the server would refuse (longer than its
        max_payload) is dropped, counted and logged; it does not end the
        publishing connection at every try and hold back the records
        after it."""
        nats = NatsServer(max_payload=2048)
        self.addCleanup(nats.close)
        cfg = node_config(self.agent, nats, "mgr-a")
        cfg["polls"]["big"] = {"walk": ["1.3.6.1.2.1.2"],
                               "interval": "%ds" % INTERVAL}
        cfg["sessions"]["s00"]["polls"] = ["up", "big"]
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        self.assert_publishes(d)
        deadline = time.time() + 10
        while time.time() < deadline:
            st = d.call("daemon.status")["cluster"]
            if st["dropped"] >= 2:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(st["dropped"], 2, d.log())
        self.assertEqual(st["publish_errors"], 0)
        self.assertIn("longer than the NATS server takes", d.log())
        self.assertNotIn("publishing: connection lost", d.log())

    def test_tls_publishes(self):
        """Over TLS both connections check the server's certificate
        against cluster.nats.tls.ca: the node's (libnats) and the
        publishing thread's (cluster_wire.c, OpenSSL)."""
        tdir = tempfile.mkdtemp(prefix="snmptest-natstls-")
        self.addCleanup(shutil.rmtree, tdir, True)
        cert, key = os.path.join(tdir, "c.pem"), os.path.join(tdir, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
        nats = NatsServer(tls=(cert, key))
        self.addCleanup(nats.close)
        cfg = node_config(self.agent, nats, "mgr-a")
        cfg["cluster"]["nats"]["tls"] = {"ca": cert}
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        self.assert_publishes(d)

    def test_nats_away_keeps_sessions(self):
        nats = NatsServer()
        self.addCleanup(nats.close)
        a = self.start_node(nats, "mgr-a")
        b = self.start_node(nats, "mgr-b")
        self.wait_members(a, 2)
        self.wait_members(b, 2)
        time.sleep(3 * HB)
        own = self.owners(a)
        t_steady = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        nats.stop()
        time.sleep(6 * HB)
        for d in (a, b):
            self.assertTrue(d.alive())
            self.assertEqual(self.owners(d), own)
            self.assertNotEqual(d.call("daemon.status")["cluster"]["nats"],
                                "connected")
        before = [polled(a), polled(b)]
        time.sleep(2 * INTERVAL + 0.5)
        after = [polled(a), polled(b)]
        for s, n in own.items():
            i = 0 if n == "mgr-a" else 1
            self.assertGreater(after[i][s], before[i][s], s)
        queued = a.call("daemon.status")["cluster"]["spool_depth"]
        self.assertGreater(queued, 0, "results kept while NATS is away")
        nats.start()
        # Polls go on: spool_depth counts a batch gathering or in flight,
        # so it is 0 between batches; the reading that saw it is checked.
        deadline = time.time() + 15
        while True:
            st = a.call("daemon.status")["cluster"]
            stb = b.call("daemon.status")["cluster"]
            if time.time() >= deadline or (st["spool_depth"] == 0 and
                                           stb["spool_depth"] == 0):
                break
            time.sleep(0.05)
        self.assertEqual(st["nats"], "connected")
        self.assertEqual(st["spool_depth"], 0)
        self.assertEqual(st["dropped"], 0)
        # Nothing lost, nothing twice: every run slot of every session
        # from the first to the last is in the stream once, but for runs
        # that had no result.
        time.sleep(HB)
        js = JsReader(nats.port)
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        ids = [m[1] for m in msgs]
        self.assertEqual(len(ids), len(set(ids)), "a Nats-Msg-Id twice")
        slots, per_node = {}, {}
        for subj, mid, rec in msgs:
            slots.setdefault(rec["session"], []).append(rec["slot"])
            if rec["time"] >= t_steady:
                per_node.setdefault((rec["session"], rec["node"]),
                                    []).append(rec["slot"])
        self.assertEqual(set(slots), set(own))
        for key, sl in per_node.items():
            self.assertEqual(sl, sorted(sl), "order of %r" % (key,))
        # no gap across the outage (and no slot twice)
        self.assert_slots_whole(slots, (a, b))
        for sess in slots:
            # and only its owner published it
            self.assertEqual({k[1] for k in per_node if k[0] == sess},
                             {own[sess]}, sess)


    def test_late_answers_keep_their_slots(self):
        """A result is named by the wall-clock slot its run started in:
        with answers held back 0.6 of an interval on some runs of each
        session and not on others,
        every session's slots in the stream run on without a gap.  Named
        by when the answer came, a late one took the next run's slot and
        JetStream dropped that run's result as a duplicate (a gap)."""
        from fakeagent import FakeAgent
        nats = NatsServer()
        self.addCleanup(nats.close)
        fa = FakeAgent()
        self.addCleanup(fa.close)
        # Seven long: each second's 30 requests shift through it, so each
        # session's answers come late on some runs and not on others.
        fa.delays = [0, 0.6 * INTERVAL] * 3 + [0.6 * INTERVAL]
        cfg = node_config(self.agent, nats, "mgr-a")
        cfg["sessions"] = {"s%02d" % i: fa.target(polls=["up"],
                                                  timeout="2s")
                           for i in range(NSESS)}
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        self.wait_members(d, 1)
        time.sleep(6 * INTERVAL + 0.7)
        js = JsReader(nats.port)
        self.addCleanup(js.close)
        slots = {}
        for subj, mid, rec in js.messages("SNMPMGRD_t1_POLLS"):
            slots.setdefault(rec["session"], []).append(rec["slot"])
        self.assertEqual(set(slots), set(cfg["sessions"]))
        self.assertGreater(fa.requests, 3 * NSESS)
        for sess, sl in slots.items():
            self.assertGreaterEqual(len(sl), 3, sess)
        self.assert_slots_whole(slots, (d,))

class ThreeNatsServers(unittest.TestCase):
    def test_r3_streams_survive_one_server(self):
        cports = [free_tcp_port() for _ in range(3)]
        routes = ["nats://127.0.0.1:%d" % p for p in cports]
        servers = []
        for i in range(3):
            n = NatsServer(name="n%d" % i, cluster_port=cports[i],
                           routes=[r for j, r in enumerate(routes) if j != i],
                           start=False)
            self.addCleanup(n.close)
            servers.append(n)
        for n in servers:
            n.start()
        agent = snmptest.Snmpd()
        self.addCleanup(agent.close)
        nodes = []
        for i, name in enumerate(("mgr-a", "mgr-b")):
            cfg = node_config(agent, servers[i], name)
            cfg["cluster"]["replicas"] = 3
            cfg["cluster"]["nats"]["servers"] = [
                servers[i].url, servers[(i + 1) % 3].url]
            d = snmptest.Daemon(cfg)
            self.addCleanup(lambda d=d: d.alive() and d.stop())
            nodes.append(d)
        deadline = time.time() + 30
        while time.time() < deadline:
            m = [d.call("cluster.members") for d in nodes]
            if all(len([x for x in mm["members"] if x["live"]]) == 2 and
                   sum(x["sessions"] for x in mm["members"]) == NSESS
                   for mm in m):
                break
            time.sleep(0.3)
        else:
            self.fail("members not seen: %r\n%s" % (m, nodes[0].log()))
        time.sleep(3 * HB)
        own = {k: r["owner"] for k, r in sessions_of(nodes[0]).items()}
        t_steady = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        servers[2].stop()
        time.sleep(4 * INTERVAL)
        # A node on the stopped server reconnects to another; JetStream
        # elects new leaders; what waited meanwhile is published.
        deadline = time.time() + 20
        while time.time() < deadline:
            st = [d.call("daemon.status")["cluster"] for d in nodes]
            if all(x["nats"] == "connected" and x["spool_depth"] == 0
                   for x in st):
                break
            time.sleep(0.3)
        else:
            self.fail("not back: %r" % st)
        js = JsReader(servers[0].port)
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        ids = [m[1] for m in msgs]
        self.assertEqual(len(ids), len(set(ids)))
        slots = {}
        for subj, mid, rec in msgs:
            # (while a node is cut off, another may take its sessions
            # too: JetStream keeps one copy of each slot)
            if rec["time"] >= t_steady:
                slots.setdefault(rec["session"], []).append(rec["slot"])
        self.assertEqual(set(slots), set(own))
        for sess, sl in slots.items():
            # two nodes' records may interleave; none missing, none twice
            sl = sorted(sl)
            self.assertGreaterEqual(len(sl), 3, sess)
            self.assertEqual(sl, list(range(sl[0], sl[0] + len(sl))),
                             "lost a result of %s: %r" % (sess, sl))


class ClusterTraps(unittest.TestCase):
    def test_traps_published_in_order_across_an_outage(self):
        if snmptest.find_program("snmptrap") is None:
            self.skipTest("snmptrap not installed")
        nats = NatsServer()
        self.addCleanup(nats.close)
        port = snmptest.free_udp_port()
        d = snmptest.Daemon({
            "traps": {"listen": ["udp:127.0.0.1:%d" % port],
                      "communities": ["s3cret-comm"]},
            "cluster": {"name": "t1", "node": "mgr-t", "heartbeat": "500ms",
                        "nats": {"servers": [nats.url]}}})
        self.addCleanup(lambda: d.alive() and d.stop())

        def send(i):
            r = snmptest.net_snmp_run(
                "snmptrap", "-v2c", "-c", "s3cret-comm",
                "127.0.0.1:%d" % port, "", "1.3.6.1.6.3.1.1.5.1",
                "1.3.6.1.2.1.1.5.0", "s", "trap-%d" % i, opts=())
            self.assertEqual(r.returncode, 0, r.stderr)

        def depth():
            return d.call("daemon.status")["cluster"]["spool_depth"]

        deadline = time.time() + 10
        while time.time() < deadline and d.call("daemon.status")[
                "cluster"]["nats"] != "connected":
            time.sleep(0.1)
        for i in range(5):
            send(i)
        nats.stop()
        time.sleep(HB)
        for i in range(5, 15):
            send(i)
            time.sleep(0.1)
        self.assertGreater(depth(), 0)
        nats.start()
        deadline = time.time() + 15
        while time.time() < deadline and depth() > 0:
            time.sleep(0.2)
        self.assertEqual(depth(), 0)
        js = JsReader(nats.port)
        self.addCleanup(js.close)
        msgs = js.messages("SNMPMGRD_t1_TRAPS")
        texts = []
        for subj, mid, rec in msgs:
            self.assertEqual(subj, "snmpmgrd.t1.trap.127_0_0_1")
            self.assertEqual(rec["node"], "mgr-t")
            self.assertRegex(mid, r"^\d+-%d/mgr-t$" % rec["seq"])
            self.assertNotIn("community", rec)
            self.assertNotIn("s3cret-comm", json.dumps(rec))
            texts.append([v for v in rec["varbinds"]
                          if v["oid"] == "1.3.6.1.2.1.1.5.0"][0]["value"])
        self.assertEqual(texts, ["trap-%d" % i for i in range(15)],
                         "every trap once, in order")


class ClusterSpool(unittest.TestCase):
    """The on-disk spool: records kept across a restart while NATS is
    away, published in order and once; full: oldest dropped; a corrupt or
    cut-short file reported and skipped."""

    def setUp(self):
        if snmptest.find_program("snmptrap") is None:
            self.skipTest("snmptrap not installed")
        self.nats = NatsServer()
        self.addCleanup(self.nats.close)
        self.port = snmptest.free_udp_port()

    def daemon(self, max_size="10MiB", agent=None, heartbeat="500ms"):
        cfg = {"traps": {"listen": ["udp:127.0.0.1:%d" % self.port],
                         "communities": ["s3cret-comm"]},
               "cluster": {"name": "t1", "node": "mgr-s",
                           "heartbeat": heartbeat,
                           "nats": {"servers": [self.nats.url]},
                           "spool": {"path": "sp", "max_size": max_size}}}
        if agent is not None:
            cfg["polls"] = {"up": {"get": ["1.3.6.1.2.1.1.3.0"],
                                   "interval": "1s"}}
            cfg["sessions"] = {"s%d" % i: agent.target(polls=["up"])
                               for i in range(3)}
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        self.spool_dir = os.path.join(d.dir, "state", "sp")
        return d

    def send(self, i):
        r = snmptest.net_snmp_run(
            "snmptrap", "-v2c", "-c", "s3cret-comm",
            "127.0.0.1:%d" % self.port, "", "1.3.6.1.6.3.1.1.5.1",
            "1.3.6.1.2.1.1.5.0", "s", "trap-%d" % i, opts=())
        self.assertEqual(r.returncode, 0, r.stderr)

    def status(self, d):
        return d.call("daemon.status")["cluster"]

    def wait(self, cond, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return True
            time.sleep(0.2)
        return False

    def nats_away(self, d):
        """d reaches NATS, then NATS stops and d sees it go."""
        self.assertTrue(self.wait(
            lambda: self.status(d)["nats"] == "connected"))
        self.nats.stop()
        self.assertTrue(self.wait(
            lambda: self.status(d)["nats"] != "connected"))

    def texts(self):
        js = JsReader(self.nats.port)
        self.addCleanup(js.close)
        out = []
        for subj, mid, rec in js.messages("SNMPMGRD_t1_TRAPS"):
            self.assertNotIn("s3cret-comm", json.dumps(rec))
            out.append([v for v in rec["varbinds"]
                        if v["oid"] == "1.3.6.1.2.1.1.5.0"][0]["value"])
        return out

    def spool_bytes(self):
        data = b""
        for f in sorted(os.listdir(self.spool_dir)):
            with open(os.path.join(self.spool_dir, f), "rb") as fh:
                data += fh.read()
        return data

    def test_spool_survives_a_restart(self):
        agent = snmptest.Snmpd()
        self.addCleanup(agent.close)
        d = self.daemon(agent=agent)
        self.assertTrue(self.wait(
            lambda: self.status(d)["nats"] == "connected"))
        for i in range(3):
            self.send(i)
        self.nats.stop()
        self.assertTrue(self.wait(
            lambda: self.status(d)["nats"] != "connected"))
        for i in range(3, 10):
            self.send(i)
            time.sleep(0.05)
        # Polls go on meanwhile: the 7 traps and some of their results
        # reach the disk.
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool"]["disk_records"] > 7 and
            b"trap-9" in self.spool_bytes()), self.status(d))
        st = self.status(d)
        self.assertTrue(st["spool"]["disk"])
        # published records only: no community, no key on disk
        raw = self.spool_bytes()
        self.assertIn(b"trap-9", raw)
        self.assertNotIn(b"s3cret-comm", raw)
        self.assertNotIn(agent.community.encode() if agent.community
                         else b"\"community\"", raw)
        # restart while NATS is still down: the spool is kept
        d.stop()
        d.start()
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool"]["disk_records"] > 0))
        for i in range(10, 15):
            self.send(i)
            time.sleep(0.05)
        # Those too on the disk, behind what was kept.
        self.assertTrue(self.wait(lambda: b"trap-14" in self.spool_bytes()),
                        self.status(d))
        self.assertNotEqual(self.status(d)["nats"], "connected")
        self.nats.start()
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool_depth"] == 0 and
            self.status(d)["nats"] == "connected"), self.status(d))
        st = self.status(d)
        self.assertEqual(st["dropped"], 0)
        self.assertGreater(st["spool"]["replayed"], 0)
        self.assertEqual(self.texts(), ["trap-%d" % i for i in range(15)],
                         "every trap once, in order, across the restart")
        js = JsReader(self.nats.port)
        self.addCleanup(js.close)

        def slots():
            """{session: [the slot of each of its results published]}"""
            out = {}
            for subj, mid, rec in js.messages("SNMPMGRD_t1_POLLS"):
                out.setdefault(rec["session"], []).append(rec["slot"])
            return out
        # Enough of each session's results to tell their order: the
        # polls go on, so wait for them rather than count on a busy
        # machine having run them in the time the steps above took.
        self.assertTrue(self.wait(lambda: sorted(
            min(len(sl), 3) for sl in slots().values()) == [3, 3, 3]),
            slots())
        msgs = js.messages("SNMPMGRD_t1_POLLS")
        ids = [m[1] for m in msgs]
        self.assertEqual(len(ids), len(set(ids)), "a result twice")
        sl = slots()
        self.assertEqual(set(sl), {"s0", "s1", "s2"})
        for sess in sl:
            self.assertEqual(sl[sess], sorted(sl[sess]), "order of %s" % sess)

    def test_replay_starts_when_nats_is_back(self):
        # The publishing thread waits a heartbeat between its rounds when
        # nothing comes; NATS coming back wakes it, so the spool is
        # published at once, not up to a heartbeat later (which made
        # bench/spool.py's replay rate two-valued).
        # a heartbeat of a minute: replay waiting for the next one
        # would miss the 4 s bound nearly always
        d = self.daemon(heartbeat="1m")
        self.nats_away(d)
        for i in range(5):
            self.send(i)
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool"]["disk_records"] == 5 and
            self.status(d)["spool"]["memory_records"] == 0),
            self.status(d))
        self.nats.start()
        self.assertTrue(self.wait(
            lambda: self.status(d)["nats"] == "connected"))
        t0 = time.time()
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool_depth"] == 0, 4),
            "spool not published within 4 s of NATS being back "
            "(heartbeat 1 min): %r" % self.status(d))
        self.assertLess(time.time() - t0, 4)
        self.assertEqual(self.texts(), ["trap-%d" % i for i in range(5)])

    def test_full_spool_drops_oldest_and_bad_files_are_skipped(self):
        d = self.daemon(max_size="64KiB")
        self.nats_away(d)
        n = 220
        for i in range(n):
            self.send(i)
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool"]["memory_records"] == 0))
        st = self.status(d)["spool"]
        self.assertGreater(st["dropped"], 0, st)
        self.assertLessEqual(st["disk_bytes"], 65536)
        d.stop()
        segs = sorted(f for f in os.listdir(self.spool_dir)
                      if f.endswith(".spool"))
        self.assertGreater(len(segs), 3, segs)
        # the oldest file cut short, the newest with garbage at its end
        first = os.path.join(self.spool_dir, segs[0])
        size = os.path.getsize(first)
        with open(first, "r+b") as f:
            f.truncate(size - 7)
        with open(os.path.join(self.spool_dir, segs[-1]), "ab") as f:
            f.write(b"SPL1" + b"\xff" * 16 + b"garbage")
        d.start()
        self.nats.start()
        self.assertTrue(self.wait(
            lambda: self.status(d)["spool_depth"] == 0 and
            self.status(d)["nats"] == "connected"), self.status(d))
        self.assertTrue(d.alive())
        log = d.log()
        self.assertIn("cut short", log)
        self.assertIn("not a record", log)
        self.assertGreaterEqual(self.status(d)["spool"]["corrupt"], 2)
        got = [int(t.split("-")[1]) for t in self.texts()]
        self.assertEqual(got, sorted(got), "in order")
        self.assertEqual(len(got), len(set(got)), "once")
        self.assertNotIn(0, got, "the oldest were dropped")
        self.assertEqual(got[-1], n - 1, "the newest kept")
        # one record lost with the cut, the rest from there on
        self.assertEqual(len(set(range(got[0], n)) - set(got)), 1, got)


class ClusterInforms(unittest.TestCase):
    """traps.ack_after "cluster": an inform is acknowledged only once
    JetStream stored it."""

    def setUp(self):
        self.prog = snmptest.find_program("snmpinform")
        if self.prog is None:
            self.skipTest("snmpinform not installed")
        self.nats = NatsServer()
        self.addCleanup(self.nats.close)
        self.port = snmptest.free_udp_port()
        self.d = snmptest.Daemon({
            "traps": {"listen": ["udp:127.0.0.1:%d" % self.port],
                      "communities": ["s3cret-comm"],
                      "ack_after": "cluster"},
            "cluster": {"name": "t1", "node": "mgr-i", "heartbeat": "500ms",
                        "nats": {"servers": [self.nats.url]}}})
        self.addCleanup(lambda: self.d.alive() and self.d.stop())
        deadline = time.time() + 10
        while time.time() < deadline and self.d.call("daemon.status")[
                "cluster"]["nats"] != "connected":
            time.sleep(0.1)

    def inform(self, text, timeout=1, retries=0):
        return subprocess.Popen(
            [self.prog, "-v2c", "-c", "s3cret-comm", "-t", str(timeout),
             "-r", str(retries), "127.0.0.1:%d" % self.port, "",
             "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.2.1.1.5.0", "s", text],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=snmptest._client_env())

    def texts(self):
        js = JsReader(self.nats.port)
        self.addCleanup(js.close)
        out = []
        for subj, mid, rec in js.messages("SNMPMGRD_t1_TRAPS"):
            self.assertEqual(rec["type"], "inform")
            self.assertTrue(mid.startswith("mgr-i/inform/127_0_0_1/"), mid)
            out.append([v for v in rec["varbinds"]
                        if v["oid"] == "1.3.6.1.2.1.1.5.0"][0]["value"])
        return out

    def stop_nats(self):
        """Stop the NATS server; return once the node has seen it go."""
        self.nats.stop()
        deadline = time.time() + 10
        while time.time() < deadline and self.d.call("daemon.status")[
                "cluster"]["nats"] == "connected":
            time.sleep(0.1)

    def test_acknowledged_informs_survive_kill_9(self):
        n = 20
        for i in range(n):
            p = self.inform("inf-%d" % i, timeout=3, retries=1)
            self.assertEqual(p.wait(30), 0, "inform %d acknowledged" % i)
        os.kill(self.d.proc.pid, signal.SIGKILL)
        self.d.proc.wait()
        self.assertEqual(self.texts(), ["inf-%d" % i for i in range(n)])

    def test_not_acknowledged_while_nats_is_away(self):
        self.stop_nats()
        # one sender gives up: never acknowledged
        p1 = self.inform("lost-ack", timeout=1, retries=1)
        self.assertNotEqual(p1.wait(30), 0, "acknowledged without NATS")
        # another retransmits until NATS is back, then is acknowledged
        p2 = self.inform("late-ack", timeout=1, retries=12)
        time.sleep(2.5)
        self.assertIsNone(p2.poll(), "acknowledged without NATS")
        self.nats.start()
        self.assertEqual(p2.wait(30), 0, "acknowledged once stored")
        st = self.d.call("daemon.status")
        self.assertGreaterEqual(st["cluster"]["informs_confirmed"],
                                1)
        # every transmission journaled and published; JetStream keeps one
        # of each inform (same Nats-Msg-Id for its retransmissions)
        self.assertEqual(sorted(self.texts()), ["late-ack", "lost-ack"])
        # The acknowledgements JetStream never confirmed go after 30 s
        # even with no inform after them, and acks.waiting says so.
        deadline = time.time() + 45
        while time.time() < deadline:
            acks = self.d.call("trap.stats")["acks"]
            if acks["waiting"] == 0:
                break
            time.sleep(0.5)
        self.assertEqual(acks["waiting"], 0, acks)
        self.assertGreater(acks["dropped"], 0, acks)

    def test_reload_to_journal_answers_what_waited_for_nats(self):
        # Informs waiting for JetStream while NATS is away; a reload to
        # ack_after "journal" answers them (they are journaled), and the
        # queue does not keep them for good.
        self.stop_nats()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(u.close)
        u.settimeout(10)
        for i in range(3):
            u.sendto(v2c_trap(500 + i, "1.3.6.1.4.1.99999.77.%d" % i,
                              community=b"s3cret-comm", pdu_type=0xA6),
                     ("127.0.0.1", self.port))
        deadline = time.time() + 10
        while time.time() < deadline and \
                self.d.call("trap.stats")["acks"]["waiting"] < 3:
            time.sleep(0.1)
        self.assertEqual(self.d.call("trap.stats")["acks"]["waiting"], 3)
        cfg = json.loads(json.dumps(self.d.config))
        cfg["traps"]["ack_after"] = "journal"
        self.d.write_config(cfg)
        self.assertNotIn("error", self.d.rpc("daemon.reload"))
        got = sorted(reqid_of(u.recv(65536)) for _ in range(3))
        self.assertEqual(got, [500, 501, 502])
        self.assertEqual(self.d.call("trap.stats")["acks"]["waiting"], 0)


if __name__ == "__main__":
    if not os.access(SNMPMGRD, os.X_OK):
        print("snmpmgrd not built; skipping")
        sys.exit(77)
    if not have_nats():
        print("built without libnats; skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
