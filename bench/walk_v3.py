#!/usr/bin/env python3
"""walk_v3.py - snmpmgrd's SNMPv3 walk benchmark, beside v2c and Net-SNMP.

Same workload and placements as walk.py (bench/bigtable.c: 50,000 computed
objects under 1.3.6.1.4.1.99999.1, served by our own snmpd through dlmod;
"same": agent and managers on CPU 0, "cross": agent on CPU 0, managers on
CPU 1), walked with GetBulk (max-repetitions 25 by default) by:

  v2c              snmpmgrctl walk on a v2c session            (our baseline)
  sha_aes          snmpmgrctl walk on an authPriv session, HMAC-SHA-96 with
                   AES-128-CFB
  sha512_aes256    the same with HMAC-384-SHA-512 and AES-256-CFB
  snmpbulkwalk -v3 with each of the two credentials

in rounds whose order rotates, so every walk sees the same machine state.
Reported per walk: the median wall time and CPU per OID of snmpmgrd
(schedstat around the walk), of snmpmgrctl and of the two together
(pipeline); snmpbulkwalk's from wait4().  Before and after the rounds of
each placement every snmpmgrctl walk must print the 50,000 objects equal to
snmpbulkwalk -v2c's; when it does not, no figure is printed.

Goals (issue 11): snmpmgrd uses >= 4x less CPU per OID than snmpbulkwalk
-v3 with the same credentials, in both placements; the pipeline's figures
against the same goals as walk.py are printed too.  Exit status 0; 1 when
a correctness check fails, or with --strict when a goal is missed; 2 when
a placement needs a CPU this process may not use.
"""

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, HERE)

import snmptest  # noqa: E402
from walk import (EXPECT, TABLE, find_module,  # noqa: E402
                  measure, placements_available, report, walk_args,
                  walk_exit, walks_check)

AUTHPW = "bench-auth-pass"
PRIVPW = "bench-priv-pass"
# name: (our auth, our priv, Net-SNMP -a, Net-SNMP -x)
CREDS = {
    "sha_aes": ("sha", "aes", "SHA", "AES"),
    "sha512_aes256": ("sha512", "aes256", "SHA-512", "AES-256"),
}


def main():
    opt = walk_args(__doc__)

    for p in ("snmpd", "snmpbulkwalk"):
        if snmptest.find_program(p) is None:
            sys.exit("walk_v3.py: %s not installed (run scripts/deps.sh)"
                     % p)
    places = placements_available(opt.placement, "walk_v3.py")
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-v3-")
    module = find_module(opt, tmp)

    persist = ["createUser %s %s %s %s %s" % (u, c[2], AUTHPW, c[3], PRIVPW)
               for u, c in CREDS.items()]
    extra = ["dlmod bigtable %s" % module] + ["rouser %s priv" % u
                                              for u in CREDS]
    agent = snmptest.Snmpd(extra_conf=extra, persist_conf=persist)
    daemon = None
    try:
        sessions = {"v2c": agent.target(timeout="2s", retries=1,
                                        max_repetitions=opt.max_repetitions)}
        for u, c in CREDS.items():
            t = agent.target(timeout="2s", retries=1, version="3", user=u,
                             auth=c[0], auth_password=AUTHPW, priv=c[1],
                             priv_password=PRIVPW,
                             max_repetitions=opt.max_repetitions)
            t.pop("community")
            sessions[u] = t
        daemon = snmptest.Daemon({"sessions": sessions})
        env = snmptest._client_env()
        walks = {}
        for s in sessions:
            walks["snmpmgrctl " + s] = ("ctl", [
                daemon.ctlprog, "-s", daemon.sock, "walk", s, TABLE], None)
        for u, c in CREDS.items():
            walks["snmpbulkwalk " + u] = ("ext", [
                snmptest.find_program("snmpbulkwalk"), "-v3", "-u", u, "-l",
                "authPriv", "-a", c[2], "-A", AUTHPW, "-x", c[3], "-X",
                PRIVPW, "-Cr%d" % opt.max_repetitions, "-On", "-t", "2",
                "-r", "1", agent.addr, TABLE], env)

        correctness = walks_check(
            "walk_v3.py", agent, opt.max_repetitions,
            [("snmpmgrctl walk " + s, daemon, s, False) for s in sessions])

        results = measure(walks, daemon, places, agent.pid, opt.rounds,
                          correctness)
    finally:
        if daemon is not None:
            daemon.close()
        agent.close()
        shutil.rmtree(tmp, ignore_errors=True)

    ok, met, doc = report(
        "walk of %d objects (%s), max-repetitions %d, %d rounds (order "
        "rotating); CPU per OID, medians"
        % (EXPECT, TABLE, opt.max_repetitions, opt.rounds), results,
        {"snmpmgrctl " + u: "snmpbulkwalk " + u for u in CREDS})
    if ok:
        print("goals (issue 11, placement%s %s): %s"
              % ("s" if len(results) > 1 else "", ", ".join(results),
                 "met" if met else "NOT met"))
    return walk_exit(opt, ok, met, doc)


if __name__ == "__main__":
    sys.exit(main())
