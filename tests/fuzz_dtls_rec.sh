#!/bin/bash
# fuzz_dtls_rec.sh - build the libFuzzer target tests/fuzz/fuzz_dtls_rec.c
# (the DTLS records of an open client association, core/dtls_rec.c) with
# clang and run it for about five seconds from a few seeds written here.
# Exits 77 (skipped) when clang or its libFuzzer runtime is missing.
# FUZZ_SECONDS overrides the run time.  The sources are Makefile.am's
# FUZZ_DTLS_REC_SRCS (relative to the build directory).
set -eu
# shellcheck source=tests/fuzz_lib.sh
. "$(dirname "$0")/fuzz_lib.sh"

fuzz_build fuzz_dtls_rec -lssl -lcrypto
# Octet 0: cipher and window; octet 1: the octet changed; then a datagram
# (or plaintext): an application-data record header, two records, junk.
printf '\000\005\027\376\375\000\001\000\000\000\000\000\005\000\040%s' \
    'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' > "$work/corpus/seed1"
printf '\205\020\025\376\375\000\001\000\000\000\000\000\011\000\002\002\000%s' \
    '\027\376\375\000\001\377\377\377\377\377\377\000\000' > "$work/corpus/seed2"
printf '\002\377\060\202\001\000\002\001\003' > "$work/corpus/seed3"

fuzz_run fuzz_dtls_rec 2100
