#!/usr/bin/env python3
"""dtls_idle.py - memory of idle DTLS associations in snmpmgrd.

N sessions (default 200) with transport "dtls" to one Net-SNMP snmpd on
dtlsudp:127.0.0.1@lo (certificates made with openssl, as in
tests/test_dtls.py).  The first session's get opens one association (so
OpenSSL's one-time allocations are not counted); then a get on every other
session opens one association each.  Every get must answer and every
session must show an open association (session.show "tls"), else no
figure is printed.  Reported: the daemon's RSS growth per association,
against the issue 10 goal (< 40 KiB).

The same run also measures a reference daemon whose sessions ask for a
CBC cipher (tls_ciphers ECDHE-RSA-AES128-SHA256): its associations keep
OpenSSL's whole state, as every association did before our own record
layer (core/dtls_rec.c), so the gain is read from one run.

The bench and everything it starts (daemons, agent) run on --cpu (default
0), which must be in this process's allowed CPU set (else exit status 2).
Exit status 0; 1 when a check fails, or with --strict when the
goal is missed.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import snmptest  # noqa: E402
from test_dtls import Pki, dtls_agent, SYS_DESCR  # noqa: E402
from walk import require_cpus  # noqa: E402

GOAL_KIB = 40.0
REFERENCE_CIPHER = "ECDHE-RSA-AES128-SHA256"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(pki, port, n, ciphers=None):
    """(ok, RSS after the first, RSS after all, cipher) of one daemon."""
    sess = {"s%d" % i: {"host": "127.0.0.1", "port": port,
                        "transport": "dtls", "timeout": "5s",
                        "cert": pki.path("mgr.crt"),
                        "key": pki.path("mgr.key"), "ca": pki.ca}
            for i in range(n)}
    if ciphers:
        for s in sess.values():
            s["tls_ciphers"] = ciphers
    daemon = snmptest.Daemon({"sessions": sess})
    try:
        def get(i):
            return "result" in daemon.rpc("snmp.get", {
                "session": "s%d" % i, "oids": [SYS_DESCR]}, timeout=30)
        ok = get(0)
        time.sleep(0.5)
        before = rss_kib(daemon.pid)
        ok = all([get(i) for i in range(1, n)]) and ok
        time.sleep(0.5)
        after = rss_kib(daemon.pid)
        tls = [daemon.call("session.show", {"session": "s%d" % i})["tls"]
               for i in range(n)]
    finally:
        daemon.close()
    ok = ok and all(tls)
    return ok, before, after, tls[0]["cipher"] if ok else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--strict", action="store_true")
    opt = ap.parse_args()
    require_cpus("dtls_idle.py", opt.cpu)
    os.sched_setaffinity(0, {opt.cpu})      # the children inherit it
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    n = opt.sessions
    pki = Pki()
    pki.make("mgr", "snmpmgrd", "DNS:mgr.example")
    pki.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
    agent, port = dtls_agent(pki)
    try:
        ours = measure(pki, port, n)
        ref = measure(pki, port, n, REFERENCE_CIPHER)
    finally:
        agent.close()
        pki.close()
    if not ours[0] or not ref[0]:
        print("dtls_idle.py: correctness check FAILED (every get answered "
              "and every association open: default ciphers %s, reference "
              "%s), no figures" % (ours[0], ref[0]))
        return 1
    per = (ours[2] - ours[1]) / (n - 1)
    per_ref = (ref[2] - ref[1]) / (n - 1)
    met = per < GOAL_KIB
    print("%d DTLS sessions, one association each, one CA and certificate "
          "for all, everything on CPU %d:" % (n, opt.cpu))
    print("  %-28s RSS %d KiB after the first, %d KiB after all: %.1f KiB "
          "per idle association" % (ours[3], ours[1], ours[2], per))
    print("  %-28s RSS %d KiB after the first, %d KiB after all: %.1f KiB "
          "per idle association (reference: OpenSSL keeps its state)"
          % (ref[3], ref[1], ref[2], per_ref))
    print("goal < %.0f KiB per idle association: %s"
          % (GOAL_KIB, "met" if met else "NOT met"))
    return 1 if opt.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
