"""A small SNMPv1/v2c agent inside the test process, for what a real agent
will not do on demand: stop answering after some requests, answer from
another port, or send junk.

FakeAgent(rows=40, answers=None, community="public", wrong_port=False,
          empty_after=None, empty_count=None, most=None, port=0,
          bind_host="127.0.0.1", reply_host=None)

It serves one table, 1.3.6.1.4.1.99999.1.1.N = INTEGER N for N in
1..rows, to Get, GetNext and GetBulk, from a thread, on a free port of
127.0.0.1.  answers: how many requests to answer before it goes silent
(None: all); .answers can be changed any time.  wrong_port: answers come
from a second socket (another source port), which a manager checking the
origin drops.  .requests counts requests received, .last_from is the
address the last one came from (the manager's socket), .send(addr, data)
sends any datagram from the agent's port, .reqids the request IDs of the
PDUs it decoded, in order.  .close() stops it.
empty_after: after that many GetNext/GetBulk answers, answer them with no
varbind at all (legal for GetBulk, RFC 3416 4.2.3), empty_count of them
(None: from then on); .nexts counts those requests; most: put at most that
many varbinds in a GetBulk answer (fewer than asked, to fit a size);
.toobig_above: answer a GetBulk asking for more repetitions with tooBig.
They can be changed any time.  port, bind_host: where it listens (with
SO_REUSEADDR, so that agents on one port of 0.0.0.0 all get a broadcast);
reply_host: answers come from a socket of that address (e.g. 127.0.0.2),
so that each agent of a broadcast answers from an address of its own.
.values: more objects served besides the table, {arcs: (tag, int)} with
tag one of COUNTER32, GAUGE32, TIMETICKS, COUNTER64, INTEGER; they can be
changed between requests (an entry is replaced whole).
.delays: None, or a list of seconds to hold each answer back, used in
turn (request 1 the first, request 2 the second, ... round again); the
answers go out from timers, so a held one delays no other.
objects: serve these objects instead, {OID arcs tuple: encoded value}
(e.g. a sparse table); GetBulk then answers every varbind (RFC 3416
4.2.3: non-repeaters first, then repetition r of varbind c).
"""

import socket
import sys
import threading
import unittest

from ber import (ber_int, ber_read, ber_read_all, ber_value, int_of,  # noqa
                 oid_arcs_of, response, tlv)

ROOT = (1, 3, 6, 1, 4, 1, 99999, 1, 1)
ROOT_STR = ".".join(map(str, ROOT))


def oid_arcs(s):
    return tuple(int(a) for a in s.split("."))


def row_oid(n):
    return "%s.%d" % (ROOT_STR, n)


class FakeAgent:

    def __init__(self, rows=40, answers=None, community="public",
                 wrong_port=False, empty_after=None, empty_count=None,
                 most=None, port=0, bind_host="127.0.0.1", reply_host=None,
                 objects=None):
        self.objects = objects
        if objects is not None:
            self.table = sorted(objects)
        else:
            self.table = [ROOT + (n,) for n in range(1, rows + 1)]
        self.values = {}
        self.answers = answers
        self.empty_after = empty_after
        self.empty_count = empty_count
        self.most = most
        self.toobig_above = None
        self.delays = None
        self.nexts = 0
        self.community = community.encode()
        self.requests = 0
        self.reqids = []
        self.answered = 0
        self.last_from = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((bind_host, port))
        self.host, self.port = self.sock.getsockname()
        self.bcast_wake = None
        if self.host == "0.0.0.0":
            self.host = "127.0.0.1"
            self.bcast_wake = "127.255.255.255"
        self.other = None
        if wrong_port or reply_host:
            self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.other.bind((reply_host or "127.0.0.1", 0))
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def target(self, **over):
        t = {"host": self.host, "port": self.port, "version": "2c",
             "community": self.community.decode(), "timeout": "2s",
             "retries": 0}
        t.update(over)
        return t

    def send(self, addr, data):
        self.sock.sendto(data, addr)

    def close(self):
        self._stop = True
        # Wake the thread up (all of a shared port's by broadcast).
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                s.sendto(b"", (self.bcast_wake or self.host, self.port))
        except OSError:
            pass
        self.thread.join(2)
        self.sock.close()
        if self.other is not None:
            self.other.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -------------------------------------------------------- serving

    def _has(self, o):
        return o in self.values or o in self.table

    def _next(self, oid):
        later = [o for o in self.values if o > oid]
        for o in self.table:
            if o > oid:
                later.append(o)
                break
        return min(later) if later else None

    def _value(self, o):
        if o in self.values:
            return ber_value(*self.values[o])
        if self.objects is not None:
            return self.objects[o]
        return ber_int(o[-1])

    def _bulk(self, oids, nonrep, reps):
        """RFC 3416 4.2.3 over every varbind."""
        out = []
        for o in oids[:nonrep]:
            n = self._next(o)
            out.append((n, self._value(n)) if n else (o, tlv(0x82, b"")))
        last = list(oids[nonrep:])
        for _ in range(max(1, reps) if last else 0):
            for i, o in enumerate(last):
                n = self._next(o) if o is not None else None
                if n is None:
                    out.append((oids[nonrep + i] if o is None else o,
                                tlv(0x82, b"")))
                    last[i] = None if o is None else o
                    continue
                out.append((n, self._value(n)))
                last[i] = n
        return out

    def _answer(self, data):
        ver, comm, pdu = ber_read_all(ber_read(data)[1])
        version = int_of(ver[1])
        ptype, body = pdu
        reqid, a, b, vbl = ber_read_all(body)
        self.reqids.append(int_of(reqid[1]))
        oids = [oid_arcs_of(ber_read_all(vb[1])[0][1])
                for vb in ber_read_all(vbl[1])]
        out = []
        if ptype in (0xA1, 0xA5):
            self.nexts += 1
            if (self.empty_after is not None and
                    self.nexts > self.empty_after and
                    (self.empty_count is None or
                     self.nexts <= self.empty_after + self.empty_count)):
                return response(version, comm[1], int_of(reqid[1]), [])
        if ptype == 0xA0:           # Get
            for o in oids:
                out.append((o, self._value(o) if self._has(o) else
                            tlv(0x80, b"")))
        elif ptype == 0xA1:         # GetNext
            for o in oids:
                n = self._next(o)
                out.append((n, self._value(n)) if n else
                           (o, tlv(0x82, b"")))
        elif ptype == 0xA5:         # GetBulk (non-repeaters 0 here)
            reps = int_of(b[1])
            if self.toobig_above is not None and reps > self.toobig_above:
                return response(version, comm[1], int_of(reqid[1]), [],
                                status=1)
            if self.most is not None:
                reps = min(reps, self.most)
            if self.objects is not None:
                return response(version, comm[1], int_of(reqid[1]),
                                self._bulk(oids, int_of(a[1]), reps))
            o = oids[0]
            for _ in range(max(1, reps)):
                n = self._next(o)
                if n is None:
                    out.append((o, tlv(0x82, b"")))
                    break
                out.append((n, self._value(n)))
                o = n
        else:
            return None
        return response(version, comm[1], int_of(reqid[1]), out)

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            if self._stop:
                return
            if not data:
                continue
            self.requests += 1
            self.last_from = addr
            if self.answers is not None and self.answered >= self.answers:
                continue
            try:
                reply = self._answer(data)
            except (IndexError, ValueError):
                continue
            if reply is None:
                continue
            self.answered += 1
            delays = self.delays
            if delays:
                t = threading.Timer(delays[(self.requests - 1) % len(delays)],
                                    self._send_late, (reply, addr))
                t.daemon = True
                t.start()
                continue
            (self.other or self.sock).sendto(reply, addr)

    def _send_late(self, reply, addr):
        try:
            (self.other or self.sock).sendto(reply, addr)
        except OSError:
            pass                    # closed meanwhile


class FakeAgentCase(unittest.TestCase):
    """A test case with a FakeAgent of 40 rows (self.agent) and a snmpmgrd
    (self.d) holding it as session "fake"; the daemon's log is shown when
    a test fails."""

    def setUp(self):
        from snmptest import Daemon
        self.agent = FakeAgent(rows=40)
        self.d = Daemon({
            "log": {"level": "info"},
            "sessions": {"fake": self.agent.target(timeout="5s")},
        })

    def tearDown(self):
        if any(e is not None for e in sys.exc_info()):
            sys.stderr.write(self.d.log()[-4000:])
        self.d.close()
        self.agent.close()
