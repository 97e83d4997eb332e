#!/bin/bash
# fuzz_tcp.sh - build the libFuzzer target tests/fuzz/fuzz_tcp.c (the
# RFC 3430 stream framer of SNMP over TCP: BER length prefixes, messages
# cut into any reads or several in one, oversized and indefinite lengths)
# with clang and run it for about five seconds from the seeds
# tests/fuzz/seeds.py writes.  Exits 77 (skipped) when clang or its
# libFuzzer runtime is missing.  FUZZ_SECONDS overrides the run time;
# `make fuzz-tcp` runs it longer.  The sources are Makefile.am's
# FUZZ_TCP_SRCS (relative to the build directory).
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-5}

clang=${CLANG:-}
[ -n "$clang" ] || clang=$(command -v clang || command -v clang-14 || true)
if [ -z "$clang" ]; then
	echo "fuzz_tcp: clang not found, skipping"
	exit 77
fi

cd "$builddir"
srcs=$(make -s --no-print-directory print-fuzz-tcp-srcs |
    sed -n 's/^sources: //p')
[ -n "$srcs" ] || {
	echo "fuzz_tcp: run it in a configured build directory"
	exit 1
}
work=tests/fuzz_tcp.work
rm -rf "$work"
mkdir -p "$work/corpus"

if ! "$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$srcdir" -I. \
    -o "$work/fuzz_tcp" $srcs 2> "$work/build.log"; then
	if grep -q -i -e 'fuzzer' -e 'cannot find' "$work/build.log"; then
		cat "$work/build.log"
		echo "fuzz_tcp: clang cannot build libFuzzer targets, skipping"
		exit 77
	fi
	cat "$work/build.log"
	exit 1
fi
"${PYTHON3:-python3}" "$srcdir/tests/fuzz/seeds.py" tcp "$work/corpus"

"$work/fuzz_tcp" -max_total_time="$secs" -max_len=8192 -timeout=5 \
    -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" > "$work/fuzz.log" 2>&1 || {
	tail -40 "$work/fuzz.log"
	echo "fuzz_tcp: failure; crash input and log kept in $work"
	exit 1
}
grep -E 'stat::number_of_executed_units|DONE' "$work/fuzz.log" || true
rm -rf "$work"
exit 0
