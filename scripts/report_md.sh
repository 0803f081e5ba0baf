#!/usr/bin/env bash
# scripts/report_md.sh OUT EPOCHS "SEEDS" TRAIN_LIMIT PICTURES_NET: the
# markdown of make report (scripts/report.sh), from the runs, charts and
# pictures already in OUT, on stdout (EPOCHS "" when each net ran its
# preset's). Can be run again on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 epochs=$2 limit=$4 pictures_net=$5
read -r -a seeds <<<"$3"
cnn=${CNN:-build/cnn}
nets=(seed-cnn mlp1 mlp2)

# The report's own figures (its sections 4.1 and 4.2): the highest test
# accuracy, the time of 30 epochs in seconds (the CNN's "at least 2 h") and
# the parameters of each layer that has any, as W b pairs.
declare -A report_acc=([seed-cnn]=98.58 [mlp1]=98.32 [mlp2]=98.75)
declare -A report_time=([seed-cnn]=7200 [mlp1]=120 [mlp2]=210)
declare -A report_time_text=([seed-cnn]="≥ 2 h" [mlp1]="2 min" [mlp2]="3.5 min")
declare -A report_params=([seed-cnn]="100 4 800 8 3920 10" [mlp1]="307328 392 3920 10"
                          [mlp2]="307328 392 76832 196 1960 10")

# A field of the JSON line that ends a log: text or number.
text() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; }
number() { tail -n 1 "$1" | sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p"; }

# One line per run of NET, from its CSV log and JSON line: the highest test
# accuracy and its epoch, the same over the first 30 epochs, the accuracy
# after the last epoch, the wall time at the end of epoch 30 (or of the last
# epoch when there are fewer), the epochs, the training time (steps only)
# and the wall time of the whole run.
run_figures() {
    local seed dir
    for seed in "${seeds[@]}"; do
        dir=$out/runs/$1-s$seed
        awk -F, -v ts="$(number "$dir/train.log" train_seconds)" '
            $1 == "test" { e = $2 + 0; v = $5 + 0; last = v; wall = $7
                           if (v > best) { best = v; at = e }
                           if (e <= 30) { if (v > best30) { best30 = v; at30 = e }; wall30 = wall } }
            END { printf "%.2f %d %.2f %d %.2f %.1f %d %.1f %.1f\n", best, at, best30, at30, last,
                         wall30, e, ts, wall }' "$dir/train.csv"
    done
}

# The mean of column C of run_figures' lines, printf format F.
mean() { awk -v c="$1" -v f="$2" '{ s += $c } END { printf f, s / NR }'; }
# The mean of column C and its range, format F, unit U after the mean:
# "98.12% (98.05-98.20)", or the value alone for one run.
spread() {
    awk -v c="$1" -v f="$2" -v u="${3:-}" '
        { v = $c + 0; s += v; if (NR == 1 || v < lo) lo = v; if (NR == 1 || v > hi) hi = v }
        END { m = sprintf(f, s / NR) u; if (NR == 1) print m
              else printf "%s (%s-%s)\n", m, sprintf(f, lo), sprintf(f, hi) }'
}

# How our mean highest accuracy stands to the report's, in percentage
# points: at or above it, less than 0.1 below, or further below.
verdict() {
    awk -v ours="$1" -v theirs="$2" 'BEGIN {
        d = ours - theirs
        if (d >= -1e-9) printf "above, +%.3f", d
        else if (d >= -0.1 - 1e-9) printf "within 0.1 below, %.3f", d
        else printf "**below**, %.3f", d }'
}

header() {
    local seed_text="seeds ${seeds[*]}" limit_text="" epochs_text="its preset's epochs"
    [ -z "$epochs" ] || epochs_text="$epochs epoch(s)"
    [ "${#seeds[@]}" -gt 1 ] || seed_text="seed ${seeds[*]}"
    [ "$limit" -eq 0 ] || limit_text=", the first $limit training images only"
    echo "# The report, reproduced"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git describe --always --dirty 2>/dev/null || echo '?'):" \
         "\`make report${epochs:+ EPOCHS=$epochs}\`: each net trained for $epochs_text, $seed_text$limit_text."
    echo "Device: $(sed -n 's/^  device *//p' "$out/runs/seed-cnn-s${seeds[0]}/train.log" | head -n 1)."
    echo "The report: 人工神经网络实验报告, 作业 2 · CNN (周正平, 2017-10-23), sections 3 to 5."
}

side_by_side() {
    local net figures epochs_run
    echo
    echo "## The report's table, side by side (its section 4.1)"
    echo
    echo "The report's section 4.1 gives one accuracy (\"精度\") per net; for the CNN its"
    echo "section 3.1 calls it the highest test accuracy (\"最高精度\"). Its MLP settings"
    echo "list max_epoch 100, and it compares the nets over 30 epochs only because the CNN"
    echo "trained so slowly; whether its MLP figures come from 30 epochs or more it does not"
    echo "say. So ours are given both ways: the highest test accuracy over the whole run"
    echo "(the presets: the CNN 30 epochs, the MLPs 100) and over its first 30 epochs, as"
    echo "the mean over the seeds with the range in brackets, and the mean epoch it came."
    echo "Time is the wall time of the first 30 epochs, testing after each included,"
    echo "against the report's for 30 (a run of fewer epochs is compared with the"
    echo "report's time scaled to as many)."
    echo
    local time_col="30 epochs" shortest
    shortest=$(printf '%s\n' "${figures_of[@]}" | awk '{ print $7 }' | sort -n | head -n 1)
    [ "$shortest" -ge 30 ] || time_col="$shortest epoch(s)"
    echo "| net | parameters | epochs | report: accuracy | ours: accuracy, mean epoch | ours: in the first 30 epochs | ours: after the last epoch | against the report (run; first 30) | report: 30 epochs | ours: $time_col | speed-up |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
    for net in "${nets[@]}"; do
        figures=${figures_of[$net]}
        epochs_run=$(awk '{ print $7; exit }' <<<"$figures")
        printf '| %s | %s | %s | %s%% | %s, epoch %s | %s, epoch %s | %s | %s; %s | %s | %s | %s |\n' \
            "$net" "$(number "$out/runs/$net-s${seeds[0]}/train.log" params)" "$epochs_run" \
            "${report_acc[$net]}" "$(spread 1 '%.2f' '%' <<<"$figures")" \
            "$(spread 2 '%.0f' <<<"$figures")" "$(spread 3 '%.2f' '%' <<<"$figures")" \
            "$(spread 4 '%.0f' <<<"$figures")" "$(spread 5 '%.2f' '%' <<<"$figures")" \
            "$(verdict "$(mean 1 '%.4f' <<<"$figures")" "${report_acc[$net]}")" \
            "$(verdict "$(mean 3 '%.4f' <<<"$figures")" "${report_acc[$net]}")" \
            "${report_time_text[$net]}" "$(spread 6 '%.1f' ' s' <<<"$figures")" \
            "$(speedup "$net" "$(mean 6 '%.3f' <<<"$figures")" "$epochs_run")"
    done
}

# The report's time of 30 epochs over ours (scaled when ours ran fewer).
speedup() {
    awk -v r="${report_time[$1]}" -v w="$2" -v e="$3" -v net="$1" 'BEGIN {
        if (e > 30) e = 30
        printf "%s%.1fx\n", net == "seed-cnn" ? "≥ " : "", r * e / 30 / w }'
}

each_run() {
    local net seed figures
    echo
    echo "## Each run"
    echo
    echo "| net | seed | epochs | highest test accuracy | at epoch | in the first 30 | at epoch | after the last epoch | wall time of 30 epochs (s) | training time (s) | wall time (s) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for net in "${nets[@]}"; do
        figures=${figures_of[$net]}
        for seed in "${seeds[@]}"; do
            read -r best at best30 at30 last wall30 epochs_run train_s wall
            printf '| %s | %s | %s | %s%% | %s | %s%% | %s | %s%% | %s | %s | %s |\n' "$net" "$seed" \
                "$epochs_run" "$best" "$at" "$best30" "$at30" "$last" "$wall30" "$train_s" "$wall"
        done <<<"$figures"
    done
    echo
    echo "Settings (from the first run's own lines):"
    echo
    for net in "${nets[@]}"; do
        echo "- $net: \`$(text "$out/runs/$net-s${seeds[0]}/train.log" spec)\`;" \
             "$(settings "$out/runs/$net-s${seeds[0]}/train.log")"
    done
}

# What a run trained with, from the lines its train.log starts with: the
# banner's facts and settings, each "  NAME  VALUE" with the setting's flag
# as its name (lr, lr-step, weight-decay, init-std, ...), read into one
# line: "epochs 30; batch 50; lr 0.1, x0.5 every 5 epochs; momentum 0.0001;
# weight decay 0.0002; init uniform, +-sqrt(6/fan_in); input x * ...". The
# lr's schedule and the initial weights are said in words, from lr-schedule,
# lr-step, lr-gamma, warmup and init-std; an optimizer other than sgd is
# named, and momentum is given where it applies (sgd, nesterov).
settings() {
    awk '/^epoch / { exit }
         /^  [a-z][a-z0-9-]* +[^ ]/ {
             value = $0; sub(/^  [a-z][a-z0-9-]* +/, "", value); v[$1] = value }
         function schedule(    s) {
             if (v["lr-schedule"] == "step" || v["lr-schedule"] == "")
                 s = v["lr-step"] + 0 > 0 ? sprintf("x%s every %s epochs", v["lr-gamma"], v["lr-step"]) : "constant"
             else if (v["lr-schedule"] == "onecycle")
                 s = sprintf("onecycle: up from %g, down to %g over %s epochs", v["lr"] / 25,
                             v["lr"] / 25 / 1e4, v["epochs"])
             else
                 s = sprintf("%s to 0 over %s epochs", v["lr-schedule"], v["epochs"])
             if (v["warmup"] + 0 > 0)
                 s = s sprintf(", %s %s epochs",
                               v["lr-schedule"] == "onecycle" ? "peak after" : "warmup", v["warmup"])
             return s }
         function add(key, value) { if (value != "") line = line (line == "" ? "" : "; ") key " " value }
         END {
             optimizer = v["optimizer"] == "" ? "sgd" : v["optimizer"]
             add("epochs", v["epochs"]); add("batch", v["batch"])
             if (optimizer != "sgd") add("optimizer", optimizer)
             if ("lr" in v) add("lr", v["lr"] ", " schedule())
             if (optimizer == "sgd" || optimizer == "nesterov") add("momentum", v["momentum"])
             add("weight decay", v["weight-decay"])
             if (v["init-std"] + 0 > 0) add("init", "normal, deviation " v["init-std"])
             else if ("init-std" in v) add("init", "uniform, +-sqrt(6/fan_in)")
             add("input", v["input"])
             print line }' "$1"
}

# The report's parameter table: each layer with weights, W and b beside the
# report's figures.
parameters() {
    local net
    echo
    echo "## Parameters (the report's section 4.2)"
    echo
    echo "| net | layer | W (ours) | b (ours) | W, b (report) | total (ours) |"
    echo "|---|---|---:|---:|---:|---:|"
    for net in "${nets[@]}"; do
        "$cnn" summary --net "$net" | awk -v net="$net" -v theirs="${report_params[$net]}" '
            BEGIN { n = split(theirs, r, " ") }
            /^total parameters:/ { total = $3 }
            /^[0-9]/ && /=/ {
                for (i = 1; i <= NF; i++) if ($i ~ /=/) { w = $i; b = $(i + 1) }
                kind = $2; sub(/[0-9]+$/, "", kind) # fc392 -> fc
                name = kind; if (kind == "conv" || kind == "fc") { k[kind]++; name = kind k[kind] }
                split(w, wv, "="); row++
                mark = (r[2 * row - 1] == wv[2] && r[2 * row] == b) ? "" : " **differs**"
                line[row] = sprintf("| %s | %s | %s | %s | %s, %s%s |", net, name, w, b,
                                    r[2 * row - 1], r[2 * row], mark) }
            END { if (2 * row != n) line[row] = line[row] " (the report lists " n / 2 " layers)"
                  for (i = 1; i <= row; i++) printf "%s %s |\n", line[i], i == row ? total : "" }'
    done
}

charts() {
    local net
    echo
    echo "## Training curves (the report's section 3.2 and figures 5 to 7)"
    echo
    echo "Training loss and accuracy are the mean over each 25 iterations (the report's"
    echo "figure 5); test accuracy and loss are after each epoch (figures 6 and 7). One"
    echo "line per seed."
    for net in "${nets[@]}"; do
        echo
        echo "### $net"
        echo
        echo "![$net training loss]($net/loss.png)"
        echo "![$net training accuracy]($net/accuracy.png)"
        echo "![$net test accuracy]($net/test-accuracy.png)"
        echo "![$net test loss]($net/test-loss.png)"
    done
    echo
    echo "## The CNN against the MLPs (the report's figures 8 and 9)"
    echo
    echo "Seed ${seeds[0]} of each net over its first 30 epochs, as the report compares"
    echo "them: training curves as the mean over each 50 iterations (figure 8; seed-cnn"
    echo "has 50 images a step, the MLPs 100), test curves per epoch (figure 9)."
    echo
    echo "![training loss](compare/loss.png)"
    echo "![training accuracy](compare/accuracy.png)"
    echo "![test accuracy](compare/test-accuracy.png)"
    echo "![test loss](compare/test-loss.png)"
}

# Section 5: for each digit, what the net predicted, then the outputs after
# ReLU and the kernels of both convolutions.
pictures() {
    local net=$1 dir=pictures/$1 digit
    echo
    echo "| digit | test image | predicted | probability |"
    echo "|---:|---:|---:|---:|"
    tail -n 1 "$out/$dir.log" | grep -o '{"class":[^}]*}' | sed 's/[{}"]//g; s/[a-z_]*://g' |
        awk -F, '{ printf "| %s | %s | %s%s | %.4f |\n", $1, $2, $3, $1 == $3 ? "" : " (wrong)", $4 }'
    for conv in 1 2; do
        echo
        echo "Convolution $conv after its ReLU, digits 0, 3, 6 and 9 (one tile a channel):"
        echo
        for digit in 0 3 6 9; do
            echo "![digit $digit, conv$conv after ReLU]($dir/class${digit}_conv${conv}_relu.png)"
        done
        echo
        echo "Convolution $conv's kernels (rows: output channels; columns: input channels):"
        echo
        echo "![conv$conv kernels]($dir/conv${conv}_kernels.png)"
    done
    echo
    echo "What each picture shows, and each map's value range: [$dir/index.md]($dir/index.md)."
}

section5() {
    echo
    echo "## Pictures (the report's section 5)"
    echo
    echo "As the report's, from the variant whose two convolutions both have 4 output"
    echo "channels ($pictures_net, seed ${seeds[0]}: $(text "$out/runs/$pictures_net-s${seeds[0]}/train.log" spec),"
    echo "$(printf '%.2f' "$(number "$out/runs/$pictures_net-s${seeds[0]}/train.log" test_acc)")% after its last epoch), for the first"
    echo "test images of 0, 3, 6 and 9. The tiles of one picture share one grey scale, which its title gives."
    pictures "$pictures_net"
    echo
    echo "### The same of seed-cnn (8 channels in the second convolution), seed ${seeds[0]}"
    pictures seed-cnn
}

confusion() {
    local net
    echo
    echo "## Confusion matrices (seed ${seeds[0]}, \`build/cnn eval\`)"
    for net in "${nets[@]}"; do
        echo
        echo "### $net"
        echo
        echo '```'
        sed -n '/^test loss/p; /^confusion matrix/,/^ *9 /p' "$out/$net/eval.txt"
        echo '```'
    done
}

# Each net's runs, read once for every table.
declare -A figures_of
for net in "${nets[@]}"; do figures_of[$net]=$(run_figures "$net"); done

header
side_by_side
each_run
parameters
charts
section5
confusion
