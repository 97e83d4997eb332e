#!/bin/bash
# demo.sh - build snmpmgrd, make sure an SNMP agent answers on loopback
# (starting a private Net-SNMP snmpd when none does), run snmpmgrd with the
# shipped config and a control socket in a temp dir, and show snmpmgrctl
# at work against it.  Everything it starts is stopped by PID on exit.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"

B="$top/build"
DAEMON="$B/snmpmgrd"
CTL="$B/snmpmgrctl"
CONF="$top/etc/snmpmgrd.json"
for p in "$DAEMON" "$CTL"; do
	[ -x "$p" ] || { echo "demo.sh: $p was not built" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/snmpmgrd-demo.XXXXXX)
SOCK="$tmp/control.sock"
agent_pid=""
daemon_pid=""

cleanup() {
	# Stop what we started, by PID, and nothing else.
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Net-SNMP tools without MIB loading, numeric OIDs only.
export MIBS=

agent_answers() {	# agent_answers PORT
	snmpget -v2c -c public -t 1 -r 0 "127.0.0.1:$1" \
	    1.3.6.1.2.1.1.3.0 >/dev/null 2>&1
}

free_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

port=161
if agent_answers 161; then
	echo "== An SNMP agent already answers on 127.0.0.1:161 (community public): using it."
else
	# Port 161 needs root; elsewhere (or if 161 is taken) use a free port.
	if [ "$(id -u)" -ne 0 ] || python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", 161))
except OSError:
    sys.exit(0)
sys.exit(1)'; then
		port=$(free_port)
	fi
	echo "== No agent answers on 127.0.0.1:161: starting a private Net-SNMP snmpd on 127.0.0.1:$port."
	mkdir -p "$tmp/snmpd"
	cat > "$tmp/snmpd/snmpd.conf" <<-EOF
	[snmp] persistentDir $tmp/snmpd
	agentAddress udp:127.0.0.1:$port
	rocommunity public 127.0.0.1
	sysLocation snmpmgrd demo agent
	sysContact root@localhost
	EOF
	SNMP_PERSISTENT_DIR="$tmp/snmpd" SNMPCONFPATH="$tmp/snmpd" \
	    "$(command -v snmpd || echo /usr/sbin/snmpd)" -f -Lo -C -I -smux \
	    -c "$tmp/snmpd/snmpd.conf" -p "$tmp/snmpd/snmpd.pid" \
	    </dev/null >"$tmp/snmpd.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 50); do
		agent_answers "$port" && break
		kill -0 "$agent_pid" 2>/dev/null || break
		sleep 0.2
	done
	if ! agent_answers "$port"; then
		echo "demo.sh: snmpd did not come up; its log:" >&2
		cat "$tmp/snmpd.log" >&2
		exit 1
	fi
fi

# The shipped config names 127.0.0.1:161; on another port use a copy.
if [ "$port" != 161 ]; then
	python3 - "$CONF" "$tmp/snmpmgrd.json" "$port" <<-'EOF'
	import json, sys
	src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
	with open(src) as f:
	    cfg = json.load(f)
	cfg["sessions"]["localhost"]["port"] = port
	with open(dst, "w") as f:
	    json.dump(cfg, f, indent=2)
	EOF
	CONF="$tmp/snmpmgrd.json"
fi

echo "== Starting: $DAEMON -c $CONF -s $SOCK"
"$DAEMON" -c "$CONF" -s "$SOCK" </dev/null >"$tmp/snmpmgrd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$daemon_pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$SOCK" ]; then
	echo "demo.sh: snmpmgrd did not open its control socket; its log:" >&2
	cat "$tmp/snmpmgrd.log" >&2
	exit 1
fi

failed=0
show() {
	echo
	echo "\$ snmpmgrctl $*"
	"$CTL" -s "$SOCK" "$@" || { echo "(exit status $?)"; failed=1; }
}

show status
show sessions
show get localhost 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0
show walk localhost 1.3.6.1.2.1.1
show getbulk -n 1 -r 3 localhost 1.3.6.1.2.1.1.3 1.3.6.1.2.1.2.2.1.2
show get -H "127.0.0.1:$port" -v 2c -c public -t 1 1.3.6.1.2.1.1.5.0
show --json get localhost 1.3.6.1.2.1.1.3.0
show sessions

echo
echo "== The socket speaks JSON-RPC 2.0 to any tool, one JSON object per line:"
req='{"jsonrpc":"2.0","id":1,"method":"snmp.get","params":{"session":"localhost","oids":["1.3.6.1.2.1.1.3.0"]}}'
if command -v socat >/dev/null; then
	echo "\$ echo '$req' | socat - UNIX-CONNECT:$SOCK"
	echo "$req" | socat -t 2 - "UNIX-CONNECT:$SOCK"
else
	# No socat here: the same request from python3's socket module.
	echo "\$ python3 -c '...connect to $SOCK, send the line, print the reply'"
	REQ="$req" python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(os.environ["REQ"].encode() + b"\n")
print(s.makefile().readline().rstrip())' "$SOCK" ||
	    echo "(no answer from $SOCK)"
fi

cat <<EOF

== To run snmpmgrd as a service instead (see README.md and snmpmgrd(8)):
   cd build && make install && systemctl daemon-reload
   systemctl enable --now snmpmgrd
   snmpmgrctl sessions
EOF

if [ "$failed" -ne 0 ]; then
	echo
	echo "demo.sh: some commands failed; snmpmgrd's log:" >&2
	cat "$tmp/snmpmgrd.log" >&2
	exit 1
fi
echo
echo "== Demo done: stopping snmpmgrd${agent_pid:+ and the private snmpd}."
