#!/usr/bin/env python3
"""test_mib - issue 12, MIB names: the "mibs" config, names in and out,
enum labels, DISPLAY-HINTs, index decoding, mib.translate and
snmpmgrctl translate / -On, checked against Net-SNMP's snmptranslate and
snmpwalk loading the same MIB files.

MIB files: tests/mibs/ holds two modules written for these tests (one
with a deliberate syntax error).  The IETF modules come from the npm
package net-snmp, fetched at test time into build/mibcache (`npm pack`);
Net-SNMP's own modules from Debian's libsnmp-base (/usr/share/snmp/mibs).
Without npm or the network the test is skipped, saying why.

MibCrash needs neither: Debian's Net-SNMP modules alone (their IETF
imports missing, as on a Debian machine without snmp-mibs-downloader)
and modules the test writes itself make libsmi 0.4.8 crash or hang;
the daemon must report them and carry on.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import Daemon, Snmpd  # noqa: E402

NET_SNMP_MIBS = "/usr/share/snmp/mibs"
MODULES = ["SNMPv2-MIB", "IF-MIB", "UCD-SNMP-MIB", "NET-SNMP-AGENT-MIB",
           "NET-SNMP-EXTEND-MIB", "SNMPMGR-TEST-MIB"]
TEST_MIBS = os.path.join(snmptest.top_srcdir(), "tests", "mibs")


def mib_cache():
    """The directory of net-snmp's npm package MIBs, fetched once."""
    cache = os.path.join(snmptest.top_builddir(), "mibcache")
    mibs = os.path.join(cache, "package", "lib", "mibs")
    if os.path.exists(os.path.join(mibs, "IF-MIB.mib")):
        return mibs
    npm = shutil.which("npm")
    if npm is None:
        raise unittest.SkipTest("npm not installed: cannot fetch the IETF "
                                "MIB modules (npm pack net-snmp)")
    os.makedirs(cache, exist_ok=True)
    try:
        r = subprocess.run([npm, "pack", "net-snmp", "--silent"], cwd=cache,
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise unittest.SkipTest("npm pack net-snmp timed out (no network?)")
    tgz = glob.glob(os.path.join(cache, "net-snmp-*.tgz"))
    if r.returncode != 0 or not tgz:
        raise unittest.SkipTest("npm pack net-snmp failed (no network?): "
                                + (r.stderr or r.stdout)[-300:])
    with tarfile.open(tgz[0]) as t:
        t.extractall(cache, members=[m for m in t.getmembers()
                                     if m.name.startswith("package/lib/mibs/")
                                     and m.isfile()])
    if not os.path.exists(os.path.join(mibs, "IF-MIB.mib")):
        raise unittest.SkipTest("net-snmp's npm package has no IF-MIB")
    return mibs


def ns_tool(cmd, dirs, modules, *args):
    prog = snmptest.find_program(cmd)
    if prog is None:
        raise unittest.SkipTest("%s not installed" % cmd)
    env = snmptest._client_env()
    r = subprocess.run([prog, "-M", ":".join(dirs), "-m", ":".join(modules)]
                       + list(args), capture_output=True, text=True,
                       timeout=120, env=env)
    return r


NAME_LINE = re.compile(r'^([A-Za-z][A-Za-z0-9-]*::\S.*?|iso[.0-9]*) = ')


class MibNames(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dirs = [mib_cache(), NET_SNMP_MIBS, TEST_MIBS]
        if not os.path.isdir(NET_SNMP_MIBS):
            raise unittest.SkipTest("libsnmp-base MIBs not installed")
        cls.agent = Snmpd(stable_view=True)
        cls.d = Daemon({
            "mibs": {"dirs": cls.dirs,
                     "modules": MODULES + ["SNMPMGR-BROKEN-MIB"]},
            "polls": {"sys": {"get": ["sysUpTime.0", "SNMPv2-MIB::sysName.0"],
                              "interval": "1h"},
                      "ifs": {"walk": ["IF-MIB::ifTable"],
                              "interval": "1h"}},
            # snmpd answers a large GetBulk of some of mib-2 slowly on a
            # loaded machine (one of the whole walk's timed out twice at
            # 3 s in CI): as test_tcp's mib-2 walk, 10 s a try
            "sessions": {"a": cls.agent.target(timeout="10s",
                                               polls=["sys", "ifs"])},
        })

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.agent.close()

    def rpc(self, method, params):
        return self.d.rpc(method, params, timeout=60)

    def test_broken_module_reported_others_load(self):
        log = self.d.log()
        self.assertRegex(log, r"SNMPMGR-BROKEN-MIB\.txt:\d+: syntax error")
        self.assertIn("module SNMPMGR-BROKEN-MIB failed to parse, skipped",
                      log)
        res = self.rpc("mib.translate", {"names": ["tstTemp"]})["result"]
        self.assertEqual(res["objects"][0]["oid"], "1.3.6.1.4.1.99999.1.2.1.5")
        err = self.rpc("mib.translate", {"names": ["brokenOther"]})["error"]
        self.assertEqual(err["code"], -32602)

    def test_check_mode_prints_mib_warnings(self):
        r = subprocess.run([self.d.prog, "-t", "-c", self.d.conf],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"warning: mibs: .*SNMPMGR-BROKEN-MIB")

    def test_names_in_params_and_errors(self):
        res = self.rpc("snmp.get", {"session": "a", "oids": [
            "sysUpTime.0", "SNMPv2-MIB::sysDescr.0", "IF-MIB::ifDescr.1",
            "ifAdminStatus.1", "1.3.6.1.2.1.1.5.0"]})["result"]
        oids = [v["oid"] for v in res["varbinds"]]
        self.assertEqual(oids, ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.1.0",
                                "1.3.6.1.2.1.2.2.1.2.1",
                                "1.3.6.1.2.1.2.2.1.7.1",
                                "1.3.6.1.2.1.1.5.0"])
        vb = res["varbinds"]
        self.assertEqual(vb[0]["name"], "SNMPv2-MIB::sysUpTime.0")
        self.assertEqual(vb[2]["index"], {"ifIndex": 1})
        self.assertEqual(vb[3]["enum"], "up")
        self.assertEqual(vb[3]["value"], 1)
        err = self.rpc("snmp.get", {"session": "a",
                                    "oids": ["ifDescrr.1"]})["error"]
        self.assertEqual(err["code"], -32602)
        self.assertIn("ifDescrr", err["message"])
        self.assertIn("did you mean IF-MIB::ifDescr", err["message"])
        err = self.rpc("snmp.walk", {"session": "a",
                                     "oid": "NO-SUCH-MIB::ifTable"})["error"]
        self.assertEqual(err["code"], -32602)
        # a walk by a table's name
        notes, reply = self.d.rpc_stream("snmp.walk", {
            "session": "a", "oid": "IF-MIB::ifTable"}, timeout=60)
        self.assertGreater(reply["result"]["count"], 0)
        self.assertTrue(reply["result"]["last_oid"].startswith(
            "1.3.6.1.2.1.2.2.1."))

    def test_poll_by_names(self):
        res = self.rpc("poll.run", {"session": "a", "poll": "sys"})
        text = json.dumps(res)
        self.assertIn('"SNMPv2-MIB::sysName.0"', text)
        self.assertIn('"1.3.6.1.2.1.1.3.0"', text)

    def test_display_hint_mac(self):
        notes, reply = self.d.rpc_stream("snmp.walk", {
            "session": "a", "oid": "ifPhysAddress"}, timeout=60)
        vbs = [v for n in notes if n.get("method") == "walk.rows"
               for v in n["params"]["varbinds"]]
        macs = [v for v in vbs if len(v.get("hex", "")) == 12]
        self.assertTrue(macs, vbs)
        for v in macs:
            h = v["hex"]
            self.assertEqual(v["display"], ":".join(
                h[i:i + 2] for i in range(0, 12, 2)))

    def whole_walk(self):
        notes, reply = self.d.rpc_stream("snmp.walk", {
            "session": "a", "oid": "1.3.6.1"}, timeout=120)
        self.assertIn("result", reply, reply)
        return [v for n in notes if n.get("method") == "walk.rows"
                for v in n["params"]["varbinds"]]

    def test_names_out_match_snmptranslate(self):
        vbs = self.whole_walk()
        self.assertGreater(len(vbs), 200)
        oids = [v["oid"] for v in vbs]
        theirs = []
        for i in range(0, len(oids), 200):
            r = ns_tool("snmptranslate", self.dirs, MODULES,
                        *["." + o for o in oids[i:i + 200]])
            theirs += [l for l in r.stdout.splitlines() if l.strip()]
        self.assertEqual(len(theirs), len(oids))
        diff = [(o, v.get("name"), t) for o, v, t in zip(oids, vbs, theirs)
                if v.get("name") != t]
        self.assertEqual(diff[:20], [])
        # and every name back to its OID through mib.translate
        names = [v["name"] for v in vbs]
        for i in range(0, len(names), 256):
            res = self.rpc("mib.translate", {"names": [
                n for n in names[i:i + 256] if '"' not in n and "'" not in n
            ] or ["sysUpTime.0"]})["result"]
            for o in res["objects"]:
                self.assertEqual(o["name"], o["input"])

    def test_names_match_snmpwalk(self):
        ours = [v["name"] for v in self.whole_walk()]
        r = ns_tool("snmpwalk", self.dirs, MODULES, "-v2c", "-c", "public",
                    self.agent.addr, ".1.3.6.1")
        theirs = [m.group(1) for m in map(NAME_LINE.match,
                                          r.stdout.splitlines()) if m]
        self.assertGreater(len(theirs), 200)
        self.assertEqual([n for n in ours if n not in theirs][:20], [])
        # snmpwalk may list one more row at the very end (see the report)
        self.assertEqual(ours, theirs[:len(ours)])
        self.assertGreater(len(ours), len(theirs) - 3)

    def test_ctl_names_and_numeric(self):
        r = self.d.ctl("get", "a", "sysUpTime.0", "ifAdminStatus.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("SNMPv2-MIB::sysUpTime.0 = Timeticks:", r.stdout)
        self.assertIn("IF-MIB::ifAdminStatus.1 = INTEGER: up(1)", r.stdout)
        for argv in (("-On", "get", "a", "ifAdminStatus.1"),
                     ("get", "-On", "a", "ifAdminStatus.1")):
            r = self.d.ctl(*argv)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(),
                             ".1.3.6.1.2.1.2.2.1.7.1 = INTEGER: 1")
        r = self.d.ctl("walk", "-On", "a", "sysORTable")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(".1.3.6.1.2.1.1.9.1."), r.stdout)

    def test_walk_index_and_ctl_print_the_daemons_rendering(self):
        # the renderer's index (written from the arcs for integer
        # indexes) is mib.translate's decoding of the same OID
        vbs = [v for v in self.whole_walk() if "index" in v]
        self.assertGreater(len(vbs), 20)
        for i in range(0, len(vbs), 256):
            res = self.rpc("mib.translate", {"names": [
                v["oid"] for v in vbs[i:i + 256]]})["result"]
            for v, o in zip(vbs[i:i + 256], res["objects"]):
                self.assertEqual((v["name"], v["index"]),
                                 (o["name"], o["index_values"]))
        # snmpmgrctl prints walk rows from their bytes (no JSON tree):
        # --json as snmp.walk returned them, text with the names and
        # enum labels, as it prints a get
        notes, reply = self.d.rpc_stream("snmp.walk", {
            "session": "a", "oid": "IF-MIB::ifTable"}, timeout=60)
        want = [v for n in notes if n.get("method") == "walk.rows"
                for v in n["params"]["varbinds"]]
        self.assertTrue(any("enum" in v for v in want), want[:5])
        self.assertEqual(self.d.ctl_json("walk", "a", "IF-MIB::ifTable"),
                         want)
        r = self.d.ctl("walk", "a", "IF-MIB::ifTable")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), len(want))
        for v, line in zip(want, lines):
            self.assertTrue(line.startswith(v["name"] + " = "), line)
            if "enum" in v:
                self.assertEqual(line, "%s = INTEGER: %s(%d)" % (
                    v["name"], v["enum"], v["value"]))

    def test_translate(self):
        r = self.d.ctl("translate", "ifAdminStatus.3", ".1.3.6.1.2.1.2.2.1.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn(".1.3.6.1.2.1.2.2.1.7.3", out)
        self.assertIn("IF-MIB::ifAdminStatus.3", out)
        self.assertIn("up(1), down(2), testing(3)", out)
        self.assertIn("read-write", out)
        self.assertIn("IF-MIB::ifDescr", out)
        self.assertIn('DISPLAY-HINT "255a"', out)
        self.assertIn("A textual string containing information", out)
        r = self.d.ctl("-On", "translate", "IF-MIB::ifInOctets.2")
        self.assertEqual(r.stdout.strip(), ".1.3.6.1.2.1.2.2.1.10.2")
        theirs = ns_tool("snmptranslate", self.dirs, MODULES, "-On",
                         "IF-MIB::ifInOctets.2").stdout.strip()
        self.assertEqual(theirs, ".1.3.6.1.2.1.2.2.1.10.2")
        r = self.d.ctl("translate", "ifInOctet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean IF-MIB::ifInOctets", r.stderr)

    def test_test_mib_index_enum_hints(self):
        oid = "1.3.6.1.4.1.99999.1.2.1.%d.7.3.97.98.99"
        res = self.rpc("mib.translate", {"names": [
            oid % 4, "SNMPMGR-TEST-MIB::tstState.7.3.97.98.99"]})["result"]
        a, s = res["objects"]
        self.assertEqual(a["name"], 'SNMPMGR-TEST-MIB::tstAddr.7."abc"')
        self.assertEqual(a["index_values"], {"tstIndex": 7, "tstName": "abc"})
        self.assertEqual(a["hint"], "1x:")
        self.assertEqual(s["oid"], oid % 3)
        self.assertEqual([e["label"] for e in s["enums"]],
                         ["idle", "busy", "broken"])
        theirs = ns_tool("snmptranslate", self.dirs, MODULES,
                         "." + oid % 4).stdout.strip()
        self.assertEqual(theirs, a["name"])


class MibPriority(unittest.TestCase):
    """Two modules naming one OID: the earlier listed wins, else SMIv2."""

    def names(self, modules):
        d = Daemon({"mibs": {"dirs": [mib_cache()], "modules": modules}})
        try:
            res = d.rpc("mib.translate", {"names": ["1.3.6.1.2.1.2.2",
                                                    "RFC1213-MIB::ifTable",
                                                    "IF-MIB::ifTable"]})
            return [o["name"] for o in res["result"]["objects"]]
        finally:
            d.close()

    def test_listed_first_wins(self):
        self.assertEqual(self.names(["RFC1213-MIB", "IF-MIB"]),
                         ["RFC1213-MIB::ifTable"] * 3)
        self.assertEqual(self.names(["IF-MIB", "RFC1213-MIB"]),
                         ["IF-MIB::ifTable"] * 3)

    def test_smiv2_over_smiv1_when_not_listed(self):
        # Both come in as imports of a third module: SMIv2 wins.
        self.assertEqual(self.names(["SNMPv2-MIB", "IF-MIB", "RFC1213-MIB"])[0],
                         "IF-MIB::ifTable")

    def test_no_mibs_section(self):
        d = Daemon({})
        try:
            err = d.rpc("snmp.get", {"target": {"host": "127.0.0.1"},
                                     "oids": ["sysUpTime.0"]})["error"]
            self.assertEqual(err["code"], -32602)
            self.assertIn("no MIB modules are loaded", err["message"])
        finally:
            d.close()


class MibTrapFilter(unittest.TestCase):
    """trap.list's trap_oid takes a MIB name wherever an OID goes."""

    def test_traps_trap_oid_by_name(self):
        if snmptest.find_program("snmptrap") is None:
            raise unittest.SkipTest("snmptrap not installed")
        port = snmptest.free_udp_port()
        d = Daemon({"mibs": {"dirs": [mib_cache()],
                             "modules": ["SNMPv2-MIB", "IF-MIB"]},
                    "traps": {"listen": ["udp:127.0.0.1:%d" % port],
                              "communities": ["public"]}})
        try:
            r = snmptest.net_snmp_run(
                "snmptrap", "-v2c", "-c", "public", "127.0.0.1:%d" % port,
                "", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7",
                opts=())
            self.assertEqual(r.returncode, 0, r.stderr)
            deadline = time.monotonic() + 5
            while d.call("trap.stats")["accepted"] < 1:
                self.assertLess(time.monotonic(), deadline, d.log()[-2000:])
                time.sleep(0.05)
            for name in ("linkDown", "IF-MIB::linkDown",
                         "1.3.6.1.6.3.1.1.5.3", "snmpTraps"):
                r = d.ctl("traps", "--trap-oid", name)
                self.assertEqual(r.returncode, 0, (name, r.stderr))
                self.assertIn(" v2c trap 1.3.6.1.6.3.1.1.5.3 ", r.stdout,
                              name)
            r = d.ctl("traps", "--trap-oid", "linkUp")
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
            r = d.ctl("traps", "--trap-oid", "IF-MIB::noSuchTrap")
            self.assertEqual(r.returncode, 1)
            self.assertIn("trap_oid", r.stderr)
        finally:
            d.close()


def debian_mibs():
    """Debian's Net-SNMP MIB directory.  Its files come with libsnmp-base
    (scripts/deps.sh installs it): missing under make check they fail
    the test; run by hand, they skip it."""
    if os.path.exists(os.path.join(NET_SNMP_MIBS, "NET-SNMP-TC.txt")):
        return NET_SNMP_MIBS
    why = ("%s/NET-SNMP-TC.txt is missing (Debian package libsnmp-base, "
           "scripts/deps.sh)" % NET_SNMP_MIBS)
    if "top_builddir" in os.environ:
        raise AssertionError(why)
    raise unittest.SkipTest(why)


# Written for this test: no imports, so it loads wherever it is.
GOOD_MIB = """SNMPMGR-GOOD-MIB DEFINITIONS ::= BEGIN

snmpmgrGood OBJECT IDENTIFIER ::= { iso 3 6 1 4 1 99999 70 }
goodThing   OBJECT IDENTIFIER ::= { snmpmgrGood 1 }

END
"""

# Written for this test.  Its base types are imported from a module that
# does not exist, so the textual convention's SYNTAX names a type libsmi
# cannot find: libsmi 0.4.8 reports "internal error!" at SYNTAX and then
# follows a NULL type (duplicateType) - the way Debian's NET-SNMP-TC
# crashes it without SNMPv2-SMI.
CRASH_MIB = """SNMPMGR-CRASH-MIB DEFINITIONS ::= BEGIN

-- Base types from nowhere: the convention below cannot resolve its
-- SYNTAX.

IMPORTS
    MODULE-IDENTITY, Opaque FROM SNMPMGR-NOWHERE-SMI
    TEXTUAL-CONVENTION FROM SNMPMGR-NOWHERE-TC;

CrashBlob ::= TEXTUAL-CONVENTION
    STATUS      current
    DESCRIPTION "A convention over a type that cannot be found."
    SYNTAX      Opaque

crashThing OBJECT IDENTIFIER ::= { iso 3 6 1 4 1 99999 71 }

END
"""


class MibCrash(unittest.TestCase):
    """A module libsmi crashes or hangs on is reported, naming it, and
    skipped; the others load; the daemon, -t and a reload live on."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="snmptest-mibcrash-")
        for name, text in (("SNMPMGR-GOOD-MIB", GOOD_MIB),
                           ("SNMPMGR-CRASH-MIB", CRASH_MIB)):
            with open(os.path.join(self.tmp, name + ".txt"), "w") as f:
                f.write(text)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, mibs, timeout=10.0):
        d = Daemon({"mibs": mibs}, start=False)
        self.addCleanup(d.close)
        d.start(timeout=timeout)
        return d

    def translate(self, d, name):
        return d.rpc("mib.translate", {"names": [name]}, timeout=30)

    def assert_good_loaded(self, d):
        res = self.translate(d, "goodThing")["result"]
        self.assertEqual(res["objects"][0]["oid"], "1.3.6.1.4.1.99999.70.1")

    def assert_no_children(self, d):
        # every reading child waited for: none left, not even a zombie
        with open("/proc/%d/task/%d/children" % (d.pid, d.pid)) as f:
            self.assertEqual(f.read().split(), [])

    def test_debian_mibs_alone(self):
        deb = debian_mibs()
        for modules, crashed in (
                (["NET-SNMP-TC"], "mibs: NET-SNMP-TC: libsmi crashed"),
                (["UCD-SNMP-MIB"], "mibs: UCD-SNMP-MIB: libsmi crashed"),
                ("all", "mibs: %s/NET-SNMP-TC.txt: libsmi crashed" % deb)):
            with self.subTest(modules=modules):
                mods = modules if modules == "all" else \
                    modules + ["SNMPMGR-GOOD-MIB"]
                d = self.start({"dirs": [deb, self.tmp], "modules": mods})
                log = d.log()
                self.assertIn(crashed, log)
                self.assertIn("while reading this", log)
                self.assertRegex(log, r"-(MIB|TC)\.txt:\d+: failed to "
                                 r"locate MIB module `SNMPv2-SMI'")
                self.assertRegex(log, r"mibs: \d+ modules, \d+ nodes, "
                                 r"loaded in")
                self.assertTrue(d.alive())
                self.assert_good_loaded(d)
                self.assert_no_children(d)
                d.close()

    def test_check_mode_reports_and_passes(self):
        d = Daemon({"mibs": {"dirs": [self.tmp], "modules": [
            "SNMPMGR-CRASH-MIB", "SNMPMGR-GOOD-MIB"]}}, start=False)
        self.addCleanup(d.close)
        r = subprocess.run([d.prog, "-t", "-c", d.conf],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        self.assertRegex(r.stderr, r"warning: mibs: .*SNMPMGR-CRASH-MIB\."
                         r"txt:\d+: internal error!")
        # signal 11, SIGSEGV (6, SIGABRT, when ASan catches it first)
        self.assertRegex(r.stderr, r"warning: mibs: SNMPMGR-CRASH-MIB: "
                         r"libsmi crashed \(signal \d+, [^)]+\) while "
                         r"reading this module or one it imports; skipped")

    def test_reload_into_a_crashing_module(self):
        d = self.start({"dirs": [self.tmp], "modules": ["SNMPMGR-GOOD-MIB"]})
        d.config["mibs"]["modules"] = ["SNMPMGR-CRASH-MIB",
                                       "SNMPMGR-GOOD-MIB"]
        d.write_config()
        r = d.ctl("reload", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("SNMPMGR-CRASH-MIB: libsmi crashed", r.stdout)
        self.assertTrue(d.alive(), d.log())
        self.assert_good_loaded(d)
        err = self.translate(d, "crashThing")["error"]
        self.assertEqual(err["code"], -32602)
        self.assert_no_children(d)
        # and again through daemon.reload: the same, every time
        res = d.rpc("daemon.reload", {}, timeout=60)["result"]
        self.assertTrue(any("SNMPMGR-CRASH-MIB: libsmi crashed" in w
                            for w in res["warnings"]), res)
        self.assertTrue(d.alive(), d.log())

    def test_hung_module_skipped_in_bounded_time(self):
        # A module file libsmi never finishes reading: a FIFO nobody
        # writes to blocks its open(2).
        os.mkfifo(os.path.join(self.tmp, "SNMPMGR-HANG-MIB.txt"))
        t0 = time.monotonic()
        d = self.start({"dirs": [self.tmp], "modules": [
            "SNMPMGR-HANG-MIB", "SNMPMGR-GOOD-MIB"]}, timeout=30)
        took = time.monotonic() - t0
        self.assertIn("mibs: SNMPMGR-HANG-MIB: libsmi was still busy after "
                      "5 s reading this module or one it imports; skipped",
                      d.log())
        self.assertLess(took, 15)
        self.assert_good_loaded(d)
        self.assert_no_children(d)


if __name__ == "__main__":
    unittest.main()
