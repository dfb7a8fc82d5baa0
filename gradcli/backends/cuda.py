"""`gradcli.backends.cuda`: whether gradcli can drive CUDA (CuPy installed), and the matmul
precision settings scripts make (accepted and recorded; CuPy's float32 matmul always runs at
full precision, which is PyTorch's 'highest')."""

import warnings
from types import SimpleNamespace

from gradcli import backend

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)
_PRECISIONS = ("highest", "high", "medium")
_precision = "highest"


def is_built() -> bool:
    return backend.cupy_installed()


def get_float32_matmul_precision() -> str:
    return _precision


def set_float32_matmul_precision(precision: str) -> None:
    """`gradcli.set_float32_matmul_precision('high')`: recorded (and allow_tf32 set, as in
    PyTorch) but without effect on gradcli's kernels. An unknown value warns and changes nothing,
    as in PyTorch."""
    global _precision
    if precision not in _PRECISIONS:
        warnings.warn(
            f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high' or "
            "'medium'; nothing was changed",
            UserWarning,
            stacklevel=2,
        )
        return
    _precision = precision
    matmul.allow_tf32 = precision != "highest"
