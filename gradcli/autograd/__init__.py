"""Define-by-run autograd: Tensor, Function nodes, the backward engine and grad mode."""

# The autograd <-> ops import cycle is inherent: Tensor's methods and operators call the ops, and
# the ops make Tensors. It is set up here, by importing `tensor` first: while its class is being
# defined it imports `function`, `engine` and `gradcli.ops`, so those name `Tensor` only at call
# time (`_tensor.Tensor`), never at import time.
#
# `Function` here is the user-facing ctx-style base (custom_function.py); the internal base of
# the built-in ops, which compute on arrays, is `gradcli.autograd.function.Function`.
import gradcli.autograd.tensor
from gradcli.autograd import functional
from gradcli.autograd.custom_function import Function, once_differentiable
from gradcli.autograd.function import AccumulateGrad
from gradcli.autograd.grad_api import backward, grad
from gradcli.autograd.grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from gradcli.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from gradcli.autograd.variable import Variable
