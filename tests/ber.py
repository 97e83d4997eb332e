"""ber - the little BER the Python tests write and read by hand.

Fake agents, floods and hostile peers build their messages with these
(definite lengths up to two octets, single-octet tags) and take requests
apart with them; the daemon's own codec is never used, so a test built on
them checks it from the outside.  Standard library only.
"""

import struct

INTEGER, OCTET_STRING, OID = 0x02, 0x04, 0x06
COUNTER32, GAUGE32, TIMETICKS, COUNTER64 = 0x41, 0x42, 0x43, 0x46
SYSUPTIME = "1.3.6.1.2.1.1.3.0"
TRAPOID = "1.3.6.1.6.3.1.1.4.1.0"


# ------------------------------------------------------------- encoding

def tlv(tag, body):
    """tag, length (short form or 0x81/0x82), body."""
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82]) + struct.pack(">H", n)
    return bytes([tag]) + ln + body


def ber_int(v, tag=INTEGER):
    """A signed integer in the fewest octets (two's complement)."""
    n = 1
    while not -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
        n += 1
    return tlv(tag, v.to_bytes(n, "big", signed=True))


def ber_uint(tag, v):
    """An unsigned application type (Counter32, Counter64, ...): a leading
    zero octet when the top bit is set."""
    return tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def ber_value(tag, v):
    """An INTEGER or an unsigned application type, by tag."""
    return ber_int(v) if tag == INTEGER else ber_uint(tag, v)


def ber_oid(oid):
    """An OBJECT IDENTIFIER from "1.3.6..." or a tuple of arcs."""
    arcs = ([int(a) for a in oid.split(".")] if isinstance(oid, str)
            else list(oid))
    out = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7f]
        a >>= 7
        while a:
            enc.insert(0, 0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(enc)
    return tlv(OID, out)


def response(version, community, reqid, varbinds, status=0, index=0):
    """A Response message; varbinds: [(oid or arcs, encoded value), ...]."""
    vbl = b"".join(tlv(0x30, ber_oid(o) + v) for o, v in varbinds)
    pdu = tlv(0xA2, ber_int(reqid) + ber_int(status) + ber_int(index) +
              tlv(0x30, vbl))
    return tlv(0x30, ber_int(version) + tlv(OCTET_STRING, community) + pdu)


def v2c_trap(reqid, trap_oid, community=b"public", text=b"x" * 40,
             pdu_type=0xA7):
    """An SNMPv2-Trap (sysUpTime 256, snmpTrapOID, sysName text); pdu_type
    0xA6 makes it an InformRequest."""
    vbs = (tlv(0x30, ber_oid(SYSUPTIME) + ber_int(256, TIMETICKS)) +
           tlv(0x30, ber_oid(TRAPOID) + ber_oid(trap_oid)) +
           tlv(0x30, ber_oid("1.3.6.1.2.1.1.5.0") + tlv(OCTET_STRING, text)))
    pdu = tlv(pdu_type, ber_int(reqid) + ber_int(0) + ber_int(0) +
              tlv(0x30, vbs))
    return tlv(0x30, ber_int(1) + tlv(OCTET_STRING, community) + pdu)


# ------------------------------------------------------------- decoding

def ber_read(buf, pos=0):
    """(tag, body, next position) of the TLV at buf[pos]."""
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, buf[pos:pos + n], pos + n


def ber_read_all(buf):
    """[(tag, body), ...] of the TLVs one after another in buf."""
    out, pos = [], 0
    while pos < len(buf):
        t, v, pos = ber_read(buf, pos)
        out.append((t, v))
    return out


def oid_arcs_of(body):
    """The arcs (a tuple) of an OBJECT IDENTIFIER's body."""
    arcs = [body[0] // 40, body[0] % 40]
    v = 0
    for b in body[1:]:
        v = v << 7 | (b & 0x7f)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    return tuple(arcs)


def oid_text(body):
    """"1.3.6..." of an OBJECT IDENTIFIER's body."""
    return ".".join(map(str, oid_arcs_of(body)))


def int_of(body):
    """A signed INTEGER's value from its body."""
    return int.from_bytes(body, "big", signed=True)
