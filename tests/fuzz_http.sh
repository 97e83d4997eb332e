#!/bin/bash
# fuzz_http.sh - build the libFuzzer target tests/fuzz/fuzz_http.c (the
# Prometheus endpoint's request heads and /probe queries,
# daemon/http_req.c) with clang and run it for about five seconds from a
# few seed requests written here.  Exits 77 (skipped) when clang or its
# libFuzzer runtime is missing.  FUZZ_SECONDS overrides the run time.
# The sources are Makefile.am's FUZZ_HTTP_SRCS (relative to the build
# directory).
set -eu
# shellcheck source=tests/fuzz_lib.sh
. "$(dirname "$0")/fuzz_lib.sh"

fuzz_build fuzz_http
fuzz_seed 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9116\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1\r\nUser-Agent: Prometheus/2.45.0\r\n\r\n'
fuzz_seed 'GET /probe?session=a%%20b&module=if+s&target=%%5B%%3A%%3A1%%5D%%3A161 HTTP/1.1\r\nConnection: close\r\n\r\n'
fuzz_seed 'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
fuzz_seed 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'
fuzz_seed 'GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
fuzz_seed 'GET /probe?poll=x&session=%%zz HTTP/1.1\r\nAccept: application/openmetrics-text;q=0\r\n\r\n'
fuzz_seed 'GET /metrics SPDY/9\r\n\r\n'
fuzz_seed 'GET http://127.0.0.1:9116/probe?session=a HTTP/1.1\nContent-Length: -1\n\n'
fuzz_seed 'GET HTTPS://h?x=1 HTTP/1.1\r\nX: a\rb\r\n\r\n'
fuzz_seed 'GET /x HTTP/2.0\r\nbad header\r\n\r\nGET / HTTP/1.1\r\n\r\n'

fuzz_run fuzz_http 4096
