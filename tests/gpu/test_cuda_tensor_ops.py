"""The A2 ops (norms, pieces, sorting, running sums, einsum, rounding, masked_fill, multinomial)
on CuPy against numpy: values, gradients, dtypes and devices. Skipped without a CUDA GPU."""

import math

import numpy as np
import pytest

import gradcli

pytestmark = pytest.mark.gpu

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4, 5)).astype(np.float32)
Z = np.where(A > 0.8, 0.0, A).astype(np.float32)
M = rng.standard_normal((4, 4)).astype(np.float32)
K = rng.standard_normal((4, 5)).astype(np.float32)


def _on(array, like):
    return gradcli.tensor(array, device=like.device)


OPS = {
    "norms": (lambda a: a.norm(dim=1) + gradcli.linalg.vector_norm(a, math.inf, 1) + a.norm(p=1.5, dim=1), A),  # noqa: E501
    "matrix_norms": (lambda a: gradcli.linalg.matrix_norm(a, 1) + gradcli.linalg.matrix_norm(a, "nuc") + gradcli.linalg.matrix_norm(a, 2), A),  # noqa: E501
    "pieces": (lambda a: gradcli.cat([p * (i + 1) for i, p in enumerate(a.split([1, 3, 1], 2))], 2) + a.chunk(5, 2)[1] + a.unbind(2)[0].unsqueeze(2), A),  # noqa: E501
    "repeat_triangles": (lambda a: a.repeat(1, 2, 1)[:, :4] + a.tril(1) * a.triu(-1), A),
    "sorting": (lambda a: a.sort(2, descending=True).values + a.topk(5, 2, largest=False).values, A),  # noqa: E501
    "cumulative": (lambda a: a.cumsum(1) + a.cumprod(2), Z),
    "einsum": (lambda a: gradcli.einsum("bij,kj,kk->bik", a, _on(K, a), _on(M, a)), A),
    "rounding": (lambda a: a.fmod(0.7) + a % 0.7 + a.div(0.3, rounding_mode="floor") + a.copysign(-1.0), A),  # noqa: E501
    "masked_fill": (lambda a: a.masked_fill(a > 0.5, -1.0), A),
}  # fmt: skip


@pytest.mark.parametrize("name", OPS)
def test_op_matches_numpy(name):
    fn, data = OPS[name]
    results = []
    for device in ("cpu", "cuda"):
        x = gradcli.tensor(data, device=device, requires_grad=True)
        out = fn(x)
        (out * out).sum().backward()
        assert out.device.type == device and x.grad.device.type == device
        assert out.dtype == gradcli.float32 and x.grad.dtype == gradcli.float32
        results.append((out.detach().cpu().numpy(), x.grad.cpu().numpy()))
    (cpu_out, cpu_grad), (gpu_out, gpu_grad) = results
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-3, atol=1e-4)


def test_indices_views_and_sampling_on_the_gpu():
    x = gradcli.tensor([3.0, 1.0, 3.0, float("nan"), 2.0], device="cuda")
    assert x.sort(descending=True).indices.tolist() == [3, 0, 2, 4, 1]
    assert x.argsort().dtype == gradcli.int64 and x.argsort().device.type == "cuda"
    assert x.isclose(x, equal_nan=True).all().item()
    i = gradcli.tensor([7, -7], device="cuda")
    assert i.div(2, rounding_mode="trunc").tolist() == [3, -3] and (i % 3).tolist() == [1, 2]
    assert x.view(gradcli.int32).device.type == "cuda"
    p = gradcli.tensor([[0.1, 0.0, 0.6, 0.3]] * 3, device="cuda")
    gradcli.manual_seed(0)
    gpu = gradcli.multinomial(p, 2).tolist(), gradcli.multinomial(p, 4, True).tolist()
    gradcli.manual_seed(0)
    cpu = gradcli.multinomial(p.cpu(), 2).tolist(), gradcli.multinomial(p.cpu(), 4, True).tolist()
    assert gpu == cpu  # the same generator draws on either device
