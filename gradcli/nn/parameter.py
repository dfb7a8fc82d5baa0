"""Parameter: a leaf Tensor that a Module registers as learnable when assigned to it."""

from __future__ import annotations

from gradcli.autograd.tensor import Tensor, _from_data


class Parameter(Tensor):
    """A Tensor that requires grad and that `Module.parameters()` finds.

    >>> p = Parameter(gradcli.zeros(2))
    >>> p
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = _from_data([])
            vc = [0]
        elif isinstance(data, Tensor):
            array, vc = data._data, data._vc  # shares storage, as torch.nn.Parameter does
        else:
            array, vc = _from_data(data), [0]
        self._init(array, False, None)
        self._vc = vc
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None) -> Tensor:
        # results computed from a Parameter (comparisons, ...) are plain Tensors
        return Tensor._make(array, requires_grad, grad_fn)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        p = Parameter(self._data.copy(), self._requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = p
        return p
