#!/usr/bin/env bash
# make bench: this project on every backend at hand (per-layer times,
# throughput, scaling), the peers on the same data, net, batch and
# hyperparameters (the report's numpy algorithm, PyTorch on the CPU, and on a
# GPU machine PyTorch eager, with CUDA graphs and compiled), the ratios, and
# plots. Tables on stdout; CSV, JSON and PNG under build/bench.
# BENCH_QUICK=1 times slices of an epoch (numpy: 200 steps) for a fast look.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
rm -f "$out"/peer-*.json
py=${PYTHON:-/usr/bin/python3}
quick=${BENCH_QUICK:-0}
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')

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
peer torch-cpu "$py" torch_cnn.py --data "$data" --device cpu $([ "$quick" = 1 ] && echo --steps 300)
if "$py" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    for mode in eager graph compile; do
        peer "torch-gpu-$mode" "$py" torch_cnn.py --data "$data" --device cuda --mode "$mode"
    done
fi
"$py" bench/report.py "$out" | tee -a "$out/bench.md"

if command -v gnuplot >/dev/null; then
    backends=$(cut -d, -f3 "$out/throughput.csv" | tail -n +2 | sort -u | tr '\n' ' ')
    gnuplot -e "dir='$out'; backends='$backends'" bench/plot.gp && echo "plots: $out/throughput-seed-cnn.png, $out/throughput-mlp1.png"
else
    echo "gnuplot not found: no plots (apt-get install gnuplot-nox)"
fi
