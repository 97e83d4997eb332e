#!/usr/bin/env python3
"""test_http - issue 12, the Prometheus endpoint: the "http" config, /metrics
and /probe, checked with real peers on loopback.

A Net-SNMP snmpd (with a `pass` script serving Counter64 values past 2^53
and strings that are not UTF-8 text) is polled by snmpmgrd; a real
`prometheus` server started here (free port, own data directory, stopped
by PID) scrapes /metrics and /probe, and the test reads the series back
through Prometheus' HTTP API.  `promtool check metrics` must find no parse
error in the exposition (its lint notes about camelCase MIB names are
expected).  Hostile clients (slowloris, huge heads, 1,000 connections) run
while a 200 ms poll keeps its schedule.

MIB files as test_mib.py gets them (npm pack net-snmp; skipped without).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon, Snmpd, net_snmp  # noqa: E402
from test_mib import NET_SNMP_MIBS, mib_cache  # noqa: E402
from test_poll import wait_for  # noqa: E402

BASE = "1.3.6.1.4.1.8072.9999.9999.77"
PASS_SCRIPT = r'''#!/usr/bin/env python3
import sys
BASE = ".%s"
VALS = [("1.0", "counter64", "18446744073709551615"),
        ("2.0", "counter64", "9007199254740993"),
        ("3.0", "octet", "FF 0A 22 5C 41"),
        ("4.0", "octet", "68 C3 A9 6C 6C 6F")]
def key(s): return tuple(int(x) for x in s.strip(".").split("."))
mode, oid = sys.argv[1], sys.argv[2]
for o, t, v in [(BASE + "." + s, t, v) for s, t, v in VALS]:
    if (mode == "-g" and o == oid) or (mode == "-n" and key(o) > key(oid)):
        print(o); print(t); print(v); break
''' % BASE

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_tcp_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n"
                  else m.group(1), v)


def parse(text):
    """{(name, frozenset(labels)): value-text} and the TYPE lines."""
    out, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, "second TYPE line for " + name
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "bad sample line: %r" % line
        labels = {k: unescape(v) for k, v in LABEL.findall(m.group(3) or "")}
        out[(m.group(1), frozenset(labels.items()))] = m.group(4)
    return out, types


def find(samples, name, **labels):
    """The samples of name whose labels include labels: [(labels, value)]."""
    res = []
    for (n, ls), v in samples.items():
        d = dict(ls)
        if n == name and all(d.get(k) == str(x) for k, x in labels.items()):
            res.append((d, v))
    return res


def exchange(port, data, timeout=5):
    """Send data on a new connection; all it gets back until the daemon
    closes it (or resets it, or goes quiet for timeout)."""
    got = b""
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(data)
        c.settimeout(timeout)
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return got


def http_get(port, path, headers=None, host="127.0.0.1", timeout=10):
    req = urllib.request.Request("http://%s:%d%s" % (
        "[%s]" % host if ":" in host else host, port, path),
        headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


OM_CHECK = r'''
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(sys.stdin.read()))
print(len(fams))
'''
OM_ACCEPT = {"Accept": "application/openmetrics-text; version=1.0.0"}


def check_exposition(test, port, camel_ok=False, path="/metrics"):
    """path (/metrics, or a /probe) in both formats: promtool finds
    nothing in the text one (but camelCase names when camel_ok: MIB names
    are kept as the MIB writes them), prometheus_client's strict
    OpenMetrics parser takes the other, and every family in both has a
    HELP line of its own."""
    promtool = shutil.which("promtool")
    if promtool is None:
        test.skipTest("promtool not installed (scripts/deps.sh)")
    r = subprocess.run(["/usr/bin/python3", "-c",
                        "import prometheus_client.openmetrics.parser"],
                       capture_output=True)
    if r.returncode != 0:
        test.skipTest("python3-prometheus-client not installed "
                      "(scripts/deps.sh)")
    for hdr in ({}, OM_ACCEPT):
        st, ct, body = http_get(port, path, hdr)
        test.assertEqual(st, 200)
        text = body.decode("utf-8")
        helps = re.findall(r"^# HELP (\S+) (.*)$", text, re.M)
        typed = re.findall(r"^# TYPE (\S+) ", text, re.M)
        test.assertEqual([h[0] for h in helps], typed)
        for name, h in helps:
            test.assertGreater(len(h), 10, name)
            test.assertNotIn("snmpmgrd figure", h)
        if hdr:
            test.assertTrue(ct.startswith("application/openmetrics"))
            test.assertTrue(body.endswith(b"# EOF\n"))
            r = subprocess.run(["/usr/bin/python3", "-c", OM_CHECK],
                               input=body, capture_output=True, timeout=60)
            test.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            test.assertEqual(int(r.stdout), len(typed))
            continue
        test.assertTrue(ct.startswith("text/plain; version=0.0.4"))
        for name in typed:
            # counters' samples and (in this format) TYPE lines: _total
            if re.search(r"^# TYPE %s counter$" % re.escape(name), text,
                         re.M):
                test.assertTrue(name.endswith("_total"), name)
        r = subprocess.run([promtool, "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
        out = (r.stdout + r.stderr).decode()
        lines = [ln for ln in out.splitlines() if ln.strip()]
        if camel_ok:
            test.assertIn(r.returncode, (0, 3), out)
            for ln in lines:
                test.assertIn("should be written in 'snake_case' not "
                              "'camelCase'", ln)
        else:
            test.assertEqual((r.returncode, lines), (0, []), out)


class Prometheus:
    """A prometheus server on a free port scraping the given jobs."""

    def __init__(self, jobs):
        self.prog = shutil.which("prometheus")
        if self.prog is None:
            raise unittest.SkipTest("prometheus not installed")
        self.dir = tempfile.mkdtemp(prefix="snmptest-prom-")
        self.port = free_tcp_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        lines = ["global:", "  scrape_interval: 1s",
                 "  scrape_timeout: 1s", "scrape_configs:"]
        for j in jobs:
            lines += ["  - job_name: %s" % j["name"],
                      "    metrics_path: %s" % j["path"],
                      "    static_configs:",
                      "      - targets: ['%s']" % j["target"]]
            if j.get("scheme"):
                lines.append("    scheme: %s" % j["scheme"])
            if j.get("tls"):
                lines.append("    tls_config:")
                for k, v in j["tls"].items():
                    lines.append("      %s: '%s'" % (k, v))
            if j.get("params"):
                lines.append("    params:")
                for k, v in j["params"].items():
                    lines.append("      %s: ['%s']" % (k, v))
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [self.prog, "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        snmptest._track(self.proc)

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (
            self.port, urllib.parse.quote(q))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                res = json.load(r)
        except (OSError, ValueError):
            return []
        return res["data"]["result"] if res.get("status") == "success" \
            else []

    def close(self):
        snmptest._kill(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Http(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.mibdir = mib_cache()
        cls.tmp = tempfile.mkdtemp(prefix="snmptest-http-")
        script = os.path.join(cls.tmp, "pass.py")
        with open(script, "w") as f:
            f.write(PASS_SCRIPT)
        cls.agent = Snmpd(extra_conf=["sysServices 72"])
        # the pass script blocks its snmpd while it runs: an agent of its
        # own, so that it does not slow the others' polls
        cls.agent2 = Snmpd(extra_conf=["pass .%s %s %s" % (
            BASE, sys.executable, script)])
        cls.port = free_tcp_port()
        cls.port6 = None
        try:
            cls.port6 = free_tcp_port(socket.AF_INET6, "::1")
        except OSError:
            pass
        listen = ["127.0.0.1:%d" % cls.port]
        if cls.port6:
            listen.append("[::1]:%d" % cls.port6)
        cls.conf = {
            "log": {"level": "info"},
            "mibs": {"dirs": [cls.mibdir, NET_SNMP_MIBS],
                     "modules": ["SNMPv2-MIB", "IF-MIB"]},
            "http": {"listen": listen, "max_connections": 64,
                     "request_timeout": "1s", "cache": "0s"},
            "defaults": {"host": "127.0.0.1", "port": cls.agent.port,
                         "community": "public", "timeout": "1s",
                         "retries": 1},
            "polls": {
                "sys": {"get": ["sysDescr.0", "sysServices.0",
                                "sysUpTime.0"], "interval": "200ms"},
                "ifs": {"walk": ["ifDescr", "ifType", "ifMtu", "ifName",
                                 "ifHCInOctets"],
                        "labels": ["ifName"], "interval": "1s"},
                "odd": {"get": [BASE + ".1.0", BASE + ".2.0",
                                BASE + ".3.0", BASE + ".4.0"],
                        "interval": "5s"},
            },
            "sessions": {"a": {"polls": ["sys", "ifs"]},
                         "b": {"polls": ["sys"]},
                         "c": {"port": cls.agent2.port, "polls": ["odd"]}},
        }
        cls.d = Daemon(cls.conf)
        wait_for(lambda: find(cls.scrape()[0], "ifHCInOctets_total") and
                 find(cls.scrape()[0], "oid_" + BASE.replace(".", "_") +
                      "_4_0"), timeout=20, what="first values")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.agent.close()
        cls.agent2.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def scrape(cls, path="/metrics", headers=None):
        st, ct, body = http_get(cls.port, path, headers)
        assert st == 200, (st, body[:300])
        return parse(body.decode("utf-8"))

    def test_01_values_and_names(self):
        s, types = self.scrape()
        # MIB names, index decoded, the lookup label, the session labels
        lo = find(s, "ifHCInOctets_total", session="a", poll="ifs",
                  ifName="lo")
        self.assertEqual(len(lo), 1, lo)
        self.assertEqual(lo[0][0]["host"], "127.0.0.1")
        idx = lo[0][0]["ifIndex"]
        self.assertEqual(types["ifHCInOctets_total"], "counter")
        self.assertEqual(types["ifMtu"], "gauge")
        mtu = net_snmp("snmpget", "-v2c", "-c", "public", self.agent.addr,
                       "1.3.6.1.2.1.2.2.1.4." + idx)[0].split(": ")[-1]
        self.assertEqual(find(s, "ifMtu", session="a", ifIndex=idx)[0][1],
                         mtu)
        # strings are info-style: value 1, the text as a label
        descr = find(s, "ifDescr", session="a", ifIndex=idx)
        self.assertEqual(descr[0][1], "1")
        self.assertEqual(descr[0][0]["ifDescr"], "lo")
        sysd = find(s, "sysDescr", session="b", poll="sys")
        r = subprocess.run(["snmpget", "-v2c", "-c", "public", "-Ovq",
                            self.agent.addr, "1.3.6.1.2.1.1.1.0"],
                           capture_output=True, text=True)
        self.assertEqual(sysd[0][0]["sysDescr"], r.stdout.strip().strip('"'))
        self.assertNotIn("ifIndex", sysd[0][0])      # a scalar: no index
        self.assertEqual(find(s, "sysServices", session="b")[0][1], "72")

    def test_02_counter64_exact_and_escaping(self):
        s, types = self.scrape()
        name = "oid_" + BASE.replace(".", "_")
        self.assertEqual(find(s, name + "_1_0_total", session="c")[0][1],
                         "18446744073709551615")
        self.assertEqual(find(s, name + "_2_0_total", session="c")[0][1],
                         "9007199254740993")
        self.assertEqual(types[name + "_1_0_total"], "counter")
        # FF 0A 22 5C 41: not UTF-8, newline, quote, backslash, "A"
        odd = find(s, name + "_3_0", session="c")[0][0][name + "_3_0"]
        self.assertEqual(odd, '\\xFF\n"\\A')
        self.assertEqual(find(s, name + "_4_0", session="c")[0][0][
            name + "_4_0"], "h\u00e9llo")

    def test_02b_health_figures(self):
        # every session's and every poll's figures, with their labels,
        # the fractional ones written as fixed-point decimals
        s, types = self.scrape()
        polls = {"a": ("sys", "ifs"), "b": ("sys",), "c": ("odd",)}
        now = time.time()
        for sess, names in polls.items():
            for fam in ("snmpmgrd_session_up",
                        "snmpmgrd_session_requests_total",
                        "snmpmgrd_session_responses_total",
                        "snmpmgrd_session_timeouts_total"):
                got = find(s, fam, session=sess)
                self.assertEqual(len(got), 1, (fam, sess, got))
                self.assertEqual(got[0][0], {"session": sess,
                                             "host": "127.0.0.1"})
                self.assertRegex(got[0][1], r"^\d+$")
            self.assertEqual(find(s, "snmpmgrd_session_up",
                                  session=sess)[0][1], "1")
            self.assertRegex(find(s, "snmpmgrd_session_rtt_seconds",
                                  session=sess)[0][1], r"^\d+\.\d{6}$")
            for poll in names:
                runs = find(s, "snmpmgrd_poll_runs_total", session=sess,
                            poll=poll)
                self.assertEqual(len(runs), 1, (sess, poll))
                self.assertGreater(int(runs[0][1]), 0)
                dur = find(s, "snmpmgrd_poll_duration_seconds",
                           session=sess, poll=poll)[0][1]
                self.assertRegex(dur, r"^\d+\.\d{6}$")
                self.assertLess(float(dur), 5)
                last = find(s, "snmpmgrd_poll_last_success_timestamp_"
                            "seconds", session=sess, poll=poll)[0][1]
                self.assertRegex(last, r"^\d+\.\d{3}$")
                self.assertLess(abs(float(last) - now), 60)
        self.assertEqual(len(find(s, "snmpmgrd_poll_runs_total")), 4)
        up = find(s, "snmpmgrd_uptime_seconds")
        self.assertRegex(up[0][1], r"^\d+\.\d{3}$")
        self.assertEqual(types["snmpmgrd_session_requests_total"], "counter")
        self.assertEqual(types["snmpmgrd_session_rtt_seconds"], "gauge")

    def test_02c_rtt_of_a_session_without_polls(self):
        # no polls: no RTT until a client's request is answered, then
        # that request's
        self.d.call("session.add", {"session": "nopoll", "config": {}})
        self.addCleanup(self.d.call, "session.remove", {"session": "nopoll"})
        s, _ = self.scrape()
        self.assertEqual(len(find(s, "snmpmgrd_session_requests_total",
                                  session="nopoll")), 1)
        self.assertEqual(find(s, "snmpmgrd_session_rtt_seconds",
                              session="nopoll"), [])
        self.d.call("snmp.get", {"session": "nopoll",
                                 "oids": ["1.3.6.1.2.1.1.3.0"]})
        srtt = self.d.call("session.show",
                           {"session": "nopoll"})["state"]["srtt_ms"]
        s, _ = self.scrape()
        rtt = find(s, "snmpmgrd_session_rtt_seconds", session="nopoll")
        self.assertEqual(len(rtt), 1, rtt)
        self.assertRegex(rtt[0][1], r"^\d+\.\d{6}$")
        self.assertAlmostEqual(float(rtt[0][1]), srtt / 1000, delta=2e-6)
        self.assertGreater(float(rtt[0][1]), 0)

    def test_03_promtool(self):
        # MIB-named values: promtool notes only their camelCase
        check_exposition(self, self.port, camel_ok=True)
        check_exposition(self, self.port, camel_ok=True,
                         path="/probe?session=b&module=sys")
        st, _, body = http_get(self.port, "/metrics", OM_ACCEPT)
        self.assertIn(b"\nifHCInOctets_total{", body)
        self.assertIn(b"\n# TYPE ifHCInOctets counter\n", body)
        self.assertIn(b"\n# HELP ifHCInOctets SNMP object "
                      b"IF-MIB::ifHCInOctets (1.3.6.1.2.1.31.1.1.1.6).\n",
                      body)

    def test_04_prometheus_scrapes(self):
        prom = Prometheus([
            {"name": "snmp", "path": "/metrics",
             "target": "127.0.0.1:%d" % self.port},
            {"name": "probe", "path": "/probe",
             "target": "127.0.0.1:%d" % self.port,
             "params": {"session": "b", "module": "sys"}},
        ])
        try:
            res = wait_for(lambda: prom.query(
                'ifMtu{job="snmp",session="a",ifName="lo"}'), timeout=30,
                what="ifMtu in prometheus")
            self.assertEqual(res[0]["value"][1], "65536")
            res = wait_for(lambda: prom.query(
                'oid_%s_2_0_total{job="snmp"}' % BASE.replace(".", "_")),
                timeout=10, what="a Counter64 in prometheus")
            self.assertEqual(float(res[0]["value"][1]), 9007199254740993.0)
            res = wait_for(lambda: prom.query(
                'sysServices{job="probe",session="b"}'), timeout=20,
                what="probe series")
            self.assertEqual(res[0]["value"][1], "72")
            res = prom.query('snmpmgrd_probe_success{job="probe"}')
            self.assertEqual(res[0]["value"][1], "1")
            # a probe of b shows b only
            self.assertEqual(prom.query('sysServices{job="probe",'
                                        'session="a"}'), [])
            res = wait_for(lambda: prom.query(
                'snmpmgrd_session_up{job="snmp",session="a"}'),
                what="health")
            self.assertEqual(res[0]["value"][1], "1")
            res = prom.query('up{job="snmp"}')
            self.assertEqual(res[0]["value"][1], "1")
        finally:
            prom.close()

    def test_05_probe_runs_now(self):
        t0 = time.time()
        st, ct, body = http_get(self.port, "/probe?target=127.0.0.1:%d&"
                                "module=ifs" % self.agent.port)
        self.assertEqual(st, 200, body)
        p, _ = parse(body.decode())
        # the first session polling that address, its one poll, run now
        self.assertEqual(find(p, "snmpmgrd_probe_success")[0][1], "1")
        self.assertTrue(find(p, "ifHCInOctets_total", session="a",
                             poll="ifs"))
        self.assertFalse(find(p, "sysDescr"))
        # values taken after the request came (a run started for it, or
        # one already running that it waited for)
        taken = float(find(p, "snmpmgrd_poll_last_success_timestamp_seconds",
                           session="a", poll="ifs")[0][1])
        self.assertGreaterEqual(taken, t0 - 0.002)
        st, _, body = http_get(self.port, "/probe?session=nosuch")
        self.assertEqual(st, 400)
        self.assertIn(b"no session", body)
        st, _, body = http_get(self.port, "/probe?session=a&module=nope")
        self.assertEqual(st, 400)
        st, _, _ = http_get(self.port, "/nothing")
        self.assertEqual(st, 404)
        if self.port6:
            st, _, _ = http_get(self.port6, "/", host="::1")
            self.assertEqual(st, 200)

    def runs_of_b(self):
        s, _ = self.scrape()
        return (int(find(s, "snmpmgrd_poll_ok_total", session="b")[0][1]),
                int(find(s, "snmpmgrd_poll_overruns_total",
                         session="b")[0][1]))

    def test_06_hostile_clients(self):
        ok0, over0 = self.runs_of_b()
        t0 = time.monotonic()
        socks = []
        # 1,000 connections: each new one evicts the oldest idle one
        for _ in range(1000):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            socks.append(c)
        time.sleep(0.5)
        for c in socks:
            c.close()
        # huge head: 431 and closed
        data = exchange(self.port, b"GET /metrics HTTP/1.1\r\nX: " +
                        b"a" * 100000)
        self.assertTrue(data.startswith(b"HTTP/1.1 431"), data[:80])
        # slowloris: bytes trickle in, the 1 s request deadline still ends
        # them
        slow = [socket.create_connection(("127.0.0.1", self.port))
                for _ in range(20)]
        start = time.monotonic()
        closed = set()
        while time.monotonic() - start < 3 and len(closed) < len(slow):
            for i, c in enumerate(slow):
                if i in closed:
                    continue
                try:
                    c.sendall(b"G" if time.monotonic() - start < 0.1
                              else b"X")
                except OSError:
                    closed.add(i)
            time.sleep(0.2)
        for i, c in enumerate(slow):
            c.settimeout(0.5)
            try:
                d = c.recv(100)
                if d == b"" or d.startswith(b"HTTP/1.1 408"):
                    closed.add(i)
            except OSError:
                closed.add(i)
            c.close()
        self.assertEqual(len(closed), len(slow), "slowloris connections "
                         "outlived the request deadline")
        elapsed = time.monotonic() - t0
        ok1, over1 = self.runs_of_b()
        # the 200 ms poll kept its schedule
        self.assertGreaterEqual(ok1 - ok0, int(elapsed / 0.2 * 0.8),
                                (ok0, ok1, elapsed))
        self.assertEqual(over1, over0)
        s, _ = self.scrape()
        # (how many reach accept() at all depends on the listen backlog)
        self.assertGreater(int(find(s, "snmpmgrd_http_connections_evicted_"
                                    "total")[0][1]), 0)
        self.assertTrue(self.d.alive())

    def test_06b_connection_flood_cannot_lock_out_a_scrape(self):
        def evicted():
            s, _ = self.scrape()
            return int(find(s, "snmpmgrd_http_connections_evicted_total"
                            )[0][1])
        ev0 = evicted()
        # more idle connections than http.max_connections (64), each
        # accepted and holding its slot: a scrape still gets in at once,
        # well within request_timeout (1 s here)
        idle = [socket.create_connection(("127.0.0.1", self.port))
                for _ in range(70)]
        time.sleep(0.3)
        t0 = time.monotonic()
        st, _, body = http_get(self.port, "/metrics", timeout=5)
        self.assertEqual(st, 200, body[:200])
        self.assertLess(time.monotonic() - t0, 0.9)
        # the oldest idle ones were closed to make room
        idle[0].settimeout(2)
        self.assertEqual(idle[0].recv(100), b"")
        for c in idle:
            c.close()
        # served connections kept alive and idle give way too, oldest
        # first, but only once no fresh one is left
        kept = []
        for _ in range(70):
            c = socket.create_connection(("127.0.0.1", self.port))
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            c.settimeout(5)
            self.assertTrue(c.recv(4096).startswith(b"HTTP/1.1 200"))
            kept.append(c)
        st, _, _ = http_get(self.port, "/metrics", timeout=5)
        self.assertEqual(st, 200)
        for c in kept:
            c.close()
        # a client holding 100 connections and opening a new one for
        # each it gives up, as fast as it can, while 10 scrapes run:
        # every one is served
        stop = [False]

        def flood():
            socks = []
            while not stop[0]:
                try:
                    socks.append(socket.create_connection(
                        ("127.0.0.1", self.port), timeout=1))
                except OSError:
                    pass
                if len(socks) > 100:
                    socks.pop(0).close()
            for c in socks:
                c.close()
        import threading
        th = threading.Thread(target=flood)
        th.start()
        try:
            time.sleep(0.2)
            for _ in range(10):
                st, _, _ = http_get(self.port, "/metrics", timeout=5)
                self.assertEqual(st, 200)
        finally:
            stop[0] = True
            th.join()
        self.assertGreater(evicted() - ev0, 70)
        self.assertTrue(self.d.alive())

    def test_07_bad_requests(self):
        raw = self.raw
        self.assertTrue(raw(b"POST /metrics HTTP/1.1\r\n\r\n").startswith(
            b"HTTP/1.1 405"))
        self.assertTrue(raw(b"GET /metrics HTTP/1.1\r\nContent-Length: 5"
                            b"\r\n\r\nhello").startswith(b"HTTP/1.1 413"))
        self.assertTrue(raw(b"GET /metrics SPDY/9\r\n\r\n").startswith(
            b"HTTP/1.1 400"))
        self.assertTrue(raw(b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400"))
        # keep-alive: two requests on one connection
        data = exchange(self.port, b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1"
                        b"\r\nConnection: close\r\n\r\n")
        self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 2)

    def raw(self, data):
        with socket.create_connection(("127.0.0.1", self.port)) as c:
            c.sendall(data)
            c.settimeout(5)
            return c.recv(200)

    def test_07b_content_length_and_bare_cr(self):
        raw = self.raw
        # a Content-Length that is not a length: 400, not 413 (RFC 9112
        # 6.3); 0 written as 00 is still none
        for cl in (b"-1", b"abc", b"", b"1, 1", b"0x0"):
            self.assertTrue(raw(b"GET / HTTP/1.1\r\nContent-Length: " + cl +
                                b"\r\n\r\n").startswith(b"HTTP/1.1 400"),
                            cl)
        self.assertTrue(raw(b"GET / HTTP/1.1\r\nContent-Length: 00\r\n"
                            b"Connection: close\r\n\r\n").startswith(
            b"HTTP/1.1 200"))
        # a bare CR inside a header line: 400
        self.assertTrue(raw(b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"
                            ).startswith(b"HTTP/1.1 400"))

    def test_07c_bare_lf_line_ends(self):
        # bare LF line ends (RFC 9112 2.2) are answered at once, not at
        # request_timeout (1 s here), as are mixed ones
        for req in (b"GET /metrics HTTP/1.1\nHost: x\nConnection: close\n\n",
                    b"GET /metrics HTTP/1.1\r\nHost: x\nConnection: close"
                    b"\n\r\n"):
            t0 = time.monotonic()
            data = exchange(self.port, req)
            self.assertLess(time.monotonic() - t0, 0.9)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:80])
            self.assertIn(b"\nsnmpmgrd_uptime_seconds ", data)

    def test_07d_absolute_form_target(self):
        raw = self.raw
        # absolute-form (RFC 9112 3.2.2), as a proxy would send it
        for target in (b"http://127.0.0.1:%d/metrics" % self.port,
                       b"HTTP://example.org/probe?session=b&module=sys"):
            data = raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
            self.assertTrue(data.startswith(b"HTTP/1.1 200"),
                            (target, data[:80]))
        self.assertTrue(raw(b"GET http://h HTTP/1.1\r\nConnection: close"
                            b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
        self.assertTrue(raw(b"GET http://h/nothing HTTP/1.1\r\n\r\n"
                            ).startswith(b"HTTP/1.1 404"))

    def test_08_reload_takes_new_bounds(self):
        def head(n):
            with socket.create_connection(("127.0.0.1", self.port)) as c:
                c.sendall(b"GET / HTTP/1.1\r\nX: " + b"a" * n +
                          b"\r\nConnection: close\r\n\r\n")
                c.settimeout(5)
                return c.recv(100)
        self.assertTrue(head(2000).startswith(b"HTTP/1.1 200"))
        orig = json.loads(json.dumps(self.d.config))
        cfg = json.loads(json.dumps(orig))
        cfg["http"]["max_header_size"] = 1024
        self.d.write_config(cfg)
        try:
            self.d.call("daemon.reload", timeout=30)
            self.assertTrue(head(2000).startswith(b"HTTP/1.1 431"))
            self.assertTrue(head(500).startswith(b"HTTP/1.1 200"))
        finally:
            self.d.write_config(orig)
            self.d.call("daemon.reload", timeout=30)
        self.assertTrue(head(2000).startswith(b"HTTP/1.1 200"))


class HttpRates(unittest.TestCase):
    """Counter rates in the exposition: a NAME_rate gauge beside each
    counter of a poll asking for rates, equal to the rate poll.run reports,
    absent for a first sample and after a discontinuity; scraped by a real
    prometheus, the exposition checked by promtool."""

    UPTIME = "1.3.6.1.2.1.1.3.0"
    C32 = "1.3.6.1.4.1.99999.2.1.0"
    C64 = "1.3.6.1.4.1.99999.2.2.0"
    GAUGE = "1.3.6.1.4.1.99999.2.3.0"

    @staticmethod
    def mname(oid):
        return "oid_" + oid.replace(".", "_")

    def setUp(self):
        from ber import COUNTER32, COUNTER64, GAUGE32, TIMETICKS
        from fakeagent import FakeAgent, oid_arcs
        self.arcs = oid_arcs
        self.types = {self.UPTIME: TIMETICKS, self.C32: COUNTER32,
                      self.C64: COUNTER64, self.GAUGE: GAUGE32}
        self.agent = FakeAgent(rows=1)
        self.set(self.UPTIME, 100000)
        self.set(self.C32, 2 ** 32 - 1000)
        self.set(self.C64, 2 ** 60 + 5)
        self.set(self.GAUGE, 5)
        self.port = free_tcp_port()
        self.d = Daemon({
            "log": {"level": "info"},
            "http": {"listen": ["127.0.0.1:%d" % self.port], "cache": "0s"},
            "polls": {
                "r": {"get": [self.UPTIME, self.C32, self.C64, self.GAUGE],
                      "rate": True, "interval": "7d"},
                "plain": {"get": [self.C32], "interval": "7d"},
            },
            "sessions": {"fake": self.agent.target(polls=["r", "plain"])},
        })

    def tearDown(self):
        self.d.stop()
        self.agent.close()

    def set(self, oid, v):
        self.agent.values[self.arcs(oid)] = (self.types[oid], v)

    def bump(self, oid, inc):
        tag, v = self.agent.values[self.arcs(oid)]
        self.set(oid, (v + inc) % (2 ** 64 if oid == self.C64 else 2 ** 32))

    def run_poll(self, poll="r"):
        res = self.d.call("poll.run", {"session": "fake", "poll": poll},
                          timeout=20)["polls"][0]
        self.assertIsNone(res["error"])
        res["by"] = {vb["oid"]: vb for vb in res["varbinds"]}
        return res

    def scrape(self):
        st, _, body = http_get(self.port, "/metrics")
        self.assertEqual(st, 200)
        return parse(body.decode("utf-8")) + (body,)

    def rates(self, s, oid, poll="r"):
        return find(s, self.mname(oid) + "_rate", session="fake", poll=poll)

    def test_rate_gauges(self):
        self.run_poll()
        self.run_poll("plain")
        s, types, _ = self.scrape()
        # values, but a first sample has no rate
        self.assertEqual(find(s, self.mname(self.C64) + "_total",
                              poll="r")[0][1], str(2 ** 60 + 5))
        self.assertEqual(self.rates(s, self.C32), [])
        self.assertEqual(self.rates(s, self.C64), [])

        time.sleep(0.3)
        self.bump(self.UPTIME, 30)
        self.bump(self.C32, 1500)       # wraps
        self.bump(self.C64, 3)
        self.bump(self.GAUGE, 1)
        r = self.run_poll()
        self.run_poll("plain")
        us = round(r["rate_interval_ms"] * 1000)
        s, types, body = self.scrape()
        for oid, delta in ((self.C32, 1500), (self.C64, 3)):
            got = self.rates(s, oid)
            self.assertEqual(len(got), 1, got)
            self.assertEqual(float(got[0][1]), r["by"][oid]["rate"])
            # to the 15 significant digits the daemon writes of a real
            self.assertEqual(float(got[0][1]),
                             float("%.15g" % (delta / (us / 1e6))))
            self.assertEqual(got[0][0]["host"], "127.0.0.1", body[:3000])
            self.assertEqual(types[self.mname(oid) + "_rate"], "gauge")
            self.assertEqual(types[self.mname(oid) + "_total"], "counter")
        # not counters, or a poll that does not ask: no rate
        self.assertEqual(self.rates(s, self.GAUGE), [])
        self.assertEqual(self.rates(s, self.UPTIME), [])
        self.assertEqual(self.rates(s, self.C32, poll="plain"), [])
        self.assertEqual(find(s, self.mname(self.C32) + "_total",
                              poll="plain")[0][1], str(500))
        # OpenMetrics: the counter with _total, the rate gauge as it is
        st, _, om = http_get(self.port, "/metrics", {
            "Accept": "application/openmetrics-text; version=1.0.0"})
        self.assertIn(b"\n# TYPE %s_rate gauge\n%s_rate{" % (
            self.mname(self.C64).encode(), self.mname(self.C64).encode()), om)
        self.assertIn(("\n%s_total{" % self.mname(self.C64)).encode(), om)

        prom = Prometheus([{"name": "snmp", "path": "/metrics",
                            "target": "127.0.0.1:%d" % self.port}])
        try:
            q = '%s_rate{job="snmp",session="fake",poll="r"}' % \
                self.mname(self.C64)
            res = wait_for(lambda: prom.query(q), timeout=30,
                           what="a rate in prometheus")
            self.assertEqual(float(res[0]["value"][1]),
                             float("%.15g" % (3 / (us / 1e6))))
            # the agent restarted: no rate any more, and prometheus sees
            # the series end (a gap, not a spike)
            time.sleep(0.2)
            self.set(self.UPTIME, 40)
            self.set(self.C32, 20)
            self.set(self.C64, 9)
            r = self.run_poll()
            self.assertTrue(r["by"][self.C64]["discontinuity"])
            s, _, _ = self.scrape()
            self.assertEqual(self.rates(s, self.C32), [])
            self.assertEqual(self.rates(s, self.C64), [])
            self.assertEqual(find(s, self.mname(self.C64) + "_total",
                                  poll="r")[0][1], "9")
            wait_for(lambda: prom.query(q) == [], timeout=15,
                     what="the rate series to go stale")
            # rates again from the restarted values
            time.sleep(0.2)
            self.bump(self.UPTIME, 20)
            self.bump(self.C64, 2 ** 40)
            r = self.run_poll()
            res = wait_for(lambda: [x for x in prom.query(q) if float(
                x["value"][1]) == r["by"][self.C64]["rate"]], timeout=15,
                what="the new rate in prometheus")
            self.assertTrue(res)
        finally:
            prom.close()
        # numeric names, rates, the daemon's own: promtool finds nothing
        check_exposition(self, self.port)
        check_exposition(self, self.port, path="/probe?session=fake")


class HttpTls(unittest.TestCase):
    """http.tls: HTTPS with client certificates from the test's CA, scraped
    by a real prometheus (tls_config); clients without a certificate, plain
    HTTP and hostile TLS clients (garbage, half a handshake, a trickled
    one) are dropped without disturbing a 200 ms poll or other scrapes."""

    UPTIME = "1.3.6.1.2.1.1.3.0"
    SERVICES = "1.3.6.1.2.1.1.7.0"

    @classmethod
    def setUpClass(cls):
        from test_dtls_traps import Pki
        cls.pki = Pki()
        cls.crt, cls.key = cls.pki.make("srv", "snmpmgrd", san="IP:127.0.0.1")
        cls.ccrt, cls.ckey = cls.pki.make("scraper", "prometheus")
        cls.agent = Snmpd(extra_conf=["sysServices 72"])
        cls.port = free_tcp_port()
        cls.d = Daemon({
            "log": {"level": "debug"},
            "http": {"listen": ["127.0.0.1:%d" % cls.port],
                     "max_connections": 64, "request_timeout": "1s",
                     "cache": "0s",
                     "tls": {"cert": cls.crt, "key": cls.key,
                             "ca": cls.pki.ca, "min_version": "1.2"}},
            "defaults": {"host": "127.0.0.1", "port": cls.agent.port,
                         "community": "public", "timeout": "1s",
                         "retries": 1},
            "polls": {"sys": {"get": [cls.UPTIME, cls.SERVICES],
                              "interval": "200ms"}},
            "sessions": {"b": {"polls": ["sys"]}},
        })
        wait_for(lambda: find(cls.scrape()[0], cls.name(cls.SERVICES)),
                 timeout=20, what="first values over https")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.agent.close()
        cls.pki.close()

    @staticmethod
    def name(oid):
        return "oid_" + oid.replace(".", "_")

    @classmethod
    def context(cls, cert=True):
        import ssl
        ctx = ssl.create_default_context(cafile=cls.pki.ca)
        if cert:
            ctx.load_cert_chain(cls.ccrt, cls.ckey)
        return ctx

    @classmethod
    def scrape(cls, path="/metrics", timeout=10):
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (
            cls.port, path))
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=cls.context()) as r:
            assert r.status == 200
            return parse(r.read().decode("utf-8"))

    def runs(self):
        s, _ = self.scrape()
        return (int(find(s, "snmpmgrd_poll_ok_total", session="b")[0][1]),
                int(find(s, "snmpmgrd_poll_overruns_total",
                         session="b")[0][1]))

    def test_01_https_and_client_certificates(self):
        import ssl
        s, _ = self.scrape()
        self.assertEqual(find(s, self.name(self.SERVICES), session="b")[0][1],
                         "72")
        # a client without a certificate fails the handshake
        with self.assertRaises((ssl.SSLError, OSError)):
            with socket.create_connection(("127.0.0.1", self.port)) as c:
                with self.context(cert=False).wrap_socket(
                        c, server_hostname="127.0.0.1") as t:
                    t.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
                    if not t.recv(100):
                        raise OSError("closed")
        # plain HTTP on the TLS port gets no HTTP answer
        with socket.create_connection(("127.0.0.1", self.port)) as c:
            c.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
            c.settimeout(5)
            try:
                data = c.recv(100)
            except OSError:
                data = b""
            self.assertFalse(data.startswith(b"HTTP/"), data)
        # TLS 1.1 is below min_version
        ctx = self.context()
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises((ssl.SSLError, OSError)):
            with socket.create_connection(("127.0.0.1", self.port)) as c:
                with ctx.wrap_socket(c, server_hostname="127.0.0.1"):
                    pass
        s, _ = self.scrape()
        self.assertGreaterEqual(int(find(
            s, "snmpmgrd_http_tls_handshake_failures_total")[0][1]), 2)
        # the key never reaches the log
        with open(self.key) as f:
            body = [ln for ln in f.read().splitlines() if "-----" not in ln]
        log = self.d.log()
        for ln in body:
            self.assertNotIn(ln, log)

    def test_02_prometheus_over_https(self):
        prom = Prometheus([{"name": "snmps", "path": "/metrics",
                            "target": "127.0.0.1:%d" % self.port,
                            "scheme": "https",
                            "tls": {"ca_file": self.pki.ca,
                                    "cert_file": self.ccrt,
                                    "key_file": self.ckey}}])
        try:
            q = '%s{job="snmps",session="b"}' % self.name(self.SERVICES)
            res = wait_for(lambda: prom.query(q), timeout=30,
                           what="a value scraped over https")
            self.assertEqual(res[0]["value"][1], "72")
            self.assertEqual(prom.query('up{job="snmps"}')[0]["value"][1],
                             "1")
        finally:
            prom.close()

    def client_hello(self):
        """The first flight of a real TLS client, as bytes."""
        import ssl
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = self.context().wrap_bio(inc, out, server_hostname="127.0.0.1")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return out.read()

    def test_03_hostile_tls_clients(self):
        import random
        ok0, over0 = self.runs()
        t0 = time.monotonic()
        hello = self.client_hello()
        self.assertGreater(len(hello), 100)
        rnd = random.Random(12)
        socks = []
        for i in range(45):
            c = socket.create_connection(("127.0.0.1", self.port))
            if i % 3 == 0:      # garbage
                c.sendall(bytes(rnd.randrange(256) for _ in range(3000)))
            elif i % 3 == 1:    # half a handshake, then silence
                c.sendall(hello[:len(hello) // 2])
            socks.append(c)
        # meanwhile scrapes go on, and are served
        for _ in range(5):
            s, _ = self.scrape(timeout=3)
            self.assertTrue(find(s, self.name(self.UPTIME), session="b"))
        # the trickling third: a byte of the hello every 100 ms; the
        # 1 s request deadline ends them all
        closed = set()
        start = time.monotonic()
        pos = 0
        while time.monotonic() - start < 3 and len(closed) < len(socks):
            for i, c in enumerate(socks):
                if i % 3 != 2 or i in closed:
                    continue
                try:
                    c.sendall(hello[pos:pos + 1])
                except OSError:
                    closed.add(i)
            pos += 1
            time.sleep(0.1)
        for i, c in enumerate(socks):
            c.settimeout(0.5)
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        closed.add(i)
                        break
            except OSError as e:
                if not isinstance(e, socket.timeout):
                    closed.add(i)
            c.close()
        self.assertEqual(len(closed), len(socks), "hostile TLS clients "
                         "outlived the request deadline")
        elapsed = time.monotonic() - t0
        ok1, over1 = self.runs()
        self.assertGreaterEqual(ok1 - ok0, int(elapsed / 0.2 * 0.8),
                                (ok0, ok1, elapsed))
        self.assertEqual(over1, over0)
        s, _ = self.scrape()
        self.assertGreaterEqual(int(find(
            s, "snmpmgrd_http_tls_handshake_failures_total")[0][1]), 45)
        self.assertTrue(self.d.alive())

    def peer_cn(self):
        with socket.create_connection(("127.0.0.1", self.port)) as c:
            with self.context().wrap_socket(
                    c, server_hostname="127.0.0.1") as t:
                subject = dict(x[0] for x in t.getpeercert()["subject"])
        return subject["commonName"]

    def test_04_reload_takes_a_new_certificate(self):
        self.assertEqual(self.peer_cn(), "snmpmgrd")
        crt, key = self.pki.make("srv2", "snmpmgrd-renewed",
                                 san="IP:127.0.0.1")
        orig = json.loads(json.dumps(self.d.config))
        cfg = json.loads(json.dumps(orig))
        cfg["http"]["tls"]["cert"] = crt
        cfg["http"]["tls"]["key"] = key
        self.d.write_config(cfg)
        try:
            self.d.call("daemon.reload", timeout=30)
            self.assertEqual(self.peer_cn(), "snmpmgrd-renewed")
            self.scrape()
        finally:
            self.d.write_config(orig)
            self.d.call("daemon.reload", timeout=30)
        self.assertEqual(self.peer_cn(), "snmpmgrd")


class HttpConfig(unittest.TestCase):

    def check(self, http):
        d = tempfile.mkdtemp(prefix="snmptest-httpconf-")
        try:
            path = os.path.join(d, "c.json")
            with open(path, "w") as f:
                json.dump({"state_dir": d, "http": http}, f)
            return subprocess.run(
                [os.path.join(snmptest.top_builddir(), "snmpmgrd"), "-t",
                 "-c", path], capture_output=True, text=True, timeout=20)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_errors(self):
        for http, msg in [
                ({"listen": ["localhost:9116"]}, "not a numeric IPv4"),
                ({"listen": ["127.0.0.1:99999"]}, "bad port"),
                ({"listen": ["127.0.0.1"]}, "expected \"ADDRESS:PORT\""),
                ({"listen": ["[::1:9116"]}, "expected \"ADDRESS:PORT\""),
                ({"listen": ["[::x]:9116"]}, "not a numeric IPv6"),
                ({"listen": []}, "expected a list"),
                ({}, "no \"listen\""),
                ({"listen": ["127.0.0.1:9116", "127.0.0.1:9116"]},
                 "listed twice"),
                ({"listen": ["127.0.0.1:9116"], "tls": {}},
                 "are required"),
                ({"listen": ["127.0.0.1:9116"], "tls": {
                    "cert": "/nonexistent.crt", "key": "/nonexistent.key"}},
                 "error 272"),
                ({"listen": ["127.0.0.1:9116"], "tls": {
                    "cert": "/etc/hostname", "key": "/etc/hostname"}},
                 "error 273"),
                ({"listen": ["127.0.0.1:9116"], "tls": {
                    "cert": "/etc/hostname", "key": "/etc/hostname",
                    "min_version": "1.1"}}, "expected \"1.2\" or"),
                ({"listen": ["127.0.0.1:9116"], "max_connections": 0},
                 "must be from 1"),
                ({"listen": ["127.0.0.1:9116"], "lsiten": 1},
                 "unknown")]:
            r = self.check(http)
            self.assertNotEqual(r.returncode, 0, http)
            self.assertIn(msg, r.stderr, http)
            self.assertIn("http", r.stderr)
        r = self.check({"listen": ["127.0.0.1:9116", "[::1]:9116"],
                        "max_header_size": "16KiB", "cache": "2s"})
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
