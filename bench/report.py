"""Reads build/bench's CSV files and the peers' JSON lines, prints the ratio
table (this project over each peer, seed-cnn at batch 50) and writes every
number to results.json."""
import csv
import glob
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"


def rows(name):
    with open(os.path.join(out, name)) as f:
        return list(csv.DictReader(f))


throughput = rows("throughput.csv")
peers = []
for path in sorted(glob.glob(os.path.join(out, "peer-*.json"))):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.startswith("{")]
    if lines:
        peers.append(json.loads(lines[-1]))

ours = {r["backend"]: float(r["seconds_per_epoch"]) for r in throughput
        if r["net"] == "seed-cnn" and r["batch"] == "50"}
ours_acc = {r["backend"]: float(r["test_acc"]) for r in throughput
            if r["net"] == "seed-cnn" and r["batch"] == "50"}

print("\n## Against the peers: seed-cnn, batch 50, one epoch\n")
print("| who | device | s/epoch | test acc after 1 epoch | this project is |")
print("|---|---|---:|---:|---:|")
for backend, s in ours.items():
    print(f"| this project | {backend} | {s:.3f} | {ours_acc[backend]:.2f}% | |")
ratios = []
for p in peers:
    backend = "cpu" if p["device"] == "cpu" else "gpu"
    note = "" if p.get("epoch_complete", True) else f" (timed {p['steps_timed']} steps)"
    if backend in ours:
        ratio = p["seconds_per_epoch"] / ours[backend]
        ratios.append({"peer": p["peer"], "device": p["device"], "ratio": ratio})
        verdict = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
    else:
        verdict = "(no run of ours on this device)"
    print(f"| {p['peer']}{note} | {p['device']} | {p['seconds_per_epoch']:.3f} | "
          f"{p['test_acc']:.2f}% | {verdict} |")

with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"ops": rows("ops.csv"), "throughput": throughput, "scaling": rows("scaling.csv"),
               "peers": peers, "ratios": ratios}, f, indent=1)
print(f"\n(all numbers: {out}/results.json and the CSV files beside it)")
