"""pysnmp_responder - a pysnmp SNMPv3 command responder for test_v3.py.

Run with the system interpreter (/usr/bin/python3, python3-pysnmp4):

    /usr/bin/python3 pysnmp_responder.py PORT ENGINEID USER:AUTH:PRIV ...

AUTH is md5 or sha; PRIV is 3des, aes192r, aes192b, aes256r, aes256b
(r: Reeder key extension, pysnmp's usmAesCfb192/256Protocol; b:
Blumenthal, usmAesBlumenthalCfb192/256Protocol).  Every user has the
auth password "authpass-<USER>" and the priv password "privpass-<USER>",
and may read the whole MIB at authPriv.  Serves pysnmp's own SNMPv2-MIB
objects (sysDescr ...) on 127.0.0.1:PORT, prints "READY" once bound, and
runs until killed.
"""

import sys

from pysnmp import hlapi
from pysnmp.carrier.asyncore.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902

AUTH = {"md5": config.usmHMACMD5AuthProtocol,
        "sha": config.usmHMACSHAAuthProtocol}
PRIV = {"3des": config.usm3DESEDEPrivProtocol,
        "aes192r": hlapi.usmAesCfb192Protocol,
        "aes192b": hlapi.usmAesBlumenthalCfb192Protocol,
        "aes256r": hlapi.usmAesCfb256Protocol,
        "aes256b": hlapi.usmAesBlumenthalCfb256Protocol}


def main():
    port = int(sys.argv[1])
    eid = sys.argv[2]
    if eid.startswith("0x"):
        eid = eid[2:]
    snmp = engine.SnmpEngine(
        snmpEngineID=rfc1902.OctetString(hexValue=eid))
    config.addTransport(snmp, udp.domainName,
                        udp.UdpTransport().openServerMode(("127.0.0.1",
                                                           port)))
    for spec in sys.argv[3:]:
        user, auth, priv = spec.split(":")
        config.addV3User(snmp, user, AUTH[auth], "authpass-" + user,
                         PRIV[priv], "privpass-" + user)
        config.addVacmUser(snmp, 3, user, "authPriv", (1, 3, 6), (1, 3, 6))
    ctx = context.SnmpContext(snmp)
    cmdrsp.GetCommandResponder(snmp, ctx)
    cmdrsp.NextCommandResponder(snmp, ctx)
    cmdrsp.BulkCommandResponder(snmp, ctx)
    snmp.transportDispatcher.jobStarted(1)
    print("READY", flush=True)
    snmp.transportDispatcher.runDispatcher()


if __name__ == "__main__":
    main()
