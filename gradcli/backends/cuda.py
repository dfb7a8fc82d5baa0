"""`gradcli.backends.cuda`: whether gradcli can drive CUDA (CuPy installed), and the matmul
precision flags scripts set (accepted; CuPy's matmul uses full float32 precision)."""

from types import SimpleNamespace

from gradcli import backend

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built() -> bool:
    return backend.cupy_installed()
