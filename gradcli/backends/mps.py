"""`gradcli.backends.mps`: Apple's Metal backend; gradcli does not have one."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
