#!/usr/bin/env python3
"""test_interop - snmpmgrd against a real Net-SNMP snmpd, value for value.

One snmpd is started on 127.0.0.1 and ::1 (free port, own temp dir) and one
snmpmgrd with sessions for v1, v2c and IPv6 pointing at it.  Every operation
(get, getnext, getbulk, set, walk) is done both with snmpmgrctl --json (and
raw JSON-RPC) and with the matching Net-SNMP tool, and the results must be
equal OID for OID, type for type and value for value.  Values that change
on their own (counters, gauges, timeticks of a live system) are compared
against two Net-SNMP walks taken before and after ours.

The first class checks the fixtures themselves (tests/snmptest.py) against
snmpd alone, so it runs even before the daemon is built.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import (Daemon, MIB2, NUMERIC_TYPES, SYS_DESCR,
                      SYS_UPTIME, Snmpd, VOLATILE_SUBTREES, WRITABLE_OID,
                      WRITABLE_OIDS, net_snmp, net_snmp_run,
                      norm_varbind, parse_json_docs, parse_net_snmp,
                      parse_net_snmp_line, skip_unless, top_builddir)

SYSTEM = "1.3.6.1.2.1.1"
SYS_OBJECTID = "1.3.6.1.2.1.1.2.0"
IF_SPEED_1 = "1.3.6.1.2.1.2.2.1.5.1"            # Gauge32
IF_PHYS_ADDR = "1.3.6.1.2.1.2.2.1.6"            # binary octets (MACs)
IF_TABLE = "1.3.6.1.2.1.2.2"
IFX_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"     # Counter64 column
IP_ADDR_TABLE = "1.3.6.1.2.1.4.20.1.1"          # IpAddress column
NO_SUCH_OBJECT = "1.3.6.1.2.1.1.99.0"
NO_SUCH_INSTANCE = "1.3.6.1.2.1.1.1.99"
PAST_THE_END = "1.3.6.1.9"

# Counters, timeticks and gauges on a live system may move between two
# reads; so may a few Integer32 (hrStorageUsed, ...).
MONOTONIC_TYPES = ("Counter32", "Counter64", "TimeTicks")
# Octet strings that change by themselves: hrSystemDate.0 (the clock).
VOLATILE_TEXT = ("1.3.6.1.2.1.25.1.2.0",)


def oid_key(oid):
    return tuple(int(x) for x in oid.split("."))


def under(oid, root):
    return oid == root or oid.startswith(root + ".")


def ns(cmd, *args):
    """A Net-SNMP tool's output as parsed (oid, type, value) triples."""
    return parse_net_snmp(net_snmp(cmd, *args))


def vbs_of(doc):
    """Every varbind in what snmpmgrctl --json printed (a result object
    with "varbinds", walk.rows notifications, bare varbinds, lists)."""
    out = []
    if isinstance(doc, list):
        for d in doc:
            out += vbs_of(d)
    elif isinstance(doc, dict):
        if "oid" in doc and "type" in doc:
            out.append(norm_varbind(doc))
        elif "varbinds" in doc:
            out += vbs_of(doc["varbinds"])
        elif "params" in doc:
            out += vbs_of(doc["params"])
        elif "result" in doc:
            out += vbs_of(doc["result"])
    return out


def compare_sandwich(tc, before, ours, after, what):
    """ours must list the OIDs both Net-SNMP walks list and no OID neither
    lists; types must agree; values must be equal, or for a value that moved
    lie between the two Net-SNMP readings (monotonic types), or at worst be
    one of a handful of drifting live numbers (gauges, hrStorageUsed...)
    or VOLATILE_TEXT."""
    b = {o: (t, v) for o, t, v in before}
    a = {o: (t, v) for o, t, v in after}
    m = {o: (t, v) for o, t, v in ours}
    tc.assertEqual(len(m), len(ours), "%s: duplicate OIDs in our walk" % what)
    keys = [o for o, _, _ in ours]
    tc.assertEqual(keys, sorted(keys, key=oid_key),
                   "%s: our walk is not in OID order" % what)
    missing = sorted((set(b) & set(a)) - set(m), key=oid_key)
    tc.assertFalse(missing, "%s: OIDs Net-SNMP listed twice but we did not: "
                   "%s" % (what, missing[:10]))
    extra = sorted(set(m) - set(b) - set(a), key=oid_key)
    tc.assertFalse(extra, "%s: OIDs Net-SNMP never listed: %s"
                   % (what, extra[:10]))
    drift = []
    for oid, (t, v) in m.items():
        refs = [r[oid] for r in (b, a) if oid in r]
        for rt, rv in refs:
            tc.assertEqual(t, rt, "%s: type of %s" % (what, oid))
        if any(rv == v for _, rv in refs):
            continue
        if t not in NUMERIC_TYPES and oid not in VOLATILE_TEXT:
            tc.fail("%s: %s is %r, Net-SNMP read %r"
                    % (what, oid, v, [rv for _, rv in refs]))
        if (t in MONOTONIC_TYPES and len(refs) == 2
                and refs[0][1] <= v <= refs[1][1]):
            continue
        drift.append((oid, t, v, [rv for _, rv in refs]))
    # A decoding bug (sign, width, Counter64 high bits) hits hundreds of
    # values; a live system moves a few outside the sandwich.
    tc.assertLessEqual(len(drift), max(5, len(m) // 100),
                       "%s: values differ: %s" % (what, drift[:10]))
    return len(m)


# ------------------------------------------------------------ fixtures

@skip_unless("snmpd", "snmpget", "snmpset", "snmpbulkwalk")
class FixtureTests(unittest.TestCase):
    """tests/snmptest.py itself, against snmpd alone."""

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(ipv6=True, stable_view=True)

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()

    def test_parse_net_snmp_line_types(self):
        cases = [
            ('.1.3.6.1.2.1.1.1.0 = Hex-STRING: 4C 69 6E 75 78 20 76 6D 20 36 '
             '2E 31 38 2E 34 34 20 2D', ("1.3.6.1.2.1.1.1.0", "OCTET STRING",
                                         b"Linux vm 6.18.44 -")),
            ('.1.3.6.1.2.1.2.2.1.6.1 = ""',
             ("1.3.6.1.2.1.2.2.1.6.1", "OCTET STRING", b"")),
            ('.1.3.6.1.2.1.1.4.0 = STRING: "a \\"b\\""',
             ("1.3.6.1.2.1.1.4.0", "OCTET STRING", b'a "b"')),
            (".1.3.6.1.2.1.1.3.0 = Timeticks: (4711) 0:00:47.11",
             (SYS_UPTIME, "TimeTicks", 4711)),
            (".1.3.6.1.2.1.2.2.1.8.1 = INTEGER: up(1)",
             ("1.3.6.1.2.1.2.2.1.8.1", "Integer32", 1)),
            (".1.2 = INTEGER: -5", ("1.2", "Integer32", -5)),
            (".1.2 = Counter64: 18446744073709551615",
             ("1.2", "Counter64", 2 ** 64 - 1)),
            (".1.2 = Gauge32: 4294967295", ("1.2", "Gauge32", 2 ** 32 - 1)),
            (".1.2 = Counter32: 7", ("1.2", "Counter32", 7)),
            (".1.2 = OID: .1.3.6.1.4.1.8072.3.2.10",
             ("1.2", "OBJECT IDENTIFIER", "1.3.6.1.4.1.8072.3.2.10")),
            (".1.2 = IpAddress: 192.0.2.1", ("1.2", "IpAddress", "192.0.2.1")),
            (".1.2 = NULL", ("1.2", "NULL", None)),
            (".1.2 = No Such Object available on this agent at this OID",
             ("1.2", "noSuchObject", None)),
            (".1.2 = No Such Instance currently exists at this OID",
             ("1.2", "noSuchInstance", None)),
            (".1.2 = No more variables left in this MIB View (It is past the "
             "end of the MIB tree)", ("1.2", "endOfMibView", None)),
        ]
        for line, want in cases:
            self.assertEqual(parse_net_snmp_line(line), want, line)
        self.assertRaises(ValueError, parse_net_snmp_line, "Timeout: none")

    def test_norm_varbind_matches_parser(self):
        pairs = [
            ({"oid": "1.2", "type": "OCTET STRING", "value": "a \"b\""},
             '.1.2 = STRING: "a \\"b\\""'),
            ({"oid": "1.2", "type": "OCTET STRING", "hex": "eeff00"},
             ".1.2 = Hex-STRING: EE FF 00"),
            ({"oid": "1.2", "type": "Counter64",
              "value": "18446744073709551615"},
             ".1.2 = Counter64: 18446744073709551615"),
            ({"oid": "1.2", "type": "TimeTicks", "value": 5},
             ".1.2 = Timeticks: (5) 0:00:00.05"),
            ({"oid": "1.2", "type": "endOfMibView"},
             ".1.2 = No more variables left in this MIB View"),
        ]
        for vb, line in pairs:
            self.assertEqual(norm_varbind(vb), parse_net_snmp_line(line))
        self.assertNotEqual(
            norm_varbind({"oid": "1.2", "type": "Gauge32", "value": 5}),
            parse_net_snmp_line(".1.2 = Counter32: 5"))

    def test_join_wrapped_hex_string(self):
        lines = net_snmp("snmpget", "-v2c", "-cpublic", self.agent.addr,
                         SYS_DESCR)
        self.assertEqual(len(lines), 1)
        oid, t, v = parse_net_snmp_line(lines[0])
        self.assertEqual((oid, t), (SYS_DESCR, "OCTET STRING"))
        self.assertGreater(len(v), 16)      # longer than one wrapped line
        self.assertTrue(v.startswith(os.uname().sysname.encode()), v)

    def test_snmpd_answers_v4_and_v6(self):
        for addr in (self.agent.addr, self.agent.addr6):
            rows = ns("snmpget", "-v2c", "-cpublic", addr, SYS_UPTIME)
            self.assertEqual(rows[0][:2], (SYS_UPTIME, "TimeTicks"))

    def test_stable_view_hides_volatile_subtrees(self):
        for sub in VOLATILE_SUBTREES[:2]:
            rows = ns("snmpgetnext", "-v2c", "-cpublic", self.agent.addr, sub)
            self.assertFalse(under(rows[0][0], sub), rows)

    def test_writable_oids_accept_set_and_survive_restart(self):
        for i, oid in enumerate(WRITABLE_OIDS):
            net_snmp("snmpset", "-v2c", "-cprivate", self.agent.addr, oid,
                     "s", "fixture %d" % i)
        r = net_snmp_run("snmpset", "-v2c", "-cpublic", self.agent.addr,
                         WRITABLE_OID, "s", "nope")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("noAccess", r.stderr)
        self.agent.restart()
        got = ns("snmpget", "-v2c", "-cpublic", self.agent.addr,
                 *WRITABLE_OIDS)
        self.assertEqual([v for _, _, v in got],
                         [b"fixture %d" % i for i in range(3)])

    def test_v3_user_from_persist_conf(self):
        user = "createUser fx SHA fxauthpass AES fxprivpass"
        with Snmpd(community=None, rw_community=None, persist_conf=[user],
                   extra_conf=["rouser fx priv"]) as a:
            rows = ns("snmpget", "-v3", "-l", "authPriv", "-u", "fx",
                      "-a", "SHA", "-A", "fxauthpass", "-x", "AES",
                      "-X", "fxprivpass", a.addr, SYS_UPTIME)
            self.assertEqual(rows[0][:2], (SYS_UPTIME, "TimeTicks"))
            r = net_snmp_run("snmpget", "-v2c", "-cpublic", "-t", "0.2",
                             "-r", "0", a.addr, SYS_UPTIME)
            self.assertNotEqual(r.returncode, 0)

    def test_parse_json_docs(self):
        self.assertEqual(parse_json_docs('{"a": 1}\n'), {"a": 1})
        self.assertEqual(parse_json_docs('{"a": 1}\n{"b": 2}\n'),
                         [{"a": 1}, {"b": 2}])


# ------------------------------------------------------------ interop

def _built(name):
    return os.access(os.path.join(top_builddir(), name), os.X_OK)


@skip_unless("snmpd", "snmpget", "snmpgetnext", "snmpbulkget", "snmpset",
             "snmpwalk", "snmpbulkwalk")
@unittest.skipUnless((_built("snmpmgrd") and _built("snmpmgrctl"))
                     or "top_builddir" in os.environ,     # make check
                     "snmpmgrd/snmpmgrctl not built")
class InteropTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.agent = Snmpd(ipv6=True, stable_view=True)
        a = cls.agent
        # snmpd reads some MIB-2 tables from /proc per request: on a
        # loaded machine a large GetBulk of them takes over a second.
        slow = {"timeout": "3s", "retries": 2}
        try:
            cls.daemon = Daemon({
                "sessions": {
                    "v1": a.target(version="1", **slow),
                    "v2": a.target(**slow),
                    "v1rw": a.target(version="1", community="private",
                                     **slow),
                    "v2rw": a.target(community="private", **slow),
                    "v6": a.target(ipv6=True, **slow),
                    "v6v1": a.target(ipv6=True, version="1", **slow),
                }})
        except BaseException:
            a.close()
            raise

        # an interface with a MAC if there is one (lo's is empty)
        macs = ns("snmpwalk", "-v2c", "-cpublic", a.addr, IF_PHYS_ADDR)
        cls.mac = next((o for o, _, v in macs if len(v) == 6), macs[0][0])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.close()
        cls.agent.close()

    def setUp(self):
        if not self.daemon.alive():
            self.fail("snmpmgrd died:\n" + self.daemon.log()[-4000:])

    def tearDown(self):
        if not self.daemon.alive():
            sys.stderr.write(self.daemon.log()[-4000:])

    # -- helpers

    def ctl(self, *args):
        return self.daemon.ctl_json(*args)

    def rpc(self, method, params):
        r = self.daemon.rpc(method, params, timeout=30)
        self.assertNotIn("error", r, r)
        return r["result"]

    def addr(self, session):
        a = self.agent
        return a.addr6 if session.startswith("v6") else a.addr

    def nsver(self, session):
        return "-v1" if "v1" in session else "-v2c"

    def nscomm(self, session):
        return "-cprivate" if session.endswith("rw") else "-cpublic"

    def ns_for(self, cmd, session, *args):
        return ns(cmd, self.nsver(session), self.nscomm(session),
                  self.addr(session), *args)

    def ctl_walk(self, session, oid, *opts):
        return vbs_of(self.ctl("walk", *opts, session, oid))

    def walk_vs_net_snmp(self, session, oid, tool):
        before = self.ns_for(tool, session, oid)
        ours = self.ctl_walk(session, oid)
        after = self.ns_for(tool, session, oid)
        return compare_sandwich(self, before, ours, after,
                                "%s walk %s" % (session, oid))

    # -- get / getnext / getbulk

    def test_get_matches_snmpget(self):
        oids = [SYS_DESCR, SYS_OBJECTID, WRITABLE_OIDS[0], IF_SPEED_1,
                self.mac]
        for s in ("v1", "v2", "v6"):
            with self.subTest(session=s):
                ours = vbs_of(self.ctl("get", s, *oids))
                theirs = self.ns_for("snmpget", s, *oids)
                self.assertEqual(ours, theirs)
                types = {t for _, t, _ in ours}
                self.assertIn("OBJECT IDENTIFIER", types)
                self.assertIn("Gauge32", types)

    def test_get_through_raw_jsonrpc_matches_snmpget(self):
        oids = [SYS_DESCR, SYS_OBJECTID, self.mac]
        res = self.rpc("snmp.get", {"session": "v2", "oids": oids})
        self.assertEqual(res["error_status"], 0)
        self.assertEqual(vbs_of(res), self.ns_for("snmpget", "v2", *oids))
        # an inline target too
        res = self.rpc("snmp.get", {"target": self.agent.target(),
                                    "oids": oids})
        self.assertEqual(vbs_of(res), self.ns_for("snmpget", "v2", *oids))

    def test_get_adhoc_target_matches_snmpget(self):
        # snmpmgrctl -H: an inline target instead of a configured session
        oids = [SYS_DESCR, SYS_UPTIME, self.mac]
        for host, ver in (("127.0.0.1", "1"), ("[::1]", "2c")):
            with self.subTest(host=host, version=ver):
                ours = vbs_of(self.ctl(
                    "get", "-H", "%s:%d" % (host, self.agent.port),
                    "-v", ver, "-c", "public", *oids))
                addr = self.agent.addr6 if ":" in host else self.agent.addr
                theirs = ns("snmpget", "-v" + ver, "-cpublic", addr, *oids)
                self.assertEqual([x[:2] for x in ours],
                                 [x[:2] for x in theirs])
                self.assertEqual([ours[0], ours[2]], [theirs[0], theirs[2]])

    def test_get_exceptions_v2c(self):
        oids = [NO_SUCH_OBJECT, NO_SUCH_INSTANCE, SYS_UPTIME]
        res = self.rpc("snmp.get", {"session": "v2", "oids": oids})
        ours = vbs_of(res)
        theirs = self.ns_for("snmpget", "v2", *oids)
        self.assertEqual([x[:2] for x in ours], [x[:2] for x in theirs])
        self.assertEqual([x[1] for x in ours][:2],
                         ["noSuchObject", "noSuchInstance"])

    def test_get_v1_nosuchname(self):
        # RFC 1157 4.1.2: v1 reports a missing object as noSuchName (2)
        # with the index of the varbind, as Net-SNMP's snmpget shows.
        res = self.rpc("snmp.get", {"session": "v1",
                                    "oids": [SYS_UPTIME, NO_SUCH_OBJECT]})
        self.assertEqual(res["error_status"], 2)
        self.assertEqual(res["error_index"], 2)
        r = net_snmp_run("snmpget", "-v1", "-cpublic", "-Cf", self.agent.addr,
                         SYS_UPTIME, NO_SUCH_OBJECT)
        self.assertIn("noSuchName", r.stderr)
        cp = self.daemon.ctl("get", "v1", SYS_UPTIME, NO_SUCH_OBJECT)
        self.assertEqual(cp.returncode, 1, cp)

    def test_getnext_matches_snmpgetnext(self):
        oids = [SYSTEM, IF_TABLE, IFX_HC_IN_OCTETS, IP_ADDR_TABLE,
                "1.3.6.1.2.1.2.2.1.6.1"]
        for s in ("v1", "v2", "v6"):
            with self.subTest(session=s):
                ours = vbs_of(self.ctl("getnext", s, *oids))
                theirs = self.ns_for("snmpgetnext", s, *oids)
                self.assertEqual([x[:2] for x in ours],
                                 [x[:2] for x in theirs])
                for o, t in zip(ours, theirs):
                    if o[1] not in NUMERIC_TYPES:
                        self.assertEqual(o, t)
                types = {t for _, t, _ in ours}
                self.assertIn("IpAddress", types)
                if s != "v1":       # no Counter64 in SNMPv1 (RFC 2576 4.2)
                    self.assertIn("Counter64", types)

    def test_getnext_past_end_v2c(self):
        ours = vbs_of(self.ctl("getnext", "v2", PAST_THE_END))
        self.assertEqual(ours, self.ns_for("snmpgetnext", "v2", PAST_THE_END))
        self.assertEqual(ours[0][1], "endOfMibView")

    def test_getbulk_matches_snmpbulkget(self):
        oids = [SYS_UPTIME, SYSTEM, self.mac]
        res = self.rpc("snmp.getbulk", {"session": "v2", "oids": oids,
                                        "non_repeaters": 1,
                                        "max_repetitions": 7})
        ours = vbs_of(res)
        theirs = self.ns_for("snmpbulkget", "v2", "-Cn1", "-Cr7", *oids)
        self.assertEqual(len(ours), 1 + 2 * 7)
        self.assertEqual([x[:2] for x in ours], [x[:2] for x in theirs])
        self.assertEqual([x for x in ours if x[1] not in NUMERIC_TYPES],
                         [x for x in theirs if x[1] not in NUMERIC_TYPES])
        cl = vbs_of(self.ctl("getbulk", "-n", "1", "-r", "7", "v6", *oids))
        self.assertEqual([x[:2] for x in cl], [x[:2] for x in theirs])

    def test_getbulk_v1_is_error_305(self):
        r = self.daemon.rpc("snmp.getbulk", {"session": "v1",
                                             "oids": [SYSTEM]})
        self.assertEqual(r.get("error", {}).get("code"), 305, r)
        cp = self.daemon.ctl("getbulk", "v1", SYSTEM)
        self.assertEqual(cp.returncode, 1, cp)
        # Net-SNMP refuses the same
        self.assertNotEqual(net_snmp_run("snmpbulkget", "-v1", "-cpublic",
                                         self.agent.addr, SYSTEM).returncode,
                            0)

    # -- set

    def test_set_then_get_back(self):
        cases = [("v2rw", "s", "room 101, rack 7"),
                 ("v1rw", "s", "v1 set ok"),
                 ("v2rw", "x", "68 65 78 09 21")]
        for s, t, val in cases:
            with self.subTest(session=s, type=t):
                ours = vbs_of(self.ctl("set", s, WRITABLE_OID, t, val))
                want = val.encode() if t == "s" else bytes.fromhex(val)
                self.assertEqual(ours, [(WRITABLE_OID, "OCTET STRING", want)])
                self.assertEqual(self.ns_for("snmpget", "v2", WRITABLE_OID),
                                 ours)
                self.assertEqual(vbs_of(self.ctl("get", "v2", WRITABLE_OID)),
                                 ours)
        # and the other way: Net-SNMP sets, we read
        net_snmp("snmpset", "-v2c", "-cprivate", self.agent.addr,
                 WRITABLE_OID, "s", "set by snmpset")
        self.assertEqual(vbs_of(self.ctl("get", "v6", WRITABLE_OID)),
                         [(WRITABLE_OID, "OCTET STRING", b"set by snmpset")])

    def test_set_binary_to_displaystring_refused_alike(self):
        # snmpd checks sysLocation is a DisplayString (printable): both
        # managers get wrongValue (10) at index 1 for control bytes.
        res = self.rpc("snmp.set", {"session": "v2rw", "varbinds": [
            {"oid": WRITABLE_OID, "type": "x", "value": "00 ff 10 80"}]})
        self.assertEqual((res["error_status"], res["error_index"]), (10, 1),
                         res)
        r = net_snmp_run("snmpset", "-v2c", "-cprivate", self.agent.addr,
                         WRITABLE_OID, "x", "00 ff 10 80")
        self.assertIn("wrongValue", r.stderr)
        cp = self.daemon.ctl("set", "v2rw", WRITABLE_OID, "x", "00ff1080")
        self.assertEqual(cp.returncode, 1, cp)

    def test_set_through_raw_jsonrpc(self):
        res = self.rpc("snmp.set", {"session": "v2rw", "varbinds": [
            {"oid": WRITABLE_OIDS[0], "type": "OCTET STRING",
             "value": "ops@example.net"}]})
        self.assertEqual(res["error_status"], 0, res)
        self.assertEqual(self.ns_for("snmpget", "v2", WRITABLE_OIDS[0]),
                         [(WRITABLE_OIDS[0], "OCTET STRING",
                           b"ops@example.net")])

    def test_set_read_only_community_error_status(self):
        # v2c: noAccess (6); v1: noSuchName (2) (RFC 2576 4.3), both with
        # index 1, exactly as snmpset reports them.
        for s, status, name in (("v2", 6, "noAccess"), ("v1", 2,
                                                        "noSuchName")):
            with self.subTest(session=s):
                res = self.rpc("snmp.set", {"session": s, "varbinds": [
                    {"oid": WRITABLE_OID, "type": "s", "value": "x"}]})
                self.assertEqual((res["error_status"], res["error_index"]),
                                 (status, 1), res)
                r = net_snmp_run("snmpset", self.nsver(s), "-cpublic",
                                 self.agent.addr, WRITABLE_OID, "s", "x")
                self.assertIn(name, r.stderr)

    # -- walk

    def test_walk_mib2_v2c_matches_snmpbulkwalk(self):
        n = self.walk_vs_net_snmp("v2", MIB2, "snmpbulkwalk")
        self.assertGreater(n, 300)

    def test_walk_mib2_v1_matches_snmpwalk(self):
        n = self.walk_vs_net_snmp("v1", MIB2, "snmpwalk")
        self.assertGreater(n, 300)

    def test_walk_mib2_has_every_type(self):
        res = self.rpc("snmp.walk", {"session": "v2", "oid": MIB2,
                                     "stream": False})
        ours = vbs_of(res)
        types = {t for _, t, _ in ours}
        for t in ("Integer32", "OCTET STRING", "OBJECT IDENTIFIER",
                  "IpAddress", "Counter32", "Gauge32", "TimeTicks",
                  "Counter64"):
            self.assertIn(t, types)
        # binary octets come as "hex": hrSystemDate (DateAndTime) always,
        # and every non-empty ifPhysAddress (MACs) that Net-SNMP shows.
        hexed = {vb["oid"] for vb in res["varbinds"] if "hex" in vb}
        self.assertIn("1.3.6.1.2.1.25.1.2.0", hexed)
        for o, t, v in self.ns_for("snmpwalk", "v2", IF_PHYS_ADDR):
            if len(v) == 6:
                self.assertIn(o, hexed)
                self.assertIn((o, t, v), ours)

    def test_walk_getnext_on_v2c_matches_snmpwalk(self):
        before = self.ns_for("snmpwalk", "v2", IF_TABLE)
        ours = self.ctl_walk("v2", IF_TABLE, "--getnext")
        compare_sandwich(self, before, ours,
                         self.ns_for("snmpwalk", "v2", IF_TABLE),
                         "getnext walk")

    def test_walk_ipv6_matches_both_tools(self):
        self.walk_vs_net_snmp("v6", IF_TABLE, "snmpbulkwalk")
        self.walk_vs_net_snmp("v6v1", SYSTEM, "snmpwalk")

    def test_walk_through_raw_jsonrpc_streams_rows(self):
        notes, reply = self.daemon.rpc_stream(
            "snmp.walk", {"session": "v2", "oid": IF_TABLE,
                          "max_repetitions": 10}, timeout=30)
        self.assertIn("result", reply, reply)
        rows = [n for n in notes if n.get("method") == "walk.rows"
                and n["params"]["id"] == reply["id"]]
        self.assertGreater(len(rows), 1)
        ours = vbs_of(rows)
        self.assertEqual(reply["result"]["count"], len(ours))
        self.assertEqual(reply["result"]["last_oid"], ours[-1][0])
        before = self.ns_for("snmpbulkwalk", "v2", IF_TABLE)
        compare_sandwich(self, before, ours,
                         self.ns_for("snmpbulkwalk", "v2", IF_TABLE),
                         "raw walk")
        # stream false: the rows in the result
        res = self.rpc("snmp.walk", {"session": "v2", "oid": SYSTEM,
                                     "stream": False})
        self.assertEqual([x[:2] for x in vbs_of(res)],
                         [x[:2] for x in self.ns_for("snmpbulkwalk", "v2",
                                                     SYSTEM)])

    def test_walk_subtree_ends_at_subtree(self):
        for s in ("v1", "v2"):
            with self.subTest(session=s):
                ours = self.ctl_walk(s, SYSTEM)
                theirs = self.ns_for("snmpwalk", s, SYSTEM)
                self.assertEqual([x[:2] for x in ours],
                                 [x[:2] for x in theirs])
                self.assertTrue(all(under(o, SYSTEM) for o, _, _ in ours))
                nxt = self.ns_for("snmpgetnext", s, ours[-1][0])
                self.assertFalse(under(nxt[0][0], SYSTEM))

    def test_walk_limit(self):
        full = self.ns_for("snmpbulkwalk", "v2", MIB2)
        for s, lim in (("v2", 30), ("v1", 7), ("v2", 1)):
            with self.subTest(session=s, limit=lim):
                ours = self.ctl_walk(s, MIB2, "--limit", str(lim))
                self.assertEqual([o for o, _, _ in ours],
                                 [o for o, _, _ in full[:lim]])
        res = self.rpc("snmp.walk", {"session": "v2", "oid": MIB2,
                                     "limit": 40, "stream": False})
        self.assertEqual(len(vbs_of(res)), 40)

    def test_walk_start_oid_resumes(self):
        full = self.ns_for("snmpbulkwalk", "v2", IF_TABLE)
        start = full[len(full) // 2][0]
        for s in ("v1", "v2"):
            with self.subTest(session=s):
                ours = self.ctl_walk(s, IF_TABLE, "--start-oid", start)
                self.assertEqual([o for o, _, _ in ours],
                                 [o for o, _, _ in full[len(full) // 2 + 1:]])

    def test_walk_counter64_keeps_64_bits(self):
        ours = self.ctl_walk("v2", IFX_HC_IN_OCTETS)
        self.assertTrue(ours)
        self.assertTrue(all(t == "Counter64" for _, t, _ in ours))
        res = self.rpc("snmp.walk", {"session": "v2", "oid": IFX_HC_IN_OCTETS,
                                     "stream": False})
        for vb in res["varbinds"]:
            self.assertIsInstance(vb["value"], str)     # decimal string


if __name__ == "__main__":
    snmptest.main()
