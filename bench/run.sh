#!/usr/bin/env bash
# make bench: this project on every backend at hand (per-layer times,
# throughput, scaling), the peers on the same data, net, batch and
# hyperparameters (the report's numpy algorithm, PyTorch on the CPU, and on a
# GPU machine PyTorch eager, with CUDA graphs and compiled), the ratios, and
# plots; then, per net of BENCH_NETS (seed-cnn lenet5 cnn-bn), `cnn train`
# on the CPU against the PyTorch peer on the CPU, both with the trainer's
# preset at batch 50 (a net the trainer refuses is skipped, with its reason);
# then the colour section (bench/colour.sh: both on the data sets `make
# derived-data` derives from MNIST; its failure stops nothing else).
# First, the peers' data readers check themselves on synthetic files
# (bench/peers/test_peer_data.py; a failure stops the bench: the peers'
# numbers would not be comparable). Tables on stdout; CSV, JSON and PNG
# under build/bench.
# BENCH_QUICK=1 times slices of an epoch (numpy: 200 steps; the per-net
# runs and PyTorch CPU: 300 steps) for a fast look.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
rm -f "$out"/peer-*.json "$out"/ours-*.json "$out"/ours-*.skip
py=${PYTHON:-/usr/bin/python3}
quick=${BENCH_QUICK:-0}
nets=${BENCH_NETS:-seed-cnn lenet5 cnn-bn}
net_steps=$([ "$quick" = 1 ] && echo 300 || echo 0) # 0: the whole epoch
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
"$py" bench/peers/test_peer_data.py

{
    echo "# cnn benchmark: $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
    echo
    echo "CPU: $cpu, $(nproc) cores. GPU: $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)"
    echo
    build/cnn-bench --out "$out" $([ "$quick" = 1 ] && echo --quick)
} | tee "$out/bench.md"

peer() { # name, then the command
    local name=$1
    shift
    echo "peer: $name ..." >&2
    if ! (cd bench/peers && "$@") >"$out/peer-$name.json" 2>"$out/peer-$name.log"; then
        echo "peer $name failed (see $out/peer-$name.log)" >&2
        rm -f "$out/peer-$name.json"
    fi
}
data=$PWD/data/mnist
peer numpy "$py" numpy_cnn.py --data "$data" $([ "$quick" = 1 ] && echo --steps 200)
peer torch-cpu "$py" torch_cnn.py --data "$data" --net seed-cnn --batch 50 --device cpu \
    --steps "$net_steps"
if "$py" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    for mode in eager graph compile; do
        peer "torch-gpu-$mode" "$py" torch_cnn.py --data "$data" --device cuda --mode "$mode"
    done
fi

# Per net: `cnn train` for one epoch on the CPU (or its first net_steps
# batches: --train-limit), and the PyTorch peer on the CPU for the same
# steps, both from the trainer's preset at batch 50. The peer reads the
# preset from `build/cnn summary`, so a net the trainer refuses is skipped
# for both. seed-cnn's peer run is the torch-cpu run above.
for net in $nets; do
    if ! why=$(build/cnn summary --net "$net" 2>&1 >/dev/null); then
        echo "net $net: skipped: build/cnn refuses it: $why" >&2
        echo "$why" >"$out/ours-$net.skip"
        continue
    fi
    echo "ours: $net (cnn train, cpu) ..." >&2
    if ! build/cnn train --data "$data" --net "$net" --batch 50 --epochs 1 --device cpu \
        --train-limit $((net_steps * 50)) --quiet --log "" >"$out/ours-$net.log" 2>&1; then
        echo "ours $net failed (see $out/ours-$net.log)" >&2
        echo "cnn train failed: $(tail -n 1 "$out/ours-$net.log")" >"$out/ours-$net.skip"
        continue
    fi
    grep '^{' "$out/ours-$net.log" | tail -n 1 >"$out/ours-$net.json"
    [ "$net" = seed-cnn ] || peer "torch-cpu-$net" "$py" torch_cnn.py --data "$data" \
        --net "$net" --batch 50 --device cpu --steps "$net_steps"
done
"$py" bench/report.py "$out" "$nets" | tee -a "$out/bench.md"
bash bench/tta.sh | tee -a "$out/bench.md"
bash bench/colour.sh "$out" | tee -a "$out/bench.md" ||
    echo "colour section failed or skipped (see the lines above and $out/colour-*.log)" >&2

if command -v gnuplot >/dev/null; then
    backends=$(cut -d, -f3 "$out/throughput.csv" | tail -n +2 | sort -u | tr '\n' ' ')
    gnuplot -e "dir='$out'; backends='$backends'" bench/plot.gp && echo "plots: $out/throughput-seed-cnn.png, $out/throughput-mlp1.png"
else
    echo "gnuplot not found: no plots (apt-get install gnuplot-nox)"
fi
