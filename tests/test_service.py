#!/usr/bin/env python3
"""test_service - the systemd side of snmpmgrd.

The unit (systemd/snmpmgrd.service.in, with its paths filled in as make
does, pointing at the build tree) must pass `systemd-analyze verify` and
carry what the service needs (Type=notify, ExecReload, its directories,
a dedicated user, the hardening); skipped where systemd-analyze is
missing.  And snmpmgrd must speak the notify protocol a Type=notify
service promises: READY=1 at start, RELOADING=1 with MONOTONIC_USEC then
READY=1 around a reload (also one that is refused), STOPPING=1 at SIGTERM.
Standard library only.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import snmptest  # noqa: E402
from snmptest import top_builddir, top_srcdir  # noqa: E402

UNIT_IN = os.path.join(top_srcdir(), "systemd", "snmpmgrd.service.in")


def make_unit(dirpath, sbindir, sysconfdir):
    """The unit as make generates it, for these directories."""
    with open(UNIT_IN) as f:
        text = f.read()
    text = (text.replace("@sbindir@", sbindir)
            .replace("@sysconfdir@", sysconfdir)
            .replace("@runstatedir@", "/run"))
    path = os.path.join(dirpath, "snmpmgrd.service")
    with open(path, "w") as f:
        f.write(text)
    return path, text


def directives(text):
    """{key: [values]} of the unit's [Service] section."""
    out = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[(\w+)\]$", line)
        if m:
            section = m.group(1)
            continue
        if section != "Service":
            continue
        k, _, v = line.partition("=")
        out.setdefault(k, []).append(v)
    return out


class Unit(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test-service-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        etc = os.path.join(self.tmp, "etc")
        os.makedirs(os.path.join(etc, "snmpmgrd"))
        shutil.copy(os.path.join(top_srcdir(), "etc", "snmpmgrd.json"),
                    os.path.join(etc, "snmpmgrd", "snmpmgrd.json"))
        self.unit, self.text = make_unit(self.tmp, top_builddir(), etc)

    def test_unit_has_what_the_service_needs(self):
        d = directives(self.text)
        self.assertEqual(d["Type"], ["notify"])
        self.assertIn("-HUP", d["ExecReload"][0])
        self.assertIn("-t", d["ExecStartPre"][0])
        self.assertEqual(d["RuntimeDirectory"], ["snmpmgrd"])
        self.assertEqual(d["StateDirectory"], ["snmpmgrd"])
        self.assertEqual(d["User"], ["snmpmgrd"])
        for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                     ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                     ("PrivateDevices", "yes"),
                     ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
                     ("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"),
                     ("AmbientCapabilities", "CAP_NET_BIND_SERVICE")):
            self.assertEqual(d[k], [v], k)
        self.assertIn("@system-service", d["SystemCallFilter"])
        # /proc stays hidden to the daemon but for its own processes ...
        self.assertEqual(d["ProtectProc"], ["invisible"])
        # ... and shows the host's /proc/net/snmp, where trap.stats reads
        # the system's UDP drop counters: ProcSubset=pid would hide it.
        self.assertNotIn("ProcSubset", d)
        # The sysusers file makes that user.
        with open(os.path.join(top_srcdir(), "systemd",
                               "snmpmgrd.sysusers")) as f:
            self.assertRegex(f.read(), r"(?m)^u snmpmgrd ")

    def test_systemd_analyze_verify_passes(self):
        prog = snmptest.find_program("systemd-analyze")
        if prog is None:
            raise unittest.SkipTest("systemd-analyze not installed")
        r = subprocess.run([prog, "verify", "--man=no", self.unit],
                           capture_output=True, text=True, timeout=60)
        # Complaints about other units of the host are not ours.
        ours = [l for l in (r.stdout + r.stderr).splitlines()
                if "snmpmgrd" in l]
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(ours, [])

    def test_verify_catches_a_broken_unit(self):
        """The check above can fail: a typo in a directive is caught."""
        prog = snmptest.find_program("systemd-analyze")
        if prog is None:
            raise unittest.SkipTest("systemd-analyze not installed")
        bad = os.path.join(self.tmp, "bad", "snmpmgrd.service")
        os.makedirs(os.path.dirname(bad))
        with open(bad, "w") as f:
            f.write(self.text.replace("Type=notify", "Type=notifyy"))
        r = subprocess.run([prog, "verify", "--man=no", bad],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("snmpmgrd.service", r.stdout + r.stderr)


class ProcSandbox(unittest.TestCase):
    """trap.stats under the /proc the unit gives the daemon, made here the
    way systemd makes it (a private proc mount in new user, mount and PID
    namespaces): with ProtectProc=invisible (hidepid) the system's UDP
    counters are there; with ProcSubset=pid (subset=pid), which the unit
    must not set, they are missing and trap.stats says why."""

    def daemon(self, proc_options):
        prog = snmptest.find_program("unshare")
        if prog is None:
            raise unittest.SkipTest("unshare not installed")
        probe = subprocess.run(
            [prog, "-r", "-m", "-p", "-f", "sh", "-c",
             "mount -t proc -o %s proc /proc" % proc_options],
            capture_output=True, text=True, timeout=30)
        if probe.returncode != 0:
            raise unittest.SkipTest("no private /proc mount here: %s"
                                    % probe.stderr.strip())
        port = snmptest.free_udp_port()
        d = snmptest.Daemon({"traps": {"listen": ["udp:127.0.0.1:%d" % port],
                                       "communities": ["public"]}},
                            start=False)
        self.addCleanup(d.close)
        wrapper = os.path.join(d.dir, "sandboxed")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec %s -r -m -p --kill-child=SIGTERM '
                    'sh -c \'mount -t proc -o %s proc /proc && '
                    'exec "$0" "$@"\' %s "$@"\n'
                    % (prog, proc_options, d.prog))
        os.chmod(wrapper, 0o755)
        d.prog = wrapper
        d.start()
        self.addCleanup(self.stop, d)
        return d

    def stop(self, d):
        """unshare does not pass SIGTERM on: stop the daemon, its child,
        by PID; unshare then exits with the daemon's status."""
        with open("/proc/%d/task/%d/children" % (d.pid, d.pid)) as f:
            child = int(f.read().split()[0])
        os.kill(child, signal.SIGTERM)
        self.assertEqual(d.proc.wait(10), 0, d.log())

    def test_protect_proc_invisible_keeps_the_counters(self):
        sysc = self.daemon("hidepid=invisible").call("trap.stats")["system"]
        self.assertIn("udp_in_errors", sysc)
        self.assertIn("udp_rcvbuf_errors", sysc)
        self.assertNotIn("error", sysc)

    def test_proc_subset_pid_is_stated(self):
        sysc = self.daemon("subset=pid").call("trap.stats")["system"]
        self.assertNotIn("udp_in_errors", sysc)
        self.assertRegex(sysc.get("error", ""),
                         r"^cannot read /proc/net/snmp: .+")


class Notify(unittest.TestCase):
    """The notify protocol, with this test standing in for systemd."""

    def test_ready_reloading_ready_stopping(self):
        tmp = tempfile.mkdtemp(prefix="test-notify-")
        self.addCleanup(shutil.rmtree, tmp, True)
        npath = os.path.join(tmp, "notify")
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(npath)
        n.settimeout(10)
        self.addCleanup(n.close)
        old = os.environ.get("NOTIFY_SOCKET")
        os.environ["NOTIFY_SOCKET"] = npath
        try:
            d = snmptest.Daemon({"sessions": {}})
        finally:
            if old is None:
                del os.environ["NOTIFY_SOCKET"]
            else:
                os.environ["NOTIFY_SOCKET"] = old
        with d:
            self.assertEqual(n.recv(4096), b"READY=1")
            before = time.monotonic_ns() // 1000
            d.signal(signal.SIGHUP)
            msg = n.recv(4096).decode()
            m = re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=(\d+)", msg)
            self.assertIsNotNone(m, msg)
            # CLOCK_MONOTONIC, as systemd compares it.
            self.assertGreaterEqual(int(m.group(1)), before)
            self.assertLess(int(m.group(1)), before + 10 * 1000000)
            self.assertEqual(n.recv(4096), b"READY=1")
            # A refused reload still ends with READY=1.
            with open(d.conf, "w") as f:
                f.write("{ broken")
            d.call("daemon.status")
            r = d.rpc("daemon.reload")
            self.assertIn("error", r)
            self.assertTrue(n.recv(4096).startswith(b"RELOADING=1\n"))
            self.assertEqual(n.recv(4096), b"READY=1")
            d.signal(signal.SIGTERM)
            self.assertEqual(n.recv(4096), b"STOPPING=1")
            self.assertEqual(d.proc.wait(10), 0)


if __name__ == "__main__":
    snmptest.main()
