#!/usr/bin/env python3
"""walk.py - snmpmgrd's walk benchmark against Net-SNMP's snmpbulkwalk.

Starts its own snmpd with the bigtable dlmod module (bench/bigtable.c:
50,000 computed objects under 1.3.6.1.4.1.99999.1) and an snmpmgrd from the
build tree with one v2c session to it, both on free loopback ports.  After
a warm-up it runs N rounds, each walking the table once with

  A: snmpmgrctl walk SESSION 1.3.6.1.4.1.99999.1 > /dev/null
     (through the daemon, max-repetitions 25)
  B: snmpbulkwalk -v2c -Cr25 -On ... 1.3.6.1.4.1.99999.1 > /dev/null

interleaved (A B, B A, A B, ...) so both see the same machine state, and
reports per manager process the CPU it used per OID:

  snmpbulkwalk  its rusage from wait4()
  snmpmgrctl    its rusage from wait4()
  snmpmgrd      the delta of its CPU time around each walk, from
                /proc/PID/task/*/schedstat (nanoseconds; /proc/PID/stat
                utime+stime, in clock ticks, when schedstat is missing)

plus the median wall time of each walk.  Before and after the timed rounds
it checks that both walks return every one of the 50,000 objects, in order,
with the same values.  Exit status 0, or 1 when that check fails (or, with
--strict, when the daemon misses its CPU goal).
"""

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import snmptest  # noqa: E402

TABLE = "1.3.6.1.4.1.99999.1"
EXPECT = 50000
GOAL_US = 0.4           # snmpmgrd CPU per OID
REFERENCE_US = 2.3      # snmpbulkwalk v2c, measured on the project VM

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_ns(pid):
    """CPU time used so far by every thread of pid, in ns."""
    total = 0
    found = False
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(f) as fp:
                total += int(fp.read().split()[0])
            found = True
        except (OSError, ValueError, IndexError):
            pass
    if found:
        return total
    with open("/proc/%d/stat" % pid) as fp:
        fields = fp.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) * 1000000000 // CLK_TCK


def run_timed(argv, env=None):
    """Run argv with stdout to /dev/null; (wall s, own CPU s, status)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.monotonic()
    pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    os.close(devnull)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    return wall, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status)


def build_module(out_dir):
    src = os.path.join(HERE, "bigtable.c")
    so = os.path.join(out_dir, "bigtable.so")
    cflags = subprocess.run(["net-snmp-config", "--cflags"], check=True,
                            capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-shared", "-fPIC", "-O2"] + cflags
                   + ["-o", so, src], check=True)
    return so


def check_same(ours, theirs):
    """Both walks complete and equal; a list of problems."""
    bad = []
    if len(ours) != EXPECT:
        bad.append("snmpmgrctl walk returned %d objects, not %d"
                   % (len(ours), EXPECT))
    if len(theirs) != EXPECT:
        bad.append("snmpbulkwalk returned %d objects, not %d"
                   % (len(theirs), EXPECT))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            bad.append("object %d differs: ours %r, snmpbulkwalk %r"
                       % (i, a, b))
            break
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir(),
                    help="where snmpmgrd and snmpmgrctl are built")
    ap.add_argument("--module", help="bigtable.so (built when not given)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-repetitions", type=int, default=25)
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when snmpmgrd misses %.1f us/OID" % GOAL_US)
    ap.add_argument("--json", action="store_true",
                    help="also print the figures as one JSON line")
    opt = ap.parse_args()
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)

    for p in ("snmpd", "snmpbulkwalk"):
        if snmptest.find_program(p) is None:
            sys.exit("walk.py: %s not installed (run scripts/deps.sh)" % p)
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-")
    module = opt.module
    if not module or not os.path.exists(module):
        module = build_module(tmp)

    agent = snmptest.Snmpd(extra_conf=["dlmod bigtable %s" % module])
    daemon = None
    try:
        daemon = snmptest.Daemon({"sessions": {"big": agent.target(
            timeout="2s", retries=1,
            max_repetitions=opt.max_repetitions)}})
        env = snmptest._client_env()
        bulkwalk = [snmptest.find_program("snmpbulkwalk"), "-v2c", "-cpublic",
                    "-Cr%d" % opt.max_repetitions, "-On", "-t", "2", "-r", "1",
                    agent.addr, TABLE]
        ctl = [daemon.ctlprog, "-s", daemon.sock, "walk", "big", TABLE]

        def correctness(when):
            doc = daemon.ctl_json("walk", "big", TABLE, timeout=120)
            docs = doc if isinstance(doc, list) else [doc]
            ours = []
            for d in docs:
                vbs = d.get("varbinds", [d]) if isinstance(d, dict) else d
                ours += [snmptest.norm_varbind(v) for v in vbs]
            theirs = snmptest.parse_net_snmp(snmptest.net_snmp(
                "snmpbulkwalk", "-v2c", "-cpublic",
                "-Cr%d" % opt.max_repetitions, agent.addr, TABLE))
            bad = check_same(ours, theirs)
            for b in bad:
                print("walk.py: %s: %s" % (when, b), file=sys.stderr)
            return not bad

        ok = correctness("warm-up")
        for _ in range(2):                      # warm caches and sockets
            run_timed(ctl)
            run_timed(bulkwalk, env)

        res = {"snmpmgrd": [], "snmpmgrctl": [], "snmpbulkwalk": [],
               "wall_ctl": [], "wall_bulkwalk": []}

        def one_ctl():
            c0 = proc_cpu_ns(daemon.pid)
            wall, cpu, st = run_timed(ctl)
            c1 = proc_cpu_ns(daemon.pid)
            if st != 0:
                raise RuntimeError("snmpmgrctl walk exited %d:\n%s"
                                   % (st, daemon.log()[-2000:]))
            res["wall_ctl"].append(wall)
            res["snmpmgrctl"].append(cpu)
            res["snmpmgrd"].append((c1 - c0) / 1e9)

        def one_bulk():
            wall, cpu, st = run_timed(bulkwalk, env)
            if st != 0:
                raise RuntimeError("snmpbulkwalk exited %d" % st)
            res["wall_bulkwalk"].append(wall)
            res["snmpbulkwalk"].append(cpu)

        for r in range(opt.rounds):
            order = (one_ctl, one_bulk) if r % 2 == 0 else (one_bulk, one_ctl)
            for f in order:
                f()
        ok = correctness("after the timed rounds") and ok
    finally:
        if daemon is not None:
            daemon.close()
        agent.close()
        shutil.rmtree(tmp, ignore_errors=True)

    def us(key):
        return statistics.median(res[key]) * 1e6 / EXPECT

    d, c, b = us("snmpmgrd"), us("snmpmgrctl"), us("snmpbulkwalk")
    print("walk of %d objects (%s), v2c, max-repetitions %d, %d rounds "
          "A/B interleaved; medians" % (EXPECT, TABLE, opt.max_repetitions,
                                        opt.rounds))
    print("%-26s %10s %14s" % ("manager process", "wall s", "CPU us/OID"))
    print("%-26s %10.3f %14.3f" % ("snmpmgrd (daemon)",
                                   statistics.median(res["wall_ctl"]), d))
    print("%-26s %10s %14.3f" % ("snmpmgrctl (client)", "", c))
    print("%-26s %10s %14.3f" % ("snmpmgrd + snmpmgrctl", "", d + c))
    print("%-26s %10.3f %14.3f" % ("snmpbulkwalk",
                                   statistics.median(res["wall_bulkwalk"]), b))
    print("ratio snmpbulkwalk / snmpmgrd CPU per OID: %.1fx" % (b / d if d
                                                               else 0.0))
    met = d <= GOAL_US
    print("goal: snmpmgrd <= %.1f us/OID (snmpbulkwalk ~%.1f us/OID): %s"
          % (GOAL_US, REFERENCE_US, "met" if met else "NOT met"))
    print("correctness (both walks %d objects, equal): %s"
          % (EXPECT, "ok" if ok else "FAILED"))
    if opt.json:
        print(json.dumps({"objects": EXPECT, "rounds": opt.rounds,
                          "us_per_oid": {"snmpmgrd": d, "snmpmgrctl": c,
                                         "snmpbulkwalk": b},
                          "wall_s": {"snmpmgrctl": statistics.median(
                              res["wall_ctl"]), "snmpbulkwalk":
                              statistics.median(res["wall_bulkwalk"])},
                          "goal_met": met, "correct": ok}))
    if not ok or (opt.strict and not met):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
