#!/usr/bin/env python3
"""The layout stays what doc/architecture.md says it is.

doc/architecture.md names every source file of core/, daemon/ and ctl/
(as dir/name.c, dir/name.h or dir/name.[ch]) and names nothing that is
gone; no source file there is over 1,500 lines; core/ includes neither
libevent nor jansson; and no module (a .c with its .h) includes, through
other modules of the same program, a module that includes it back.
"""

import glob
import os
import re
import unittest

import snmptest

ROOMS = ("core", "daemon", "ctl")
MAX_LINES = 1500


def src(*parts):
    return os.path.join(snmptest.top_srcdir(), *parts)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def sources(room):
    return sorted(os.path.basename(p)
                  for p in glob.glob(src(room, "*.[ch]")))


def includes(room, name):
    """Project headers a file includes, as module stems (dir/stem)."""
    out = set()
    for inc in re.findall(r'^#include "([^"]+)"', read(src(room, name)),
                          re.M):
        if "/" in inc:
            d, f = inc.split("/", 1)
        else:
            d, f = room, inc
        stem = os.path.splitext(f)[0]
        # A private NAME_int.h belongs to the module it serves.
        if (d in ROOMS and os.path.exists(src(d, f)) and
                not stem.endswith("_int")):
            out.add("%s/%s" % (d, stem))
    return out


class LayoutMatchesTheDocument(unittest.TestCase):

    def test_every_file_is_named_and_every_name_exists(self):
        doc = read(src("doc", "architecture.md"))
        missing = []
        for room in ROOMS:
            for name in sources(room):
                stem, ext = os.path.splitext(name)
                pat = r"(?<![\w/])%s/%s(%s|\.\[ch\])(?![\w])" % (
                    room, re.escape(stem), re.escape(ext))
                if not re.search(pat, doc):
                    missing.append("%s/%s" % (room, name))
        self.assertEqual(missing, [], "files doc/architecture.md does "
                         "not name")
        gone = []
        for room, stem, ext in re.findall(
                r"(?<![\w/])(core|daemon|ctl)/([\w]+)(\.c|\.h|\.\[ch\])",
                doc):
            exts = [".c", ".h"] if ext == ".[ch]" else [ext]
            for e in exts:
                if not os.path.exists(src(room, stem + e)):
                    gone.append("%s/%s%s" % (room, stem, e))
        self.assertEqual(gone, [], "doc/architecture.md names files "
                         "that do not exist")

    def test_no_source_file_is_over_the_bound(self):
        big = []
        for room in ROOMS:
            for name in sources(room):
                n = read(src(room, name)).count("\n")
                if n > MAX_LINES:
                    big.append("%s/%s: %d lines" % (room, name, n))
        self.assertEqual(big, [], "files over %d lines" % MAX_LINES)

    def test_core_has_no_event_loop_and_no_json(self):
        bad = []
        for name in sources("core"):
            text = read(src("core", name))
            if re.search(r"^#include <(event2/|jansson\.h)", text, re.M):
                bad.append("core/" + name)
        self.assertEqual(bad, [], "core/ files including libevent or "
                         "jansson")

    def test_no_include_cycle_between_modules(self):
        graph = {}
        for room in ROOMS:
            for name in sources(room):
                mod = "%s/%s" % (room, os.path.splitext(name)[0])
                if mod.endswith("_int"):
                    continue
                graph.setdefault(mod, set()).update(
                    m for m in includes(room, name) if m != mod)
        cycles = []
        state = {}

        def visit(m, path):
            state[m] = 1
            for n in sorted(graph.get(m, ())):
                if state.get(n) == 1:
                    cycles.append(" -> ".join(path[path.index(n):] + [n]))
                elif n not in state:
                    visit(n, path + [n])
            state[m] = 2

        for m in sorted(graph):
            if m not in state:
                visit(m, [m])
        self.assertEqual(cycles, [], "include cycles between modules")


if __name__ == "__main__":
    snmptest.main()
