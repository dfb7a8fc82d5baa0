"""Averaging a global batch's gradients over the ranks, in flat buckets.

Each rank back-propagates the mean loss over its slice of the global batch weighted by its
share n_k / N; summing those gradients over the ranks gives the gradient of the mean over the
whole batch of N, whatever the split, so the learning rate means the same at any world size.
Gradients are copied into a few flat buffers of about `bucket_mb` each and reduced with one
call per buffer: for small layers the cost of a call, not its bytes, dominates.
"""

from __future__ import annotations

from gradcli.autograd.tensor import Tensor
from gradcli.backend import get_array_module


class Bucket:
    def __init__(self, params):
        first = params[0]._data
        xp = get_array_module(first)
        self.params = params
        self.offsets = []
        total = 0
        for p in params:
            self.offsets.append((total, p._data.size))
            total += p._data.size
        self.buffer = xp.zeros(total, dtype=first.dtype)
        self.views = [self.buffer[a : a + n].reshape(p._data.shape) for p, (a, n) in
                      zip(params, self.offsets)]  # fmt: skip

    def zero(self) -> None:
        self.buffer.fill(0)
        for p, view in zip(self.params, self.views):
            if p.grad is None or p.grad._data is not view:
                p.grad = Tensor._make(view)

    def in_place(self) -> bool:
        """Whether backward accumulated into the buffer (no hook or user replaced a grad)."""
        return all(
            p.grad is not None and p.grad._data is v for p, v in zip(self.params, self.views)
        )

    def pack(self) -> None:
        buf = self.buffer
        for p, (start, size) in zip(self.params, self.offsets):
            part = buf[start : start + size]
            if p.grad is None:  # not used by this rank's slice: it adds nothing
                part[...] = 0
            else:
                part[...] = p.grad._data.reshape(-1)

    def unpack(self) -> None:
        for p, (start, size) in zip(self.params, self.offsets):
            part = self.buffer[start : start + size].reshape(p._data.shape)
            if p.grad is None:
                p.grad = Tensor._make(part.copy())
            else:
                p.grad._data[...] = part


class GradientSync:
    """`reduce()` after backward: every rank ends with the same, global gradients.

    >>> sync = GradientSync(world, model.parameters(), bucket_mb=4)
    >>> sync.zero(); (loss * len(x) / global_batch).backward(); sync.reduce(); optimizer.step()
    """

    def __init__(self, world, params, bucket_mb: float = 4.0):
        self.world = world
        limit = max(int(bucket_mb * 2**20), 1)
        self.buckets: list[Bucket] = []
        group, size, key = [], 0, None
        for p in params:
            if not p.requires_grad:
                continue
            this = (p._data.dtype, type(p._data))
            if group and (size >= limit or this != key):
                self.buckets.append(Bucket(group))
                group, size = [], 0
            group.append(p)
            size += p._data.nbytes
            key = this
        if group:
            self.buckets.append(Bucket(group))

    def zero(self) -> None:
        """Before backward: every gradient becomes a zeroed view of its bucket, so backward
        accumulates straight into the buffers that are all-reduced (no copies, no zero_grad)."""
        for bucket in self.buckets:
            bucket.zero()

    def reduce(self) -> None:
        for bucket in self.buckets:
            if bucket.in_place():
                self.world.allreduce_(bucket.buffer)
                continue
            bucket.pack()
            self.world.allreduce_(bucket.buffer)
            bucket.unpack()

    def broadcast(self, tensors) -> None:
        """Make every rank's `tensors` (parameters, buffers) rank 0's."""
        for t in tensors:
            self.world.broadcast_(t._data)
