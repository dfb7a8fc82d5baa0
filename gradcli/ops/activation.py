"""Activations. Most save their output, from which their derivative is cheapest."""

from __future__ import annotations

import math

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._util import norm_dim, to_float
from gradcli.ops.special import erf


class Relu(Function):
    def forward(self, x):
        out = get_array_module(x).maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        # out >= 0, so sign(out) is the 0/1 mask in one pass (1.5x faster than g * (out > 0),
        # which builds a bool array first); the gradient at exactly 0 is 0, as in PyTorch
        return g * get_array_module(out).sign(out)


def relu(x):
    return Relu.apply(x)


class Sigmoid(Function):
    def forward(self, x):
        xp = get_array_module(x)
        # exp(-|x|) never overflows, and e / (1 + e) keeps full relative precision for x << 0
        # (the tanh form rounds sigmoid(-20) to 0 in float32, sigmoid(-40) in float64)
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1, e) / (1 + e)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * out * (1 - out)


def sigmoid(x):
    return Sigmoid.apply(to_float(x))


class Tanh(Function):
    def forward(self, x):
        out = get_array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (1 - out * out)


def tanh(x):
    return Tanh.apply(to_float(x))


class Softmax(Function):
    def forward(self, x, dim):
        xp = get_array_module(x)
        self.dim = dim
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.save_for_backward(e)
        return e

    def backward(self, g):
        (out,) = self.saved_tensors
        gy = g * out
        return gy - out * gy.sum(axis=self.dim, keepdims=True)


def softmax(x, dim):
    return Softmax.apply(to_float(x), dim=norm_dim("softmax", dim, x._data.ndim))


def log_softmax_array(x, dim):
    """x - logsumexp(x): the shift by the max keeps exp from overflowing (logits of 1e4)."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    return shifted


class LogSoftmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        out = log_softmax_array(x, dim)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        xp = get_array_module(g)
        return g - xp.exp(out) * g.sum(axis=self.dim, keepdims=True)


def log_softmax(x, dim):
    return LogSoftmax.apply(to_float(x), dim=norm_dim("log_softmax", dim, x._data.ndim))


class LeakyRelu(Function):
    def forward(self, x, slope):
        self.slope = slope
        positive = x > 0
        self.save_for_backward(positive)  # a boolean mask is all backward needs
        return get_array_module(x).where(positive, x, x * slope)

    def backward(self, g):
        (positive,) = self.saved_tensors
        return get_array_module(g).where(positive, g, g * self.slope)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    if inplace:
        return x._inplace(leaky_relu, negative_slope=negative_slope)
    return LeakyRelu.apply(x, slope=float(negative_slope))


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


def elu(x, alpha=1.0, inplace=False):
    if inplace:
        return x._inplace(elu, alpha=alpha)
    return Elu.apply(x, alpha=float(alpha))


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_K_TANH = math.sqrt(2 / math.pi)


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


def gelu(x, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(x, approximate=approximate)
