"""Reads build/bench's CSV files, the peers' JSON lines and the per-net runs
of `cnn train` (ours-NET.json, or ours-NET.skip with the reason), prints the
ratio tables (this project over each peer, seed-cnn at batch 50; then this
project's CPU over PyTorch's CPU for each net of argv[2]) and writes every
number to results.json.

usage: report.py [OUT [NETS]]   (default build/bench, "seed-cnn lenet5 cnn-bn")"""
import csv
import glob
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
nets = (sys.argv[2] if len(sys.argv) > 2 else "seed-cnn lenet5 cnn-bn").split()


def rows(name):
    with open(os.path.join(out, name)) as f:
        return list(csv.DictReader(f))


def faster(ratio):
    return f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"


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
    if p.get("net", "seed-cnn") != "seed-cnn":
        continue
    backend = "cpu" if p["device"] == "cpu" else "gpu"
    note = "" if p.get("epoch_complete", True) else f" (timed {p['steps_timed']} steps)"
    if backend in ours:
        ratio = p["seconds_per_epoch"] / ours[backend]
        ratios.append({"peer": p["peer"], "device": p["device"], "ratio": ratio})
        verdict = faster(ratio)
    else:
        verdict = "(no run of ours on this device)"
    print(f"| {p['peer']}{note} | {p['device']} | {p['seconds_per_epoch']:.3f} | "
          f"{p['test_acc']:.2f}% | {verdict} |")



def read_text(path):
    with open(path) as f:
        return f.read().strip()


print("\n## Against PyTorch on the CPU, per net: the trainer's preset at batch 50\n")
print("| net | this project s/epoch | PyTorch CPU s/epoch | this project is | "
      "test acc after the steps: ours / PyTorch |")
print("|---|---:|---:|---:|---:|")
per_net = []
for net in nets:
    skip = os.path.join(out, f"ours-{net}.skip")
    if os.path.exists(skip):
        why = read_text(skip).replace("|", "/").splitlines()[-1]
        print(f"| {net} | skipped: the trainer refuses it: {why} | | | |")
        per_net.append({"net": net, "skipped": why})
        continue
    path = os.path.join(out, f"ours-{net}.json")
    if not os.path.exists(path):
        print(f"| {net} | (not run) | | | |")
        continue
    ours_run = json.loads(read_text(path))
    torch_cpu = [p for p in peers if p.get("net", "seed-cnn") == net and p["device"] == "cpu"
                 and p["peer"].startswith("pytorch") and p["peer"].endswith(" eager")]
    peer = torch_cpu[-1] if torch_cpu else None
    # --train-limit cuts our epoch short: scale by the training set (the
    # peer's count; MNIST and Fashion-MNIST both have 60,000)
    full = peer["train_images"] if peer and "train_images" in peer else 60000
    ours_s = full / ours_run["images_per_second"]
    row = {"net": net, "spec": ours_run["spec"], "ours_seconds_per_epoch": ours_s,
           "ours_test_acc": ours_run["test_acc"]}
    if peer:
        ratio = peer["seconds_per_epoch"] / ours_s
        note = "" if peer.get("epoch_complete", True) else f" ({peer['steps_timed']} steps)"
        row.update(torch_seconds_per_epoch=peer["seconds_per_epoch"],
                   torch_test_acc=peer["test_acc"], ratio=ratio)
        print(f"| {net} | {ours_s:.3f} | {peer['seconds_per_epoch']:.3f}{note} | "
              f"{faster(ratio)} | {ours_run['test_acc']:.2f}% / {peer['test_acc']:.2f}% |")
    else:
        print(f"| {net} | {ours_s:.3f} | (peer failed: see {out}/peer-torch-cpu*.log) | | "
              f"{ours_run['test_acc']:.2f}% / - |")
    per_net.append(row)

with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"ops": rows("ops.csv"), "throughput": throughput, "scaling": rows("scaling.csv"),
               "peers": peers, "ratios": ratios, "per_net": per_net}, f, indent=1)
print(f"\n(all numbers: {out}/results.json and the CSV files beside it)")
