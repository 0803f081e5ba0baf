#!/usr/bin/env bash
# make device-check: everything GPU in one call, for a machine with an NVIDIA
# GPU. Prints the GPU, builds for its architecture, runs the GPU and CPU test
# suites, a short GPU training under compute-sanitizer (memcheck), seed-cnn
# for 30 epochs at batch 50 and 512, one CPU epoch for the ratio, and ends
# with a table. Logs go to OUT_DIR (default build/device-check).
#
# The GPU machines here have no package registry: where Criterion, OpenBLAS,
# zlib or libpng is missing, build/device-deps.tar.xz (made by scripts/device-deps.sh
# on a machine that has them) is unpacked and used instead.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT_DIR:-build/device-check}
mkdir -p "$out"
failures=0
rows=()
row() { rows+=("$(printf '| %-44s | %-28s |' "$1" "$2")"); }
fail() { echo "device-check: FAILED: $*" | tee -a "$out/failures.txt"; failures=$((failures + 1)); }
json_field() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }

echo "== GPU"
nvidia-smi 2>&1 | tee "$out/nvidia-smi.txt" | head -15
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '. ')
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
[ -n "$cap" ] || { echo "device-check: no GPU answers nvidia-smi" >&2; exit 1; }
arch="-gencode arch=compute_${cap},code=sm_${cap}"

if ! bash scripts/deps.sh check && [ -f build/device-deps.tar.xz ]; then
    echo "== unpacking build/device-deps.tar.xz (Criterion, OpenBLAS, zlib or libpng missing here)"
    tar -C build -xJf build/device-deps.tar.xz
    deps=$PWD/build/device-deps
    export C_INCLUDE_PATH=$deps/include${C_INCLUDE_PATH:+:$C_INCLUDE_PATH}
    export LIBRARY_PATH=$deps/lib${LIBRARY_PATH:+:$LIBRARY_PATH}
    export LD_LIBRARY_PATH=$deps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

echo "== build for sm_$cap"
# deps.mk too: make checks the libraries again, here, with what was unpacked
rm -rf build/obj build/libcnn.a build/cnn build/test-cpu build/test-gpu build/config-cuda* \
    build/deps.mk
if ! make -j"$(nproc)" CUDA=1 CUDA_ARCH="$arch" build/cnn build/test-gpu build/test-cpu \
        >"$out/build.log" 2>&1; then
    tail -n 30 "$out/build.log"
    echo "device-check: the build failed (full log: $out/build.log)" >&2
    exit 1
fi
row "build (sm_$cap)" "ok"

echo "== GPU tests"
# one at a time (-j1): a GPU in exclusive-process mode takes one process only;
# CNN_REQUIRE_GPU makes "no GPU usable" a failure here, not a skip
if CNN_REQUIRE_GPU=1 build/test-gpu -j1 >"$out/test-gpu.log" 2>&1 &&
        grep -q 'Synthesis' "$out/test-gpu.log"; then
    row "GPU tests" "$(grep -o 'Tested: [0-9]* | Passing: [0-9]*' "$out/test-gpu.log" | tail -n 1)"
else fail "GPU tests (see test-gpu.log)"; row "GPU tests" "FAILED"; tail -n 40 "$out/test-gpu.log"; fi
echo "== CPU tests"
if CNN_BIN=build/cnn build/test-cpu >"$out/test-cpu.log" 2>&1; then row "CPU tests" "$(tail -n 1 "$out/test-cpu.log" | grep -o 'Tested: [0-9]* | Passing: [0-9]*' || echo passed)"
else fail "CPU tests (see test-cpu.log)"; row "CPU tests" "FAILED"; tail -n 20 "$out/test-cpu.log"; fi

[ -f data/mnist/.verified ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] ||
    { echo "device-check: no MNIST in data/mnist: carry it (see README)" >&2; exit 1; }

# A short GPU training under compute-sanitizer: 2030 samples at batch 50
# take the captured graph for the full steps and plain launches for the last
# 30; a second run launches everything plainly. Then racecheck and initcheck.
sanitize() { # tool log extra-flags...
    local tool=$1 log=$2
    shift 2
    if compute-sanitizer --tool "$tool" --error-exitcode 9 build/cnn train --device gpu \
            --epochs 1 --log '' --quiet "$@" >"$out/$log" 2>&1; then
        row "compute-sanitizer $tool $*" "$(grep -o 'ERROR SUMMARY: [0-9]* errors*' "$out/$log" | tail -n 1)"
    else fail "compute-sanitizer $tool (see $log)"; row "compute-sanitizer $tool $*" "FAILED"; tail -n 30 "$out/$log"; fi
}
if command -v compute-sanitizer >/dev/null; then
    echo "== compute-sanitizer"
    sanitize memcheck memcheck.log --train-limit 2030
    sanitize memcheck memcheck-nograph.log --train-limit 530 --graph false
    sanitize racecheck racecheck.log --train-limit 230
    sanitize initcheck initcheck.log --train-limit 230
else row "compute-sanitizer" "not installed"; fi

train() { # name batch epochs device log
    build/cnn train --net seed-cnn --device "$4" --batch "$2" --epochs "$3" --log '' \
        --log-every 0 >"$out/$5" 2>&1 || fail "training $1 (see $5)"
    grep '^epoch' "$out/$5" | tail -n 2
}
echo "== seed-cnn, 30 epochs, batch 50, GPU"
train b50 50 30 gpu train-gpu-b50.log
echo "== seed-cnn, 30 epochs, batch 512, GPU"
train b512 512 30 gpu train-gpu-b512.log
echo "== seed-cnn, 1 epoch, batch 50, CPU ($(nproc) cores)"
train cpu 50 1 cpu train-cpu-b50.log

acc50=$(json_field "$out/train-gpu-b50.log" test_acc)
s50=$(json_field "$out/train-gpu-b50.log" seconds_per_epoch)
acc512=$(json_field "$out/train-gpu-b512.log" test_acc)
s512=$(json_field "$out/train-gpu-b512.log" seconds_per_epoch)
scpu=$(json_field "$out/train-cpu-b50.log" seconds_per_epoch)
row "seed-cnn b50 GPU: test acc after 30 epochs" "${acc50:-?}%"
row "seed-cnn b50 GPU: s/epoch" "${s50:-?}"
row "seed-cnn b512 GPU: test acc after 30 epochs" "${acc512:-?}%"
row "seed-cnn b512 GPU: s/epoch" "${s512:-?}"
row "seed-cnn b50 CPU ($(nproc) cores): s/epoch" "${scpu:-?}"
ratio=$(awk -v c="${scpu:-0}" -v g="${s50:-0}" 'BEGIN { if (g > 0) printf "%.1f", c / g; else print "?" }')
row "GPU over CPU at b50" "${ratio}x"
awk -v a="${acc50:-0}" 'BEGIN { exit !(a >= 98.5) }' || fail "seed-cnn reached ${acc50:-?}% (< 98.5%)"

{
    echo
    echo "device-check on $gpu_name, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf '| %-44s | %-28s |\n' "check" "result"
    printf '|%s|%s|\n' "----------------------------------------------" "------------------------------"
    printf '%s\n' "${rows[@]}"
    [ "$failures" -eq 0 ] && echo "device-check: all passed" || echo "device-check: $failures FAILED"
} | tee "$out/summary.md"
exit $((failures > 0))
