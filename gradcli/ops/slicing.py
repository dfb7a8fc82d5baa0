"""Pieces of a tensor: split, chunk, unbind (tuples of views) and the triangles tril, triu.

Each piece is a slice of the input (a view, SliceBackward0 in the graph), so pieces share the
input's storage and version counter as in PyTorch.
"""

from __future__ import annotations

import operator

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import norm_dim
from gradcli.ops.indexing import index


def _piece(x, d, start, stop):
    return index(x, (slice(None),) * d + (slice(start, stop),))


@numpy_names
def split(x, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or pieces of the listed
    sizes: split(t, 2) of 5 rows is (2, 2, 1) rows, split(t, [1, 4]) is (1, 4)."""
    d = _dim("split", x, dim)
    n = x._data.shape[d]
    sizes = split_size_or_sections
    if isinstance(sizes, (list, tuple)):
        sizes = [operator.index(s) for s in sizes]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ShapeError(
                f"split: split_sizes {sizes} must be non-negative and sum to {n} (the size of "
                f"dim {dim}, shape {tuple(x._data.shape)})"
            )
    else:
        size = operator.index(sizes)
        if size < 0 or (size == 0 and n):
            raise ShapeError(
                f"split: split_size must be positive (0 only for an empty dim), got {size} for "
                f"dim {dim} of size {n}"
            )
        sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    out, start = [], 0
    for s in sizes:
        out.append(_piece(x, d, start, start + s))
        start += s
    return tuple(out)


@numpy_names
def chunk(x, chunks, dim=0):
    """At most `chunks` pieces of ceil(size / chunks) along `dim` (fewer when they run out:
    chunk of 5 rows into 3 is (2, 2, 1), of 6 rows into 4 is (2, 2, 2))."""
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be greater than 0, got {chunks}")
    d = _dim("chunk", x, dim)
    n = x._data.shape[d]
    return split(x, max(-(-n // chunks), 1), d)


@numpy_names
def unbind(x, dim=0):
    """The slices along `dim`, each without that dim: unbind of a (2, 3) tensor is 2 rows."""
    d = _dim("unbind", x, dim)
    return tuple(index(x, (slice(None),) * d + (i,)) for i in range(x._data.shape[d]))


def _dim(op, x, dim):
    if x._data.ndim == 0:
        raise ShapeError(f"{op}: expected a tensor with at least 1 dim, got a 0-d tensor")
    return norm_dim(op, dim, x._data.ndim)


class Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two dims; the rest is zero."""

    def name(self):
        return f"{'Tril' if self.lower else 'Triu'}Backward0"

    def forward(self, x, diagonal, lower):
        self.diagonal, self.lower = diagonal, lower
        xp = get_array_module(x)
        return (xp.tril if lower else xp.triu)(x, diagonal)

    def backward(self, g):
        xp = get_array_module(g)
        return (xp.tril if self.lower else xp.triu)(g, self.diagonal)

    def backward_tensors(self, g):
        return Triangle.apply(g, diagonal=self.diagonal, lower=self.lower)  # linear: itself


def _triangle(op, x, diagonal, lower):
    if x._data.ndim < 2:
        raise ShapeError(
            f"{op}: input tensor must have at least 2 dimensions, got shape {tuple(x._data.shape)}"
        )
    return Triangle.apply(x, diagonal=operator.index(diagonal), lower=lower)


def tril(x, diagonal=0):
    """Elements on and below the `diagonal`-th diagonal of the last two dims; others 0."""
    return _triangle("tril", x, diagonal, True)


def triu(x, diagonal=0):
    """Elements on and above the `diagonal`-th diagonal of the last two dims; others 0."""
    return _triangle("triu", x, diagonal, False)
