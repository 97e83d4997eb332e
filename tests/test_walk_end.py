#!/usr/bin/env python3
"""test_walk_end - issue 9 item 3: a walk never claims completion when it
is not complete, through the daemon against a real peer.

The agent is fakeagent.py (a 40-row table): it answers GetBulk with fewer
rows than asked, or with none at all, as RFC 3416 4.2.3 allows to fit a
size limit.  Fewer rows must not end the walk; empty answers must not
either, and when they never stop the walk fails with 320, the count and
the OID to resume from, over the JSON-RPC socket and in snmpmgrctl.
Standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from fakeagent import FakeAgentCase, ROOT_STR, row_oid  # noqa: E402


class WalkEnd(FakeAgentCase):

    def walk(self, **params):
        p = {"session": "fake", "oid": ROOT_STR, "max_repetitions": 8}
        p.update(params)
        notes, rep = self.d.rpc_stream("snmp.walk", p, timeout=30)
        rows = [vb["oid"] for n in notes if n["method"] == "walk.rows"
                for vb in n["params"]["varbinds"]]
        return rows, rep

    def test_fewer_rows_than_asked_go_on(self):
        self.agent.most = 3
        rows, rep = self.walk()
        self.assertEqual(rep["result"]["count"], 40, rep)
        self.assertEqual(rows, [row_oid(i) for i in range(1, 41)])

    def test_a_few_empty_answers_go_on(self):
        # Two answers of 8, then three empty ones: the walk asks for 4,
        # 2, 1, gets every row and says so.
        self.agent.empty_after = 2
        self.agent.empty_count = 3
        rows, rep = self.walk()
        self.assertEqual(rep["result"]["count"], 40, rep)
        self.assertEqual(rows, [row_oid(i) for i in range(1, 41)])

    def test_empty_answers_for_good_fail_with_resume_point(self):
        self.agent.empty_after = 2
        rows, rep = self.walk()
        self.assertEqual(rows, [row_oid(i) for i in range(1, 17)])
        self.assertNotIn("result", rep)
        err = rep["error"]
        self.assertEqual(err["code"], 320, err)
        self.assertEqual(err["data"]["count"], 16)
        self.assertEqual(err["data"]["last_oid"], row_oid(16))
        self.assertNotIn("error_status", err["data"])
        self.assertIn("SNMPMGR_MAX_WALK_FRUITLESS", err["data"]["detail"])
        self.assertIn(row_oid(16), err["data"]["detail"])
        # 2 answers with rows, then 16 empty ones (8, 4, 2, 1, GetNext).
        self.assertEqual(self.agent.nexts, 2 + 16)
        # The resume point is right.
        self.agent.empty_after = None
        res = self.d.call("snmp.walk", {"session": "fake", "oid": ROOT_STR,
                                        "start_oid": row_oid(16),
                                        "stream": False})
        self.assertEqual([vb["oid"] for vb in res["varbinds"]],
                         [row_oid(i) for i in range(17, 41)])

    def test_snmpmgrctl_walk_fails_on_empty_answers(self):
        self.agent.empty_after = 1
        r = self.d.ctl("walk", "-r", "5", "fake", ROOT_STR)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 5, r.stdout)
        self.assertIn("error 320", r.stderr)
        self.assertIn("walk stopped after 5 objects; resume with "
                      "--start-oid %s" % row_oid(5), r.stderr)


    def test_toobig_halves_then_error_status_is_320(self):
        # man/snmpmgrctl.1, doc/protocol.md: tooBig to a GetBulk asks
        # again with half the max-repetitions ...
        self.agent.toobig_above = 3
        rows, rep = self.walk(max_repetitions=16)
        self.assertEqual(rep["result"]["count"], 40, rep)
        self.assertEqual(rows, [row_oid(i) for i in range(1, 41)])
        # ... down to 1; tooBig there ends the walk with 320 and the
        # error-status in its data.
        self.agent.toobig_above = 0
        rows, rep = self.walk(max_repetitions=4)
        self.assertEqual(rep["error"]["code"], 320, rep)
        self.assertEqual(rep["error"]["data"]["error_status_name"],
                         "tooBig")
        self.assertEqual(rep["error"]["data"]["count"], 0)

    def test_start_oid_outside_the_subtree_refused(self):
        rows, rep = self.walk(start_oid="1.3.6.1.4.1.99998")
        self.assertEqual(rep["error"]["code"], -32602, rep)


if __name__ == "__main__":
    snmptest.main()
