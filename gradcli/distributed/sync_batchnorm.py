"""Batch normalisation whose training statistics span the global batch (`sync_batchnorm: true`).

By default each rank normalises its slice with its own statistics, as PyTorch's DDP does; that
is cheaper but not the 1-process computation. With sync, the channel means and variances (and
in backward the two channel sums of the gradient) are all-reduced, so K ranks compute what one
process computes on the whole batch: three small all-reduces per layer and step.
"""

from __future__ import annotations

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.nn.normalization import _BatchNorm


class SyncBatchNormOp(Function):
    def name(self):
        return "SyncBatchNormBackward0"

    def forward(self, x, w, b, *, world, running_mean, running_var, momentum, eps):
        xp = get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        cshape = (1, -1) + (1,) * (x.ndim - 2)
        count = xp.asarray([x.size // x.shape[1]], dtype=x.dtype)
        sums = xp.concatenate([x.sum(axis=axes), count])
        world.allreduce_(sums)
        n = sums[-1]
        mean = sums[:-1] / n
        centered = x - mean.reshape(cshape)
        var = (centered * centered).sum(axis=axes)
        world.allreduce_(var)
        var /= n
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            running_var *= 1 - momentum
            unbiased = var * (n / (n - 1))
            running_var += (momentum * unbiased).astype(running_var.dtype, copy=False)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = centered * invstd.reshape(cshape)
        self.world, self.axes, self.n = world, axes, n
        self.save_for_backward(xhat, invstd, w)
        return xhat * w.reshape(cshape) + b.reshape(cshape)

    def backward(self, g):
        xp = get_array_module(g)
        xhat, invstd, w = self.saved_tensors
        cshape = (1, -1) + (1,) * (g.ndim - 2)
        gb = g.sum(axis=self.axes)
        gw = (g * xhat).sum(axis=self.axes)
        sums = xp.concatenate([gb, gw])
        self.world.allreduce_(sums)  # the global batch's sums: what one process would see
        c = gb.shape[0]
        gmean = (sums[:c] / self.n).reshape(cshape)
        proj = (sums[c:] / self.n).reshape(cshape)
        gx = (g - gmean - xhat * proj) * (invstd * w).reshape(cshape)
        # each rank returns its own parameter gradients; the gradient sync sums them
        return gx, gw, gb


class SyncBatchNorm(_BatchNorm):
    """A batch-norm layer of any dimension whose training statistics are global."""

    _ndims, _layout = (2, 3, 4, 5), "(N, C, ...)"
    world = None

    def forward(self, input):
        if not self.training or self.weight is None:
            return super().forward(input)
        factor = self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._vc[0] += 1
            if factor is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        rm = self.running_mean._data if self.track_running_stats else None
        rv = self.running_var._data if self.track_running_stats else None
        opts = dict(running_mean=rm, running_var=rv, momentum=factor or 0.0, eps=self.eps)
        return SyncBatchNormOp.apply(input, self.weight, self.bias, world=self.world, **opts)


def convert_sync_batchnorm(module, world):
    """Make every affine batch-norm layer of `module` sync its statistics over `world`, in
    place; parameters, buffers and state-dict names stay the same."""
    for name, child in list(module.named_children()):
        if isinstance(child, _BatchNorm) and child.affine and child.bias is not None:
            sync = SyncBatchNorm.__new__(SyncBatchNorm)
            sync.__dict__.update(child.__dict__)
            object.__setattr__(sync, "world", world)
            setattr(module, name, sync)
        else:
            convert_sync_batchnorm(child, world)
    return module
