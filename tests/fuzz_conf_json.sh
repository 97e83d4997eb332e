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
fuzz_seed '%s' '{"sessions": {"r1": {"host": "192.0.2.1", "version": "3",
  "user": "ops", "auth_password": "a\"b\\c\/d\te", "port": 161,
  "polls": ["up", "if"], "retries": -0, "timeout": "2s"}},
 "defaults": {"max_repetitions": 25, "enabled": true, "note": null}}'
fuzz_seed '%s' '[{"a": [], "b": {}, "c": [1, -2, 345678901234567890, false]}]'
fuzz_seed '%s' '{"a": 1, "a": 2}'
fuzz_seed '%s' '{"x": 1.5e3, "y": "\u00e9", "z": "caf\u00c3"}'
fuzz_seed '%s' '{"k": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'
fuzz_seed '%s' '  {"trailing": "junk"} x'
fuzz_seed '%s' '{"community": "public", "priv_key": "0x00", "01": 012}'

fuzz_run fuzz_conf_json 8192
