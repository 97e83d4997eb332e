#!/usr/bin/env python3
"""test_cluster_dns.py - cluster mode with NATS servers given by name.

The node's only name server is the test's FakeDns on loopback
(test_resolve.py), through the config's "resolver" section, so the
machine's resolver is never touched.  A server name it answers is looked
up on the loop and both of the node's connections (libnats and the
publishing thread's own) reach the address: the node joins and its
results are in the stream.  With a silent name server the node is
standalone-degraded within the resolver's timeout, says why in its log,
answers its control socket at once meanwhile, keeps polling and spooling,
and a SIGTERM ends it at once.  A name whose address changes is followed
at cluster.nats.resolve_interval, before the node first connects and
after (its connection made again once the old address is gone); a name in the resolver section's
hosts file needs no name server.  Over TLS both connections check the
server's certificate against the name in the URL, not the address.
Skips (exit 77) when snmpmgrd has not been built or was built without
libnats.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest  # noqa: E402
import test_cluster as tc  # noqa: E402
from test_resolve import FakeDns  # noqa: E402

NAME = "natshost.test"


class ClusterNames(unittest.TestCase):
    def setUp(self):
        self.agent = snmptest.Snmpd()
        self.addCleanup(self.agent.close)
        self.dns = FakeDns()
        self.addCleanup(self.dns.close)

    def node(self, nats, url=None, timeout="1s", **nats_over):
        cfg = tc.node_config(self.agent, nats, "mgr-a")
        cfg["cluster"]["nats"]["servers"] = [
            url or "nats://%s:%d" % (NAME, nats.port)]
        cfg["cluster"]["nats"].update(nats_over)
        cfg["resolver"] = {"nameservers": [self.dns.addr], "hosts": "",
                           "timeout": timeout}
        return cfg

    def start(self, cfg):
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        return d

    def asked(self):
        return any(n == NAME for n, _ in self.dns.queries)

    def assert_publishes(self, d, nats, timeout=15, read=True):
        """d joins (alone: it owns every session) and JetStream
        acknowledges every session's results twice over."""
        deadline = time.time() + timeout
        while True:
            st = d.call("daemon.status")["cluster"]
            m = d.call("cluster.members")["members"]
            live = [(x["node"], x["sessions"]) for x in m if x["live"]]
            if (live == [("mgr-a", tc.NSESS)] and not st["standalone"] and
                    st["published"] >= 2 * tc.NSESS or
                    time.time() >= deadline):
                break
            time.sleep(0.2)
        self.assertEqual(st["nats"], "connected", d.log())
        self.assertEqual(live, [("mgr-a", tc.NSESS)], d.log())
        self.assertFalse(st["standalone"])
        self.assertGreaterEqual(st["published"], 2 * tc.NSESS, d.log())
        self.assertEqual(st["publish_errors"], 0)
        if read:
            js = tc.JsReader(nats.port)
            self.addCleanup(js.close)
            msgs = js.messages("SNMPMGRD_t1_POLLS")
            self.assertEqual({rec["session"] for _, _, rec in msgs},
                             {"s%02d" % i for i in range(tc.NSESS)})
        return st

    def test_answered_name_joins_and_publishes(self):
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        d = self.start(self.node(nats))
        st = self.assert_publishes(d, nats)
        self.assertTrue(self.asked(), self.dns.queries)
        self.assertEqual(st["servers"], [{"host": NAME, "port": str(
            nats.port), "address": "127.0.0.1"}])
        self.assertIn("NATS server %s is at 127.0.0.1" % NAME, d.log())

    def test_hosts_file_of_the_resolver_section(self):
        """A name in the resolver section's hosts file needs no name
        server: the node joins while the FakeDns stays silent."""
        self.dns.silent = True
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        hosts = os.path.join(nats.dir, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 %s\n" % NAME)
        cfg = self.node(nats)
        cfg["resolver"]["hosts"] = hosts
        d = self.start(cfg)
        self.assert_publishes(d, nats)
        self.assertFalse(self.asked(), self.dns.queries)

    def test_silent_name_server(self):
        """Standalone-degraded within the resolver's timeout (1 s) and a
        heartbeat, the reason logged; control answers within a second
        all along; polls and traps go on and are spooled; SIGTERM ends
        the daemon at once, lookups out or not."""
        if snmptest.find_program("snmptrap") is None:
            self.skipTest("snmptrap not installed")
        self.dns.silent = True
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        cfg = self.node(nats)
        port = snmptest.free_udp_port()
        cfg["traps"] = {"listen": ["udp:127.0.0.1:%d" % port],
                        "communities": ["public"]}
        t0 = time.monotonic()
        d = self.start(cfg)
        worst, degraded = 0.0, None
        while time.monotonic() - t0 < 4:
            t1 = time.monotonic()
            st = d.call("daemon.status", timeout=5)["cluster"]
            worst = max(worst, time.monotonic() - t1)
            if st["standalone"] and degraded is None:
                degraded = time.monotonic() - t0
            time.sleep(0.1)
        print("silent DNS: standalone after %s s, slowest daemon.status "
              "%.3f s" % (degraded and "%.2f" % degraded, worst),
              file=sys.stderr)
        self.assertLess(worst, 1.0)
        self.assertIsNotNone(degraded, d.log())
        # 1 s lookup, a heartbeat, the test's own sampling
        self.assertLess(degraded, 1.0 + tc.HB + 1.0)
        self.assertTrue(self.asked(), self.dns.queries)
        self.assertIn("NATS server name lookup failed: %s: name lookup "
                      "timed out" % NAME, d.log())
        self.assertIn("standalone-degraded", d.log())
        self.assertIn("no address for any NATS server: %s: name lookup "
                      "timed out" % NAME, st["last_error"])
        self.assertEqual(st["sessions_owned"], tc.NSESS)
        self.assertEqual(st["servers"][0]["lookup_error"],
                         "%s: name lookup timed out" % NAME)
        before = tc.polled(d)
        for i in range(3):
            r = snmptest.net_snmp_run(
                "snmptrap", "-v2c", "-c", "public", "127.0.0.1:%d" % port,
                "", "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.2.1.1.5.0", "s",
                "trap-%d" % i, opts=())
            self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(tc.INTERVAL * 2 + 0.5)
        after = tc.polled(d)
        self.assertTrue(all(after[s] > before[s] for s in before))
        st = d.call("daemon.status")["cluster"]
        self.assertGreaterEqual(st["spool_depth"], 3)
        # The node looks the name up again every few seconds: SIGTERM
        # while a lookup is out, too.
        n = len(self.dns.queries)
        deadline = time.monotonic() + 10
        while len(self.dns.queries) == n and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertGreater(len(self.dns.queries), n)
        t1 = time.monotonic()
        d.signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - t1
        print("silent DNS: SIGTERM to exit %.2f s" % took, file=sys.stderr)
        self.assertEqual(rc, 0)
        self.assertLess(took, 2.0)
        d.stop()

    def test_address_change_followed(self):
        """The name first points where no server listens; once it points
        at the server, the node joins at the next lookup."""
        self.dns.answer = "127.0.0.2"
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        d = self.start(self.node(nats, resolve_interval="1s"))
        deadline = time.time() + 10
        while time.time() < deadline and "cannot connect" not in d.log():
            time.sleep(0.2)
        self.assertIn("NATS server %s is at 127.0.0.2" % NAME, d.log())
        st = d.call("daemon.status")["cluster"]
        self.assertTrue(st["standalone"], d.log())
        self.dns.answer = "127.0.0.1"
        # the resolver keeps an answer 5 s at least (resolve.h)
        self.assert_publishes(d, nats, timeout=20)
        self.assertIn("NATS server %s is at 127.0.0.1" % NAME, d.log())

    def test_server_moves_while_connected(self):
        """The name's server moves to another address while the node is
        connected to it.  libnats, given the old address, would try it
        for ever; once the name says where the server is and the old one
        is gone, the node connects again there, leases and publishes."""
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        d = self.start(self.node(nats, resolve_interval="1s"))
        self.assert_publishes(d, nats, read=False)
        self.dns.answer = "127.0.0.2"
        # the resolver keeps an answer 5 s at least (resolve.h)
        deadline = time.time() + 20
        moved = "NATS server %s is at 127.0.0.2" % NAME
        while time.time() < deadline and moved not in d.log():
            time.sleep(0.2)
        self.assertIn(moved, d.log())
        st = d.call("daemon.status")["cluster"]
        self.assertEqual(st["nats"], "connected", d.log())
        there = tc.NatsServer(start=False, host="127.0.0.2",
                              port=nats.port)
        self.addCleanup(there.close)
        nats.stop()
        there.start()
        before = d.call("daemon.status")["cluster"]
        deadline = time.time() + 20
        while time.time() < deadline:
            st = d.call("daemon.status")["cluster"]
            if (st["nats"] == "connected" and
                    st["leases_put"] > before["leases_put"] + 1 and
                    st["published"] > before["published"] + tc.NSESS):
                break
            time.sleep(0.2)
        self.assertEqual(st["nats"], "connected", d.log())
        self.assertGreater(st["leases_put"], before["leases_put"] + 1,
                           d.log())
        self.assertGreater(st["published"], before["published"] + tc.NSESS,
                           d.log())
        self.assertIn("connecting again", d.log())
        self.assertIn({"host": NAME, "port": str(nats.port),
                       "address": "127.0.0.2"}, st["servers"])

    def tls_server(self, names):
        tdir = tempfile.mkdtemp(prefix="snmptest-natstls-")
        self.addCleanup(shutil.rmtree, tdir, True)
        cert, key = os.path.join(tdir, "c.pem"), os.path.join(tdir, "k.pem")
        san = ",".join("DNS:" + n for n in names)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=%s" % names[0], "-addext",
                        "subjectAltName=" + san],
                       check=True, capture_output=True)
        nats = tc.NatsServer(tls=(cert, key))
        self.addCleanup(nats.close)
        return nats, cert

    def test_tls_checks_the_name(self):
        """The certificate names the host of the URL, not its address:
        both connections take it."""
        nats, cert = self.tls_server([NAME])
        d = self.start(self.node(nats, url="tls://%s:%d" % (NAME, nats.port),
                                 tls={"ca": cert}))
        self.assert_publishes(d, nats, read=False)

    def test_tls_wrong_name_refused(self):
        """A certificate for another name is refused by the node's
        connection (libnats is told the name to expect): standalone,
        the reason logged."""
        nats, cert = self.tls_server(["other.test"])
        d = self.start(self.node(nats, url="tls://%s:%d" % (NAME, nats.port),
                                 tls={"ca": cert}))
        deadline = time.time() + 10
        while time.time() < deadline and "cannot connect" not in d.log():
            time.sleep(0.2)
        self.assertRegex(d.log(), r"cluster t1: NATS: cannot connect: "
                         r".*(SSL|certificate|hostname)")
        time.sleep(2 * tc.HB)
        st = d.call("daemon.status")["cluster"]
        self.assertNotEqual(st["nats"], "connected")
        self.assertTrue(st["standalone"])
        self.assertEqual(st["published"], 0)


if __name__ == "__main__":
    if not os.access(tc.SNMPMGRD, os.X_OK) or not tc.have_nats():
        print("snmpmgrd not built or built without libnats; skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
