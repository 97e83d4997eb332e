#!/usr/bin/env python3
"""metrics.py - the cost of a Prometheus scrape of snmpmgrd's /metrics.

Starts bench/responder and snmpmgrd with SESSIONS sessions (default
10,000) of OIDS values each (default 10), set up as bench/poll.py does
(its config, addresses and helpers), polled every INTERVAL, with the
"http" endpoint on a free loopback port and its render cache off, so that
every scrape renders.  After every session has been polled once:

 correctness: one scrape (text 0.0.4) must hold SESSIONS x OIDS value
   samples, OIDS per session, each equal to the value poll.results
   reports for it (taken after the scrape, from the same store: polls are
   far apart, so nothing changes in between); any difference stops the
   run with exit status 1 and no figure.
 cost: SCRAPES scrapes in a row, for each format (text, OpenMetrics) and
   each CPU placement ("same": client, snmpmgrd and responder on CPU 0;
   "cross": snmpmgrd on CPU 0, client and responder on CPU 1; a placement
   needing a CPU this process may not use is refused): wall time
   per scrape as the client sees it (request to last byte) and the
   daemon's CPU per scrape (its /proc schedstat over the scrapes, less its
   polling CPU measured in the same placement over as long without
   scrapes).  Goal (issue 12): < 100 ms per scrape.
 baseline (--baseline BUILDDIR): a second snmpmgrd, built there (e.g.
   of main), with the same sessions, checked and scraped the same way in
   the same rounds, the order alternating: before/after from one run.
 reference, same run: the same values as JSON over the control socket
   (poll.results for every session), the daemon's CPU for it.
   snmp_exporter, the reference the issue names, is not packaged for
   this machine, so it is not run here.
"""

import argparse
import json
import os
import socket
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import poll as pollbench  # noqa: E402
import snmptest  # noqa: E402

GOAL_MS = 100.0


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, om=False):
    hdr = {"Accept": "application/openmetrics-text; version=1.0.0"} \
        if om else {}
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                 headers=hdr)
    t0 = time.monotonic()
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
    return body, time.monotonic() - t0


def store_values(d, sess):
    res = d.call("poll.results", {"session": sess}, timeout=30)
    return {"oid_" + vb["oid"].replace(".", "_"): str(vb["value"])
            for vb in res["polls"][0]["varbinds"]}


def check(args, d, port):
    """Every value of every session in the exposition, as the store has
    it (sessions polled between the two store reads are left out: the
    responder's values move with time).  Raises pollbench.CheckFailed."""
    sample = ["s%05d" % i for i in range(0, args.sessions,
                                         max(1, args.sessions // 200))]
    before = {s: store_values(d, s) for s in sample}
    body, _ = scrape(port)
    after = {s: store_values(d, s) for s in sample}
    got = {}
    for line in body.decode().splitlines():
        if not line.startswith("oid_"):
            continue
        name, _, rest = line.partition("{")
        if name.endswith("_total"):     # a counter's samples
            name = name[:-len("_total")]
        labels, _, value = rest.rpartition("} ")
        sess = labels.split('session="', 1)[1].split('"', 1)[0]
        got[(sess, name)] = value
    if len(got) != args.sessions * args.oids:
        raise pollbench.CheckFailed("%d value samples, expected %d" % (
            len(got), args.sessions * args.oids))
    checked = 0
    for sess in sample:
        if before[sess] != after[sess]:
            continue
        checked += 1
        for name, v in before[sess].items():
            if got.get((sess, name)) != v:
                raise pollbench.CheckFailed("%s %s: exposition %r, store "
                                            "%r" % (sess, name,
                                                    got.get((sess, name)),
                                                    v))
    if checked < len(sample) // 2:
        raise pollbench.CheckFailed("only %d of %d sessions held still"
                                    % (checked, len(sample)))
    return len(body)


def scrape_cost(pid, port, om, scrapes):
    """Wall times and daemon CPU per scrape of scrapes scrapes in a row,
    less the daemon's polling CPU over as long without scrapes."""
    c0, t0 = pollbench.cpu_s(pid), time.monotonic()
    walls = []
    for _ in range(scrapes):
        body, w = scrape(port, om)
        walls.append(w)
    c1, t1 = pollbench.cpu_s(pid), time.monotonic()
    time.sleep(t1 - t0)
    c2, t2 = pollbench.cpu_s(pid), time.monotonic()
    idle = (c2 - c1) / (t2 - t1)
    cpu = (c1 - c0) - idle * (t1 - t0)
    walls.sort()
    return {"wall_ms_median": round(walls[len(walls) // 2] * 1e3, 1),
            "wall_ms_max": round(walls[-1] * 1e3, 1),
            "cpu_ms_per_scrape": round(cpu / scrapes * 1e3, 1),
            "bytes": len(body)}


def start_daemon(cfg, bindir=None):
    """snmpmgrd (from bindir when given) started on CPU 0."""
    me = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        d = snmptest.Daemon(cfg, start=False)
        if bindir is not None:
            d.bindir = os.path.abspath(bindir)
            d.prog = os.path.join(d.bindir, "snmpmgrd")
            d.ctlprog = os.path.join(d.bindir, "snmpmgrctl")
            if not os.access(d.prog, os.X_OK):
                sys.exit("metrics.py: --baseline: %s not built" % d.prog)
        return d.start()
    finally:
        os.sched_setaffinity(0, me)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--baseline", metavar="BUILDDIR",
                    help="also scrape an snmpmgrd built there (e.g. of "
                    "main), with the same sessions, in the same run")
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--oids", type=int, default=10)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--ports", type=int, default=100)
    ap.add_argument("--scrapes", type=int, default=10)
    ap.add_argument("--in-flight", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    pollbench.require_cpus("metrics.py", *[c for _, m, a in
                                           pollbench.PLACEMENTS
                                           for c in (m, a)])
    args.batch_window = None
    args.builddir = os.path.abspath(args.builddir)
    os.environ["top_builddir"] = args.builddir
    if not os.access(os.path.join(args.builddir, "bench", "responder"),
                     os.X_OK):
        sys.exit("build bench/responder first (make bench/responder)")
    me = os.sched_getaffinity(0)
    for name, mgr, agent in pollbench.PLACEMENTS:
        if not (mgr | agent) <= me:
            print("metrics.py: placement %s needs CPUs %s, this process may "
                  "use %s only: refused" % (name, sorted(mgr | agent),
                                            sorted(me)), file=sys.stderr)
            return 2

    base, resp = pollbench.start_responder(args)
    daemons = []
    out = {"sessions": args.sessions, "oids": args.oids, "runs": {}}
    try:
        for tag, bindir in (("build", None), ("baseline", args.baseline)):
            if tag == "baseline" and bindir is None:
                continue
            port = free_tcp_port()
            cfg = pollbench.config(args, base, args.interval)
            cfg["http"] = {"listen": ["127.0.0.1:%d" % port], "cache": "0s"}
            daemons.append((tag, start_daemon(cfg, bindir), port))
        deadline = time.monotonic() + 300
        for tag, d, port in daemons:
            while pollbench.status(d)["polls_done"] < args.sessions:
                if time.monotonic() > deadline:
                    raise pollbench.CheckFailed("%s: not every session was "
                                                "polled in 300 s" % tag)
                time.sleep(1)
        for tag, d, port in daemons:
            try:
                out["bytes_text"] = check(args, d, port)
            except pollbench.CheckFailed as e:
                raise pollbench.CheckFailed("%s: %s" % (tag, e))
        for k, (name, mgr, agent) in enumerate(pollbench.PLACEMENTS):
            for _, d, _ in daemons:
                pollbench.pin(d.pid, mgr)
            pollbench.pin(resp.pid, agent)
            os.sched_setaffinity(0, agent)
            time.sleep(1)
            run = {}
            for fmt, om in (("text", False), ("openmetrics", True)):
                order = daemons if k % 2 == 0 else daemons[::-1]
                for tag, d, port in order:
                    run.setdefault(tag, {})[fmt] = scrape_cost(
                        d.pid, port, om, args.scrapes)
            # the same values as JSON through the control socket
            d = daemons[0][1]
            c0 = pollbench.cpu_s(d.pid)
            t0 = time.monotonic()
            for i in range(args.sessions):
                d.call("poll.results", {"session": "s%05d" % i},
                       timeout=30)
            t1 = time.monotonic()
            c1 = pollbench.cpu_s(d.pid)
            run["json_poll_results"] = {
                "wall_ms": round((t1 - t0) * 1e3, 1),
                "cpu_ms": round((c1 - c0) * 1e3, 1)}
            out["runs"][name] = run
        for tag, d, _ in daemons:
            st = pollbench.status(d)
            if st["polls_failed"] or st["sessions_up"] != args.sessions:
                raise pollbench.CheckFailed("%s: polls failed: %r"
                                            % (tag, st))
    except pollbench.CheckFailed as e:
        print("metrics.py: correctness check failed, no figures: %s" % e,
              file=sys.stderr)
        return 1
    finally:
        os.sched_setaffinity(0, me)
        for _, d, _ in daemons:
            d.close()
        snmptest._kill(resp, wait=5)

    print("snmpmgrd /metrics benchmark: %d sessions x %d values (%d value "
          "samples, %.1f MiB of text), %d scrapes per format" % (
              args.sessions, args.oids, args.sessions * args.oids,
              out["bytes_text"] / 2**20, args.scrapes))
    print("  placements: same = client, snmpmgrd, responder on CPU 0; "
          "cross = snmpmgrd on CPU 0, client and responder on CPU 1")
    if args.baseline:
        print("  baseline: snmpmgrd of %s, the same sessions, scraped in "
              "the same rounds (order alternating)" % args.baseline)
    for name, _, _ in pollbench.PLACEMENTS:
        r = out["runs"][name]
        for tag, _, _ in daemons:
            for fmt in ("text", "openmetrics"):
                f = r[tag][fmt]
                print("  %-5s %-8s %-11s wall %6.1f ms median (max %6.1f), "
                      "daemon CPU %6.1f ms/scrape (goal < %.0f ms)" % (
                          name, tag, fmt, f["wall_ms_median"],
                          f["wall_ms_max"], f["cpu_ms_per_scrape"],
                          GOAL_MS))
        j = r["json_poll_results"]
        print("  %-5s build    JSON poll.results of every session: wall "
              "%.1f ms, daemon CPU %.1f ms" % (name, j["wall_ms"],
                                               j["cpu_ms"]))
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
