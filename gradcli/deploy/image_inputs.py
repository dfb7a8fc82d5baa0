"""Image files for `predict`: PNG, JPEG and BMP read with Pillow into (C, H, W) uint8 pixels of
the model's raw shape, as the built-in image datasets are, before the checkpoint's own
transforms (scale, normalise) run on them.

- channels: converted to the model's, RGB to grey by Pillow's ITU-R 601-2 luma
  (L = 0.299 R + 0.587 G + 0.114 B) or grey copied into R, G and B; an alpha channel is
  dropped; 16- and 32-bit images are refused (their scale is unknown).
- size: the whole image is resized to the model's H x W with Pillow's bilinear filter (which
  averages over the source pixels when shrinking); the aspect ratio is not kept. With `crop`,
  the largest centred region of the model's aspect ratio is cut out first, then resized. A JPEG
  at least twice the model's size is first decoded at a reduced scale (JPEG's DCT scaling by
  1/2, 1/4 or 1/8, never below the model's size).
- polarity: MNIST-style models learnt white digits on black; `invert` turns a dark-on-light
  image (a scan, a drawing) into that (255 - pixel).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gradcli.errors import DataError

if TYPE_CHECKING:
    from gradcli.deploy.inputs import InputSpec

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}


@dataclass(frozen=True)
class ImageOptions:
    """How images are made to fit: `crop` centre-crops before resizing; `invert` flips
    polarity (255 - pixel)."""

    crop: bool = False
    invert: bool = False


def read_image(path: Path, spec: InputSpec, options: ImageOptions) -> np.ndarray:
    """One image file as a (C, H, W) uint8 array of the model's raw shape."""
    from PIL import Image, UnidentifiedImageError

    if not spec.is_image:
        raise DataError(
            f"{path}: this model takes rows of {int(np.prod(spec.raw_shape))} values "
            f"({spec.dataset} data), not images; give .npy, .npz or .csv files"
        )
    c, h, w = spec.raw_shape
    try:
        with _open(path) as img:
            if img.format == "JPEG":
                # JPEG's own DCT scaling decodes at 1/2, 1/4 or 1/8 size, never below the
                # model's: a 12-megapixel photo for a 28x28 model decodes ~10x faster
                img.draft("L" if c == 1 else "RGB", (w, h))
            img.load()
            img = _to_model(img, path, "L" if c == 1 else "RGB", (w, h), options.crop)
    except UnidentifiedImageError:
        raise DataError(
            f"{path}: not a readable image; check it is a complete PNG, JPEG or BMP file"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        if isinstance(e, OSError) and e.errno is not None:
            raise  # the system's (permission, vanished file): read_file words it
        # Pillow's errors for a truncated or corrupt file carry no errno
        raise DataError(f"{path}: corrupt or truncated image ({e}); re-save or remove it") from None
    x = np.asarray(img, dtype=np.uint8)
    x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)
    return 255 - x if options.invert else x


def _open(path: Path):
    """Pillow's image, trying the format the suffix names first: Pillow otherwise asks each
    format in turn, a fifth of the time of a small PNG. A misnamed file still opens."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path, formats=(_FORMATS[path.suffix.lower()],))
    except UnidentifiedImageError:
        return Image.open(path)


def _to_model(img, path, mode: str, size: tuple[int, int], crop: bool):
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        raise DataError(
            f"{path}: a {img.mode} image (16/32-bit pixels); the model takes 8-bit pixels: "
            "save it as 8-bit greyscale or RGB"
        )
    if img.mode != mode:
        # alpha dropped, palette expanded; CMYK and YCbCr go through RGB
        img = img.convert("RGB" if img.mode not in ("1", "L", "P", "RGB", "RGBA", "LA") else mode)
        img = img.convert(mode) if img.mode != mode else img
    if img.size == size:
        return img
    box = _centre_box(img.size, size) if crop else None
    return img.resize(size, _bilinear(), box=box)


def _bilinear():
    from PIL import Image

    return Image.Resampling.BILINEAR


def _centre_box(have: tuple[int, int], want: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred region of `want`'s aspect ratio."""
    (w, h), (tw, th) = have, want
    if w * th > h * tw:  # wider than wanted: cut the sides
        cw = h * tw / th
        return (round((w - cw) / 2), 0, round((w + cw) / 2), h)
    ch = w * th / tw
    return (0, round((h - ch) / 2), w, round((h + ch) / 2))
