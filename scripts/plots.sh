#!/usr/bin/env bash
# make plots RUN="DIR [DIR...]": charts of training runs from their CSV logs
# (DIR/train.csv, or a CSV path itself): loss and accuracy against iteration,
# test accuracy and test loss against epoch. One run: the PNGs go in its
# folder; several: one chart of each kind overlays them, in build/plots (or
# OUT).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: make plots RUN=\"DIR [DIR...]\" (folders holding train.csv)" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plots: gnuplot not found: apt-get install gnuplot-nox" >&2; exit 1; }
csvs=() names=()
for run in "$@"; do
    csv=$run
    [ -d "$run" ] && csv=$run/train.csv
    [ -f "$csv" ] || { echo "plots: no CSV log at $csv (train with --log $csv)" >&2; exit 1; }
    grep -q '^kind,epoch,step,loss,acc,lr,seconds' "$csv" ||
        { echo "plots: $csv is not a cnn training log" >&2; exit 1; }
    csvs+=("$csv")
    names+=("$(basename "$(cd "$(dirname "$csv")" && pwd)")")
done
if [ $# -eq 1 ]; then out=${OUT:-$(dirname "${csvs[0]}")}; else out=${OUT:-build/plots}; fi
mkdir -p "$out"
# the logged interval, for the titles: the first train row's step
every=$(awk -F, '$1 == "train" { print $3; exit }' "${csvs[0]}")
gnuplot -e "csvs='${csvs[*]}'; names='${names[*]}'; out='$out'; every='${every:-?}'" "$(dirname "$0")/plot_run.gp"
echo "plots: $out/loss.png $out/accuracy.png $out/test-accuracy.png $out/test-loss.png"
