"""A small SNMPv3 agent inside the test process (USM, SHA-1 and AES-128),
for quirks real agents have and Net-SNMP's snmpd does not: it reports
engineBoots 0, never answers a GetRequest without varbinds, and answers
an authNoPriv message for its privacy user with an unauthenticated
usmStatsWrongDigests report (or not at all).

FakeV3Agent(user="fbuser", auth_password=..., priv_password=...,
            authnopriv="wrongdigests" | "silent", boots=0,
            time_reports=False)

It serves the table of tests/fakeagent.py (ROOT.N = INTEGER N) to Get
over SNMPv3 at authPriv, from a thread, on a free port of 127.0.0.1.
.requests counts the datagrams it got, .answered the messages it sent,
.reports the reports by usmStats name, .empty_gets the GetRequests
without varbinds it left unanswered.  .close() stops it.
time_reports: answer an authenticated message out of its time window
(other boots, or its clock far off) with an authenticated
usmStatsNotInTimeWindows report, as RFC 3414 3.2 step 7 says, instead of
dropping it; .reboot() then acts as a restart: boots + 1, engine time
from 0.  .values serves more objects, as in FakeAgent.
"""

import hashlib
import hmac
import os
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
try:
    from cryptography.hazmat.decrepit.ciphers import modes
except ImportError:
    from cryptography.hazmat.primitives.ciphers import modes

from ber import (ber_int, ber_oid, ber_read, ber_read_all, int_of,
                 oid_arcs_of, tlv)
from fakeagent import ROOT, FakeAgent

ENGINE_ID = bytes.fromhex("80001f8804666b6533")     # 9 octets, "fke3"
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
WRONG_DIGESTS = 5
UNKNOWN_ENGINE_IDS = 4
NOT_IN_TIME_WINDOWS = 2
NAMES = {2: "usmStatsNotInTimeWindows", 4: "usmStatsUnknownEngineIDs",
         5: "usmStatsWrongDigests"}


def sha1_key(password, engine_id):
    """RFC 3414 A.2.2: password to key, localized for engine_id."""
    pw = password.encode()
    data = (pw * (1048576 // len(pw) + 1))[:1048576]
    ku = hashlib.sha1(data).digest()
    return hashlib.sha1(ku + engine_id + ku).digest()


def aes_cfb(key, boots, etime, salt, data, encrypt):
    iv = boots.to_bytes(4, "big") + etime.to_bytes(4, "big") + salt
    c = Cipher(algorithms.AES(key[:16]), modes.CFB(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


class FakeV3Agent(FakeAgent):

    def __init__(self, user="fbuser", auth_password="fb-auth-pass",
                 priv_password="fb-priv-pass", authnopriv="wrongdigests",
                 boots=0, time_reports=False):
        self.user = user.encode()
        self.auth_key = sha1_key(auth_password, ENGINE_ID)
        self.priv_key = sha1_key(priv_password, ENGINE_ID)
        self.authnopriv = authnopriv
        self.boots = boots
        self.time_reports = time_reports
        self.start = time.monotonic() - 1000
        self.empty_gets = 0
        self.reports = {}
        self.counter = 0
        FakeAgent.__init__(self)

    def etime(self):
        return int(time.monotonic() - self.start)

    def reboot(self):
        self.start = time.monotonic()
        self.boots += 1

    def target(self, **over):
        t = {"host": self.host, "port": self.port, "version": "3",
             "user": self.user.decode(), "auth": "sha",
             "auth_password": "fb-auth-pass", "priv": "aes",
             "priv_password": "fb-priv-pass", "timeout": "500ms",
             "retries": 1}
        t.update(over)
        return t

    # -------------------------------------------------------- messages

    def _message(self, msgid, flags, user, scoped, salt=b""):
        """A whole message; signed (and scoped encrypted) per flags."""
        etime = self.etime()
        auth = b"\xa5" * 12 if flags & 1 else b""
        if flags & 2:
            scoped = tlv(0x04, aes_cfb(self.priv_key, self.boots, etime,
                                       salt, scoped, True))
        sec = tlv(0x30, tlv(0x04, ENGINE_ID) + ber_int(self.boots) +
                  ber_int(etime) + tlv(0x04, user) + tlv(0x04, auth) +
                  tlv(0x04, salt))
        gd = tlv(0x30, ber_int(msgid) + ber_int(65507) +
                 tlv(0x04, bytes([flags])) + ber_int(3))
        msg = tlv(0x30, ber_int(3) + gd + tlv(0x04, sec) + scoped)
        if flags & 1:
            mac = hmac.new(self.auth_key, msg.replace(auth, b"\0" * 12),
                           hashlib.sha1).digest()[:12]
            msg = msg.replace(auth, mac)
        return msg

    def _report(self, msgid, reqid, user, which, flags=0):
        self.counter += 1
        self.reports[NAMES[which]] = self.reports.get(NAMES[which], 0) + 1
        vb = tlv(0x30, ber_oid(USM_STATS + (which, 0)) +
                 tlv(0x41, self.counter.to_bytes(4, "big")))
        pdu = tlv(0xA8, ber_int(reqid) + ber_int(0) + ber_int(0) +
                  tlv(0x30, vb))
        scoped = tlv(0x30, tlv(0x04, ENGINE_ID) + tlv(0x04, b"") + pdu)
        return self._message(msgid, flags, user, scoped)

    def _answer(self, data):
        ver, gd, secp, scoped = ber_read_all(ber_read(data)[1])
        msgid, _, flags, _ = ber_read_all(gd[1])
        msgid, flags = int_of(msgid[1]), flags[1][0]
        eid, boots, etime, user, authp, privp = \
            ber_read_all(ber_read(secp[1])[1])
        user = user[1]
        if flags & 1 and user != self.user:
            return None
        if not flags & 2:
            reqid = int_of(ber_read_all(ber_read_all(scoped[1])[2][1])[0][1])
            if not eid[1]:
                return self._report(msgid, reqid, b"", UNKNOWN_ENGINE_IDS)
            if flags & 1:
                # authNoPriv for a user that has a privacy key.
                if self.authnopriv == "silent":
                    return None
                return self._report(msgid, reqid, user, WRONG_DIGESTS)
            return None
        digest = authp[1]
        mac = hmac.new(self.auth_key, data.replace(digest, b"\0" * 12),
                       hashlib.sha1).digest()[:12]
        if len(digest) != 12 or not hmac.compare_digest(mac, digest):
            return self._report(msgid, 0, user, WRONG_DIGESTS)
        if int_of(boots[1]) != self.boots or \
                abs(int_of(etime[1]) - self.etime()) > 150:
            if self.time_reports:
                return self._report(msgid, 0, user, NOT_IN_TIME_WINDOWS, 1)
            return None
        plain = aes_cfb(self.priv_key, int_of(boots[1]),
                        int_of(etime[1]), privp[1], scoped[1], False)
        _, _, (ptype, body) = ber_read_all(ber_read(plain)[1])
        if ptype != 0xA0:
            return None
        reqid, _, _, vbl = ber_read_all(body)
        oids = [oid_arcs_of(ber_read_all(vb[1])[0][1]) for vb in ber_read_all(vbl[1])]
        if not oids:
            self.empty_gets += 1
            return None
        out = b""
        for o in oids:
            ok = o[:len(ROOT)] == ROOT and len(o) == len(ROOT) + 1 or \
                o in self.values
            out += tlv(0x30, ber_oid(o) + (self._value(o) if ok else
                                           tlv(0x80, b"")))
        pdu = tlv(0xA2, ber_int(int_of(reqid[1])) + ber_int(0) +
                  ber_int(0) + tlv(0x30, out))
        scoped = tlv(0x30, tlv(0x04, ENGINE_ID) + tlv(0x04, b"") + pdu)
        return self._message(msgid, 3, user, scoped, os.urandom(8))
