"""snmptest - shared fixtures for snmpmgrd's Python tests.

Interop and daemon tests import this module (from their own directory) to
start real peers on loopback and to drive snmpmgrd through its control
socket:

  Snmpd      a Net-SNMP snmpd in the foreground on a free 127.0.0.1 (and
             optionally ::1) port, with its own temp dir and config.
  Daemon     snmpmgrd from the build tree with a JSON config written from a
             dict, its control socket in a temp dir, and a JSON-RPC client.
  net_snmp   run snmpget/snmpwalk/snmpbulkwalk/... with output options that
             make values easy to compare, and parse what they print into
             the same (oid, type, value) triples as our JSON varbinds
             (norm_varbind), so tests compare value for value.

Standard library only.  Every process started here is killed by PID when
the test stops it, when its context manager exits, and at interpreter exit.
"""

import atexit
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone

from ber import ber_int, tlv

__all__ = [
    "top_builddir", "top_srcdir", "free_udp_port", "find_program",
    "read_until_closed",
    "skip_unless", "Snmpd", "Daemon", "ControlClient", "RpcError",
    "net_snmp", "net_snmp_run", "parse_net_snmp_line", "parse_net_snmp",
    "norm_varbind", "NET_SNMP_OPTS", "WRITABLE_OID", "WRITABLE_OIDS",
    "SYS_UPTIME", "SYS_DESCR", "SYS_NAME", "MIB2", "VOLATILE_SUBTREES",
    "NUMERIC_TYPES", "parse_json_docs",
]

# ------------------------------------------------------------------ paths

_HERE = os.path.dirname(os.path.abspath(__file__))


def top_srcdir():
    """The source tree: $top_srcdir (set by make check) or tests/..."""
    d = os.environ.get("top_srcdir")
    if d:
        return os.path.abspath(d)
    return os.path.dirname(_HERE)


def top_builddir():
    """The build tree: $top_builddir (set by make check) or SRCDIR/build."""
    d = os.environ.get("top_builddir")
    if d:
        return os.path.abspath(d)
    return os.path.join(top_srcdir(), "build")


def find_program(name):
    """Full path of a peer program (also looks in the sbin directories,
    which are not on an ordinary user's PATH), or None."""
    p = shutil.which(name)
    if p:
        return p
    for d in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        c = os.path.join(d, name)
        if os.access(c, os.X_OK):
            return c
    return None


def skip_unless(*binaries):
    """unittest decorator: skip when a peer program is missing.
    scripts/deps.sh installs them all, so in CI nothing is skipped."""
    missing = [b for b in binaries if find_program(b) is None]
    return unittest.skipIf(missing, "missing: " + " ".join(missing))


def free_udp_port(family=socket.AF_INET):
    """A UDP port free right now on 127.0.0.1 (or ::1 with AF_INET6)."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def silent_tcp_port(test):
    """A TCP port on 127.0.0.1 that takes connections (the kernel's
    backlog) and never answers: an agent that is there but mute.  Closed
    when test ends."""
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    test.addCleanup(lsn.close)
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(4)
    return lsn.getsockname()[1]


def _free_udp_tcp_port(ipv6=False):
    """A port free for UDP and TCP on 127.0.0.1 (and ::1 with ipv6)."""
    want = [(socket.AF_INET, "127.0.0.1")]
    if ipv6:
        want.append((socket.AF_INET6, "::1"))
    for _ in range(50):
        p = free_udp_port(socket.AF_INET)
        try:
            for fam, host in want:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(fam, kind) as s:
                        s.bind((host, p))
            return p
        except OSError:
            continue
    raise RuntimeError("no port free for UDP and TCP")


def _free_udp_port_both():
    """A port free for UDP on both 127.0.0.1 and ::1."""
    for _ in range(50):
        p = free_udp_port(socket.AF_INET)
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
                s.bind(("::1", p))
            return p
        except OSError:
            continue
    raise RuntimeError("no UDP port free on both 127.0.0.1 and ::1")


# ---------------------------------------------------- process bookkeeping

_live = {}          # pid -> Popen, for the atexit sweep


def _track(proc):
    _live[proc.pid] = proc


def _kill(proc, sig=signal.SIGTERM, wait=5.0):
    """Signal proc by PID, wait up to `wait` s, then SIGKILL.  Returns the
    exit status (negative signal number when killed by a signal)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    _live.pop(proc.pid, None)
    return proc.returncode


@atexit.register
def _sweep():
    for proc in list(_live.values()):
        _kill(proc, signal.SIGKILL, 2.0)


def read_until_closed(sock, timeout=5.0):
    """(bytes received, closed?): what the peer sends until it closes
    (EOF or reset) or timeout seconds pass."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.1)
        if not r:
            continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return out, True
        if not chunk:
            return out, True
        out += chunk
    return out, False


# --------------------------------------------------------- agent probe

def _probe_packet(reqid):
    """An SNMPv3 engine-discovery request (RFC 3414 4): every snmpd answers
    it with a report, whatever communities or users it has."""
    glob = tlv(0x30, ber_int(reqid) + ber_int(65507) + tlv(0x04, b"\x04")
                + ber_int(3))
    usm = tlv(0x30, tlv(0x04, b"") + ber_int(0) + ber_int(0) + tlv(0x04, b"")
               + tlv(0x04, b"") + tlv(0x04, b""))
    pdu = tlv(0xA0, ber_int(reqid) + ber_int(0) + ber_int(0) + tlv(0x30, b""))
    scoped = tlv(0x30, tlv(0x04, b"") + tlv(0x04, b"") + pdu)
    return tlv(0x30, ber_int(3) + glob + tlv(0x04, usm) + scoped)


def _udp_answers(host, port, timeout=0.2):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(_probe_packet(int(time.time()) & 0x7fffff), (host, port))
            s.recvfrom(65535)
            return True
        except OSError:
            return False


# ------------------------------------------------------------------ snmpd

MIB2 = "1.3.6.1.2.1"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
# Net-SNMP 5.9.3: sysContact.0, sysName.0 and sysLocation.0 accept a set
# (OCTET STRING, 0..255 bytes) through an rwcommunity/rwuser as long as the
# config does NOT fix them (no syscontact/sysname/syslocation lines, which
# would make them read-only: notWritable).  snmpd saves the new value in
# its persistent snmpd.conf, so it survives restart().  Setting them through
# the ro community gives noAccess (v2c) / noSuchName (v1).
WRITABLE_OID = "1.3.6.1.2.1.1.6.0"      # sysLocation.0
WRITABLE_OIDS = ("1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0")

# Parts of mib-2 whose rows come and go with processes and sockets on the
# machine (including the test's own snmpget/snmpmgrctl): hrSWRun,
# hrSWRunPerf, TCP/UDP connection/listener/endpoint tables.  Snmpd(
# stable_view=True) hides them so two walks a moment apart list the same
# OIDs.
VOLATILE_SUBTREES = (
    "1.3.6.1.2.1.25.4", "1.3.6.1.2.1.25.5",
    "1.3.6.1.2.1.6.13", "1.3.6.1.2.1.6.19", "1.3.6.1.2.1.6.20",
    "1.3.6.1.2.1.7.5", "1.3.6.1.2.1.7.7",
)
# The modules snmpd starts without (snmpd -I -NAME,...): SMUX, and the
# TCP and UDP connection, listener and endpoint tables.  snmpd reads
# /proc/net/tcp again for every object it passes in those tables, even
# ones a view hides, so a walk past them with a few thousand sockets in
# TIME-WAIT (the suite's own HTTP and TCP tests leave ~5,000) took
# seconds per request and timed out.
SNMPD_LEFT_OUT = ("-smux,tcpTable,tcpConnectionTable,tcpListenerTable,"
                  "udpTable,udpEndpointTable")


class Snmpd:
    """A Net-SNMP snmpd on loopback, run as PEERS.md describes.

    Snmpd(ipv6=False, community="public", rw_community="private",
          extra_conf=(), persist_conf=(), engine_id=None,
          stable_view=False, agent_addresses=(), tcp=False, start=True)

    extra_conf: lines for the main config (e.g. "rwuser alice priv",
    "dlmod bigtable /path/bigtable.so", "view ..."). persist_conf: lines for
    the persistent snmpd.conf written before the first start (v3
    "createUser NAME SHA PASS AES PASS" go here).  engine_id: hex string
    ("0x8000...") for exactEngineID.  agent_addresses: extra agentAddress
    specs (e.g. "dtlsudp:127.0.0.1:PORT").  tcp: listen on
    tcp:127.0.0.1:PORT too (and tcp6:[::1]:PORT with ipv6; the same port
    number; addr_tcp and addr_tcp6 name them).
    community/rw_community None: no community line.

    Attributes: host ("127.0.0.1"), port, host6 ("::1" or None), dir,
    addr ("127.0.0.1:PORT", for Net-SNMP tools), addr6 ("udp6:[::1]:PORT"),
    pid.  Methods: start(), stop(), restart(), alive(), log(),
    target(**over) -> a session/target dict for snmpmgrd.
    """

    def __init__(self, ipv6=False, community="public", rw_community="private",
                 extra_conf=(), persist_conf=(), engine_id=None,
                 stable_view=False, agent_addresses=(), tcp=False,
                 start=True):
        self.prog = find_program("snmpd")
        if self.prog is None:
            raise unittest.SkipTest("snmpd not installed")
        self.dir = tempfile.mkdtemp(prefix="snmptest-snmpd-")
        os.mkdir(os.path.join(self.dir, "cert_indexes"))
        self.host = "127.0.0.1"
        self.host6 = "::1" if ipv6 else None
        self.port = (_free_udp_tcp_port(ipv6) if tcp else
                     _free_udp_port_both() if ipv6 else free_udp_port())
        self.community = community
        self.rw_community = rw_community
        self.proc = None
        self.conf = os.path.join(self.dir, "agent.conf")
        self.persist = os.path.join(self.dir, "snmpd.conf")
        self.pidfile = os.path.join(self.dir, "snmpd.pid")
        self.logpath = os.path.join(self.dir, "snmpd.log")

        addrs = ["udp:127.0.0.1:%d" % self.port]
        if ipv6:
            addrs.append("udp6:[::1]:%d" % self.port)
        self.tcp = tcp
        if tcp:
            addrs.append("tcp:127.0.0.1:%d" % self.port)
            if ipv6:
                addrs.append("tcp6:[::1]:%d" % self.port)
        addrs += list(agent_addresses)
        lines = ["[snmp] persistentDir %s" % self.dir,
                 "agentAddress " + ",".join(addrs),
                 "dontLogTCPWrappersConnects yes"]
        view = ""
        if stable_view:
            lines.append("view stable included .1")
            for sub in VOLATILE_SUBTREES:
                lines.append("view stable excluded .%s" % sub)
            view = " -V stable"
        if community:
            lines.append("rocommunity %s 127.0.0.1%s" % (community, view))
            if ipv6:
                lines.append("rocommunity6 %s ::1%s" % (community, view))
        if rw_community:
            lines.append("rwcommunity %s 127.0.0.1%s" % (rw_community, view))
            if ipv6:
                lines.append("rwcommunity6 %s ::1%s" % (rw_community, view))
        if engine_id:
            lines.append("exactEngineID %s" % engine_id)
        lines += list(extra_conf)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.persist, "w") as f:
            f.write("".join(l + "\n" for l in persist_conf))
        if start:
            self.start()

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def addr6(self):
        return "udp6:[::1]:%d" % self.port if self.host6 else None

    @property
    def addr_tcp(self):
        return "tcp:127.0.0.1:%d" % self.port if self.tcp else None

    @property
    def addr_tcp6(self):
        return ("tcp6:[::1]:%d" % self.port if self.tcp and self.host6
                else None)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def env(self):
        e = dict(os.environ)
        e.update(SNMP_PERSISTENT_DIR=self.dir, SNMPCONFPATH=self.dir, MIBS="")
        return e

    def start(self, timeout=10.0):
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [self.prog, "-f", "-Lo", "-C", "-I", SNMPD_LEFT_OUT,
             "-c", self.conf + "," + self.persist, "-p", self.pidfile],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=self.env())
        log.close()
        _track(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snmpd exited with %s:\n%s"
                                   % (self.proc.returncode, self.log()))
            if _udp_answers(self.host, self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("snmpd did not answer within %.0fs:\n%s"
                           % (timeout, self.log()))

    def stop(self):
        """SIGTERM by PID (snmpd then saves its persistent conf), wait."""
        rc = _kill(self.proc)
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def target(self, ipv6=False, **over):
        """Session options for snmpmgrd (config session or inline target)."""
        t = {"host": "::1" if ipv6 else self.host, "port": self.port,
             "version": "2c", "community": self.community or "public",
             "timeout": "1s", "retries": 1}
        if ipv6:
            t["transport"] = "udp6"
        t.update(over)
        return t

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and self.proc is not None:
            sys.stderr.write("--- snmpd log (%s)\n%s\n"
                             % (self.dir, self.log()))
        self.close()
        return False


# ----------------------------------------------------------- Net-SNMP CLI

# -On numeric OIDs; -Oe numbers instead of enum labels; -Ox every octet
# string as hex bytes (no guessing of printability, no quoting rules); -OU
# no units.  TimeTicks keep Net-SNMP's "Timeticks: (N) h:mm:ss" (-Ot would
# drop the type name) and the parser takes N.
NET_SNMP_OPTS = ("-On", "-Oe", "-Ox", "-OU")

_client_dir = None


def _client_env():
    """Net-SNMP clients with no MIBs, no ~/.snmp or /etc/snmp config, and a
    private persistent dir (they otherwise create /var/lib/snmp/...)."""
    global _client_dir
    if _client_dir is None:
        _client_dir = tempfile.mkdtemp(prefix="snmptest-client-")
        # (else each tool says "Created directory: .../cert_indexes")
        os.mkdir(os.path.join(_client_dir, "cert_indexes"))
        # As the daemon's test sessions wait: snmpd reads some MIB-2
        # tables from /proc per request, over a second on a loaded
        # machine, and the tools' 1 s retransmissions then queue up
        # behind it until every try has timed out.  "-t" still wins.
        with open(os.path.join(_client_dir, "snmp.conf"), "w") as f:
            f.write("timeout 3\nretries 2\n")
        atexit.register(shutil.rmtree, _client_dir, True)
    e = dict(os.environ)
    e.update(MIBS="", SNMPCONFPATH=_client_dir,
             SNMP_PERSISTENT_DIR=_client_dir)
    return e


def net_snmp_run(cmd, *args, opts=NET_SNMP_OPTS, timeout=60):
    """Run a Net-SNMP tool; the CompletedProcess (text)."""
    prog = find_program(cmd)
    if prog is None:
        raise unittest.SkipTest("%s not installed" % cmd)
    return subprocess.run([prog] + list(opts) + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=_client_env())


_RECORD = re.compile(r"^\.?\d+(\.\d+)* = ")


def _join_records(text):
    """Join continuation lines (long Hex-STRINGs wrap) to their record."""
    out = []
    for line in text.splitlines():
        if _RECORD.match(line) or not out:
            out.append(line.rstrip())
        elif line.strip():
            out[-1] += " " + line.strip()
    return out


class NetSnmpError(Exception):
    pass


def net_snmp(cmd, *args, check=True, opts=NET_SNMP_OPTS, timeout=60):
    """Run a Net-SNMP tool (snmpget, snmpgetnext, snmpbulkget, snmpset,
    snmpwalk, snmpbulkwalk, ...) with NET_SNMP_OPTS and return its output as
    one line per varbind (wrapped hex joined).  check: raise NetSnmpError on
    a non-zero exit status."""
    r = net_snmp_run(cmd, *args, opts=opts, timeout=timeout)
    if check and r.returncode != 0:
        raise NetSnmpError("%s %s: exit %d: %s" % (
            cmd, " ".join(map(str, args)), r.returncode, r.stderr.strip()))
    return _join_records(r.stdout)


NUMERIC_TYPES = ("Integer32", "Counter32", "Gauge32", "TimeTicks",
                 "Counter64", "UInteger32")

_NS_INT = {"INTEGER": "Integer32", "Counter32": "Counter32",
           "Gauge32": "Gauge32", "Unsigned32": "Gauge32",
           "Counter64": "Counter64", "UInteger32": "UInteger32"}


def _ns_hex(s):
    return bytes.fromhex(s.replace(" ", "").replace(":", ""))


def _ns_unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1]
    return re.sub(r'\\(["\\])', r"\1", s).encode("utf-8")


def parse_net_snmp_line(line):
    """One record printed by a Net-SNMP tool with NET_SNMP_OPTS ->
    (oid, type, value) in our naming (SPEC 3): oid dotted without leading
    dot; type as in doc/protocol.md; value an int for integer types
    (Counter64 too), bytes for OCTET STRING / Opaque / NsapAddress, a
    dotted string for OBJECT IDENTIFIER / IpAddress, None for NULL and the
    exceptions.  The same shape norm_varbind() makes of our JSON."""
    oid, sep, rest = line.partition(" = ")
    if not sep:
        raise ValueError("not a varbind line: %r" % line)
    oid = oid.strip().lstrip(".")
    rest = rest.strip()
    if rest == '""':
        return (oid, "OCTET STRING", b"")
    if rest.startswith("No Such Object"):
        return (oid, "noSuchObject", None)
    if rest.startswith("No Such Instance"):
        return (oid, "noSuchInstance", None)
    if rest.startswith("No more variables"):
        return (oid, "endOfMibView", None)
    if rest == "NULL":
        return (oid, "NULL", None)
    tname, sep, val = rest.partition(": ")
    if not sep:
        raise ValueError("unknown Net-SNMP value: %r" % line)
    val = val.strip()
    if tname in _NS_INT:
        m = re.search(r"-?\d+", val)     # "5", or "up(1)" without -Oe
        if m and "(" in val:
            m = re.search(r"\((-?\d+)\)", val)
            return (oid, _NS_INT[tname], int(m.group(1)))
        return (oid, _NS_INT[tname], int(m.group(0)))
    if tname == "Timeticks":
        m = re.match(r"\((\d+)\)", val)
        return (oid, "TimeTicks", int(m.group(1) if m else val))
    if tname == "Hex-STRING":
        return (oid, "OCTET STRING", _ns_hex(val))
    if tname == "STRING":
        return (oid, "OCTET STRING", _ns_unquote(val))
    if tname == "OID":
        return (oid, "OBJECT IDENTIFIER", val.lstrip("."))
    if tname in ("IpAddress", "Network Address"):
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", val):
            return (oid, "IpAddress", val)
        return (oid, "IpAddress", ".".join(str(b) for b in _ns_hex(val)))
    if tname in ("OPAQUE", "Opaque"):
        try:
            return (oid, "Opaque", _ns_hex(val))
        except ValueError:
            return (oid, "Opaque", val)
    if tname == "NsapAddress":
        return (oid, "NsapAddress", _ns_hex(val))
    raise ValueError("unknown Net-SNMP type %r in %r" % (tname, line))


def parse_net_snmp(lines):
    return [parse_net_snmp_line(l) for l in lines if l.strip()]


def norm_varbind(vb):
    """Our JSON varbind (doc/protocol.md) -> (oid, type, value) as
    parse_net_snmp_line() returns it."""
    oid = vb["oid"].lstrip(".")
    t = vb["type"]
    if t in NUMERIC_TYPES:
        return (oid, t, int(vb["value"]))
    if t in ("OCTET STRING", "Opaque", "NsapAddress"):
        if "hex" in vb:
            return (oid, t, bytes.fromhex(vb["hex"]))
        return (oid, t, vb["value"].encode("utf-8"))
    if t in ("OBJECT IDENTIFIER", "IpAddress"):
        return (oid, t, vb["value"].lstrip("."))
    return (oid, t, None)


# ----------------------------------------------------------------- daemon

class RpcError(Exception):
    """An error reply; .code, .message, .data, .reply."""

    def __init__(self, reply):
        e = reply.get("error") or {}
        self.code = e.get("code")
        self.message = e.get("message")
        self.data = e.get("data")
        self.reply = reply
        super().__init__("%s %s %s" % (self.code, self.message,
                                       self.data or ""))


class ControlClient:
    """One connection to snmpmgrd's control socket (JSON-RPC 2.0, one JSON
    object per line).  Notifications that arrive while waiting for a reply
    are kept in .notifications (and returned by rpc_stream)."""

    def __init__(self, path, timeout=10.0):
        self.path = path
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.notifications = []
        self.pending = {}       # replies read while waiting for another id

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, obj):
        self.send_line(json.dumps(obj).encode())

    def send_line(self, data):
        if not data.endswith(b"\n"):
            data += b"\n"
        self.sock.sendall(data)

    def read_line(self, timeout=None):
        """Next line (without \\n) as bytes; None at EOF; TimeoutError."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no line from snmpmgrd within %.1fs"
                                   % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def read_msg(self, timeout=None):
        line = self.read_line(timeout)
        if line is None:
            raise ConnectionError("snmpmgrd closed the control connection")
        return json.loads(line)

    def request(self, method, params=None, id=None):
        """Send a request; returns its id."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return id

    def wait_reply(self, id, timeout=None):
        """(notifications, reply) for request id."""
        notes = []
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while id not in self.pending:
            left = max(0.0, deadline - time.monotonic())
            msg = self.read_msg(left)
            if "id" in msg and ("result" in msg or "error" in msg):
                self.pending[msg["id"]] = msg
            else:
                notes.append(msg)
                self.notifications.append(msg)
        return notes, self.pending.pop(id)

    def rpc_stream(self, method, params=None, id=None, timeout=None):
        """(notifications received before the reply, reply dict)."""
        rid = self.request(method, params, id)
        return self.wait_reply(rid, timeout)

    def rpc(self, method, params=None, id=None, timeout=None):
        """The reply dict ({"jsonrpc","id","result"|"error"})."""
        return self.rpc_stream(method, params, id, timeout)[1]

    def call(self, method, params=None, timeout=None):
        """The result; RpcError on an error reply."""
        r = self.rpc(method, params, timeout=timeout)
        if "error" in r:
            raise RpcError(r)
        return r["result"]

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)


class Daemon:
    """snmpmgrd from the build tree.

    Daemon(config=None, debug=False, start=True, args=())

    config: the JSON config as a dict; "control.socket" and "state_dir"
    are filled in (in a temp dir) unless given.  The daemon runs as
    `snmpmgrd -c CONF -s SOCK [-d]`, its stderr kept in .stderr_path.

    .rpc(method, params=None, id=None) -> reply dict, on one persistent
    connection (.client); .rpc_stream(...) -> (notifications, reply);
    .call(...) -> result or RpcError; .connect() -> a new ControlClient;
    .raw(bytes) -> what the daemon sends back on a fresh connection until
    it closes or goes quiet; .ctl(*args, json=False) -> CompletedProcess of
    snmpmgrctl -s SOCK [--json] ARGS; .stop() -> exit status after SIGTERM;
    .alive(); .log() -> stderr so far.
    """

    def __init__(self, config=None, debug=False, start=True, args=()):
        self.bindir = top_builddir()
        self.prog = os.path.join(self.bindir, "snmpmgrd")
        self.ctlprog = os.path.join(self.bindir, "snmpmgrctl")
        self.dir = tempfile.mkdtemp(prefix="snmptest-daemon-")
        cfg = json.loads(json.dumps(config or {}))
        ctl = cfg.setdefault("control", {})
        ctl.setdefault("socket", os.path.join(self.dir, "control.sock"))
        cfg.setdefault("state_dir", os.path.join(self.dir, "state"))
        os.makedirs(cfg["state_dir"], exist_ok=True)
        self.config = cfg
        self.sock = ctl["socket"]
        self.conf = os.path.join(self.dir, "snmpmgrd.json")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.debug = debug
        self.args = list(args)
        self.proc = None
        self._client = None
        self._log_checked = 0
        self._stopped = False
        self.write_config()
        if start:
            self.start()

    def write_config(self, config=None):
        """(Re)write the config file (e.g. before a reload test)."""
        if config is not None:
            self.config = config
        with open(self.conf, "w") as f:
            json.dump(self.config, f, indent=2)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=10.0):
        if not os.access(self.prog, os.X_OK):
            # by hand: skip; under make check a missing daemon is a failure
            if "top_builddir" in os.environ:
                raise RuntimeError("%s not built" % self.prog)
            raise unittest.SkipTest("%s not built" % self.prog)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        err = open(self.stderr_path, "ab")
        self._stopped = False
        argv = [self.prog, "-c", self.conf, "-s", self.sock]
        if self.debug:
            argv.append("-d")
        self.proc = subprocess.Popen(argv + self.args,
                                     stdin=subprocess.DEVNULL,
                                     stdout=err, stderr=subprocess.STDOUT)
        err.close()
        _track(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("snmpmgrd exited with %s:\n%s"
                                   % (self.proc.returncode, self.log()))
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.sock)
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("snmpmgrd socket not ready within %.0fs:\n%s"
                           % (timeout, self.log()))

    @property
    def client(self):
        if self._client is None:
            self._client = ControlClient(self.sock)
        return self._client

    def connect(self, timeout=10.0):
        return ControlClient(self.sock, timeout)

    def rpc(self, method, params=None, id=None, timeout=None):
        return self.client.rpc(method, params, id, timeout)

    def rpc_stream(self, method, params=None, id=None, timeout=None):
        return self.client.rpc_stream(method, params, id, timeout)

    def call(self, method, params=None, timeout=None):
        return self.client.call(method, params, timeout)

    @property
    def notifications(self):
        return self.client.notifications

    def raw(self, data, timeout=2.0, quiet=0.5):
        """Send bytes on a fresh connection; return everything received
        until the daemon closes it, `quiet` s pass without data, or
        `timeout` s in all.  For hostile-input tests."""
        out = b""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.sock)
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            deadline = time.monotonic() + timeout
            while True:
                left = min(quiet, deadline - time.monotonic())
                if left <= 0:
                    break
                r, _, _ = select.select([s], [], [], left)
                if not r:
                    break
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
        return out

    def ctl(self, *args, json=False, timeout=30, input=None, env=None):
        """snmpmgrctl -s SOCK [--json] ARGS -> CompletedProcess (text)."""
        argv = [self.ctlprog, "-s", self.sock]
        if json:
            argv.append("--json")
        argv += [str(a) for a in args]
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout, input=input, env=env)

    def ctl_json(self, *args, timeout=30):
        """snmpmgrctl --json ARGS; the parsed JSON (or a list of the JSON
        documents when it prints several).  AssertionError on exit != 0."""
        r = self.ctl(*args, json=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(
                "snmpmgrctl %s: exit %d\nstdout: %s\nstderr: %s"
                % (" ".join(map(str, args)), r.returncode, r.stdout[-2000:],
                   r.stderr[-2000:]))
        return parse_json_docs(r.stdout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def stop(self, wait=5.0):
        """SIGTERM by PID; the exit status (SIGKILL after `wait` s).
        AssertionError when the daemon had died of a signal by itself or
        its stderr holds a sanitizer report (see check_health)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        died = (not self._stopped and self.proc is not None
                and self.proc.poll() is not None)
        self._stopped = True
        rc = _kill(self.proc, signal.SIGTERM, wait)
        self.check_health(died_by_itself=died)
        return rc

    # What ASan, LSan and UBSan print when they find something; a
    # sanitizer build (configure --enable-sanitizers) is only useful if
    # these fail the test rather than vanish with the temp dir.
    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:")

    def check_health(self, died_by_itself=None):
        """AssertionError when stderr (since the last check) holds a
        sanitizer report, or when the daemon died of a signal nobody sent
        (a crash).  stop() calls it; tests may call it any time."""
        if died_by_itself is None:
            died_by_itself = (not self._stopped and self.proc is not None
                              and self.proc.poll() is not None)
        text = self.log()
        new, self._log_checked = text[self._log_checked:], len(text)
        bad = [m for m in self.SANITIZER_MARKS if m in new]
        rc = self.proc.returncode if self.proc is not None else None
        if died_by_itself and rc is not None and rc < 0:
            bad.append("killed by signal %d" % -rc)
        if bad:
            raise AssertionError("snmpmgrd (%s): %s\n%s" % (
                self.dir, ", ".join(bad), new[-8000:]))

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            sys.stderr.write("--- snmpmgrd stderr (%s)\n%s\n"
                             % (self.dir, self.log()[-8000:]))
        self.close()
        return False


def main(verbosity=2):
    """unittest.main() for a TESTS script: exit 77 (automake's SKIP) when
    every test was skipped, e.g. because the peer programs are missing."""
    prog = unittest.main(verbosity=verbosity, exit=False)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)


def event_time(ev):
    """An event's `time` (UTC, milliseconds) as seconds since the epoch:
    when the daemon published it, by its clock, however late the test
    reads it."""
    return datetime.strptime(ev["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc).timestamp()


def parse_json_docs(text):
    """One JSON document -> it; several (one per line or concatenated) ->
    a list of them."""
    dec = json.JSONDecoder()
    docs = []
    i = 0
    text = text.strip()
    while i < len(text):
        obj, j = dec.raw_decode(text, i)
        docs.append(obj)
        i = j
        while i < len(text) and text[i].isspace():
            i += 1
    if len(docs) == 1:
        return docs[0]
    return docs


if __name__ == "__main__":
    # Smoke test by hand: start an agent and print sysDescr.0 through it.
    with Snmpd(ipv6=True) as a:
        print("snmpd pid %d on %s and %s" % (a.pid, a.addr, a.addr6))
        for l in net_snmp("snmpget", "-v2c", "-cpublic", a.addr, SYS_DESCR):
            print(parse_net_snmp_line(l))


class Watcher:
    """An events.subscribe stream on its own connection."""

    def __init__(self, daemon, events=("trap", "inform", "bad-packet",
                                       "discovery-request")):
        self.c = daemon.connect()
        self.c.call("events.subscribe", {"events": list(events)})
        self.seen = []

    def wait(self, pred, timeout=5.0):
        for e in self.seen:
            if pred(e):
                return e
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = self.c.read_msg(left)
            except TimeoutError:
                return None
            if msg.get("method") != "event":
                continue
            p = msg["params"]
            self.seen.append(p)
            if pred(p):
                return p

    def close(self):
        self.c.close()
