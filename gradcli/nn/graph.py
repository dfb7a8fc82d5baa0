"""Modules for networks that are not a plain stack: merges (`Add`, `Concat`), a residual block,
parallel branches, and `Graph`, a Sequential whose steps may remember their output under a name
and merge it back in later (a skip connection across several layers).

>>> block = Residual(Sequential(Conv2d(8, 8, 3, padding=1), ReLU()), after=ReLU())
>>> block(gradcli.zeros(2, 8, 4, 4)).shape
gradcli.Size([2, 8, 4, 4])
"""

from __future__ import annotations

from gradcli.errors import ShapeError
from gradcli.nn.containers import ModuleList, Sequential
from gradcli.nn.linear import Identity
from gradcli.nn.module import Module
from gradcli.ops import cat


def _shapes(inputs) -> str:
    return ", ".join(str(tuple(x.shape)) for x in inputs)


class Add(Module):
    """The element-wise sum of its inputs, which must all have the same shape (no broadcasting:
    a residual sum of mismatched shapes is a bug, not an intent)."""

    def forward(self, *inputs):
        if any(tuple(x.shape) != tuple(inputs[0].shape) for x in inputs):
            raise ShapeError(f"add: inputs must have the same shape, got {_shapes(inputs)}")
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Concat(Module):
    """Its inputs joined along `dim` (1: channels or features, with the batch first)."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, *inputs):
        rest = [x.shape[: self.dim] + x.shape[self.dim + 1 :] for x in inputs]
        if any(tuple(r) != tuple(rest[0]) for r in rest):
            raise ShapeError(
                f"concat: inputs must match in every dimension but {self.dim}, got "
                f"{_shapes(inputs)}"
            )
        return cat(list(inputs), dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GlobalAvgPool2d(Module):
    """(N, C, H, W) -> (N, C): the mean of each channel over its whole feature map."""

    def forward(self, input):
        if input.ndim != 4:
            raise ShapeError(f"global_avgpool: expected (N, C, H, W), got {tuple(input.shape)}")
        return input.mean(dim=(2, 3))


class Residual(Module):
    """`after(body(x) + shortcut(x))`; the shortcut and `after` default to the identity."""

    def __init__(self, body: Module, shortcut: Module | None = None, after: Module | None = None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else Identity()
        self.after = after if after is not None else Identity()
        self.merge = Add()

    def forward(self, input):
        return self.after(self.merge(self.body(input), self.shortcut(input)))


class Branches(Module):
    """Every path gets the same input; their outputs are merged (`Add()` or `Concat()`)."""

    def __init__(self, paths: list[Module], merge: Module):
        super().__init__()
        self.paths = ModuleList(paths)
        self.merge = merge

    def forward(self, input):
        return self.merge(*[path(input) for path in self.paths])


class Graph(Sequential):
    """A Sequential with named outputs: `saves[i]` names step i's output; the step at index j
    with `reads[j] = [names]` is called as `step(x, *saved outputs)` (an `Add` or `Concat`).
    Parameter names are a Sequential's, so its state_dict reads the same."""

    def __init__(self, *modules, saves: dict[int, str], reads: dict[int, list[str]]):
        super().__init__(*modules)
        self.saves, self.reads = dict(saves), {i: list(n) for i, n in reads.items()}

    def __getitem__(self, idx):
        if isinstance(idx, slice):  # the indices in `saves` and `reads` would point elsewhere
            raise TypeError("a Graph cannot be sliced: its steps refer to each other's outputs")
        return super().__getitem__(idx)

    def forward(self, input):
        saved = {}
        for i, module in enumerate(self._modules.values()):
            if i in self.reads:
                input = module(input, *[saved[name] for name in self.reads[i]])
            else:
                input = module(input)
            if i in self.saves:
                saved[self.saves[i]] = input
        return input
