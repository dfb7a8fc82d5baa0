"""The Tensor: an array plus what autograd needs (requires_grad, grad, grad_fn, a version)."""

from __future__ import annotations

import weakref

import numpy as np

from gradcli.autograd import grad_mode
from gradcli.autograd.engine import run_backward
from gradcli.autograd.function import RemovableHandle, edge_of
from gradcli.autograd.printing import format_tensor
from gradcli.autograd.tensor_convert import TensorConvert, _from_data  # noqa: F401 (nn.Parameter)
from gradcli.autograd.tensor_math import TensorMath
from gradcli.autograd.tensor_random import TensorRandom
from gradcli.autograd.tensor_types import legacy_new
from gradcli.backend import as_array, get_array_module, get_default_device
from gradcli.backend import device as _device
from gradcli.errors import AutogradError, ShapeError
from gradcli.ops.indexing import SetItem, convert_key


class Size(tuple):
    """A shape, printed like PyTorch's: `gradcli.Size([2, 3])`."""

    def __repr__(self):
        return f"gradcli.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor(TensorMath, TensorConvert, TensorRandom):
    """An array and its autograd state. Operators and math methods come from TensorMath (one op
    call each), dtype, device and conversions from TensorConvert, in-place random fills
    (`uniform_`, `normal_`) from TensorRandom."""

    __slots__ = (
        "_data", "_requires_grad", "grad", "grad_fn", "_vc", "_acc", "_hooks", "_retains_grad",
        "__weakref__",
    )  # fmt: skip
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float32(2) * t works

    def __init__(self, *args, device=None):
        """PyTorch's legacy constructor: `Tensor(2, 3)` is uninitialised float32 of shape (2, 3),
        `Tensor([1, 2])` float32 data, `Tensor(t)` shares t's storage (see tensor_types.py)."""
        dev = get_default_device() if device is None else _device(device)
        t = legacy_new("Tensor", None, args, dev)
        self._init(t._data, t._requires_grad, t.grad_fn)
        self._vc = t._vc

    def _init(self, array, requires_grad, grad_fn):
        self._data = array
        self._requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self._vc = [0]  # version counter, shared with views
        self._acc = None  # weakref to this leaf's AccumulateGrad node
        self._hooks = None
        self._retains_grad = False

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None) -> Tensor:
        """Wrap an array without copying or checking (the engine's fast path)."""
        return wrap(array, requires_grad, grad_fn, cls)

    # ---- autograd attributes -----------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if self.grad_fn is not None and not flag:
            raise AutogradError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if flag and self._data.dtype.kind != "f":
            raise AutogradError(
                f"only Tensors of floating point dtype can require gradients (got "
                f"{self.dtype}); convert first with .float()"
            )
        self._requires_grad = flag

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self) -> Tensor:
        """The same storage, detached and untracked (in-place changes bypass version checks)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else as_array(value)

    @property
    def _version(self) -> int:
        return self._vc[0]

    _edge = edge_of  # (node, 0) this tensor feeds in a graph (see function.py)

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True
            self.grad_fn._retain = weakref.ref(self)

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`."""
        if create_graph or inputs is not None:  # the general path (autograd/grad_api.py)
            from gradcli.autograd.grad_api import backward

            return backward(self, gradient, retain_graph, create_graph, inputs)
        if not self._requires_grad:
            raise AutogradError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        xp = get_array_module(self._data)
        if gradient is None:
            if self._data.size != 1:
                raise AutogradError(
                    f"grad can be implicitly created only for scalar outputs, but this tensor "
                    f"has shape {tuple(self.shape)}: pass gradient= (a tensor of that shape) "
                    "or reduce it first, e.g. loss.sum().backward()"
                )
            g = xp.empty_like(self._data)  # + fill: two C calls; NumPy's ones_like is Python
            g.fill(1)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if g.shape != self._data.shape:
                raise ShapeError(
                    f"backward: gradient has shape {tuple(g.shape)} but the tensor has shape "
                    f"{tuple(self._data.shape)}"
                )
            g = g.astype(self._data.dtype, copy=True)  # never alias the caller's array
        run_backward([(self._edge()[0], g)], retain_graph)

    def detach(self) -> Tensor:
        """The same storage and version counter, cut from the graph."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---- in-place machinery ------------------------------------------------------------------

    def _check_inplace(self):
        if self._requires_grad and self.grad_fn is None and grad_mode._state.enabled:
            raise AutogradError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the update in `with gradcli.no_grad():` (as optimizers do), or clone() it."
            )

    def _inplace(self, op, *others, **params):
        """Run out-of-place `op(self, *others)` and write the result into self's storage.

        When a graph is being recorded the old value is snapshotted (so nodes that saved it stay
        correct) and self's grad_fn is rebased onto the new node, as PyTorch does.
        """
        self._check_inplace()
        recording = grad_mode._state.enabled and (
            self._requires_grad or any(o._requires_grad for o in others)
        )
        if recording:
            old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
            old._acc = self._acc
            result = op(old, *others, **params)
            self._rebase(result.grad_fn)
        else:
            with grad_mode.no_grad():
                result = op(self, *others, **params)
        self._data[...] = result._data
        self._vc[0] += 1
        return self

    def _rebase(self, node):
        old = self.grad_fn
        if old is not None and (old._hooks or old._retain is not None):
            node._hooks, node._retain = old._hooks, old._retain
        self.grad_fn = node
        self._requires_grad = True

    def __setitem__(self, key, value):
        value = value if isinstance(value, Tensor) else self._lift(value)
        key = convert_key(key)
        self._check_inplace()
        if grad_mode._state.enabled and (self._requires_grad or value._requires_grad):
            old = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
            old._acc = self._acc
            result = SetItem.apply(old, value, key=key)
            self._rebase(result.grad_fn)
            self._data[...] = result._data
        else:
            self._data[key] = value._data
        self._vc[0] += 1

    # ---- shape (dtype, device and conversions: see tensor_convert.py) -----------------------

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dim, as PyTorch counts them."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    def is_inference(self) -> bool:
        """Whether an op inside `inference_mode` made this tensor (it then has no graph)."""
        return grad_mode.is_inference(self)

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # ---- Python protocols ----------------------------------------------------------------------

    def __repr__(self):
        return format_tensor(self)

    def __format__(self, spec):
        # a 0-d tensor formats as its number (f"{loss:.4f}", f"{grad}" prints -36.0, as in
        # PyTorch); others only without a spec, as their repr
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(
                f"unsupported format string {spec!r} for a tensor of shape {tuple(self.shape)}: "
                "only 0-d tensors take a format spec; format t.item() or t.tolist()"
            )
        return repr(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data.item())

    __hash__ = object.__hash__  # TensorMath's elementwise __eq__ would make tensors unhashable

    def __reduce__(self):
        raise TypeError("gradcli tensors are not pickled; save weights with safetensors")

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise AutogradError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol; detach() it first"
            )
        new = Tensor._make(self._data.copy(), self._requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new


_ndarray = np.ndarray
_generic = np.generic
_new = object.__new__


def wrap(array, requires_grad=False, grad_fn=None, cls=None) -> Tensor:
    """`Tensor._make` without the classmethod binding: every op's result is made here."""
    t = _new(cls or Tensor)
    if type(array) is not _ndarray and isinstance(array, _generic):
        array = np.asarray(array)  # ufuncs turn 0-d results into NumPy scalars
    t._data = array
    t._requires_grad = requires_grad
    t.grad = None
    t.grad_fn = grad_fn
    t._vc = [0]
    t._acc = None
    t._hooks = None
    t._retains_grad = False
    return t
