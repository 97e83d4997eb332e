#!/usr/bin/env python3
"""walk_dtls.py - snmpmgrd's walk over DTLS (RFC 6353) beside Net-SNMP's.

Same workload and placements as walk.py (bench/bigtable.c: 50,000 computed
objects under 1.3.6.1.4.1.99999.1, served by our own snmpd through dlmod,
here also on dtlsudp:127.0.0.1@lo; "same": agent and managers on CPU 0,
"cross": agent on CPU 0, managers on CPU 1), walked with GetBulk
(max-repetitions 25 by default) by:

  dtls               snmpmgrctl walk on a DTLS session (TSM, one
                     association)
  snmpbulkwalk dtls  Net-SNMP over DTLS with the same certificates

  sha_aes            snmpmgrctl walk on an SNMPv3 authPriv session over
                     UDP (HMAC-SHA-96, AES-128-CFB: walk_v3.py's
                     credentials) to the same agent

in rounds whose order rotates.  Certificates are made with openssl (the
test suite's Pki).  Before and after the rounds of each placement our DTLS
and SHA/AES walks must print the 50,000 objects equal to snmpbulkwalk
-v2c's; when one does not, no figure is printed.

Goals (issue 10): snmpmgrd uses >= 3x less CPU per OID over DTLS than
snmpbulkwalk over DTLS, and its daemon CPU per OID over DTLS is within
1.5x of its own SHA/AES walk, in the same run.  Exit status 0; 1 when a
correctness check fails, or with --strict when a goal is missed; 2 when a
placement needs a CPU this process may not use.
"""

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, HERE)

import snmptest  # noqa: E402
from test_dtls import Pki, dtls_agent  # noqa: E402
from walk import (EXPECT, TABLE, figures,  # noqa: E402
                  find_module, measure, placements_available, report,
                  walk_args, walk_exit, walks_check)
from walk_v3 import AUTHPW, CREDS, PRIVPW  # noqa: E402

DTLS_FACTOR = 3.0
V3_RATIO = 1.5
V3 = "sha_aes"


def main():
    opt = walk_args(__doc__)

    for p in ("snmpd", "snmpbulkwalk", "openssl"):
        if snmptest.find_program(p) is None and shutil.which(p) is None:
            sys.exit("walk_dtls.py: %s not installed" % p)
    places = placements_available(opt.placement, "walk_dtls.py")
    tmp = tempfile.mkdtemp(prefix="snmpmgr-bench-dtls-")
    module = find_module(opt, tmp)
    pki = Pki()
    pki.make("mgr", "snmpmgrd", "DNS:mgr.example")
    pki.make("agent", "localhost", "DNS:localhost,IP:127.0.0.1")
    c = CREDS[V3]
    agent, port = dtls_agent(
        pki, extra=["dlmod bigtable %s" % module, "rouser %s priv" % V3],
        persist=["createUser %s %s %s %s %s" % (V3, c[2], AUTHPW, c[3],
                                                 PRIVPW)])
    daemon = None
    try:
        mr = opt.max_repetitions
        sessions = {
            "dtls": {"host": "127.0.0.1", "port": port, "transport": "dtls",
                     "timeout": "2s", "retries": 1, "max_repetitions": mr,
                     "cert": pki.path("mgr.crt"),
                     "key": pki.path("mgr.key"), "ca": pki.ca}}
        t = agent.target(timeout="2s", retries=1, version="3", user=V3,
                         auth=c[0], auth_password=AUTHPW, priv=c[1],
                         priv_password=PRIVPW, max_repetitions=mr)
        t.pop("community")
        sessions[V3] = t
        daemon = snmptest.Daemon({"sessions": sessions})
        walks = {}
        walks["snmpmgrctl dtls"] = ("ctl", [
            daemon.ctlprog, "-s", daemon.sock, "walk", "dtls", TABLE], None)
        walks["snmpmgrctl " + V3] = ("ctl", [
            daemon.ctlprog, "-s", daemon.sock, "walk", V3, TABLE], None)
        walks["snmpbulkwalk dtls"] = ("ext", [
            snmptest.find_program("snmpbulkwalk"), "-v3", "-l", "authPriv",
            "-T", "our_identity=mgr", "-T", "trust_cert=ca",
            "-T", "their_hostname=localhost", "-Cr%d" % mr, "-On",
            "-t", "2", "-r", "1", "dtlsudp:localhost:%d" % port, TABLE],
            pki.env())

        correctness = walks_check(
            "walk_dtls.py", agent, mr,
            [("snmpmgrctl walk " + s, daemon, s, False) for s in ("dtls", V3)])

        results = measure(walks, daemon, places, agent.pid, opt.rounds,
                          correctness)
    finally:
        if daemon is not None:
            daemon.close()
        agent.close()
        pki.close()
        shutil.rmtree(tmp, ignore_errors=True)

    ok, _, doc = report(
        "walk of %d objects (%s) over DTLS, max-repetitions %d, %d rounds "
        "(order rotating); CPU per OID, medians"
        % (EXPECT, TABLE, opt.max_repetitions, opt.rounds), results, {})
    met = ok
    for pname, r in results.items():
        if not r["correct"]:
            continue
        fig = {n: figures(w) for n, w in r["walks"].items()}
        a = fig["snmpmgrctl dtls"]
        b = fig["snmpbulkwalk dtls"]
        f = b["client_us"] / a["daemon_us"] if a["daemon_us"] else 0
        v = fig["snmpmgrctl " + V3]
        g = a["daemon_us"] / v["daemon_us"] if v["daemon_us"] else 0
        good = f >= DTLS_FACTOR
        good3 = 0 < g <= V3_RATIO
        met = met and good and good3
        print("  %s: snmpmgrd over DTLS %.2fx less CPU per OID than "
              "snmpbulkwalk over DTLS (goal >= %.0fx): %s"
              % (pname, f, DTLS_FACTOR, "met" if good else "NOT met"))
        print("  %s: snmpmgrd over DTLS %.2fx the daemon CPU per OID of "
              "its SHA/AES walk (%.3f vs %.3f us; goal <= %.1fx): %s"
              % (pname, g, a["daemon_us"], v["daemon_us"], V3_RATIO,
                 "met" if good3 else "NOT met"))
    return walk_exit(opt, ok, met, doc)


if __name__ == "__main__":
    sys.exit(main())
