#!/usr/bin/env python3
"""poll.py - snmpmgrd's scheduled-polling benchmark.

Starts bench/responder (a small C agent answering Get/GetBulk from a
computed table on NPORTS UDP ports, reachable at every 127.x.y.z address)
and snmpmgrd from the build tree with SESSIONS sessions, each its own
agent address (session i: 127.A.B.C with A = 1 + i // 62500,
B = (i // 250) % 250 + 1, C = i % 250 + 1, port BASE + i % NPORTS: valid
for millions of sessions), each polling OIDS objects with one Get.

Every measurement runs in two CPU placements, pinned with
sched_setaffinity on every thread: "same" (responder, snmpmgrd and the
raw requester all on CPU 0) and "cross" (responder on CPU 1, the manager
on CPU 0).  In one run:

 (0) fixed cost: snmpmgrd with one session, its RSS, so that the memory
     per session beyond it can be told.
 (c) ceiling: bench/requester, a raw batched requester (sendmmsg/recvmmsg,
     core's encoder and decoder, no scheduler), against the same responder
     and the same addresses: CPU per round trip, as fast as it goes and
     paced at (a)'s rate (SESSIONS / INTERVAL, a batch every 25 ms as the
     daemon's scheduler sends them): what the kernel costs at that rate,
     with caches gone cold between batches (--paced-secs, 0: not run).
 (s) start-up: the daemon's CPU until its control socket answers, and its
     RSS then.
 (a) scale: every session polled every INTERVAL (default 100,000
     sessions x 10 OIDs every 60 s).  After every session has been polled
     once, it measures per placement the daemon's CPU per poll and CPU
     share (from /proc/PID/task/*/schedstat) and its memory (VmRSS, VmHWM).
     Goals (issue 11): <= 5 us CPU per poll, <= 150 MiB RSS and <= 1.5 KiB
     per session beyond the fixed cost, start-up <= 0.5 s CPU.
 (b) rate: the same sessions, reloaded (daemon.reload) with shorter
     intervals offering --rates polls per second; per rate the polls done
     per second and the daemon CPU per poll.  The scheduler skips turns it
     cannot serve (overruns), never queues them.

With --baseline BUILD, the snmpmgrd of another build directory (e.g. the
base commit's) runs the same fixed-cost, start-up, (a) and (b)
measurements in the same run, after this build's, against the same
responder: the A/B figure for a change.

Correctness first: any failed poll or timeout in (a), a session not up,
or a bad or lost answer of the raw requester stops the run with exit
status 1 and no figure printed.  Side by side, two daemons and the
responder may be starved of CPU: timeouts there are counted against the
datagrams the kernel dropped at the daemons' and responder's sockets
(/proc/net/udp) and the answers that came after their timeout
(daemon.stats); each window with a drop or a timeout is left out of
every build's figure and named; a failed poll that is not a timeout, or
more timeouts than drops and late answers, fails the check.  No timing
is asserted: with --strict a missed goal also gives exit status 1.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import snmptest  # noqa: E402
from walk import pin, proc_cpu_ns, require_cpus  # noqa: E402

TABLE = "1.3.6.1.4.1.99999.2.1"
GOAL_US_PER_POLL = 5.0
GOAL_RSS_MIB = 150
GOAL_KIB_PER_SESSION = 1.5
GOAL_START_CPU_S = 0.5
PLACEMENTS = (("same", {0}, {0}), ("cross", {0}, {1}))


def agent_host(i):
    """Session i's agent address (the same plan as bench/requester.c)."""
    return "127.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250 + 1,
                             i % 250 + 1)


class CheckFailed(Exception):
    pass


def cpu_s(pid):
    """CPU seconds used by every thread of pid so far."""
    return proc_cpu_ns(pid) / 1e9


def mem_kib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def free_port_range(n):
    """A base port with n free UDP ports after it (on the wildcard)."""
    for base in range(20000, 60000 - n, 211):
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("0.0.0.0", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no range of %d free UDP ports" % n)


def start_responder(args):
    """(base port, process) of bench/responder on args.ports free ports
    from base (stopped with snmptest's tracked processes)."""
    base = free_port_range(args.ports)
    resp = subprocess.Popen([os.path.join(args.builddir, "bench",
                                          "responder"),
                             "-p", str(base), "-n", str(args.ports),
                             "-r", "10"],
                            stdout=subprocess.PIPE, text=True)
    snmptest._track(resp)
    line = resp.stdout.readline()
    if not line.startswith("ready"):
        sys.exit("responder did not start: %r" % line)
    return base, resp


def config(args, base, interval):
    oids = ["%s.%d.1" % (TABLE, col) for col in range(1, args.oids + 1)]
    sessions = {}
    for i in range(args.sessions):
        sessions["s%05d" % i] = {
            "template": "t",
            "host": agent_host(i),
            "port": base + i % args.ports}
    return {
        "log": {"level": "warning"},
        "scheduler": dict({"max_in_flight": args.in_flight},
                          **({"batch_window": args.batch_window}
                             if args.batch_window else {})),
        "polls": {"p": {"get": oids, "interval": interval}},
        "templates": {"t": {"polls": ["p"], "community": "public",
                            "timeout": "3s", "retries": 1}},
        "sessions": sessions,
    }


def status(d):
    return d.call("daemon.status", timeout=30)


def measure(d, pid, secs):
    """(polls completed, failed, overruns, cpu s, wall s) over secs.
    The daemon's CPU is read after the first daemon.status and before
    the second: the bench's own questions (a walk over every session
    each) are not the polls' cost."""
    s0 = status(d)
    c0, t0 = cpu_s(pid), time.monotonic()
    time.sleep(secs)
    c1, t1 = cpu_s(pid), time.monotonic()
    s1 = status(d)
    return {"polls": s1["polls_done"] - s0["polls_done"],
            "failed": s1["polls_failed"] - s0["polls_failed"],
            "overruns": s1["overruns"] - s0["overruns"],
            "timeouts": s1["timeouts"] - s0["timeouts"],
            "cpu": c1 - c0, "wall": t1 - t0}


def interval_s(text):
    """Seconds of a duration as the config writes it (60s, 500ms, 2m)."""
    for suffix, mult in (("ms", 1e-3), ("s", 1.0), ("m", 60.0),
                         ("h", 3600.0)):
        if text.endswith(suffix) and text[:-len(suffix)].isdigit():
            return int(text[:-len(suffix)]) * mult
    raise ValueError("interval %r" % text)


def ceiling(args, base, manager_cpus, rate=0):
    """The raw requester's CPU per round trip (pinned like the daemon):
    as fast as it can, or paced at rate round trips a second (sending
    every 25 ms, about as often as the daemon's scheduler wakes)."""
    prog = os.path.join(args.builddir, "bench", "requester")
    r = subprocess.run(["taskset", "-c",
                        ",".join(str(c) for c in sorted(manager_cpus)),
                        prog, "-p", str(base), "-n", str(args.ports),
                        "-s", str(args.sessions), "-o", str(args.oids),
                        "-d", str(args.paced_secs if rate else
                                  args.ceiling_secs),
                        "-w", str(args.in_flight), "-r", str(rate)],
                       capture_output=True, text=True, check=True)
    out = json.loads(r.stdout)
    if out["bad"] or out["lost"] or not out["round_trips"]:
        raise CheckFailed("raw requester: %r" % out)
    for k in ("cpu", "user", "sys"):
        out[k + "_us"] = out[k + "_s"] / out["round_trips"] * 1e6
    out["us_per_rt"] = out["cpu_us"]
    return out


def start_daemon(cfg):
    """snmpmgrd with cfg, given a minute to answer: 100,000 sessions on a
    loaded machine take longer than the tests' 10 s."""
    d = snmptest.Daemon(cfg, start=False)
    try:
        d.start(timeout=60)
    except BaseException:
        d.close()
        raise
    return d


def fixed_cost(args, base):
    """RSS (KiB) of snmpmgrd with one session, after it polled once."""
    a = argparse.Namespace(**vars(args))
    a.sessions = 1
    d = start_daemon(config(a, base, "1s"))
    try:
        deadline = time.monotonic() + 10
        while status(d)["polls_done"] < 1:
            if time.monotonic() > deadline:
                raise CheckFailed("one session was not polled in 10 s")
            time.sleep(0.1)
        return mem_kib(d.pid)["VmRSS"]
    finally:
        d.close()


def user_sys_s(pid):
    """(user, system) CPU seconds of pid so far (clock ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def udp_drops(pid):
    """Datagrams the kernel has dropped at pid's UDP sockets (a full
    receive buffer: the process did not get the CPU to read them): the
    drops column of /proc/net/udp and udp6 for the sockets pid holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    n = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            x = row.split()
            if len(x) >= 13 and x[9] in inodes:
                n += int(x[12])
    return n


def late_answers(d):
    """Answers the daemon got to requests no longer waiting for one
    (they had timed out): daemon.stats' unmatched bad packets."""
    return d.call("daemon.stats", timeout=30)["engine"][
        "unmatched_bad_packets"]


def side_by_side(args, base, resp, builds):
    """Phase (a) with every build's snmpmgrd polling at once: both
    daemons' CPU is read over the same windows (--side-by-side of
    --measure seconds, placements alternating), so the machine's other
    load falls on each alike.  ({placement: {label: figures}}, overload
    notes).

    Two daemons and the responder at 3,300 datagrams/s on a loaded
    machine may go without the CPU long enough that a receive buffer
    fills and the kernel drops datagrams: those polls time out (after
    their retry).  That is overload, not a wrong answer: a window with
    a drop or a timeout is left out of every build's figure (the builds
    are compared over the same windows), and the notes say so.  An
    answer that comes after its request timed out explains a timeout
    too (a starved responder answers late, nothing dropped).  The check
    still fails on any failed poll that is not a timeout, and on
    timeouts neither explains: more timed-out polls than datagrams
    dropped at the daemons' and responder's sockets plus late answers,
    over the whole phase."""
    ds = {}
    out = {}
    notes = []
    saved = os.sched_getaffinity(0)
    try:
        for label, bdir in builds:
            os.environ["top_builddir"] = bdir
            os.sched_setaffinity(0, PLACEMENTS[0][1])
            try:
                ds[label] = start_daemon(config(args, base, args.interval))
            finally:
                os.sched_setaffinity(0, saved)
        deadline = time.monotonic() + 300
        for d in ds.values():
            while status(d)["polls_done"] < args.sessions:
                if time.monotonic() > deadline:
                    raise CheckFailed("side by side: not every session "
                                      "was polled in 300 s")
                time.sleep(1)
        pids = [resp.pid] + [d.pid for d in ds.values()]
        first = {k: status(d) for k, d in ds.items()}
        drops0 = {p: udp_drops(p) for p in pids}
        late0 = {k: late_answers(d) for k, d in ds.items()}
        for w in range(args.side_by_side):
            name, mgr, agent = PLACEMENTS[w % len(PLACEMENTS)]
            pin(resp.pid, agent)
            for d in ds.values():
                pin(d.pid, mgr)
            time.sleep(1)
            s0 = {k: status(d) for k, d in ds.items()}
            dr0 = {p: udp_drops(p) for p in pids}
            c0 = {k: (cpu_s(d.pid), user_sys_s(d.pid))
                  for k, d in ds.items()}
            time.sleep(args.measure)
            c1 = {k: (cpu_s(d.pid), user_sys_s(d.pid))
                  for k, d in ds.items()}
            s1 = {k: status(d) for k, d in ds.items()}
            dr1 = {p: udp_drops(p) for p in pids}
            timeouts = {}
            for k in ds:
                failed = s1[k]["polls_failed"] - s0[k]["polls_failed"]
                timeouts[k] = s1[k]["timeouts"] - s0[k]["timeouts"]
                if failed > timeouts[k]:
                    raise CheckFailed("side by side %s: %d failed polls, "
                                      "%d of them not timeouts" % (
                                          k, failed, failed - timeouts[k]))
            drops = sum(dr1[p] - dr0[p] for p in pids)
            if drops or any(timeouts.values()):
                notes.append(
                    "window %d (%s) left out: the kernel dropped %d "
                    "datagrams (responder %d, %s); timed-out polls %s" % (
                        w + 1, name, drops, dr1[resp.pid] - dr0[resp.pid],
                        ", ".join("%s %d" % (k, dr1[d.pid] - dr0[d.pid])
                                  for k, d in ds.items()),
                        ", ".join("%s %d" % (k, v)
                                  for k, v in timeouts.items())))
                continue
            for k in ds:
                t = out.setdefault(name, {}).setdefault(
                    k, {"polls": 0, "cpu": 0.0, "user": 0.0, "sys": 0.0,
                        "windows": []})
                polls = s1[k]["polls_done"] - s0[k]["polls_done"]
                t["polls"] += polls
                t["cpu"] += c1[k][0] - c0[k][0]
                t["user"] += c1[k][1][0] - c0[k][1][0]
                t["sys"] += c1[k][1][1] - c0[k][1][1]
                t["windows"].append(round(
                    (c1[k][0] - c0[k][0]) / max(polls, 1) * 1e6, 2))
        last = {k: status(d) for k, d in ds.items()}
        timeouts = sum(last[k]["timeouts"] - first[k]["timeouts"]
                       for k in ds)
        for wait in (0, 7):
            # a late answer comes after its timeout: give the last
            # ones their two tries of 3 s before counting
            time.sleep(wait)
            drops = sum(udp_drops(p) - drops0[p] for p in pids)
            late = sum(late_answers(d) - late0[k] for k, d in ds.items())
            if timeouts <= drops + late:
                break
        if timeouts:
            notes.append("%d polls timed out in the phase: the kernel "
                         "dropped %d datagrams, %d answers came late"
                         % (timeouts, drops, late))
        if timeouts > drops + late:
            raise CheckFailed("side by side: %d polls timed out, but the "
                              "kernel dropped only %d datagrams at the "
                              "daemons' and the responder's sockets and "
                              "%d answers came late: not explained by "
                              "overload" % (timeouts, drops, late))
    finally:
        for d in ds.values():
            d.close()
    for per in out.values():
        for t in per.values():
            n = max(t["polls"], 1)
            for f in ("cpu", "user", "sys"):
                t[f + "_us"] = round(t[f] / n * 1e6, 2)
    return out, notes


def run_build(args, base, resp, bdir):
    """Every measurement of the snmpmgrd of build bdir: fixed cost,
    start-up, (a) and (b)."""
    os.environ["top_builddir"] = bdir
    out = {"a": {}, "b": {}, "w": {}}
    out["fixed_rss_kib"] = fixed_cost(args, base)
    pin(resp.pid, PLACEMENTS[0][2])
    d = None
    # snmpmgrd starts pinned like the manager in "same".
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, PLACEMENTS[0][1])
    try:
        d = start_daemon(config(args, base, args.interval))
    finally:
        os.sched_setaffinity(0, saved)
    try:
        pid = d.pid
        out["start_cpu_s"] = round(cpu_s(pid), 3)
        out["rss_after_start_mib"] = round(mem_kib(pid)["VmRSS"] / 1024, 1)
        # (a) Every session polled once, then measure in each placement.
        deadline = time.monotonic() + 300
        while status(d)["polls_done"] < args.sessions:
            if time.monotonic() > deadline:
                raise CheckFailed("not every session was polled in 300 s")
            time.sleep(1)
        for name, mgr, agent in PLACEMENTS:
            pin(pid, mgr)
            pin(resp.pid, agent)
            time.sleep(1)
            m = measure(d, pid, args.measure)
            mem = mem_kib(pid)
            st = status(d)
            if m["failed"] or m["timeouts"] or \
                    st["sessions_up"] != args.sessions:
                raise CheckFailed("phase (a) %s: %d failed, %d timeouts, "
                                  "%d of %d sessions up" % (
                                      name, m["failed"], m["timeouts"],
                                      st["sessions_up"], args.sessions))
            out["a"][name] = {
                "polls_per_s": round(m["polls"] / m["wall"], 1),
                "cpu_share": round(m["cpu"] / m["wall"], 4),
                "cpu_us_per_poll": round(
                    m["cpu"] / max(m["polls"], 1) * 1e6, 2),
                "rss_mib": round(mem["VmRSS"] / 1024, 1),
                "hwm_mib": round(mem["VmHWM"] / 1024, 1),
                "overruns": m["overruns"]}
        out["kib_per_session"] = round(
            (mem["VmRSS"] - out["fixed_rss_kib"]) / args.sessions, 3)

        # (w) The same load with other scheduler.batch_window values
        # (daemon.reload, every session kept): what wake-ups cost.
        for win in [x for x in args.windows.split(",") if x]:
            a = argparse.Namespace(**vars(args))
            a.batch_window = win
            cfg = config(a, base, args.interval)
            cfg["control"] = d.config["control"]
            cfg["state_dir"] = d.config["state_dir"]
            d.write_config(cfg)
            r = d.call("daemon.reload", timeout=60)
            if r["changed"] or r["added"] or r["removed"]:
                raise CheckFailed("reload changed sessions: %r" % r)
            for name, mgr, agent in PLACEMENTS:
                pin(pid, mgr)
                pin(resp.pid, agent)
                time.sleep(1.0)
                m = measure(d, pid, args.measure)
                if m["failed"] or m["timeouts"]:
                    raise CheckFailed("batch window %s %s: %d failed, %d "
                                      "timeouts" % (win, name, m["failed"],
                                                    m["timeouts"]))
                out["w"].setdefault(name, []).append({
                    "batch_window": win,
                    "polls_per_s": round(m["polls"] / m["wall"], 1),
                    "cpu_us_per_poll": round(
                        m["cpu"] / max(m["polls"], 1) * 1e6, 2),
                    "overruns": m["overruns"]})

        # (b) Higher offered rates, both placements.
        for rate in [int(x) for x in args.rates.split(",") if x]:
            ms = max(1, round(args.sessions * 1000 / rate))
            cfg = config(args, base, "%dms" % ms)
            cfg["control"] = d.config["control"]
            cfg["state_dir"] = d.config["state_dir"]
            d.write_config(cfg)
            r = d.call("daemon.reload", timeout=60)
            if r["changed"] or r["added"] or r["removed"]:
                raise CheckFailed("reload changed sessions: %r" % r)
            for name, mgr, agent in PLACEMENTS:
                pin(pid, mgr)
                pin(resp.pid, agent)
                time.sleep(2.0)
                m = measure(d, pid, args.rate_measure)
                if m["failed"]:
                    raise CheckFailed("phase (b) %d/s %s: %d failed" % (
                        rate, name, m["failed"]))
                out["b"].setdefault(name, []).append({
                    "offered_per_s": round(args.sessions * 1000 / ms),
                    "polls_per_s": round(m["polls"] / m["wall"]),
                    "cpu_share": round(m["cpu"] / m["wall"], 3),
                    "cpu_us_per_poll": round(
                        m["cpu"] / max(m["polls"], 1) * 1e6, 2),
                    "overruns": m["overruns"]})
        out["hwm_mib_end"] = round(mem_kib(pid)["VmHWM"] / 1024, 1)
    finally:
        d.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--sessions", type=int, default=100000)
    ap.add_argument("--oids", type=int, default=10)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--ports", type=int, default=100)
    ap.add_argument("--measure", type=float, default=30.0)
    ap.add_argument("--rate-measure", type=float, default=6.0)
    ap.add_argument("--ceiling-secs", type=float, default=3.0)
    ap.add_argument("--paced-secs", type=float, default=10.0,
                    help="the raw requester paced at phase (a)'s rate "
                    "for this long (0: not run)")
    ap.add_argument("--rates", default="10000,50000",
                    help="offered polls per second in phase (b)")
    ap.add_argument("--in-flight", type=int, default=1000)
    ap.add_argument("--batch-window", default=None,
                    help="scheduler.batch_window (default: the daemon's)")
    ap.add_argument("--windows", default="",
                    help="other scheduler.batch_window values to measure "
                    "phase (a) with, after a reload (e.g. 20ms,50ms)")
    ap.add_argument("--baseline", help="another build directory whose "
                    "snmpmgrd runs the same measurements in this run (A/B)")
    ap.add_argument("--side-by-side", type=int, default=0,
                    metavar="WINDOWS",
                    help="with --baseline: phase (a) again with both "
                    "daemons polling at once, WINDOWS windows of "
                    "--measure seconds, placements alternating")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    require_cpus("poll.py", *[c for _, m, a in PLACEMENTS for c in (m, a)])
    args.builddir = os.path.abspath(args.builddir)
    os.environ["top_builddir"] = args.builddir
    for prog in ("responder", "requester"):
        if not os.access(os.path.join(args.builddir, "bench", prog),
                         os.X_OK):
            sys.exit("build bench/%s first (make bench-poll)" % prog)

    if args.side_by_side and not args.baseline:
        sys.exit("--side-by-side needs --baseline")
    builds = [("snmpmgrd", args.builddir)]
    if args.baseline:
        bl = os.path.abspath(args.baseline)
        if not os.access(os.path.join(bl, "snmpmgrd"), os.X_OK):
            sys.exit("no snmpmgrd in the baseline build %s" % bl)
        builds.append(("baseline", bl))

    base, resp = start_responder(args)
    out = {"sessions": args.sessions, "oids": args.oids,
           "interval": args.interval, "ports": args.ports,
           "ceiling": {}, "paced": {}, "builds": {}}
    rate = round(args.sessions / interval_s(args.interval))
    try:
        for name, mgr, agent in PLACEMENTS:
            pin(resp.pid, agent)
            out["ceiling"][name] = ceiling(args, base, mgr)
            if args.paced_secs > 0:
                out["paced"][name] = ceiling(args, base, mgr, rate)
        for label, bdir in builds:
            out["builds"][label] = run_build(args, base, resp, bdir)
        if args.side_by_side:
            out["side_by_side"], out["side_by_side_overload"] = \
                side_by_side(args, base, resp, builds)
    except CheckFailed as e:
        print("correctness check failed, no figures: %s" % e)
        return 1
    finally:
        snmptest._kill(resp, wait=5)
        out["responder"] = resp.stdout.read().strip()

    print("snmpmgrd poll benchmark: %d sessions x %d OIDs every %s, %d "
          "responder ports" % (args.sessions, args.oids, args.interval,
                               args.ports))
    print("  placements: same = manager and responder on CPU 0; cross = "
          "manager on CPU 0, responder on CPU 1")
    for name, _, _ in PLACEMENTS:
        print("  raw requester, %-5s: %.2f us CPU per round trip"
              % (name, out["ceiling"][name]["us_per_rt"]))
    for name, _, _ in PLACEMENTS:
        if name in out["paced"]:
            c = out["paced"][name]
            print("  raw requester paced at %d/s (phase (a)'s rate, a "
                  "batch every 25 ms), %-5s: %.2f us CPU per round trip "
                  "(user %.2f, system %.2f)" % (rate, name, c["cpu_us"],
                                                c["user_us"], c["sys_us"]))
    for label, bdir in builds:
        b = out["builds"][label]
        print("[%s] %s" % (label, bdir))
        print("  start-up: %.2f s CPU (goal <= %.1f), RSS %.1f MiB; fixed "
              "cost (1 session) %.1f MiB" % (
                  b["start_cpu_s"], GOAL_START_CPU_S,
                  b["rss_after_start_mib"], b["fixed_rss_kib"] / 1024))
        for name, _, _ in PLACEMENTS:
            a, c = b["a"][name], out["ceiling"][name]
            pc = out["paced"].get(name)
            print("  (a) %-5s %.0f polls/s: daemon %.2f us CPU/poll (goal "
                  "<= %.0f), raw requester %.2f us/round trip%s; %.2f %% "
                  "of a core, RSS %.1f MiB (peak %.1f), overruns %d"
                  % (name, a["polls_per_s"], a["cpu_us_per_poll"],
                     GOAL_US_PER_POLL, c["us_per_rt"],
                     " (paced %.2f)" % pc["cpu_us"] if pc else "",
                     a["cpu_share"] * 100, a["rss_mib"], a["hwm_mib"],
                     a["overruns"]))
        print("  memory: %.2f KiB per session beyond the fixed cost (goal "
              "<= %.1f), RSS goal <= %d MiB" % (b["kib_per_session"],
                                                GOAL_KIB_PER_SESSION,
                                                GOAL_RSS_MIB))
        for name, _, _ in PLACEMENTS:
            for r in b["w"].get(name, []):
                print("  (w) %-5s batch_window %-6s %.0f polls/s: daemon "
                      "%.2f us CPU/poll, overruns %d"
                      % (name, r["batch_window"], r["polls_per_s"],
                         r["cpu_us_per_poll"], r["overruns"]))
        for name, _, _ in PLACEMENTS:
            for r in b["b"].get(name, []):
                print("  (b) %-5s offered %6d/s: done %6d/s, %.2f us "
                      "CPU/poll (raw requester %.2f), %5.1f %% of a core, "
                      "overruns %d"
                      % (name, r["offered_per_s"], r["polls_per_s"],
                         r["cpu_us_per_poll"],
                         out["ceiling"][name]["us_per_rt"],
                         r["cpu_share"] * 100, r["overruns"]))
    for note in out.get("side_by_side_overload", []):
        print("  (s) overload: %s" % note)
    for name, _, _ in PLACEMENTS:
        if args.side_by_side and name not in out["side_by_side"]:
            print("  (s) %-5s side by side: no figure, every window of "
                  "this placement was left out (overload, above)" % name)
        for label, t in out.get("side_by_side", {}).get(name, {}).items():
            print("  (s) %-5s side by side, %d windows of %.0f s: [%s] "
                  "%.2f us CPU/poll (user %.2f, system %.2f; windows %s)"
                  % (name, len(t["windows"]), args.measure, label,
                     t["cpu_us"], t["user_us"], t["sys_us"],
                     " ".join("%.2f" % x for x in t["windows"])))
    print("  responder: %s" % out["responder"])
    if args.json:
        print(json.dumps(out))
    b = out["builds"]["snmpmgrd"]
    worst = max(b["a"][n]["cpu_us_per_poll"] for n, _, _ in PLACEMENTS)
    hwm = max(b["a"][n]["hwm_mib"] for n, _, _ in PLACEMENTS)
    if args.strict and (worst > GOAL_US_PER_POLL or hwm > GOAL_RSS_MIB or
                        b["kib_per_session"] > GOAL_KIB_PER_SESSION or
                        b["start_cpu_s"] > GOAL_START_CPU_S):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
