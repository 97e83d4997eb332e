#!/usr/bin/env python3
"""test_config.py - `snmpmgrd -t` against good and bad configuration files.

A valid file (with includes) must exit 0; each bad file must exit 1 and
print "FILE:LINE:COL: key.path: message" on stderr, naming the file (an
included one when the fault is there) and the line and column of the
offending key or value.  The expected position is marked with '@' in the
texts below and worked out by the test.  Skips (exit 77) when snmpmgrd has
not been built.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

TOP_BUILDDIR = os.environ.get("top_builddir",
                              os.path.join(os.path.dirname(__file__), ".."))
TOP_SRCDIR = os.environ.get("top_srcdir",
                            os.path.join(os.path.dirname(__file__), ".."))
SNMPMGRD = os.path.join(TOP_BUILDDIR, "snmpmgrd")


def strip_marker(text):
    """Return text without its '@' and the (line, column) the '@' was at."""
    at = text.index("@")
    before = text[:at]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return text.replace("@", "", 1), line, col


GOOD_MAIN = """{
  "control":  { "socket": "ctl.sock", "mode": "0660" },
  "state_dir": "%(dir)s",
  "log":      { "level": "info" },
  "include":  ["conf.d/*.json", "empty.d/*.json"],
  "defaults": { "timeout": "2s", "retries": 2 },
  "polls": {
    "system": { "get": ["1.3.6.1.2.1.1.3.0"], "interval": "30s" }
  },
  "templates": { "sw": { "version": "2c", "polls": ["system"] } },
  "sessions": {
    "core1":   { "template": "sw", "host": "192.0.2.10" },
    "printer": { "host": "192.0.2.20", "version": "1", "timeout": 1.5 }
  },
  "traps": { "listen": ["udp:127.0.0.1:1162"],
             "journal": { "max_size": "1MiB", "fsync": "none" } }
}
"""

GOOD_INCLUDED = """{ "sessions": { "ups1": { "host": "::1", "transport": "udp6",
                          "community": "monitor", "timeout": "500ms" },
                "ll": { "host": "fe80::1%not-up-yet" } } }
"""

# Each: (description, text with '@', text expected in the message)
BAD = [
    ("syntax error", '{\n  "log": { "level": "info" }\n  @"state_dir": "/x"\n}\n',
     None),
    ("bad duration",
     '{\n  "sessions": {\n    "core1": {\n      "host": "192.0.2.1",\n'
     '      "timeout": @"5 seconds"\n    }\n  }\n}\n',
     'sessions.core1.timeout: expected a duration such as "5s"'),
    ("unknown key",
     '{ "sessions": { "a": { "host": "h",\n    @"retires": 3 } } }\n',
     'sessions.a.retires: unknown session option (did you mean "retries"?)'),
    ("two letters swapped",
     '{ "sessions": { "a": { "host": "h",\n    @"prot": 161 } } }\n',
     'sessions.a.prot: unknown session option (did you mean "port"?)'),
    ("port range",
     '{ "sessions": { "a": { "host": "h", "port": @99999 } } }\n',
     "sessions.a.port: must be from 1 to 65535"),
    ("missing host", '{ "sessions": {\n  @"a": { "port": 1161 } } }\n',
     'sessions.a: no "host" given'),
    ("unknown poll",
     '{ "sessions": { "a": { "host": "h", "polls": [@"nope"] } } }\n',
     'sessions.a.polls[0]: no poll named "nope"'),
    ("snmpv3 level without keys",
     '{ "sessions": {\n  "a": { "host": "h", "version": "3",'
     ' "security_level": @"authNoPriv" } } }\n',
     "sessions.a.security_level: authNoPriv needs auth"),
    ("dtls session",
     '{ "sessions": {\n  @"a": { "host": "h", "transport": "dtls" } } }\n',
     'error 272: no "cert" given'),
    ("poll without interval",
     '{ "polls": { @"p": { "walk": ["1.3.6.1.2.1.2"] } } }\n',
     'polls.p: no "interval" given'),
    ("bad trap listen", '{ "traps": { "listen": [@"udp:[::]:162"] } }\n',
     "traps.listen[0]:"),
    ("tcp trap listen in brackets",
     '{ "traps": { "listen": [@"tcp:[::1]:162"] } }\n',
     'use "tcp6:[ADDR]:PORT" for IPv6'),
    ("traps.tcp bound", '{ "traps": { "tcp": { "max_connections": @0 } } }\n',
     "traps.tcp.max_connections:"),
    ("traps.tcp key", '{ "traps": { "tcp": { @"max_conections": 9 } } }\n',
     "traps.tcp.max_conections:"),
    # Hosts the transport cannot use: refused here, not "name does not
    # exist" at run time.
    ("host in brackets",
     '{ "sessions": { "a": { "host": @"[::1]" } } }\n',
     'sessions.a.host: "[::1]": an IPv6 address goes without brackets'),
    ("host with a port",
     '{ "sessions": { "a": { "host": @"127.0.0.1:161" } } }\n',
     'the port goes in "port"'),
    ("IPv4 address over udp6",
     '{ "sessions": { "a": { "transport": "udp6",\n'
     '  "host": @"127.0.0.1" } } }\n',
     'an IPv4 address, but transport "udp6" is IPv6 only'),
    ("not an IPv6 address",
     '{ "sessions": { "a": { "host": @"1:2:3:zz" } } }\n',
     '"1:2:3:zz": not an IPv6 address'),
    ("IPv4-mapped address",
     '{ "sessions": { "a": { "host": @"::ffff:192.0.2.1" } } }\n',
     'an IPv4-mapped address; give the IPv4 address itself'),
]


class ConfigCheckTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="test_config.")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, path):
        return subprocess.run([SNMPMGRD, "-t", "-c", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=20)

    def test_good_config_exits_0(self):
        main = self.write("snmpmgrd.json", GOOD_MAIN % {"dir": self.dir})
        self.write("conf.d/ups.json", GOOD_INCLUDED)
        r = self.check(main)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")

    def test_shipped_default_config_is_valid(self):
        path = os.path.join(TOP_SRCDIR, "etc", "snmpmgrd.json")
        if not os.path.exists(path):
            self.skipTest("etc/snmpmgrd.json not there")
        r = self.check(path)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_bad_configs_exit_1_with_position(self):
        for what, marked, message in BAD:
            with self.subTest(what):
                text, line, col = strip_marker(marked)
                path = self.write("bad.json", text)
                r = self.check(path)
                self.assertEqual(r.returncode, 1, r.stderr)
                first = r.stderr.splitlines()[0] if r.stderr else ""
                if message is None:
                    # jansson's own syntax errors: file and line exactly
                    self.assertRegex(first, "^%s:%d:[0-9]+: " %
                                     (re.escape(path), line))
                else:
                    self.assertTrue(
                        first.startswith("%s:%d:%d: " % (path, line, col)),
                        "%r, want %s:%d:%d" % (first, path, line, col))
                    self.assertIn(message, first)

    def test_error_in_included_file_names_that_file(self):
        text, line, col = strip_marker(
            '{ "polls": {\n    "p": { "get": ["1.3.6.1"],\n'
            '           "interval": @"often" } } }\n')
        inc = self.write("conf.d/bad.json", text)
        main = self.write("snmpmgrd.json",
                          '{ "state_dir": "%s", "include": ["conf.d/*.json"] }\n'
                          % self.dir)
        r = self.check(main)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("%s:%d:%d: polls.p.interval: "
                                            % (inc, line, col)), r.stderr)

    def test_duplicate_session_across_files_names_both(self):
        inc_text, il, ic = strip_marker('{ "sessions": { @"a": { "host": "x" } } }\n')
        main_text, ml, mc = strip_marker(
            '{ "include": ["conf.d/*.json"],\n  "sessions": { @"a": { "host": "y" } } }\n')
        inc = self.write("conf.d/dup.json", inc_text)
        main = self.write("snmpmgrd.json", main_text)
        r = self.check(main)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:%d:%d:" % (inc, il, ic), r.stderr)
        self.assertIn("%s:%d:%d" % (main, ml, mc), r.stderr)

    def test_byte_order_mark_is_ignored(self):
        # Some editors start UTF-8 files with a BOM; RFC 8259 lets a
        # parser ignore it, and errors keep their positions.
        path = self.write("bom.json", "\ufeff" + GOOD_INCLUDED)
        r = self.check(path)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = self.write("bom.json", '\ufeff{ "sessions": { "a": {\n'
                          '  "host": "h", "retires": 3 } } }\n')
        r = self.check(path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s:2:16: sessions.a.retires" % path, r.stderr)

    def test_missing_config_file_exits_1(self):
        r = self.check(os.path.join(self.dir, "absent.json"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("absent.json", r.stderr)


if __name__ == "__main__":
    if not os.access(SNMPMGRD, os.X_OK):
        print("snmpmgrd not built: skipping")
        sys.exit(77)
    unittest.main(verbosity=2)
