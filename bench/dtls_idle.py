#!/usr/bin/env python3
"""dtls_idle.py - memory of idle DTLS associations in snmpmgrd.

N sessions (default 200) with transport "dtls" to one Net-SNMP snmpd on
dtlsudp:127.0.0.1@lo (certificates made with openssl, as in
tests/test_dtls.py).  The first session's get opens one association (so
OpenSSL's one-time allocations are not counted); then a get on every other
session opens one association each.  Every get must answer and every
session must show an open association (session.show "tls"), else no
figure is printed.  Reported: the daemon's RSS growth per association,
against the issue 10 goal (< 40 KiB per idle association).  Exit status 0;
1 when a check fails, or with --strict when the goal is missed.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import snmptest  # noqa: E402
from test_dtls import Pki, dtls_agent, SYS_DESCR  # noqa: E402

GOAL_KIB = 40.0


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--strict", action="store_true")
    opt = ap.parse_args()
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    n = opt.sessions
    pki = Pki()
    pki.make("mgr", "snmpmgrd", "DNS:mgr.example")
    pki.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
    agent, port = dtls_agent(pki)
    daemon = None
    try:
        sess = {"s%d" % i: {"host": "127.0.0.1", "port": port,
                            "transport": "dtls", "timeout": "5s",
                            "cert": pki.path("mgr.crt"),
                            "key": pki.path("mgr.key"), "ca": pki.ca}
                for i in range(n)}
        daemon = snmptest.Daemon({"sessions": sess})

        def get(i):
            return "result" in daemon.rpc("snmp.get", {
                "session": "s%d" % i, "oids": [SYS_DESCR]}, timeout=30)
        ok = get(0)
        time.sleep(0.5)
        before = rss_kib(daemon.pid)
        ok = all([get(i) for i in range(1, n)]) and ok
        time.sleep(0.5)
        after = rss_kib(daemon.pid)
        opened = sum(1 for i in range(n) if daemon.call(
            "session.show", {"session": "s%d" % i})["tls"])
    finally:
        if daemon is not None:
            daemon.close()
        agent.close()
        pki.close()
    if not ok or opened != n:
        print("dtls_idle.py: correctness check FAILED (answers %s, %d of "
              "%d associations open), no figures" % (ok, opened, n))
        return 1
    per = (after - before) / (n - 1)
    met = per < GOAL_KIB
    print("%d DTLS sessions, one association each, one CA and certificate "
          "for all: daemon RSS %d KiB after the first, %d KiB after all; "
          "%.1f KiB per idle association (goal < %.0f KiB): %s"
          % (n, before, after, per, GOAL_KIB, "met" if met else "NOT met"))
    return 1 if opt.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
