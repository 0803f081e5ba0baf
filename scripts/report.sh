#!/usr/bin/env bash
# make report [EPOCHS=N] [SEEDS="1 2 3"] [DEVICE=cpu|gpu|auto] [DATA=dir]
#             [TRAIN_LIMIT=N] [OUT=dir]
# Each net trains for its preset's epochs (the CNN 30; the MLPs 100, the
# max_epoch of their settings in the report), unless EPOCHS sets one count
# for all.
# The report's experiments (its sections 3 to 5) run again and set beside its
# own figures, in OUT/report.md (default build/report):
#   - seed-cnn, mlp1 and mlp2, each trained once per seed: the highest test
#     accuracy and its epoch (over the run, and over its first 30 epochs), the
#     accuracy after the last epoch and the wall time of 30 epochs, as mean
#     and range over the seeds, next to the report's;
#   - the parameter table, layer by layer (W and b), next to the report's;
#   - the curves as the report samples them: training loss and accuracy every
#     25 iterations, the CNN-against-MLPs chart every 50, test curves per epoch;
#   - section 5's pictures from seed-cnn4 (both convolutions with 4 output
#     channels, as the report's pictures are), and the same of seed-cnn.
# Every run keeps its CSV log, output and checkpoint in OUT/runs/NET-sSEED.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "report: $*" >&2; exit 2; }
epochs=${EPOCHS:-}
read -r -a seeds <<<"${SEEDS:-1 2 3}"
device=${DEVICE:-auto}
data=${DATA:-data/mnist}
limit=${TRAIN_LIMIT:-0}
out=${OUT:-build/report}
cnn=${CNN:-build/cnn}
nets=(seed-cnn mlp1 mlp2)
pictures_net=seed-cnn4

# Everything that would stop the report is checked before the first run.
command -v gnuplot >/dev/null || die "gnuplot not found: make report installs it (apt-get install gnuplot-nox)"
# gnuplot's word lists split paths on blanks
[[ "$out$PWD" != *[[:space:]\'\"]* ]] || die "OUT and the project's path must not hold blanks or quotes: \"$out\""
[ "${#seeds[@]}" -gt 0 ] || die "SEEDS is empty"
for seed in "${seeds[@]}"; do
    [[ "$seed" =~ ^[0-9]+$ ]] || die "SEEDS: \"$seed\" is not a seed (a number)"
done
[ "$(printf '%s\n' "${seeds[@]}" | sort | uniq -d)" = "" ] || die "SEEDS repeats a seed: ${seeds[*]}"
[[ -z "$epochs" || "$epochs" =~ ^[1-9][0-9]*$ ]] || die "EPOCHS: \"$epochs\" is not a number of epochs"
[ -x "$cnn" ] || die "no cnn binary at $cnn: run make first"
mkdir -p "$out/runs"

# train NET SEED: one run into $out/runs/NET-sSEED
train() {
    local dir=$out/runs/$1-s$2
    rm -rf "$dir" && mkdir -p "$dir"
    local count="its preset's"
    [ -z "$epochs" ] || count=$epochs
    echo "report: training $1, seed $2, $count epochs ..." >&2
    "$cnn" train --net "$1" --seed "$2" ${epochs:+--epochs "$epochs"} --device "$device" --data "$data" \
        --train-limit "$limit" --csv-every 25 --log "$dir/train.csv" --save "$dir/model.ckpt" \
        --log-every 0 >"$dir/train.log"
}

# A CSV log as the report's figures 8 and 9 show it: its first 30 epochs,
# one train row per 50 iterations (the mean of the 25-iteration rows,
# weighted by their steps).
resample50() {
    awk -F, -v OFS=, '
        NR > 1 && $2 > 30 { next }
        NR == 1 || $1 != "train" { flush(); print; next }
        { n = $3 - prev; prev = $3; loss += $4 * n; acc += $5 * n; steps += n; row = $0
          if ($3 % 50 == 0) flush() }
        function flush() { if (steps) { split(row, f, ","); f[4] = loss / steps; f[5] = acc / steps
                           print f[1], f[2], f[3], f[4], f[5], f[6], f[7] }
                           loss = acc = steps = 0 }
        END { flush() }' "$1"
}

for net in "${nets[@]}"; do
    for seed in "${seeds[@]}"; do train "$net" "$seed"; done
    runs=()
    for seed in "${seeds[@]}"; do runs+=("$out/runs/$net-s$seed"); done
    OUT=$out/$net bash scripts/plots.sh "${runs[@]}" >/dev/null
    "$cnn" eval --model "$out/runs/$net-s${seeds[0]}/model.ckpt" --device "$device" --data "$data" \
        >"$out/$net/eval.txt"
done
train "$pictures_net" "${seeds[0]}"
mkdir -p "$out/pictures"
for net in "$pictures_net" seed-cnn; do
    "$cnn" visualize --model "$out/runs/$net-s${seeds[0]}/model.ckpt" --data "$data" \
        --classes 0,3,6,9 --out "$out/pictures/$net" >"$out/pictures/$net.log"
done
rm -rf "$out/compare" && mkdir -p "$out/compare"
for net in "${nets[@]}"; do
    mkdir -p "$out/compare/$net"
    resample50 "$out/runs/$net-s${seeds[0]}/train.csv" >"$out/compare/$net/train.csv"
done
OUT=$out/compare bash scripts/plots.sh "${nets[@]/#/$out/compare/}" >/dev/null

bash scripts/report_md.sh "$out" "$epochs" "${seeds[*]}" "$limit" "$pictures_net" >"$out/.report.md"
mv "$out/.report.md" "$out/report.md"
echo "report: $out/report.md"
