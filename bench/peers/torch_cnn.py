"""PyTorch peer: any network of the trainer's layer-spec language, in PyTorch,
with the same data, initialisation rule, batch and hyperparameters as
`cnn train --net NAME`, the data already in the device's memory.

The network and its hyperparameters come from the trainer itself: --net NAME
(default seed-cnn) runs `cnn summary --net NAME` and reads its "spec" and
"preset-flags" lines, so the two cannot drift. --spec SPEC trains another
spec with --net's hyperparameters (as `cnn train --net SPEC` takes
seed-cnn's); every hyperparameter flag overrides the preset's, and with
--spec and all of them given the trainer is not asked at all.

The data is any the trainer takes, read and scaled as it does (peer_data.py,
picture.py): --data DIR holding MNIST-style IDX files of any H x W, the
CIFAR-10 or CIFAR-100 binaries (--labels fine|coarse) or an image folder
(DIR/train/<class>/*, DIR/test/<class>/*; --channels, --image-size,
--skip-bad), told apart as the trainer does or named with --format. The net
takes the data's C x H x W; its last layer must give the data's K classes.
--augment flip (or a preset's) flips each training sample left to right
with probability 0.5.

Each layer word maps to a PyTorch module through one table, LAYERS, below.
SGD is Caffe's rule, v = momentum*v - lr*(g + decay*w); w += v, with decay on
every parameter (batch norm's gamma and beta too): torch.optim.SGD's update
is the same while the lr holds, and where the schedule changes the lr its
momentum buffers are rescaled by old/new lr to stay so.

Modes: eager, graph (one training step captured with torch.cuda.graphs and
replayed; GPU only), compile (torch.compile). Trains --epochs (default 1; or
--steps of each, scaled to an epoch) and prints one JSON line with seconds per
epoch and the test accuracy after it."""
import argparse
import json
import math
import os
import re
import shlex
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import peer_data

HERE = os.path.dirname(os.path.abspath(__file__))


class SpecError(ValueError):
    pass


def _pool_side(n, k, s, p):
    """Output side of a pooling window, rounded up; a last window that would
    start past the input is dropped (PyTorch's ceil_mode, and the trainer)."""
    if n + 2 * p < k:
        return 0
    out = (n + 2 * p - k + s - 1) // s + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def _window(args, default_stride):
    k, p, s = int(args[0]), int(args[1] or 0), args[2]
    s = int(s) if s is not None else default_stride(k)
    if k < 1 or s < 1:
        raise SpecError("window and stride must be at least 1")
    return k, p, s


def _conv(shape, args, ctx):
    c, h, w = shape
    out, (k, p, s) = int(args[0]), _window(args[1:], lambda k: 1)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    if out < 1 or oh < 1 or ow < 1:
        raise SpecError(f"a {k}x{k} window does not fit a {h}x{w} input padded by {p}")
    return nn.Conv2d(c, out, k, stride=s, padding=p), (out, oh, ow)


def _pool(make):
    def build(shape, args, ctx):
        c, h, w = shape
        k, p, s = _window(args, lambda k: k)
        if p > k // 2:
            raise SpecError(f"PyTorch's pooling takes padding at most half the window ({k // 2})")
        oh, ow = _pool_side(h, k, s, p), _pool_side(w, k, s, p)
        if oh < 1 or ow < 1:
            raise SpecError(f"a {k}x{k} window does not fit a {h}x{w} input padded by {p}")
        return make(k, s, p), (c, oh, ow)
    return build


def _fc(shape, args, ctx):
    n = int(args[0])
    if n < 1:
        raise SpecError("fc needs at least 1 output")
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), n)), (n, 1, 1)


def _bn(shape, args, ctx):
    kind = nn.BatchNorm1d if ctx["flat"] else nn.BatchNorm2d
    return kind(shape[0], eps=ctx["opts"].bn_eps, momentum=ctx["opts"].bn_momentum), shape


def _same(module):
    return lambda shape, args, ctx: (module(*args), shape)


WINDOW = r"(\d+)(?:p(\d+))?(?:s(\d+))?"
NUM = r"(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
# The translation table: layer word -> (a regex for its arguments, a builder
# taking the input shape C,H,W, the arguments and {flat: the input is N x F,
# opts: the flags} and giving the module and the output shape). fc's output
# is flat (N x F); bn after an fc is BatchNorm1d; a spatial layer after an fc
# gets an Unflatten first.
LAYERS = {
    "conv": (r"(\d+)k" + WINDOW, _conv),
    "relu": (r"", _same(nn.ReLU)),
    "tanh": (r"", _same(nn.Tanh)),
    "sigmoid": (r"", _same(nn.Sigmoid)),
    "lrelu": (NUM + "?", _same(lambda slope: nn.LeakyReLU(float(slope or 0.01)))),
    "avgpool": (WINDOW, _pool(lambda k, s, p: nn.AvgPool2d(k, s, p, ceil_mode=True,
                                                           count_include_pad=True))),
    "maxpool": (WINDOW, _pool(lambda k, s, p: nn.MaxPool2d(k, s, p, ceil_mode=True))),
    "gap": (r"", lambda shape, args, ctx: (nn.AdaptiveAvgPool2d(1), (shape[0], 1, 1))),
    "fc": (r"(\d+)", _fc),
    "dropout": (NUM, _same(lambda p: nn.Dropout(float(p)))),
    "bn": (r"", _bn),
    "softmax": (r"", None),  # the losses: last, see LOSSES
    "euclid": (r"", None),
}
FLAT_OUT = {"fc"}                                   # leave N x F
ANY_SHAPE = {"relu", "tanh", "sigmoid", "lrelu", "dropout", "bn"}  # keep what they get
LOSSES = {
    "softmax": F.cross_entropy,
    # 0.5 * ||s - onehot||^2 summed over the outputs, mean over the batch
    "euclid": lambda s, y: 0.5 * (s - F.one_hot(y, s.shape[1]).to(s.dtype)).pow(2).sum(1).mean(),
}


def build_net(spec, opts, input_shape=(1, 28, 28), classes=10):
    """(nn.Sequential, loss function, canonical spec) for a layer spec on
    inputs of input_shape (C, H, W) with classes scores at the loss."""
    tokens = [t.strip() for t in spec.split(",")]
    shape, flat, modules, loss = tuple(input_shape), False, [], None
    for i, tok in enumerate(tokens):
        where = f'layer {i + 1} "{tok}" of "{spec}"'
        word = re.match(r"[a-z]*", tok).group(0)
        if word not in LAYERS:
            raise SpecError(f"{where}: unknown layer; known: {', '.join(LAYERS)}")
        pattern, build = LAYERS[word]
        m = re.fullmatch(word + pattern, tok)
        if not m:
            raise SpecError(f"{where}: bad arguments for {word}")
        if word in LOSSES:
            if i != len(tokens) - 1:
                raise SpecError(f"{where}: the loss must be the last layer")
            if math.prod(shape) != classes:
                raise SpecError(f"{where}: the data has {classes} classes, the net gives "
                                f"{math.prod(shape)} scores ({'x'.join(map(str, shape))})")
            loss = LOSSES[word]
            if not flat:
                modules.append(nn.Flatten())
            break
        if flat and word not in ANY_SHAPE and word != "fc":
            modules.append(nn.Unflatten(1, shape))  # a spatial layer after an fc
            flat = False
        try:
            module, shape = build(shape, m.groups(), {"flat": flat, "opts": opts})
        except SpecError as e:
            raise SpecError(f"{where}: {e}") from None
        modules.append(module)
        flat = word in FLAT_OUT or (flat and word in ANY_SHAPE)
    if loss is None:
        raise SpecError(f'"{spec}": the last layer must be a loss (softmax or euclid)')
    return nn.Sequential(*modules), loss, ",".join(tokens)


def init_params(net, init_std):
    """The trainer's rule: conv and fc weights uniform in +-sqrt(6/fan_in)
    (fan_in = weights / outputs) with init_std 0, else N(0, init_std^2);
    biases 0; batch norm's gamma 1 and beta 0 (PyTorch's own start)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if init_std > 0:
                nn.init.normal_(m.weight, 0.0, init_std)
            else:
                bound = math.sqrt(6 / m.weight[0].numel())
                nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


HYPER = ("lr", "lr_step", "lr_gamma", "momentum", "weight_decay", "batch", "normalize",
         "init_std")


def preset_flags(cnn, name):
    """(spec, [train flags]) of the trainer's preset `name`: the "spec" and
    "preset-flags" lines of `cnn summary --net name`."""
    if not os.access(cnn, os.X_OK):
        raise SystemExit(f"{cnn}: no trainer binary to read preset {name} from: run `make` "
                         "or pass --cnn PATH")
    # (from the project's root: summary reads the shipped data/mnist for the
    # shape; the preset's spec and flags are the same for any data of 10 classes)
    root = os.path.dirname(os.path.dirname(os.path.abspath(cnn)))
    r = subprocess.run([cnn, "summary", "--net", name], capture_output=True, text=True, cwd=root)
    if r.returncode != 0:
        raise SystemExit(f"the trainer refuses --net {name}: {r.stderr.strip()}")
    spec = re.search(r"^spec (\S.*)$", r.stdout, re.M)
    line = re.search(r"^preset-flags (.*)$", r.stdout, re.M)
    if not spec or not line:
        raise SystemExit(f"{name} is not one of the trainer's presets (`cnn summary` printed "
                         "no preset-flags line); use --spec for a spec")
    return spec.group(1).strip(), shlex.split(line.group(1))


def trainer_preset(cnn, name):
    """(spec, hyperparameters, augment) of the trainer's preset `name`
    (preset_flags). A recipe this peer does not run (another optimizer or
    schedule, augmentation but flips: torch_tta.py runs those) is refused."""
    spec, tokens = preset_flags(cnn, name)
    flags = argparse.ArgumentParser(add_help=False)
    for flag in ("lr", "lr-step", "lr-gamma", "momentum", "weight-decay", "batch", "epochs",
                 "normalize", "init-std", "optimizer", "lr-schedule", "warmup", "augment",
                 "beta1", "beta2", "eps", "decay-bias", "bn-momentum", "bn-eps"):
        flags.add_argument("--" + flag)
    f, _ = flags.parse_known_args(tokens)  # flags the peer has no use for may come
    if (f.optimizer, f.lr_schedule, float(f.warmup), f.decay_bias) != \
            ("sgd", "step", 0.0, "true") or f.augment not in AUGMENTS:
        raise SystemExit(f"torch_cnn.py: preset {name} trains with --optimizer {f.optimizer} "
                         f"--lr-schedule {f.lr_schedule} --warmup {f.warmup} --augment "
                         f"{f.augment} --decay-bias {f.decay_bias}: this peer runs SGD with "
                         "step drops, decay on every parameter and flips at most; "
                         "use torch_tta.py for that recipe")
    return spec, {
        "lr": float(f.lr), "lr_step": int(f.lr_step), "lr_gamma": float(f.lr_gamma),
        "momentum": float(f.momentum), "weight_decay": float(f.weight_decay),
        "batch": int(f.batch), "normalize": f.normalize, "init_std": float(f.init_std)}, f.augment


AUGMENTS = ("none", "flip")


def flip_half(x):
    """Each sample of the batch flipped left to right with probability 0.5
    (the trainer's --augment flip), drawn from torch's generator."""
    flip = torch.rand(x.shape[0], device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", default=None,
                    help="the trainer's preset: its spec and hyperparameters (default seed-cnn)")
    ap.add_argument("--spec", default=None, help="a layer spec instead of the preset's")
    ap.add_argument("--cnn", default=os.path.join(HERE, "..", "..", "build", "cnn"),
                    help="the trainer binary to read presets from (default ../../build/cnn)")
    d = ap.add_argument_group("data (read as the trainer reads it: peer_data.py)")
    d.add_argument("--data", default="data/mnist", help="the folder (default data/mnist)")
    d.add_argument("--format", default="auto", choices=peer_data.FORMATS,
                   help="auto: data_batch_1.bin cifar10, train.bin cifar100, "
                        "train-images-idx3-ubyte[.gz] idx, else class sub-folders")
    d.add_argument("--labels", default="fine", choices=["fine", "coarse"],
                   help="CIFAR-100: the fine (100) or coarse (20) labels")
    d.add_argument("--channels", type=int, default=0, choices=[0, 1, 3],
                   help="pictures: made 1 or 3 channels (0: the first picture's)")
    d.add_argument("--image-size", default="0x0",
                   help="pictures: made HxW (0x0: the first picture's)")
    d.add_argument("--skip-bad", action="store_true",
                   help="pictures: skip (and count) those that cannot be read")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--mode", default="eager", choices=["eager", "graph", "compile"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0,
                    help="time this many steps of each epoch (0: all), scaled to an epoch")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bn-momentum", type=float, default=0.1)
    ap.add_argument("--bn-eps", type=float, default=1e-5)
    g = ap.add_argument_group("hyperparameters (default: the preset's)")
    g.add_argument("--lr", type=float)
    g.add_argument("--lr-step", type=int, help="multiply the lr by --lr-gamma every N epochs")
    g.add_argument("--lr-gamma", type=float)
    g.add_argument("--momentum", type=float)
    g.add_argument("--weight-decay", type=float)
    g.add_argument("--batch", type=int)
    g.add_argument("--normalize", choices=["std", "unit", "center"])
    g.add_argument("--init-std", type=float, help="0: He uniform, else N(0, X^2)")
    g.add_argument("--augment", choices=AUGMENTS,
                   help="flip: each training sample flipped left to right with p 0.5")
    a = ap.parse_args()
    try:
        a.size = tuple(int(v) for v in a.image_size.lower().split("x"))
        if len(a.size) != 2 or min(a.size) < 0:
            raise ValueError
    except ValueError:
        ap.error(f"--image-size: expected HxW (as 32x32), got {a.image_size!r}")
    return a


def recipe(a):
    """(spec, hyperparameters, augment): the preset's, overridden by the flags."""
    given = {k: getattr(a, k) for k in HYPER if getattr(a, k) is not None}
    if a.spec is not None and a.net is None and len(given) == len(HYPER):
        spec, hyper, augment = a.spec, given, "none"  # nothing to ask the trainer
    else:
        spec, hyper, augment = trainer_preset(a.cnn, a.net or "seed-cnn")
        hyper.update(given)
        spec = a.spec if a.spec is not None else spec
    return spec, hyper, a.augment or augment


def load_data(a, normalize, dev):
    """(DataSet of bytes, train_x, train_y, test_x, test_y on dev)."""
    try:
        data, *parts = peer_data.load(a.data, normalize, fmt=a.format, labels=a.labels,
                                      channels=a.channels, size=a.size, skip_bad=a.skip_bad)
    except peer_data.DataError as e:
        raise SystemExit(f"torch_cnn.py: --data: {e}")
    return (data, *(torch.from_numpy(t).to(dev) for t in parts))


def lr_at(hyper, epoch):
    """The trainer's step schedule."""
    drops = epoch // hyper["lr_step"] if hyper["lr_step"] > 0 else 0
    return hyper["lr"] * hyper["lr_gamma"] ** drops


def set_lr(opt, lr):
    """A new lr that keeps Caffe's rule: v_caffe = -lr * buffer."""
    old = opt.param_groups[0]["lr"]
    if lr == old:
        return
    for group in opt.param_groups:
        group["lr"] = lr
    for st in opt.state.values():
        if st.get("momentum_buffer") is not None:
            st["momentum_buffer"].mul_(old / lr)


def prepare_step(a, step, order, train_x, train_y, batch, lr_same):
    """The step to time: eager, compiled, or a captured graph's replay (then
    it copies the batch into the graph's static input first)."""
    if a.mode == "compile":
        if not hasattr(torch, "compile"):
            raise SystemExit(f"torch_cnn.py: --mode compile needs PyTorch 2 (this is "
                             f"{torch.__version__})")
        step = torch.compile(step)
        step(train_x[order[:batch]], train_y[order[:batch]])  # compile outside the timing
        return step
    if a.mode != "graph":
        return step
    if train_x.device.type != "cuda":
        raise SystemExit("graph mode needs --device cuda")
    if not lr_same:
        raise SystemExit("graph mode captures the lr: give --epochs within one --lr-step")
    static_x = train_x[order[:batch]].clone()
    static_y = train_y[order[:batch]].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up steps, as graph capture requires
        for _ in range(3):
            step(static_x, static_y)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_x, static_y)

    def replay(x, y):
        static_x.copy_(x)
        static_y.copy_(y)
        graph.replay()
    return replay


def test_accuracy(net, test_x, test_y):
    net.eval()
    with torch.no_grad():
        correct = sum(int((net(test_x[j:j + 1000]).argmax(1) == test_y[j:j + 1000]).sum())
                      for j in range(0, test_x.shape[0], 1000))
    return 100.0 * correct / test_x.shape[0]


def train(a, net, loss_fn, hyper, augment, train_x, train_y):
    """Trains a.epochs (each of all its steps, or of the first a.steps);
    (seconds per whole epoch, steps timed, steps in an epoch)."""
    dev = train_x.device
    opt = torch.optim.SGD(net.parameters(), lr=hyper["lr"], momentum=hyper["momentum"],
                          weight_decay=hyper["weight_decay"])
    batch = hyper["batch"]
    n = train_x.shape[0]
    steps_in_epoch = n // batch
    steps = min(a.steps, steps_in_epoch) if a.steps else steps_in_epoch

    def step(x, y):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    order = torch.randperm(n, device=dev)
    step = prepare_step(a, step, order, train_x, train_y, batch,
                        lr_at(hyper, a.epochs - 1) == lr_at(hyper, 0))
    sync()
    elapsed = 0.0
    for epoch in range(a.epochs):
        set_lr(opt, lr_at(hyper, epoch))
        if epoch:
            order = torch.randperm(n, device=dev)
        sync()
        start = time.perf_counter()
        for s in range(steps):
            i = order[s * batch:(s + 1) * batch]
            x = train_x[i]
            step(flip_half(x) if augment == "flip" else x, train_y[i])
        sync()
        elapsed += time.perf_counter() - start
    return elapsed / a.epochs * steps_in_epoch / steps, steps, steps_in_epoch


def main():
    a = parse_args()
    spec, hyper, augment = recipe(a)
    if a.device == "cpu":
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    data, train_x, train_y, test_x, test_y = load_data(a, hyper["normalize"], dev)
    torch.manual_seed(a.seed)  # before the modules' own draws, as the seed-cnn peer did
    try:
        net, loss_fn, spec = build_net(spec, a, data.shape, data.classes)
    except SpecError as e:
        raise SystemExit(f"torch_cnn.py: --spec: {e}")
    init_params(net, hyper["init_std"])
    net = net.to(dev).train()
    seconds, steps, steps_in_epoch = train(a, net, loss_fn, hyper, augment, train_x, train_y)
    print(json.dumps({"peer": f"pytorch {torch.__version__} {a.mode}", "device": a.device,
                      "threads": torch.get_num_threads() if dev.type == "cpu" else None,
                      "batch": hyper["batch"], "steps_timed": steps, "seconds_per_epoch": seconds,
                      "test_acc": test_accuracy(net, test_x, test_y),
                      "epoch_complete": steps == steps_in_epoch,
                      "net": a.net or ("seed-cnn" if a.spec is None else "spec"), "spec": spec,
                      "epochs": a.epochs, "train_images": int(train_x.shape[0]),
                      "params": sum(p.numel() for p in net.parameters()), "hyper": hyper,
                      "data": a.data, "format": data.format, "input": list(data.shape),
                      "classes": data.classes, "class_names": data.names,
                      "skipped": len(getattr(data, "skipped", [])), "augment": augment,
                      "seed": a.seed, "test_images": int(test_x.shape[0])}))


if __name__ == "__main__":
    main()
