"""Batch normalisation over the channel dim (1) of (N, C, ...) inputs, as one fused node."""

from __future__ import annotations

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.errors import ShapeError
from gradcli.ops._checks import check_same_kind


class BatchNorm(Function):
    """Normalise over every dim but the channel dim (1); update running stats in training."""

    def name(self):
        return "NativeBatchNormBackward0"

    def forward(self, x, w=None, b=None, *, running_mean, running_var, training, momentum, eps):
        xp = get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        cshape = (1, -1) + (1,) * (x.ndim - 2)
        self.axes, self.training = axes, training
        self.has_w, self.has_b = w is not None, b is not None
        if training:
            mean = x.mean(axis=axes)
            centered = x - mean.reshape(cshape)
            var = (centered * centered).mean(axis=axes)
            if running_mean is not None:
                n = x.size // x.shape[1]
                m = momentum
                running_mean *= 1 - m
                running_mean += (m * mean).astype(running_mean.dtype, copy=False)
                running_var *= 1 - m
                unbiased = var * (n / (n - 1))  # the running variance is unbiased, as PyTorch's
                running_var += (m * unbiased).astype(running_var.dtype, copy=False)
        else:
            centered = x - running_mean.astype(x.dtype, copy=False).reshape(cshape)
            var = running_var.astype(x.dtype, copy=False)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = centered
        xhat *= invstd.reshape(cshape)
        self.save_for_backward(xhat, invstd, w)
        out = xhat * w.reshape(cshape) if w is not None else xhat.copy()
        if b is not None:
            out += b.reshape(cshape)
        return out

    def backward(self, g):
        xhat, invstd, w = self.saved_tensors
        cshape = (1, -1) + (1,) * (g.ndim - 2)
        axes = self.axes
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            scale = invstd if w is None else invstd * w
            if self.training:
                # d/dx of (x - mean) / std with batch statistics: remove the mean of g and the
                # projection of g on xhat, both of which the normalisation cancels
                gmean = g.mean(axis=axes).reshape(cshape)
                proj = (g * xhat).mean(axis=axes).reshape(cshape)
                gx = (g - gmean - xhat * proj) * scale.reshape(cshape)
            else:
                gx = g * scale.reshape(cshape)
        if self.has_w and need[1]:
            gw = (g * xhat).sum(axis=axes)
        if self.has_b and need[1 + self.has_w]:
            gb = g.sum(axis=axes)
        grads = (gx,) + ((gw,) if self.has_w else ()) + ((gb,) if self.has_b else ())
        return grads if len(grads) > 1 else gx


def batch_norm(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Batch normalisation over dim 1 of an (N, C, ...) input, as `torch.nn.functional`."""
    if x._data.ndim < 2:
        raise ShapeError(
            f"batch_norm: expected an input of shape (N, C, ...) but got {tuple(x.shape)}; "
            "add a batch dimension with x.unsqueeze(0)"
        )
    c = x._data.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(
                f"batch_norm: {name} has shape {tuple(t.shape)} but the input has {c} channels "
                f"(input shape {tuple(x.shape)}); expected shape ({c},)"
            )
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    if training and x._data.size // max(c, 1) <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input "
            f"shape {tuple(x.shape)}; use a batch of 2 or more, or call model.eval()"
        )
    check_same_kind("batch_norm", (x, weight, bias))
    tensors = [x] + [t for t in (weight, bias) if t is not None]
    update = training and running_mean is not None
    out = _apply_bn(tensors, weight, bias, running_mean, running_var, training, momentum, eps)
    if update:
        running_mean._vc[0] += 1
        running_var._vc[0] += 1
    return out


def _apply_bn(tensors, weight, bias, running_mean, running_var, training, momentum, eps):
    rm = running_mean._data if running_mean is not None else None
    rv = running_var._data if running_var is not None else None
    opts = dict(running_mean=rm, running_var=rv, training=training, momentum=momentum, eps=eps)
    if weight is None and bias is not None:
        # keep the positional layout (x, w, b) simple: a missing weight is a constant one
        xp = get_array_module(bias._data)
        weight = _tensor.Tensor._make(xp.ones_like(bias._data))
        tensors = [tensors[0], weight, bias]
    return BatchNorm.apply(*tensors, **opts)
