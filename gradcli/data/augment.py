"""Augmentations chosen by name in `data.augment` and applied on the fly to each training batch.

Unlike `transforms` (applied once to whole splits), an augmentation draws new random numbers for
every batch, so it runs inside the training `DataLoader` and only there: validation, test and
`gradcli eval` see the images as they are. Every augmentation is vectorised over the batch (one
gather for all crops, one masked write for all flips), keeps the batch's dtype, and works on
numpy or CuPy arrays alike. The random draws are made on the host from the pipeline's own
generator, so a batch is the same on CPU and GPU and the generator's state is plain JSON that
the loader checkpoints.

>>> aug = build_augment([{"random_crop": {"padding": 4}}, {"hflip": 0.5}], seed=0)
>>> xb = aug(xb)  # (N, C, H, W) float32 -> same shape and dtype
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradcli import backend

from .components import BadOption, CaseBlindRegistry, construct, parse_list
from .errors import DataError

# A stream apart from the loader's shuffle generator (`default_rng(seed)`): adding or removing
# an augmentation never changes the order in which samples are drawn.
_STREAM = 0xA06


class _AugmentRegistry(CaseBlindRegistry):
    def _add(self, name, entry):
        entry.name = name  # messages and `spec()` use the registered name
        super()._add(name, entry)


# Adding an augmentation: an Augment subclass below with an `@AUGMENTS.register(name)` line.
AUGMENTS: CaseBlindRegistry[type[Augment]] = _AugmentRegistry("augmentation", error=DataError)


class Augment:
    """Base: `check` says whether samples of a shape can be augmented; `__call__` does it."""

    name = "augment"

    def check(self, shape: tuple[int, ...]) -> str | None:
        """A problem with augmenting samples of `shape` (no batch dimension), or None."""
        if len(shape) != 3:
            return f"needs images (C, H, W) but the samples have shape {list(shape)}"
        return None

    def __call__(self, x, rng: np.random.Generator):
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        return {"type": self.name}


def _int_option(name: str, option: str, value: Any, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise BadOption(name, option, f"must be an integer >= {low}, got {value!r}")
    if value < low:
        raise BadOption(name, option, f"must be an integer >= {low}, got {value!r}")
    return int(value)


@AUGMENTS.register("random_crop", aliases=["crop", "randomcrop"])
class RandomCrop(Augment):
    """Pad each image by `padding` zeros on every side, then cut a random `size` x `size` window.

    `size` defaults to the image size (the CIFAR recipe: pad 4, crop 32), and must equal it,
    since evaluation sees uncropped images. Padding adds zeros to the batch as it is: after a
    `normalize` transform, zero is the mean colour.
    """

    def __init__(self, padding: int = 4, size: int | None = None) -> None:
        self.padding = _int_option("random_crop", "padding", padding, 0)
        self.size = None if size is None else _int_option("random_crop", "size", size, 1)

    def check(self, shape):
        problem = super().check(shape)
        if problem is None and self.size is not None and tuple(shape[1:]) != (self.size,) * 2:
            return (
                f"size {self.size} must equal the image size {list(shape[1:])}: evaluation sees "
                "uncropped images; leave size out or change padding instead"
            )
        return problem

    def __call__(self, x, rng):
        n, c, h, w = x.shape
        p = self.padding
        if p == 0:
            return x
        xp = backend.get_array_module(x)
        padded = xp.zeros((n, c, h + 2 * p, w + 2 * p), dtype=x.dtype)
        padded[:, :, p : p + h, p : p + w] = x  # twice as fast as xp.pad
        # Every window of every image as a read-only view (n, dy, dx, c, h, w); picking one
        # window per image is then a single gather, ten times faster than indexing each pixel.
        sn, sc, sh, sw = padded.strides
        windows = xp.lib.stride_tricks.as_strided(
            padded, (n, 2 * p + 1, 2 * p + 1, c, h, w), (sn, sh, sw, sc, sh, sw)
        )
        dy = xp.asarray(rng.integers(0, 2 * p + 1, n))
        dx = xp.asarray(rng.integers(0, 2 * p + 1, n))
        return windows[xp.arange(n), dy, dx]

    def spec(self):
        return {"type": self.name, "padding": self.padding, "size": self.size}


@AUGMENTS.register("hflip", aliases=["random_hflip", "horizontal_flip", "flip"])
class HFlip(Augment):
    """Mirror each image left-right with probability `p`."""

    def __init__(self, p: float = 0.5) -> None:
        ok = isinstance(p, (int, float, np.number)) and not isinstance(p, (bool, np.bool_))
        if not (ok and 0.0 <= p <= 1.0):
            raise BadOption("hflip", "p", f"must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def __call__(self, x, rng):
        flip = rng.random(x.shape[0]) < self.p
        if not flip.any():
            return x
        xp = backend.get_array_module(x)
        out = x.copy()  # the caller's batch is never modified
        rows = xp.asarray(np.flatnonzero(flip))
        out[rows] = x[rows, ..., ::-1]
        return out

    def spec(self):
        return {"type": self.name, "p": self.p}


class Augmentation:
    """Augmentations applied in order to each batch, drawing from one seeded generator.

    Its state (`state_dict`, plain JSON) goes into the loader's checkpoint, so a resumed run
    draws the same crops and flips as an uninterrupted one.
    """

    def __init__(self, augments: Sequence[Augment] = (), seed: int | None = 0) -> None:
        self.augments = list(augments)
        # seed None: fresh entropy, as for the loader's own generator
        self.generator = np.random.default_rng(None if seed is None else [_STREAM, int(seed)])

    def check(self, shape: tuple[int, ...]) -> None:
        for i, a in enumerate(self.augments):
            problem = a.check(tuple(shape))
            if problem is not None:
                raise DataError(f"data.augment[{i}] ({a.name}): {problem}")

    def __call__(self, x):
        for a in self.augments:
            x = a(x, self.generator)
        return x

    def __len__(self) -> int:
        return len(self.augments)

    def spec(self) -> list[dict[str, Any]]:
        return [a.spec() for a in self.augments]

    def state_dict(self) -> dict[str, Any]:
        return {"spec": self.spec(), "rng_state": copy.deepcopy(self.generator.bit_generator.state)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("spec") != self.spec():
            raise DataError(
                f"augmentation: the checkpoint was saved with data.augment {state.get('spec')} "
                f"but this run has {self.spec()}; resume with the same data.augment"
            )
        try:
            self.generator.bit_generator.state = copy.deepcopy(state["rng_state"])
        except (ValueError, TypeError, KeyError) as exc:
            raise DataError(f"augmentation: cannot restore the generator state ({exc})") from None


def build_augment(spec: Any, seed: int | None = 0) -> Augmentation | None:
    """An `Augmentation` from plain config (a list like `data.transforms`), or None for none."""
    if spec is None or isinstance(spec, Augmentation):
        return spec or None
    out = [
        construct(where, cls, options)
        for where, cls, options in parse_list(spec, "data.augment", AUGMENTS, "augmentation", True)
    ]
    return Augmentation(out, seed) if out else None
