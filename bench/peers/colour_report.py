"""The colour section's table (bench/colour.sh): per derived data set, the
trainer's and the PyTorch peer's test accuracy after the same epochs of the
same preset and seed, and their difference in percentage points; every
number to OUT/colour.json. A run that failed or was skipped is a row that
says why. Exit 1 when no data set has both results.

usage: colour_report.py OUT "colour-mnist digit-folder\""""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
sets = (sys.argv[2] if len(sys.argv) > 2 else "colour-mnist digit-folder").split()


def result(who, name):
    """(the JSON result, or None, and why there is none)."""
    base = os.path.join(out, f"colour-{who}-{name}")
    if os.path.exists(base + ".skip"):
        with open(base + ".skip") as f:
            return None, f.read().strip().replace("|", "/").splitlines()[-1]
    try:
        with open(base + ".json") as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]), ""
    except (OSError, IndexError, ValueError):
        return None, f"no result in {base}.json"


def cell(run, key, fmt):
    return fmt.format(run[key]) if run and key in run else "-"


print("\n## Colour: the same preset on the derived data sets, ours against PyTorch (CPU)\n")
print("| data | input | classes | net | epochs | ours test acc | PyTorch test acc | "
      "ours - PyTorch (pp) | ours s/epoch | PyTorch s/epoch |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|")
rows, both = [], 0
for name in sets:
    ours, ours_why = result("ours", name)
    peer, peer_why = result("peer", name)
    row = {"data": name, "ours": ours, "peer": peer}
    diff = "-"
    if ours and peer:
        row["difference_pp"] = ours["test_acc"] - peer["test_acc"]
        diff = f"{row['difference_pp']:+.2f}"
        both += 1
    if ours_why or peer_why:
        row["why"] = "; ".join(w for w in (ours_why, peer_why) if w)
    shape = "x".join(map(str, peer["input"])) if peer and "input" in peer else "-"
    ours_cell = cell(ours, "test_acc", "{:.2f}%") if ours else f"({ours_why})"
    peer_cell = cell(peer, "test_acc", "{:.2f}%") if peer else f"({peer_why})"
    print(f"| {name} | {shape} | {cell(peer, 'classes', '{}')} | "
          f"{(ours or peer or {}).get('net', '-')} | {cell(ours or peer, 'epochs', '{}')} | "
          f"{ours_cell} | {peer_cell} | {diff} | {cell(ours, 'seconds_per_epoch', '{:.2f}')} | "
          f"{cell(peer, 'seconds_per_epoch', '{:.2f}')} |")
    rows.append(row)
with open(os.path.join(out, "colour.json"), "w") as f:
    json.dump({"colour": rows}, f, indent=1)
print(f"\n(every number: {out}/colour.json)")
sys.exit(0 if both else 1)
