"""Graph nodes: `Function` (an op's forward/backward pair) and `AccumulateGrad` (a leaf's sink).

An op subclasses Function, computes on raw arrays in `forward`, and returns one gradient per
input from `backward`. `apply` wraps it: it runs forward, and when grad mode is on and any input
requires grad, it links the node into the graph (`next_functions`) and records the version of
every saved input so that backward can tell if one was modified in place.
"""

from __future__ import annotations

import operator
import re
import weakref

from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.errors import AutogradError, ShapeError

_state = grad_mode._state
_new = object.__new__
_GRAD1, _NO_GRAD1, _NO_GRAD2, _NO_GRAD3 = (True,), (False,), (False, False), (False,) * 3
_NO_EDGE = (None, 0)
_data_of, _requires_grad_of = operator.attrgetter("_data"), operator.attrgetter("_requires_grad")

_SHAPE_WORDS = re.compile(r"shape|broadcast|dimension|size|axis", re.IGNORECASE)
_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward(). Specify retain_graph=True if you need to backward through "
    "the graph a second time or if you need to access saved tensors after calling backward."
)


class Function:
    """Base of every differentiable op. Subclasses define `forward` and `backward` on arrays."""

    is_view = False  # the output shares storage (and the version counter) with input 0
    _saved = ()
    _version_checks = None
    _hooks = None  # hooks registered on the (non-leaf) output tensor
    _retain = None  # weakref to the output tensor when it called retain_grad()
    next_functions = ()
    needs_input_grad = ()

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def op(self) -> str:
        """The op's name in error messages (`mm`, `conv2d`)."""
        return type(self).__name__.lower()

    def save_for_backward(self, *arrays):
        """Keep what backward needs (arrays or None). Freed after backward unless retained."""
        self._saved = arrays

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise AutogradError(_FREED)
        if self._version_checks:
            for counter, version, i in self._version_checks:
                if counter[0] != version:
                    a = self._saved[i]
                    raise AutogradError(
                        "one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: [{a.dtype} {tuple(a.shape)}] is at "
                        f"version {counter[0]}; expected version {version} instead (saved by "
                        f"{self.name()}). Hint: clone() the tensor before modifying it in "
                        "place, or do the operation out of place."
                    )
        return self._saved

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors `inputs`; `params` are non-differentiable options."""
        # The fixed cost of every op is paid here, so ops of one to three inputs (nearly all
        # calls) take unrolled paths: a comprehension is a function call of its own in 3.11.
        fn = _new(cls)
        n = len(inputs)
        if n == 2:
            a, b = inputs
            ra, rb = a._requires_grad, b._requires_grad
            record = (ra or rb) and _state.enabled
            fn.needs_input_grad = (ra, rb) if record else _NO_GRAD2
            arrays = (a._data, b._data)
        elif n == 1:
            a = inputs[0]
            record = a._requires_grad and _state.enabled
            fn.needs_input_grad = _GRAD1 if record else _NO_GRAD1
            arrays = (a._data,)
        elif n == 3:  # linear with a bias, where, addcmul...
            a, b, c = inputs
            needs = (a._requires_grad, b._requires_grad, c._requires_grad)
            record = (needs[0] or needs[1] or needs[2]) and _state.enabled
            fn.needs_input_grad = needs if record else _NO_GRAD3
            arrays = (a._data, b._data, c._data)
        else:
            needs = tuple(map(_requires_grad_of, inputs))
            record = _state.enabled and True in needs
            fn.needs_input_grad = needs if record else (False,) * n
            arrays = tuple(map(_data_of, inputs))
        try:
            out = fn.forward(*arrays, **params) if params else fn.forward(*arrays)
        except ValueError as e:
            if isinstance(e, ShapeError):
                raise
            # numpy's own messages lack the op's name and the inputs; add them
            kind = ShapeError if _SHAPE_WORDS.search(str(e)) else ValueError
            raise kind(f"{fn.op}: {e} (inputs: {_describe(inputs)})") from None
        if not record:
            if _state.inference:
                return grad_mode.mark_inference(_tensor.wrap(out, False, None))
            return _tensor.wrap(out, False, None)
        if n == 2:
            fn.next_functions = (edge_of(a), edge_of(b))
        elif n == 1:
            fn.next_functions = (edge_of(a),)
        elif n == 3:
            fn.next_functions = (edge_of(a), edge_of(b), edge_of(c))
        else:
            fn.next_functions = tuple(map(edge_of, inputs))
        result = _tensor.wrap(out, True, fn)
        if fn.is_view:
            result._vc = inputs[0]._vc
        if fn._saved:
            fn._record_versions(inputs, result)
        return result

    def _record_versions(self, inputs, result):
        # Only saved inputs/outputs can be changed in place by the user; private buffers cannot.
        checks = []
        out = result._data
        i = -1
        for a in self._saved:
            i += 1
            if a is None:
                continue
            if a is out:
                vc = result._vc
                checks.append((vc, vc[0], i))
                continue
            for t in inputs:
                if a is t._data:
                    if grad_mode.inference_used and grad_mode.is_inference(t):
                        raise AutogradError(
                            f"{self.op}: inference tensors cannot be saved for backward; make "
                            "a normal tensor of it with clone() outside inference_mode first"
                        )
                    vc = t._vc
                    checks.append((vc, vc[0], i))
                    break
        self._version_checks = checks

    def register_hook(self, hook):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)


def edge_of(t):
    """(node, 0) that tensor `t` feeds in a graph: its grad_fn, its AccumulateGrad, or None."""
    node = t.grad_fn
    if node is not None:
        return (node, 0)
    if not t._requires_grad:
        return _NO_EDGE
    acc = t._acc() if t._acc is not None else None
    if acc is None:
        # held weakly (the graph holds it): a leaf must not keep itself alive through a cycle
        acc = _new(AccumulateGrad)
        acc.variable = t
        t._acc = weakref.ref(acc)
    return (acc, 0)


class AccumulateGrad:
    """The node a leaf tensor that requires grad contributes to `next_functions`."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class RemovableHandle:
    """Returned by `register_hook`; `handle.remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _describe(inputs) -> str:
    return ", ".join(f"{t._data.dtype}{tuple(t._data.shape)}" for t in inputs)


def __getattr__(name):
    # PyTorch's `torch.autograd.function` module also holds the user-facing helpers; here they
    # live in custom_function.py (this module's `Function` is the internal op base)
    if name in ("once_differentiable", "FunctionCtx"):
        from gradcli.autograd import custom_function

        return getattr(custom_function, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
