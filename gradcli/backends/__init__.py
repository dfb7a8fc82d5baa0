"""`gradcli.backends`: the switches PyTorch scripts read or set (`backends.cudnn.benchmark`,
`backends.mps.is_available()`), answered for what gradcli runs on: numpy on the CPU, CuPy on
NVIDIA GPUs. gradcli calls neither cuDNN nor Metal, so those report unavailable and their
settings are accepted and have no effect."""

from gradcli.backends import cuda, cudnn, mps
