#!/usr/bin/env python3
"""The documentation keeps up with the code (STYLE.md "Control commands").

Every JSON-RPC method of the table in daemon/methods.c has a section in
doc/protocol.md and is named in a man page, and some test under tests/
calls it; every snmpmgrctl command of the table in ctl/snmpmgrctl.c has
an entry in snmpmgrctl(1) and a line in `snmpmgrctl help`.  The tables
are read from the sources, so a method or command added without its
documentation or its test fails here.
"""

import glob
import os
import re
import shutil
import subprocess
import unittest

import snmptest


def src(*parts):
    return os.path.join(snmptest.top_srcdir(), *parts)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def table(path, start, entry):
    """The names of a C table: the lines after `start` up to its closing
    "};", each matching the regex `entry` (group 1 the name)."""
    text = read(path)
    i = text.find(start)
    if i < 0:
        raise AssertionError("%s: no %r" % (path, start))
    body = text[i:text.index("};", i)]
    names = re.findall(entry, body)
    if not names:
        raise AssertionError("%s: empty table after %r" % (path, start))
    return names


def methods():
    return table(src("daemon", "methods.c"),
                 "static const struct method methods[]",
                 r'\{\s*"([a-z]+\.[a-z_.]+)",')


def commands():
    return table(src("ctl", "snmpmgrctl.c"),
                 "static const struct ctl_cmd ctl_cmds[]",
                 r'\{\s*"([a-z][a-z-]*)",\s*ctl_cmd_')


class MethodsAreDocumented(unittest.TestCase):

    def test_the_tables_are_read(self):
        # The guard is only as good as its parsing: these must be found.
        self.assertIn("snmp.get", methods())
        self.assertIn("session.list", methods())
        self.assertIn("walk", commands())
        self.assertIn("help", commands())
        self.assertEqual(methods(), sorted(methods()),
                         "methods.c's table must stay sorted (bsearch)")

    def test_every_method_has_a_protocol_section(self):
        doc = read(src("doc", "protocol.md"))
        # "### NAME" or "### NAME, OTHER" headings.
        heads = set()
        for line in doc.splitlines():
            if line.startswith("### "):
                for name in line[4:].split(","):
                    heads.add(name.strip())
        missing = [m for m in methods() if m not in heads]
        self.assertEqual(missing, [], "methods without a section in "
                         "doc/protocol.md")

    def test_every_method_is_in_a_man_page(self):
        pages = "".join(read(p) for p in glob.glob(src("man", "*.[0-9]")))
        missing = [m for m in methods()
                   if not re.search(r"(?<![\w.])%s(?![\w])" % re.escape(m),
                                    pages)]
        self.assertEqual(missing, [], "methods named in no man page")

    def test_every_method_is_called_by_a_test(self):
        me = os.path.basename(__file__)
        texts = [read(p) for p in
                 glob.glob(src("tests", "test_*.py")) +
                 glob.glob(src("tests", "check_*.c"))
                 if os.path.basename(p) != me]
        missing = [m for m in methods()
                   if not any('"%s"' % m in t or "'%s'" % m in t
                              for t in texts)]
        self.assertEqual(missing, [], "methods no test calls")


class CommandsAreDocumented(unittest.TestCase):

    def test_every_command_is_in_snmpmgrctl_1(self):
        page = read(src("man", "snmpmgrctl.1"))
        # ".It Cm NAME ..." or, for long synopses, ".It Xo" + ".Cm NAME".
        entries = set(re.findall(r"^\.It (?:Xo\n\.)?Cm ([a-z][a-z-]*)",
                                 page, re.M))
        missing = [c for c in commands() if c not in entries]
        self.assertEqual(missing, [], "commands without an entry "
                         "(.It Cm NAME) in snmpmgrctl(1)")

    def test_every_command_is_in_help(self):
        prog = os.path.join(snmptest.top_builddir(), "snmpmgrctl")
        if not os.access(prog, os.X_OK):
            if "top_builddir" in os.environ:
                raise AssertionError("%s not built" % prog)
            raise unittest.SkipTest("snmpmgrctl not built")
        out = subprocess.run([prog, "help"], capture_output=True,
                             text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        listed = set(re.findall(r"^  ([a-z][a-z-]*)", out.stdout, re.M))
        missing = [c for c in commands() if c not in listed]
        self.assertEqual(missing, [], "commands missing from "
                         "`snmpmgrctl help`")


class EventsAreDocumented(unittest.TestCase):

    def test_every_event_is_in_watch(self):
        # snmpmgrctl(1)'s watch lists every type events.subscribe takes.
        names = table(src("daemon", "events.c"),
                      "static const char *const event_names[EV__COUNT]",
                      r'\[EV_\w+\]\s*=\s*"([a-z-]+)"')
        self.assertIn("ssl-client-authentication", names)
        page = read(src("man", "snmpmgrctl.1"))
        i = page.index("\n.Cm watch\n")
        watch = page[i:page.index("\n.It ", i)]
        listed = set(re.findall(r"[ \n]([a-z][a-z-]*)", watch))
        missing = [n for n in names if n not in listed]
        self.assertEqual(missing, [], "event types missing from "
                         "snmpmgrctl(1) watch")


class ManPagesRender(unittest.TestCase):

    def test_groff_warns_of_nothing(self):
        """Every page under man/ renders with groff's warnings all on
        (-ww), read as mdoc and through -man (which hands mdoc on): a
        macro missing its argument (`.Ql` alone, `.Qq .`) warns there
        and renders as something else than meant."""
        if shutil.which("groff") is None:
            raise unittest.SkipTest("groff not installed")
        pages = sorted(glob.glob(src("man", "*.[1-8]")))
        self.assertGreaterEqual(len(pages), 3)
        for page in pages:
            for macros in ("-mdoc", "-man"):
                r = subprocess.run(["groff", macros, "-ww", "-z", page],
                                   capture_output=True, text=True,
                                   timeout=60)
                self.assertEqual((r.returncode, r.stderr), (0, ""),
                                 "%s %s" % (macros, page))


if __name__ == "__main__":
    snmptest.main()
