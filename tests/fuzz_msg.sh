#!/bin/bash
# fuzz_msg.sh - build the libFuzzer target tests/fuzz/fuzz_msg.c with clang
# and run it for about ten seconds, seeded with the Net-SNMP vectors of
# tests/fuzz/vectors.h.  Exits 77 (skipped) when clang or its libFuzzer
# runtime is missing.  FUZZ_SECONDS overrides the run time.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-10}

clang=${CLANG:-}
[ -n "$clang" ] || clang=$(command -v clang || command -v clang-14 || true)
if [ -z "$clang" ]; then
	echo "fuzz_msg: clang not found, skipping"
	exit 77
fi

work=$builddir/tests/fuzz_msg.work
rm -rf "$work"
mkdir -p "$work/corpus"

if ! "$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$srcdir" \
    -o "$work/fuzz_msg" "$srcdir/tests/fuzz/fuzz_msg.c" \
    "$srcdir/core/ber.c" "$srcdir/core/oid.c" "$srcdir/core/pdu.c" \
    "$srcdir/core/errors.c" 2> "$work/build.log"; then
	if grep -q -i -e 'fuzzer' -e 'cannot find' "$work/build.log"; then
		cat "$work/build.log"
		echo "fuzz_msg: clang cannot build libFuzzer targets, skipping"
		exit 77
	fi
	cat "$work/build.log"
	exit 1
fi

# One seed file per array in vectors.h.
awk -v dir="$work/corpus" '
/^static const uint8_t [a-z0-9_]+\[\]/ {
	name = $4; sub(/\[\].*/, "", name); file = dir "/" name; next
}
/^};/ { if (file != "") close(file); file = ""; next }
file != "" {
	for (i = 1; i <= NF; i++) {
		t = $i; gsub(/,/, "", t)
		if (t ~ /^0x[0-9a-fA-F][0-9a-fA-F]$/)
			printf "%s\n", substr(t, 3) >> file
	}
}' "$srcdir/tests/fuzz/vectors.h"
for f in "$work/corpus"/*; do
	hex=$(tr -d '\n' < "$f")
	: > "$f"
	while [ -n "$hex" ]; do
		printf "\\x${hex:0:2}" >> "$f"
		hex=${hex:2}
	done
done
nseeds=$(ls "$work/corpus" | wc -l)
if [ "$nseeds" -lt 10 ]; then
	echo "fuzz_msg: only $nseeds seeds extracted from vectors.h"
	exit 1
fi

"$work/fuzz_msg" -max_total_time="$secs" -max_len=4096 -timeout=5 \
    -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" > "$work/fuzz.log" 2>&1 || {
	tail -40 "$work/fuzz.log"
	echo "fuzz_msg: failure; crash input and log kept in $work"
	exit 1
}
grep -E 'stat::number_of_executed_units|DONE' "$work/fuzz.log" || true
rm -rf "$work"
exit 0
