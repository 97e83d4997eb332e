#!/usr/bin/env python3
"""spool.py - cluster mode's on-disk spool: how fast it is published.

One nats-server (JetStream, CPU 1) and one snmpmgrd in cluster mode with
a trap listener (CPU 0, all its threads).  The same --count SNMPv2c traps
(one snmptrap capture, request-id varied) are sent twice, at the same
paced rate:

  live    NATS up: published as they come;
  replay  NATS stopped while they come (the node spools them to disk),
          then started: the time from NATS being back to the spool being
          empty.

Before any figure, a correctness check: each run's traps are all in the
stream, once, in the order sent (request-ids); if not, exit status 1 and
no figure.  Reported: records per second published in each mode, and the
node's CPU seconds (all threads) per 1000 records for the spill (writing
the spool) and for the replay.

    python3 bench/spool.py --builddir BUILD [--count 20000]
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)

from walk import pin, require_cpus  # noqa: E402


def cpu_seconds(pid):
    tot = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                tot += int(f.read().split()[0])
        except OSError:
            pass
    return tot / 1e9


def wait(cond, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=5000, help="traps/s sent")
    a = ap.parse_args()
    # snmpmgrd on CPU 0, nats-server on CPU 1
    require_cpus("spool.py", 0, 1)
    os.environ["top_builddir"] = os.path.abspath(a.builddir)
    import snmptest
    import test_cluster as tc
    import traps as tb

    tc.SNMPMGRD = os.path.join(a.builddir, "snmpmgrd")
    env = snmptest._client_env()
    pkt = None
    for _ in range(20):
        p = tb.capture([["-v2c", "-c", "public"]], env)[0]
        if tb.reqid_offset(p) is not None:
            pkt = p
            break
    if pkt is None:
        sys.exit("no v2c capture with a 4-octet request-id")
    off = tb.reqid_offset(pkt)

    nats = tc.NatsServer()
    pin(nats.proc.pid, 1)
    port = snmptest.free_udp_port()
    d = snmptest.Daemon({
        "traps": {"listen": ["udp:127.0.0.1:%d" % port],
                  "communities": ["public"],
                  "journal": {"fsync": "none"}},
        "cluster": {"name": "b1", "node": "bench", "heartbeat": "1s",
                    "nats": {"servers": [nats.url]},
                    "spool": {"path": "sp", "max_size": "1GiB"}}})
    pid = d.proc.pid
    ok = True
    try:
        if not wait(lambda: d.call("daemon.status")["cluster"]["nats"] ==
                    "connected", 15):
            sys.exit("NATS not reached")
        pin(pid, 0)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        seq = [1000000]

        def send(n):
            t0 = time.time()
            for i in range(n):
                seq[0] += 1
                b = bytearray(pkt)
                b[off:off + 4] = struct.pack(">I", seq[0])
                s.sendto(b, ("127.0.0.1", port))
                if i % 100 == 99:
                    ahead = t0 + (i + 1) / a.rate - time.time()
                    if ahead > 0:
                        time.sleep(ahead)

        def st():
            return d.call("daemon.status")["cluster"]

        def accepted():
            return d.call("trap.stats")["accepted"]

        # live
        base = st()["published"]
        first_live = seq[0] + 1
        t0 = time.time()
        send(a.count)
        if not wait(lambda: st()["published"] - base >= a.count, 120):
            print("live: not all published: %r" % st())
            ok = False
        live_s = time.time() - t0
        # replay
        nats.stop()
        wait(lambda: st()["nats"] != "connected", 10)
        acc0 = accepted()
        c0 = cpu_seconds(pid)
        first_rep = seq[0] + 1
        send(a.count)
        if not wait(lambda: accepted() - acc0 >= a.count and
                    st()["spool"]["memory_records"] == 0, 120):
            print("spill: not all accepted and spooled: %r" % st())
            ok = False
        spill_cpu = cpu_seconds(pid) - c0
        disk = st()["spool"]
        nats.start()
        pin(nats.proc.pid, 1)
        c1 = cpu_seconds(pid)
        t1 = time.time()
        if not wait(lambda: st()["nats"] == "connected", 30):
            ok = False
        t_conn = time.time()
        if not wait(lambda: st()["spool_depth"] == 0, 300, 0.02):
            print("replay: spool not emptied: %r" % st())
            ok = False
        t2 = time.time()
        rep_cpu = cpu_seconds(pid) - c1
        # correctness: every trap once, in order, per run
        js = tc.JsReader(nats.port)
        reqs = [rec["request_id"] for _, _, rec in
                js.messages("SNMPMGRD_b1_TRAPS")]
        js.close()
        want = list(range(first_live, first_live + a.count)) + \
            list(range(first_rep, first_rep + a.count))
        if reqs != want:
            print("CHECK FAILED: %d records in the stream, %d wanted, "
                  "%d distinct" % (len(reqs), len(want), len(set(reqs))))
            ok = False
        if st()["dropped"] != 0:
            print("CHECK FAILED: dropped %d" % st()["dropped"])
            ok = False
        if not ok:
            sys.exit(1)
        print("snmpmgrd on CPU 0, nats-server on CPU 1; %d traps each, "
              "sent at %d/s" % (a.count, a.rate))
        print("live:   %d records published in %.2fs (sending included, "
              "so bounded by the send rate): %.0f/s"
              % (a.count, live_s, a.count / live_s))
        print("spill:  %d records, %d bytes, %d segments on disk; "
              "snmpmgrd %.3f CPU s per 1000 (intake and journal included)"
              % (disk["disk_records"], disk["disk_bytes"], disk["segments"],
                 spill_cpu * 1000 / a.count))
        print("replay: %d records in %.2fs after NATS was reached "
              "(%.2fs to reconnect): %.0f/s; snmpmgrd %.3f CPU s per 1000"
              % (a.count, t2 - t_conn, t_conn - t1,
                 a.count / (t2 - t_conn), rep_cpu * 1000 / a.count))
    finally:
        if d.alive():
            d.stop()
        nats.close()


if __name__ == "__main__":
    main()
