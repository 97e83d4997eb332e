#!/bin/bash
# check.sh - install missing packages, build, and run the whole test suite
# (unit tests, interop tests against real Net-SNMP and pysnmp peers started
# on loopback, daemon tests).  This is what CI runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
if ! make -j"$(nproc)" check; then
	# Show the log of each failed test, so CI output says why.
	grep -l -E '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') 2>/dev/null |
	while read -r trs; do
		echo "==== ${trs%.trs}.log"; tail -n 80 "${trs%.trs}.log"
	done
	exit 1
fi
