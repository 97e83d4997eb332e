#!/bin/bash
# fuzz_session.sh - build the libFuzzer target tests/fuzz/fuzz_session.c
# (what agents send back to the session engine: v1/v2c/v3 responses,
# reports, discovery, walks) with clang and run it for about five seconds
# from the seeds tests/fuzz/seeds.py writes.  Exits 77 (skipped) when clang
# or its libFuzzer runtime is missing.  FUZZ_SECONDS overrides the run
# time; `make fuzz-session` runs it longer.  The sources are Makefile.am's
# FUZZ_SESSION_SRCS (relative to the build directory).
set -eu
# shellcheck source=tests/fuzz_lib.sh
. "$(dirname "$0")/fuzz_lib.sh"

fuzz_build fuzz_session -lcrypto
"${PYTHON3:-python3}" "$srcdir/tests/fuzz/seeds.py" session "$work/corpus"
fuzz_run fuzz_session 4096
