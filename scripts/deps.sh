#!/bin/bash
# deps.sh - install the Debian 12 packages snmpmgrd needs to build, test and
# run its demo, when any is missing (systemd: systemd-analyze verify checks
# the unit in tests/test_service.py; libsmi2-dev for MIB names, libnats-dev
# for cluster mode, nats-server and prometheus as test peers, npm to fetch
# the IETF MIB modules tests translate with, libsnmp-base for Net-SNMP's
# own MIB files, which tests/test_mib.py reads alone too;
# python3-prometheus-client for its strict OpenMetrics parser, which
# tests/test_http.py checks /metrics with beside promtool).  Needs root
# (or sudo) only if something must be installed.
set -eu

PKGS="build-essential autoconf automake pkg-config libevent-dev libssl-dev
libjansson-dev check python3 python3-cryptography snmpd snmp snmptrapd python3-pysnmp4 libsnmp-dev
libsnmp-base python3-prometheus-client
systemd libsmi2-dev libnats-dev nats-server prometheus"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
# npm may come with a nodejs from elsewhere; Debian's package otherwise.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
