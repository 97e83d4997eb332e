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

Side by side (--side-by-side WINDOWS), instead of (1) and (2) one after
the other: a set of three nodes polling alone and a set of three
publishing, each set its own cluster (name, leases, ownership, stream)
on the same three NATS servers, both polling the same sessions on the
same responder at once; WINDOWS windows of MEASURE s, the placements
alternating window by window (--placement, repeatable, narrows them),
every node's CPU read over the same window.  The load of the machine
shifts the loop's CPU per result by microseconds from one phase to the
next; side by side it shifts both sets alike, and publishing's cost is
taken within each window.  With --baseline the baseline's publishing
set runs beside them too (its cost against this build's polling alone:
only the publishing path may differ; it doubles the servers' load,
more than one CPU holds in the same placement).  Every set is checked
in every window as (1) and (2) are (check_polls; check_stored for a
publishing set), the streams after the last.  --no-takeover skips (3).

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


def node_config(args, base, name, servers, publish, cluster="bench"):
    cfg = config(args, base, args.interval)
    cfg["cluster"] = {
        "name": cluster, "node": name, "heartbeat": args.heartbeat,
        "replicas": 3,
        "nats": {"servers": [s.url for s in servers]},
        "publish": {"polls": publish, "traps": publish},
        "streams": {"polls": {"max_age": "1h", "max_size": "4GiB"}}}
    return cfg


def start_nodes(args, base, servers, publish, cluster="bench"):
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, NODE_CPU)
    try:
        nodes = [snmptest.Daemon(node_config(args, base, n, servers, publish,
                                             cluster),
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


def stream_info(server, cluster="bench"):
    js = JsReader(server.port)
    try:
        return js.request("$JS.API.STREAM.INFO.SNMPMGRD_%s_POLLS" % cluster,
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


def stored(server, cluster="bench"):
    return stream_info(server, cluster)["messages"] if server else 0


def measure(nodes, secs, server=None, servers=()):
    """Per node: results, failures, CPU s, published, and the records in
    flight (spool_depth) at the window's start and end, over secs; with
    server, the messages the stream held just before and just after the
    nodes' daemon.status at each end (stored_before, stored_after: the
    stream's count at the moment of each node's reading lies between
    them); per thread, CPU and context switches; and the CPU s of each
    of servers (the nats-servers) over the same window."""
    return measure_sets([(nodes, "bench" if server else None)], secs,
                        server, servers)[0]


def measure_sets(groups, secs, server=None, servers=()):
    """measure() of every group (nodes, the cluster whose stream they
    publish to or None) over one window: every node's CPU and threads
    are read back to back at each end, after and before the nodes'
    daemon.status (the bench's own questions are not the nodes' cost);
    each publishing group's status readings bracketed by readings of
    its stream.  A list per group, as measure() returns."""
    def timed_status(d):
        """daemon.status and the moment it was answered (the middle of
        the call: under load a call takes a while)."""
        t = time.monotonic()
        x = status(d)
        return x, (t + time.monotonic()) / 2

    def ends():
        n, s, t = [], [], []
        for nodes, cl in groups:
            a = stored(server, cl) if cl else 0
            r = [timed_status(d) for d in nodes]
            s.append([x for x, _ in r])
            t.append([y for _, y in r])
            n.append((a, stored(server, cl) if cl else 0))
        return n, s, t

    n0, s0, r0 = ends()
    h0 = [[threads(d.pid) for d in nodes] for nodes, _ in groups]
    v0 = [stat_cpu_s(s.proc.pid) for s in servers]
    c0 = [[cpu_s(d.pid) for d in nodes] for nodes, _ in groups]
    t0 = time.monotonic()
    time.sleep(secs)
    c1 = [[cpu_s(d.pid) for d in nodes] for nodes, _ in groups]
    v1 = [stat_cpu_s(s.proc.pid) for s in servers]
    h1 = [[threads(d.pid) for d in nodes] for nodes, _ in groups]
    t1 = time.monotonic()
    n1, s1, r1 = ends()
    load = os.getloadavg()[0]
    res = []
    for g, (nodes, _) in enumerate(groups):
        out = []
        for i in range(len(nodes)):
            a, b = s0[g][i], s1[g][i]
            th = {k: [x - y for x, y in zip(v, h0[g][i].get(k, [0, 0, 0]))]
                  for k, v in h1[g][i].items()}
            out.append({
                "results": b["polls_done"] - a["polls_done"],
                "failed": b["polls_failed"] - a["polls_failed"],
                "timeouts": b["timeouts"] - a["timeouts"],
                "overruns": b["overruns"] - a["overruns"],
                "cpu": c1[g][i] - c0[g][i], "wall": t1 - t0,
                # the results' window: between the node's readings
                "rwall": r1[g][i] - r0[g][i],
                "switches": sum(v[1] + v[2] for v in th.values()),
                "threads": th,
                "published": b["cluster"]["published"] -
                a["cluster"]["published"],
                "dropped": b["cluster"]["dropped"] - a["cluster"]["dropped"],
                "in_flight": [a["cluster"]["spool_depth"],
                              b["cluster"]["spool_depth"]],
                "owned": b["cluster"]["sessions_owned"],
                "stored_before": [n0[g][0], n1[g][0]],
                "stored_after": [n0[g][1], n1[g][1]],
                "stored": n1[g][0] - n0[g][1], "load": load,
                "nats_cpu": [y - x for x, y in zip(v0, v1)]})
        res.append(out)
    return res


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
    """No failed poll or timeout, every session owned, and one result per
    session and interval (3 %) over the results' window (between the
    nodes' daemon.status readings at its ends: with many nodes these
    take a while under load, and the CPU's window is inside it)."""
    done = sum(x["results"] for x in m)
    want = sum(x["owned"] * x["rwall"] for x in m) / interval_s
    for i, x in enumerate(m):
        if x["failed"] or x["timeouts"]:
            raise CheckFailed("%s: %s had %d failed polls, %d timeouts"
                              % (phase, NAMES[i], x["failed"],
                                 x["timeouts"]))
    if sum(x["owned"] for x in m) != total:
        raise CheckFailed("%s: %d sessions owned, not %d" % (
            phase, sum(x["owned"] for x in m), total))
    if abs(done - want) > 0.03 * want:
        raise CheckFailed("%s: %d results in %.1f s (%s), %d expected "
                          "(%d turns skipped as overruns: %s)" % (
                              phase, done, m[0]["rwall"], ", ".join(
                                  "%s %d, owns %d" % (NAMES[i],
                                                      x["results"],
                                                      x["owned"])
                                  for i, x in enumerate(m)), want,
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


def check_published(phase, nodes, server, cluster, total):
    """After a publishing phase: every record acknowledged (none in
    error, dropped or left queued) and the stream holding every session's
    subject.  The stream's figures."""
    st = drained(nodes)
    for i, x in enumerate(st):
        if x["publish_errors"] or x["dropped"]:
            raise CheckFailed("%s: %s: %d publish errors, %d dropped" % (
                phase, NAMES[i], x["publish_errors"], x["dropped"]))
    info = stream_info(server, cluster)
    if info.get("num_subjects", total) != total:
        raise CheckFailed("%s: stream has %d subjects, not %d" % (
            phase, info["num_subjects"], total))
    return {"messages": info["messages"],
            "subjects": info.get("num_subjects"), "bytes": info["bytes"]}


def side_by_side(args, base, resp, servers, sets, total, iv, hb):
    """The sets' nodes (label, build directory, publish, cluster name),
    all running at once against one responder and one NATS cluster, each
    set its own cluster (leases, ownership, stream), all polling the same
    sessions: --side-by-side windows of --measure s, the placements
    alternating window by window (everything re-pinned, then 2 s to
    settle), every node's CPU read over the same window.  So what the
    machine's other load does to one set in a window it does to the
    others, and "publishing on top of polling alone" is a difference
    taken within each window.  Every set's checks in every window
    (check_polls, and check_stored for a publishing set).  Returns
    ({label: [window's measure()]}, [(placement, load)] per window,
    {label: stream figures}, {label: nodes}); the caller stops the
    nodes."""
    nodes = {}
    try:
        for label, bdir, publish, cl in sets:
            os.environ["top_builddir"] = bdir
            nodes[label] = start_nodes(args, base, servers, publish, cl)
        for label, *_ in sets:
            wait_shared(nodes[label], total)
        # every session polled once by its settled owner, in every set
        time.sleep(iv + 2 * hb)
        out = {label: [] for label, *_ in sets}
        windows = []
        for w in range(args.side_by_side):
            place = args.placements[w % len(args.placements)]
            peer, node = PLACEMENTS[place]
            pin(resp.pid, peer)
            for x in servers:
                pin(x.proc.pid, peer)
            for ns in nodes.values():
                for d in ns:
                    pin(d.pid, node)
            time.sleep(2)
            ms = measure_sets([(nodes[label], cl if publish else None)
                               for label, _, publish, cl in sets],
                              args.measure, servers[0], servers)
            for (label, _, publish, _), m in zip(sets, ms):
                phase = "window %d (%s), %s" % (w + 1, place, label)
                check_polls(phase, m, total, iv)
                if publish:
                    check_stored(phase, m)
                out[label].append(m)
            windows.append((place, ms[0][0]["load"]))
        streams = {}
        for label, _, publish, cl in sets:
            if publish:
                streams[label] = check_published(label, nodes[label],
                                                 servers[0], cl, total)
        return out, windows, streams, nodes
    except BaseException:
        for ns in nodes.values():
            for d in ns:
                if d.alive():
                    d.stop()
        raise


def takeover(nodes, total, iv, hb):
    """(3): kill -9 of nodes[2]; the time until nodes[0] and nodes[1] own
    every session and until each of its sessions has a result from
    them."""
    # What each survivor polls: its successful polls over an interval
    # (session.list of 60,000 rows is more than a client is sent at
    # once).  "poll" events, not "response": a survivor polls the
    # ~10,000 sessions it takes at once, and their responses with values
    # (~700 bytes each) overflowed the subscription's queue (4 MiB at
    # most), which the daemon then ends.
    gone = nodes[2]
    subs = []
    for d in nodes[:2]:
        c = d.connect(timeout=60)
        c.call("events.subscribe", {"events": ["poll"],
                                    "max_queue": 4 << 20})
        subs.append(c)
    failed = set()

    def results(secs, until=None):
        """(session, monotonic time) of the survivors' poll results for
        secs, or until until() is true."""
        end = time.monotonic() + secs
        while time.monotonic() < end and not (until and until()):
            r, _, _ = select.select([c.sock for c in subs], [], [], 0.05)
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
    return {"sessions": len(first), "owned_s": t_own,
            "polled_s": max(first.values()), "bound_s": 3 * hb + iv}


def us_per_result(ms, key=None):
    """Node CPU (or thread key's) per result over windows ms (lists of
    per-node measure() dicts), in us."""
    res = sum(x["results"] for m in ms for x in m)
    if key is None:
        cpu = sum(x["cpu"] for m in ms for x in m)
    else:
        cpu = sum(x["threads"].get(key, [0])[0] for m in ms
                  for x in m) / 1e9
    return cpu / max(res, 1) * 1e6


def print_side_by_side(out, sets):
    sbs = out["side_by_side"]
    wins = out["windows"]
    alone = [label for label, _, p, _ in sets if not p]
    pubs = [label for label, _, p, _ in sets if p]
    print("  side by side: %d windows of %.0f s, every set's nodes at "
          "once, the placements alternating; node CPU per result (us, all "
          "threads), per window:" % (len(wins), out["measure"]))
    for w, (place, load) in enumerate(wins):
        a = {label: us_per_result([sbs[label][w]]) for label in sbs}
        nc = sbs[alone[0]][w][0]["nats_cpu"]
        print("    %2d %-5s load %5.2f  %s; nats-servers %.0f %% of a core"
              % (w + 1, place, load, ", ".join(
                  "%s %.2f" % (label, a[label]) +
                  ("" if label in alone else " (%+.2f, %.0f %%)" % (
                      a[label] - a[alone[0]],
                      (a[label] / a[alone[0]] - 1) * 100))
                  for label, *_ in sets),
                  sum(nc) / sbs[alone[0]][w][0]["wall"] * 100))
    for place in sorted({p for p, _ in wins}):
        idx = [w for w, (p, _) in enumerate(wins) if p == place]
        loads = [wins[w][1] for w in idx]
        print("  placement %s (%s), %d windows, load average %.2f-%.2f:"
              % (place, "nodes on CPU %d, responder and nats-servers on "
                 "CPU %d" % (PLACEMENTS[place][1], PLACEMENTS[place][0]),
                 len(idx), min(loads), max(loads)))
        fig = {}
        for label, *_ in sets:
            ms = [sbs[label][w] for w in idx]
            res = sum(x["results"] for m in ms for x in m)
            fig[label] = us_per_result(ms)
            labels = sorted({k for m in ms for x in m for k in x["threads"]},
                            key=lambda k: (k != "loop", k))
            print("    %-17s %.0f results per node CPU-second (%.2f us per "
                  "result; %.2f context switches per result); by thread, "
                  "us per result: %s" % (
                      label, 1e6 / fig[label], fig[label],
                      sum(x["switches"] for m in ms for x in m) /
                      max(res, 1),
                      ", ".join("%s %.2f" % (k, us_per_result(ms, k))
                                for k in labels
                                if us_per_result(ms, k) >= 0.01)))
        a = alone[0]
        for label in pubs:
            cost = fig[label] / fig[a] - 1
            out.setdefault("cost", {}).setdefault(place, {})[label] = cost
            print("    %s costs %.0f %% on top of %s (goal < %.0f %%): "
                  "%+.2f us per result (loop %+.2f, the rest %+.2f)" % (
                      label, cost * 100, a, GOAL_PUBLISH_COST * 100,
                      fig[label] - fig[a],
                      us_per_result([sbs[label][w] for w in idx], "loop") -
                      us_per_result([sbs[a][w] for w in idx], "loop"),
                      (fig[label] - us_per_result([sbs[label][w]
                                                   for w in idx], "loop"))
                      - (fig[a] - us_per_result([sbs[a][w] for w in idx],
                                                "loop"))))


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
                    action="append",
                    help="cross (default) or same; with --side-by-side the "
                    "placements its windows alternate (default: both)")
    ap.add_argument("--baseline", metavar="BUILDDIR",
                    help="another build (e.g. main's) measured in the same "
                    "run, before this one in each phase (side by side: "
                    "its publishing set beside this build's)")
    ap.add_argument("--side-by-side", type=int, default=0,
                    metavar="WINDOWS",
                    help="polling alone and publishing at once, in WINDOWS "
                    "windows of --measure s, placements alternating")
    ap.add_argument("--no-takeover", action="store_true",
                    help="skip the takeover phase")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.side_by_side:
        args.placements = args.placement or ["cross", "same"]
    elif args.placement and len(args.placement) > 1:
        sys.exit("one --placement, except with --side-by-side")
    else:
        args.placements = args.placement or ["cross"]
    if not placements_available(args.placements, "cluster.py"):
        return 2
    global NODE_CPU, PEER_CPU
    PEER_CPU = {PLACEMENTS[args.placements[0]][0]}
    NODE_CPU = {PLACEMENTS[args.placements[0]][1]}
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
    # Side by side: polling alone, this build publishing, and with
    # --baseline the baseline publishing, each set its own cluster.
    sets = [("alone", args.builddir, False, "alone"),
            ("publish", args.builddir, True, "pub")]
    if args.baseline:
        sets.append(("baseline publish", builds["baseline "], True,
                     "basepub"))
    iv, hb = seconds(args.interval), seconds(args.heartbeat)

    base, resp = start_responder(args)
    pin(resp.pid, PEER_CPU)
    servers, nodes, phase = [], [], "start"
    out = {"nodes": len(NAMES), "sessions": total, "oids": args.oids,
           "placement": args.placements, "measure": args.measure,
           "interval": args.interval, "heartbeat": args.heartbeat}
    try:
        servers = nats_cluster()
        if args.side_by_side:
            phase = "side by side"
            out["side_by_side"], out["windows"], streams, sbs_nodes = \
                side_by_side(args, base, resp, servers, sets, total, iv, hb)
            out["stream"] = streams["publish"]
            # the takeover is this build's publishing set's, alone
            for label, ns in sbs_nodes.items():
                if label == "publish":
                    nodes = ns
                else:
                    for d in ns:
                        d.stop()
        # With --baseline the baseline's nodes and then this build's, in
        # each phase: the A/B of one run, with one responder and one
        # NATS cluster; the takeover is this build's.
        for phase, publish, build in ([] if args.side_by_side else phases):
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
                out["stream"] = check_published(phase, nodes, servers[0],
                                                "bench", total)
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
        if not args.no_takeover:
            phase = "takeover"
            if args.side_by_side:
                # the publishing set, pinned as the first placement
                for d in nodes:
                    pin(d.pid, NODE_CPU)
                pin(resp.pid, PEER_CPU)
                for x in servers:
                    pin(x.proc.pid, PEER_CPU)
            out["takeover"] = takeover(nodes, total, iv, hb)
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
    if args.side_by_side:
        print("  sets of 3 nodes, each its own cluster on the same NATS "
              "servers, polling the same sessions: %s" % ", ".join(
                  "%s (%s)" % (label, os.path.relpath(bdir)
                               if bdir != args.builddir else "this build")
                  for label, bdir, _, _ in sets))
        print_side_by_side(out, sets)
    else:
        print("  placement %s: the nodes on CPU %s; responder and "
              "nats-servers on CPU %s" % (args.placements[0], min(NODE_CPU),
                                          min(PEER_CPU)))
        print_phases(out, order)
    s = out["stream"]
    print("  stream: %d messages, %d subjects, %.0f bytes per message%s"
          % (s["messages"], s["subjects"] or 0,
             s["bytes"] / max(s["messages"], 1),
             "" if args.side_by_side else
             "; in the last window %d results, %d published, %d stored (%d "
             "in flight at its end)" % (
                 s["window_results"], s["window_published"],
                 s["window_stored"], s["window_in_flight"])))
    if "takeover" in out:
        t = out["takeover"]
        print("  takeover after kill -9 of one node (%d sessions): owned by "
              "the others after %.2f s, all polled again after %.2f s "
              "(bound 3 heartbeats + 1 interval = %.1f s)" % (
                  t["sessions"], t["owned_s"], t["polled_s"], t["bound_s"]))
    if args.json:
        print(json.dumps(out))
    return 0


def print_phases(out, order):
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


if __name__ == "__main__":
    sys.exit(main())
