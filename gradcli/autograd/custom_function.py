"""User-defined differentiable functions, written as PyTorch users write them.

>>> class Cube(gradcli.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x**3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x**2
>>> y = Cube.apply(x)

Every subclass F gets a graph-node class `FBackward`, a subclass of the internal op base
(`function.Function`, which computes on raw arrays). `F.apply` makes one, passes it to `forward`
as `ctx`, and it becomes the outputs' grad_fn. Unlike the built-in ops, the user's forward and
backward work on Tensors, so under `create_graph=True` their backward is recorded as it runs.
"""

from __future__ import annotations

import functools

import numpy as np

from gradcli.autograd import function as _function
from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.autograd.custom_apply import apply_function
from gradcli.errors import AutogradError, ShapeError
from gradcli.ops._util import sum_to


class Function:
    """Base class of user functions: static `forward(ctx, *args)` and `backward(ctx, *grads)`,
    called through `F.apply(*args)`. `forward` runs without recording a graph."""

    _backward_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(
            f"{cls.__name__}Backward",
            (BackwardCFunction,),
            {"_fn": cls, "__module__": cls.__module__},
        )

    def __call__(self, *args, **kwargs):
        name = type(self).__name__
        raise AutogradError(
            f"{name}: calling an instance (legacy autograd function) is not supported; make "
            f"forward and backward @staticmethods and call {name}.apply(...)"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a custom autograd.Function must implement forward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to split saving from computing: forward then takes no ctx (PyTorch 2)."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "a custom autograd.Function must implement backward to be differentiated"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, when a graph is being recorded, link an `FBackward` node."""
        if cls._backward_cls is None:
            raise AutogradError(
                "autograd.Function.apply: call it on a subclass, e.g. MyFn.apply(x)"
            )
        own_context = cls.setup_context is not Function.setup_context
        return apply_function(cls, args, kwargs, own_context)


class BackwardCFunction(_function.Function):
    """The node of one `F.apply` call, which is also the `ctx` given to forward and backward:
    attributes set on ctx are kept for backward."""

    _fn = None  # the user's Function subclass
    _materialize = True
    _non_diff = ()
    _to_save = ()
    _had_saved = False
    _slot = None  # index of the one differentiable output, or None when each has an _OutputSlot
    _slots = None

    def name(self) -> str:
        return type(self).__name__

    @property
    def op(self) -> str:
        return self.name()

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError(
                    f"save_for_backward can only save Tensors or None, but argument {i} is a "
                    f"{type(t).__name__}; keep other values as attributes of ctx instead"
                )
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = self._non_diff + tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        raise AutogradError(
            "gradcli does not support ctx.mark_dirty (custom Functions that modify their "
            "inputs in place) yet; return a new tensor from forward instead"
        )

    def set_materialize_grads(self, value: bool):
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self._materialize = bool(value)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if self._had_saved:
                raise AutogradError(_function._FREED)
            return ()
        return tuple(self._unpack(i, s) for i, s in enumerate(saved))

    saved_variables = saved_tensors

    def _unpack(self, i, entry):
        if entry is None:
            return None
        t, counter, version, grad_fn = entry
        if counter[0] != version:
            raise AutogradError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: saved tensor {i} of {self.name()} is at version "
                f"{counter[0]}; expected version {version} instead. Hint: clone() it before "
                "modifying it in place, or do the operation out of place."
            )
        if grad_fn is None:
            return t
        # a saved output: rebuilt on each unpack (the node does not keep its own output alive)
        fn = self if grad_fn is True else grad_fn()
        out = _tensor.Tensor._make(t, fn is not None, fn)
        out._vc = counter
        return out

    def _put(self, k, g):
        if self._slots is None:
            self._slots = [None] * len(self._out_meta)
        self._slots[k] = g

    def backward(self, g):
        return self._call_backward(g, False)

    def backward_tensors(self, g):
        return self._call_backward(g, True)

    def _call_backward(self, g, tensors):
        Tensor = _tensor.Tensor
        if self._slot is not None:
            grads = [None] * len(self._out_meta)
            grads[self._slot] = g
        else:
            grads, self._slots = self._slots or [None] * len(self._out_meta), None
        for k, meta in enumerate(self._out_meta):
            if grads[k] is not None:
                grads[k] = grads[k] if tensors else Tensor._make(grads[k])
            elif meta is not None and self._materialize:
                shape, dtype, xp = meta
                grads[k] = Tensor._make(xp.zeros(shape, dtype=dtype))
        if tensors:
            result = self._fn.backward(self, *grads)
        else:
            with grad_mode.no_grad():
                result = self._fn.backward(self, *grads)
        return self._check_grads(result, tensors)

    def _check_grads(self, result, tensors):
        result = result if isinstance(result, tuple) else (result,)
        n = len(self._arg_meta)
        if len(result) < n or any(r is not None for r in result[n:]):
            raise AutogradError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{n}, got {len(result)}): return one per forward input, None for non-Tensors"
            )
        out = []
        for i, meta in enumerate(self._arg_meta):
            r = result[i]
            if meta is None:
                if r is not None:
                    raise AutogradError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a Tensor"
                    )
                continue
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, _tensor.Tensor):
                raise TypeError(
                    f"function {self.name()} returned a {type(r).__name__} as gradient {i}; "
                    "expected a Tensor or None"
                )
            out.append(_fit(self, i, r, meta, tensors))
        return tuple(out)


def _fit(node, i, r, meta, tensors):
    """The returned gradient in its input's shape (a broadcast one summed back) and dtype."""
    shape, dtype = meta
    if tuple(r.shape) != shape:
        try:
            ok = np.broadcast_shapes(shape, tuple(r.shape)) == r.shape
        except ValueError:
            ok = False
        if not ok:
            raise ShapeError(
                f"function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(r.shape)} but expected shape compatible with {list(shape)}"
            )
        if tensors:
            from gradcli.autograd.double_backward import sum_to_tensor

            r = sum_to_tensor(r, shape)
        else:
            r = _tensor.Tensor._make(sum_to(r._data, shape))
    if r._data.dtype != dtype:
        r = r.to(dtype)
    return r if tensors else r._data


FunctionCtx = BackwardCFunction  # PyTorch's name for the type of ctx


def once_differentiable(backward):
    """Decorator for a backward that cannot itself be differentiated: it runs under no_grad."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)

    return wrapper
