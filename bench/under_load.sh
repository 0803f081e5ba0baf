#!/usr/bin/env bash
# make bench-load: the CPU backend with other processes competing for the
# cores. Starts BUSY spinning processes (default 4; killed on exit), then
# trains LIMIT samples (default 12000) of seed-cnn on the CPU with the
# default thread count and with --threads 1, interleaved, REPS times
# (default 5), and prints each binary's median train_seconds and their ratio.
# Several binaries may be named (e.g. an old build beside build/cnn): each
# repetition runs them all, so they see the same load.
#   bench/under_load.sh [CNN_BINARY...]
set -euo pipefail
cd "$(dirname "$0")/.."
busy=${BUSY:-4}
reps=${REPS:-5}
limit=${LIMIT:-12000}
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(build/cnn)

pids=()
stop_busy() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_busy EXIT
for _ in $(seq "$busy"); do
    sh -c 'while :; do :; done' &
    pids+=($!)
done

# train_seconds of one run: binary, then extra flags
train_seconds() {
    local bin=$1
    shift
    "$bin" train --data data/mnist --device cpu --epochs 1 --train-limit "$limit" \
        --log '' --quiet "$@" | sed -n 's/.*"train_seconds":\([0-9.]*\).*/\1/p'
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

tmp=$(mktemp -d)
trap 'stop_busy; rm -rf "$tmp"' EXIT
echo "under load: $busy busy processes on $(nproc) CPUs, $limit samples, $reps repetitions"
for r in $(seq "$reps"); do
    for i in "${!bins[@]}"; do
        d=$(train_seconds "${bins[$i]}")
        one=$(train_seconds "${bins[$i]}" --threads 1)
        echo "$d" >>"$tmp/default-$i"
        echo "$one" >>"$tmp/one-$i"
        echo "  rep $r  ${bins[$i]}: default $d s, --threads 1 $one s"
    done
done
echo
echo "| binary | default threads, median s | --threads 1, median s | ratio |"
echo "|---|---:|---:|---:|"
for i in "${!bins[@]}"; do
    d=$(median <"$tmp/default-$i")
    one=$(median <"$tmp/one-$i")
    echo "| ${bins[$i]} | $d | $one | $(awk -v a="$d" -v b="$one" 'BEGIN {printf "%.2fx", a / b}') |"
done
