"""PyTorch peer: seed-cnn in PyTorch with the same data, initialisation rule,
batch and hyperparameters as `cnn train --net seed-cnn` (lr 0.1, momentum
1e-4, weight decay 2e-4, batch 50), the data already in the device's memory.
Modes: eager, graph (one training step captured with torch.cuda.graphs and
replayed; GPU only), compile (torch.compile). Trains one epoch (or --steps,
scaled to an epoch) and prints one JSON line with seconds per epoch and the
test accuracy after it."""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import mnist


class SeedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 5, padding=2)
        self.c2 = nn.Conv2d(4, 8, 5, padding=2)
        self.fc = nn.Linear(392, 10)
        for m in (self.c1, self.c2, self.fc):  # He-uniform, biases 0: the trainer's rule
            fan_in = m.weight[0].numel()
            nn.init.uniform_(m.weight, -math.sqrt(6 / fan_in), math.sqrt(6 / fan_in))
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.c1(x)), 2)
        x = F.avg_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(x.flatten(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--mode", default="eager", choices=["eager", "graph", "compile"])
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--steps", type=int, default=0, help="time this many steps (0: the epoch)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    if a.device == "cpu":
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    train_x, train_y, test_x, test_y = (torch.from_numpy(t).to(dev) for t in mnist.load(a.data))
    net = SeedCNN().to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=1e-4, weight_decay=2e-4)
    n = train_x.shape[0]
    steps_in_epoch = n // a.batch
    steps = a.steps or steps_in_epoch
    order = torch.randperm(n, device=dev)

    def step(x, y):
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if a.mode == "compile":
        step = torch.compile(step)
    if a.mode == "graph":
        if dev.type != "cuda":
            raise SystemExit("graph mode needs --device cuda")
        static_x = train_x[order[:a.batch]].clone()
        static_y = train_y[order[:a.batch]].clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up steps, as graph capture requires
            for _ in range(3):
                step(static_x, static_y)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step(static_x, static_y)
    elif a.mode == "compile":  # compile outside the timed region
        step(train_x[order[:a.batch]], train_y[order[:a.batch]])
    sync()

    start = time.perf_counter()
    for s in range(steps):
        i = order[s * a.batch:(s + 1) * a.batch]
        if a.mode == "graph":
            static_x.copy_(train_x[i])
            static_y.copy_(train_y[i])
            graph.replay()
        else:
            step(train_x[i], train_y[i])
    sync()
    seconds = (time.perf_counter() - start) * steps_in_epoch / steps
    with torch.no_grad():
        correct = sum(int((net(test_x[j:j + 1000]).argmax(1) == test_y[j:j + 1000]).sum())
                      for j in range(0, test_x.shape[0], 1000))
    print(json.dumps({"peer": f"pytorch {torch.__version__} {a.mode}", "device": a.device,
                      "threads": torch.get_num_threads() if dev.type == "cpu" else None,
                      "batch": a.batch, "steps_timed": steps, "seconds_per_epoch": seconds,
                      "test_acc": 100.0 * correct / test_x.shape[0],
                      "epoch_complete": steps == steps_in_epoch}))


if __name__ == "__main__":
    main()
