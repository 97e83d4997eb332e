#!/usr/bin/env python3
"""dtls_scale.py - DTLS handshakes per CPU-second, and many DTLS sessions
polled at once, in snmpmgrd beside the same-run references.

One Net-SNMP snmpd serves every association (dtlsudp:127.0.0.1@lo, as
tests/test_dtls.py sets it up; it also answers v2c on udp:127.0.0.1).
Certificates are made with openssl (the test suite's Pki).  Placement: the
agent on CPU 0; snmpmgrd and the Net-SNMP tools on CPU 0 too ("same") or
on CPU 1 ("cross", when this process may use CPU 1).

1. Handshakes (--handshakes N sessions, default 100): a get on each
   session opens its association (handshake + get), then a second get on
   each runs on the open one (get only); the difference of the daemon's
   CPU (schedstat of every thread) between the two passes, per session, is
   its CPU per handshake.  Reference, interleaved: --tools N runs each of
   snmpget over DTLS (-T our_identity ...) and snmpget -v2c over UDP for
   the same OID; the difference of their CPU (rusage) is what DTLS costs
   one snmpget (its handshake, and loading the certificates; a process
   cannot keep an association), the DTLS run alone is its total.  The
   agent's CPU per handshake is printed for both.
2. Polls (--sessions N, default 1,000, every --interval, default 10 s):
   a daemon with N DTLS sessions to the agent (timeout 10 s, 2 retries:
   the first round opens N associations within one interval, and with
   timeout 5 s and 1 retry some polls timed out while the agent was busy
   with the handshakes), one poll of sysDescr.0 and sysObjectID.0 each, then the same daemon config over v2c/UDP as the
   reference.  After the first round (every session polled once, every
   association opened) the daemon's CPU per poll over --measure seconds
   (default 30), its RSS, and the RSS difference between the two daemons
   per session: what an idle association costs (issue 10 goal: < 40 KiB).

Correctness first: every get of (1) must answer, equal to snmpget over
DTLS; in (2) no poll may fail or time out, every DTLS session must show an
open association, and every session's values must equal snmpget's.  A
failed check prints no figure and exits 1.  --strict: exit 1 when the
memory goal is missed too.  --json: one line of the figures as well.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, HERE)

import snmptest  # noqa: E402
from test_dtls import (Pki, SYS_DESCR, SYS_OBJECTID,  # noqa: E402
                       dtls_agent, ns_dtls)
from walk import (PLACEMENTS, pin, placements_available,  # noqa: E402
                  proc_cpu_ns, run_timed)
from dtls_idle import rss_kib  # noqa: E402

GOAL_KIB = 40.0
OIDS = [SYS_DESCR, SYS_OBJECTID]


class CheckFailed(Exception):
    pass


def seconds(text):
    """"10s", "2m", "500ms" or a number of seconds -> seconds."""
    for suffix, mult in (("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[:-len(suffix)].replace(
                ".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * mult
    return float(text)


TIMEOUT = {"timeout": "10s", "retries": 2}


def dtls_session(pki, port, **over):
    s = {"host": "127.0.0.1", "port": port, "transport": "dtls",
         "cert": pki.path("mgr.crt"),
         "key": pki.path("mgr.key"), "ca": pki.ca}
    s.update(TIMEOUT)
    s.update(over)
    return s


def vbs(reply):
    return [snmptest.norm_varbind(vb) for vb in reply]


def handshakes(opt, pki, agent, port, mcpu, want):
    """Part 1 in one placement: figures, or CheckFailed."""
    n = opt.handshakes
    sess = {"h%04d" % i: dtls_session(pki, port) for i in range(n)}
    d = snmptest.Daemon({"log": {"level": "warning"}, "sessions": sess})
    try:
        pin(d.pid, mcpu)

        def one_pass():
            a0, c0 = proc_cpu_ns(agent.pid), proc_cpu_ns(d.pid)
            for i in range(n):
                r = d.rpc("snmp.get", {"session": "h%04d" % i,
                                       "oids": OIDS}, timeout=30)
                if "result" not in r:
                    raise CheckFailed("get on h%04d: %r" % (i, r))
                got = vbs(r["result"]["varbinds"])
                if got != want:
                    raise CheckFailed("h%04d: %r, snmpget %r"
                                      % (i, got, want))
            return ((proc_cpu_ns(d.pid) - c0) / 1e9,
                    (proc_cpu_ns(agent.pid) - a0) / 1e9)

        first, afirst = one_pass()
        opened = sum(1 for i in range(n) if d.call(
            "session.show", {"session": "h%04d" % i})["tls"])
        if opened != n:
            raise CheckFailed("%d of %d associations open" % (opened, n))
        second, asecond = one_pass()
    finally:
        d.close()
    prog = snmptest.find_program("snmpget")
    dtls_argv = [prog] + list(snmptest.NET_SNMP_OPTS) + [
        "-v3", "-l", "authPriv", "-t", "5", "-r", "1",
        "-T", "our_identity=mgr", "-T", "trust_cert=ca",
        "-T", "their_hostname=localhost",
        "dtlsudp:localhost:%d" % port] + OIDS
    udp_argv = [prog] + list(snmptest.NET_SNMP_OPTS) + [
        "-v2c", "-c", "public", "-t", "5", "-r", "1", agent.addr] + OIDS
    env = pki.env()
    tools = {"dtls": [], "udp": [], "agent_dtls": [], "agent_udp": []}
    for i in range(opt.tools):
        for kind, argv in (("dtls", dtls_argv), ("udp", udp_argv))[
                ::1 if i % 2 == 0 else -1]:
            a0 = proc_cpu_ns(agent.pid)
            _, cpu, st = run_timed(argv, env, mcpu)
            if st != 0:
                raise CheckFailed("snmpget %s exited %d" % (kind, st))
            tools[kind].append(cpu)
            tools["agent_" + kind].append(
                (proc_cpu_ns(agent.pid) - a0) / 1e9)
    hs = (first - second) / n
    sg_dtls = statistics.median(tools["dtls"])
    sg_udp = statistics.median(tools["udp"])
    return {
        "sessions": n, "snmpget_runs": opt.tools,
        "daemon_first_get_ms": first / n * 1e3,
        "daemon_second_get_ms": second / n * 1e3,
        "daemon_handshake_ms": hs * 1e3,
        "daemon_handshakes_per_cpu_s": (1 / hs) if hs > 0 else None,
        "agent_handshake_ms": (afirst - asecond) / n * 1e3,
        "snmpget_dtls_ms": sg_dtls * 1e3,
        "snmpget_udp_ms": sg_udp * 1e3,
        "snmpget_dtls_cost_ms": (sg_dtls - sg_udp) * 1e3,
        "snmpget_dtls_per_cpu_s": 1 / sg_dtls if sg_dtls > 0 else None,
        "agent_per_snmpget_dtls_ms":
            statistics.median(tools["agent_dtls"]) * 1e3,
    }


def poll_daemon(opt, sessions, mcpu, want, dtls):
    """A daemon polling sessions; after the first round, its figures."""
    n = len(sessions)
    conf = {"log": {"level": "warning"},
            "polls": {"p": {"get": OIDS, "interval": opt.interval}},
            "sessions": {k: dict(v, polls=["p"])
                         for k, v in sessions.items()}}
    d = snmptest.Daemon(conf, start=False)
    try:
        t0 = time.monotonic()
        d.start(timeout=max(10.0, n * 0.05))    # cert checks per session
        start_wall = time.monotonic() - t0
        pin(d.pid, mcpu)
        start_cpu = proc_cpu_ns(d.pid) / 1e9
        c0, t0 = proc_cpu_ns(d.pid), time.monotonic()
        # Polls are spread over the interval: every session's first one
        # falls in the first interval (a session may be polled twice
        # before another once, so polls_done alone proves nothing).
        end = t0 + seconds(opt.interval) + 2
        while True:
            st = d.call("daemon.status", timeout=30)
            if st["polls_failed"] or st["timeouts"]:
                raise CheckFailed("%s: %d polls failed, %d timeouts in "
                                  "the first round" % (
                                      "dtls" if dtls else "udp",
                                      st["polls_failed"], st["timeouts"]))
            if time.monotonic() >= end:
                break
            time.sleep(0.5)
        first_cpu = (proc_cpu_ns(d.pid) - c0) / 1e9
        first_wall = time.monotonic() - t0
        first_polls = st["polls_done"]
        limit = time.monotonic() + 2 * seconds(opt.interval) + 10
        for k in sessions:
            while True:
                res = d.call("poll.results", {"session": k}, timeout=30)
                got = vbs(res["polls"][0]["varbinds"])
                if got or time.monotonic() > limit:
                    break
                time.sleep(0.2)
            if got != want:
                raise CheckFailed("%s: %r, snmpget %r" % (k, got, want))
            if dtls and not d.call("session.show", {"session": k})["tls"]:
                raise CheckFailed("%s: no open association" % k)
        s0 = d.call("daemon.status", timeout=30)
        c0, t0 = proc_cpu_ns(d.pid), time.monotonic()
        time.sleep(opt.measure)
        c1, t1 = proc_cpu_ns(d.pid), time.monotonic()
        s1 = d.call("daemon.status", timeout=30)
        polls = s1["polls_done"] - s0["polls_done"]
        if s1["polls_failed"] != s0["polls_failed"] or \
                s1["timeouts"] != s0["timeouts"] or polls <= 0:
            raise CheckFailed("while measuring: %d polls, %d failed, %d "
                              "timeouts" % (polls, s1["polls_failed"] -
                                            s0["polls_failed"],
                                            s1["timeouts"] -
                                            s0["timeouts"]))
        return {"sessions": n, "start_cpu_s": start_cpu,
                "start_wall_s": start_wall,
                "first_round_cpu_s": first_cpu,
                "first_round_polls": first_polls,
                "first_round_wall_s": first_wall, "polls": polls,
                "cpu_s": (c1 - c0) / 1e9, "wall_s": t1 - t0,
                "us_per_poll": (c1 - c0) / 1e3 / polls,
                "rss_kib": rss_kib(d.pid)}
    finally:
        d.close()


def polls(opt, pki, agent, port, mcpu, want):
    n = opt.sessions
    ours = poll_daemon(opt, {"s%04d" % i: dtls_session(pki, port)
                             for i in range(n)}, mcpu, want, True)
    ref = poll_daemon(opt, {"s%04d" % i: agent.target(**TIMEOUT)
                            for i in range(n)}, mcpu, want, False)
    per_poll = ours["us_per_poll"] / 1e6
    return {"dtls": ours, "udp": ref,
            "kib_per_association": (ours["rss_kib"] - ref["rss_kib"]) / n,
            "handshake_ms_from_first_round":
                (ours["first_round_cpu_s"] -
                 ours["first_round_polls"] * per_poll) / n * 1e3}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--handshakes", type=int, default=100)
    ap.add_argument("--tools", type=int, default=30,
                    help="snmpget runs of each kind (default 30)")
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--measure", type=float, default=30.0)
    ap.add_argument("--placement", choices=sorted(PLACEMENTS),
                    action="append", help="only these (default: both)")
    ap.add_argument("--only", choices=("handshakes", "polls"))
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--json", action="store_true")
    opt = ap.parse_args()
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    for p in ("snmpd", "snmpget", "openssl"):
        if snmptest.find_program(p) is None and shutil.which(p) is None:
            sys.exit("dtls_scale.py: %s not installed" % p)
    places = placements_available(opt.placement, "dtls_scale.py")
    out = {}
    ok = True
    for pname, (acpu, mcpu) in places.items():
        pki = Pki()
        pki.make("mgr", "snmpmgrd", "DNS:mgr.example")
        pki.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
        # A fresh agent per placement: one failed handshake may break it.
        agent, port = dtls_agent(pki)
        try:
            pin(agent.pid, acpu)
            want = ns_dtls(pki, "snmpget", "dtlsudp:localhost:%d" % port,
                           *OIDS)
            r = {"cpus": {"agent": acpu, "manager": mcpu}}
            if opt.only != "polls":
                r["handshakes"] = handshakes(opt, pki, agent, port, mcpu,
                                             want)
            if opt.only != "handshakes":
                r["polls"] = polls(opt, pki, agent, port, mcpu, want)
            out[pname] = r
        except CheckFailed as e:
            print("dtls_scale.py: %s placement: correctness check FAILED: "
                  "%s; no figures" % (pname, e), file=sys.stderr)
            out[pname] = None
            ok = False
        finally:
            agent.close()
            pki.close()
    met = True
    for pname, r in out.items():
        if r is None:
            continue
        print("placement %s: agent on CPU %d, snmpmgrd and the tools on "
              "CPU %d" % (pname, r["cpus"]["agent"], r["cpus"]["manager"]))
        h = r.get("handshakes")
        if h:
            print("  handshakes, %d sessions (snmpmgrd) and %d runs of "
                  "each snmpget:" % (h["sessions"], h["snmpget_runs"]))
            print("    snmpmgrd: %.2f ms CPU per handshake (%.0f per "
                  "CPU-second; first get %.2f ms, get on the open "
                  "association %.3f ms); agent %.2f ms"
                  % (h["daemon_handshake_ms"],
                     h["daemon_handshakes_per_cpu_s"] or 0,
                     h["daemon_first_get_ms"], h["daemon_second_get_ms"],
                     h["agent_handshake_ms"]))
            print("    snmpget over DTLS: %.2f ms CPU per run (%.0f per "
                  "CPU-second), of which DTLS %.2f ms (against snmpget "
                  "-v2c over UDP: %.2f ms); agent %.2f ms per run"
                  % (h["snmpget_dtls_ms"], h["snmpget_dtls_per_cpu_s"] or 0,
                     h["snmpget_dtls_cost_ms"], h["snmpget_udp_ms"],
                     h["agent_per_snmpget_dtls_ms"]))
        p = r.get("polls")
        if p:
            good = p["kib_per_association"] < GOAL_KIB
            met = met and good
            for k in ("dtls", "udp"):
                q = p[k]
                print("  %d sessions polled every %s over %s: %.1f us "
                      "daemon CPU per poll (%d polls in %.0f s), RSS %d "
                      "KiB; start-up %.2f s CPU in %.1f s; first round "
                      "%.2f s CPU in %.1f s"
                      % (q["sessions"], opt.interval,
                         "DTLS" if k == "dtls" else "v2c/UDP",
                         q["us_per_poll"], q["polls"], q["wall_s"],
                         q["rss_kib"], q["start_cpu_s"], q["start_wall_s"],
                         q["first_round_cpu_s"], q["first_round_wall_s"]))
            print("  RSS per DTLS association (DTLS daemon less the "
                  "v2c one, per session): %.1f KiB (goal < %.0f KiB): %s"
                  % (p["kib_per_association"], GOAL_KIB,
                     "met" if good else "NOT met"))
            print("  handshake CPU from the first round: %.2f ms"
                  % p["handshake_ms_from_first_round"])
    if opt.json:
        print(json.dumps({"placements": out, "correct": ok,
                          "goal_met": met if ok else None}))
    if not ok or (opt.strict and not met):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
