"""`Variable`, from PyTorch before 0.4: today it simply returns a Tensor.

Old tutorials wrap every tensor (`Variable(x, requires_grad=True)`); since PyTorch 0.4 a Tensor
does all a Variable did, and `Variable(t)` returns t's data as a new leaf: same storage, cut
from any graph, with the requires_grad asked for.

>>> w = Variable(gradcli.FloatTensor([2]), requires_grad=True)
>>> isinstance(w, Variable), type(w).__name__
(True, 'Tensor')
"""

from __future__ import annotations

import warnings

from gradcli.autograd import tensor as _tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _tensor.Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn(
                "Variable(volatile=True) has no effect (volatile was removed in PyTorch 0.4); "
                "to run without recording a graph use `with gradcli.no_grad():`",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            return _tensor.Tensor()
        if not isinstance(data, _tensor.Tensor):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}; "
                "wrap it first with gradcli.tensor(data)"
            )
        return data.detach().requires_grad_(requires_grad)
