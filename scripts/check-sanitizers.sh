#!/bin/bash
# check-sanitizers.sh - build with AddressSanitizer and UndefinedBehavior-
# Sanitizer in build-san/ (configure --enable-sanitizers) and run the whole
# test suite there.  Any report fails: the unit tests abort on it, and the
# daemon tests (tests/snmptest.py) fail a test whose snmpmgrd printed one or
# died of a signal.  Leaks are checked at every exit.  Extra arguments go
# to configure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p build-san
cd build-san
[ -f Makefile ] || ../configure -q --enable-sanitizers "$@"
make -j"$(nproc)" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
rc=0
make -j"$(nproc)" check || rc=$?

mapfile -t trs < <(find . -name '*.trs')
fail=0
for t in "${trs[@]}"; do
	if grep -q -E '^:test-result: (FAIL|ERROR)' "$t"; then
		echo "==== ${t%.trs}.log"
		tail -n 80 "${t%.trs}.log"
		fail=$((fail + 1))
	fi
done
# A report in a test's own output (a client, a tool) counts too.
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
    tests/*.log 2>/dev/null; then
	echo "sanitizer reports in the test logs above"
	fail=$((fail + 1))
fi
pass=0
[ ${#trs[@]} -gt 0 ] && pass=$(cat "${trs[@]}" | grep -c '^:test-result: PASS' || true)
echo "sanitizers: $pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
