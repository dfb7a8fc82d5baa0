"""The classic worked examples, exactly as the tutorials give them."""

import numpy as np

import gradcli


def test_chain_of_scalars():
    a = gradcli.tensor(4.0)
    w1, w2, w3, w4 = (gradcli.tensor(v, requires_grad=True) for v in (2.0, 5.0, 9.0, 7.0))
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    L.backward()
    assert [w.grad.item() for w in (w1, w2, w3, w4)] == [-36.0, -28.0, -8.0, -20.0]


def test_mean_of_products():
    x = gradcli.ones(2, 2)
    w1, w2, w3 = (gradcli.tensor(v, requires_grad=True) for v in (2.0, 3.0, 4.0))
    l1 = x * w1
    l2 = l1 + w2
    l3 = l1 * w3
    l4 = l2 * l3
    loss = l4.mean()
    loss.backward()
    assert loss.item() == 40.0
    assert (w1.grad.item(), w2.grad.item(), w3.grad.item()) == (28.0, 8.0, 10.0)


def test_grad_of_product_is_the_other_factor():
    x = gradcli.randn(3, 4, requires_grad=True)
    y = gradcli.randn(3, 4, requires_grad=True)
    z = gradcli.randn(3, 4, requires_grad=True)
    a = x * y
    b = a + z
    c = gradcli.sum(b)
    c.backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    np.testing.assert_array_equal(y.grad.numpy(), x.detach().numpy())
    np.testing.assert_array_equal(z.grad.numpy(), np.ones((3, 4), np.float32))
