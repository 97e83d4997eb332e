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
# shellcheck source=tests/fuzz_lib.sh
. "$(dirname "$0")/fuzz_lib.sh"

fuzz_build fuzz_tcp
"${PYTHON3:-python3}" "$srcdir/tests/fuzz/seeds.py" tcp "$work/corpus"
fuzz_run fuzz_tcp 8192
