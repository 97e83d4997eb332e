#!/usr/bin/env python3
"""traps.py - trap intake benchmark: snmpmgrd against Net-SNMP snmptrapd.

For each receiver set-up (snmpmgrd with journal fsync none / interval,
snmptrapd; each with the OS default receive buffer and a raised one), each
CPU placement (same: receiver and blaster on CPU 0; cross: receiver on
CPU 0, blaster on CPU 1) and each kind of notification (the same captured
SNMPv2c trap with its request-id varied, and SNMPv3 SHA/AES traps from
--engines distinct sender engines, spread over 4 users; with --kinds
inform also the same captured SNMPv2c InformRequest, each answered by
the receiver to the blaster, which does not read the answers; with
--kinds v3inform SNMPv3 SHA/AES InformRequests that bench/trapblast makes
for the receiver's engine, found by discovery, 16 for each of --senders
senders over the 4 users; with --transports tcp each kind over RFC 3430
TCP, one connection per sender, every answer read), bench/trapblast
sends at rising rates for --duration seconds each.
Before the rates, a correctness check: every captured trap sent once,
slowly, must be accepted (snmpmgrd: trap.stats "accepted" up by as many,
nothing rejected; snmptrapd: as many log lines), every inform must get
its Response (trapblast -V: its request-id once, for v3 authenticated
with the sender's user and decrypted; a Report fails), and over UDP an
inform sent from the bench itself must get its Response (same
request-id and varbinds);
if not, the run stops with exit status 1 and no figure.  A rate counts as
lossless when the receiver's socket dropped nothing (the "drops" column of
/proc/net/udp, the kernel's per-socket overflow counter) and the receiver
accounted for every datagram (snmpmgrd: trap.stats "accepted"; snmptrapd:
lines in its log); over UDP no inform left unanswered for want of room
for its acknowledgement (snmpmgrd: trap.stats acks.overflow), over TCP
every inform answered, the sending on pace and the last answer in time.  Reported, headline first: the receiver's CPU time
per trap (all threads, journal writer included, from
/proc/PID/task/*/schedstat), then the highest lossless rate, which varies
twice over between runs on a shared machine.

    make bench-traps                      # from the build directory
    python3 bench/traps.py --builddir BUILD [--duration 10] [--quick]
                           [--baseline OTHER_BUILD] [--floor read,write]

With --baseline, the snmpmgrd of that build (e.g. of main) runs the same
set-ups in the same run, right after this build's, for an A/B figure.

Beside snmpmgrd, the same run measures the floor (--floor read,write):
bench/trapsink reading the same traffic on the same placement the way
snmpmgrd's listener does and discarding it ("floor-read"), or also
writing the datagrams to a file in 64 KiB write(2)s with an fdatasync
once a second ("floor-write"), at the rates snmpmgrd ran at; a table per
kind and placement prints every receiver's CPU per trap at each rate and
what each snmpmgrd costs beyond each floor.

The blaster and the receiver share the machine: on a 2-core box the
blaster's own CPU is part of the picture, so the figures are a floor.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import snmptest  # noqa: E402
from walk import proc_cpu_ns, require_cpus  # noqa: E402

SENDER_ENGINE = "8000000001626e6368"
MGRD_ENGINE = "8000000001626e636872"      # snmpmgrd's, for v3 informs
REQID_BASE = 0x10000001                   # trapblast's first request-id
INFORM_KINDS = ("inform", "v3inform")
USERS = [("benchuser%d" % k, "benchpass1", "benchpriv1") for k in range(4)]
PLACEMENTS = {"same": (0, 0), "cross": (0, 1)}   # indices into --cpus
TRAP_OID = "1.3.6.1.4.1.99999.0.1"


# ------------------------------------------------------------ capture

def ber_read(buf, i):
    """(tag, content start, content end) of the element at i."""
    tag = buf[i]
    n = buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


def reqid_offset(pkt):
    """Offset of a 4-octet request-id in a v1/v2c message, or None."""
    _, s, _ = ber_read(pkt, 0)
    _, s1, e1 = ber_read(pkt, s)            # version
    _, s2, e2 = ber_read(pkt, e1)           # community
    _, s3, _ = ber_read(pkt, e2)            # PDU
    tag, s4, e4 = ber_read(pkt, s3)         # request-id
    if tag != 0x02 or e4 - s4 != 4 or pkt[s4] >= 0x80 or pkt[s4] == 0:
        return None
    return s4


def pdu_tag(pkt):
    """The PDU's tag of a v1/v2c message."""
    _, s, _ = ber_read(pkt, 0)
    _, _, e1 = ber_read(pkt, s)             # version
    _, _, e2 = ber_read(pkt, e1)            # community
    return pkt[e2]


def pdu_fields(pkt):
    """(PDU tag, request-id, error-status, varbinds) of a v1/v2c
    message; varbinds as (name octets, value tag, value octets)."""
    _, s, _ = ber_read(pkt, 0)
    _, _, e1 = ber_read(pkt, s)             # version
    _, _, e2 = ber_read(pkt, e1)            # community
    tag, i, _ = ber_read(pkt, e2)           # PDU
    f = []
    for _ in range(3):
        _, cs, ce = ber_read(pkt, i)
        f.append(int.from_bytes(pkt[cs:ce], "big", signed=True))
        i = ce
    _, i, end = ber_read(pkt, i)            # VarBindList
    vbs = []
    while i < end:
        _, vs, ve = ber_read(pkt, i)
        _, ns, ne = ber_read(pkt, vs)
        vt, xs, xe = ber_read(pkt, ne)
        vbs.append((pkt[ns:ne], vt, pkt[xs:xe]))
        i = ve
    return tag, f[0], f[1], vbs


def inform_answered(port, pkt):
    """Send the inform pkt once from a socket of our own; what is wrong
    with the Response (None: it came, for this request, with the same
    varbinds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(pkt, ("127.0.0.1", port))
        try:
            r = s.recvfrom(65535)[0]
        except socket.timeout:
            return "no Response to an inform in 5 s"
    try:
        got, want = pdu_fields(r), pdu_fields(pkt)
    except (IndexError, ValueError):
        return "a Response that does not decode"
    if got[0] != 0xa2 or got[1] != want[1] or got[2] != 0:
        return "Response tag 0x%02x request-id %d error %d" % got[:3]
    if got[3] != want[3]:
        return "the Response's varbinds differ from the inform's"
    return None


def capture(args_list, env, parallel=16, inform=False):
    """Run snmptrap once per args (parallel at a time) and return the
    datagrams they sent, in arrival order.  inform: InformRequests, sent
    once each and never answered here, so snmptrap's failure is
    expected."""
    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        port = s.getsockname()[1]
        for k in range(0, len(args_list), parallel):
            procs = [subprocess.Popen(
                ["snmptrap"] + args + ["127.0.0.1:%d" % port] +
                ["", TRAP_OID, "1.3.6.1.2.1.1.5.0", "s",
                 "benchmark-host-%04d" % (k + j),
                 "1.3.6.1.2.1.2.2.1.1.7", "i", "7"],
                env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
                for j, args in enumerate(args_list[k:k + parallel])]
            for p in procs:
                if p.wait() != 0 and not inform:
                    raise RuntimeError("snmptrap failed")
            for _ in procs:
                out.append(s.recvfrom(65535)[0])
    return out


def write_blast_file(path, pkts, vary):
    with open(path, "wb") as f:
        for p in pkts:
            off = reqid_offset(p) if vary else None
            f.write(struct.pack(">HH", len(p),
                                0xffff if off is None else off))
            f.write(p)


def captured(workdir, env, engines):
    def v2c_capture(args, inform):
        for _ in range(20):
            p = capture([["-v2c", "-c", "public"] + args], env,
                        inform=inform)[0]
            if reqid_offset(p) is not None:
                return p
        raise RuntimeError("no snmptrap v2c capture with a 4-octet "
                           "request-id")

    v2c = v2c_capture([], False)
    inform = v2c_capture(["-Ci", "-r", "0", "-t", "0.2"], True)
    if pdu_tag(inform) != 0xa6:
        raise RuntimeError("the inform capture is not an InformRequest")
    v3 = capture([["-v3", "-e", "0x" + engine(i), "-Z", "1,%d" % (100 + i),
                   "-u", USERS[i % 4][0], "-l", "authPriv", "-a", "SHA",
                   "-A", USERS[i % 4][1], "-x", "AES", "-X",
                   USERS[i % 4][2]]
                  for i in range(engines)], env)
    files = {"v2c": os.path.join(workdir, "v2c.bin"),
             "v3": os.path.join(workdir, "v3.bin"),
             "inform": os.path.join(workdir, "inform.bin")}
    write_blast_file(files["v2c"], [v2c], True)
    write_blast_file(files["v3"], v3, False)
    write_blast_file(files["inform"], [inform], True)
    return files, len(v2c), len(v3[0]), len(v3), inform


# ------------------------------------------------------------ receivers

def udp_drops(port):
    """The drops counter of the UDP socket bound to port (IPv4)."""
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) == port:
                return int(cols[12])
    return 0


def udp_bound(port):
    with open("/proc/net/udp") as f:
        next(f)
        return any(int(line.split()[1].split(":")[1], 16) == port
                   for line in f)


def tcp_listening(port):
    """Whether a TCP socket listens on port (IPv4)."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if (int(cols[1].split(":")[1], 16) == port and
                    cols[3] == "0A"):
                return True
    return False


def cpu_seconds(pid):
    """CPU seconds of every thread of pid (schedstat)."""
    return proc_cpu_ns(pid) / 1e9


def loop_cpu_seconds(pid):
    """CPU seconds of pid's main thread alone (the event loop: receive,
    decode, record); the rest is its other threads (the journal
    writer)."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def pin(pid, cpu):
    """Every thread of pid onto cpu (threads made later inherit it);
    an error unless each one is there."""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            os.sched_setaffinity(int(tid), {cpu})
            got = os.sched_getaffinity(int(tid))
        except ProcessLookupError:
            continue                    # a thread that just ended
        if got != {cpu}:
            raise OSError("thread %s of %d on CPUs %s, not %d"
                          % (tid, pid, sorted(got), cpu))


def placement_cpus(names, cpus):
    """{placement: (receiver CPU, blaster CPU)} for names; exits when
    one is unknown (status 1) or needs a CPU outside our allowed set
    (status 2, walk.require_cpus)."""
    out = {}
    for name in names:
        if name not in PLACEMENTS:
            sys.exit("traps.py: unknown placement %r (same, cross)" % name)
        rx, tx = (cpus[k] for k in PLACEMENTS[name])
        require_cpus("traps.py (placement %s)" % name, rx, tx)
        out[name] = (rx, tx)
    return out


def engine(i):
    return SENDER_ENGINE + "%04x" % i


class CheckFailed(Exception):
    pass


class Mgrd:
    def __init__(self, builddir, port, fsync, rcvbuf, senders):
        os.environ["top_builddir"] = builddir
        self.port = port
        self.jdir = tempfile.mkdtemp(prefix="bench-traps-journal-")
        self.journal = os.path.join(self.jdir, "traps.jsonl")
        self.d = snmptest.Daemon({
            "local_engine_id": "0x" + MGRD_ENGINE,
            "credentials": {u[0]: {"user": u[0], "auth": "sha",
                                   "auth_password": u[1], "priv": "aes",
                                   "priv_password": u[2]} for u in USERS},
            "traps": {"listen": ["udp:127.0.0.1:%d" % port,
                                 "tcp:127.0.0.1:%d" % port],
                      "communities": ["public"],
                      "users": [u[0] for u in USERS],
                      "receive_buffer": rcvbuf,
                      "tcp": {"max_connections": max(64, 2 * senders)},
                      "journal": {"path": self.journal, "fsync": fsync,
                                  "max_size": "256MiB", "keep": 1}}})
        self.pid = self.d.pid
        st = self.d.call("trap.stats")
        self.rcvbuf = st["listeners"][0]["receive_buffer"]

    def count(self):
        return self.d.call("trap.stats")["accepted"]

    def rejected(self):
        return self.d.call("trap.stats")["rejected_by_reason"]

    def overflow(self):
        """Informs left unanswered for want of room in the queue of
        acknowledgements waiting for the journal (refused before they
        are recorded; older builds recorded them and never answered)."""
        return self.d.call("trap.stats")["acks"]["overflow"]

    def holds(self):
        """Times TCP senders were held for the journal (0 before that
        existed)."""
        return self.d.call("trap.stats")["acks"].get("tcp_holds", 0)

    def records(self):
        """The journal's records so far, parsed (the check runs first,
        before any rotation)."""
        out = []
        with open(self.journal, "rb") as f:
            for line in f:
                out.append(json.loads(line))
        return out

    def close(self):
        self.d.close()
        shutil.rmtree(self.jdir, ignore_errors=True)


class Sink:
    """bench/trapsink: the floor, a receiver that only reads the same
    datagrams the same way (poll, recvmmsg batches of 64, paced reads)
    and discards them ("floor-read") or also writes them to a file in
    64 KiB write(2)s with fdatasync and the page cache dropped once a
    second ("floor-write")."""

    def __init__(self, builddir, port, rcvbuf, write):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="bench-trapsink-")
        self.countfile = os.path.join(self.dir, "count")
        cmd = [os.path.join(builddir, "bench", "trapsink"), "-l",
               "127.0.0.1:%d" % port, "-c", self.countfile]
        if rcvbuf:
            cmd += ["-r", str(rcvbuf)]
        if write:
            cmd += ["-w", os.path.join(self.dir, "out")]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 10
        while not udp_bound(port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise CheckFailed("trapsink did not start")
            time.sleep(0.05)
        self.rcvbuf = sock_rcvbuf(port)

    def count(self):
        with open(self.countfile, "rb") as f:
            return struct.unpack("=Q", f.read(8))[0]

    def rejected(self):
        return {}

    def records(self):
        return None         # it keeps nothing: count() says it

    def close(self):
        snmptest._kill(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def sock_rcvbuf(port):
    """The receive buffer of the UDP socket bound to port as the kernel
    reports it (what getsockopt SO_RCVBUF says: twice what was asked),
    from ss(8) -m ("rb"); 0 when that cannot be had."""
    try:
        out = subprocess.run(["ss", "-uanm", "sport", "= :%d" % port],
                             capture_output=True, text=True).stdout
    except OSError:
        return 0
    i = out.find(",rb")
    if i < 0:
        return 0
    j = i + 3
    while j < len(out) and out[j].isdigit():
        j += 1
    return int(out[i + 3:j] or 0)


class Trapd:
    def __init__(self, port, rcvbuf, engines, transport):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="bench-snmptrapd-")
        os.mkdir(os.path.join(self.dir, "cert_indexes"))
        self.log = os.path.join(self.dir, "traps.log")
        conf = os.path.join(self.dir, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write("snmpTrapdAddr %s:127.0.0.1:%d\n" % (transport, port))
            f.write("disableAuthorization yes\n")
            for i in range(engines):
                f.write("createUser -e 0x%s %s SHA %s AES %s\n"
                        % ((engine(i),) + USERS[i % 4]))
            # v3 informs: snmptrapd is their authoritative engine.
            for u in USERS:
                f.write("createUser %s SHA %s AES %s\n" % u)
            if rcvbuf:
                f.write("[snmp] serverRecvBuf %d\n" % rcvbuf)
        env = dict(os.environ, SNMP_PERSISTENT_DIR=self.dir,
                   SNMPCONFPATH=self.dir, MIBS="")
        # One short line per trap: the count is the line count.
        self.proc = subprocess.Popen(
            [snmptest.find_program("snmptrapd"), "-f", "-Lf", self.log,
             "-n", "-On", "-C", "-c", conf, "-F", "t\n",
             "-p", os.path.join(self.dir, "pid")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while not (tcp_listening(port) if transport == "tcp"
                   else udp_bound(port)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise CheckFailed("snmptrapd did not start")
            time.sleep(0.2)
        # It may still be localizing the keys of its createUser lines
        # (two per engine) after it bound the port: wait until it idles.
        last = cpu_seconds(self.pid)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = cpu_seconds(self.pid)
            if now - last < 0.01:
                break
            last = now
        self.rcvbuf = rcvbuf or self.sockbuf()

    def sockbuf(self):
        with open("/proc/sys/net/core/rmem_default") as f:
            return int(f.read())

    def count(self):
        try:
            with open(self.log, "rb") as f:
                return sum(1 for line in f if line == b"t\n")
        except FileNotFoundError:
            return 0

    def rejected(self):
        return {}

    def records(self):
        return None         # one short line per trap: count() says it

    def close(self):
        snmptest._kill(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------ one run

def settle(rx, timeout=15):
    """The receiver's count once it stops moving."""
    last, since = rx.count(), time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        c = rx.count()
        if c != last:
            last, since = c, time.monotonic()
        elif time.monotonic() - since > 0.75:
            break
    return last


class Load:
    """What trapblast sends: kind (v2c, v3, inform, v3inform), over
    transport (udp, tcp), from senders sockets or connections; path: the
    captured datagrams (none for v3inform: trapblast makes them)."""

    def __init__(self, kind, transport, senders, path):
        self.kind, self.transport = kind, transport
        self.senders, self.path = senders, path

    def args(self, verify):
        a = (["-3"] if self.kind == "v3inform" else ["-f", self.path])
        if self.transport == "tcp":
            a.append("-T")
        if self.kind == "v3inform" or self.transport == "tcp":
            a += ["-n", str(self.senders)]
        if self.kind in INFORM_KINDS:
            a.append("-V" if verify else "-a")
        return a


def blast(blaster, rx, load, rate, duration, cpus, verify=False):
    c0 = rx.count()
    o0 = rx.overflow() if isinstance(rx, Mgrd) else 0
    h0 = rx.holds() if isinstance(rx, Mgrd) else 0
    d0 = udp_drops(rx.port)
    cpu0 = cpu_seconds(rx.pid)
    loop0 = loop_cpu_seconds(rx.pid)
    users = "".join("%s SHA %s AES %s\n" % u for u in USERS)
    out = subprocess.run(["taskset", "-c", str(cpus),
                          blaster, "-t", "127.0.0.1:%d" % rx.port, "-r",
                          str(rate), "-d", str(duration)] +
                         load.args(verify),
                         input=users, capture_output=True, text=True)
    if out.returncode != 0:
        raise CheckFailed("trapblast: %s" % out.stderr.strip()[-500:])
    sent = json.loads(out.stdout)
    got = settle(rx) - c0
    drops = udp_drops(rx.port) - d0
    cpu = cpu_seconds(rx.pid) - cpu0
    loop = loop_cpu_seconds(rx.pid) - loop0
    # Over TCP nothing is dropped: a receiver that cannot keep up slows
    # the sender down (at most 256 KiB wait in trapblast per connection,
    # beyond the kernel's buffers) or answers late, and every inform must
    # be answered.  Late: the last answer more than 10 % and 0.25 s after
    # the duration (a journal write stalled by a slow disk delays the
    # answers a while without the receiver falling behind).
    behind = (load.transport == "tcp" and
              (sent["seconds"] > 1.05 * duration + 0.1 or
               sent["last_answer"] > 1.1 * duration + 0.25))
    # Over UDP trapblast does not read the answers: snmpmgrd's count of
    # informs its acknowledgement queue had no room for stands in.
    unanswered = (sent["sent"] - sent["answered"]
                  if load.transport == "tcp" and
                  load.kind in INFORM_KINDS else
                  rx.overflow() - o0 if isinstance(rx, Mgrd) and
                  load.kind in INFORM_KINDS else 0)
    return {"offered": rate, "sent": sent["sent"],
            "send_rate": sent["rate"], "received": got, "drops": drops,
            "lost": sent["sent"] - got, "behind": behind,
            "unanswered": unanswered, "blast": sent,
            "holds": rx.holds() - h0 if isinstance(rx, Mgrd) else 0,
            "cpu_us_per_trap": 1e6 * cpu / got if got else None,
            "loop_us_per_trap": 1e6 * loop / got if got else None}


def lossless(r):
    return (r["drops"] == 0 and r["lost"] == 0 and not r["behind"] and
            r["unanswered"] == 0)


def varbind_value(rec, oid):
    for vb in rec.get("varbinds", []):
        if vb.get("oid") == oid:
            return vb.get("value")
    return None


def check_records(recs, kind, sent, engines, transport="udp"):
    """What the journal must hold after the check's blast: one record per
    datagram sent, each the trap that was sent (v2c: the request-ids
    trapblast counted up from 0x10000001; v3: every engine once, its
    user, and the varbinds snmptrap put in for that engine).  A list of
    what is wrong (empty: all right)."""
    wrong = []
    if len(recs) != sent:
        wrong.append("%d records for %d traps sent" % (len(recs), sent))
    seen = set()
    for rec in recs:
        if (rec.get("type") != ("inform" if kind in INFORM_KINDS
                                else "trap")
                or rec.get("transport", "udp") != transport
                or rec.get("source") != "127.0.0.1"
                or rec.get("trap_oid") != TRAP_OID
                or varbind_value(rec, "1.3.6.1.2.1.2.2.1.1.7") != 7):
            wrong.append("record %r" % rec)
        elif kind in ("v2c", "inform"):
            if (rec.get("version") != "2c" or
                    rec.get("community") != "public" or
                    varbind_value(rec, "1.3.6.1.2.1.1.5.0") !=
                    "benchmark-host-0000"):
                wrong.append("record %r" % rec)
            seen.add(rec.get("request_id"))
        elif kind == "v3inform":
            host = varbind_value(rec, "1.3.6.1.2.1.1.5.0") or ""
            i = int(host[-4:]) if host[-4:].isdigit() else -1
            if (rec.get("version") != "3" or
                    rec.get("engine_id") != MGRD_ENGINE or
                    rec.get("user") != USERS[i % 4][0] or
                    rec.get("security_level") != "authPriv" or
                    host != "benchmark-host-%04d" % i or
                    (rec.get("request_id", 0) - REQID_BASE) // 16 != i):
                wrong.append("record %r" % rec)
            seen.add(rec.get("request_id"))
        else:
            i = int(rec.get("engine_id", "0")[-4:] or "0", 16)
            if (rec.get("version") != "3" or
                    rec.get("engine_id") != engine(i) or
                    rec.get("user") != USERS[i % 4][0] or
                    rec.get("security_level") != "authPriv" or
                    varbind_value(rec, "1.3.6.1.2.1.1.5.0") !=
                    "benchmark-host-%04d" % i):
                wrong.append("record %r" % rec)
            seen.add(i)
        if len(wrong) > 3:
            break
    v3 = kind == "v3"
    want = (set(range(engines)) if v3
            else set(range(REQID_BASE, REQID_BASE + sent)))
    if not wrong and seen != want:
        wrong.append("%d distinct %s, %d expected" % (
            len(seen), "engines" if v3 else "request-ids", len(want)))
    return wrong


def check(blaster, rx, load, npkts, cpus, engines, inform):
    """Every captured datagram (or made inform) once, slowly: all must be
    accepted and journaled as sent; every inform must get its Response
    (trapblast -V: the right request-id, for v3 authenticated with the
    sender's user and decrypted; a Report is a failure; floors answer
    nothing)."""
    rate = 500
    answers = load.kind in INFORM_KINDS and not isinstance(rx, Sink)
    r = blast(blaster, rx, load, rate, max(npkts / rate, 0.5), cpus,
              verify=answers)
    bad = {k: v for k, v in rx.rejected().items() if v}
    if r["lost"] or r["drops"] or bad:
        raise CheckFailed("%d sent, %d accepted, %d dropped, rejected %r"
                          % (r["sent"], r["received"], r["drops"], bad))
    b = r["blast"]
    if answers and (b["responses"] != b["sent"] or b["reports"] or
                    b["bad"]):
        raise CheckFailed("%d informs sent, %d Responses, %d Reports, "
                          "%d bad answers" % (b["sent"], b["responses"],
                                              b["reports"], b["bad"]))
    if load.kind == "v3inform" and isinstance(rx, Mgrd) and \
            b["engine_id"] != MGRD_ENGINE:
        raise CheckFailed("discovery found engine %s" % b["engine_id"])
    recs = rx.records()
    if recs is not None:
        wrong = check_records(recs, load.kind, r["sent"], engines,
                              load.transport)
        if wrong:
            raise CheckFailed("journal: " + "; ".join(wrong)[:2000])
    if load.kind == "inform" and load.transport == "udp" and answers:
        wrong = inform_answered(rx.port, inform)
        if wrong:
            raise CheckFailed(wrong)


def row_line(label, r):
    ok = lossless(r)
    return ("  %-42s %8d/s sent %8.0f/s recv %9d drops %8d lost %8d "
            "cpu %s us/trap (loop %s)%s%s%s" % (
                label, r["offered"], r["send_rate"], r["received"],
                r["drops"], r["lost"], "%.2f" % r["cpu_us_per_trap"]
                if r["cpu_us_per_trap"] else "-",
                "%.2f" % r["loop_us_per_trap"]
                if r["loop_us_per_trap"] else "-",
                " unanswered %d" % r["unanswered"]
                if r["unanswered"] else "",
                " held %d times" % r["holds"] if r.get("holds") else "",
                "" if ok else "  BEHIND" if r["behind"] else "  LOSS"))


def search(blaster, rx, load, rates, duration, label, cpus):
    """Rising rates until one loses.  Progress goes to stderr without
    figures: they are printed once every correctness check passed."""
    best = None
    rows = []
    for rate in rates:
        r = blast(blaster, rx, load, rate, duration, cpus)
        rows.append(r)
        ok = lossless(r)
        print("  (%s %d/s: %s)" % (label, rate, "lossless" if ok else
                                   "lost some"), file=sys.stderr,
              flush=True)
        if not ok:
            break
        best = r
    return best, rows


def floor_rates(results, kind, place, rates):
    """The rates the snmpmgrd set-ups of kind and place ran at (all of
    them, the one that lost included), else rates."""
    got = sorted({row["offered"] for r in results
                  if r["kind"] == kind and r["placement"] == place
                  and r["receiver"] not in ("snmptrapd",)
                  and not r["receiver"].startswith("floor-")
                  for row in r["rows"]})
    return got or rates


def by_rate(results):
    """CPU per trap of every receiver at each rate, floors beside
    snmpmgrd's, for each kind and placement ("lost" where it lost), and
    what each snmpmgrd costs beyond each floor where both were
    lossless."""
    keys = []
    for r in results:
        k = (r["kind"], r["placement"])
        if k not in keys:
            keys.append(k)
    for kind, place in keys:
        rs = [r for r in results if r["kind"] == kind and
              r["placement"] == place and r["receiver"] != "snmptrapd"]
        rates = sorted({row["offered"] for r in rs for row in r["rows"]})
        if not rates:
            continue
        print("\nCPU per trap, us, %s %s (floor: bench/trapsink on the "
              "same traffic):" % (kind, place))
        print("  %-34s" % "receiver" +
              "".join("%16s" % ("%d/s" % x) for x in rates))

        def cpu(r, x):
            """(CPU per trap, lossless) of r at rate x, or None."""
            row = next((w for w in r["rows"] if w["offered"] == x), None)
            if row is None or not row["cpu_us_per_trap"]:
                return None
            return (row["cpu_us_per_trap"], lossless(row))

        for r in rs:
            cells = []
            for x in rates:
                c = cpu(r, x)
                cells.append("%16s" % ("" if c is None else "%.2f%s" % (
                    c[0], "" if c[1] else " lost")))
            print("  %-34s" % ("%s fsync=%s" % (r["receiver"],
                                                 r["fsync"] or "-")) +
                  "".join(cells))
        floors = [r for r in rs if r["receiver"].startswith("floor-")]
        for r in rs:
            if r["receiver"].startswith("floor-"):
                continue
            for f in floors:
                cells = []
                for x in rates:
                    c, g = cpu(r, x), cpu(f, x)
                    ok = c is not None and g is not None and c[1] and g[1]
                    cells.append("%16s" % ("%+.2f" % (c[0] - g[0])
                                           if ok else ""))
                print("  %-34s" % ("%s beyond %s" % (r["receiver"],
                                                      f["receiver"])) +
                      "".join(cells))


CURRENT = ["-"]         # the set-up running, for the failure message


def run_kind(a, kind, transport, setups, builds, places, rates, files,
             npkts, blaster, inform, results):
    """Every set-up in every placement for kind over transport; rows into
    results.  CheckFailed when a correctness check fails."""
    label_kind = kind if transport == "udp" else kind + "/tcp"
    load = Load(kind, transport, a.senders, files.get(kind))
    for name, fsync, buf in setups:
        if name.startswith("floor-") and transport != "udp":
            continue            # trapsink reads datagrams
        for place, (rxcpu, txcpu) in places.items():
            port = snmptest._free_udp_tcp_port()
            label = "%s %s %s fsync=%s" % (name, label_kind, place,
                                           fsync or "-")
            CURRENT[0] = label
            if name in builds:
                rx = Mgrd(builds[name], port, fsync, buf, a.senders)
            elif name.startswith("floor-"):
                rx = Sink(a.builddir, port, buf, name == "floor-write")
            else:
                rx = Trapd(port, buf, a.engines, transport)
            label += " rcvbuf=%d" % rx.rcvbuf
            CURRENT[0] = label
            rl = rates["trapd"] if name == "snmptrapd" else rates[kind]
            if a.quick:
                rl = rl[::2]
            if name.startswith("floor-"):
                # The rates snmpmgrd was run at, so they compare; not
                # beyond where it lost.
                rl = floor_rates(results, label_kind, place, rl)
            try:
                pin(rx.pid, rxcpu)
                check(blaster, rx, load, npkts[kind], txcpu, a.engines,
                      inform)
                best, rows = search(blaster, rx, load, rl, a.duration,
                                    label, txcpu)
            finally:
                rx.close()
            results.append({"label": label, "receiver": name,
                             "kind": label_kind, "placement": place,
                             "fsync": fsync, "rcvbuf": rx.rcvbuf,
                             "best": best, "rows": rows})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=snmptest.top_builddir())
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--quick", action="store_true",
                    help="2 s runs and fewer rates (a smoke test)")
    ap.add_argument("--rates-v2c", default="50000,100000,150000,"
                    "200000,250000,300000,400000")
    ap.add_argument("--rates-v3", default="25000,50000,75000,100000,"
                    "150000,200000")
    ap.add_argument("--rates-inform", default="25000,50000,75000,100000,"
                    "150000,200000")
    ap.add_argument("--rates-v3inform", default="10000,25000,50000,"
                    "75000,100000")
    ap.add_argument("--rates-trapd", default="5000,10000,15000,20000,"
                    "30000,40000")
    ap.add_argument("--engines", type=int, default=1000,
                    help="distinct SNMPv3 sender engines (<= 4096)")
    ap.add_argument("--raised", type=int, default=8 << 20,
                    help="the raised receive buffer, bytes")
    ap.add_argument("--only", choices=("snmpmgrd", "snmptrapd"))
    ap.add_argument("--fsync", default="interval",
                    help="snmpmgrd journal policies to run: none,interval")
    ap.add_argument("--buffers", default="raised",
                    help="receive buffers to run: default,raised")
    ap.add_argument("--placements", default="same,cross")
    ap.add_argument("--cpus", default="0,1",
                    help="A,B: same runs both on A; cross runs the "
                    "receiver on A, the blaster on B")
    ap.add_argument("--kinds", default="v2c,v3",
                    help="v2c,v3,inform,v3inform (inform: SNMPv2c "
                    "InformRequests; v3inform: SNMPv3 SHA/AES informs "
                    "made by trapblast for the receiver's engine)")
    ap.add_argument("--transports", default="udp",
                    help="udp,tcp (tcp: RFC 3430, one connection per "
                    "sender; no floor)")
    ap.add_argument("--senders", type=int, default=64,
                    help="v3 inform senders (each its user of 4, its "
                    "socket and 16 informs) and TCP connections")
    ap.add_argument("--floor", default="read,write",
                    help="bench/trapsink references run beside snmpmgrd "
                    "(read: reads and discards; write: also writes the "
                    "datagrams out in 64 KiB chunks); '' for none")
    ap.add_argument("--baseline", help="another build directory whose "
                    "snmpmgrd runs the same set-ups in this run (A/B)")
    ap.add_argument("--json", help="write all rows to this file")
    a = ap.parse_args()
    a.builddir = os.path.abspath(a.builddir)
    try:
        cpus = [int(x) for x in a.cpus.split(",")]
    except ValueError:
        cpus = []
    if len(cpus) != 2 or cpus[0] == cpus[1]:
        sys.exit("traps.py: --cpus takes two different CPU numbers")
    places = placement_cpus(a.placements.split(","), cpus)
    builds = {"snmpmgrd": a.builddir}
    if a.baseline:
        builds["baseline"] = os.path.abspath(a.baseline)
        if not os.access(os.path.join(builds["baseline"],
                                      "snmpmgrd"), os.X_OK):
            sys.exit("no snmpmgrd in the baseline build %s"
                     % builds["baseline"])
    if a.quick:
        a.duration = 2.0
    blaster = os.path.join(a.builddir, "bench", "trapblast")
    if not os.access(blaster, os.X_OK):
        sys.exit("build it first: make bench/trapblast")
    floors = [f for f in a.floor.split(",") if f]
    if any(f not in ("read", "write") for f in floors):
        sys.exit("traps.py: --floor takes read,write")
    if floors and not os.access(os.path.join(a.builddir, "bench",
                                             "trapsink"), os.X_OK):
        sys.exit("build it first: make bench/trapsink")
    rates = {k: [int(x) for x in v.split(",")] for k, v in
             (("v2c", a.rates_v2c), ("v3", a.rates_v3),
              ("inform", a.rates_inform), ("v3inform", a.rates_v3inform),
              ("trapd", a.rates_trapd))}
    if any(k not in ("v2c", "v3", "inform", "v3inform")
           for k in a.kinds.split(",")):
        sys.exit("traps.py: --kinds takes v2c,v3,inform,v3inform")
    if any(x not in ("udp", "tcp") for x in a.transports.split(",")):
        sys.exit("traps.py: --transports takes udp,tcp")
    if not 1 <= a.senders <= 4096:
        sys.exit("traps.py: --senders takes 1 to 4096")
    work = tempfile.mkdtemp(prefix="bench-traps-")
    env = dict(os.environ, MIBS="", SNMPCONFPATH=work,
               SNMP_PERSISTENT_DIR=work)
    files, l2, l3, n3, inform = captured(work, env, a.engines)
    npkts = {"v2c": 1, "v3": n3, "inform": 1, "v3inform": 16 * a.senders}
    print("captured: v2c trap %d octets, %d v3 SHA/AES traps (%d octets) "
          "from %d engines, %d users, v2c inform %d octets"
          % (l2, n3, l3, a.engines, len(USERS), len(inform)))
    if "v3inform" in a.kinds.split(","):
        print("v3 informs: made by trapblast for each receiver's engine "
              "(discovered), SHA/AES, %d senders over %d users, 16 "
              "informs each" % (a.senders, len(USERS)))
    print("placements: same = receiver and blaster on CPU %d; cross = "
          "receiver on CPU %d, blaster on CPU %d"
          % (cpus[0], cpus[0], cpus[1]))
    results = []
    setups = []
    bufs = [0 if b == "default" else a.raised
            for b in a.buffers.split(",")]
    if a.only in (None, "snmpmgrd"):
        for fsync in a.fsync.split(","):
            for buf in bufs:
                for name in builds:
                    setups.append((name, fsync, buf))
        for buf in bufs:
            for f in floors:
                setups.append(("floor-" + f, None, buf))
    if a.only in (None, "snmptrapd"):
        for buf in bufs:
            setups.append(("snmptrapd", None, buf))
    try:
        for kind in a.kinds.split(","):
            for transport in a.transports.split(","):
                run_kind(a, kind, transport, setups, builds, places,
                         rates, files, npkts, blaster, inform, results)
    except (CheckFailed, OSError, subprocess.CalledProcessError) as e:
        print("traps.py: correctness check failed (%s), no figures: %s"
              % (CURRENT[0], e), file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in results:
        for row in r["rows"]:
            print(row_line(r["label"], row))
    print("\nCPU per trap (all receiver threads, journal included), at "
          "the highest rate with zero loss over %.0f s:" % a.duration)
    for r in results:
        b = r["best"]
        print("  %-11s %-12s %-5s fsync=%-8s rcvbuf=%-9d %s" % (
            r["receiver"], r["kind"], r["placement"], r["fsync"] or "-",
            r["rcvbuf"],
            "%.2f us CPU/trap at %7d/s" % (b["cpu_us_per_trap"] or 0,
                                           b["offered"])
            if b else "none of the rates tried was lossless"))
    by_rate(results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
