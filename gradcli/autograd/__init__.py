"""Define-by-run autograd: Tensor, Function nodes, the backward engine and grad mode."""

import gradcli.autograd.tensor  # first: function.py and engine.py refer to it at call time
from gradcli.autograd.function import AccumulateGrad, Function
from gradcli.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
