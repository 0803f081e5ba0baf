"""Data for the peers, read as the trainer reads it: IDX files (any H x W),
the CIFAR-10 and CIFAR-100 binary versions, or a folder of pictures, told
apart by what --data holds (format "auto") or named outright. A data set is
N samples of C x H x W bytes, channel-first, with K classes (and their names
where known); load() scales the bytes like the trainer's --normalize: std
(each channel mean 0, deviation 1 over the training images; the default),
unit (byte / 255) or center ((byte - 128) / 255).

Every refusal is one line (a DataError) naming the file and what is wrong."""
import gzip
import os
from dataclasses import dataclass, field

import numpy as np

FORMATS = ("auto", "idx", "cifar10", "cifar100", "folder")
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_SIDE, CIFAR_CHANNELS = 32, 3
CIFAR_PIXELS = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE


class DataError(ValueError):
    pass


@dataclass
class DataSet:
    """Bytes as read: train_x, test_x N x C x H x W uint8; y int64."""
    format: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: int
    names: list = field(default_factory=list)

    @property
    def shape(self):
        return tuple(int(s) for s in self.train_x.shape[1:])


def _read_bytes(path):
    """The file's bytes, gunzipped when it starts with gzip's magic."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: not a regular file")
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise DataError(f"{path}: a damaged gzip file: {e}") from None
    return data


def read_idx(path):
    """An IDX file of unsigned bytes as an array of its header's dims."""
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08 or data[3] < 1:
        raise DataError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise DataError(f"{path}: its header is cut short")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    want = 4 + 4 * ndim + int(np.prod(dims, dtype=np.int64))
    if len(data) != want:
        raise DataError(f"{path}: {len(data)} bytes, its header {dims} says {want}")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find_idx(folder, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise DataError(f"{folder}: no {name}[.gz]" +
                    (": run `make data`" if name.startswith("train") else ""))


def _idx_pair(folder, images_name, labels_name):
    images = read_idx(_find_idx(folder, images_name))
    labels = read_idx(_find_idx(folder, labels_name))
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(f"{folder}: {images_name} must be N x H x W and {labels_name} N "
                        f"(they are {list(images.shape)} and {list(labels.shape)})")
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{folder}: {images.shape[0]} images in {images_name}, "
                        f"{labels.shape[0]} labels in {labels_name}")
    return images[:, None, :, :], labels


def load_idx(folder):
    """The four MNIST-style files; K is the largest training label + 1."""
    train_x, train_y = _idx_pair(folder, *IDX_FILES[:2])
    test_x, test_y = _idx_pair(folder, *IDX_FILES[2:])
    if train_x.shape[2:] != test_x.shape[2:]:
        raise DataError(f"{folder}: the t10k images are {test_x.shape[2]}x{test_x.shape[3]}, "
                        f"the train images {train_x.shape[2]}x{train_x.shape[3]}")
    classes = int(train_y.max()) + 1 if train_y.size else 0
    if test_y.size and int(test_y.max()) >= classes:
        raise DataError(f"{folder}: a t10k label is {int(test_y.max())}, the training labels "
                        f"give {classes} classes")
    return DataSet("idx", train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64),
                   classes)


def _names_file(path):
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f if line.strip()]


def _cifar_file(path, label_bytes, label_at, classes):
    """(x N x 3 x 32 x 32, y) of one CIFAR binary file of whole records."""
    record = label_bytes + CIFAR_PIXELS
    data = _read_bytes(path)
    if not data or len(data) % record:
        raise DataError(f"{path}: {len(data)} bytes is not a whole number of "
                        f"{record}-byte records")
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, record)
    y = rows[:, label_at].astype(np.int64)
    bad = np.flatnonzero(y >= classes)
    if bad.size:
        raise DataError(f"{path}: record {bad[0]} has label {y[bad[0]]}, beyond the "
                        f"{classes} classes")
    return rows[:, label_bytes:].reshape(-1, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE), y


def load_cifar(folder, version, coarse=False):
    """CIFAR-10 (data_batch_1.bin.. those present from 1 on, test_batch.bin)
    or CIFAR-100 (train.bin, test.bin; fine labels, or coarse with coarse)."""
    if version == 10:
        train = []
        for i in range(1, 6):
            path = os.path.join(folder, f"data_batch_{i}.bin")
            if not os.path.exists(path):
                break
            train.append(path)
        if not train:
            raise DataError(f"{folder}: no data_batch_1.bin")
        test, spec = os.path.join(folder, "test_batch.bin"), (1, 0, 10)
        names = _names_file(os.path.join(folder, "batches.meta.txt"))
    else:
        train, test = [os.path.join(folder, "train.bin")], os.path.join(folder, "test.bin")
        spec = (2, 0, 20) if coarse else (2, 1, 100)
        names = _names_file(os.path.join(folder, ("coarse" if coarse else "fine") +
                                         "_label_names.txt"))
    for path in train + [test]:
        if not os.path.exists(path):
            raise DataError(f"{path}: missing")
    parts = [_cifar_file(p, *spec) for p in train]
    train_x = np.concatenate([x for x, _ in parts]) if len(parts) > 1 else parts[0][0]
    train_y = np.concatenate([y for _, y in parts]) if len(parts) > 1 else parts[0][1]
    test_x, test_y = _cifar_file(test, *spec)
    classes = spec[2]
    return DataSet(f"cifar{version}", train_x, train_y, test_x, test_y, classes,
                   names if len(names) == classes else [])


def _subfolders(folder):
    return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))


def _pictures(folder):
    """Every entry but dot files, as the trainer lists them: a folder or
    other non-picture in a class folder is an error, not passed over."""
    return sorted(e.name for e in os.scandir(folder) if not e.name.startswith("."))


def _read_tree(tree, classes, shape, skip_bad, skipped):
    """(x, y) of tree/<class>/* for the given classes; shape (c, h, w) is
    filled in from the first picture where its entries are 0."""
    import picture  # PIL only where pictures are read
    xs, ys = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(tree, name)
        files = _pictures(folder)
        if not files:
            raise DataError(f"{folder}: a class folder with no pictures")
        for f in files:
            try:
                px = picture.read(os.path.join(folder, f))
            except picture.PictureError as e:
                if not skip_bad:
                    raise DataError(str(e)) from None
                skipped.append(os.path.join(folder, f))
                continue
            if 0 in shape:
                first = (px.shape[2], px.shape[0], px.shape[1])
                shape[:] = [s or first[i] for i, s in enumerate(shape)]
            xs.append(picture.to_input(px, *shape))
            ys.append(label)
    if not xs:
        raise DataError(f"{tree}: no picture could be read")
    return np.stack(xs), np.array(ys, dtype=np.int64)


def load_folder(folder, channels=0, size=(0, 0), skip_bad=False):
    """DIR/train/<class>/* and DIR/test/<class>/*; classes are the train
    tree's sub-folders in byte order, and the test tree must have the same.
    channels and size (h, w): 0 takes the first picture's."""
    trees = [os.path.join(folder, t) for t in ("train", "test")]
    for tree in trees:
        if not os.path.isdir(tree):
            raise DataError(f"{tree}: missing: the peer reads an image folder as "
                            "DIR/train/<class>/* and DIR/test/<class>/*")
    classes = _subfolders(trees[0])
    if not classes:
        raise DataError(f"{trees[0]}: no class sub-folders")
    if _subfolders(trees[1]) != classes:
        raise DataError(f"{trees[1]}: its class folders {_subfolders(trees[1])} are not "
                        f"the train tree's {classes}")
    shape, skipped = [channels, *size], []
    train_x, train_y = _read_tree(trees[0], classes, shape, skip_bad, skipped)
    test_x, test_y = _read_tree(trees[1], classes, shape, skip_bad, skipped)
    data = DataSet("folder", train_x, train_y, test_x, test_y, len(classes), classes)
    data.skipped = skipped
    return data


def detect(folder):
    """The format the trainer will take folder for."""
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: not a folder")
    has = lambda name: os.path.exists(os.path.join(folder, name))
    if has("data_batch_1.bin"):
        return "cifar10"
    if has("train.bin"):
        return "cifar100"
    if has(IDX_FILES[0]) or has(IDX_FILES[0] + ".gz"):
        return "idx"
    if _subfolders(folder):
        return "folder"
    raise DataError(f"{folder}: holds no data_batch_1.bin (CIFAR-10), train.bin (CIFAR-100), "
                    f"{IDX_FILES[0]}[.gz] (IDX) or class sub-folders (pictures)")


def read(folder, fmt="auto", labels="fine", channels=0, size=(0, 0), skip_bad=False):
    """The data set in folder, as bytes (DataSet)."""
    fmt = detect(folder) if fmt == "auto" else fmt
    if fmt == "idx":
        return load_idx(folder)
    if fmt in ("cifar10", "cifar100"):
        return load_cifar(folder, int(fmt[5:]), coarse=labels == "coarse")
    if fmt == "folder":
        return load_folder(folder, channels, size, skip_bad)
    raise DataError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def channel_scaling(train_x, normalize):
    """[(mean, sd)] per channel: x = (byte - mean) / sd. std: each channel's
    mean and deviation over the training bytes (sd 1 where it is 0, as the
    trainer); unit 0, 255; center 128, 255."""
    if normalize == "std":
        out = []
        for c in range(train_x.shape[1]):
            plane = train_x[:, c]
            mean, sd = plane.mean(dtype=np.float64), plane.std(dtype=np.float64)
            out.append((mean, sd if sd * sd > 1e-12 else np.float64(1.0)))
        return out
    if normalize in ("unit", "center"):
        return [(0.0 if normalize == "unit" else 128.0, 255.0)] * train_x.shape[1]
    raise ValueError(f"normalize: expected std, unit or center, got {normalize!r}")


def scaled(x, scaling):
    """N x C x H x W bytes as float32, each channel (byte - mean) / sd."""
    out = np.empty(x.shape, dtype=np.float32)
    for c, (mean, sd) in enumerate(scaling):
        out[:, c] = (x[:, c].astype(np.float32) - mean) / sd
    return out


def load(folder, normalize="std", **how):
    """(DataSet of bytes, train_x, train_y, test_x, test_y): x float32
    N x C x H x W scaled by --normalize, y int64. how: read()'s options."""
    data = read(folder, **how)
    scaling = channel_scaling(data.train_x, normalize)
    data.scaling = [(float(m), float(s)) for m, s in scaling]
    return (data, scaled(data.train_x, scaling), data.train_y, scaled(data.test_x, scaling),
            data.test_y)
