#!/usr/bin/env python3
"""walk_names.py - what MIB names cost a walk (issue 12), and MIB load time.

Starts its own snmpd with the bigtable dlmod module (bench/bigtable.c,
50,000 objects under 1.3.6.1.4.1.99999.1) and two snmpmgrd from the build
tree, one v2c session each to it: "names" loads bench/mibs/
SNMPMGR-BENCH-MIB.txt (its imports from net-snmp's npm package, fetched
as tests/test_mib.py does) (written by us; it names bigtable's table, so every
object is looked up, named and its index decoded), "plain" loads no MIB.
With --baseline BUILDDIR, the same two daemons again from that build (its
snmpmgrd and snmpmgrctl, e.g. main's), walked in the same rounds: the
before/after of a change from one run.

Placements (walk.py's, pinned with sched_setaffinity; --placement to pick
one): "same", the agent, the daemons and snmpmgrctl on CPU 0; "cross",
the agent on CPU 0, the daemons and snmpmgrctl on CPU 1.  A placement
needing a CPU this process may not use is refused (exit status 2).

Correctness, in each placement before and after its rounds: a snmp.walk
of each daemon must bring the same 50,000 (oid, type, value), the names
daemons a name on every one ("SNMPMGR-BENCH-MIB::bigName.7") and the plain
ones none, and `snmpmgrctl --json walk` must print what snmp.walk returned;
when a check fails nothing is printed on stdout (the reason goes to
stderr) and the exit status is 1.  Then N rounds, the order rotating, of
`snmpmgrctl --json walk big TABLE > /dev/null` against each daemon; per
walk the daemon's CPU (schedstat delta around the walk) per OID, median.
Goal: names on <= 1.5x names off.

Then MIB load time, as snmpmgrd logs it at start-up ("mibs: N modules,
M nodes, loaded in X ms"), and the wall time of a daemon.reload that loads
the same set again (the loop is busy for that long): for the test MIB set
of tests/test_mib.py and for every MIB file on the machine
(/usr/share/snmp/mibs plus net-snmp's npm package, "modules": "all").

--loads-only: no walks, only the load figures, in --rounds rounds, the
build and the --baseline build (when given) alternating, every daemon
pinned on the daemons' CPU of the (first) placement; medians and the
spread.  A third set then: Debian's Net-SNMP modules alone
(/usr/share/snmp/mibs, "all"), which libsmi crashes on without the IETF
modules they import; a daemon that dies loading a set is reported as
such (main's did, before the modules were read in a child first).
"""

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, HERE)

import snmptest  # noqa: E402
import walk as wb  # noqa: E402
from test_mib import MODULES, NET_SNMP_MIBS, TEST_MIBS, \
    mib_cache  # noqa: E402

TABLE = "1.3.6.1.4.1.99999.1"
EXPECT = 50000
GOAL = 1.5
BENCH_MIBS = os.path.join(HERE, "mibs")


def walk_objects(d):
    notes, reply = d.rpc_stream("snmp.walk", {"session": "big",
                                              "oid": TABLE}, timeout=300)
    if "result" not in reply:
        raise AssertionError("walk failed: %r" % reply)
    return [v for n in notes if n.get("method") == "walk.rows"
            for v in n["params"]["varbinds"]]


def check_pair(who, named, plain):
    """None, or what is wrong with the names daemon named and the plain
    one: the same objects, a name on each from the first, none from the
    second, snmpmgrctl --json printing what snmp.walk returned."""
    a, b = walk_objects(named), walk_objects(plain)
    na = [snmptest.norm_varbind(v) for v in a]
    nb = [snmptest.norm_varbind(v) for v in b]
    if len(na) != EXPECT or na != nb:
        return "%s: objects differ (%d vs %d)" % (who, len(na), len(nb))
    bad = [v for v in a if not re.match(r"SNMPMGR-BENCH-MIB::big\w+\.\d+$",
                                         v.get("name", ""))]
    if bad:
        return "%s: %d objects without a name, e.g. %r" % (who, len(bad),
                                                           bad[0])
    if any("name" in v for v in b):
        return "%s: the plain daemon named objects" % who
    for d, want in ((named, a), (plain, b)):
        try:
            got = d.ctl_json("walk", "big", TABLE, timeout=300)
        except AssertionError as e:
            return "%s: %s" % (who, str(e)[:300])
        if got != want:
            return "%s: snmpmgrctl --json walk printed %d objects, not " \
                "the %d of snmp.walk (or others)" % (who, len(got),
                                                     len(want))
    return None


def load_numbers(mibs, baseline=None):
    """(modules, nodes, start-up load ms, daemon.reload wall ms) of one
    MIB set, from the build or from baseline (a build directory); a
    string saying why when the daemon did not come up or the reload
    failed."""
    conf = {"mibs": mibs}
    try:
        d = (wb.start_baseline(baseline, conf) if baseline
             else snmptest.Daemon(conf))
    except RuntimeError as e:
        m = re.search(r"exited with (-?\d+)", str(e))
        return ("died loading it (exit status %s)" % m.group(1) if m
                else str(e)[:200])
    try:
        m = re.findall(r"mibs: (\d+) modules, (\d+) nodes, loaded in "
                       r"([0-9.]+) ms", d.log())
        t0 = time.monotonic()
        r = d.rpc("daemon.reload", {}, timeout=300)
        wall = (time.monotonic() - t0) * 1e3
        if not m or "result" not in r:
            return "load failed: %r" % (r,)
        mods, nodes, ms = m[0]
        return int(mods), int(nodes), float(ms), wall
    finally:
        d.close()


def load_figures(label, mibs):
    """The figure line of one MIB set, or None (reason on stderr)."""
    r = load_numbers(mibs)
    if isinstance(r, str):
        print("walk_names.py: %s: %s" % (label, r), file=sys.stderr)
        return None
    mods, nodes, ms, wall = r
    return ("%-28s %4s modules %6s nodes  start-up load %8.1f ms  "
            "daemon.reload %8.1f ms" % (label, mods, nodes, ms, wall))


def loads_only(opt):
    """--loads-only: the load figures of each set, build and baseline
    alternating, --rounds rounds; 0, or 1 when a set failed to load in
    the build."""
    places = wb.placements_available(opt.placement, "walk_names.py")
    pname, (_, cpu) = next(iter(places.items()))
    os.sched_setaffinity(0, {cpu})      # the daemons inherit it
    sets = [("test set (test_mib.py)",
             {"dirs": [mib_cache(), NET_SNMP_MIBS, TEST_MIBS],
              "modules": MODULES}),
            ("all on the machine",
             {"dirs": [NET_SNMP_MIBS, mib_cache()], "modules": "all"}),
            ("Debian's alone (all)",
             {"dirs": [NET_SNMP_MIBS], "modules": "all"})]
    builds = [("build", None)]
    if opt.baseline:
        builds.append(("baseline", opt.baseline))
    res = {}
    for rnd in range(opt.rounds):
        order = builds if rnd % 2 == 0 else builds[::-1]
        for label, mibs in sets:
            for who, bdir in order:
                res.setdefault((label, who), []).append(
                    load_numbers(mibs, bdir))
    print("MIB load time, %d rounds (build and baseline alternating), "
          "daemons on CPU %d (placement %s), load average %s"
          % (opt.rounds, cpu, pname,
             " ".join(open("/proc/loadavg").read().split()[:3])))
    rv = 0
    for label, _ in sets:
        for who, _ in builds:
            rs = res[(label, who)]
            bad = [r for r in rs if isinstance(r, str)]
            if bad:
                print("  %-22s %-8s %s (%d of %d rounds)"
                      % (label, who, bad[0], len(bad), len(rs)))
                if who == "build":
                    rv = 1
                continue
            ms = sorted(r[2] for r in rs)
            wall = sorted(r[3] for r in rs)
            print("  %-22s %-8s %3d modules %5d nodes  start-up load "
                  "%6.1f ms (%.1f-%.1f)  daemon.reload %6.1f ms "
                  "(%.1f-%.1f)" % (label, who, rs[0][0], rs[0][1],
                                   statistics.median(ms), ms[0], ms[-1],
                                   statistics.median(wall), wall[0],
                                   wall[-1]))
    return rv


def main():
    def more(ap):
        ap.add_argument("--baseline", metavar="BUILDDIR",
                        help="also walk through the snmpmgrd and "
                        "snmpmgrctl built there, in the same rounds")
        ap.add_argument("--loads-only", action="store_true",
                        help="only the MIB load figures, build and "
                        "baseline alternating")
    opt = wb.walk_args(__doc__, more)
    if opt.loads_only:
        return loads_only(opt)
    if snmptest.find_program("snmpd") is None:
        sys.exit("walk_names.py: snmpd not installed")
    places = wb.placements_available(opt.placement, "walk_names.py")
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-")
    module = wb.find_module(opt, tmp)
    agent = snmptest.Snmpd(extra_conf=["dlmod bigtable %s" % module])
    daemons = []
    try:
        sess = {"big": agent.target(timeout="2s", retries=1,
                                    max_repetitions=opt.max_repetitions)}
        mibs = {"dirs": [BENCH_MIBS, mib_cache()],
                "modules": ["SNMPMGR-BENCH-MIB"]}
        pairs = [("", snmptest.Daemon({"mibs": mibs, "sessions": sess}),
                  snmptest.Daemon({"sessions": sess}))]
        daemons += pairs[0][1:]
        if opt.baseline:
            pairs.append(("baseline ",
                          wb.start_baseline(opt.baseline,
                                            {"mibs": mibs,
                                             "sessions": sess}),
                          wb.start_baseline(opt.baseline,
                                            {"sessions": sess})))
            daemons += pairs[1][1:]
        walks = {}
        for who, named, plain in pairs:
            for k, d in (("names on", named), ("names off", plain)):
                walks[who + k] = ("ctl", [d.ctlprog, "-s", d.sock, "--json",
                                          "walk", "big", TABLE], None, d)

        def correctness(when):
            for who, named, plain in pairs:
                why = check_pair(who + "daemons", named, plain)
                if why is not None:
                    print("walk_names.py: correctness check failed (%s): "
                          "%s" % (when, why), file=sys.stderr)
                    return False
            return True

        results = wb.measure(walks, pairs[0][1], places, agent.pid,
                             opt.rounds, correctness)
    finally:
        for d in daemons:
            d.close()
        agent.close()
        shutil.rmtree(tmp, ignore_errors=True)

    if not all(r["correct"] for r in results.values()):
        return 1
    loads = [load_figures("test set (test_mib.py)",
                          {"dirs": [mib_cache(), NET_SNMP_MIBS, TEST_MIBS],
                           "modules": MODULES}),
             load_figures("all on the machine",
                          {"dirs": [NET_SNMP_MIBS, mib_cache()],
                           "modules": "all"})]
    if None in loads:
        return 1

    met = True
    doc = {}
    print("walk of %d objects, snmpmgrctl --json walk, v2c, "
          "max-repetitions %d, %d rounds (order rotating)"
          % (EXPECT, opt.max_repetitions, opt.rounds))
    for pname, r in results.items():
        acpu, mcpu = r["cpus"]
        print("placement %s: agent on CPU %d, snmpmgrd and snmpmgrctl on "
              "CPU %d" % (pname, acpu, mcpu))
        doc[pname] = {}
        for who, _, _ in pairs:
            ns = {}
            for k in ("names on", "names off"):
                w = r["walks"][who + k]
                ns[k] = [x * 1e9 / EXPECT for x in w["daemon"]]
                client = statistics.median(w["client"]) * 1e9 / EXPECT
                print("  %-20s daemon CPU %5.0f ns/OID (median; min %5.0f)"
                      "  snmpmgrctl %5.0f ns/OID" % (
                          who + k, statistics.median(ns[k]), min(ns[k]),
                          client))
            on = statistics.median(ns["names on"])
            off = statistics.median(ns["names off"])
            ratio = on / off if off > 0 else float("inf")
            best = min(ns["names on"]) / min(ns["names off"])
            ok = ratio <= GOAL
            if not who:
                met = met and ok
            print("  %snames on / names off: %.2fx of the medians, %.2fx "
                  "of the minimums (goal <= %.1fx): %s" % (
                      who, ratio, best, GOAL, "met" if ok else "MISSED"))
            doc[pname][who.strip() or "build"] = {
                "on_ns": on, "off_ns": off, "ratio": ratio}
    print("MIB load time:")
    for line in loads:
        print(line)
    if opt.json:
        print(json.dumps({"objects": EXPECT, "rounds": opt.rounds,
                          "placements": doc, "goal_met": met}))
    return 1 if opt.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
