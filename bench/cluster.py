#!/usr/bin/env python3
"""cluster.py - snmpmgrd's cluster-mode benchmark (issue 13).

Three snmpmgrd nodes share NODES x PER_NODE sessions (default 3 x 20,000)
on bench/responder (the address plan and session config of bench/poll.py,
reused from it), each session one Get of OIDS objects every INTERVAL,
against a local cluster of three nats-server processes with JetStream
(R3 streams; started like tests/test_cluster.py does, by PID, on free
loopback ports).

Placement (--placement, sched_setaffinity on every thread):
  cross  the responder and the NATS servers on CPU 0, the snmpmgrd nodes
         on CPU 1 (default)
  same   everything on CPU 0
Each node's CPU is that of all its threads either way; a placement whose
CPUs this process may not use is refused (exit status 2).

In one run:
 (1) polling alone: the nodes with `cluster.publish` off (leases and
     ownership only); per node, results per CPU-second over MEASURE s.
 (2) publishing: the same nodes restarted with every poll result
     published; the same figure, and the cost of publishing on top of
     (1) (goal: < 30 %).
In (1) and (2) the three nats-servers' CPU too (utime + stime from
/proc/PID/stat, over the same window), and the load average.
 (3) takeover: kill -9 of one node; the time until the survivors own
     its sessions, and until every one of them has been polled again
     (goal: < 3 heartbeats + 1 interval).
With --baseline OTHER_BUILD, (1) and (2) run for both builds in the same
run (the baseline first in each), each publishing cost against its own
polling alone; (3) is this build's.  Every phase breaks each node's CPU
and context switches down by thread.

Correctness first: a failed poll or timeout, a session not polled, a
record not acknowledged by JetStream (errors, dropped, still queued), a
stream that lacks a session's subject, results not all published or a
stream gaining other than the records published, both counted with the
records in flight at the window's ends and no tolerance (check_stored),
or a session not taken over: exit status 1 and no figure printed.
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import snmptest  # noqa: E402
from poll import CheckFailed, config, cpu_s, start_responder  # noqa: E402
from test_cluster import JsReader, NatsServer, free_tcp_port  # noqa: E402
from walk import PLACEMENTS, pin, placements_available  # noqa: E402

# Set from the walk benchmarks' placements: (CPU of the peers, the agent
# there; CPU of the nodes, the manager there).
NODE_CPU, PEER_CPU = {1}, {0}
GOAL_PUBLISH_COST = 0.30
NAMES = ("mgr-a", "mgr-b", "mgr-c")


def nats_cluster():
    cports = [free_tcp_port() for _ in range(3)]
    routes = ["nats://127.0.0.1:%d" % p for p in cports]
    servers = [NatsServer(name="n%d" % i, cluster_port=cports[i],
                          routes=[r for j, r in enumerate(routes) if j != i],
                          start=False) for i in range(3)]
    for n in servers:
        n.start()
        pin(n.proc.pid, PEER_CPU)
    return servers


def node_config(args, base, name, servers, publish):
    cfg = config(args, base, args.interval)
    cfg["cluster"] = {
        "name": "bench", "node": name, "heartbeat": args.heartbeat,
        "replicas": 3,
        "nats": {"servers": [s.url for s in servers]},
        "publish": {"polls": publish, "traps": publish},
        "streams": {"polls": {"max_age": "1h", "max_size": "4GiB"}}}
    return cfg


def start_nodes(args, base, servers, publish):
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, NODE_CPU)
    try:
        nodes = [snmptest.Daemon(node_config(args, base, n, servers, publish),
                                 start=False) for n in NAMES]
        for d in nodes:
            d.start(timeout=120)
        return nodes
    finally:
        os.sched_setaffinity(0, saved)


def status(d):
    return d.call("daemon.status", timeout=60)


def wait_shared(nodes, total, timeout=120):
    """Until every node sees 3 live members owning every session."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = True
        for d in nodes:
            m = d.call("cluster.members", timeout=60)
            live = [x for x in m["members"] if x["live"]]
            if len(live) != len(nodes) or \
                    sum(x["sessions"] for x in m["members"]) != total:
                ok = False
        if ok:
            return
        time.sleep(0.5)
    raise CheckFailed("the nodes did not share the sessions in %d s: %s"
                      % (timeout, [[(x["node"], x["live"], x["sessions"],
                                     round(x["lease_age"], 1))
                                    for x in d.call("cluster.members",
                                                    timeout=60)["members"]]
                                   for d in nodes]))


def stream_info(server):
    js = JsReader(server.port)
    try:
        return js.request("$JS.API.STREAM.INFO.SNMPMGRD_bench_POLLS",
                          {})["state"]
    finally:
        js.close()


def threads(pid):
    """Per thread of pid so far: {label: [cpu ns, voluntary, involuntary
    context switches]}.  The loop is the thread whose id is the pid;
    another is labelled by its name, which a thread inherits from the
    one that made it (libnats's threads are "snmpmgrd", or "cl-lease"
    for those of the connections the lease thread makes), and "#N" for
    the Nth thread of that name in the order they were made."""
    out, seen = {}, {}
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        d = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(d + "comm") as f:
                name = f.read().strip()
            with open(d + "schedstat") as f:
                cpu = int(f.read().split()[0])
            sw = [0, 0]
            with open(d + "status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        sw[0] = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        sw[1] = int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(tid) == pid:
            label = "loop"
        else:
            seen[name] = seen.get(name, 0) + 1
            label = "%s#%d" % (name, seen[name])
        out[label] = [cpu] + sw
    return out


def switches(pid):
    """Context switches of every thread of pid so far (voluntary and
    not): the wake-ups and hand-overs between the node's threads."""
    return sum(v[1] + v[2] for v in threads(pid).values())


TICK = os.sysconf("SC_CLK_TCK")


def stat_cpu_s(pid):
    """utime + stime of pid (all its threads) so far, in seconds, from
    /proc/PID/stat (clock ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def stored(server):
    return stream_info(server)["messages"] if server else 0


def measure(nodes, secs, server=None, servers=()):
    """Per node: results, failures, CPU s, published, and the records in
    flight (spool_depth) at the window's start and end, over secs; with
    server, the messages the stream held just before and just after the
    nodes' daemon.status at each end (stored_before, stored_after: the
    stream's count at the moment of each node's reading lies between
    them); per thread, CPU and context switches; and the CPU s of each
    of servers (the nats-servers) over the same window."""
    n0a = stored(server)
    s0 = [status(d) for d in nodes]
    n0b = stored(server)
    h0 = [threads(d.pid) for d in nodes]
    v0 = [stat_cpu_s(s.proc.pid) for s in servers]
    c0 = [cpu_s(d.pid) for d in nodes]
    t0 = time.monotonic()
    time.sleep(secs)
    c1 = [cpu_s(d.pid) for d in nodes]
    v1 = [stat_cpu_s(s.proc.pid) for s in servers]
    h1 = [threads(d.pid) for d in nodes]
    t1 = time.monotonic()
    n1a = stored(server)
    s1 = [status(d) for d in nodes]
    n1b = stored(server)
    out = []
    for i in range(len(nodes)):
        th = {k: [a - b for a, b in zip(v, h0[i].get(k, [0, 0, 0]))]
              for k, v in h1[i].items()}
        out.append({
            "results": s1[i]["polls_done"] - s0[i]["polls_done"],
            "failed": s1[i]["polls_failed"] - s0[i]["polls_failed"],
            "timeouts": s1[i]["timeouts"] - s0[i]["timeouts"],
            "overruns": s1[i]["overruns"] - s0[i]["overruns"],
            "cpu": c1[i] - c0[i], "wall": t1 - t0,
            "switches": sum(v[1] + v[2] for v in th.values()),
            "threads": th,
            "published": s1[i]["cluster"]["published"] -
            s0[i]["cluster"]["published"],
            "dropped": s1[i]["cluster"]["dropped"] -
            s0[i]["cluster"]["dropped"],
            "in_flight": [s0[i]["cluster"]["spool_depth"],
                          s1[i]["cluster"]["spool_depth"]],
            "owned": s1[i]["cluster"]["sessions_owned"],
            "stored_before": [n0a, n1a], "stored_after": [n0b, n1b],
            "stored": n1a - n0b, "load": os.getloadavg()[0],
            "nats_cpu": [b - a for a, b in zip(v0, v1)]})
    return out


def check_stored(phase, m):
    """Every result of the window published and stored once, counted
    without a tolerance.  A result is queued as a record when its run
    ends; a record is in flight (spool_depth) until its PubAck comes;
    JetStream stores it before it answers.  So over the window, per
    node, results = published + the change in flight + dropped, exactly
    (one daemon.status reads them all; a PubAck moves a record from in
    flight to published); and the messages the stream gained lie between
    the records published (less those in flight at the start, stored
    already) and the records published plus those in flight at the end
    (stored, not yet acknowledged).  Fewer stored: results lost, or
    dropped by JetStream as duplicates (a wrong Nats-Msg-Id); more: a
    result stored twice.  Under load the records in flight at the ends
    run to hundreds per node, which made the old 0.5 % tolerance fail
    with nothing wrong."""
    for i, x in enumerate(m):
        moved = x["published"] + x["in_flight"][1] - x["in_flight"][0] + \
            x["dropped"]
        if x["results"] != moved:
            raise CheckFailed("%s: %s had %d results, but %d records "
                              "published, in flight or dropped" % (
                                  phase, NAMES[i], x["results"], moved))
    pub = sum(x["published"] for x in m)
    fl0 = sum(x["in_flight"][0] for x in m)
    fl1 = sum(x["in_flight"][1] for x in m)
    b, a = m[0]["stored_before"], m[0]["stored_after"]
    low, high = b[1] - a[0], a[1] - b[0]   # the stream's gain, bounds
    if high < pub - fl0 or low > pub + fl1:
        raise CheckFailed("%s: the stream gained %d-%d messages in the "
                          "window, %d records were published (%d in "
                          "flight at its start, %d at its end)" % (
                              phase, low, high, pub, fl0, fl1))


def check_polls(phase, m, total, interval_s):
    done = sum(x["results"] for x in m)
    want = total * m[0]["wall"] / interval_s
    for i, x in enumerate(m):
        if x["failed"] or x["timeouts"]:
            raise CheckFailed("%s: %s had %d failed polls, %d timeouts"
                              % (phase, NAMES[i], x["failed"],
                                 x["timeouts"]))
    if sum(x["owned"] for x in m) != total:
        raise CheckFailed("%s: %d sessions owned, not %d" % (
            phase, sum(x["owned"] for x in m), total))
    if abs(done - want) > 0.03 * want:
        raise CheckFailed("%s: %d results in %.1f s, %d expected (%d "
                          "turns skipped as overruns: %s)" % (
                              phase, done, m[0]["wall"], want,
                              sum(x["overruns"] for x in m),
                              "the nodes did not keep up with the rate" if
                              sum(x["overruns"] for x in m) else
                              "sessions not polled"))


def drained(nodes, timeout=60):
    # The nodes keep polling, so records keep passing through the queue
    # (a batch gathers 20 ms, then waits for its PubAcks; both count in
    # spool_depth): drained means every record queued before now has
    # been acknowledged (or dropped, which fails the check after).
    queued = [status(d)["cluster"]["queued"] for d in nodes]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = [status(d)["cluster"] for d in nodes]
        if all(x["published"] + x["dropped"] >= q
               for x, q in zip(st, queued)):
            return st
        time.sleep(0.5)
    raise CheckFailed("records still queued after %d s" % timeout)


def seconds(text):
    for unit, mult in (("ms", 0.001), ("s", 1), ("m", 60)):
        if text.endswith(unit) and text[:-len(unit)].isdigit():
            return int(text[:-len(unit)]) * mult
    raise ValueError(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--per-node", type=int, default=20000)
    ap.add_argument("--oids", type=int, default=10)
    ap.add_argument("--interval", default="20s")
    ap.add_argument("--heartbeat", default="2s")
    ap.add_argument("--ports", type=int, default=100)
    ap.add_argument("--measure", type=float, default=20.0)
    ap.add_argument("--in-flight", type=int, default=1000)
    ap.add_argument("--placement", choices=sorted(PLACEMENTS),
                    default="cross")
    ap.add_argument("--baseline", metavar="BUILDDIR",
                    help="another build (e.g. main's) measured in the same "
                    "run, before this one in each phase")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not placements_available([args.placement], "cluster.py"):
        return 2
    global NODE_CPU, PEER_CPU
    PEER_CPU = {PLACEMENTS[args.placement][0]}
    NODE_CPU = {PLACEMENTS[args.placement][1]}
    args.builddir = os.path.abspath(args.builddir)
    args.batch_window = None
    args.sessions = total = args.per_node * len(NAMES)
    os.environ["top_builddir"] = args.builddir
    if not os.access(os.path.join(args.builddir, "bench", "responder"),
                     os.X_OK):
        sys.exit("build bench/responder first (make bench-cluster)")
    builds = {"": args.builddir}
    if args.baseline:
        builds["baseline "] = os.path.abspath(args.baseline)
        if not os.access(os.path.join(builds["baseline "], "snmpmgrd"),
                         os.X_OK):
            sys.exit("no snmpmgrd in %s" % args.baseline)
    order = [b for b in ("baseline ", "") if b in builds]
    phases = [(b + p, p == "publish", b) for p in ("alone", "publish")
              for b in order]
    iv, hb = seconds(args.interval), seconds(args.heartbeat)

    base, resp = start_responder(args)
    pin(resp.pid, PEER_CPU)
    servers, nodes, phase = [], [], "start"
    out = {"nodes": len(NAMES), "sessions": total, "oids": args.oids,
           "placement": args.placement,
           "interval": args.interval, "heartbeat": args.heartbeat}
    try:
        servers = nats_cluster()
        # With --baseline the baseline's nodes and then this build's, in
        # each phase: the A/B of one run, with one responder and one
        # NATS cluster; the takeover is this build's.
        for phase, publish, build in phases:
            os.environ["top_builddir"] = builds[build]
            nodes = start_nodes(args, base, servers, publish)
            wait_shared(nodes, total)
            # every session polled once by its settled owner
            time.sleep(iv + 2 * hb)
            m = measure(nodes, args.measure, servers[0] if publish else None,
                        servers)
            check_polls(phase, m, total, iv)
            out[phase] = m
            if publish:
                st = drained(nodes)
                for i, x in enumerate(st):
                    if x["publish_errors"] or x["dropped"]:
                        raise CheckFailed("%s: %d publish errors, %d "
                                          "dropped" % (NAMES[i],
                                                       x["publish_errors"],
                                                       x["dropped"]))
                info = stream_info(servers[0])
                out["stream"] = {"messages": info["messages"],
                                 "subjects": info.get("num_subjects"),
                                 "bytes": info["bytes"]}
                if info.get("num_subjects", total) != total:
                    raise CheckFailed("stream has %d subjects, not %d" % (
                        info["num_subjects"], total))
                # In the window every result was published and stored
                # once (duplicates only happen while ownership settles
                # at start-up).
                out["stream"].update(
                    window_results=sum(x["results"] for x in m),
                    window_published=sum(x["published"] for x in m),
                    window_stored=m[0]["stored"],
                    window_in_flight=sum(x["in_flight"][1] for x in m))
                check_stored(phase, m)
            if (phase, publish, build) == phases[-1]:
                break
            for d in nodes:
                d.stop()
            nodes = []
        phase = "takeover"
        # (3) takeover.  What each survivor polls: its successful polls
        # over an interval (session.list of 60,000 rows is more than a
        # client is sent at once).  "poll" events, not "response": a
        # survivor polls the ~10,000 sessions it takes at once, and
        # their responses with values (~700 bytes each) overflowed the
        # subscription's queue (4 MiB at most), which the daemon then
        # ends.
        gone = nodes[2]
        subs = []
        for d in nodes[:2]:
            c = d.connect(timeout=60)
            c.call("events.subscribe", {"events": ["poll"],
                                        "max_queue": 4 << 20})
            subs.append(c)

        def results(secs, until=None):
            """(session, monotonic time) of the survivors' poll results
            for secs, or until until() is true."""
            end = time.monotonic() + secs
            while time.monotonic() < end and not (until and until()):
                r, _, _ = select.select([c.sock for c in subs], [], [],
                                        0.05)
                for c in subs:
                    if c.sock not in r:
                        continue
                    c.buf += c.sock.recv(1 << 20)
                    while b"\n" in c.buf:
                        line, _, c.buf = c.buf.partition(b"\n")
                        msg = json.loads(line)
                        if msg.get("method") == "events.end":
                            raise CheckFailed("a survivor ended the event "
                                              "subscription: %s" %
                                              msg.get("params"))
                        p = msg.get("params") or {}
                        if p.get("session") and p.get("ok"):
                            yield p["session"], time.monotonic()
                        elif p.get("session"):
                            failed.add(p["session"])

        failed = set()
        polled = {sess for sess, _ in results(iv + 1)}
        owned = [status(d)["cluster"]["sessions_owned"] for d in nodes[:2]]
        if len(polled) != sum(owned):
            raise CheckFailed("survivors polled %d sessions in an interval, "
                              "own %d" % (len(polled), sum(owned)))
        nlost = total - len(polled)
        t0 = time.monotonic()
        os.kill(gone.pid, signal.SIGKILL)
        gone.proc.wait()
        t_own = None
        first = {}
        checked = [0.0]

        def done():
            nonlocal t_own
            if t_own is None and time.monotonic() - checked[0] > 0.05:
                checked[0] = time.monotonic()
                if sum(status(d)["cluster"]["sessions_owned"]
                       for d in nodes[:2]) == total:
                    t_own = time.monotonic() - t0
            return t_own is not None and len(first) >= nlost

        for sess, t in results(3 * hb + iv + 30, done):
            if sess not in polled and sess not in first:
                first[sess] = t - t0
        for c in subs:
            c.close()
        if t_own is None:
            raise CheckFailed("the survivors did not take the sessions")
        if len(first) < nlost:
            raise CheckFailed("%d sessions of the killed node not polled "
                              "again (%d sessions had failed polls; the "
                              "survivors own %d)" % (
                                  nlost - len(first), len(failed),
                                  sum(status(d)["cluster"]["sessions_owned"]
                                      for d in nodes[:2])))
        t_polled = max(first.values())
        lost = first
        out["takeover"] = {"sessions": len(lost), "owned_s": t_own,
                           "polled_s": t_polled,
                           "bound_s": 3 * hb + iv}
    except CheckFailed as e:
        print("correctness check failed, no figures: %s: %s" % (phase, e))
        return 1
    finally:
        for d in nodes:
            if d.alive():
                d.stop()
        snmptest._kill(resp, wait=5)
        for s in servers:
            s.close()

    print("snmpmgrd cluster benchmark: %d nodes, %d sessions (%d per node) "
          "x %d OIDs every %s, heartbeat %s, 3 NATS servers (R3)"
          % (len(NAMES), total, args.per_node, args.oids, args.interval,
             args.heartbeat))
    print("  placement %s: the nodes on CPU %s; responder and nats-servers "
          "on CPU %s" % (args.placement, min(NODE_CPU), min(PEER_CPU)))
    for b in order:
        rate = {}
        for p in ("alone", "publish"):
            m = out[b + p]
            rate[p] = sum(x["results"] for x in m) / sum(x["cpu"] for x in m)
            print("  %-16s %s" % (b + p, ", ".join(
                "%s %.0f results/CPU-s (%.1f %% of a core)"
                % (NAMES[i], x["results"] / x["cpu"],
                   x["cpu"] / x["wall"] * 100) for i, x in enumerate(m))))
        for p in ("alone", "publish"):
            m = out[b + p]
            res = max(sum(x["results"] for x in m), 1)
            print("  %-16s %.2f context switches per result (all threads); "
                  "per node and second:" % (b + p, sum(x["switches"]
                                                       for x in m) / res))
            labels = sorted({k for x in m for k in x["threads"]},
                            key=lambda k: (k != "loop", k))
            for k in labels:
                v = [x["threads"].get(k, [0, 0, 0]) for x in m]
                wall = sum(x["wall"] for x in m)
                print("  %18s %-12s %5.2f %% of a core, %6.0f voluntary, "
                      "%6.0f involuntary, %.2f us per result"
                      % ("", k, sum(y[0] for y in v) / wall / 1e7,
                         sum(y[1] for y in v) / wall,
                         sum(y[2] for y in v) / wall,
                         sum(y[0] for y in v) / res / 1e3))
        for p in ("alone", "publish"):
            m = out[b + p]
            nc = m[0]["nats_cpu"]
            res = max(sum(x["results"] for x in m), 1)
            print("  %-16s nats-servers (CPU %s): %s %% of a core each, "
                  "%.1f %% in all, %.2f us per result (all nodes'); load "
                  "average %.2f" % (
                      b + p, min(PEER_CPU), ", ".join(
                          "%.1f" % (c / m[0]["wall"] * 100) for c in nc),
                      sum(nc) / m[0]["wall"] * 100, sum(nc) / res * 1e6,
                      m[0]["load"]))
        cost = rate["alone"] / rate["publish"] - 1
        out[b + "publish_cost"] = cost
        print("  %spublishing costs %.0f %% on top of polling alone (goal < "
              "%.0f %%): %.0f vs %.0f results per node CPU-second (%.1f vs "
              "%.1f us per result, %+.1f us per result on top)"
              % (b, cost * 100, GOAL_PUBLISH_COST * 100, rate["publish"],
                 rate["alone"], 1e6 / rate["publish"], 1e6 / rate["alone"],
                 1e6 / rate["publish"] - 1e6 / rate["alone"]))
    s = out["stream"]
    print("  stream: %d messages, %d subjects, %.0f bytes per message; "
          "in the last window %d results, %d published, %d stored (%d "
          "in flight at its end)"
          % (s["messages"], s["subjects"] or 0,
             s["bytes"] / max(s["messages"], 1), s["window_results"],
             s["window_published"], s["window_stored"],
             s["window_in_flight"]))
    t = out["takeover"]
    print("  takeover after kill -9 of one node (%d sessions): owned by the "
          "others after %.2f s, all polled again after %.2f s (bound 3 "
          "heartbeats + 1 interval = %.1f s)" % (t["sessions"], t["owned_s"], t["polled_s"],
                      t["bound_s"]))
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
