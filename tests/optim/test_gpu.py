"""Optimizers on CuPy arrays: same numbers as on the CPU, state stays on the device."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli

from .reference import ALL, ALL_IDS, WEIGHTS, toy_grads

pytestmark = pytest.mark.gpu


def _cuda_or_skip():
    if not gradcli.cuda.is_available():
        pytest.skip("needs CuPy and a usable CUDA GPU")


def _run(make, device, steps=5):
    params = [
        gradcli.tensor(w.astype(np.float32), device=device, requires_grad=True) for w in WEIGHTS
    ]
    opt = make(params)
    for _ in range(steps):
        grads = toy_grads([p.detach().cpu().numpy().astype(np.float64) for p in params])
        for p, g in zip(params, grads):
            p.grad = gradcli.tensor(g.astype(np.float32), device=device)
        opt.step()
    return params, opt


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_cuda_matches_cpu_and_keeps_state_on_the_device(make):
    _cuda_or_skip()
    cpu_params, _ = _run(make, "cpu")
    gpu_params, opt = _run(make, "cuda")
    for c, g in zip(cpu_params, gpu_params):
        assert g.is_cuda and g._data.dtype == np.float32
        np.testing.assert_allclose(g.detach().cpu().numpy(), c._data, rtol=1e-5, atol=1e-6)
        for value in opt.state[g].values():
            if isinstance(value, gradcli.Tensor):
                assert value.is_cuda and value._data.dtype == np.float32


@pytest.mark.parametrize("make", ALL[:3], ids=ALL_IDS[:3])
def test_gpu_state_dict_loads_onto_cpu_params(make):
    _cuda_or_skip()
    gpu_params, opt = _run(make, "cuda")
    cpu_params = [gradcli.tensor(p.detach().cpu().numpy(), requires_grad=True) for p in gpu_params]
    cpu_opt = make(cpu_params)
    cpu_opt.load_state_dict(opt.state_dict())
    for p in cpu_params:
        for value in cpu_opt.state[p].values():
            if isinstance(value, gradcli.Tensor):
                assert not value.is_cuda
