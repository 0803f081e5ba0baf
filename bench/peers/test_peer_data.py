"""Self-check of the peers' data readers (peer_data.py, picture.py) and of the
PyTorch peer's shapes, on small synthetic files made here in a temporary
folder: IDX of a non-square size, CIFAR-10 and CIFAR-100 binaries, an image
folder of PNG, JPEG and PGM pictures. No pytest: each check is a function,
run in order; the first failure stops with its message and exit 1.

usage: python3 bench/peers/test_peer_data.py      (bench/run.sh runs it first)"""
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
from fractions import Fraction

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_data  # noqa: E402
import picture  # noqa: E402

RNG = np.random.default_rng(26)


def expect_error(fn, *words):
    """fn() must raise DataError whose one-line message has every word."""
    try:
        fn()
    except peer_data.DataError as e:
        msg = str(e)
        assert "\n" not in msg and all(w in msg for w in words), f"message {msg!r} lacks {words}"
        return
    raise AssertionError(f"no DataError (wanted one with {words})")


def write_idx(path, array, gz=False):
    a = np.ascontiguousarray(array, dtype=np.uint8)
    head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
    data = head + a.tobytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)


def check_idx(tmp):
    d = os.path.join(tmp, "idx")
    os.mkdir(d)
    train = RNG.integers(0, 256, (12, 5, 7), dtype=np.uint8)
    test = RNG.integers(0, 256, (4, 5, 7), dtype=np.uint8)
    write_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), train, gz=True)
    write_idx(os.path.join(d, "train-labels-idx1-ubyte"), np.arange(12) % 3)
    write_idx(os.path.join(d, "t10k-images-idx3-ubyte"), test)
    write_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), [2, 1, 0, 2])
    assert peer_data.detect(d) == "idx"
    data = peer_data.read(d)
    assert data.shape == (1, 5, 7) and data.classes == 3, (data.shape, data.classes)
    assert np.array_equal(data.train_x[:, 0], train) and np.array_equal(data.test_x[:, 0], test)
    assert data.train_y.tolist() == [i % 3 for i in range(12)]
    assert data.test_y.tolist() == [2, 1, 0, 2]
    write_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), [2, 1, 0, 3])
    expect_error(lambda: peer_data.read(d), "t10k label is 3", "3 classes")
    with open(os.path.join(d, "t10k-images-idx3-ubyte"), "ab") as f:
        f.write(b"x")
    expect_error(lambda: peer_data.read(d), "t10k-images-idx3-ubyte", "bytes")


def cifar_records(n, label_bytes, classes):
    labels = RNG.integers(0, classes, (n, label_bytes), dtype=np.uint8)
    pixels = RNG.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)
    return labels, pixels, np.concatenate([labels, pixels], axis=1).tobytes()


def check_cifar10(tmp):
    d = os.path.join(tmp, "c10")
    os.mkdir(d)
    parts = []
    for name, n in (("data_batch_1.bin", 3), ("data_batch_2.bin", 2), ("test_batch.bin", 4)):
        labels, pixels, raw = cifar_records(n, 1, 10)
        parts.append((labels, pixels))
        with open(os.path.join(d, name), "wb") as f:
            f.write(raw)
    with open(os.path.join(d, "batches.meta.txt"), "w") as f:
        f.write("".join(f"class{i}\n" for i in range(10)) + "\n")
    assert peer_data.detect(d) == "cifar10"
    data = peer_data.read(d)
    assert data.format == "cifar10" and data.shape == (3, 32, 32) and data.classes == 10
    want_x = np.concatenate([parts[0][1], parts[1][1]]).reshape(5, 3, 32, 32)
    assert np.array_equal(data.train_x, want_x), "CIFAR-10 bytes (channel-first)"
    assert data.train_y.tolist() == np.concatenate([parts[0][0], parts[1][0]])[:, 0].tolist()
    assert data.test_y.tolist() == parts[2][0][:, 0].tolist()
    assert data.names == [f"class{i}" for i in range(10)], data.names
    with open(os.path.join(d, "data_batch_2.bin"), "ab") as f:
        f.write(b"\0" * 100)
    expect_error(lambda: peer_data.read(d), "data_batch_2.bin", "whole number", "3073")
    _, _, raw = cifar_records(2, 1, 10)
    with open(os.path.join(d, "data_batch_2.bin"), "wb") as f:
        f.write(b"\x0a" + raw[1:])
    expect_error(lambda: peer_data.read(d), "data_batch_2.bin", "record 0", "label 10")
    os.remove(os.path.join(d, "test_batch.bin"))
    expect_error(lambda: peer_data.read(d), "test_batch.bin", "missing")


def check_cifar100(tmp):
    d = os.path.join(tmp, "c100")
    os.mkdir(d)
    labels = {}
    for name, n in (("train.bin", 6), ("test.bin", 3)):
        lab = np.stack([RNG.integers(0, 20, n), RNG.integers(0, 100, n)], 1).astype(np.uint8)
        pixels = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels[name] = (lab, pixels)
        with open(os.path.join(d, name), "wb") as f:
            f.write(np.concatenate([lab, pixels], 1).tobytes())
    assert peer_data.detect(d) == "cifar100"
    fine = peer_data.read(d, "cifar100")
    coarse = peer_data.read(d, "auto", labels="coarse")
    assert (fine.classes, coarse.classes) == (100, 20)
    assert fine.train_y.tolist() == labels["train.bin"][0][:, 1].tolist()
    assert coarse.train_y.tolist() == labels["train.bin"][0][:, 0].tolist()
    assert coarse.test_y.tolist() == labels["test.bin"][0][:, 0].tolist()
    assert np.array_equal(fine.test_x.reshape(3, -1), labels["test.bin"][1])
    with open(os.path.join(d, "train.bin"), "r+b") as f:
        f.write(bytes([20]))  # record 0's coarse label
    expect_error(lambda: peer_data.read(d, labels="coarse"), "train.bin", "label 20", "20 classes")


def exact_means(plane, h, w):
    """The exact mean of the input area each output pixel covers, as
    fractions: the rule of include/picture.h written the slow, obvious way."""
    hin, win = plane.shape
    out = np.empty((h, w), dtype=object)
    for oy in range(h):
        for ox in range(w):
            y0, y1 = Fraction(oy * hin, h), Fraction((oy + 1) * hin, h)
            x0, x1 = Fraction(ox * win, w), Fraction((ox + 1) * win, w)
            total = Fraction(0)
            for iy in range(hin):
                cy = max(Fraction(0), min(y1, iy + 1) - max(y0, iy))
                for ix in range(win):
                    cx = max(Fraction(0), min(x1, ix + 1) - max(x0, ix))
                    total += cy * cx * int(plane[iy, ix])
            out[oy, ox] = total / ((y1 - y0) * (x1 - x0))
    return out


# Outputs of the trainer's resample_area + to_byte (float32; compiled from
# src/io/resample.c and run) where the exact mean rounds the other way:
# the peer must give the trainer's bytes, not the exact ones.
TRAINER_BYTES = [
    ([[251], [68], [148], [209], [211], [108]], 5, 1, [[220], [95], [179], [210], [125]]),
    ([[27, 97], [106, 202], [44, 236], [229, 62], [56, 26]], 1, 3, [[92, 108, 125]]),
]


def check_conversion(_tmp):
    for hin, win, h, w in ((3, 3, 2, 2), (7, 5, 3, 4), (4, 6, 8, 9), (5, 5, 5, 5), (2, 9, 6, 3),
                           (28, 28, 32, 32)):
        plane = RNG.integers(0, 256, (hin, win), dtype=np.uint8)
        got = picture.area_resize(plane, h, w).astype(int)
        exact = exact_means(plane, h, w)
        near_tie = np.vectorize(lambda m: abs(m - int(m) - Fraction(1, 2)) < Fraction(1, 1000))
        rounded = np.vectorize(lambda m: int(m + Fraction(1, 2)))(exact)
        assert (abs(got - rounded) <= 1).all(), (hin, win, h, w)
        assert (got == rounded)[~near_tie(exact)].all(), ("not the nearest byte", hin, win, h, w)
    for plane, h, w, want in TRAINER_BYTES:
        got = picture.area_resize(np.array(plane, np.uint8), h, w)
        assert got.tolist() == want, ("not the trainer's float32 bytes", got.tolist(), want)
    tie = np.array([[10, 11]], dtype=np.uint8)  # mean 10.5 exactly in float32: up to 11
    assert picture.area_resize(tie, 1, 1).tolist() == [[11]]
    rgb = RNG.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    grey = picture.to_input(rgb, 1, 4, 6)
    r, g, b = (rgb[:, :, i].astype(int) for i in range(3))
    assert grey.shape == (1, 4, 6)
    assert np.array_equal(grey[0], (299 * r + 587 * g + 114 * b + 500) // 1000)
    assert picture.to_input(np.full((1, 1, 3), 255, np.uint8), 1, 1, 1).item() == 255
    chw = picture.to_input(rgb, 3, 4, 6)
    assert np.array_equal(chw, rgb.transpose(2, 0, 1)), "colour kept, channel-first"
    g3 = picture.to_input(grey[0][:, :, None], 3, 2, 3)
    assert g3.shape == (3, 2, 3) and (g3[0] == g3[1]).all() and (g3[1] == g3[2]).all()
    assert np.array_equal(g3[0], picture.area_resize(grey[0], 2, 3)), "channels, then size"


def check_pnm(tmp):
    """PGM and PPM read here, levels rescaled as the trainer's pnm_io.c."""
    def write(name, data):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path
    got = picture.read(write("a.pgm", b"P2\n# a comment\n3 2\n1000\n0 1 2\n500 999 1000\n"))
    assert got.shape == (2, 3, 1)
    assert got[:, :, 0].tolist() == [[0, 0, 1], [128, 255, 255]], got[:, :, 0].tolist()
    rgb = RNG.integers(0, 256, (2, 4, 3), dtype=np.uint8)
    got = picture.read(write("b.ppm", b"P6 4 2 #c\n255\n" + rgb.tobytes()))
    assert np.array_equal(got, rgb)
    wide = np.array([[0, 65535, 257]], dtype=">u2")
    got = picture.read(write("c.pgm", b"P5\n3 1\n65535\n" + wide.tobytes()))
    assert got[:, :, 0].tolist() == [[0, 255, 1]]
    for name, data, words in (("d.pgm", b"P5\n4 4\n255\n\0\0", "cut short"),
                              ("e.gif", b"GIF89a" + bytes(20), "not a PNG, JPEG"),
                              ("f.pgm", b"P2\n2 1\n9\n3 10\n", "above the maxval")):
        try:
            picture.read(write(name, data))
            raise AssertionError(f"{name} read")
        except picture.PictureError as e:
            assert name in str(e) and words in str(e), str(e)


def save(img, path, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def make_folder(tmp, name, classes=("bird", "cat", "dog")):
    """DIR/{train,test}/<class>/ with PNG (colour, grey+alpha), JPEG and PGM
    pictures of several sizes; returns DIR and the first picture's pixels."""
    root = os.path.join(tmp, name)
    first = None
    for tree, n in (("train", 3), ("test", 2)):
        for k, cls in enumerate(classes):
            folder = os.path.join(root, tree, cls)
            os.makedirs(folder)
            for i in range(n):
                px = RNG.integers(0, 256, (6 + i, 8, 3), dtype=np.uint8)
                kind = (k + i) % 3
                if kind == 0:
                    save(Image.fromarray(px), os.path.join(folder, f"{i}.png"), "PNG")
                elif kind == 1:
                    flat = np.full((6, 8, 3), 40 * k + 20, np.uint8)  # JPEG keeps a flat colour
                    save(Image.fromarray(flat), os.path.join(folder, f"{i}.jpg"), "JPEG",
                         quality=95)
                else:
                    save(Image.fromarray(px[:, :, 0]), os.path.join(folder, f"{i}.pgm"), "PPM")
                if first is None:
                    first = px
    return root, first


def check_folder(tmp):
    root, first = make_folder(tmp, "pics")
    assert peer_data.detect(root) == "folder"
    data = peer_data.read(root)
    assert data.names == ["bird", "cat", "dog"] and data.classes == 3
    assert data.shape == (3, 6, 8), data.shape  # the first picture's (bird/0.png)
    assert data.train_x.shape == (9, 3, 6, 8) and data.test_x.shape == (6, 3, 6, 8)
    assert data.train_y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(data.train_x[0], first.transpose(2, 0, 1)), "PNG bytes as they are"
    jpeg = data.train_x[3]  # cat/0.jpg: a flat 60, 60, 60
    assert abs(int(jpeg.astype(int).mean()) - 60) <= 1 and int(jpeg.max()) - int(jpeg.min()) <= 2
    grey = peer_data.read(root, channels=1, size=(4, 5))
    assert grey.shape == (1, 4, 5) and grey.train_x.shape == (9, 1, 4, 5)
    assert np.array_equal(grey.train_x[0], picture.to_input(first, 1, 4, 5))
    with open(os.path.join(root, "test", "cat", "9.png"), "wb") as f:
        f.write(b"\x89PNG broken")
    expect_error(lambda: peer_data.read(root), "9.png", "not a picture")
    skipping = peer_data.read(root, skip_bad=True)
    assert skipping.skipped == [os.path.join(root, "test", "cat", "9.png")]
    assert skipping.test_x.shape[0] == 6
    os.makedirs(os.path.join(root, "train", "dog", "sub"))
    expect_error(lambda: peer_data.read(root, skip_bad=False), "dog/sub", "cannot read")
    os.rmdir(os.path.join(root, "train", "dog", "sub"))
    with open(os.path.join(root, "train", "dog", ".hidden"), "wb") as f:
        f.write(b"not a picture, passed over as the trainer does")
    os.makedirs(os.path.join(root, "test", "emu"))
    expect_error(lambda: peer_data.read(root), "emu", "train tree")
    os.rmdir(os.path.join(root, "test", "emu"))
    os.makedirs(os.path.join(root, "train", "emu"))
    os.makedirs(os.path.join(root, "test", "emu"))
    expect_error(lambda: peer_data.read(root, skip_bad=True), "emu", "no pictures")
    expect_error(lambda: peer_data.detect(os.path.join(root, "train", "emu")), "holds no")


def check_normalize(_tmp):
    x = RNG.integers(0, 256, (50, 3, 4, 4), dtype=np.uint8)
    x[:, 1] //= 4  # channels of different means and spreads
    x[:, 2] = 77   # a flat channel: deviation 0, taken as 1
    scaling = peer_data.channel_scaling(x, "std")
    out = peer_data.scaled(x, scaling)
    for c in range(2):
        assert abs(out[:, c].mean()) < 1e-5 and abs(out[:, c].std() - 1) < 1e-5, c
    assert scaling[2] == (77.0, 1.0) and (out[:, 2] == 0).all()
    assert abs(scaling[0][0] - x[:, 0].mean()) < 1e-9 and scaling[0][0] != scaling[1][0]
    unit = peer_data.scaled(x, peer_data.channel_scaling(x, "center"))
    assert np.allclose(unit, (x.astype(np.float32) - 128) / 255)


def check_net(_tmp):
    import torch
    import torch_cnn
    opts = type("opts", (), {"bn_eps": 1e-5, "bn_momentum": 0.1})()
    net, _, _ = torch_cnn.build_net("conv4k5p2,relu,maxpool2,bn,fc7,softmax", opts,
                                    (3, 12, 10), 7)
    assert tuple(net(torch.zeros(2, 3, 12, 10)).shape) == (2, 7)
    assert net[0].in_channels == 3 and net[4][1].in_features == 4 * 6 * 5
    try:
        torch_cnn.build_net("conv4k5p2,fc10,softmax", opts, (3, 12, 10), 7)
        raise AssertionError("a last fc of 10 taken for 7 classes")
    except torch_cnn.SpecError as e:
        assert "7 classes" in str(e) and "10 scores" in str(e), str(e)
    torch.manual_seed(3)
    x = torch.arange(400.0).reshape(100, 1, 1, 4)
    y = torch_cnn.flip_half(x)
    flipped = (y != x).any(3).flatten()
    assert torch.equal(y[flipped], x[flipped].flip(3)) and torch.equal(y[~flipped], x[~flipped])
    assert 30 < int(flipped.sum()) < 70, int(flipped.sum())


def check_peer_runs(tmp):
    """torch_cnn.py end to end on a CIFAR-10 and a folder set, no trainer asked."""
    d = os.path.join(tmp, "c10run")
    os.mkdir(d)
    for name, n in (("data_batch_1.bin", 40), ("test_batch.bin", 10)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(cifar_records(n, 1, 10)[2])
    root, _ = make_folder(tmp, "pics-run", classes=("a", "b"))
    hyper = ["--lr", "0.01", "--lr-step", "0", "--lr-gamma", "1", "--momentum", "0",
             "--weight-decay", "0", "--batch", "5", "--normalize", "std", "--init-std", "0"]
    here = os.path.dirname(os.path.abspath(__file__))
    for data, spec, want in ((d, "conv2k3,relu,fc10,softmax", ([3, 32, 32], 10, "cifar10")),
                             (root, "fc2,softmax", ([1, 8, 8], 2, "folder"))):
        extra = ["--channels", "1", "--image-size", "8x8"] if data == root else []
        r = subprocess.run([sys.executable, os.path.join(here, "torch_cnn.py"), "--data", data,
                            "--spec", spec, "--augment", "flip", "--threads", "1", *hyper,
                            *extra], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout.splitlines()[-1])
        assert (out["input"], out["classes"], out["format"]) == want, out
        assert out["augment"] == "flip" and 0 <= out["test_acc"] <= 100


CHECKS = [check_idx, check_cifar10, check_cifar100, check_conversion, check_pnm, check_folder,
          check_normalize, check_net, check_peer_runs]


def main():
    with tempfile.TemporaryDirectory(prefix="peer-data-") as tmp:
        for check in CHECKS:
            try:
                check(tmp)
            except AssertionError as e:
                print(f"test_peer_data: {check.__name__}: FAILED: {e}", file=sys.stderr)
                return 1
            print(f"test_peer_data: {check.__name__}: ok", file=sys.stderr)
    print(f"test_peer_data: all {len(CHECKS)} checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
