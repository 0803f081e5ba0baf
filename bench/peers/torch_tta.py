"""PyTorch peer for time to accuracy: trains one of the trainer's recipes
(a preset: its spec, optimizer, learning-rate schedule and augmentation, as
the flags `cnn summary --net NAME` prints on its "preset flags" line) on the
CPU, evaluates the test set after every epoch, and stops at the first epoch
whose test accuracy reaches --target-acc, as `cnn train --target-acc` does.

PyTorch's own idiom for each part of the recipe: torch.optim's SGD (Nesterov
too; its momentum buffer rescaled when the lr changes, so that it follows the
trainer's Caffe rules), Adam and AdamW; the lr set per step from the same formula as the
trainer's cnn_schedule.h; augmentation by affine_grid and grid_sample
(bilinear, the background byte outside the image) on each batch.

Prints one JSON line: the epochs run, the test accuracy at each, whether
the target was reached, and time_to_target_s from the process's start (the
Python interpreter's start, taken from /proc) to that evaluation's end."""
import time

T_WALL = time.time()

import argparse
import json
import math
import os

import torch
import torch.nn.functional as F

import mnist
from torch_cnn import HERE, build_net, init_params, preset_flags


def process_start():
    """Wall-clock time this process started (its start tick in /proc)."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return T_WALL


def recipe_parser():
    ap = argparse.ArgumentParser(add_help=False)
    for name, kind, default in (
            ("lr", float, 0.1), ("lr-step", int, 0), ("lr-gamma", float, 0.5),
            ("momentum", float, 0.0), ("weight-decay", float, 0.0), ("batch", int, 50),
            ("epochs", int, 30), ("normalize", str, "std"), ("init-std", float, 0.0),
            ("optimizer", str, "sgd"), ("beta1", float, 0.9), ("beta2", float, 0.999),
            ("eps", float, 1e-8), ("decay-bias", str, "true"), ("lr-schedule", str, "step"),
            ("warmup", float, 0.0), ("augment", str, "none"), ("bn-momentum", float, 0.1),
            ("bn-eps", float, 1e-5)):
        ap.add_argument("--" + name, type=kind, default=default)
    return ap


def trainer_recipe(cnn, name, overrides):
    """(spec, recipe namespace) from `cnn summary --net name`, with the
    train flags in overrides (e.g. ["--epochs", "5"]) applied on top."""
    spec, tokens = preset_flags(cnn, name)
    recipe, rest = recipe_parser().parse_known_args(tokens + overrides)
    if rest:
        raise SystemExit(f"torch_tta.py: unknown flags {rest}")
    return spec, recipe


def schedule(rc, steps_per_epoch):
    """The lr of each (0-based) global step: the trainer's cnn_schedule_lr."""
    total = rc.epochs * steps_per_epoch
    warm = math.floor(rc.warmup * steps_per_epoch + 0.5)  # llround, not round-half-even

    def base(s):
        if rc.lr_schedule == "step":
            e = s // steps_per_epoch
            return rc.lr * rc.lr_gamma ** (e // rc.lr_step if rc.lr_step > 0 else 0)
        p = min(max((s - warm) / max(total - warm, 1), 0.0), 1.0)
        if rc.lr_schedule == "cosine":
            return 0.5 * rc.lr * (1 + math.cos(math.pi * p))
        return rc.lr * (1 - p)  # linear

    def anneal(start, end, pct):  # OneCycleLR's _annealing_cos
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def onecycle(s):  # OneCycleLR's get_lr: its peak pct_start * total - 1, unrounded
        peak = warm - 1 if warm > 0 else 0.3 * total - 1
        lo, end = rc.lr / 25, rc.lr / 25 / 1e4
        if s <= peak:
            return anneal(lo, rc.lr, s / peak if peak > 0 else 1.0)
        span = (total - 1) - peak
        return anneal(rc.lr, end, min((s - peak) / span, 1.0) if span > 0 else 1.0)

    def lr_at(s):
        if rc.lr_schedule == "onecycle":
            return onecycle(s)
        return base(warm) * (s + 1) / warm if s < warm else base(s)
    return lr_at


def make_optimizer(rc, net):
    decay, no_decay = [], []
    for m in net.modules():
        for pname, p in m.named_parameters(recurse=False):
            is_weight = pname == "weight" and isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
            (decay if is_weight or rc.decay_bias == "true" else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": rc.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if rc.optimizer in ("sgd", "nesterov"):
        return torch.optim.SGD(groups, lr=rc.lr, momentum=rc.momentum,
                               nesterov=rc.optimizer == "nesterov" and rc.momentum > 0)
    kind = torch.optim.Adam if rc.optimizer == "adam" else torch.optim.AdamW
    return kind(groups, lr=rc.lr, betas=(rc.beta1, rc.beta2), eps=rc.eps)


def set_lr(opt, rc, lr):
    """The step's lr. The trainer's sgd and nesterov are Caffe's rules, whose
    velocity holds lr * gradient (v = m v - lr g); torch's buffer holds the
    gradient alone and is multiplied by the lr of the step. The two agree
    when the buffer is rescaled by old lr / new lr whenever the lr changes."""
    for g in opt.param_groups:
        old = g["lr"]
        if rc.optimizer in ("sgd", "nesterov") and lr != old and lr > 0:
            for p in g["params"]:
                buf = opt.state[p].get("momentum_buffer")
                if buf is not None:
                    buf.mul_(old / lr)
        g["lr"] = lr


def augmenter(spec, background):
    """A function batch -> augmented batch for --augment SPEC (the trainer's
    syntax: none, shift:N, affine:ROT,SCALE, or both comma-separated)."""
    shift, rot, scale = 0, 0.0, 0.0
    parts = spec.split(",") if spec != "none" else []
    i = 0
    while i < len(parts):
        if parts[i].startswith("shift:"):
            shift, i = int(parts[i][6:]), i + 1
        elif parts[i].startswith("affine:"):
            rot, scale, i = float(parts[i][7:]), float(parts[i + 1]), i + 2
        else:
            raise SystemExit(f"torch_tta.py: --augment {spec}: cannot read {parts[i]}")
    if not (shift or rot or scale):
        return lambda x: x

    def apply(x):
        n, _, h, w = x.shape
        angle = (torch.rand(n) * 2 - 1) * math.radians(rot)
        factor = 1 + (torch.rand(n) * 2 - 1) * scale
        dx = torch.randint(-shift, shift + 1, (n,)).float()
        dy = torch.randint(-shift, shift + 1, (n,)).float()
        cos, sin = torch.cos(angle) / factor, torch.sin(angle) / factor
        # output -> source in normalized coordinates (align_corners: pixel
        # centres at -1 and 1): the inverse of scale-rotate, then translate
        theta = torch.stack([torch.stack([cos, sin, -(cos * dx * 2 / (w - 1) + sin * dy * 2 / (h - 1))], 1),
                             torch.stack([-sin, cos, -(-sin * dx * 2 / (w - 1) + cos * dy * 2 / (h - 1))], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=True)
        moved = F.grid_sample(x - background, grid, mode="bilinear", padding_mode="zeros",
                              align_corners=True)
        return moved + background
    return apply


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", default="seed-cnn", help="the trainer's preset (its recipe)")
    ap.add_argument("--cnn", default=os.path.join(HERE, "..", "..", "build", "cnn"))
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--target-acc", type=float, default=98.5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    a, overrides = ap.parse_known_args()  # the rest: train flags over the preset's
    start = process_start()
    spec, rc = trainer_recipe(a.cnn, a.net, overrides)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    net, loss_fn, spec = build_net(spec, rc)
    train_x, train_y, test_x, test_y = (torch.from_numpy(t)
                                        for t in mnist.load(a.data, rc.normalize))
    background = float(train_x.min())  # the byte 0, normalized
    init_params(net, rc.init_std)
    opt = make_optimizer(rc, net)
    augment = augmenter(rc.augment, background)
    n, batch = train_x.shape[0], rc.batch
    steps = (n + batch - 1) // batch
    lr_at = schedule(rc, steps)
    accs, reached, step = [], 0, 0
    for epoch in range(rc.epochs):
        net.train()
        order = torch.randperm(n)
        for s in range(steps):
            i = order[s * batch:(s + 1) * batch]
            set_lr(opt, rc, lr_at(step))
            opt.zero_grad(set_to_none=False)
            with torch.no_grad():
                x = augment(train_x[i])
            loss_fn(net(x), train_y[i]).backward()
            opt.step()
            step += 1
        net.eval()
        with torch.no_grad():
            correct = sum(int((net(test_x[j:j + 1000]).argmax(1) == test_y[j:j + 1000]).sum())
                          for j in range(0, test_x.shape[0], 1000))
        accs.append(round(100.0 * correct / test_x.shape[0], 4))
        if accs[-1] >= a.target_acc:
            reached = epoch + 1
            break
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "net": a.net, "spec": spec,
                      "recipe": vars(rc), "threads": torch.get_num_threads(),
                      "target_acc": a.target_acc, "target_epoch": reached,
                      "time_to_target_s": time.time() - start if reached else None,
                      "test_acc_per_epoch": accs}))


if __name__ == "__main__":
    main()
