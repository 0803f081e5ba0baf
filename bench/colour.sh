#!/usr/bin/env bash
# bench/colour.sh [OUT]: the colour section of make bench (bench/run.sh runs
# it; a failure here leaves the MNIST bench as it was). `make derived-data`
# writes build/derived/colour-mnist (CIFAR-10 binary, 3x32x32, from MNIST)
# and build/derived/digit-folder (train/ and test/ image folders); on each,
# `cnn train --data DIR` (the format found from what DIR holds) and the
# PyTorch peer (bench/peers/torch_cnn.py, the same auto-detection) train the
# same preset (spec and recipe, read from `cnn summary`) with the same seed
# and epochs on the CPU, and a table gives both test accuracies and their
# difference; OUT/colour.json keeps every number.
#   BENCH_COLOUR_NET     the trainer's preset (default seed-cnn)
#   BENCH_COLOUR_EPOCHS  epochs for both (default 5)
#   BENCH_COLOUR_DATA    the data sets: names under build/derived (default
#                        "colour-mnist digit-folder"), or folders (a word
#                        with a /: any data `cnn train --data` takes, as a
#                        CIFAR-10 copy; then make derived-data is not run
#                        unless a name needs it)
#   BENCH_SEED           the seed for both (default 1)
#   BENCH_QUICK=1        one epoch of 300 steps each (--train-limit, --steps)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${1:-build/bench}
mkdir -p "$out"
py=${PYTHON:-/usr/bin/python3}
net=${BENCH_COLOUR_NET:-seed-cnn}
epochs=${BENCH_COLOUR_EPOCHS:-5}
sets=${BENCH_COLOUR_DATA:-colour-mnist digit-folder}
seed=${BENCH_SEED:-1}
quick=${BENCH_QUICK:-0}
steps=$([ "$quick" = 1 ] && echo 300 || echo 0) # 0: whole epochs
[ "$quick" = 1 ] && epochs=1
rm -f "$out"/colour-*.json "$out"/colour-*.skip "$out"/colour.json

derive=0
for name in $sets; do [[ $name == */* ]] || derive=1; done
if [ "$derive" = 1 ]; then
    echo "colour: make derived-data ..." >&2
    log=$out/colour-derived-data.log
    if ! make --no-print-directory derived-data >"$log" 2>&1; then
        echo "colour: skipped: make derived-data failed:" \
            "$(grep -m 1 -F '***' "$log" || tail -n 1 "$log") (see $log)" >&2
        exit 1
    fi
fi
# The preset's batch sizes --train-limit to the peer's --steps.
if ! batch=$(build/cnn summary --net "$net" 2>&1 | sed -n 's/^preset-flags.* --batch \([0-9]*\).*/\1/p') ||
    [ -z "$batch" ]; then
    echo "colour: skipped: build/cnn summary --net $net gives no preset batch" >&2
    exit 1
fi

for set in $sets; do
    if [[ $set == */* ]]; then data=${set%/} name=$(basename "$data"); else
        data=build/derived/$set name=$set; fi
    if [ ! -d "$data" ]; then
        echo "no folder $data" >"$out/colour-ours-$name.skip"
        continue
    fi
    echo "colour: ours: $net on $name ($epochs epochs, cnn train, cpu) ..." >&2
    if build/cnn train --data "$data" --net "$net" --epochs "$epochs" --seed "$seed" \
        --device cpu --train-limit $((steps * batch)) --quiet --log "" \
        >"$out/colour-ours-$name.log" 2>&1; then
        grep '^{' "$out/colour-ours-$name.log" | tail -n 1 >"$out/colour-ours-$name.json"
    else
        echo "cnn train failed: $(tail -n 1 "$out/colour-ours-$name.log")" \
            >"$out/colour-ours-$name.skip"
    fi
    echo "colour: peer: $net on $name ($epochs epochs, PyTorch, cpu) ..." >&2
    [[ $data == /* ]] || data=../../$data # from bench/peers
    if ! (cd bench/peers && "$py" torch_cnn.py --data "$data" --net "$net" \
        --epochs "$epochs" --seed "$seed" --device cpu --steps "$steps") \
        >"$out/colour-peer-$name.json" 2>"$out/colour-peer-$name.log"; then
        echo "torch_cnn.py failed: $(tail -n 1 "$out/colour-peer-$name.log")" \
            >"$out/colour-peer-$name.skip"
        rm -f "$out/colour-peer-$name.json"
    fi
done
"$py" bench/peers/colour_report.py "$out" "$(for s in $sets; do basename "$s"; done)"
