"""Pictures for the peers: decoded by PIL (Debian's python3-pil, on the same
libpng, zlib and libjpeg-turbo the trainer links), then made a net's input by
the trainer's one rule (include/picture.h), written here in numpy:

1. channels first: colour to grey is the luma (299 R + 587 G + 114 B + 500)
   // 1000; grey to colour puts the grey level in all three;
2. then the size, if it differs: area averaging to H x W, each output pixel
   the mean of the input area it covers (the aspect ratio is not kept),
   rounded to the nearest byte, a tie upwards. The sum is exact integer
   arithmetic: on an axis of n input pixels made m output ones, input pixel
   i spans [i*m, (i+1)*m) and output pixel o spans [o*n, (o+1)*n), so every
   overlap is a whole number and an output's weights add up to n per axis.
   (PIL's own resize filters are not this rule, so it is not used.)

Decoding corners picture.h states but PIL does not do the same way are
made to match here: transparency is composited onto white and 16-bit grey is
rounded to 8 bits."""
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


def read(path):
    """The picture at path as h x w x c bytes (c 1: grey, 3: colour)."""
    try:
        with Image.open(path) as img:
            img.load()
            return np.ascontiguousarray(_pixels(img))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise PictureError(f"{path}: not a picture PIL can read: {e}") from None


def _channels(px, c):
    """h x w x c_in bytes made h x w x c (1 or 3) by the trainer's rule."""
    if px.shape[2] == c:
        return px
    if c == 1:
        r, g, b = (px[:, :, i].astype(np.int32) for i in range(3))
        return ((LUMA[0] * r + LUMA[1] * g + LUMA[2] * b + 500) // 1000).astype(np.uint8)[:, :, None]
    return np.repeat(px, 3, axis=2)


def _overlaps(n, m):
    """m x n integer weights: output pixel o's overlap with input pixel i on
    an axis of n input pixels made m (units of 1/(n*m) of the axis)."""
    i = np.arange(n)[None, :]
    o = np.arange(m)[:, None]
    lo = np.maximum(i * m, o * n)
    hi = np.minimum((i + 1) * m, (o + 1) * n)
    return np.maximum(hi - lo, 0).astype(np.int64)


def area_resize(plane, h, w):
    """One h_in x w_in byte plane area-averaged to h x w, rounded to nearest."""
    hin, win = plane.shape
    if (hin, win) == (h, w):
        return plane
    total = _overlaps(hin, h) @ plane.astype(np.int64) @ _overlaps(win, w).T
    area = hin * win  # the sum of one output pixel's weights
    return ((2 * total + area) // (2 * area)).astype(np.uint8)


def to_input(px, c, h, w):
    """h_in x w_in x c_in bytes made the net's c x h x w input (channel-first)."""
    px = _channels(px, c)
    return np.stack([area_resize(px[:, :, k], h, w) for k in range(c)])
