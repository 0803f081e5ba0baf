"""MNIST for the peer benchmarks: the same four IDX files the trainer reads,
scaled like the trainer's --normalize: std (mean 0, deviation 1 over the
training images; the default), unit (byte / 255) or center ((byte - 128) / 255)."""
import gzip
import os

import numpy as np


def _read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(folder, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{folder}: no {name}[.gz]: run `make data`")


def load(folder, normalize="std"):
    """(train_x, train_y, test_x, test_y): x float32 N x 1 x 28 x 28, y int64."""
    parts = [_read_idx(_find(folder, n)) for n in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
    train_x, train_y, test_x, test_y = parts
    if normalize == "std":
        mean, sd = train_x.mean(dtype=np.float64), train_x.std(dtype=np.float64)
    elif normalize in ("unit", "center"):
        mean, sd = (0.0 if normalize == "unit" else 128.0), 255.0
    else:
        raise ValueError(f"normalize: expected std, unit or center, got {normalize!r}")
    norm = lambda x: ((x.astype(np.float32) - mean) / sd).astype(np.float32)[:, None, :, :]
    return norm(train_x), train_y.astype(np.int64), norm(test_x), test_y.astype(np.int64)
