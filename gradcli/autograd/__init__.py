"""Define-by-run autograd: Tensor, Function nodes, the backward engine and grad mode."""

from gradcli.autograd.function import AccumulateGrad, Function
from gradcli.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
