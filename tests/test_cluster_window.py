#!/usr/bin/env python3
"""test_cluster_window.py - the publishing thread's sliding window.

The node's publishing connection goes through a TCP proxy of the test's
that holds every PubAck back until the node has written more than 256
records (distinct Nats-Msg-Ids) without an answer: a publisher that
waits for the PubAcks of its batch (at most 256 records) before it
writes more never gets one and publishes nothing; the sliding window
writes the records that come while earlier PubAcks are outstanding, so
the PubAcks are let through and the results are acknowledged.  The
node's other connection (libnats: lease, bucket, streams) goes through
the proxy untouched.  Skips (exit 77) when snmpmgrd has not been built or
was built without libnats.
"""
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snmptest  # noqa: E402
import test_cluster as tc  # noqa: E402

HOLD_UNTIL = 256        # CL_BATCH: one batch of the stop-and-wait publisher
NSESS = 100             # results per second


class AckHolder:
    """A TCP proxy from 127.0.0.1 to a nats-server.  On a connection
    whose CONNECT names a client ".../pub" it counts the HPUBs' distinct
    Nats-Msg-Ids and holds back every MSG and HMSG from the server (the
    PubAcks) until more than HOLD_UNTIL were seen; then it lets them all
    through, and everything after."""

    def __init__(self, port):
        self.target = port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.ids = set()
        self.released = False
        self.held = 0
        self.lock = threading.Lock()
        self.conns = []
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def accept(self):
        while not self.stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            conn = {"c": c, "s": s, "pub": False, "held": []}
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self.pump, args=(
                conn, "c", "s", self.up_op), daemon=True).start()
            threading.Thread(target=self.pump, args=(
                conn, "s", "c", self.down_op), daemon=True).start()

    @staticmethod
    def frames(buf):
        """Split complete protocol operations off buf: ([op], rest)."""
        out = []
        while True:
            i = buf.find(b"\r\n")
            if i < 0:
                return out, buf
            line = buf[:i]
            words = line.split()
            verb = words[0].upper() if words else b""
            size = 0
            if verb in (b"MSG", b"PUB", b"HMSG", b"HPUB"):
                size = int(words[-1]) + 2
            if len(buf) < i + 2 + size:
                return out, buf
            out.append((verb, line, buf[i + 2:i + 2 + size]))
            buf = buf[i + 2 + size:]

    def release(self):
        """Under lock: the held PubAcks go, and no more are held."""
        self.released = True
        for conn in self.conns:
            for data in conn["held"]:
                try:
                    conn["c"].sendall(data)
                except OSError:
                    pass
            conn["held"] = []

    def up_op(self, conn, verb, line, payload):
        """From the node: its name, and the Msg-Ids it publishes."""
        if verb == b"CONNECT":
            doc = json.loads(line[len(b"CONNECT"):])
            conn["pub"] = doc.get("name", "").endswith("/pub")
        elif verb == b"HPUB" and conn["pub"]:
            hdr = payload[:int(line.split()[-2])].decode()
            for h in hdr.split("\r\n"):
                if h.lower().startswith("nats-msg-id:"):
                    with self.lock:
                        self.ids.add(h.split(":", 1)[1].strip())
                        if (not self.released and
                                len(self.ids) > HOLD_UNTIL):
                            self.release()
        return line + b"\r\n" + payload

    def down_op(self, conn, verb, line, payload):
        """From the server: a PubAck is held (b"" goes on) until
        released."""
        raw = line + b"\r\n" + payload
        with self.lock:
            if (conn["pub"] and not self.released and
                    verb in (b"MSG", b"HMSG")):
                conn["held"].append(raw)
                self.held += 1
                return b""
        return raw

    def pump(self, conn, src, dst, op):
        """Whole operations from conn[src] to conn[dst], through op."""
        buf = b""
        while True:
            try:
                d = conn[src].recv(65536)
            except OSError:
                d = b""
            if not d:
                break
            ops, buf = self.frames(buf + d)
            out = b"".join(op(conn, *o) for o in ops)
            try:
                if out:
                    conn[dst].sendall(out)
            except OSError:
                break
        self.close(conn)

    def close(self, conn):
        for k in ("c", "s"):
            try:
                conn[k].shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def shutdown(self):
        self.stop = True
        self.lsock.close()
        with self.lock:
            for conn in self.conns:
                self.close(conn)
                conn["c"].close()
                conn["s"].close()


class SlidingWindow(unittest.TestCase):
    def test_records_written_while_pubacks_are_outstanding(self):
        nats = tc.NatsServer()
        self.addCleanup(nats.close)
        proxy = AckHolder(nats.port)
        self.addCleanup(proxy.shutdown)
        agent = snmptest.Snmpd()
        self.addCleanup(agent.close)
        cfg = {"defaults": {"timeout": "500ms", "retries": 1},
               "polls": {"up": {"get": ["1.3.6.1.2.1.1.3.0"],
                                "interval": "1s"}},
               "sessions": {"s%03d" % i: agent.target(polls=["up"])
                            for i in range(NSESS)},
               "cluster": {"name": "t1", "node": "mgr-w",
                           "heartbeat": "1s",
                           "nats": {"servers": [proxy.url]}}}
        d = snmptest.Daemon(cfg)
        self.addCleanup(lambda: d.alive() and d.stop())
        deadline = time.time() + 30
        while True:
            st = d.call("daemon.status")["cluster"]
            if st["published"] >= 2 * HOLD_UNTIL or time.time() > deadline:
                break
            time.sleep(0.3)
        print("PubAcks held %d, released %s after %d Msg-Ids; published "
              "%d, publish_errors %d, spool_depth %d" % (
                  proxy.held, proxy.released, len(proxy.ids),
                  st["published"], st["publish_errors"],
                  st["spool_depth"]), file=sys.stderr)
        self.assertGreater(proxy.held, 0, "the proxy held no PubAck")
        self.assertTrue(proxy.released, "never more than %d records in "
                        "flight" % HOLD_UNTIL)
        self.assertEqual(st["nats"], "connected")
        self.assertGreaterEqual(st["published"], 2 * HOLD_UNTIL, d.log())
        # What the window sent back to the queue while its PubAcks were
        # held is published once they flow, and the queue drains.
        deadline = time.time() + 15
        while st["spool_depth"] > NSESS and time.time() < deadline:
            time.sleep(0.3)
            st = d.call("daemon.status")["cluster"]
        self.assertLessEqual(st["spool_depth"], NSESS)


if __name__ == "__main__":
    if not os.access(tc.SNMPMGRD, os.X_OK) or not tc.have_nats():
        print("snmpmgrd not built or built without libnats; skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
