"""Convolution layers: Conv1d over (N, C, L), Conv2d and ConvTranspose2d over (N, C, H, W)."""

from __future__ import annotations

from gradcli import factories
from gradcli.nn import functional as F
from gradcli.nn import init
from gradcli.nn._checks import expect_ndim, expect_size
from gradcli.nn.module import Module
from gradcli.nn.parameter import Parameter
from gradcli.ops._checks import pair
from gradcli.ops.conv import single

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(Module):
    """2-D convolution: weight (out_channels, in_channels // groups, kH, kW).

    >>> Conv2d(1, 6, 3)
    Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        _check_groups("Conv2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        # checked here: a 0 kernel would otherwise build and even run, to a meaningless output
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.dilation = pair("Conv2d", "dilation", dilation, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d: padding must be 'same', 'valid' or ints, got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = pair("Conv2d", "padding", padding, 0)
        self.padding_mode = padding_mode
        self.weight = Parameter(
            factories.empty(
                out_channels, in_channels // groups, *self.kernel_size, dtype=dtype, device=device
            )
        )
        if bias:
            self.bias = Parameter(factories.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def _explicit_padding(self):
        """(left, right, top, bottom) for F.pad when padding_mode is not 'zeros'."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            out = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            return tuple(out)
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def forward(self, input):
        expect_ndim(self, input, (4,), "(N, C, H, W)")
        expect_size(self, input, 1, self.in_channels, "channels")
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv2d(
                padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _check_groups(name, in_channels, out_channels, groups, padding_mode):
    if groups <= 0:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
            f"both be divisible by groups ({groups})"
        )
    if padding_mode not in _PADDING_MODES:
        raise ValueError(
            f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
        )


def _repr(m, **extra) -> str:
    """PyTorch's conv repr: channels, kernel and stride, then whatever is not the default."""
    s = f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, stride={m.stride}"
    zeros = (0,) * len(m.kernel_size)
    if m.padding != zeros:
        s += f", padding={m.padding}"
    for key, value in extra.items():
        if value != zeros:
            s += f", {key}={value}"
    if m.dilation != (1,) * len(m.kernel_size):
        s += f", dilation={m.dilation}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    if m.padding_mode != "zeros":
        s += f", padding_mode={m.padding_mode}"
    return s


class Conv1d(Module):
    """1-D convolution: weight (out_channels, in_channels // groups, kernel_size).

    >>> Conv1d(4, 8, 3, padding="same")
    Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        _check_groups("Conv1d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (single("Conv1d", "kernel_size", kernel_size, 1),)
        self.stride = (single("Conv1d", "stride", stride, 1),)
        self.dilation = (single("Conv1d", "dilation", dilation, 1),)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv1d: padding must be 'same', 'valid' or ints, got {padding!r}"
                )
            if padding == "same" and self.stride != (1,):
                raise ValueError("Conv1d: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = (single("Conv1d", "padding", padding, 0),)
        self.padding_mode = padding_mode
        opts = dict(dtype=dtype, device=device)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(factories.empty(*shape, **opts))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, **opts))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def forward(self, input):
        expect_ndim(self, input, (2, 3), "(N, C, L) or (C, L)")
        expect_size(self, input, -2, self.in_channels, "channels")
        padding = self.padding
        if self.padding_mode != "zeros" and padding != "valid":
            if padding == "same":
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                amounts = (total // 2, total - total // 2)
            else:
                amounts = (padding[0], padding[0])
            input, padding = F.pad(input, amounts, mode=self.padding_mode), 0
        return F.conv1d(
            input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        return _repr(self)


class ConvTranspose2d(Module):
    """Transposed 2-D convolution: weight (in_channels, out_channels // groups, kH, kW).

    >>> ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
    ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(
                f'ConvTranspose2d: only "zeros" padding_mode is supported, got {padding_mode!r}'
            )
        _check_groups("ConvTranspose2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair("ConvTranspose2d", "kernel_size", kernel_size, 1)
        self.stride = pair("ConvTranspose2d", "stride", stride, 1)
        self.padding = pair("ConvTranspose2d", "padding", padding, 0)
        self.output_padding = pair("ConvTranspose2d", "output_padding", output_padding, 0)
        self.dilation = pair("ConvTranspose2d", "dilation", dilation, 1)
        self.padding_mode = padding_mode
        opts = dict(dtype=dtype, device=device)
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        self.weight = Parameter(factories.empty(*shape, **opts))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, **opts))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_(self.weight, self.bias)

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output `output_size` (the last two dims)."""
        if output_size is None:
            return self.output_padding
        size = tuple(int(s) for s in output_size)[-2:]
        out = []
        for i in range(2):
            smallest = (
                (input.shape[i - 2] - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            extra = size[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(
                    f"{self!r}: requested an output size of {size}, but valid sizes for input "
                    f"{tuple(input.shape)} start at {smallest} in dim {i}"
                )
            out.append(extra)
        return tuple(out)

    def forward(self, input, output_size=None):
        expect_ndim(self, input, (4,), "(N, C, H, W)")
        expect_size(self, input, 1, self.in_channels, "channels")
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, output_padding,
            self.groups, self.dilation,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return _repr(self, output_padding=self.output_padding)
