"""Identity, Linear and Flatten."""

from __future__ import annotations

from gradcli import factories
from gradcli.errors import ShapeError
from gradcli.nn import init
from gradcli.nn._checks import expect_size
from gradcli.nn.module import Module
from gradcli.nn.parameter import Parameter
from gradcli.ops import flatten
from gradcli.ops.linalg import linear


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """`y = x @ W.T + b`, for inputs (N, in_features) or (N, ..., in_features).

    >>> Linear(400, 120)
    Linear(in_features=400, out_features=120, bias=True)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(
            factories.empty(out_features, in_features, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(factories.empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def forward(self, input):
        if input.dim() < 2:
            raise ShapeError(
                f"{self!r}: expected an input of shape (N, {self.in_features}) with a batch "
                f"dimension but got shape {tuple(input.shape)}; add one with x.unsqueeze(0)"
            )
        expect_size(self, input, -1, self.in_features, "features")
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flatten dims start_dim..end_dim (by default everything but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
