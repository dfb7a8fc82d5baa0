"""gradcli: a define-by-run autograd engine with PyTorch's semantics, on numpy or CuPy.

>>> import gradcli as torch
>>> x = torch.ones(2, 2, requires_grad=True)
>>> (x * 3).sum().backward()
>>> x.grad
tensor([[3., 3.],
        [3., 3.]])
"""

import builtins as _builtins

import numpy as _np

from gradcli import accelerator, backends, cuda, linalg, nn, optim, utils
from gradcli.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from gradcli.autograd.tensor import Size, Tensor
from gradcli.autograd.tensor_types import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    set_default_tensor_type,
)
from gradcli.backend import device, get_default_device, set_default_device
from gradcli.backends.cuda import get_float32_matmul_precision, set_float32_matmul_precision
from gradcli.dtypes import (
    bool_ as bool,
)
from gradcli.dtypes import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from gradcli.factories import (
    arange,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from gradcli.functions import (
    abs,
    add,
    all,
    any,
    argmax,
    argmin,
    cat,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    div,
    divide,
    eq,
    exp,
    ge,
    greater,
    greater_equal,
    gt,
    le,
    less,
    less_equal,
    log,
    log_softmax,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multiply,
    ne,
    neg,
    negative,
    not_equal,
    pow,
    sigmoid,
    sin,
    softmax,
    sqrt,
    stack,
    std,
    sub,
    subtract,
    sum,
    t,
    tanh,
    true_divide,
    var,
)
from gradcli.ops import (
    argsort,
    chunk,
    clone,
    copysign,
    cumprod,
    cumsum,
    einsum,
    flatten,
    floor_divide,
    fmod,
    isclose,
    masked_fill,
    multinomial,
    norm,
    permute,
    relu,
    remainder,
    reshape,
    sort,
    split,
    squeeze,
    topk,
    transpose,
    tril,
    triu,
    unbind,
    unsqueeze,
    where,
)
from gradcli.ops.composite import (
    amax,
    amin,
    bmm,
    broadcast_tensors,
    clamp_max,
    clamp_min,
    dot,
    flip,
    index_select,
    lerp,
    logsumexp,
    masked_select,
    meshgrid,
    narrow,
    nonzero,
    outer,
    prod,
    trace,
)
from gradcli.ops.unary import (
    atan2,
    ceil,
    erf,
    expm1,
    floor,
    isfinite,
    isinf,
    isnan,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    reciprocal,
    round,
    rsqrt,
    sign,
    square,
    trunc,
)
from gradcli.serialization import load, save
from gradcli.threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32


def is_tensor(obj) -> _builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> _builtins.bool:
    return input.is_floating_point()


def numel(input: Tensor) -> _builtins.int:
    return input.numel()


def allclose(a: Tensor, b: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False) -> _builtins.bool:
    a, b = a.detach().cpu().numpy(), b.detach().cpu().numpy()
    return _builtins.bool(_np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a: Tensor, b: Tensor) -> _builtins.bool:
    return a.shape == b.shape and _builtins.bool((a == b).all())
