#!/usr/bin/env bash
# make bench's time to accuracy: for each recipe of TTA_NETS (the plain
# seed-cnn and the fastest seed-cnn recipe), `cnn train --target-acc` and the
# PyTorch peer (bench/peers/torch_tta.py, the same recipe read from `cnn
# summary`) on the CPU, one after the other in this one run; each is the wall
# clock of the whole process, from its start until the evaluation that
# reached TTA_TARGET (default 98.5) percent test accuracy. A markdown table on
# stdout, the JSON lines under build/bench/tta-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
py=${PYTHON:-/usr/bin/python3}
target=${TTA_TARGET:-98.5}
nets=${TTA_NETS:-seed-cnn seed-cnn-fast}
data=$PWD/data/mnist

wall() { # file, then the command: its JSON line to file, its wall seconds on stdout
    local file=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    if ! "$@" >"$file.log" 2>&1; then
        echo "tta: failed: $* (see $file.log)" >&2
        return 1
    fi
    t1=$(date +%s.%N)
    grep '^{' "$file.log" | tail -n 1 >"$file"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
field() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" "$1"; }

echo
echo "## Time to ${target}% test accuracy on the CPU ($(nproc) cores), whole process"
echo
echo "| recipe | this project | epochs | PyTorch $("$py" -c 'import torch; print(torch.__version__)') | epochs | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for net in $nets; do
    echo "tta: $net ..." >&2
    ours=$(wall "$out/tta-ours-$net.json" build/cnn train --net "$net" --data "$data" \
        --device cpu --target-acc "$target" --quiet --log "") || continue
    theirs=$(cd bench/peers && wall "../../$out/tta-torch-$net.json" "$py" torch_tta.py \
        --net "$net" --data "$data" --target-acc "$target") || continue
    e1=$(field "$out/tta-ours-$net.json" target_epoch)
    e2=$(field "$out/tta-torch-$net.json" target_epoch)
    ratio=$(awk -v a="$ours" -v b="$theirs" -v e1="$e1" -v e2="$e2" \
        'BEGIN { if (e1 > 0 && e2 > 0) printf "%.1fx", b / a; else print "n/a (not reached)" }')
    echo "| $net | $ours s | $e1 | $theirs s | $e2 | $ratio |"
done
