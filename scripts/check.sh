#!/bin/bash
# check.sh - install missing packages, build, and run the whole test suite
# (unit tests, interop tests against real Net-SNMP and pysnmp peers started
# on loopback, daemon tests).  This is what CI runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
rc=0
make -j"$(nproc)" check || rc=$?

# Show the log of each failed test, so the output says why.
mapfile -t trs < <(find . -name '*.trs')
for t in "${trs[@]}"; do
	if grep -q -E '^:test-result: (FAIL|ERROR)' "$t"; then
		echo "==== ${t%.trs}.log"
		tail -n 80 "${t%.trs}.log"
	fi
done
pass=0 fail=0 skip=0
if [ ${#trs[@]} -gt 0 ]; then
	pass=$(cat "${trs[@]}" | grep -c '^:test-result: PASS' || true)
	fail=$(cat "${trs[@]}" | grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' || true)
	skip=$(cat "${trs[@]}" | grep -c '^:test-result: SKIP' || true)
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
