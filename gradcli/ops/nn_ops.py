"""Neural-network ops: linear, dropout, batch norm, leaky_relu, elu, gelu, one_hot."""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as _cheb

from gradcli.autograd import tensor as _tensor
from gradcli.autograd.function import Function
from gradcli.backend import device_of, get_array_module, to_device
from gradcli.errors import DeviceError, ShapeError


class Linear(Function):
    """`x @ W.T + b` with one matmul; any leading dims of x are folded into the batch."""

    def name(self):
        return "AddmmBackward0" if self.has_bias else "MmBackward0"

    def forward(self, x, w, b=None):
        self.has_bias = b is not None
        self.x_shape = x.shape
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        nx, nw = self.needs_input_grad[0], self.needs_input_grad[1]
        self.save_for_backward(x2 if nw else None, w if nx else None)
        out = x2 @ w.T
        if b is not None:
            out += b  # in place: the matmul result is a fresh array
        return out.reshape(*x.shape[:-1], w.shape[0]) if x.ndim != 2 else out

    def backward(self, g):
        x2, w = self.saved_tensors
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = (g2 @ w).reshape(self.x_shape) if w is not None else None
        gw = g2.T @ x2 if x2 is not None else None
        if not self.has_bias:
            return gx, gw
        gb = g2.sum(axis=0) if self.needs_input_grad[2] else None
        return gx, gw, gb


def check_same_kind(op, tensors):
    """Parameters must match the input's device and dtype (no silent float64 gradients)."""
    first = tensors[0]._data
    for t in tensors[1:]:
        if t is None:
            continue
        a = t._data
        if device_of(a) != device_of(first):
            raise DeviceError(
                f"{op}: input is on {device_of(first)} but a parameter is on {device_of(a)}; "
                "move the model and the data to the same device with .to(device)"
            )
        if a.dtype != first.dtype:
            raise ShapeError(
                f"{op}: input dtype {first.dtype} and parameter dtype {a.dtype} differ; "
                "convert one with .to(dtype) (e.g. model.double() or x.float())"
            )


def linear(x, weight, bias=None):
    """`x @ weight.T + bias`: x (..., in), weight (out, in), bias (out,)."""
    if weight._data.ndim != 2 or x._data.ndim == 0:
        raise ShapeError(
            f"linear: expected an input with at least 1 dim and a 2-D weight, got input shape "
            f"{tuple(x.shape)} and weight shape {tuple(weight.shape)}"
        )
    if x._data.shape[-1] != weight._data.shape[1]:
        raise ShapeError(
            f"linear: input has {x._data.shape[-1]} features but weight expects "
            f"{weight._data.shape[1]} (input shape {tuple(x.shape)}, weight shape "
            f"{tuple(weight.shape)})"
        )
    check_same_kind("linear", (x, weight, bias))
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)


# ---- dropout ---------------------------------------------------------------------------------


class Dropout(Function):
    def name(self):
        return "NativeDropoutBackward0"

    def forward(self, x, mask):
        self.save_for_backward(mask)
        return x * mask

    def backward(self, g):
        (mask,) = self.saved_tensors
        return g * mask


def dropout(x, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""
    from gradcli.factories import default_generator

    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    a = x._data
    # drawn with numpy's generator so that manual_seed makes masks reproducible on any device
    keep = default_generator().random(a.shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = to_device(keep, device_of(a)).astype(a.dtype) * scale
    if inplace:
        return x._inplace(lambda t: Dropout.apply(t, mask=mask))
    return Dropout.apply(x, mask=mask)


# ---- batch norm ------------------------------------------------------------------------------


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


# ---- activations -----------------------------------------------------------------------------


class LeakyRelu(Function):
    def forward(self, x, slope):
        self.slope = slope
        positive = x > 0
        self.save_for_backward(positive)  # a boolean mask is all backward needs
        return get_array_module(x).where(positive, x, x * slope)

    def backward(self, g):
        (positive,) = self.saved_tensors
        return get_array_module(g).where(positive, g, g * self.slope)


class Elu(Function):
    def forward(self, x, alpha):
        xp = get_array_module(x)
        self.alpha = alpha
        self.save_for_backward(x)
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, g):
        (x,) = self.saved_tensors
        xp = get_array_module(g)
        return xp.where(x > 0, g, g * (self.alpha * xp.exp(xp.minimum(x, 0))))


class Gelu(Function):
    def forward(self, x, approximate):
        xp = get_array_module(x)
        self.approximate = approximate
        self.save_for_backward(x)
        if approximate == "tanh":
            inner = _K_TANH * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + xp.tanh(inner))
        return 0.5 * x * (1 + erf(x * _SQRT1_2))

    def backward(self, g):
        (x,) = self.saved_tensors
        xp = get_array_module(g)
        if self.approximate == "tanh":
            x2 = x * x
            t = xp.tanh(_K_TANH * (x + 0.044715 * x2 * x))
            dinner = _K_TANH * (1 + 3 * 0.044715 * x2)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        cdf = 0.5 * (1 + erf(x * _SQRT1_2))
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g * (cdf + x * pdf)


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_K_TANH = math.sqrt(2 / math.pi)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    if inplace:
        return x._inplace(leaky_relu, negative_slope=negative_slope)
    return LeakyRelu.apply(x, slope=float(negative_slope))


def elu(x, alpha=1.0, inplace=False):
    if inplace:
        return x._inplace(elu, alpha=alpha)
    return Elu.apply(x, alpha=float(alpha))


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(x, approximate=approximate)


# ---- erf -------------------------------------------------------------------------------------
# NumPy has no erf (and SciPy is not a dependency), so erf is two Chebyshev series fitted once,
# at import, to math.erf: erf(x)/x as a series in x^2 on [0, 2], and erfc(x) e^(x^2) x as a
# series in 4/x^2 on [2, 6] (beyond 6, erf is 1 in double precision). Both are accurate to a
# few ulps in float64, so float64 finite-difference checks of GELU see the exact derivative.

_ERF_SPLIT, _ERF_END, _ERF_DEG = 2.0, 6.0, 16
_ERF_LO = (_ERF_SPLIT / _ERF_END) ** 2


def _fit_erf():
    n = 200
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = np.sqrt((t + 1) * _ERF_SPLIT**2 / 2)
    y = [math.erf(v) / v for v in x]
    small = _cheb.chebfit(t, y, _ERF_DEG)
    s = _ERF_LO + (t + 1) * (1 - _ERF_LO) / 2
    x = _ERF_SPLIT / np.sqrt(s)
    y = [math.erfc(v) * math.exp(v * v) * v for v in x]
    big = _cheb.chebfit(t, y, _ERF_DEG)
    return small.tolist(), big.tolist()


_ERF_SMALL, _ERF_BIG = _fit_erf()


def _trim(coeffs, dtype):
    # float32 needs far fewer terms: drop those below its resolution
    tol = float(np.finfo(dtype).eps) * 1e-2
    n = len(coeffs)
    while n > 1 and abs(coeffs[n - 1]) < tol:
        n -= 1
    return coeffs[:n]


def _clenshaw(t, coeffs):
    """sum_k c_k T_k(t), with three rotating buffers instead of temporaries per term."""
    xp = get_array_module(t)
    two_t = t + t
    b0, b1, b2 = xp.empty_like(t), xp.zeros_like(t), xp.zeros_like(t)
    for c in reversed(coeffs[1:]):
        xp.multiply(two_t, b1, out=b0)
        b0 -= b2
        b0 += c
        b0, b1, b2 = b2, b0, b1
    xp.multiply(t, b1, out=b0)
    b0 -= b2
    b0 += coeffs[0]
    return b0


def erf(x):
    """The error function of a float array (numpy or cupy), to a few ulps."""
    xp = get_array_module(x)
    a = xp.abs(x)
    small = xp.minimum(a, _ERF_SPLIT)
    u = small * small
    u *= 2 / _ERF_SPLIT**2
    u -= 1
    y = _clenshaw(u, _trim(_ERF_SMALL, x.dtype))
    y *= small
    far = a > _ERF_SPLIT
    if far.any():  # usually few elements: evaluate the tail series on those only
        big = xp.minimum(a[far], _ERF_END)
        v = (_ERF_SPLIT * _ERF_SPLIT) / (big * big)
        v -= _ERF_LO
        v *= 2 / (1 - _ERF_LO)
        v -= 1
        y[far] = 1 - _clenshaw(v, _trim(_ERF_BIG, x.dtype)) * xp.exp(-big * big) / big
    return xp.copysign(y, x).astype(x.dtype, copy=False)


# ---- one_hot ---------------------------------------------------------------------------------


def one_hot(x, num_classes=-1):
    """Class indices (any shape) to an int64 one-hot tensor with a trailing class dim."""
    a = x._data
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: expected an integer (int64) tensor of class indices, got {x.dtype}; "
            "convert with .long()"
        )
    xp = get_array_module(a)
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: cannot infer num_classes of an empty tensor")
        num_classes = int(a.max()) + 1
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"one_hot: class value {bad} is out of range for num_classes={num_classes} "
                f"(expected 0..{num_classes - 1})"
            )
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _tensor.Tensor._make(out)
