"""Define-by-run autograd: Tensor, Function nodes, the backward engine and grad mode."""

# The autograd <-> ops import cycle is inherent: Tensor's methods and operators call the ops, and
# the ops make Tensors. It is set up here, by importing `tensor` first: while its class is being
# defined it imports `function`, `engine` and `gradcli.ops`, so those name `Tensor` only at call
# time (`_tensor.Tensor`), never at import time.
import gradcli.autograd.tensor
from gradcli.autograd.function import AccumulateGrad, Function
from gradcli.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
