"""Tensor methods for shape, pieces, sorting, running sums and norms; each forwards to one
function in `gradcli.ops`. TensorMath (operators and math) builds on this class, so Tensor
gets both. Methods with a `dim`/`keepdim` also take NumPy's `axis`/`keepdims`, as PyTorch's do.
"""

from __future__ import annotations

import numpy as np

from gradcli import dtypes, ops
from gradcli.autograd.tensor_more import TensorMore
from gradcli.ops._aliases import numpy_names
from gradcli.ops._util import lift


class TensorOps(TensorMore):
    __slots__ = ()

    # ---- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    def view(self, *shape, dtype=None):
        """`view(2, 3)` reshapes; `view(gradcli.int32)` reads the same bytes as another dtype."""
        if dtype is None and len(shape) == 1 and isinstance(shape[0], (dtypes.dtype, np.dtype)):
            dtype = shape[0]
        if dtype is not None:
            return ops.view_dtype(self, dtype)
        return ops.reshape(self, *shape)

    def view_as(self, other):
        return ops.reshape(self, *other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    @numpy_names
    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    @numpy_names
    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def t(self):
        return ops.transpose(self, 0, 1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    @property
    def T(self):
        return ops.permute(self, *reversed(range(self._data.ndim)))

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def expand_as(self, other):
        return ops.expand(self, *other._data.shape)

    def repeat(self, *sizes):
        return ops.repeat(self, *sizes)

    def contiguous(self):
        # a copy (with its gradient) only when the memory is not laid out in order, as PyTorch
        return self if self._data.flags.c_contiguous else ops.clone(self)

    def clone(self):
        return ops.clone(self)

    # ---- pieces and triangles ----------------------------------------------------------------
    @numpy_names
    def split(self, split_size, dim=0):
        return ops.split(self, split_size, dim)

    @numpy_names
    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    @numpy_names
    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def tril(self, diagonal=0):
        return ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return ops.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return self._inplace(ops.tril, diagonal=diagonal)

    def triu_(self, diagonal=0):
        return self._inplace(ops.triu, diagonal=diagonal)

    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
        if shape != self._data.shape:
            from gradcli.errors import ShapeError

            raise ShapeError(
                f"masked_fill_: the mask's shape {tuple(mask._data.shape)} broadcasts the "
                f"tensor's {tuple(self._data.shape)} to {shape}; an in-place fill cannot grow "
                "the tensor (use masked_fill)"
            )
        return self._inplace(ops.masked_fill, mask, lift(value, self))

    # ---- sorting and sampling ----------------------------------------------------------------
    @numpy_names
    def sort(self, dim=-1, descending=False, *, stable=False):
        return ops.sort(self, dim, descending, stable=stable)

    @numpy_names
    def argsort(self, dim=-1, descending=False, *, stable=False):
        return ops.argsort(self, dim, descending, stable=stable)

    @numpy_names
    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return ops.multinomial(self, num_samples, replacement, generator=generator)

    # ---- running sums and norms --------------------------------------------------------------
    @numpy_names
    def cumsum(self, dim, *, dtype=None):
        return ops.cumsum(self, dim, dtype=dtype)

    @numpy_names
    def cumprod(self, dim, *, dtype=None):
        return ops.cumprod(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return ops.norm(self, p, dim, keepdim, dtype)
