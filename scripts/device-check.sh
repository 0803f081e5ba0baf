#!/usr/bin/env bash
# make device-check: everything GPU in one call, for a machine with an NVIDIA
# GPU; nothing in it can pass by skipping. In order:
#   1. before anything is built, it stops with one line on stderr and exit 1
#      when nvidia-smi is missing or no GPU answers it, then when
#      compute-sanitizer is found neither on PATH nor in the toolkit's bin
#      ($CUDA_HOME/bin when CUDA_HOME is set; else the folder of $NVCC or of
#      the nvcc on PATH, then /usr/local/cuda/bin), then when data/mnist is
#      missing;
#   2. builds for the GPU's architecture;
#   3. the GPU suite with one job and CNN_REQUIRE_GPU=1 (no GPU is a failure);
#   4. compute-sanitizer memcheck, racecheck, synccheck and initcheck on short
#      trainings (200 captured steps and a partial batch; lenet5 and cnn-bn
#      for their own kernels; one run without the graph);
#   5. one epoch each of seed-cnn at batch 50 and 512, lenet5 and cnn-bn at
#      batch 50 on the GPU, with an accuracy floor, and seed-cnn on the CPU
#      for the ratio;
#   6. the PyTorch peers on the same card (eager, CUDA graph, compiled; a
#      Python without CUDA PyTorch fails the check);
# and ends with one table (OUT_DIR/summary.md); every log is under OUT_DIR
# (default build/device-check). Each step has a time limit; the whole check
# is meant to fit in 8 minutes on an H200.
#
# The GPU machines here have no package registry: where Criterion, OpenBLAS,
# zlib or libpng is missing, build/device-deps.tar.xz (made by scripts/device-deps.sh
# on a machine that has them) is unpacked and used instead.
set -uo pipefail
export LC_ALL=C # printf's %.2f reads "97.12" whatever the user's locale

# Step 1 uses bash builtins only (and nvidia-smi under timeout): it must answer at once,
# even with a PATH that holds nothing else (tests/test_device_check.c).
here=${BASH_SOURCE[0]%/*}
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
cd "$here/.." || exit 1
out=${OUT_DIR:-build/device-check}
py=${PYTHON:-python3}
# training images for the sanitizer runs: at batch 50, 200 steps through the
# captured graph, then a partial batch of 30 launched plainly
san_images=10030
san_short=2030

die() { echo "device-check: $*" >&2; exit 1; }
# Every nvidia-smi call gets this limit (seconds): a hung driver would hang
# the check, where it should fail it.
smi_limit=20

# Sets gpu_name and cap (compute capability without the dot, "90") from
# nvidia-smi, or stops the check.
find_gpu() {
    command -v nvidia-smi >/dev/null ||
        die "no GPU: nvidia-smi is not on PATH (this check needs a machine with an NVIDIA GPU and its driver)"
    local answer first
    answer=$(timeout -k 5 "$smi_limit" nvidia-smi --query-gpu=name,compute_cap \
        --format=csv,noheader 2>&1)
    local rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        die "nvidia-smi did not answer within ${smi_limit} s (a hung driver?): reset or reboot the machine"
    fi
    first=${answer%%$'\n'*}
    gpu_name=${first%,*}
    cap=${first##*,}
    cap=${cap// /}
    cap=${cap//./}
    if [ "$rc" -ne 0 ] || ! [[ $cap =~ ^[0-9]+$ ]]; then
        die "no GPU answers nvidia-smi (exit $rc): ${first:-no output}"
    fi
}

# Sets sanitizer to compute-sanitizer's path, or stops the check. CUDA_HOME,
# when set, names the only toolkit looked in besides PATH.
find_sanitizer() {
    local dirs=() nvcc d
    if [ -n "${CUDA_HOME:-}" ]; then
        dirs=("$CUDA_HOME/bin")
    else
        nvcc=$(command -v "${NVCC:-nvcc}") && dirs+=("${nvcc%/*}")
        dirs+=(/usr/local/cuda/bin)
    fi
    sanitizer=$(command -v compute-sanitizer) && return 0
    for d in "${dirs[@]}"; do
        [ -x "$d/compute-sanitizer" ] && { sanitizer=$d/compute-sanitizer; return 0; }
    done
    die "compute-sanitizer not found on PATH nor in ${dirs[*]}: install the CUDA toolkit's compute-sanitizer or set CUDA_HOME to the toolkit (the check does not run without it)"
}

find_gpu
find_sanitizer
[ -f data/mnist/.verified ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] ||
    die "no MNIST in data/mnist: carry it (see README)"

mkdir -p "$out" || exit 1
rm -f "$out/failures.txt"
failures=0
rows=()
row() { rows+=("$(printf '| %-46s | %-40s | %5s |' "$1" "$2" "$3")"); }
fail() { echo "device-check: FAILED: $*" | tee -a "$out/failures.txt"; failures=$((failures + 1)); }
# The number after "key": in the log's last JSON line (ours or a peer's).
json_field() { grep '^{' "$1" | tail -n 1 | sed -n "s/.*\"$2\": *\([0-9.eE+-]*\).*/\1/p"; }

# step NAME LOG LIMIT_S CMD...: CMD with both outputs in OUT_DIR/LOG, stopped
# after LIMIT_S seconds; its exit status in step_rc, its seconds in step_s.
step() {
    local name=$1 log=$2 limit=$3 start=$SECONDS
    shift 3
    echo "== $name"
    timeout -k 10 "$limit" "$@" >"$out/$log" 2>&1
    step_rc=$?
    step_s=$((SECONDS - start))
    if [ "$step_rc" -eq 124 ] || [ "$step_rc" -eq 137 ]; then
        echo "device-check: timed out after ${limit}s" | tee -a "$out/$log"
    fi
}

echo "== GPU: $gpu_name (sm_$cap), compute-sanitizer: $sanitizer"
timeout -k 5 "$smi_limit" nvidia-smi >"$out/nvidia-smi.txt" 2>&1 ||
    echo "device-check: nvidia-smi failed or took over ${smi_limit} s (exit $?)" | tee -a "$out/nvidia-smi.txt"
head -n 15 "$out/nvidia-smi.txt"
# PyTorch is needed only at the end; say now when it will fail there
torch_cuda=0
"$py" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' >/dev/null 2>&1 && torch_cuda=1
[ "$torch_cuda" = 1 ] || echo "device-check: note: $py has no PyTorch with CUDA: the peers will fail"

if ! bash scripts/deps.sh check && [ -f build/device-deps.tar.xz ]; then
    echo "== unpacking build/device-deps.tar.xz (Criterion, OpenBLAS, zlib or libpng missing here)"
    tar -C build -xJf build/device-deps.tar.xz
    deps=$PWD/build/device-deps
    export C_INCLUDE_PATH=$deps/include${C_INCLUDE_PATH:+:$C_INCLUDE_PATH}
    export LIBRARY_PATH=$deps/lib${LIBRARY_PATH:+:$LIBRARY_PATH}
    export LD_LIBRARY_PATH=$deps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

# deps.mk too: make checks the libraries again, here, with what was unpacked
rm -rf build/obj build/libcnn.a build/cnn build/test-cpu build/test-gpu build/config-cuda* \
    build/deps.mk
step "build for sm_$cap" build.log 400 make -j"$(nproc)" CUDA=1 \
    CUDA_ARCH="-gencode arch=compute_${cap},code=sm_${cap}" build/cnn build/test-gpu
if [ "$step_rc" -ne 0 ]; then
    tail -n 30 "$out/build.log"
    die "the build failed (full log: $out/build.log)"
fi
row "build (sm_$cap)" "ok" "$step_s"

# One job (-j1): a GPU in exclusive-process mode takes one process only.
# CNN_REQUIRE_GPU makes "no GPU usable" a failure, not a skip; --verbose
# lists each test, so that a skipped one shows.
step "GPU tests, one job" test-gpu.log 240 env CNN_REQUIRE_GPU=1 build/test-gpu -j1 --verbose
# Criterion's last line: "Synthesis: Tested: N | Passing: N | Failing: 0 | ..."
tested=$(sed -n 's/.*Synthesis: Tested: \([0-9]*\).*/\1/p' "$out/test-gpu.log" | tail -n 1)
passing=$(sed -n 's/.*Synthesis: .*Passing: \([0-9]*\).*/\1/p' "$out/test-gpu.log" | tail -n 1)
if [ "$step_rc" -eq 0 ] && [ "${tested:-0}" -gt 0 ] && [ "$passing" = "$tested" ] &&
        ! grep -q '^\[SKIP\]' "$out/test-gpu.log"; then
    row "GPU tests (-j1, CNN_REQUIRE_GPU=1)" "$passing of $tested passed, none skipped" "$step_s"
else
    fail "GPU tests (see test-gpu.log; a skipped test fails here too)"
    row "GPU tests (-j1, CNN_REQUIRE_GPU=1)" "FAILED" "$step_s"
    tail -n 40 "$out/test-gpu.log"
fi

# sanitize TOOL NET IMAGES LOG [FLAGS...]: one epoch of IMAGES training images
# under the tool; passes on exit 0 with the tool's summary line in the log.
sanitize() {
    local tool=$1 net=$2 images=$3 log=$4 name summary
    shift 4
    name="$tool: $net, $images images${*:+ $*}"
    step "compute-sanitizer $name" "$log" 180 "$sanitizer" --tool "$tool" --error-exitcode 9 \
        build/cnn train --device gpu --net "$net" --epochs 1 --train-limit "$images" \
        --log '' --quiet "$@"
    summary=$(grep -o '[A-Z]* SUMMARY: .*' "$out/$log" | tail -n 1)
    if [ "$step_rc" -eq 0 ] && [ -n "$summary" ]; then
        row "$name" "${summary#* SUMMARY: }" "$step_s"
    else
        fail "compute-sanitizer $name (see $log)"
        row "$name" "FAILED" "$step_s"
        tail -n 30 "$out/$log"
    fi
}
sanitize memcheck seed-cnn "$san_images" memcheck.log
sanitize memcheck seed-cnn "$san_short" memcheck-nograph.log --graph false
sanitize memcheck lenet5 "$san_short" memcheck-lenet5.log
sanitize memcheck cnn-bn "$san_short" memcheck-cnn-bn.log
sanitize racecheck seed-cnn "$san_images" racecheck.log
sanitize synccheck seed-cnn "$san_images" synccheck.log
sanitize initcheck seed-cnn "$san_images" initcheck.log
sanitize initcheck cnn-bn "$san_short" initcheck-cnn-bn.log

# run_result NAME LOG WHAT: the last step's test_acc and seconds_per_epoch
# (from the JSON line in LOG) into acc and secs; when the step failed or
# wrote none, a FAILED row for NAME, the log's end, and status 1.
run_result() {
    local name=$1 log=$2 what=$3
    acc=$(json_field "$out/$log" test_acc)
    secs=$(json_field "$out/$log" seconds_per_epoch)
    if [ "$step_rc" -ne 0 ] || [ -z "$acc" ]; then
        fail "$what (see $log)"
        row "$name" "FAILED" "$step_s"
        tail -n 20 "$out/$log"
        return 1
    fi
}

# train NAME NET BATCH DEVICE LOG MIN_ACC: one epoch; fails below MIN_ACC%
# test accuracy (each floor is about 2 points under what the CPU reaches after
# one epoch, bench/RESULTS.md: 96.9, 89.2, 97.9, 98.6%).
train() {
    local name=$1 net=$2 batch=$3 device=$4 log=$5 min_acc=$6 acc secs
    step "$name" "$log" 180 build/cnn train --net "$net" --device "$device" --batch "$batch" \
        --epochs 1 --log '' --log-every 0
    run_result "$name" "$log" "training $name" || return 0
    # a run under its floor says so in its own row, not only in the count
    if awk -v a="$acc" -v m="$min_acc" 'BEGIN { exit !(a >= m) }'; then
        row "$name" "$(printf '%.2f%% after 1 epoch, %.3f s/epoch' "$acc" "$secs")" "$step_s"
    else
        fail "$name reached ${acc}% (< ${min_acc}%)"
        row "$name" "$(printf 'FAILED: %.2f%% < %s%%, %.3f s/epoch' "$acc" "$min_acc" "$secs")" \
            "$step_s"
    fi
}
train "seed-cnn b50 GPU" seed-cnn 50 gpu train-gpu-seed-cnn-b50.log 95
train "seed-cnn b512 GPU" seed-cnn 512 gpu train-gpu-seed-cnn-b512.log 85
train "lenet5 b50 GPU" lenet5 50 gpu train-gpu-lenet5-b50.log 96
train "cnn-bn b50 GPU" cnn-bn 50 gpu train-gpu-cnn-bn-b50.log 97
train "seed-cnn b50 CPU ($(nproc) cores)" seed-cnn 50 cpu train-cpu-seed-cnn-b50.log 95
s50=$(json_field "$out/train-gpu-seed-cnn-b50.log" seconds_per_epoch)
scpu=$(json_field "$out/train-cpu-seed-cnn-b50.log" seconds_per_epoch)
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.1fx", a / b; else print "?" }'; }
row "seed-cnn b50: GPU over CPU" "$(ratio "$scpu" "$s50")" ""

# The PyTorch peers: seed-cnn's preset at batch 50, one epoch on this GPU.
for mode in eager graph compile; do
    name="PyTorch $mode, seed-cnn b50 GPU"
    if [ "$torch_cuda" != 1 ]; then
        fail "$name: $py has no PyTorch with CUDA"
        row "$name" "FAILED: no PyTorch with CUDA" ""
        continue
    fi
    step "$name" "peer-torch-$mode.log" 300 "$py" bench/peers/torch_cnn.py \
        --data "$PWD/data/mnist" --net seed-cnn --device cuda --mode "$mode"
    run_result "$name" "peer-torch-$mode.log" "$name" || continue
    row "$name" "$(printf '%.2f%%, %.3f s/epoch' "$acc" "$secs") ($(ratio "$secs" "$s50") ours)" "$step_s"
done

{
    echo
    echo "device-check on $gpu_name, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), ${SECONDS} s"
    printf '| %-46s | %-40s | %5s |\n' "check" "result" "s"
    printf '|%s|%s|%s|\n' "------------------------------------------------" \
        "------------------------------------------" "------:"
    printf '%s\n' "${rows[@]}"
    [ "$failures" -eq 0 ] && echo "device-check: all passed" || echo "device-check: $failures FAILED"
} | tee "$out/summary.md"
exit $((failures > 0))
