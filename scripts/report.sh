#!/usr/bin/env bash
# make report [EPOCHS=N] [DEVICE=cpu|gpu|auto] [DATA=dir]: trains seed-cnn,
# mlp1 and mlp2, and writes build/report/report.md: each net's parameter
# count, training time, time per epoch and best test accuracy, the training
# curves, the CNN-against-MLPs chart, each net's confusion matrix, and the
# device. Each run keeps its CSV log, checkpoint and output in its folder.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${EPOCHS:-30}
device=${DEVICE:-auto}
data=${DATA:-data/mnist}
out=build/report
nets=(seed-cnn mlp1 mlp2)
mkdir -p "$out"

# a field of the JSON line that ends a train log: text or number
text() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; }
number() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p"; }

for net in "${nets[@]}"; do
    dir=$out/$net
    rm -rf "$dir" && mkdir -p "$dir"
    echo "report: training $net for $epochs epochs ..." >&2
    build/cnn train --net "$net" --epochs "$epochs" --device "$device" --data "$data" \
        --log "$dir/train.csv" --save "$dir/model.ckpt" --log-every 0 >"$dir/train.log"
    build/cnn eval --model "$dir/model.ckpt" --device "$device" --data "$data" >"$dir/eval.txt"
    bash scripts/plots.sh "$dir" >/dev/null
done
OUT=$out/compare bash scripts/plots.sh "${nets[@]/#/$out/}" >/dev/null

{
    echo "# The report, reproduced"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)," \
         "$epochs epochs each, \`make report EPOCHS=$epochs\`."
    echo "Device: $(sed -n 's/^  device *//p' "$out/seed-cnn/train.log" | head -n 1)."
    echo
    echo "| net | layers | parameters | training time (s) | s/epoch | best test accuracy | after the last epoch |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for net in "${nets[@]}"; do
        log=$out/$net/train.log
        best=$(awk -F, '$1=="test" && $5+0 > b { b = $5 + 0; e = $2 } END { printf "%.2f%% (epoch %d)", b, e }' "$out/$net/train.csv")
        printf '| %s | `%s` | %s | %.1f | %.3f | %s | %.2f%% |\n' "$net" "$(text "$log" spec)" \
            "$(number "$log" params)" "$(number "$log" train_seconds)" \
            "$(number "$log" seconds_per_epoch)" "$best" "$(number "$log" test_acc)"
    done
    echo
    echo "## The CNN against the MLPs"
    echo
    echo "![test accuracy](compare/test-accuracy.png)"
    echo "![test loss](compare/test-loss.png)"
    echo "![training loss](compare/loss.png)"
    echo "![training accuracy](compare/accuracy.png)"
    for net in "${nets[@]}"; do
        echo
        echo "## $net"
        echo
        echo "![$net training loss]($net/loss.png)"
        echo "![$net test accuracy]($net/test-accuracy.png)"
        echo
        echo "Confusion matrix on the test set (\`build/cnn eval --model $out/$net/model.ckpt\`):"
        echo
        echo '```'
        sed -n '/^test loss/p; /^confusion matrix/,/^ *9 /p' "$out/$net/eval.txt"
        echo '```'
    done
} >"$out/report.md"
echo "report: $out/report.md"
