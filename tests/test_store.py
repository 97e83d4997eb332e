#!/usr/bin/env python3
"""test_store - issue 9: "store" on snmp.get, getnext, getbulk and walk.

Results of ad-hoc operations on a configured session are kept (the
latest value of each OID) so that poll.value and poll.results answer for
them, and poll.reset forgets them; an inline target stores nothing
(-32602).  Also the request ID of each operation in its result.  The
agent is fakeagent.py; standard library only.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakeagent import FakeAgentCase, ROOT_STR, row_oid  # noqa: E402


class Store(FakeAgentCase):

    def value(self, oid):
        return self.d.rpc("poll.value", {"session": "fake", "oid": oid})

    def stored(self):
        res = self.d.call("poll.results", {"session": "fake"})
        return [vb["oid"] for vb in res.get("stored", {}).get("varbinds",
                                                             [])]

    def half_walk(self):
        """A store walk on a connection of its own that got rows 1..10
        (two answers of five) and waits for its third answer, which the
        agent never sends; the agent answers again afterwards.
        (connection, request id)."""
        self.agent.answers = 2
        c = self.d.connect()
        wid = c.request("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                      "store": True, "max_repetitions": 5})
        deadline = time.monotonic() + 5
        while self.agent.requests < 3:
            self.assertLess(time.monotonic(), deadline, "third request")
            time.sleep(0.02)
        self.agent.answers = None
        return c, wid

    def tail_walk(self):
        """A store walk of rows 31..40, to its end."""
        r = self.d.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                      "start_oid": row_oid(30),
                                      "store": True, "stream": False})
        self.assertEqual(r["count"], 10)
        self.assertIs(r["stored"], True)

    def test_cancelled_walk_stores_nothing(self):
        # The client of a store walk goes away half-way: what the walk
        # staged is dropped, not stored by the next walk.
        c, _ = self.half_walk()
        c.close()
        self.tail_walk()
        self.assertEqual(self.stored(), [row_oid(n) for n in range(31, 41)])

    def test_concurrent_store_walks_keep_their_rows(self):
        # Another store walk ends while the first is half-way: it stores
        # its own rows only; the first stores its own when it ends
        # (interrupted: what it got is kept).
        c, wid = self.half_walk()
        self.tail_walk()
        self.assertEqual(self.stored(), [row_oid(n) for n in range(31, 41)])
        c.request("request.cancel", {"id": wid})
        _, rep = c.wait_reply(wid, timeout=3)
        self.assertEqual(rep["error"]["code"], 398, rep)
        self.assertEqual(self.stored(), [row_oid(n) for n in
                                         list(range(1, 11)) +
                                         list(range(31, 41))])
        c.close()

    def test_nothing_stored_without_store(self):
        r = self.d.call("snmp.get", {"session": "fake",
                                     "oids": [row_oid(3)]})
        self.assertNotIn("stored", r)
        self.assertEqual(self.value(row_oid(3))["error"]["code"], 322)
        res = self.d.call("poll.results", {"session": "fake"})
        self.assertNotIn("stored", res)

    def test_get_getnext_getbulk_store(self):
        r = self.d.call("snmp.get", {"session": "fake", "store": True,
                                     "oids": [row_oid(3), row_oid(99)]})
        self.assertIs(r["stored"], True)
        v = self.value(row_oid(3))["result"]
        self.assertEqual(v["value"], 3)
        self.assertIsNone(v["poll"])
        self.assertIs(v["stored"], True)
        # noSuchObject is not a value: not stored.
        self.assertEqual(self.value(row_oid(99))["error"]["code"], 322)
        self.d.call("snmp.getnext", {"session": "fake", "store": True,
                                     "oids": [row_oid(10)]})
        self.assertEqual(self.value(row_oid(11))["result"]["value"], 11)
        self.d.call("snmp.getbulk", {"session": "fake", "store": True,
                                     "oids": [row_oid(20)],
                                     "max_repetitions": 3})
        for n in (21, 22, 23):
            self.assertEqual(self.value(row_oid(n))["result"]["value"], n)
        res = self.d.call("poll.results", {"session": "fake"})
        self.assertEqual(res["stored"]["count"], 5)
        self.assertEqual([vb["oid"] for vb in res["stored"]["varbinds"]],
                         [row_oid(n) for n in (3, 11, 21, 22, 23)])
        self.assertEqual(self.d.call("poll.reset", {"session": "fake"}),
                         {"session": "fake", "reset": True})
        self.assertEqual(self.value(row_oid(3))["error"]["code"], 322)
        self.assertNotIn("stored", self.d.call("poll.results",
                                               {"session": "fake"}))

    def test_walk_stores_every_row(self):
        notes, rep = self.d.rpc_stream("snmp.walk", {
            "session": "fake", "oid": ROOT_STR, "store": True,
            "max_repetitions": 7}, timeout=30)
        self.assertEqual(rep["result"]["count"], 40, rep)
        self.assertIs(rep["result"]["stored"], True)
        res = self.d.call("poll.results", {"session": "fake"})
        self.assertEqual([vb["oid"] for vb in res["stored"]["varbinds"]],
                         [row_oid(n) for n in range(1, 41)])
        self.assertEqual(self.value(row_oid(40))["result"]["value"], 40)
        # Not streamed: stored the same way.
        self.d.call("poll.reset", {"session": "fake"})
        r = self.d.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                      "store": True, "stream": False})
        self.assertEqual(r["count"], 40)
        self.assertEqual(self.value(row_oid(17))["result"]["value"], 17)

    def test_ctl_store(self):
        r = self.d.ctl("walk", "--store", "fake", ROOT_STR)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.d.ctl("get", "--store", "fake", row_oid(2))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.d.ctl("results", "fake")
        self.assertIn("# stored: ", r.stdout)
        self.assertIn("40 objects", r.stdout)
        r = self.d.ctl("value", "fake", row_oid(33))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("INTEGER: 33", r.stdout)
        r = self.d.ctl("set", "--store", "fake", row_oid(2), "i", "5")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_inline_target_refused(self):
        for method, extra in (("snmp.get", {"oids": [row_oid(1)]}),
                              ("snmp.walk", {"oid": ROOT_STR})):
            p = {"target": self.agent.target(), "store": True}
            p.update(extra)
            r = self.d.rpc(method, p)
            self.assertEqual(r["error"]["code"], -32602, r)
            self.assertIn("store", r["error"]["message"])

    def test_request_ids_in_results(self):
        r = self.d.call("snmp.get", {"session": "fake",
                                     "oids": [row_oid(1)]})
        self.assertEqual(r["request_id"], self.agent.reqids[-1])
        r = self.d.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                      "stream": False,
                                      "max_repetitions": 10})
        self.assertEqual(r["requests"], 5)      # 4 of 10, then the end
        self.assertEqual(r["last_request_id"], self.agent.reqids[-1])
        # A timeout names the request that got no answer.
        self.agent.answers = 0
        rep = self.d.rpc("snmp.get", {"session": "fake",
                                      "oids": [row_oid(1)]}, timeout=20)
        self.assertEqual(rep["error"]["code"], 201, rep)
        self.assertNotIn(rep["error"]["data"]["request_id"],
                         self.agent.reqids)
        self.assertGreater(rep["error"]["data"]["request_id"], 0)


if __name__ == "__main__":
    unittest.main()
