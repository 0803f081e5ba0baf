#!/usr/bin/env bash
# The libFuzzer harnesses: build them with clang, then run each for SECONDS.
#
#   fuzz/run.sh [SECONDS]       build, run fuzz_idx, fuzz_checkpoint,
#                               fuzz_netspec and fuzz_picture for SECONDS
#                               each (default 60)
#   fuzz/run.sh build           only build them into build/fuzz/
#   fuzz/run.sh corpus          regenerate the seed corpus in fuzz/corpus/
#   fuzz/run.sh min NAME FILE   minimise a crashing input of fuzz_NAME into
#                               build/fuzz/crashes/NAME/min-<file>
#
# Each harness fuzzes a fresh copy of its seed corpus (build/fuzz/corpus-NAME,
# so fuzz/corpus/ is never written), with ASan, UBSan (no recovery) and leak
# detection; its log is build/fuzz/NAME.log. One summary line per harness; a
# crash, leak, timeout or out-of-memory leaves its input under
# build/fuzz/crashes/NAME/ and makes the script exit 1 (after the other
# harnesses have run). FUZZ_TARGETS="idx netspec" runs a subset; CLANG picks
# the compiler (default clang). Needs clang and libFuzzer: on Debian 12 the
# packages clang and libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

B=build/fuzz
CLANG=${CLANG:-clang}
TARGETS=${FUZZ_TARGETS:-idx checkpoint netspec picture}
# shellcheck disable=SC2054 # the commas are in -fsanitize=, not between elements
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)

sources() {
    case $1 in
    idx) echo src/io/idx.c src/io/data_stream.c src/io/dataset.c src/io/file_read.c src/io/class_names.c ;;
    checkpoint) echo src/run/checkpoint_*.c src/run/settings.c src/run/augment_spec.c src/run/presets.c src/cli/cli.c src/io/file_read.c src/io/file_write.c src/io/file_temp.c src/io/file_lock.c src/io/paths.c src/io/class_names.c $(sources netspec) ;;
    picture) echo src/io/picture.c src/io/png_io.c src/io/jpeg_io.c src/io/pnm_io.c src/io/resample.c src/io/file_read.c src/io/file_write.c src/io/file_temp.c src/io/file_lock.c src/io/paths.c ;;
    netspec) echo src/net/netspec.c src/net/layer_table.c src/net/spec_tokens.c src/layers/*.c src/net/net.c src/net/net_size.c src/io/text_out.c src/net/ref.c src/run/oom_hint.c ;;
    *) echo "fuzz/run.sh: unknown harness '$1' (idx, checkpoint, netspec, picture)" >&2; exit 2 ;;
    esac
}

max_len() {
    case $1 in netspec) echo 1024 ;; *) echo 8192 ;; esac
}

check_clang() {
    if ! command -v "$CLANG" >/dev/null; then
        echo "fuzz/run.sh: $CLANG not found: apt-get install -y clang libclang-rt-14-dev" >&2
        exit 1
    fi
    mkdir -p $B
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
        >$B/probe.c
    if ! "$CLANG" -fsanitize=fuzzer,address,undefined $B/probe.c -o $B/probe 2>$B/probe.log; then
        echo "fuzz/run.sh: $CLANG cannot link libFuzzer ($B/probe.log):" \
             "apt-get install -y libclang-rt-14-dev" >&2
        exit 1
    fi
}

build() {
    check_clang
    for t in $TARGETS; do
        # shellcheck disable=SC2046 # the sources are words
        "$CLANG" "${CFLAGS[@]}" -o "$B/fuzz_$t" "fuzz/fuzz_$t.c" $(sources "$t") -lpng -ljpeg -lz -lm
    done
}

if [ "${1:-}" = build ]; then
    build
    exit 0
fi

if [ "${1:-}" = corpus ]; then
    mkdir -p $B
    "${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -O1 -o $B/make_corpus \
        fuzz/make_corpus.c $(sources checkpoint) -lz -lm
    rm -rf fuzz/corpus/idx fuzz/corpus/checkpoint fuzz/corpus/netspec
    $B/make_corpus fuzz/corpus
    echo "fuzz/corpus: $(find fuzz/corpus -type f | wc -l) files, $(du -sb fuzz/corpus | cut -f1) bytes"
    exit 0
fi

if [ "${1:-}" = min ]; then
    [ $# -eq 3 ] || { echo "usage: fuzz/run.sh min NAME FILE" >&2; exit 2; }
    TARGETS=$2 build
    mkdir -p "$B/crashes/$2"
    out=$B/crashes/$2/min-$(basename "$3")
    "$B/fuzz_$2" -minimize_crash=1 -max_total_time=60 -exact_artifact_path="$out" "$3" \
        >"$B/$2-min.log" 2>&1 || true
    echo "minimised: $out ($(wc -c <"$out") bytes; log $B/$2-min.log)"
    exit 0
fi

SECONDS_EACH=${1:-60}
case $SECONDS_EACH in
'' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS | build | corpus | min NAME FILE]" >&2; exit 2 ;;
esac

build
failed=0
for t in $TARGETS; do
    work=$B/corpus-$t
    log=$B/$t.log
    crashes=$B/crashes/$t
    rm -rf "$work"
    mkdir -p "$work" "$crashes"
    cp "fuzz/corpus/$t"/* "$work"/
    seeds=$(find "$work" -type f | wc -l)
    set +e
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$B/fuzz_$t" "$work" -max_total_time="$SECONDS_EACH" -detect_leaks=1 -timeout=10 \
        -rss_limit_mb=2048 -max_len="$(max_len "$t")" -use_value_profile=1 \
        -dict="fuzz/$t.dict" -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz_$t: $SECONDS_EACH s, ${runs:-?} runs, coverage ${cov:-?} edges," \
             "corpus $seeds -> $(find "$work" -type f | wc -l) inputs, no crash"
    else
        failed=1
        echo "fuzz_$t: CRASH (exit $rc) after ${runs:-?} runs: ${found:-no input saved}" \
             "(log: $log); minimise it with: fuzz/run.sh min $t ${found:-FILE}," \
             "then add it under fuzz/regress/$t/"
        grep -m 1 -A 25 -E '^==[0-9]+==ERROR|runtime error|^fuzz: invariant|deadly signal|ERROR: libFuzzer' \
            "$log" | sed 's/^/    /' >&2 || true
    fi
done
exit $failed
