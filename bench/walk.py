#!/usr/bin/env python3
"""walk.py - snmpmgrd's walk benchmark against Net-SNMP's snmpbulkwalk.

Starts its own snmpd with the bigtable dlmod module (bench/bigtable.c:
50,000 computed objects under 1.3.6.1.4.1.99999.1) and an snmpmgrd from the
build tree with one v2c session to it, both on free loopback ports, and
walks the table in two CPU placements (pinned with sched_setaffinity):

  same   agent, daemon, snmpmgrctl and snmpbulkwalk all on CPU 0
  cross  agent on CPU 0; daemon, snmpmgrctl and snmpbulkwalk on CPU 1

In each placement, after a correctness check and a warm-up, it runs N
rounds, the order rotating each round, of

  text  snmpmgrctl walk SESSION 1.3.6.1.4.1.99999.1 > /dev/null
  json  snmpmgrctl --json walk SESSION 1.3.6.1.4.1.99999.1 > /dev/null
  snmpbulkwalk -v2c -Cr25 -On ... 1.3.6.1.4.1.99999.1 > /dev/null
  baseline [--json] walk  the same through --baseline BUILDDIR's snmpmgrd
                and snmpmgrctl (e.g. main's), when given
  snmpbulkwalk -v2c -Cr256 ... (for information: snmpmgrd's walks adapt
                their max-repetitions from the session's 25 up to 256)

and reports, per walk, the median wall time and CPU per OID of

  snmpmgrd      the delta of its CPU time around the walk, from
                /proc/PID/task/*/schedstat (nanoseconds; /proc/PID/stat
                utime+stime, in clock ticks, when schedstat is missing)
  snmpmgrctl    its rusage from wait4()
  pipeline      the two together: what a user running snmpmgrctl pays
  snmpbulkwalk  its rusage from wait4()

Before and after the timed rounds of each placement, the OID, type and
value of every object printed by snmpmgrctl (text and --json) must equal
snmpbulkwalk's (50,000 objects, same order).  The goals (issue 11) are
held against snmpbulkwalk at the session's max-repetitions; the figures
against -Cr256 are printed beside them.  When a check fails no figure
of that placement is printed, nor any goal; the exit status is then 1 (and
with --strict, 1 too when a goal is missed).  A placement that needs a CPU
this process may not use is refused before anything starts (exit status
2).
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
# issue 11: pipeline (daemon + client) <= 0.5x snmpbulkwalk's CPU, wall
# time <= snmpbulkwalk's; the daemon alone >= 4x less CPU than snmpbulkwalk
PIPELINE_RATIO = 0.5
DAEMON_FACTOR = 4.0
# name: (CPU of the agent, CPU of the manager side)
PLACEMENTS = {"same": (0, 0), "cross": (0, 1)}

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


def require_cpus(prog, *cpu_sets):
    """Exit with status 2 and a message unless every CPU named in
    cpu_sets (CPU numbers or sets of them) is in this process's allowed
    set: a placement on a CPU we may not use would silently run on the
    others (a "cross" figure measured on one CPU)."""
    want = set()
    for c in cpu_sets:
        want |= {c} if isinstance(c, int) else set(c)
    allowed = os.sched_getaffinity(0)
    if not want <= allowed:
        print("%s: its CPU placements need CPUs %s, but only %s may be "
              "used here (taskset -p %d); no figure measured" % (
                  prog, ",".join(map(str, sorted(want))),
                  ",".join(map(str, sorted(allowed))), os.getpid()),
              file=sys.stderr)
        sys.exit(2)


def pin(pid, cpus):
    """Every thread of pid onto cpus, a CPU number or a set of them
    (threads made later inherit it).  A thread that ended meanwhile is
    skipped; a CPU that is not allowed raises (see require_cpus)."""
    if isinstance(cpus, int):
        cpus = {cpus}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except ProcessLookupError:
            pass


def placements_available(wanted, prog):
    """The placements of wanted (None: all); exits with status 2 and a
    message, before anything is started, when one needs a CPU outside
    this process's allowed set (cross needs CPUs 0 and 1): a placement is
    measured as asked or refused, never dropped or moved."""
    cpus = os.sched_getaffinity(0)
    out, missing = {}, []
    for name in wanted or PLACEMENTS:
        need = set(PLACEMENTS[name])
        if need <= cpus:
            out[name] = PLACEMENTS[name]
        else:
            missing.append("placement %s needs CPU%s %s, allowed: %s"
                           % (name, "s" if len(need) > 1 else "",
                              ",".join(map(str, sorted(need))),
                              ",".join(map(str, sorted(cpus)))))
    if missing:
        for m in missing:
            print("%s: %s" % (prog, m), file=sys.stderr)
        print("%s: refusing to run (choose what can run with "
              "--placement)" % prog, file=sys.stderr)
        sys.exit(2)
    return out


def run_timed(argv, env=None, cpu=None):
    """Run argv with stdout to /dev/null, on cpu when given;
    (wall s, own CPU s, status)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    old = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})      # the child inherits it
    try:
        t0 = time.monotonic()
        pid = os.posix_spawn(argv[0], argv,
                             env if env is not None else os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    finally:
        os.sched_setaffinity(0, old)
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


def find_module(opt, tmp):
    """--module as an absolute path (snmpd runs elsewhere), else built."""
    if opt.module and os.path.exists(opt.module):
        return os.path.abspath(opt.module)
    return build_module(tmp)


def ctl_objects(daemon, session, as_json):
    """The (oid, type, value) list snmpmgrctl [--json] walk prints."""
    args = ("walk", session, TABLE)
    if as_json:
        docs = daemon.ctl_json(*args, timeout=120)
        docs = docs if isinstance(docs, list) else [docs]
        out = []
        for d in docs:
            vbs = d.get("varbinds", [d]) if isinstance(d, dict) else d
            out += [snmptest.norm_varbind(v) for v in vbs]
        return out
    r = daemon.ctl(*args, timeout=120)
    if r.returncode != 0:
        raise AssertionError("snmpmgrctl walk: exit %d: %s"
                             % (r.returncode, r.stderr[-2000:]))
    return snmptest.parse_net_snmp(r.stdout.splitlines())


def check_same(name, ours, theirs):
    """Both walks complete and equal; a list of problems."""
    bad = []
    if len(ours) != EXPECT:
        bad.append("%s returned %d objects, not %d"
                   % (name, len(ours), EXPECT))
    if len(theirs) != EXPECT:
        bad.append("the reference returned %d objects, not %d"
                   % (len(theirs), EXPECT))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            bad.append("%s: object %d differs: %r, reference %r"
                       % (name, i, a, b))
            break
    return bad


def walks_check(script, agent, max_rep, walks):
    """A correctness check for measure(): each (name, daemon, session,
    as_json) of walks, walked through snmpmgrctl, equals snmpbulkwalk
    -v2c of agent; what differs is printed under script's name."""
    def correctness(when):
        theirs = snmptest.parse_net_snmp(snmptest.net_snmp(
            "snmpbulkwalk", "-v2c", "-cpublic", "-Cr%d" % max_rep,
            agent.addr, TABLE, timeout=120))
        bad = []
        for name, d, session, as_json in walks:
            try:
                ours = ctl_objects(d, session, as_json)
            except AssertionError as e:
                bad.append("%s: %s" % (name, e))
                continue
            bad += check_same(name, ours, theirs)
        for b in bad:
            print("%s: %s: %s" % (script, when, b), file=sys.stderr)
        return not bad
    return correctness


def measure(walks, daemon, places, agent_pid, rounds, correctness):
    """Run every walk of walks ({name: (kind, argv, env[, daemon])}, kind
    "ctl" for snmpmgrctl through a daemon - the given one or daemon -,
    "ext" for a reference tool) rounds times in each placement.  correctness(when) -> bool runs before and
    after the rounds.  Returns {placement: {"correct": bool, "cpus":
    (agent, manager), "walks": {name: {"daemon": [s], "client": [s],
    "wall": [s]}}}}; a placement whose first check failed is not timed."""
    out = {}
    for pname, (acpu, mcpu) in places.items():
        pin(agent_pid, acpu)
        for w in walks.values():
            pin((w[3] if len(w) > 3 else daemon).pid, mcpu)
        res = {n: {"daemon": [], "client": [], "wall": [],
                   "kind": walks[n][0]} for n in walks}
        ok = correctness("%s placement, before" % pname)
        out[pname] = {"correct": ok, "cpus": (acpu, mcpu), "walks": res}
        if not ok:
            continue

        def one(name, keep=True):
            kind, argv, env = walks[name][:3]
            d = walks[name][3] if len(walks[name]) > 3 else daemon
            c0 = proc_cpu_ns(d.pid) if kind == "ctl" else 0
            wall, cpu, st = run_timed(argv, env, mcpu)
            c1 = proc_cpu_ns(d.pid) if kind == "ctl" else 0
            if st != 0:
                raise RuntimeError("%s exited %d:\n%s" % (
                    name, st, d.log()[-2000:]))
            if keep:
                res[name]["daemon"].append((c1 - c0) / 1e9)
                res[name]["client"].append(cpu)
                res[name]["wall"].append(wall)

        names = list(walks)
        for name in names:                      # warm caches and sockets
            one(name, keep=False)
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                one(name)
        out[pname]["correct"] = correctness("%s placement, after" % pname)
    return out


def figures(walk):
    """Medians per OID (us) and wall (s) of one walk's samples."""
    def us(key):
        return statistics.median(walk[key]) * 1e6 / EXPECT
    d, c = us("daemon"), us("client")
    return {"daemon_us": d, "client_us": c, "pipeline_us": d + c,
            "wall_s": statistics.median(walk["wall"])}


def goals(fig, ours, ref):
    """Issue 11's goals for walk ours against reference walk ref."""
    a, b = fig[ours], fig[ref]
    return {"daemon_4x_less": a["daemon_us"] * DAEMON_FACTOR
            <= b["client_us"],
            "pipeline_half": a["pipeline_us"]
            <= PIPELINE_RATIO * b["client_us"],
            "wall_not_slower": a["wall_s"] <= b["wall_s"]}


def report(title, results, ref_of, also=None, text_out=sys.stdout):
    """Print the table of each correct placement; returns (correct, met,
    json doc).  ref_of: {our walk: the reference walk it is held to};
    also: {our walk: [other reference walks]}, compared for information
    (no goal)."""
    all_ok, all_met, doc = bool(results), True, {}
    print(title, file=text_out)
    for pname, r in results.items():
        acpu, mcpu = r["cpus"]
        head = ("placement %s: agent on CPU %d, snmpmgrd/snmpmgrctl/"
                "reference on CPU %d" % (pname, acpu, mcpu))
        if not r["correct"]:
            all_ok = False
            print("%s: correctness check FAILED, no figures" % head,
                  file=text_out)
            doc[pname] = {"correct": False, "cpus": [acpu, mcpu]}
            continue
        fig = {n: figures(w) for n, w in r["walks"].items()}
        print(head, file=text_out)
        print("  %-26s %8s %10s %10s %10s" % (
            "walk (medians)", "wall s", "daemon", "client", "pipeline"),
            file=text_out)
        print("  %-26s %8s %10s %10s %10s" % ("", "", "us/OID", "us/OID",
                                              "us/OID"), file=text_out)
        for n, f in fig.items():
            if r["walks"][n]["kind"] == "ext":     # a reference tool
                print("  %-26s %8.3f %10s %10.3f %10.3f" % (
                    n, f["wall_s"], "", f["client_us"], f["client_us"]),
                    file=text_out)
            else:
                print("  %-26s %8.3f %10.3f %10.3f %10.3f" % (
                    n, f["wall_s"], f["daemon_us"], f["client_us"],
                    f["pipeline_us"]), file=text_out)
        gl = {}
        for ours, ref in ref_of.items():
            g = goals(fig, ours, ref)
            gl[ours] = g
            a, b = fig[ours], fig[ref]
            parts = ["daemon %.2fx less CPU than %s (goal >= %.0fx): %s"
                     % (b["client_us"] / a["daemon_us"] if a["daemon_us"]
                        else 0, ref, DAEMON_FACTOR,
                        "met" if g["daemon_4x_less"] else "NOT met")]
            parts.append("pipeline %.2fx its CPU (goal <= %.1fx): %s"
                         % (a["pipeline_us"] / b["client_us"],
                            PIPELINE_RATIO, "met" if g["pipeline_half"]
                            else "NOT met"))
            parts.append("wall %.2fx (goal <= 1): %s"
                         % (a["wall_s"] / b["wall_s"], "met"
                            if g["wall_not_slower"] else "NOT met"))
            print("  %s: %s" % (ours, "; ".join(parts)), file=text_out)
            all_met = all_met and all(g.values())
            for other in (also or {}).get(ours, ()):
                c = fig[other]
                print("  %s against %s (information): daemon %.2fx less "
                      "CPU, pipeline %.2fx its CPU, wall %.2fx"
                      % (ours, other, c["client_us"] / a["daemon_us"]
                         if a["daemon_us"] else 0,
                         a["pipeline_us"] / c["client_us"],
                         a["wall_s"] / c["wall_s"]), file=text_out)
        doc[pname] = {"correct": True, "cpus": [acpu, mcpu],
                      "figures": fig, "goals": gl}
    print("correctness (every walk %d objects equal to the reference, "
          "before and after each placement): %s"
          % (EXPECT, "ok" if all_ok else "FAILED"), file=text_out)
    return all_ok, all_met, doc


def start_baseline(builddir, conf):
    """A second snmpmgrd, with snmpmgrctl, from another build (relative
    paths are taken from the current directory)."""
    d = snmptest.Daemon(conf, start=False)
    d.bindir = os.path.abspath(builddir)
    d.prog = os.path.join(d.bindir, "snmpmgrd")
    d.ctlprog = os.path.join(d.bindir, "snmpmgrctl")
    for p in (d.prog, d.ctlprog):
        if not os.access(p, os.X_OK):
            sys.exit("walk.py: --baseline: %s not built" % p)
    return d.start()


def walk_args(doc, more=None):
    """The options of the walk benchmarks (walk.py, walk_v3.py,
    walk_dtls.py), with more(ap) adding a script's own; top_builddir set
    from --builddir."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir(),
                    help="where snmpmgrd and snmpmgrctl are built")
    ap.add_argument("--module", help="bigtable.so (built when not given)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-repetitions", type=int, default=25)
    if more is not None:
        more(ap)
    ap.add_argument("--placement", choices=sorted(PLACEMENTS),
                    action="append", help="only these (default: both)")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a goal is missed")
    ap.add_argument("--json", action="store_true",
                    help="also print the figures as one JSON line")
    opt = ap.parse_args()
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    return opt


def walk_exit(opt, ok, met, doc):
    """The JSON line when asked, and the exit status: 1 when a check
    failed (or, with --strict, a goal was missed)."""
    if opt.json:
        print(json.dumps({"objects": EXPECT, "rounds": opt.rounds,
                          "max_repetitions": opt.max_repetitions,
                          "placements": doc, "correct": ok,
                          "goal_met": (met if ok else None)}))
    if not ok or (opt.strict and not met):
        return 1
    return 0


def main():
    def more(ap):
        ap.add_argument("--big-repetitions", type=int, default=256,
                        help="also run snmpbulkwalk -Cr with this, for "
                        "information (our walks adapt up to 256); 0: not")
        ap.add_argument("--baseline", metavar="BUILDDIR",
                        help="also walk through the snmpmgrd and "
                        "snmpmgrctl built there (e.g. of main), in the "
                        "same rounds")
    opt = walk_args(__doc__, more)

    for p in ("snmpd", "snmpbulkwalk"):
        if snmptest.find_program(p) is None:
            sys.exit("walk.py: %s not installed (run scripts/deps.sh)" % p)
    places = placements_available(opt.placement, "walk.py")
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-")
    module = find_module(opt, tmp)

    agent = snmptest.Snmpd(extra_conf=["dlmod bigtable %s" % module])
    daemon = base = None
    try:
        conf = {"sessions": {"big": agent.target(
            timeout="2s", retries=1, max_repetitions=opt.max_repetitions)}}
        daemon = snmptest.Daemon(conf)
        if opt.baseline:
            base = start_baseline(opt.baseline, conf)
        env = snmptest._client_env()
        ctl = [daemon.ctlprog, "-s", daemon.sock]
        walks = {
            "snmpmgrctl walk": ("ctl", ctl + ["walk", "big", TABLE], None),
            "snmpmgrctl --json walk": ("ctl", ctl + ["--json", "walk", "big",
                                                     TABLE], None),
            "snmpbulkwalk": ("ext", [
                snmptest.find_program("snmpbulkwalk"), "-v2c", "-cpublic",
                "-Cr%d" % opt.max_repetitions, "-On", "-t", "2", "-r", "1",
                agent.addr, TABLE], env),
        }
        if base is not None:
            bctl = [base.ctlprog, "-s", base.sock]
            walks["baseline walk"] = ("ctl", bctl + ["walk", "big", TABLE],
                                      None, base)
            walks["baseline --json walk"] = ("ctl", bctl + [
                "--json", "walk", "big", TABLE], None, base)
        big = "snmpbulkwalk -Cr%d" % opt.big_repetitions
        if opt.big_repetitions and opt.big_repetitions != \
                opt.max_repetitions:
            walks[big] = ("ext", walks["snmpbulkwalk"][1][:3]
                          + ["-Cr%d" % opt.big_repetitions]
                          + walks["snmpbulkwalk"][1][4:], env)

        correctness = walks_check("walk.py", agent, opt.max_repetitions, [
            ("%s%s walk" % (who, " --json" if as_json else ""), d, "big",
             as_json)
            for d, who in ((daemon, "snmpmgrctl"), (base, "baseline"))
            if d is not None for as_json in (False, True)])

        results = measure(walks, daemon, places, agent.pid, opt.rounds,
                          correctness)
    finally:
        for d in (daemon, base):
            if d is not None:
                d.close()
        agent.close()
        shutil.rmtree(tmp, ignore_errors=True)

    ok, met, doc = report(
        "walk of %d objects (%s), v2c, max-repetitions %d, %d rounds "
        "(order rotating); CPU per OID, medians"
        % (EXPECT, TABLE, opt.max_repetitions, opt.rounds), results,
        {"snmpmgrctl walk": "snmpbulkwalk",
         "snmpmgrctl --json walk": "snmpbulkwalk"},
        {n: [big] for n in ("snmpmgrctl walk", "snmpmgrctl --json walk")}
        if big in walks else None)
    if ok:
        print("goals (issue 11, placement%s %s): %s"
              % ("s" if len(results) > 1 else "", ", ".join(results),
                 "met" if met else "NOT met"))
    return walk_exit(opt, ok, met, doc)


if __name__ == "__main__":
    sys.exit(main())
