#!/usr/bin/env python3
"""test_poll - scheduled polls, live state, run-time management, reload and
the event stream of snmpmgrd, against real Net-SNMP agents on loopback.

One snmpd listens on several ports (many sessions, each its own agent
address) and a second one is stopped and restarted mid-test.  Polls run
every 200 ms so state changes show within a second.  Checked: results
appear for every session and `value` matches snmpget; a stopped agent's
sessions go down (state events) and come back up after a restart;
reload adds, removes and rebuilds sessions while the others keep their
counters and values; a broken config leaves the running one untouched;
session.add/remove/enable/disable/config at run time, --persist; a
subscriber that never reads is dropped without stalling polling; and
every snmpmgrctl command of issue 4.  Standard library only.
"""

import json
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import (Daemon, Snmpd, SYS_DESCR, SYS_NAME,  # noqa
                      free_udp_port, net_snmp, norm_varbind,
                      parse_net_snmp_line, silent_tcp_port)

SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
IFDESCR = "1.3.6.1.2.1.2.2.1.2"
NPORTS = 4          # ports of agent A
PER_PORT = 5        # sessions per port of agent A


def wait_for(cond, timeout=5.0, step=0.05, what="condition"):
    """Poll cond() until it returns something true; that value.  A cond
    that raises OSError (a listener not open yet, a connection reset) is
    asked again until the deadline, which raises its last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(step)
            continue
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(step)


def base_config(a_ports, b, extra_sessions=None):
    """20 sessions on agent A's ports, 2 on agent B; fast polls."""
    sessions = {}
    for i, port in enumerate(a_ports):
        for k in range(PER_PORT):
            sessions["a%02d" % (i * PER_PORT + k)] = {
                "template": "fast", "port": port}
    for k in range(2):
        sessions["b%d" % k] = {"template": "fast", "port": b.port}
    sessions.update(extra_sessions or {})
    return {
        "log": {"level": "info"},
        "scheduler": {"down_after": 2, "backoff_min": "200ms",
                      "backoff_max": "400ms"},
        "defaults": {"host": "127.0.0.1", "community": "public",
                     "timeout": "150ms", "retries": 0},
        "polls": {
            "sys": {"get": [SYS_NAME, SYS_DESCR, SYS_OBJECTID],
                    "interval": "200ms", "jitter": "20ms"},
            "ifdescr": {"walk": [IFDESCR], "interval": "500ms"},
        },
        "templates": {"fast": {"polls": ["sys", "ifdescr"]}},
        "sessions": sessions,
    }


class Polling(unittest.TestCase):
    """One set of agents for the whole class; each test its own daemon."""

    @classmethod
    def setUpClass(cls):
        cls.ports = [free_udp_port() for _ in range(NPORTS - 1)]
        cls.a = Snmpd(agent_addresses=["udp:127.0.0.1:%d" % p
                                       for p in cls.ports])
        cls.a_ports = [cls.a.port] + cls.ports
        cls.b = Snmpd()

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()

    def setUp(self):
        if not self.b.alive():
            self.b.start()
        self.d = None

    def tearDown(self):
        if self.d is not None:
            if any(e is not None for e in sys.exc_info()):
                sys.stderr.write(self.d.log()[-4000:])
            self.d.close()

    def start(self, config=None, **kw):
        self.d = Daemon(config or base_config(self.a_ports, self.b), **kw)
        return self.d

    def results(self, name, poll=None):
        p = {"session": name}
        if poll:
            p["poll"] = poll
        return self.d.call("poll.results", p)

    def have_results(self, names):
        for n in names:
            for p in self.results(n)["polls"]:
                if p["time"] is None:
                    return False
        return True

    def rows(self):
        return {r["name"]: r for r in
                self.d.call("session.list")["sessions"]}

    # ------------------------------------------------------------ tests

    def test_results_appear_and_value_matches_snmpget(self):
        self.start()
        names = list(self.rows())
        self.assertEqual(len(names), NPORTS * PER_PORT + 2)
        wait_for(lambda: self.have_results(names), 5, what="results")
        # Each session polled its own agent address.
        want = dict(parse_net_snmp_line(l)[::2] for l in net_snmp(
            "snmpget", "-v2c", "-c", "public", self.a.addr, SYS_NAME,
            SYS_DESCR, SYS_OBJECTID))
        for n in names:
            res = self.results(n, "sys")["polls"][0]
            self.assertEqual(res["count"], 3)
            self.assertIsNone(res["error"])
            got = {norm_varbind(v)[0]: norm_varbind(v)[2]
                   for v in res["varbinds"]}
            self.assertEqual(got, want)
            val = self.d.call("poll.value", {"session": n, "oid": SYS_DESCR})
            self.assertEqual(norm_varbind(val)[2], want[SYS_DESCR])
            self.assertEqual(val["poll"], "sys")
        # The walk's rows are snmpwalk's.
        walk = [parse_net_snmp_line(l) for l in net_snmp(
            "snmpbulkwalk", "-v2c", "-c", "public", self.a.addr, IFDESCR)]
        res = self.results("a00", "ifdescr")["polls"][0]
        self.assertEqual([norm_varbind(v) for v in res["varbinds"]], walk)
        # snmpmgrctl value prints what snmpget prints.
        line = net_snmp("snmpget", "-v2c", "-c", "public", self.a.addr,
                        SYS_NAME)[0]
        out = self.d.ctl("value", "a03", SYS_NAME)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(parse_net_snmp_line(out.stdout.strip()),
                         parse_net_snmp_line(line))
        # An OID no poll stored: error 322.
        err = self.d.rpc("poll.value", {"session": "a00",
                                        "oid": "1.3.6.1.2.1.1.9.9.9"})
        self.assertEqual(err["error"]["code"], 322)
        st = self.d.call("daemon.status")
        self.assertEqual(st["sessions_up"], len(names))
        self.assertEqual(st["sessions_down"], 0)
        self.assertEqual(st["polls_scheduled"], 2 * len(names))
        # reset forgets the values (until the next run).
        self.d.ctl("disable", "a01")
        self.assertEqual(self.d.ctl("reset", "a01").returncode, 0)
        self.assertTrue(all(p["count"] == 0 and p["time"] is None
                            for p in self.results("a01")["polls"]))
        # The same through the socket.
        res = self.d.call("session.disable", {"session": "a02"})
        self.assertFalse(res["options"]["enabled"])
        self.assertEqual(res["state"], "disabled")
        self.assertEqual(self.d.call("poll.reset", {"session": "a02"}),
                         {"session": "a02", "reset": True})
        self.assertTrue(all(p["count"] == 0 and p["time"] is None
                            for p in self.results("a02")["polls"]))

    def test_stopped_agent_goes_down_and_comes_back(self):
        self.start()
        c = self.d.connect()
        self.addCleanup(c.close)
        c.call("events.subscribe", {"events": ["state"],
                                    "sessions": ["b0", "b1"]})
        wait_for(lambda: self.rows()["b0"]["state"] == "up", 5, what="up")
        up_a = self.rows()["a00"]["requests"]
        self.b.stop()
        downs = set()

        def got_down():
            while True:
                try:
                    m = c.read_msg(0.05)
                except TimeoutError:
                    break
                p = m["params"]
                self.assertIn(p["session"], ("b0", "b1"))
                if p["state"] == "down":
                    self.assertEqual(p["error"]["code"], 201)
                    downs.add(p["session"])
            return downs == {"b0", "b1"}
        wait_for(got_down, 5, what="down events")
        down = self.d.call("session.list", {"state": "down"})["sessions"]
        self.assertEqual(sorted(r["name"] for r in down), ["b0", "b1"])
        out = self.d.ctl("sessions", "--down")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual([l.split()[0] for l in out.stdout.splitlines()[1:]],
                         ["b0", "b1"])
        show = self.d.call("session.show", {"session": "b0"})
        self.assertEqual(show["state"]["state"], "down")
        self.assertEqual(show["state"]["last_error"]["code"], 201)
        st = self.d.call("daemon.status")
        self.assertEqual(st["sessions_down"], 2)
        self.assertGreater(st["timeouts"], 0)
        # The other agent's sessions go on meanwhile.
        self.assertGreater(self.rows()["a00"]["requests"], up_a)
        self.b.start()
        ups = set()

        def got_up():
            while True:
                try:
                    m = c.read_msg(0.05)
                except TimeoutError:
                    break
                if m["params"]["state"] == "up":
                    self.assertEqual(m["params"]["previous"], "down")
                    ups.add(m["params"]["session"])
            return ups == {"b0", "b1"}
        wait_for(got_up, 5, what="up events")
        self.assertEqual(self.d.call("daemon.status")["sessions_down"], 0)
        polls = self.d.call("session.show", {"session": "b1"})["polls"]
        self.assertGreater(sum(p["skipped_down"] for p in polls), 0)

    def test_reload_applies_the_difference(self):
        self.start()
        cfg = self.d.config
        wait_for(lambda: self.have_results(["a00", "a04", "b0"]), 5,
                 what="results")
        before = self.rows()
        t_before = self.results("a00", "sys")["polls"][0]["runs"]
        c = self.d.connect()
        self.addCleanup(c.close)
        c.call("events.subscribe", {"events": ["config"]})
        # a04 changes (its timeout), b1 goes, new1 comes, a01 loses a poll.
        cfg["sessions"]["a04"]["timeout"] = "300ms"
        del cfg["sessions"]["b1"]
        cfg["sessions"]["new1"] = {"template": "fast",
                                   "port": self.a_ports[1]}
        cfg["sessions"]["a01"]["polls"] = ["sys"]
        self.d.write_config(cfg)
        res = self.d.call("daemon.reload")
        self.assertEqual(res["added"], ["new1"])
        self.assertEqual(res["removed"], ["b1"])
        self.assertEqual(res["changed"], ["a04"])
        self.assertEqual(res["unchanged"], NPORTS * PER_PORT)
        self.assertEqual(res["warnings"], [])
        ev = c.read_msg(2)["params"]
        self.assertEqual((ev["event"], ev["status"]), ("config", "applied"))
        self.assertEqual(ev["added"], ["new1"])
        after = self.rows()
        self.assertNotIn("b1", after)
        # Unchanged sessions kept their counters and values...
        for n in ("a00", "a02", "b0"):
            self.assertGreaterEqual(after[n]["requests"],
                                    before[n]["requests"])
            self.assertEqual(after[n]["last_success"] is not None, True)
        self.assertGreaterEqual(
            self.results("a00", "sys")["polls"][0]["runs"], t_before)
        self.assertIsNotNone(self.results("a00", "sys")["polls"][0]["time"])
        # ...the rebuilt one started over, with its new option.
        self.assertLess(after["a04"]["requests"], before["a04"]["requests"])
        opts = self.d.call("session.show", {"session": "a04"})["options"]
        self.assertEqual(opts["timeout"], "300ms")
        self.assertEqual([p["poll"] for p in self.results("a01")["polls"]],
                         ["sys"])
        wait_for(lambda: self.have_results(["new1", "a04"]), 5,
                 what="results of new sessions")
        # A poll definition change reschedules only that poll.
        cfg["polls"]["ifdescr"]["interval"] = "400ms"
        self.d.write_config(cfg)
        self.d.signal(signal.SIGHUP)
        wait_for(lambda: any(p["interval_ms"] == 400 for p in
                             self.results("a00")["polls"]), 5,
                 what="SIGHUP reload")
        self.assertEqual(self.results("a00", "ifdescr")["polls"][0]["runs"],
                         self.results("a00", "ifdescr")["polls"][0]["runs"])

    def test_shared_options_through_changes_and_reloads(self):
        """Sessions of one template share an option block (core/
        sess_opts.c): a run-time change of one, a reload of the template
        and of one session's own option each show only where they
        belong, host and port included, in session.show and
        session.list."""
        cfg = base_config(self.a_ports, self.b)
        cfg["sessions"]["h2"] = {"template": "fast", "host": "127.0.0.2",
                                 "port": self.a_ports[0]}
        self.start(cfg)

        def opts(n):
            return self.d.call("session.show", {"session": n})["options"]

        def listed():
            return {r["name"]: r for r in
                    self.d.call("session.list")["sessions"]}
        self.assertEqual((opts("a00")["host"], opts("h2")["host"]),
                         ("127.0.0.1", "127.0.0.2"))
        self.assertEqual(opts("a00")["port"], opts("h2")["port"])
        self.assertEqual(listed()["h2"]["host"], "127.0.0.2")
        # A run-time change of a01 leaves its siblings as they were.
        r = self.d.call("session.config", {"session": "a01",
                                           "options": {"retries": 3}})
        self.assertEqual(r["options"]["retries"], 3)
        self.assertEqual(r["options"]["host"], "127.0.0.1")
        self.assertEqual(r["options"]["port"], self.a_ports[0])
        for n in ("a00", "a02", "h2"):
            self.assertEqual(opts(n)["retries"], 0)
        # The template changes (SIGHUP): every session of it follows.
        cfg = self.d.config
        cfg["templates"]["fast"]["timeout"] = "250ms"
        cfg["sessions"]["a03"]["max_repetitions"] = 40
        self.d.write_config(cfg)
        self.d.signal(signal.SIGHUP)
        wait_for(lambda: opts("b1")["timeout"] == "250ms", 5,
                 what="SIGHUP reload")
        for n in ("a00", "a01", "a03", "b0", "h2"):
            self.assertEqual(opts(n)["timeout"], "250ms")
        self.assertEqual(opts("a01")["retries"], 0)    # reload ended it
        self.assertEqual(opts("a03")["max_repetitions"], 40)
        self.assertEqual(opts("a04")["max_repetitions"], 25)
        self.assertEqual(opts("h2")["host"], "127.0.0.2")
        self.assertEqual(opts("b0")["port"], self.b.port)
        # The same config again: nothing to rebuild.
        res = self.d.call("daemon.reload")
        self.assertEqual((res["changed"], res["added"], res["removed"]),
                         ([], [], []))
        # Only a03 differs: one session's own option.
        del cfg["sessions"]["a03"]["max_repetitions"]
        self.d.write_config(cfg)
        res = self.d.call("daemon.reload")
        self.assertEqual(res["changed"], ["a03"])
        self.assertEqual(opts("a03")["max_repetitions"], 25)
        wait_for(lambda: self.have_results(["a03", "a01"]), 5,
                 what="results after the reloads")

    def test_invalid_reload_keeps_the_running_config(self):
        self.start()
        cfg = self.d.config
        c = self.d.connect()
        self.addCleanup(c.close)
        c.call("events.subscribe", {"events": ["config"]})
        wait_for(lambda: self.have_results(["a00"]), 5, what="results")
        good = json.dumps(cfg, indent=2)
        # A syntax error: file, line and column.
        with open(self.d.conf, "w") as f:
            f.write(good.replace('"polls": {', '"polls": {,', 1))
        err = self.d.rpc("daemon.reload")["error"]
        self.assertEqual(err["code"], -32001)
        self.assertRegex(err["data"]["detail"],
                         "^" + self.d.conf + r":\d+:\d+: ")
        ev = c.read_msg(2)["params"]
        self.assertEqual((ev["event"], ev["status"]), ("config", "refused"))
        # A meaning error (a session lists an unknown poll).
        bad = json.loads(good)
        bad["sessions"]["a00"]["polls"] = ["nosuch"]
        del bad["sessions"]["b0"]
        self.d.write_config(bad)
        err = self.d.rpc("daemon.reload")["error"]
        self.assertIn("nosuch", err["data"]["detail"])
        out = self.d.ctl("reload")
        self.assertEqual(out.returncode, 1)
        self.assertIn("nosuch", out.stderr)
        # SIGHUP with it: logged, nothing changes.
        self.d.signal(signal.SIGHUP)
        wait_for(lambda: self.d.log().count("reload: refused") >= 4, 5,
                 what="refusal in the log")
        rows = self.rows()
        self.assertIn("b0", rows)
        self.assertEqual(len(rows), NPORTS * PER_PORT + 2)
        runs = self.results("a00", "sys")["polls"][0]["runs"]
        wait_for(lambda: self.results("a00", "sys")["polls"][0]["runs"] >
                 runs + 2, 3, what="polls going on")

    def test_runtime_add_remove_disable_and_options(self):
        cfg = base_config(self.a_ports, self.b)
        cfg["include"] = [os.path.join(os.path.dirname(self.b.dir),
                                       "nothing-*.json")]
        self.start(cfg)
        cfg = self.d.config         # with the state_dir the fixture chose
        state_dir = cfg["state_dir"]
        # add: validated like the config (template, polls).
        r = self.d.rpc("session.add", {"session": "x1", "config": {
            "template": "nosuch"}})
        self.assertEqual(r["error"]["code"], -32001)
        self.assertIn("nosuch", r["error"]["data"]["detail"])
        # It names the key, not a line of a text the client never saw.
        self.assertTrue(r["error"]["data"]["detail"].startswith(
            "session.add: sessions.x1.template: "), r)
        out = self.d.ctl("add", "x1", "--json", json.dumps(
            {"template": "fast", "port": self.a_ports[2]}))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.d.rpc("session.add", {"session": "x1",
                         "config": {"port": 1}})["error"]["code"], -32001)
        # A session whose socket cannot be made (its forced local port
        # busy) is refused with the reason, not added in state "error".
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy_port = busy.getsockname()[1]
            r = self.d.rpc("session.add", {"session": "x2", "config": {
                "template": "fast", "port": self.a_ports[2],
                "local_host": "127.0.0.1", "local_port": busy_port,
                "force_local_port": True}})
        self.assertEqual(r.get("error", {}).get("code"), -32001, r)
        self.assertIn("error 104: already active: local port %d in use"
                      % busy_port, r["error"]["data"]["detail"])
        self.assertNotIn("x2", self.rows())
        wait_for(lambda: self.have_results(["x1"]), 5, what="x1 results")
        show = self.d.call("session.show", {"session": "x1"})
        self.assertEqual(show["origin"], "runtime")
        # poll now: results come back with the reply.
        out = self.d.ctl_json("poll", "x1", "sys")
        self.assertEqual(out["polls"][0]["count"], 3)
        self.assertIsNone(out["polls"][0]["error"])
        # disable stops its polls; enable starts them again.
        self.assertEqual(self.d.ctl("disable", "x1").returncode, 0)
        self.assertEqual(self.rows()["x1"]["state"], "disabled")
        runs = self.results("x1", "sys")["polls"][0]["runs"]
        time.sleep(0.5)
        self.assertEqual(self.results("x1", "sys")["polls"][0]["runs"], runs)
        err = self.d.rpc("poll.run", {"session": "x1"})["error"]
        self.assertEqual(err["code"], 109)
        self.assertEqual(self.d.ctl("enable", "x1").returncode, 0)
        wait_for(lambda: self.results("x1", "sys")["polls"][0]["runs"] >
                 runs, 3, what="runs after enable")
        # set-option: one option at run time.
        out = self.d.ctl_json("set-option", "x1", "community", "wrong")
        self.assertEqual(out["options"]["community"], "***")
        self.assertTrue(out["modified"])
        wait_for(lambda: self.rows()["x1"]["state"] == "down", 5,
                 what="x1 down with a wrong community")
        self.d.ctl_json("set-option", "x1", "community", "public")
        wait_for(lambda: self.rows()["x1"]["state"] == "up", 5,
                 what="x1 up again")
        bad = self.d.ctl("set-option", "x1", "timeout", "soon")
        self.assertEqual(bad.returncode, 1)
        # remove.
        self.assertEqual(self.d.ctl("remove", "x1").returncode, 0)
        self.assertNotIn("x1", self.rows())
        # A run-time addition is lost on reload...
        self.d.ctl_json("add", "x2", "--json", json.dumps(
            {"template": "fast", "port": self.a_ports[0]}))
        self.d.call("daemon.reload")
        self.assertNotIn("x2", self.rows())
        # ...unless persisted: in snmpmgrd's own directory, which it
        # reads after the config without an include.
        out = self.d.ctl_json("add", "x3", "--persist", "--json", json.dumps(
            {"template": "fast", "port": self.a_ports[0]}))
        self.assertTrue(out["persisted"])
        path = os.path.join(state_dir, "sessions", "x3.json")
        with open(path) as f:
            self.assertEqual(json.load(f)["sessions"]["x3"]["template"],
                             "fast")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        res = self.d.call("daemon.reload")
        self.assertEqual(res["added"], [])
        self.assertIn("x3", self.rows())
        self.assertEqual(self.d.call("session.show",
                                     {"session": "x3"})["origin"], "config")
        out = self.d.ctl_json("remove", "x3")
        self.assertTrue(out["unpersisted"])
        self.assertFalse(os.path.exists(path))
        self.d.call("daemon.reload")
        self.assertNotIn("x3", self.rows())

    def test_persist_never_touches_files_it_did_not_write(self):
        # Issue 9 item 6: an operator's file in STATE_DIR/conf.d, with
        # two sessions, named like one of them and like a new one.
        cfg = base_config(self.a_ports, self.b)
        self.start(cfg, start=False)
        cfg = self.d.config
        confd = os.path.join(cfg["state_dir"], "conf.d")
        os.makedirs(confd, exist_ok=True)
        cfg["include"] = [os.path.join(confd, "*.json")]
        shared = os.path.join(confd, "s1.json")
        text = json.dumps({"sessions": {
            "s1": {"template": "fast", "port": self.a_ports[1]},
            "s2": {"template": "fast", "port": self.a_ports[1]}}})
        group = os.path.join(confd, "group.json")
        gtext = json.dumps({"sessions": {
            "g1": {"template": "fast", "port": self.a_ports[2]},
            "g2": {"template": "fast", "port": self.a_ports[2]}}})
        for path, t in ((shared, text), (group, gtext)):
            with open(path, "w") as f:
                f.write(t)
        self.d.write_config(cfg)
        self.d.start()
        self.assertIn("s2", self.rows())
        # add --persist of group.json's namesake does not replace it...
        out = self.d.ctl_json("add", "group", "--persist", "--json",
                              json.dumps({"template": "fast",
                                          "port": self.a_ports[2]}))
        self.assertTrue(out["persisted"])
        with open(group) as f:
            self.assertEqual(f.read(), gtext)
        # ...remove of a session of a shared file does not delete it...
        out = self.d.ctl_json("remove", "s1")
        self.assertFalse(out["unpersisted"])
        with open(shared) as f:
            self.assertEqual(f.read(), text)
        self.assertEqual(sorted(os.listdir(confd)),
                         ["group.json", "s1.json"])
        # ...and a reload brings back everything the files define.
        self.d.call("daemon.reload")
        rows = self.rows()
        for n in ("s1", "s2", "g1", "g2", "group"):
            self.assertIn(n, rows)
        # What add wrote, remove deletes: only that.
        out = self.d.ctl_json("remove", "group")
        self.assertTrue(out["unpersisted"])
        self.d.call("daemon.reload")
        rows = self.rows()
        self.assertNotIn("group", rows)
        for n in ("g1", "g2"):
            self.assertIn(n, rows)

    def test_add_checks_against_the_running_config(self):
        # Issue 9 item 6: the files on disk are broken (an edit under
        # way); session.add still works against what runs.
        self.start()
        with open(self.d.conf, "w") as f:
            f.write('{"sessions": {"half": ')
        r = self.d.rpc("session.add", {"session": "y1", "config": {
            "template": "fast", "port": self.a_ports[0]}})
        self.assertNotIn("error", r, r)
        r = self.d.rpc("session.add", {"session": "y2", "persist": True,
                       "config": {"template": "fast", "polls": ["sys"],
                                  "port": self.a_ports[0]}})
        self.assertNotIn("error", r, r)
        wait_for(lambda: self.have_results(["y1", "y2"]), 5,
                 what="y1, y2 results")
        # What conflicts with the running config is still refused.
        for name, conf, why in (
                ("y3", {"template": "nosuch"}, "nosuch"),
                ("y3", {"template": "fast", "polls": ["nopoll"]}, "nopoll"),
                ("y1", {"template": "fast"}, "exists already")):
            r = self.d.rpc("session.add", {"session": name, "config": conf})
            self.assertEqual(r["error"]["code"], -32001, r)
            self.assertIn(why, r["error"]["data"]["detail"])
        self.assertNotIn("y3", self.rows())

    def test_runtime_options_persist_when_asked(self):
        # Issue 9 item 6: set-option, enable, disable --persist survive a
        # reload (config sessions and persisted additions alike); without
        # --persist a reload undoes them.
        cfg = base_config(self.a_ports, self.b)
        cfg["include"] = [os.path.join(os.path.dirname(self.b.dir),
                                       "nothing-*.json")]
        self.start(cfg)
        state_dir = self.d.config["state_dir"]
        # (Where older snmpmgrd wrote, so that the test reaches --persist.)
        self.d.config["include"].append(os.path.join(state_dir, "conf.d",
                                                     "*.json"))
        self.d.write_config()
        self.d.call("daemon.reload")
        self.d.ctl_json("add", "z1", "--persist", "--json", json.dumps(
            {"template": "fast", "port": self.a_ports[0]}))
        out = self.d.ctl_json("set-option", "--persist", "a00", "timeout",
                              "777ms")
        self.assertTrue(out["persisted"])
        self.d.ctl_json("set-option", "z1", "retries", "3", "--persist")
        self.d.ctl_json("set-option", "a01", "timeout", "888ms")
        out = self.d.ctl_json("disable", "a02", "--persist")
        self.assertTrue(out["persisted"])
        self.d.ctl_json("disable", "z1", "--persist")
        self.d.ctl_json("disable", "a03")
        r = self.d.rpc("session.enable", {"session": "a04",
                                          "persist": False})
        self.assertNotIn("error", r, r)
        path = os.path.join(state_dir, "overrides.json")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        for i in range(2):      # a reload, then a restart
            res = self.d.call("daemon.reload")
            if i == 0:
                # What runs as the new config says is kept, not rebuilt.
                self.assertNotIn("a00", res["changed"])
            opts = lambda n: self.d.call("session.show",
                                         {"session": n})["options"]
            self.assertEqual(opts("a00")["timeout"], "777ms")
            self.assertEqual(opts("z1")["retries"], 3)
            self.assertEqual(opts("a01")["timeout"], "150ms")
            rows = self.rows()
            self.assertEqual(rows["a02"]["state"], "disabled")
            self.assertEqual(rows["z1"]["state"], "disabled")
            self.assertNotEqual(rows["a03"]["state"], "disabled")
            self.d.stop()
            self.d.start()
        # enable --persist undoes a persisted disable.
        self.d.ctl_json("enable", "a02", "--persist")
        self.d.call("daemon.reload")
        self.assertNotEqual(self.rows()["a02"]["state"], "disabled")
        # Removing the persisted addition drops its options too.
        self.d.ctl_json("remove", "z1")
        with open(path) as f:
            self.assertNotIn("z1", json.load(f)["sessions"])

    def test_slow_subscriber_is_dropped_and_polling_goes_on(self):
        cfg = base_config(self.a_ports, self.b)
        cfg["polls"]["big"] = {"walk": ["1.3.6.1.2.1.2", "1.3.6.1.2.1.4"],
                               "interval": "200ms"}
        cfg["templates"]["fast"]["polls"].append("big")
        self.start(cfg)
        # A reader that keeps up, through snmpmgrctl watch.
        watch = snmptest.subprocess.Popen(
            [self.d.ctlprog, "-s", self.d.sock, "watch", "--event",
             "poll", "--session", "a00"], stdout=snmptest.subprocess.PIPE,
            text=True)
        snmptest._track(watch)
        # One that never reads, with a small bound.
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(self.d.sock)
        slow.sendall(json.dumps({"jsonrpc": "2.0", "id": 1,
                                 "method": "events.subscribe", "params": {
                                     "events": ["response"],
                                     "max_queue": 65536}}).encode() + b"\n")
        try:
            wait_for(lambda: self.d.call("daemon.stats")["events"]["ended"]
                     ["slow"] == 1, 10, what="the slow subscriber dropped")
            done = self.d.call("daemon.status")["polls_done"]
            wait_for(lambda: self.d.call("daemon.status")["polls_done"] >
                     done + 50, 5, what="polls going on")
            self.assertIn("does not keep up", self.d.log())
            # The reader still gets its events, as JSON lines.
            line = watch.stdout.readline()
            ev = json.loads(line)
            self.assertEqual((ev["event"], ev["session"]), ("poll", "a00"))
            self.assertIn(ev["poll"], ("sys", "ifdescr", "big"))
        finally:
            slow.close()
            snmptest._kill(watch)
            watch.stdout.close()

    def test_graceful_stop_answers_and_removes_the_socket(self):
        self.start()
        wait_for(lambda: self.have_results(["a00"]), 5, what="results")
        c = self.d.connect()
        self.addCleanup(c.close)
        c.call("events.subscribe", {"events": ["state"]})
        rid = c.request("poll.run", {"session": "a00"})
        self.d.signal(signal.SIGTERM)
        replies = []
        while True:
            try:
                m = c.read_msg(5)
            except ConnectionError:
                break
            replies.append(m)
        ids = [m.get("id") for m in replies if "id" in m]
        self.assertIn(rid, ids)
        ends = [m for m in replies if m.get("method") == "events.end"]
        self.assertEqual(ends[0]["params"]["reason"], "shutdown")
        self.assertEqual(self.d.proc.wait(10), 0)
        self.assertFalse(os.path.exists(self.d.sock))


class Scheduling(unittest.TestCase):
    """The daemon side of the scheduler, without agents."""

    def test_unanswered_sessions_are_probed_with_backoff(self):
        port = free_udp_port()      # nobody answers there
        with Daemon({"scheduler": {"down_after": 1, "backoff_min": "100ms",
                                   "backoff_max": "200ms"},
                     "polls": {"p": {"get": [SYS_NAME],
                                     "interval": "100ms"}},
                     "sessions": {"dead": {"host": "127.0.0.1",
                                           "port": port, "timeout": "50ms",
                                           "retries": 0,
                                           "polls": ["p"]}}}) as d:
            wait_for(lambda: d.call("session.show", {"session": "dead"})
                     ["state"]["probes"] >= 3, 5, what="probes")
            show = d.call("session.show", {"session": "dead"})
            self.assertEqual(show["state"]["state"], "down")
            self.assertIn(show["state"]["next_probe_in_ms"],
                          [None] + list(range(0, 201)))
            # Far fewer requests than one per 100 ms turn.
            time.sleep(1.0)
            a = d.call("session.show", {"session": "dead"})["stats"]
            self.assertLess(a["requests"], 15)
            st = d.call("daemon.stats")
            self.assertGreater(st["polls"]["polls"]["skipped_down"], 0)
            self.assertGreater(show["polls"][0]["skipped_down"], 0)

    def test_tcp_poll_timeout_counts_the_try_sent(self):
        # Over TCP a poll's request is written once: its timeout says
        # so, whatever the retries.
        port = silent_tcp_port(self)
        with Daemon({"polls": {"p": {"get": [SYS_NAME], "interval": "1h"}},
                     "sessions": {"t": {"host": "127.0.0.1", "port": port,
                                        "transport": "tcp",
                                        "timeout": "100ms", "retries": 2,
                                        "polls": ["p"]}}}) as d:
            r = d.call("poll.run", {"session": "t"}, timeout=30)
            err = r["polls"][0]["error"]
            self.assertEqual(err["code"], 201, r)
            self.assertEqual(err["detail"], "no response from "
                             "127.0.0.1:%d after 1 try" % port)

    def test_a_polls_own_timeout_and_retries_apply(self):
        port = free_udp_port()
        with Daemon({"scheduler": {"down_after": 1},
                     "polls": {"p": {"get": [SYS_NAME], "interval": "1h",
                                     "timeout": "50ms", "retries": 0},
                               "w": {"walk": [IFDESCR], "interval": "1h",
                                     "timeout": "60ms", "retries": 1}},
                     "sessions": {"slow": {"host": "127.0.0.1",
                                           "port": port, "timeout": "10s",
                                           "retries": 3,
                                           "polls": ["p", "w"]}}}) as d:
            ev = d.connect()
            self.addCleanup(ev.close)
            ev.call("events.subscribe", {"events": "poll",
                                         "sessions": "slow"})
            t = time.monotonic()
            r = d.call("poll.run", {"session": "slow"}, timeout=30)
            # The polls' own timeouts, not the session's 10 s a try:
            # each run as long as its tries (50 ms; 2 x 60 ms) by the
            # daemon's clock, with room for a busy machine's timers, and
            # the whole well inside one try at the session's timeout.
            self.assertLess(time.monotonic() - t, 5.0)
            took = {}
            while len(took) < 2:
                m = ev.read_msg(5)["params"]
                took[m["poll"]] = m["duration_ms"]
            self.assertGreaterEqual(took["p"], 45)
            self.assertLess(took["p"], 1000)
            self.assertGreaterEqual(took["w"], 2 * 60 - 10)
            self.assertLess(took["w"], 1000)
            errs = {p["poll"]: p["error"] for p in r["polls"]}
            self.assertEqual(errs["p"]["code"], 201)
            self.assertIn("after 1 try", errs["p"]["detail"])
            self.assertIn("after 2 tries", errs["w"]["detail"])
            out = d.ctl("poll", "slow", "p")
            self.assertEqual(out.returncode, 1)
            self.assertIn("last run failed: error 201", out.stdout)

    def test_subscribe_unsubscribe_and_watch_count(self):
        with Daemon({"sessions": {}}) as d:
            c = d.connect()
            self.addCleanup(c.close)
            sub = c.call("events.subscribe", {"events": "config,state"})
            self.assertEqual(sub["events"], ["state", "config"])
            self.assertIsNone(sub["sessions"])
            # A notification (no id) cannot subscribe.
            c.notify("events.subscribe", {})
            watch = snmptest.subprocess.Popen(
                [d.ctlprog, "-s", d.sock, "watch", "--event", "config",
                 "--count", "1"], stdout=snmptest.subprocess.PIPE,
                text=True)
            snmptest._track(watch)
            wait_for(lambda: d.call("daemon.stats")["events"]
                     ["subscribers"] == 2, 5, what="the watcher")
            d.call("daemon.reload")
            ev = c.read_msg(5)
            self.assertEqual(ev["method"], "event")
            self.assertEqual(ev["params"]["event"], "config")
            self.assertRegex(ev["params"]["time"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            out, _ = watch.communicate(timeout=10)
            self.assertEqual(watch.returncode, 0)
            self.assertEqual(json.loads(out)["status"], "applied")
            d.call("events.unsubscribe",
                   {"subscription": sub["subscription"]})
            end = c.read_msg(5)
            self.assertEqual(end["method"], "events.end")
            self.assertEqual(end["params"]["reason"], "unsubscribed")
            self.assertEqual(end["params"]["delivered"], 1)
            self.assertEqual(d.call("daemon.stats")["events"]
                             ["subscribers"], 0)

    def test_unknown_params_and_sessions_are_refused(self):
        with Daemon({"sessions": {}}) as d:
            for m, p in (("poll.results", {"session": "x"}),
                         ("poll.value", {"session": "x", "oid": "1.3"}),
                         ("poll.run", {"session": "x"}),
                         ("session.remove", {"session": "x"}),
                         ("session.enable", {"session": "x"}),
                         ("session.config", {"session": "x"}),
                         ("events.subscribe", {"events": ["nosuch"]}),
                         ("events.subscribe", {"bogus": 1}),
                         ("events.unsubscribe", {"subscription": 99}),
                         ("session.add", {"session": "x"}),
                         ("daemon.stats", {"x": 1})):
                r = d.rpc(m, p)
                self.assertEqual(r["error"]["code"], -32602, (m, r))
            st = d.ctl_json("stats")
            self.assertIn("rss_kib", st)
            self.assertEqual(d.ctl("status").returncode, 0)


if __name__ == "__main__":
    snmptest.main()
