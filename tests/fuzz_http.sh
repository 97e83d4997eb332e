#!/bin/bash
# fuzz_http.sh - build the libFuzzer target tests/fuzz/fuzz_http.c (the
# Prometheus endpoint's request heads and /probe queries,
# daemon/http_req.c) with clang and run it for about five seconds from a
# few seed requests written here.  Exits 77 (skipped) when clang or its
# libFuzzer runtime is missing.  FUZZ_SECONDS overrides the run time.
# The sources are Makefile.am's FUZZ_HTTP_SRCS (relative to the build
# directory).
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-5}

clang=${CLANG:-}
[ -n "$clang" ] || clang=$(command -v clang || command -v clang-14 || true)
if [ -z "$clang" ]; then
	echo "fuzz_http: clang not found, skipping"
	exit 77
fi

cd "$builddir"
srcs=$(make -s --no-print-directory print-fuzz-http-srcs |
    sed -n 's/^sources: //p')
[ -n "$srcs" ] || {
	echo "fuzz_http: run it in a configured build directory"
	exit 1
}
work=tests/fuzz_http.work
rm -rf "$work"
mkdir -p "$work/corpus"

if ! "$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$srcdir" -I. \
    -o "$work/fuzz_http" $srcs 2> "$work/build.log"; then
	if grep -q -i -e 'fuzzer' -e 'cannot find' "$work/build.log"; then
		cat "$work/build.log"
		echo "fuzz_http: clang cannot build libFuzzer targets, skipping"
		exit 77
	fi
	cat "$work/build.log"
	exit 1
fi

n=0
seed() {
	n=$((n + 1))
	printf "$1" > "$work/corpus/seed$n"
}
seed 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9116\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1\r\nUser-Agent: Prometheus/2.45.0\r\n\r\n'
seed 'GET /probe?session=a%%20b&module=if+s&target=%%5B%%3A%%3A1%%5D%%3A161 HTTP/1.1\r\nConnection: close\r\n\r\n'
seed 'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
seed 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'
seed 'GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
seed 'GET /probe?poll=x&session=%%zz HTTP/1.1\r\nAccept: application/openmetrics-text;q=0\r\n\r\n'
seed 'GET /metrics SPDY/9\r\n\r\n'
seed 'GET /x HTTP/2.0\r\nbad header\r\n\r\nGET / HTTP/1.1\r\n\r\n'

"$work/fuzz_http" -max_total_time="$secs" -max_len=4096 -timeout=5 \
    -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" > "$work/fuzz.log" 2>&1 || {
	tail -40 "$work/fuzz.log"
	echo "fuzz_http: failure; crash input and log kept in $work"
	exit 1
}
grep -E 'stat::number_of_executed_units|DONE' "$work/fuzz.log" || true
rm -rf "$work"
exit 0
