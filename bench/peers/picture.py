"""Pictures for the peers: decoded by PIL (Debian's python3-pil, on the same
libpng, zlib and libjpeg-turbo the trainer links), then made a net's input by
the trainer's one rule (include/picture.h), written here in numpy:

1. channels first: colour to grey is the luma (299 R + 587 G + 114 B + 500)
   // 1000; grey to colour puts the grey level in all three;
2. then the size, if it differs: area averaging to H x W, each output pixel
   the mean of the input area it covers (the aspect ratio is not kept),
   rounded to the nearest byte. The trainer computes it in float32
   (src/io/resample.c: per axis, weights float32(cover / step) with step =
   n_in / n_out in double; rows first, then columns, each sum one term
   after another; then to_byte, v + 0.5 cut to a whole), and so does this,
   so that the bytes agree exactly, ties and near-ties included. (PIL's own
   resize filters are not this rule, so they are not used.)

Decoding as the trainer's picture_read: the first bytes pick the format
(PNG, JPEG, PGM/PPM; anything else is refused, whatever its name). PGM and
PPM (P2, P3, P5, P6) are read here, levels rescaled as the trainer does,
(v * 255 + maxval / 2) / maxval; PNG and JPEG by PIL, with transparency
composited onto white ((v a + 255 (255 - a) + 127) / 255) and 16-bit grey
rounded to 8 bits. Known to differ: a 16-bit colour PNG (PIL keeps the high
byte; the trainer rounds) and a CMYK JPEG (PIL's CMYK to RGB rule)."""
import io

import numpy as np
from PIL import Image, UnidentifiedImageError

LUMA = (299, 587, 114)


class PictureError(ValueError):
    pass


def _over_white(rgb, alpha):
    """Colour (h x w x c) composited onto white by its alpha (h x w)."""
    a = alpha.astype(np.int32)[:, :, None]
    return ((rgb.astype(np.int32) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def _pixels(img):
    """h x w x c bytes (c 1 or 3) of a PIL image of any mode."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: round to 8 bits
        v = np.asarray(img, dtype=np.int64)
        return ((np.clip(v, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8)[:, :, None]
    if mode == "P":
        mode = "RGBA" if "transparency" in img.info else "RGB"
        img = img.convert(mode)
    elif mode == "L" and "transparency" in img.info:
        mode, img = "LA", img.convert("LA")
    elif mode == "1":
        mode, img = "L", img.convert("L")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        mode, img = "RGB", img.convert("RGB")  # CMYK, YCbCr, ...
    px = np.asarray(img, dtype=np.uint8)
    if mode == "L":
        return px[:, :, None]
    if mode == "RGB":
        return px
    return _over_white(px[:, :, :-1], px[:, :, -1])  # LA, RGBA


def _pnm_tokens(data, count):
    """The first count header numbers after the magic, and the offset of
    the byte after the one whitespace that ends the last (comments skipped)."""
    out, i = [], 2
    while len(out) < count:
        while i < len(data) and (data[i:i + 1].isspace() or data[i:i + 1] == b"#"):
            if data[i:i + 1] == b"#":
                while i < len(data) and data[i:i + 1] not in b"\r\n":
                    i += 1
            else:
                i += 1
        j = i
        while j < len(data) and data[j:j + 1].isdigit():
            j += 1
        if j == i:
            raise ValueError("bad header: expected width, height and maxval")
        out.append(int(data[i:j]))
        i = j
    if i >= len(data) or not data[i:i + 1].isspace():
        raise ValueError("bad header: no whitespace after the maxval")
    return out, i + 1


def _read_pnm(data):
    """h x w x c bytes of a P2, P3, P5 or P6 file, levels rescaled to 255."""
    c = 1 if data[1:2] in b"25" else 3
    (w, h, maxval), at = _pnm_tokens(data, 3)
    if w < 1 or h < 1 or not 1 <= maxval <= 65535:
        raise ValueError(f"bad header: {w}x{h}, maxval {maxval}")
    n = w * h * c
    if data[1:2] in b"56":
        bps = 1 if maxval < 256 else 2
        if len(data) - at < n * bps:
            raise ValueError(f"cut short: {w}x{h} needs {n * bps} bytes")
        v = np.frombuffer(data, dtype=np.uint8 if bps == 1 else ">u2", count=n, offset=at)
    else:
        v = np.array(data[at:].split()[:n], dtype=np.int64)
        if v.size < n:
            raise ValueError(f"cut short: {w}x{h} needs {n} samples")
    v = v.astype(np.int64)
    if (v > maxval).any():
        raise ValueError(f"a sample above the maxval {maxval}")
    return ((v * 255 + maxval // 2) // maxval).astype(np.uint8).reshape(h, w, c)


def read(path):
    """The picture at path as h x w x c bytes (c 1: grey, 3: colour)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PictureError(f"{path}: cannot read: {e.strerror}") from None
    try:
        if data[:2] in (b"P2", b"P3", b"P5", b"P6"):
            return _read_pnm(data)
        if data[:8] != b"\x89PNG\r\n\x1a\n" and data[:3] != b"\xff\xd8\xff":
            raise ValueError("not a PNG, JPEG, PGM or PPM picture")
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return np.ascontiguousarray(_pixels(img))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise PictureError(f"{path}: not a picture that can be read: {e}") from None


def _channels(px, c):
    """h x w x c_in bytes made h x w x c (1 or 3) by the trainer's rule."""
    if px.shape[2] == c:
        return px
    if c == 1:
        r, g, b = (px[:, :, i].astype(np.int32) for i in range(3))
        return ((LUMA[0] * r + LUMA[1] * g + LUMA[2] * b + 500) // 1000).astype(np.uint8)[:, :, None]
    return np.repeat(px, 3, axis=2)


def _axis(n, m):
    """One axis of n input pixels made m: (first input, weights m x per) as
    resample.c's axis_make: output o spans [o*step, (o+1)*step), step = n/m
    in double; each input pixel it touches weighs float32(cover / step);
    unused entries weigh 0 (adding 0 * a byte changes no float sum)."""
    step = n / m
    lo = np.arange(m) * step
    hi = np.arange(1, m + 1) * step
    first = np.floor(lo).astype(np.int64)
    last = np.maximum(np.minimum(np.ceil(hi).astype(np.int64), n), first + 1)
    per = n // m + 2
    i = first[:, None] + np.arange(per)[None, :]
    cover = np.minimum(hi[:, None], i + 1.0) - np.maximum(lo[:, None], i.astype(np.float64))
    weight = np.where((i < last[:, None]) & (cover > 0), cover / step, 0.0).astype(np.float32)
    return np.minimum(i, n - 1), weight


def _resample_rows(src, n_out):
    """Each row of src (float32) resampled to n_out: the sums run in
    float32, one term after another in input order, as the C loop does
    (ISO C: no contraction into fused multiply-adds)."""
    index, weight = _axis(src.shape[1], n_out)
    s = np.zeros((src.shape[0], n_out), dtype=np.float32)
    for j in range(weight.shape[1]):
        s = s + weight[:, j] * src[:, index[:, j]]
    return s


def area_resize(plane, h, w):
    """One h_in x w_in byte plane area-averaged to h x w as the trainer does
    it (resample_area: rows first, then columns), rounded to the nearest
    byte with the trainer's to_byte: v + 0.5 in float32, cut to a whole."""
    if plane.shape == (h, w):
        return plane
    rows = _resample_rows(plane.astype(np.float32), w)      # h_in x w
    both = _resample_rows(np.ascontiguousarray(rows.T), h).T  # h x w
    return np.clip(np.floor(both + np.float32(0.5)), 0, 255).astype(np.uint8)


def to_input(px, c, h, w):
    """h_in x w_in x c_in bytes made the net's c x h x w input (channel-first)."""
    px = _channels(px, c)
    return np.stack([area_resize(px[:, :, k], h, w) for k in range(c)])
