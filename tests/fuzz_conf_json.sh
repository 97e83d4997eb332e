#!/bin/bash
# fuzz_conf_json.sh - build the libFuzzer target tests/fuzz/fuzz_conf_json.c
# (the config files' own JSON parser, daemon/conf_json.c, against
# jansson's on the same bytes) with clang and run it for about five
# seconds from a few seed configs written here.  Exits 77 (skipped) when
# clang or its libFuzzer runtime is missing.  FUZZ_SECONDS overrides the
# run time.  The sources are Makefile.am's FUZZ_CONF_JSON_SRCS.
set -eu
# shellcheck source=tests/fuzz_lib.sh
. "$(dirname "$0")/fuzz_lib.sh"

fuzz_build fuzz_conf_json
n=0
seed() {
	n=$((n + 1))
	printf '%s' "$1" > "$work/corpus/seed$n"
}
seed '{"sessions": {"r1": {"host": "192.0.2.1", "version": "3",
  "user": "ops", "auth_password": "a\"b\\c\/d\te", "port": 161,
  "polls": ["up", "if"], "retries": -0, "timeout": "2s"}},
 "defaults": {"max_repetitions": 25, "enabled": true, "note": null}}'
seed '[{"a": [], "b": {}, "c": [1, -2, 345678901234567890, false]}]'
seed '{"a": 1, "a": 2}'
seed '{"x": 1.5e3, "y": "\u00e9", "z": "caf\u00c3"}'
seed '{"k": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'
seed '  {"trailing": "junk"} x'
seed '{"community": "public", "priv_key": "0x00", "01": 012}'

fuzz_run fuzz_conf_json 8192
