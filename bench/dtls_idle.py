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

With --listener N (0: skipped), the trap receiver's side: N senders
(`openssl s_client -dtls1_2` with a certificate of the test CA), one
after the other, each open an association to one dtls: trap listener,
send one record of application data over it and stay connected (idle
timeout 1 h); every association must open and its record arrive, else no
figure.  Reported:
the daemon's RSS growth per open listener association; with --baseline
BUILD the same for that build's snmpmgrd in the same run.

The bench and everything it starts (daemons, agent) run on --cpu (default
0), which must be in this process's allowed CPU set (else exit status 2).
Exit status 0; 1 when a check fails, or with --strict when the
goal is missed.
"""

import argparse
import os
import subprocess
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


def measure_listener(n):
    """(ok, RSS after the first, RSS after all, associations opened
    between) of one trap receiver with a dtls: listener: n senders
    (`openssl s_client -dtls1_2`, our test CA's certificate), one after
    the other, each opening its association and sending one record of
    application data, then staying connected and idle."""
    from test_dtls_traps import Pki as TrapPki, listener_tls
    from test_traps import port_both
    pki = TrapPki()
    pki.make("mgr", "localhost", "DNS:localhost,IP:127.0.0.1")
    pki.make("sender", "sender-cn", "DNS:sender.example")
    port = port_both()
    daemon = snmptest.Daemon({"traps": {
        "listen": ["dtls:127.0.0.1:%d" % port],
        "tls": listener_tls(pki, "san_dns", max_associations=n + 64,
                            max_handshakes=n + 64, idle_timeout="1h"),
        "journal": {"path": "traps.jsonl"}}})
    senders = []

    def dtls():
        return daemon.call("trap.stats")["listeners"][0]["dtls"]

    def until(key, count):
        deadline = time.monotonic() + 10
        while dtls()[key] < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def sender(i):
        p = subprocess.Popen(
            ["openssl", "s_client", "-dtls1_2", "-quiet", "-connect",
             "127.0.0.1:%d" % port, "-cert", pki.path("sender.crt"),
             "-key", pki.path("sender.key"), "-CAfile", pki.ca],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        senders.append(p)
        if not until("established", i + 1):
            return False
        p.stdin.write(b"x\n")
        p.stdin.flush()
        return until("messages", i + 1)
    try:
        ok = sender(0)
        time.sleep(0.5)
        before, a0 = rss_kib(daemon.pid), dtls()["associations"]
        ok = ok and all(sender(i) for i in range(1, n))
        time.sleep(0.5)
        after, a1 = rss_kib(daemon.pid), dtls()["associations"]
        ok = ok and a1 - a0 == n - 1 and dtls()["failed"] == 0
    finally:
        for p in senders:
            p.kill()
            p.wait()
        daemon.close()
        pki.close()
    return ok, before, after, a1 - a0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--listener", type=int, default=100)
    ap.add_argument("--baseline", default=None)
    opt = ap.parse_args()
    require_cpus("dtls_idle.py", opt.cpu)
    os.sched_setaffinity(0, {opt.cpu})      # the children inherit it
    os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    n = opt.sessions
    pki = Pki()
    pki.make("mgr", "snmpmgrd", "DNS:mgr.example")
    pki.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
    agent, port = dtls_agent(pki)
    lis = []
    try:
        ours = measure(pki, port, n)
        ref = measure(pki, port, n, REFERENCE_CIPHER)
        if opt.listener > 0:
            builds = [("this build", opt.builddir)]
            if opt.baseline:
                builds.append(("baseline", opt.baseline))
            for name, b in builds:
                os.environ["top_builddir"] = os.path.abspath(b)
                lis.append((name, measure_listener(opt.listener)))
            os.environ["top_builddir"] = os.path.abspath(opt.builddir)
    finally:
        agent.close()
        pki.close()
    if not ours[0] or not ref[0] or not all(r[0] for _, r in lis):
        print("dtls_idle.py: correctness check FAILED (every get answered "
              "and every association open: default ciphers %s, reference "
              "%s; every listener association open with its record "
              "received: %s), no figures" % (ours[0], ref[0],
                                   [(w, r[0]) for w, r in lis]))
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
    for name, (_, b, a, k) in lis:
        print("  trap listener, %-16s RSS %d KiB after the first sender, "
              "%d KiB after %d more associations: %.1f KiB per open "
              "association" % (name + ":", b, a, k, (a - b) / k))
    print("goal < %.0f KiB per idle association: %s"
          % (GOAL_KIB, "met" if met else "NOT met"))
    return 1 if opt.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
