"""create_graph=True: gradients that are differentiable again, checked against finite differences
of gradients in float64 (a Hessian-vector product per op family, a gradient penalty)."""

import numpy as np
import pytest

import gradcli
import gradcli.nn.functional as F
from gradcli.autograd import grad
from gradcli.errors import AutogradError

RNG = np.random.default_rng(7)


def t64(*shape, positive=False):
    a = RNG.standard_normal(shape)
    return gradcli.tensor(np.abs(a) + 0.5 if positive else a, dtype=gradcli.float64)


def check_hvp(f, *inputs, eps=1e-6, rtol=1e-5, atol=1e-7):
    """grad(grad(f) . v) against (grad f(x + eps v) - grad f(x - eps v)) / 2 eps, all inputs at
    once with one random direction v per input."""
    xs = [x.detach().requires_grad_() for x in inputs]
    vs = [gradcli.tensor(RNG.standard_normal(x.shape)) for x in xs]
    gs = grad(f(*xs), xs, create_graph=True)
    assert all(g.requires_grad for g in gs), "the gradient was not recorded"
    dot = sum((g * v).sum() for g, v in zip(gs, vs))
    hvp = grad(dot, xs, allow_unused=True)

    def plain_grads(sign):
        moved = [(x.detach() + sign * eps * v).requires_grad_() for x, v in zip(xs, vs)]
        return [g.numpy() for g in grad(f(*moved), moved)]

    up, down = plain_grads(1), plain_grads(-1)
    for h, u, d in zip(hvp, up, down):
        numeric = (u - d) / (2 * eps)
        got = np.zeros_like(numeric) if h is None else h.numpy()
        np.testing.assert_allclose(got, numeric, rtol=rtol, atol=atol)


CASES = {
    "add_sub_mul_div_broadcast": (
        lambda a, b: ((a * b - a / b) + a - b * b).pow(2).sum(),
        (t64(2, 3), t64(3, positive=True)),
    ),
    "pow_scalar_and_tensor": (
        lambda a, b: (a**3).sum() + ((a.abs() + 1) ** b).sum() + (a**0.5 if False else a**2).sum(),
        (t64(4), t64(4)),
    ),
    "exp_log_sqrt_sin_cos_neg": (
        lambda a: (a.exp() * a.log() + a.sqrt() * a.sin() - (-a).cos() * a).sum(),
        (t64(5, positive=True),),
    ),
    "matmul_2d_1d_batched": (
        lambda a, b, v: (a @ b).tanh().sum() + (a @ v).pow(2).sum() + (v @ b).exp().sum(),
        (t64(3, 4), t64(4, 2), t64(4)),
    ),
    "batched_matmul_broadcast": (
        lambda a, b: (a @ b).sin().sum(),
        (t64(2, 3, 4), t64(4, 2)),
    ),
    "linear_3d_with_bias": (
        lambda x, w, b: F.linear(x, w, b).tanh().pow(2).sum(),
        (t64(2, 3, 4), t64(5, 4), t64(5)),
    ),
    "sum_mean_dims": (
        lambda a: (a.sum(1) ** 2).sum() + (a.mean(0, keepdim=True) * a).pow(2).mean(),
        (t64(3, 4),),
    ),
    "reshape_transpose_permute_expand": (
        lambda a: (
            a.reshape(6, 2).t().sin().sum()
            + (a.permute(2, 0, 1) ** 3).sum()
            + (a[:, :1].expand(3, 2, 2) * a).pow(2).sum()
            + a.unsqueeze(0).squeeze(0).transpose(0, 1).exp().sum()
        ),
        (t64(3, 2, 2),),
    ),
    "indexing_basic_and_repeated": (
        lambda a: (a[1:, ::2] ** 3).sum() + (a[[0, 0, 2]] ** 2).sum() * a[0, 0],
        (t64(3, 4),),
    ),
    "activations": (
        lambda a: (
            a.relu() * a
            + a.sigmoid() * a.tanh()
            + F.leaky_relu(a, 0.1) ** 2
            + a.softmax(1) * a
            + a.log_softmax(0) * a
        ).sum(),
        (t64(3, 4),),
    ),
    "losses": (
        lambda x, y: (
            F.mse_loss(x.tanh(), y) * F.l1_loss(x, y) + F.mse_loss(x * x, y, reduction="sum")
        ),
        (t64(3, 4), t64(3, 4)),
    ),
    "cross_entropy_and_nll": (
        lambda x: (
            F.cross_entropy(x * x, gradcli.tensor([1, 0, 3]))
            + F.cross_entropy(x, gradcli.tensor([2, 2, 0]), reduction="sum") * x.sum()
            + F.nll_loss(x.log_softmax(1), gradcli.tensor([0, 1, 2]))
        ),
        (t64(3, 4),),
    ),
    "var_std": (
        lambda a: a.var(1).sum() * a.std().sum() + (a.std(0) * a).sum(),
        (t64(3, 3),),
    ),
    "max_maximum_clamp_where": (
        lambda a: (
            a.max() * a.sum()
            + (a.max(1).values ** 2).sum()
            + (gradcli.maximum(a, a[:, [2, 1, 0]]) ** 2).sum()
            + (a.clamp(-0.5, 0.5) ** 2).sum()
            + (gradcli.where(a > 0, a, a * a) ** 2).sum()
        ),
        (t64(3, 3),),
    ),
    "norm_masked_fill_repeat_elu": (
        lambda a: (
            a.norm(dim=1).pow(3).sum()
            + a.norm()
            + a.norm(p=1) * a.sum()
            + (a.masked_fill(a > 0.5, 2.0) ** 2).sum()
            + (a.repeat(2, 1) ** 3).sum()
            + (F.elu(a, 0.7) ** 2).sum()
        ),
        (t64(3, 3),),
    ),
    "layer_norm_group_norm": (
        lambda x, w, b: (
            (F.layer_norm(x, (4,), w, b) ** 3).sum()
            + (F.layer_norm(x * x, (3, 4)) * x).sum()
            + (F.group_norm(x, 3, w[:3], b[:3]) ** 2 * x).sum()
        ),
        (t64(2, 3, 4), t64(4), t64(4)),
    ),
    "batch_norm_train_and_eval": (
        lambda x, w, b: (
            (F.batch_norm(x, None, None, w, b, training=True) ** 3).sum()
            + (F.batch_norm(x * x, None, None, training=True) * x).sum()
            + (
                F.batch_norm(
                    x,
                    gradcli.zeros(3, dtype=gradcli.float64),
                    gradcli.ones(3, dtype=gradcli.float64) * 2,
                    w,
                    b,
                )
                ** 3
            ).sum()
        ),
        (t64(4, 3, 2), t64(3), t64(3)),
    ),
    "cat_stack_clone": (
        lambda a: (
            (gradcli.cat([a, a * a], 1) ** 2).sum()
            + (gradcli.stack([a, a.exp()]) ** 2).sum()
            + (a.clone() ** 3).sum()
        ),
        (t64(3, 3),),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hessian_vector_product_matches_finite_differences(name):
    f, inputs = CASES[name]
    check_hvp(f, *inputs)


def test_second_derivative_values():
    x = gradcli.tensor([2.0], dtype=gradcli.float64, requires_grad=True)
    (g,) = grad(x**4, x, create_graph=True)
    (h,) = grad(g, x, create_graph=True)
    (t,) = grad(h, x)
    assert (g.item(), h.item(), t.item()) == (32.0, 48.0, 48.0)  # 4x^3, 12x^2, 24x


def test_gradient_penalty_reaches_the_parameters():
    """A WGAN-GP style penalty ((|d D(x)/dx| - 1)^2) trained through; its parameter gradients
    are checked against finite differences of the penalty itself."""
    gradcli.manual_seed(0)
    net = gradcli.nn.Sequential(
        gradcli.nn.Linear(3, 5), gradcli.nn.Tanh(), gradcli.nn.Linear(5, 1)
    ).double()
    x = t64(4, 3).requires_grad_()

    def penalty():
        (gx,) = grad(net(x).sum(), x, create_graph=True)
        return (((gx * gx).sum(1).sqrt() - 1) ** 2).mean()

    gp = penalty()
    gp.backward()
    eps = 1e-6
    for p in net.parameters():
        numeric = np.zeros(p.shape)
        for idx in np.ndindex(p.shape):
            orig = p._data[idx]
            p._data[idx] = orig + eps
            up = penalty().item()
            p._data[idx] = orig - eps
            down = penalty().item()
            p._data[idx] = orig
            numeric[idx] = (up - down) / (2 * eps)
        # the last bias does not change d D / dx: no gradient reaches it (None, as in PyTorch)
        got = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-8)
    assert net[2].bias.grad is None and net[0].weight.grad is not None


def test_dtype_change_is_differentiated_twice():
    x = gradcli.tensor([0.5, -2.0], requires_grad=True)
    (g,) = grad((x.double() ** 3).sum(), x, create_graph=True)
    assert g.dtype == gradcli.float32
    (h,) = grad(g.sum(), x)
    assert h.dtype == gradcli.float32
    np.testing.assert_allclose(h.numpy(), [3.0, -12.0], rtol=1e-6)


def test_tensor_backward_create_graph_keeps_a_differentiable_grad():
    x = gradcli.tensor([1.0, 3.0], dtype=gradcli.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.grad_fn is not None
    np.testing.assert_array_equal(g.detach().numpy(), [3.0, 27.0])
    x.grad = None
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 18.0])


def test_gradient_of_a_gradient_output_that_requires_grad():
    # grad_outputs that require grad are part of the graph (a vector-Jacobian product in v)
    x = gradcli.tensor([1.0, 2.0], dtype=gradcli.float64, requires_grad=True)
    v = gradcli.tensor([3.0, 4.0], dtype=gradcli.float64, requires_grad=True)
    (vjp,) = grad(x * x, x, grad_outputs=v, create_graph=True)
    dv, dx = grad(vjp.sum(), [v, x])
    np.testing.assert_array_equal(dv.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(dx.numpy(), [6.0, 8.0])


def test_unsupported_op_names_the_node():
    x = gradcli.randn(1, 1, 4, 4, dtype=gradcli.float64, requires_grad=True)
    w = gradcli.randn(1, 1, 3, 3, dtype=gradcli.float64)
    y = F.conv2d(x, w).sum()
    name = y.grad_fn.next_functions[0][0].name()
    with pytest.raises(AutogradError, match=f"^create_graph is not supported through {name} yet$"):
        grad(y, x, create_graph=True)
    # without create_graph the same graph differentiates as usual
    assert grad(F.conv2d(x, w).sum(), x)[0].shape == x.shape


def test_autograd_functional_against_recorded_pytorch():
    """vjp, jvp, jacobian, hessian, hvp, vhp: numbers printed by torch.autograd.functional
    (PyTorch 2.14.1) for the same functions, rounded to 8 decimals."""
    af = gradcli.autograd.functional
    x = gradcli.tensor([0.5, -1.0, 2.0], dtype=gradcli.float64)
    w = gradcli.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], dtype=gradcli.float64)

    def f(a):
        return (a.sin() * a).sum() + (a @ a) ** 2

    def g(a, m):
        return (m @ a).tanh()

    def close(t, expected):
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-7, atol=1e-8)

    hess = [[24.51545235, -4.0, 8.0], [-4.0, 29.23913363, -16.0], [8.0, -16.0, 50.34911147]]
    close(af.hessian(f, x), hess)
    h = af.hessian(lambda a, m: (m @ a).exp().sum(), (x, w))
    assert [[tuple(t.shape) for t in row] for row in h] == [
        [(3, 3), (3, 2, 3)],
        [(2, 3, 3), (2, 3, 2, 3)],
    ]
    close(h[0][1][1], [[0.03019738, -0.03019738, 0.12078953], [0.0, 518.01282467, 0.0]])
    jx, jw = af.jacobian(g, (x, w))
    assert tuple(jx.shape) == (2, 3) and tuple(jw.shape) == (2, 2, 3)
    close(jx, [[0.00364088, 0.00728177, -0.00364088], [7.45e-06, 0.0, 4.472e-05]])
    v = gradcli.tensor([1.0, -2.0], dtype=gradcli.float64)
    close(af.vjp(g, (x, w), v)[1][0], [0.00362598, 0.00728177, -0.00373032])
    u = gradcli.tensor([1.0, 0.5, 0.25], dtype=gradcli.float64)
    close(af.jvp(lambda a: g(a, w), x, u)[1], [0.00637155, 1.863e-05])
    out, hv = af.hvp(f, x, u)
    close(hv, [24.51545235, 6.61956681, 12.58727787])
    close(af.vhp(f, x, u)[1], hv.numpy())
    assert not out.requires_grad and not hv.requires_grad
    close(af.hessian(lambda a: a.sum() * 2, x), np.zeros((3, 3)))  # linear: no graph, zeros
