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
import weakref

import numpy as np

from gradcli.autograd import function as _function
from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.backend import get_array_module
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
        if cls._backward_cls is None:
            raise AutogradError(
                "autograd.Function.apply: call it on a subclass, e.g. MyFn.apply(x)"
            )
        return _apply(cls, args, kwargs)


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


class _OutputSlot(_function.Function):
    """grad_fn of output k of a Function with several differentiable outputs. The engine moves
    one gradient per edge; this node hands its gradient to slot k of the shared node, which
    runs once with all of them."""

    def __init__(self, node, k):
        self.next_functions = ((node, 0),)
        self._k = k

    def name(self) -> str:
        return self.next_functions[0][0].name()

    def backward(self, g):
        self.next_functions[0][0]._put(self._k, g)
        return _ARRIVED

    backward_tensors = backward


class _Arrived:
    """What an _OutputSlot passes on: the shared node's real gradients are in its slots."""

    def __add__(self, other):
        return self


_ARRIVED = _Arrived()


def _apply(fn, args, kwargs):
    Tensor = _tensor.Tensor
    ctx = fn._backward_cls()
    needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
    record = grad_mode._state.enabled and True in needs
    ctx.needs_input_grad = needs if record else (False,) * len(args)
    with grad_mode.no_grad():
        if fn.setup_context is Function.setup_context:
            out = fn.forward(ctx, *args, **kwargs)
        else:
            out = fn.forward(*args, **kwargs)
            fn.setup_context(ctx, args, out)
    if not record:
        return out
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    diff = [
        k
        for k, o in enumerate(outs)
        if isinstance(o, Tensor) and id(o) not in ctx._non_diff and o._data.dtype.kind == "f"
    ]
    ctx.next_functions = tuple([a._edge() for a in args if isinstance(a, Tensor)])
    ctx._arg_meta = [
        (tuple(a._data.shape), a._data.dtype) if isinstance(a, Tensor) else None for a in args
    ]
    ctx._out_meta = [
        (o._data.shape, o._data.dtype, get_array_module(o._data)) if isinstance(o, Tensor) else None
        for o in outs
    ]
    if len(diff) == 1:
        ctx._slot = diff[0]
    results, grad_fns = list(outs), {}
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        if id(o) in input_ids or o.grad_fn is not None or o._requires_grad:
            r = Tensor._make(o._data)  # an input returned as-is comes back as a view of it
            r._vc = o._vc
        else:
            r = o
        if k in diff:
            gf = ctx if ctx._slot is not None else _OutputSlot(ctx, k)
            r.grad_fn, r._requires_grad = gf, True
            grad_fns[k] = gf
        results[k] = r
    _store_saved(ctx, input_ids, outs, results, grad_fns)
    return results[0] if single else tuple(results)


def _store_saved(ctx, input_ids, outs, results, grad_fns):
    """Saved inputs are kept as they are; a saved output is kept as its array and rebuilt on
    unpack with its grad_fn (a strong reference would make node -> output -> node a cycle)."""
    if not ctx._to_save:
        return
    out_index = {id(o): k for k, o in enumerate(outs) if o is not None}
    entries = []
    for t in ctx._to_save:
        if t is None:
            entries.append(None)
        elif id(t) in input_ids or id(t) not in out_index:
            entries.append((t, t._vc, t._vc[0], None))
        else:
            k = out_index[id(t)]
            r = results[k]
            gf = grad_fns.get(k)
            if gf is None:  # a non-differentiable output: a plain tensor, no node to point at
                entries.append((r, r._vc, r._vc[0], None))
            else:
                ref = True if gf is ctx else weakref.ref(gf)  # True: ctx itself, without a cycle
                entries.append((r._data, r._vc, r._vc[0], ref))
    ctx._saved, ctx._had_saved, ctx._to_save = tuple(entries), True, ()


def once_differentiable(backward):
    """Decorator for a backward that cannot itself be differentiated: it runs under no_grad."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return backward(ctx, *grads)

    return wrapper
