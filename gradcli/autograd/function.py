"""Graph nodes: `Function` (an op's forward/backward pair) and `AccumulateGrad` (a leaf's sink).

An op subclasses Function, computes on raw arrays in `forward`, and returns one gradient per
input from `backward`. `apply` wraps it: it runs forward, and when grad mode is on and any input
requires grad, it links the node into the graph (`next_functions`) and records the version of
every saved input so that backward can tell if one was modified in place.
"""

from __future__ import annotations

import re

from gradcli.autograd import grad_mode
from gradcli.autograd import tensor as _tensor
from gradcli.errors import AutogradError, ShapeError

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
        fn = cls.__new__(cls)
        needs = tuple([t._requires_grad for t in inputs])
        record = grad_mode._state.enabled and True in needs
        fn.needs_input_grad = needs if record else (False,) * len(needs)
        try:
            out = fn.forward(*[t._data for t in inputs], **params)
        except ValueError as e:
            if isinstance(e, ShapeError):
                raise
            # numpy's own messages lack the op's name and the inputs; add them
            kind = ShapeError if _SHAPE_WORDS.search(str(e)) else ValueError
            raise kind(f"{fn.op}: {e} (inputs: {_describe(inputs)})") from None
        make = _tensor.Tensor._make
        if not record:
            if grad_mode._state.inference:
                return grad_mode.mark_inference(make(out))
            return make(out)
        fn.next_functions = tuple([t._edge() for t in inputs])
        result = make(out, True, fn)
        if fn.is_view:
            result._vc = inputs[0]._vc
        if fn._saved:
            fn._record_versions(inputs, result)
        return result

    def _record_versions(self, inputs, result):
        # Only saved inputs/outputs can be changed in place by the user; private buffers cannot.
        checks = []
        for i, a in enumerate(self._saved):
            if a is None:
                continue
            if a is result._data:
                checks.append((result._vc, result._vc[0], i))
                continue
            for t in inputs:
                if a is t._data:
                    if grad_mode.inference_used and grad_mode.is_inference(t):
                        raise AutogradError(
                            f"{self.op}: inference tensors cannot be saved for backward; make "
                            "a normal tensor of it with clone() outside inference_mode first"
                        )
                    checks.append((t._vc, t._vc[0], i))
                    break
        self._version_checks = checks

    def register_hook(self, hook):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)


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
