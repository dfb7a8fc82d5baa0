"""Every optimizer the config registry knows: steps on the GPU give the CPU's numbers, and its
state stays on the GPU. (tests/optim/test_gpu.py checks the classes on hand-set gradients;
here each runs as a config builds it, on gradients from a real backward pass.)"""

import numpy as np
import pytest

import gradcli
import gradcli.nn.functional as F
from gradcli.config.optimizers import OPTIMIZERS

pytestmark = pytest.mark.gpu

OPTIONS = {  # beyond the defaults: the options that add state or branches
    "sgd": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    "adamw": {"lr": 0.01},
    "rmsprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "adagrad": {"lr": 0.1, "lr_decay": 0.01},
    "adadelta": {"lr": 1.0},
}
rng = np.random.default_rng(0)
X = rng.standard_normal((16, 5)).astype(np.float32)
Y = rng.integers(0, 3, 16)
W = [rng.standard_normal((8, 5)).astype(np.float32), np.zeros(8, np.float32),
     rng.standard_normal((3, 8)).astype(np.float32), np.zeros(3, np.float32)]  # fmt: skip


def _steps(name, device, steps=3):
    params = [gradcli.tensor(w, device=device, requires_grad=True) for w in W]
    spec = OPTIMIZERS.get(name).model_validate(OPTIONS.get(name, {}))
    opt = spec.build(params)
    x, y = gradcli.tensor(X, device=device), gradcli.tensor(Y, device=device)
    for _ in range(steps):
        opt.zero_grad()
        hidden = F.linear(x, params[0], params[1]).relu()
        F.cross_entropy(F.linear(hidden, params[2], params[3]), y).backward()
        opt.step()
    return params, opt


def test_every_registered_optimizer_has_options_here():
    assert set(OPTIMIZERS.names()) <= set(OPTIONS), "add the new optimizer's options to OPTIONS"


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_steps_on_cuda_equal_steps_on_cpu(name):
    cpu, _ = _steps(name, "cpu")
    gpu, opt = _steps(name, "cuda")
    for c, g in zip(cpu, gpu):
        assert g.is_cuda and g.dtype == gradcli.float32
        np.testing.assert_allclose(
            g.detach().cpu().numpy(), c.detach().numpy(), rtol=2e-5, atol=2e-6
        )  # noqa: E501
        for value in opt.state[g].values():
            if isinstance(value, gradcli.Tensor):
                assert value.is_cuda and value.dtype == gradcli.float32
    # the state dict of a GPU optimizer saves and restores through host memory
    restored = _steps(name, "cuda", steps=0)[1]
    restored.load_state_dict(opt.state_dict())
    assert restored.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
