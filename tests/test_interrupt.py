#!/usr/bin/env python3
"""test_interrupt - SPEC.md 3 "interrupt": request.cancel, session.interrupt
and snmpmgrctl's `interrupt` command and Ctrl-C during a walk.

Agents are a UDP socket that never answers (requests stay in flight for
as long as the test needs) and a small agent inside the test
(fakeagent.py) that answers a given number of requests and then goes
silent, so a walk can be caught half-way.  Every interrupted operation
must end at once with error 398: a get without its answer, a walk with
the count and last OID it can resume from, a poll run as a failed run
that does not mark the agent down.  Standard library only.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon, SYS_NAME  # noqa: E402
from fakeagent import FakeAgent, ROOT_STR, row_oid  # noqa: E402


def wait_for(cond, timeout=5.0, step=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(step)


class Interrupt(unittest.TestCase):

    def setUp(self):
        # An agent address where nothing ever answers.
        self.hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.hole.bind(("127.0.0.1", 0))
        self.agent = FakeAgent(rows=40, answers=2)
        self.d = Daemon({
            "log": {"level": "info"},
            "scheduler": {"down_after": 1},
            "polls": {"p": {"get": [SYS_NAME], "interval": "1h"}},
            "sessions": {
                "silent": {"host": "127.0.0.1",
                           "port": self.hole.getsockname()[1],
                           "timeout": "20s", "retries": 0,
                           "polls": ["p"]},
                "fake": self.agent.target(timeout="20s"),
            },
        })

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        self.agent.close()
        self.hole.close()

    def in_flight(self, n):
        return self.d.call("daemon.status")["requests_in_flight"] >= n

    def test_request_cancel_ends_one_request(self):
        c = self.d.connect()
        get = {"session": "silent", "oids": [SYS_NAME]}
        gid = c.request("snmp.get", get)
        cid = c.request("request.cancel", {"id": gid})
        # The get's own reply first (it would wait 20 s otherwise) ...
        _, rep = c.wait_reply(gid, timeout=3)
        self.assertEqual(rep["error"]["code"], 398)
        self.assertEqual(rep["error"]["message"], "interrupted")
        self.assertEqual(rep["error"]["data"]["detail"],
                         "cancelled by request.cancel")
        # ... then the cancel's.
        _, rep = c.wait_reply(cid)
        self.assertEqual(rep["result"], {"id": gid, "method": "snmp.get",
                                         "cancelled": True})
        # String ids work as well.
        c.request("snmp.get", get, id="x-1")
        self.assertTrue(c.call("request.cancel", {"id": "x-1"})["cancelled"])
        self.assertEqual(c.wait_reply("x-1")[1]["error"]["code"], 398)
        # Only requests of the same connection, in flight, by id.
        gid = c.request("snmp.get", get)
        other = self.d.connect()
        for params in ({"id": gid}, {"id": 99999}, {}, {"id": [1]},
                       {"id": gid, "session": "silent"}):
            rep = other.rpc("request.cancel", params)
            self.assertEqual(rep["error"]["code"], -32602, params)
        wait_for(lambda: self.in_flight(1), what="the get in flight")
        self.assertEqual(self.d.call("daemon.status")["requests_in_flight"],
                         1)
        rep = c.rpc("request.cancel", {"id": gid})
        self.assertTrue(rep["result"]["cancelled"])
        self.assertEqual(c.wait_reply(gid)[1]["error"]["code"], 398)
        rep = c.rpc("request.cancel", {"id": gid})
        self.assertEqual(rep["error"]["code"], -32602)
        self.assertEqual(self.d.call("daemon.status")["requests_in_flight"],
                         0)
        # poll.run has no way of its own: it stops waiting, the run goes on.
        pid = c.request("poll.run", {"session": "silent"})
        wait_for(lambda: self.in_flight(1), what="poll.run in flight")
        rep = c.rpc("request.cancel", {"id": pid})
        self.assertEqual(rep["result"]["method"], "poll.run")
        self.assertEqual(c.wait_reply(pid)[1]["error"]["code"], 398)
        poll = self.d.call("poll.results", {"session": "silent"})["polls"][0]
        self.assertTrue(poll["running"])
        other.close()
        c.close()

    def test_request_cancel_of_a_walk_gives_its_resume_point(self):
        c = self.d.connect()
        wid = c.request("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                      "max_repetitions": 5})
        # Two answers of five rows, then the third request waits.
        wait_for(lambda: self.agent.requests >= 3, what="third request")
        cid = c.request("request.cancel", {"id": wid})
        notes, rep = c.wait_reply(wid, timeout=3)
        rows = [vb["oid"] for n in notes if n["method"] == "walk.rows"
                for vb in n["params"]["varbinds"]]
        self.assertEqual(rows, [row_oid(i) for i in range(1, 11)])
        err = rep["error"]
        self.assertEqual(err["code"], 398)
        self.assertEqual(err["data"]["count"], 10)
        self.assertEqual(err["data"]["last_oid"], row_oid(10))
        self.assertEqual(c.wait_reply(cid)[1]["result"]["method"],
                         "snmp.walk")
        self.assertEqual(self.d.call("daemon.status")["walks"], 0)
        # The walk resumes where it stopped.
        self.agent.answers = None
        res = c.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                   "start_oid": row_oid(10),
                                   "stream": False})
        self.assertEqual([vb["oid"] for vb in res["varbinds"]],
                         [row_oid(i) for i in range(11, 41)])
        # A subscription ends as if unsubscribed.
        sid = c.request("events.subscribe", {"events": ["poll"]})
        c.wait_reply(sid)
        rep = c.rpc("request.cancel", {"id": sid})
        self.assertEqual(rep["result"]["method"], "events.subscribe")
        ends = [n for n in c.notifications if n["method"] == "events.end"]
        self.assertEqual(ends[-1]["params"]["reason"], "cancelled")
        self.assertEqual(self.d.call("daemon.stats")["events"]
                         ["subscribers"], 0)
        c.close()

    def test_session_interrupt_ends_everything_in_flight(self):
        ev = self.d.connect()
        ev.call("events.subscribe", {"events": ["error", "poll", "state"],
                                     "sessions": ["silent"]})
        a, b, p = self.d.connect(), self.d.connect(), self.d.connect()
        ga = a.request("snmp.get", {"session": "silent",
                                    "oids": [SYS_NAME]})
        wb = b.request("snmp.walk", {"session": "silent",
                                     "oid": "1.3.6.1.2.1.1"})
        pr = p.request("poll.run", {"session": "silent"})
        wait_for(lambda: self.in_flight(3), what="three in flight")
        res = self.d.call("session.interrupt", {"session": "silent"})
        self.assertEqual(res["session"], "silent")
        self.assertGreaterEqual(res["interrupted"], 3)
        err = a.wait_reply(ga, timeout=3)[1]["error"]
        self.assertEqual(err["code"], 398)
        self.assertEqual(err["data"]["detail"],
                         "interrupted by session.interrupt")
        err = b.wait_reply(wb, timeout=3)[1]["error"]
        self.assertEqual((err["code"], err["data"]["count"],
                          err["data"]["last_oid"]), (398, 0, None))
        poll = p.wait_reply(pr, timeout=3)[1]["result"]["polls"][0]
        self.assertEqual(poll["error"]["code"], 398)
        # Error events name the method; the poll failed; no down-mark.
        got = []
        wait_for(lambda: got.extend(self.events(ev)) or
                 len([e for e in got if e["event"] == "error"]) >= 3,
                 what="error events")
        methods = sorted(e.get("method", e.get("poll")) for e in got
                         if e["event"] == "error")
        self.assertEqual(methods, ["p", "snmp.get", "snmp.walk"])
        for e in got:
            if e["event"] == "error":
                self.assertEqual(e["code"], 398)
                self.assertEqual(e["session"], "silent")
        self.assertEqual([e["ok"] for e in got if e["event"] == "poll"],
                         [False])
        self.assertEqual([e for e in got if e["event"] == "state"], [])
        row = [r for r in self.d.call("session.list")["sessions"]
               if r["name"] == "silent"][0]
        self.assertNotEqual(row["state"], "down")
        # Nothing left; other sessions untouched; unknown session.
        self.assertEqual(self.d.call("session.interrupt",
                                     {"session": "silent"})["interrupted"], 0)
        self.assertEqual(self.d.rpc("session.interrupt", {
            "session": "nosuch"})["error"]["code"], -32602)
        out = self.d.ctl("interrupt", "silent")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("interrupted: 0", out.stdout)
        self.assertEqual(self.d.ctl("interrupt").returncode, 2)
        for c in (a, b, p, ev):
            c.close()

    @staticmethod
    def events(c):
        out = []
        while True:
            try:
                m = c.read_msg(timeout=0.2)
            except TimeoutError:
                return out
            if m.get("method") == "event":
                out.append(m["params"])

    def test_ctrl_c_cancels_a_walk_of_snmpmgrctl(self):
        proc = subprocess.Popen(
            [self.d.ctlprog, "-s", self.d.sock, "walk", "-r", "5", "fake",
             ROOT_STR], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: self.agent.requests >= 3, what="third request")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 1, err)
        self.assertEqual(len(out.splitlines()), 10, out)
        self.assertIn("error 398", err)
        self.assertIn("walk stopped after 10 objects; resume with "
                      "--start-oid %s" % row_oid(10), err)
        self.assertEqual(self.d.call("daemon.status")["walks"], 0)


if __name__ == "__main__":
    snmptest.main()
