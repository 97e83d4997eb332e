#!/usr/bin/env python3
"""walk_names.py - what MIB names cost a walk (issue 12), and MIB load time.

Starts its own snmpd with the bigtable dlmod module (bench/bigtable.c,
50,000 objects under 1.3.6.1.4.1.99999.1) and two snmpmgrd from the build
tree, one v2c session each to it: "names" loads bench/mibs/
SNMPMGR-BENCH-MIB.txt (its imports from net-snmp's npm package, fetched
as tests/test_mib.py does) (written by us; it names bigtable's table, so every
object is looked up, named and its index decoded), "plain" loads no MIB.
Placement (--placement, walk.py's): "cross" by default, the agent on CPU
0, both daemons and snmpmgrctl on CPU 1; "same", all on CPU 0.  A
placement that needs a CPU this process may not use is refused before
anything starts (exit status 2).

Correctness first: a snmp.walk of each daemon must bring the same 50,000
(oid, type, value), and the names daemon a name on every one
("SNMPMGR-BENCH-MIB::bigName.7"); when it fails no figure is printed and
the exit status is 1.  Then N rounds, the order alternating, of
`snmpmgrctl --json walk big TABLE > /dev/null` against each daemon; per
walk the daemon's CPU (schedstat delta around the walk) per OID, median.
Goal: names on <= 1.5x names off.

Then MIB load time, as snmpmgrd logs it at start-up ("mibs: N modules,
M nodes, loaded in X ms"), and the wall time of a daemon.reload that loads
the same set again (the loop is busy for that long): for the test MIB set
of tests/test_mib.py and for every MIB file on the machine
(/usr/share/snmp/mibs plus net-snmp's npm package, "modules": "all").
"""

import argparse
import os
import re
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


def check(named, plain):
    a, b = walk_objects(named), walk_objects(plain)
    na = [snmptest.norm_varbind(v) for v in a]
    nb = [snmptest.norm_varbind(v) for v in b]
    if len(na) != EXPECT or na != nb:
        return "objects differ (%d vs %d)" % (len(na), len(nb))
    bad = [v for v in a if not re.match(r"SNMPMGR-BENCH-MIB::big\w+\.\d+$",
                                         v.get("name", ""))]
    if bad:
        return "%d objects without a name, e.g. %r" % (len(bad), bad[0])
    if any("name" in v for v in b):
        return "the plain daemon named objects"
    return None


def load_figures(label, mibs):
    d = snmptest.Daemon({"mibs": mibs})
    try:
        m = re.findall(r"mibs: (\d+) modules, (\d+) nodes, loaded in "
                       r"([0-9.]+) ms", d.log())
        t0 = time.monotonic()
        r = d.rpc("daemon.reload", {}, timeout=300)
        wall = (time.monotonic() - t0) * 1e3
        if not m or "result" not in r:
            print("%-28s load failed: %r" % (label, r))
            return
        mods, nodes, ms = m[0]
        print("%-28s %4s modules %6s nodes  start-up load %8.1f ms  "
              "daemon.reload %8.1f ms" % (label, mods, nodes, float(ms),
                                          wall))
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--module", help="bigtable.so (built when not given)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--placement", choices=sorted(wb.PLACEMENTS),
                    default="cross")
    opt = ap.parse_args()
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    if snmptest.find_program("snmpd") is None:
        sys.exit("walk_names.py: snmpd not installed")
    acpu, mcpu = wb.placements_available([opt.placement],
                                         "walk_names.py")[opt.placement]
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-")
    module = wb.find_module(opt, tmp)
    agent = snmptest.Snmpd(extra_conf=["dlmod bigtable %s" % module])
    named = plain = None
    rc = 0
    try:
        sess = {"big": agent.target(timeout="2s", retries=1)}
        named = snmptest.Daemon({"mibs": {"dirs": [BENCH_MIBS, mib_cache()],
                                          "modules": ["SNMPMGR-BENCH-MIB"]},
                                 "sessions": sess})
        plain = snmptest.Daemon({"sessions": sess})
        wb.pin(agent.pid, acpu)
        for d in (named, plain):
            wb.pin(d.pid, mcpu)
        why = check(named, plain)
        if why is not None:
            print("walk_names.py: correctness check failed: %s" % why)
            return 1
        cpu = {"names on": [], "names off": []}
        for r in range(opt.rounds):
            order = [("names on", named), ("names off", plain)]
            if r % 2:
                order.reverse()
            for name, d in order:
                c0 = wb.proc_cpu_ns(d.pid)
                _, _, st = wb.run_timed([d.ctlprog, "-s", d.sock, "--json",
                                         "walk", "big", TABLE], None, mcpu)
                c1 = wb.proc_cpu_ns(d.pid)
                if st != 0:
                    print("walk_names.py: walk failed (%s)" % name)
                    return 1
                cpu[name].append((c1 - c0) / EXPECT)
        why = check(named, plain)
        if why is not None:
            print("walk_names.py: correctness check failed after the "
                  "rounds: %s" % why)
            return 1
        print("placement: agent on CPU %d, snmpmgrd and snmpmgrctl on CPU "
              "%d; %d rounds, %d objects" % (acpu, mcpu, opt.rounds, EXPECT))
        on = statistics.median(cpu["names on"])
        off = statistics.median(cpu["names off"])
        for k in ("names on", "names off"):
            print("  %-10s daemon CPU %7.0f ns/OID (median; min %.0f)"
                  % (k, statistics.median(cpu[k]), min(cpu[k])))
        ratio = on / off if off > 0 else float("inf")
        best = min(cpu["names on"]) / min(cpu["names off"])
        print("  names on / names off: %.2fx of the medians, %.2fx of the "
              "minimums (goal <= %.1fx): %s" % (
                  ratio, best, GOAL, "met" if ratio <= GOAL else "MISSED"))
    finally:
        for d in (named, plain):
            if d is not None:
                d.close()
        agent.close()

    print("MIB load time:")
    npm = mib_cache()
    load_figures("test set (test_mib.py)",
                 {"dirs": [npm, NET_SNMP_MIBS, TEST_MIBS],
                  "modules": MODULES})
    load_figures("all on the machine",
                 {"dirs": [NET_SNMP_MIBS, npm], "modules": "all"})
    return rc


if __name__ == "__main__":
    sys.exit(main())
