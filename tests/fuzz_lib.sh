# fuzz_lib.sh - what the tests/fuzz_*.sh scripts share (sourced, not
# run): fuzz_build NAME [LIBS...] builds the libFuzzer
# target tests/fuzz/NAME.c from Makefile.am's list (`make
# print-NAME-srcs`, with _ for -) with clang, in the build directory,
# into $work (tests/NAME.work, its corpus in $work/corpus); it exits 77
# (skipped) when clang or its libFuzzer runtime is missing.
# fuzz_seed FORMAT [ARGS...] writes the next seed of the corpus, as
# printf would print it.
# fuzz_run NAME MAX_LEN runs it FUZZ_SECONDS (default 5) from that
# corpus and exits: 0, or 1 with the crash input and log kept.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
secs=${FUZZ_SECONDS:-5}

fuzz_build() {
	local name=$1 clang srcs
	shift
	clang=${CLANG:-}
	[ -n "$clang" ] || clang=$(command -v clang || command -v clang-14 ||
	    true)
	if [ -z "$clang" ]; then
		echo "$name: clang not found, skipping"
		exit 77
	fi
	cd "$builddir"
	srcs=$(make -s --no-print-directory "print-${name//_/-}-srcs" |
	    sed -n 's/^sources: //p')
	[ -n "$srcs" ] || {
		echo "$name: run it in a configured build directory"
		exit 1
	}
	work=tests/$name.work
	rm -rf "$work"
	mkdir -p "$work/corpus"
	# Whether clang builds libFuzzer targets at all, on an empty one:
	# only that is a reason to skip; any failure of the target is one.
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ (void)d; (void)n; return 0; }' > "$work/probe.c"
	if ! "$clang" -fsanitize=fuzzer,address,undefined -o "$work/probe" \
	    "$work/probe.c" 2> "$work/probe.log"; then
		cat "$work/probe.log"
		echo "$name: clang cannot build libFuzzer targets, skipping"
		exit 77
	fi
	# shellcheck disable=SC2086
	if ! "$clang" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I"$srcdir" -I. \
	    -o "$work/$name" $srcs "$@" 2> "$work/build.log"; then
		cat "$work/build.log"
		echo "$name: the target does not build"
		exit 1
	fi
}

fuzz_seeds=0
fuzz_seed() {
	fuzz_seeds=$((fuzz_seeds + 1))
	# shellcheck disable=SC2059
	printf "$@" > "$work/corpus/seed$fuzz_seeds"
}

fuzz_run() {
	local name=$1 maxlen=$2
	"$work/$name" -max_total_time="$secs" -max_len="$maxlen" -timeout=5 \
	    -rss_limit_mb=1024 -print_final_stats=1 \
	    -artifact_prefix="$work/" "$work/corpus" > "$work/fuzz.log" 2>&1 || {
		tail -40 "$work/fuzz.log"
		echo "$name: failure; crash input and log kept in $work"
		exit 1
	}
	grep -E 'stat::number_of_executed_units|DONE' "$work/fuzz.log" || true
	rm -rf "$work"
	exit 0
}
