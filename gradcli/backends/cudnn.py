"""`gradcli.backends.cudnn`: gradcli does not call cuDNN (its GPU kernels are CuPy array code),
so it is never available; the flags scripts set are kept and have no effect."""

benchmark = False
deterministic = False  # gradcli's kernels are deterministic already
enabled = True
allow_tf32 = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
