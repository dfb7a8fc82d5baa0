"""The numpy reference networks compute what gradcli computes: same loss, gradients and update.

Correctness only: the benchmark's yardstick is worthless if it is fast because it is wrong.
"""

import numpy as np
import pytest

import gradcli
from benchmarks.nets import gradcli_model, numpy_state, random_batch  # pytest's pythonpath: .
from benchmarks.numpy_ref import NumpyLeNet, NumpyMLP

REF = {"mlp": NumpyMLP, "lenet": NumpyLeNet}


def _gradcli_loss_and_grads(model, x, y):
    loss = gradcli.nn.CrossEntropyLoss()(model(gradcli.from_numpy(x)), gradcli.from_numpy(y))
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in model.named_parameters()}
    return float(loss.item()), grads


@pytest.mark.parametrize("name", ["mlp", "lenet"])
@pytest.mark.parametrize("batch", [1, 8])
def test_loss_and_gradients_match_gradcli(name, batch):
    gradcli.manual_seed(batch)
    model = gradcli_model(name)
    x, y = random_batch(batch, seed=batch)
    x = (x - 0.5) * 4  # both signs, so the ReLUs and max-pools have real decisions to make
    expected_loss, expected = _gradcli_loss_and_grads(model, x, y)

    ref = REF[name](batch, params=numpy_state(model))
    loss = ref.forward_backward(x, y)

    assert loss.dtype == np.float32
    assert float(loss) == pytest.approx(expected_loss, rel=1e-5)
    assert set(ref.grads) == set(expected)
    for key, g in ref.grads.items():
        assert g.dtype == np.float32
        scale = max(float(np.abs(expected[key]).max()), 1e-6)
        np.testing.assert_allclose(g, expected[key], rtol=1e-4, atol=1e-5 * scale, err_msg=key)


@pytest.mark.parametrize("name", ["mlp", "lenet"])
def test_sgd_momentum_steps_match_gradcli(name):
    gradcli.manual_seed(0)
    model = gradcli_model(name)
    ref = REF[name](4, params=numpy_state(model), lr=0.05, momentum=0.9)
    opt = gradcli.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(3):  # the first step starts the momentum buffer; later ones use it
        x, y = random_batch(4, seed=step)
        opt.zero_grad()
        _gradcli_loss_and_grads(model, x, y)
        opt.step()
        ref.step(x, y)
    for key, p in model.state_dict().items():
        np.testing.assert_allclose(ref.params[key], p.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", ["mlp", "lenet"])
def test_buffers_are_float32_and_reused(name):
    ref = REF[name](2)
    x, y = random_batch(2)
    ref.step(x, y)
    before = {id(a) for a in ref.params.values()}
    ref.step(x, y)
    assert {id(a) for a in ref.params.values()} == before
    kinds = {a.dtype for a in vars(ref).values() if isinstance(a, np.ndarray)}
    assert np.dtype(np.float64) not in kinds
    assert ref.buffer_bytes() > 0


def test_rejects_a_batch_of_the_wrong_size_or_dtype():
    ref = NumpyMLP(4)
    x, y = random_batch(3)
    with pytest.raises(ValueError, match="built for float32 batches of 4"):
        ref.step(x, y)
    with pytest.raises(ValueError, match="float32"):
        ref.step(np.zeros((4, 1, 28, 28)), np.zeros(4, np.int64))
