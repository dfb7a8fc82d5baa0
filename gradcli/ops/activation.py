"""Activations whose derivative is cheapest in terms of the output, which is what they save."""

from __future__ import annotations

from gradcli.autograd.function import Function
from gradcli.backend import get_array_module
from gradcli.ops._util import norm_dim, to_float


class Relu(Function):
    def forward(self, x):
        out = get_array_module(x).maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        # the gradient at exactly 0 is 0, as in PyTorch (out > 0, not out >= 0)
        return g * (out > 0)


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


class Tanh(Function):
    def forward(self, x):
        out = get_array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (1 - out * out)


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


def log_softmax_array(x, dim):
    """x - logsumexp(x): the shift by the max keeps exp from overflowing (logits of 1e4)."""
    xp = get_array_module(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    return shifted


def relu(x):
    return Relu.apply(x)


def sigmoid(x):
    return Sigmoid.apply(to_float(x))


def tanh(x):
    return Tanh.apply(to_float(x))


def softmax(x, dim):
    return Softmax.apply(to_float(x), dim=norm_dim("softmax", dim, x._data.ndim))


def log_softmax(x, dim):
    return LogSoftmax.apply(to_float(x), dim=norm_dim("log_softmax", dim, x._data.ndim))
