#!/usr/bin/env bash
# make bench's time to accuracy: for each recipe of TTA_NETS (the plain
# seed-cnn and the fastest seed-cnn recipe), `cnn train --target-acc` and the
# PyTorch peer (bench/peers/torch_tta.py, the same recipe read from `cnn
# summary`) on the CPU, one after the other in this one run; each is the wall
# clock of the whole process, from its start until the end of the evaluation
# that reached TTA_TARGET (default 98.5) percent test accuracy: the
# time_to_target_s each one reports in its JSON line. A markdown table on
# stdout, the JSON lines under build/bench/tta-*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
py=${PYTHON:-/usr/bin/python3}
target=${TTA_TARGET:-98.5}
nets=${TTA_NETS:-seed-cnn seed-cnn-fast}
data=$PWD/data/mnist

run_json() { # file, then the command: its JSON line to file
    local file=$1
    shift
    if ! "$@" >"$file.log" 2>&1; then
        echo "tta: failed: $* (see $file.log)" >&2
        return 1
    fi
    grep '^{' "$file.log" | tail -n 1 >"$file"
}
field() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" "$1"; }

echo
echo "## Time to ${target}% test accuracy on the CPU ($(nproc) cores), whole process"
echo
echo "| recipe | this project | epochs | PyTorch $("$py" -c 'import torch; print(torch.__version__)') | epochs | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for net in $nets; do
    echo "tta: $net ..." >&2
    # each side's own time_to_target_s: from its process's start to the end of
    # the evaluation that reached the target (null when none did), so the
    # exit and anything after that evaluation are not counted
    run_json "$out/tta-ours-$net.json" build/cnn train --net "$net" --data "$data" \
        --device cpu --target-acc "$target" --quiet --log "" || continue
    (cd bench/peers && run_json "../../$out/tta-torch-$net.json" "$py" torch_tta.py \
        --net "$net" --data "$data" --target-acc "$target") || continue
    ours=$(field "$out/tta-ours-$net.json" time_to_target_s)
    theirs=$(field "$out/tta-torch-$net.json" time_to_target_s)
    e1=$(field "$out/tta-ours-$net.json" target_epoch)
    e2=$(field "$out/tta-torch-$net.json" target_epoch)
    ratio=$(awk -v a="$ours" -v b="$theirs" -v e1="$e1" -v e2="$e2" \
        'BEGIN { if (e1 > 0 && e2 > 0) printf "%.1fx", b / a; else print "n/a (not reached)" }')
    ours=$(awk -v t="$ours" 'BEGIN { if (t == "null") print "not reached"; else printf "%.2f s", t }')
    theirs=$(awk -v t="$theirs" 'BEGIN { if (t == "null") print "not reached"; else printf "%.2f s", t }')
    echo "| $net | $ours | $e1 | $theirs | $e2 | $ratio |"
done
