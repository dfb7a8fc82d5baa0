"""Every differentiable operation, grouped by family; each module pairs forward and backward.

Exported here: the ops behind `gradcli.*` and Tensor's methods. The layer and loss ops that only
`gradcli.nn.functional` exposes (conv2d, batch_norm, cross_entropy, ...) stay in their modules.
"""

from gradcli.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from gradcli.ops.arithmetic import (
    abs,
    add,
    clamp,
    cos,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    where,
)
from gradcli.ops.cumulative import cumprod, cumsum
from gradcli.ops.division import floor_divide, fmod, remainder
from gradcli.ops.einsum import einsum
from gradcli.ops.elementwise import copysign, isclose
from gradcli.ops.indexing import index, masked_fill
from gradcli.ops.linalg import matmul, mm
from gradcli.ops.norms import linalg_norm, matrix_norm, norm, vector_norm
from gradcli.ops.reduce import argmax, argmin, max, mean, min, std, sum, var
from gradcli.ops.sampling import multinomial
from gradcli.ops.shape import (
    cat,
    clone,
    expand,
    flatten,
    permute,
    repeat,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view_dtype,
)
from gradcli.ops.slicing import chunk, split, tril, triu, unbind
from gradcli.ops.sorting import argsort, sort, topk

__all__ = [
    "abs", "add", "argmax", "argmin", "cat", "clamp", "clone", "cos", "div", "exp", "expand",
    "flatten", "index", "log", "log_softmax", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mm", "mul", "neg", "permute", "pow", "relu", "reshape", "sigmoid", "sin",
    "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh", "transpose",
    "unsqueeze", "var", "where",
    "argsort", "chunk", "copysign", "cumprod", "cumsum", "einsum", "floor_divide", "fmod",
    "isclose", "linalg_norm", "masked_fill", "matrix_norm", "multinomial", "norm", "remainder",
    "repeat", "sort", "split", "topk", "tril", "triu", "unbind", "vector_norm", "view_dtype",
]  # fmt: skip
