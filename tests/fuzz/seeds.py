#!/usr/bin/env python3
"""seeds.py - write seed corpora for the libFuzzer targets of tests/fuzz/.

  seeds.py session DIR   agent answers for fuzz_session.c (the input
                         format is described there)
  seeds.py ctl DIR       control socket request lines for fuzz_ctl.c
  seeds.py config DIR    config files for fuzz_config.c
  seeds.py traps DIR     traps and informs for fuzz_traps.c
  seeds.py tcp DIR       SNMP over TCP byte streams for fuzz_tcp.c (the
                         first octet picks the read sizes)

Standard library only; tests/ber.py's tiny BER writer is enough for the
session seeds.
"""

import json
import os
import struct
import sys

# ------------------------------------------------------------------ BER

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from ber import tlv, ber_int as integer, ber_oid as oid  # noqa: E402


def octets(b, tag=0x04):
    return tlv(tag, b)


def seq(*parts):
    return tlv(0x30, b"".join(parts))


# Placeholders the fuzz_session fix-up turns into the request's IDs.
RID = b"\x02\x04RID!"
MID = b"\x02\x04MID!"


def varbind(name, value):
    return seq(oid(name), value)


def pdu(tag, vbs, status=0, index=0, reqid=RID):
    return tlv(tag, reqid + integer(status) + integer(index) + seq(*vbs))


def community_msg(version, body, community=b"public"):
    return seq(integer(version), octets(community), body)


ENGINE = bytes([0x80, 0x00, 0x1f, 0x88, 0x80, 0x66, 0x75, 0x7a, 0x7a, 0x21])


def v3_msg(body, flags, engine=ENGINE, boots=3, time=1000, user=b"fuzz",
           maclen=0, priv=False, msgid=MID):
    usm = seq(octets(engine), integer(boots), integer(time), octets(user),
              octets(b"\x00" * maclen), octets(b"\x00" * 8 if priv else b""))
    scoped = seq(octets(engine), octets(b""), body)
    data = octets(scoped) if priv else scoped
    glob = seq(msgid, integer(65507), octets(bytes([flags])), integer(3))
    return seq(integer(3), glob, octets(usm), data)


def frame(*dgrams):
    """[flags][len][bytes] records; flags 1 = fix up, from the agent."""
    out = b""
    for d in dgrams:
        flags = 1
        if isinstance(d, tuple):
            flags, d = d
        out += bytes([flags]) + struct.pack(">H", len(d)) + d
    return out


SYS = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.2.2.1"]


def resp_vbs(names):
    vals = [octets(b"fuzz agent"), integer(12345, 0x43),
            integer(2 ** 64 - 1, 0x46)]
    return [varbind(n, vals[i % len(vals)]) for i, n in enumerate(names)]


def walk_rows(start, n, endofmib=False):
    vbs = [varbind("1.3.6.1.2.1.2.2.1.1.%d" % (start + i), integer(i))
           for i in range(n)]
    if endofmib:
        vbs.append(varbind("1.3.6.1.2.1.2.2.1.9.9", tlv(0x82, b"")))
    return vbs


def report(arc, counter=1):
    return pdu(0xa8, [varbind("1.3.6.1.6.3.15.1.1.%d.0" % arc,
                              integer(counter, 0x41))])


def session_seeds():
    s = {}
    get, bulk, walk, disc = 0, 1, 2, 3

    def op(kind, o):
        return bytes([kind | o << 3])

    for kind, ver in ((0, 0), (1, 1)):
        r = community_msg(ver, pdu(0xa2, resp_vbs(SYS)))
        s["v%d_get" % (ver + 1)] = op(kind, get) + frame(r)
        s["v%d_walk" % (ver + 1)] = op(kind, walk) + frame(
            community_msg(ver, pdu(0xa2, walk_rows(1, 5))),
            community_msg(ver, pdu(0xa2, walk_rows(6, 5, True))))
    s["v2c_bulk_toobig"] = op(1, bulk) + frame(
        community_msg(1, pdu(0xa2, [], status=1)))
    s["v2c_wrong_port"] = op(1, get) + frame(
        (3, community_msg(1, pdu(0xa2, resp_vbs(SYS)))))
    s["v2c_duplicate"] = op(1, get) + frame(
        community_msg(1, pdu(0xa2, resp_vbs(SYS))),
        community_msg(1, pdu(0xa2, resp_vbs(SYS))))
    s["v2c_walk_stuck"] = op(1, walk) + frame(
        *[community_msg(1, pdu(0xa2, walk_rows(1, 1)))] * 3)
    s["v1_nosuchname"] = op(0, walk) + frame(
        community_msg(0, pdu(0xa2, resp_vbs(SYS[:1]), status=2, index=1)))
    s["v2c_timeout_then_late"] = op(1, get) + frame(
        (0x29, community_msg(1, pdu(0xa2, resp_vbs(SYS)))))

    # v3 with a preset engine: 5 authPriv (SHA/AES), 6 noAuthNoPriv, 7
    # authNoPriv (MD5).
    s["v3_priv_get"] = op(5, get) + frame(
        v3_msg(pdu(0xa2, resp_vbs(SYS)), 3, maclen=12, priv=True))
    s["v3_priv_walk"] = op(5, walk) + frame(
        v3_msg(pdu(0xa2, walk_rows(1, 5)), 3, maclen=12, priv=True),
        v3_msg(pdu(0xa2, walk_rows(6, 5, True)), 3, maclen=12, priv=True))
    s["v3_noauth_get"] = op(6, get) + frame(v3_msg(pdu(0xa2,
                                                       resp_vbs(SYS)), 0))
    s["v3_auth_get"] = op(7, get) + frame(
        v3_msg(pdu(0xa2, resp_vbs(SYS)), 1, maclen=12))
    s["v3_auth_report_time"] = op(7, get) + frame(
        v3_msg(report(2), 1, boots=4, time=50, maclen=12),
        v3_msg(pdu(0xa2, resp_vbs(SYS)), 1, boots=4, time=51, maclen=12))
    s["v3_unknown_engine_report"] = op(5, get) + frame(
        v3_msg(report(4), 0, engine=b"\x80\x00\x00\x01\x02\x03"))
    for arc in (1, 3, 5, 6):
        s["v3_report_%d" % arc] = op(7, get) + frame(
            v3_msg(report(arc), 0))

    # Discovery: 2 noAuthNoPriv, 3 authNoPriv (MD5), 4 authPriv single
    # step.
    probe = v3_msg(report(4), 0, boots=0, time=0, user=b"")
    s["disc_noauth"] = op(2, get) + frame(
        probe, v3_msg(pdu(0xa2, resp_vbs(SYS)), 0))
    s["disc_auth"] = op(3, get) + frame(
        probe, v3_msg(report(2), 1, maclen=12),
        v3_msg(pdu(0xa2, resp_vbs(SYS)), 1, maclen=12))
    s["disc_single_step"] = op(4, disc) + frame(
        v3_msg(report(4), 0, boots=9, time=99, user=b""))
    s["disc_method_auth"] = op(3, disc) + frame(
        probe, v3_msg(report(2), 1, maclen=12))
    # Commands (1-octet records from "IPv6", no fix-up) under what is in
    # flight: option changes, interrupt, one more request.
    def cmd(c):
        return (6, bytes([c]))
    s["cmd_version_flip_mid_discovery"] = op(3, get) + frame(
        probe, cmd(0), v3_msg(report(2), 1, maclen=12), cmd(0))
    s["cmd_level_engine_port"] = op(5, walk) + frame(
        v3_msg(pdu(0xa2, walk_rows(1, 5)), 3, maclen=12, priv=True),
        cmd(1 | 2 << 3), cmd(2 | 16), cmd(3),
        v3_msg(pdu(0xa2, walk_rows(6, 5, True)), 3, maclen=12, priv=True))
    s["cmd_cred_accept_interrupt"] = op(7, get) + frame(
        cmd(7), cmd(4 | 2 << 3), cmd(5),
        v3_msg(pdu(0xa2, resp_vbs(SYS)), 1, maclen=12), cmd(5), cmd(6))
    s["cmd_v2c_more_requests"] = op(1, walk) + frame(
        cmd(7), cmd(7 | 8), community_msg(1, pdu(0xa2, walk_rows(1, 5))),
        community_msg(1, pdu(0xa2, resp_vbs(SYS))), cmd(0), cmd(6))
    s["disc_priv_walk"] = op(4, walk) + frame(
        v3_msg(report(4), 0, boots=9, time=99, user=b""),
        v3_msg(pdu(0xa2, walk_rows(1, 5, True)), 3, boots=9, time=99,
               maclen=12, priv=True))
    return s

# ---------------------------------------------------------------- traps

# fuzz_traps.c's own engine ID.
OURS = bytes([0x80, 0x00, 0x1f, 0x88, 0x04]) + b"fuzz"


def trap_seeds():
    up = varbind("1.3.6.1.2.1.1.3.0", integer(12345, 0x43))
    toid = varbind("1.3.6.1.6.3.1.1.4.1.0", oid("1.3.6.1.6.3.1.1.5.3"))
    more = [varbind("1.3.6.1.2.1.2.2.1.1.%d" % i, integer(i))
            for i in range(1, 4)] + [
        varbind("1.3.6.1.2.1.1.5.0", octets(b"\xff\x00binary")),
        varbind("1.3.6.1.2.1.4.20.1.1.10.0.0.1",
                octets(b"\x0a\x00\x00\x01", 0x40)),
        varbind("1.3.6.1.2.1.31.1.1.1.6.1", integer(2 ** 64 - 1, 0x46))]
    v2 = [up, toid] + more
    v1 = tlv(0xa4, oid("1.3.6.1.4.1.8072.2.3") +
             octets(b"\x7f\x00\x00\x01", 0x40) + integer(6) +
             integer(17) + integer(99, 0x43) + seq(*more))
    cold = tlv(0xa4, oid("1.3.6.1.4.1.8072") +
               octets(b"\x7f\x00\x00\x01", 0x40) + integer(0) +
               integer(0) + integer(1, 0x43) + seq())

    def v3(body, flags, engine, user, maclen=0, priv=False):
        return v3_msg(body, flags, engine=engine, boots=1, time=10,
                      user=user, maclen=maclen, priv=priv,
                      msgid=integer(4242))
    sender = bytes([0x80, 0x00, 0x1f, 0x88, 0x80]) + b"sender"

    def tsm(body, flags, ctx):
        """The same over DTLS: TSM (model 4), empty securityParameters."""
        glob = seq(integer(4343), integer(65507), octets(bytes([flags])),
                   integer(4))
        return seq(integer(3), glob, octets(b""),
                   seq(octets(ctx), octets(b""), body))
    probe = varbind("1.3.6.1.6.3.10.2.1.1.0", b"\x05\x00")
    return {
        "tsm_trap": tsm(pdu(0xa7, v2, reqid=integer(15)), 3, sender),
        "tsm_inform": tsm(pdu(0xa6, v2, reqid=integer(16)), 7, OURS),
        "tsm_rfc5343_probe": tsm(pdu(0xa0, [probe], reqid=integer(17)), 4,
                                 b"\x80\x00\x00\x00\x06"),
        "v1_cold": community_msg(0, cold),
        "v1_specific": community_msg(0, v1),
        "v2c_trap": community_msg(1, pdu(0xa7, v2, reqid=integer(7))),
        "v2c_inform": community_msg(1, pdu(0xa6, v2, reqid=integer(8))),
        "v2c_wrong_community": community_msg(1, pdu(0xa7, v2,
                                                    reqid=integer(9)),
                                             community=b"private"),
        "v3_noauth_trap": v3(pdu(0xa7, v2, reqid=integer(10)), 0, sender,
                             b"nobody"),
        "v3_noauth_inform": v3(pdu(0xa6, v2, reqid=integer(11)), 4, OURS,
                               b"nobody"),
        "v3_discovery": v3(pdu(0xa0, [], reqid=integer(12)), 4, b"", b""),
        "v3_auth_trap": v3(pdu(0xa7, v2, reqid=integer(13)), 1, sender,
                           b"alice", maclen=12),
        "v3_priv_inform": v3(pdu(0xa6, v2, reqid=integer(14)), 7, OURS,
                             b"alice", maclen=12, priv=True),
    }

# -------------------------------------------------------------- control


def rq(method, params=None, id=1):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return json.dumps(m).encode() + b"\n"


def ctl_seeds():
    T = {"host": "127.0.0.1", "port": 9, "timeout": "1ms", "retries": 0}
    T3 = dict(T, version="3", user="u", auth="sha", auth_password="abcdefgh",
              priv="aes", priv_password="abcdefgh")
    s = {
        "status": rq("daemon.status"),
        "stats": rq("daemon.stats"),
        "list": rq("session.list", {"state": "up"}),
        "show": rq("session.show", {"session": "s1"}),
        "get": rq("snmp.get", {"session": "s1", "oids": ["1.3.6.1.2.1.1.1.0",
                                                         ".1.3.6.1"]}),
        "get_target": rq("snmp.get", {"target": T, "oids": ["1.3.6"]}),
        "get_target_v3": rq("snmp.get", {"target": T3, "oids": ["1.3.6"]}),
        "getnext": rq("snmp.getnext", {"session": "s1", "oids": ["1.3"]}),
        "getbulk": rq("snmp.getbulk", {"session": "s1", "oids": ["1.3"],
                                       "non_repeaters": 0,
                                       "max_repetitions": 10}),
        "set": rq("snmp.set", {"session": "s1", "varbinds": [
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "s", "value": "here"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "x", "value": "0a ff"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "d", "value": "1.2.3"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "i", "value": -5},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "C",
             "value": "18446744073709551615"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "a", "value": "10.0.0.1"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "o", "value": "1.3.6.1"},
            {"oid": "1.3.6.1.2.1.1.6.0", "type": "OCTET STRING",
             "hex": "00ff"}]}),
        "walk": rq("snmp.walk", {"session": "s1", "oid": "1.3.6.1.2.1",
                                 "start_oid": "1.3.6.1.2.1.1",
                                 "limit": 10, "inside_range": True,
                                 "use_getnext": False, "max_repetitions": 5,
                                 "stream": False}),
        "discover": rq("snmp.discover", {"target": T3}),
        "hash": rq("usm.hash", {"auth": "sha256", "password": "abcdefgh",
                                "engine_id": "80001f8880aabbccdd"}),
        "inform": rq("snmp.inform", {"target": T, "trap_oid": "1.3.6.1.4",
                                     "varbinds": []}),
        "trap": rq("snmp.trap", {"target": dict(T, version="1"),
                                 "trap_oid": "1.3.6.1.6.3.1.1.5.1"}),
        "trap_list": rq("trap.list", {"limit": 10}),
        "subscribe": rq("events.subscribe", {"events": ["trap", "poll"],
                                             "sessions": ["s1"],
                                             "max_queue": 100}),
        "unsubscribe": rq("events.subscribe", {}) + rq(
            "events.unsubscribe", {"subscription": 1}, id=2),
        "poll": rq("poll.results", {"session": "s1"}) +
        rq("poll.value", {"session": "s1", "oid": "1.3.6.1.2.1.1.3.0"}) +
        rq("poll.run", {"session": "s1", "poll": "sys"}) +
        rq("poll.reset", {"session": "s1"}),
        "add": rq("session.add", {"session": "n1", "config": T}) +
        rq("session.config", {"session": "n1", "options": {"retries": 3}}) +
        rq("session.disable", {"session": "n1"}) +
        rq("session.enable", {"session": "n1"}) +
        rq("session.remove", {"session": "n1"}),
        "batch": b'[{"jsonrpc":"2.0","id":1,"method":"daemon.status"}]\n',
        "notification": b'{"jsonrpc":"2.0","method":"daemon.status"}\n',
        "ids": rq("daemon.status", id="x") + rq("daemon.status", id=None) +
        rq("daemon.status", id=1.5),
        "numbers": b'{"jsonrpc":"2.0","id":1,"method":"snmp.walk",'
        b'"params":{"session":"s1","oid":"1.3","limit":1e400,'
        b'"max_repetitions":-0}}\n',
        "nested": b'{"a":' * 40 + b'1' + b'}' * 40 + b"\n",
        "garbage": b"\xff\xfe{\"jsonrpc\n\n\r\n",
    }
    return s

# --------------------------------------------------------------- config


def config_seeds():
    full = {
        "control": {"socket": "/nonexistent/ctl.sock", "mode": "0660"},
        "state_dir": "/nonexistent",
        "log": {"level": "debug"},
        "defaults": {"timeout": "500ms", "retries": 1,
                     "max_repetitions": 10},
        "credentials": {"ops": {"user": "ops", "auth": "sha256",
                                "auth_key": "00" * 32, "priv": "aes",
                                "priv_key": "11" * 32}},
        "polls": {
            "sys": {"get": ["1.3.6.1.2.1.1.3.0"], "interval": "30s",
                    "jitter": "1s"},
            "ifs": {"walk": ["1.3.6.1.2.1.2.2.1"], "interval": 60,
                    "max_repetitions": 25}},
        "templates": {"sw": {"version": "3", "credentials": "ops",
                             "polls": ["sys", "ifs"]}},
        "sessions": {
            "a": {"template": "sw", "host": "192.0.2.10",
                  "engine_id": "80001f8880aabbccdd"},
            "b": {"host": "192.0.2.20", "port": 1161, "version": "1",
                  "community": "public", "polls": ["sys"],
                  "walk_limit": 100, "check_message_origin": False},
            "c": {"host": "::1", "transport": "udp6", "version": "2c"}},
        "scheduler": {"down_after": 2, "backoff_min": "100ms"},
        "traps": {"listen": ["udp:127.0.0.1:0"], "communities": ["public"],
                  "users": ["ops"],
                  "journal": {"path": "traps.jsonl", "max_size": "1MiB",
                              "keep": 2, "fsync": "interval"}},
    }
    s = {
        "full": json.dumps(full, indent=1).encode(),
        "empty": b"{}",
        "sessions": json.dumps({"sessions": full["sessions"]}).encode(),
        "bad_duration": b'{"defaults": {"timeout": "5 parsecs"}}',
        "big_numbers": b'{"defaults": {"retries": 1e400, "timeout": '
        b'18446744073709551616}}',
        "comment": b'{\n  "sessions": {}\n}\n// trailing\n',
    }
    return s


# ------------------------------------------------------------------ tcp


def tcp_seeds():
    get = community_msg(1, pdu(0xa0, [varbind(SYS[0], b"\x05\x00")]))
    big = community_msg(1, pdu(0xa2, [varbind(SYS[0], octets(b"x" * 300))]))
    return {
        "one": b"\x00" + get,
        "two_in_one_read": b"\x00" + get + get,
        "bytewise": b"\x06" + get + big,
        "long_form": b"\x03" + big + get,
        "ten_mib_prefix": b"\x01\x30\x84\x00\xa0\x00\x00" + b"\x00" * 16,
        "indefinite": b"\x00\x30\x80" + get,
        "not_a_sequence": b"\x02\x04\x03abc" + get,
        "cut_short": b"\x05" + big[:-7],
    }


def main(argv):
    kinds = {"session": session_seeds, "ctl": ctl_seeds,
             "config": config_seeds, "traps": trap_seeds, "tcp": tcp_seeds}
    if len(argv) != 3 or argv[1] not in kinds:
        sys.stderr.write(__doc__)
        return 2
    seeds = kinds[argv[1]]()
    os.makedirs(argv[2], exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(argv[2], name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
