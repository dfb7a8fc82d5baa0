"""Fit a cubic to cos(x) four ways, as the 'Learning PyTorch with Examples' scripts do: by hand
with tensors, with autograd and no_grad updates, with a custom autograd.Function, and with
nn + optim. Deterministic start values, so PyTorch prints the same numbers."""

import math

import torch

x = torch.linspace(-math.pi / 2, math.pi / 2, 500, dtype=torch.float)
y = torch.cos(x)

# 1. tensors only: gradients by hand
a, b, c, d = (torch.full((), v) for v in (0.1, -0.2, 0.3, -0.1))
lr = 2e-4
for t in range(300):
    y_pred = a + b * x + c * x.pow(2) + d * x.pow(3)
    loss = (y_pred - y).pow(2).sum().item()
    if t % 100 == 99:
        print("manual", t, f"{loss:.5f}")
    g = 2.0 * (y_pred - y)
    a -= lr * g.sum()
    b -= lr * torch.matmul(input=g, other=x).sum()
    c -= lr * torch.matmul(input=g, other=x.pow(2)).sum()
    d -= lr * torch.matmul(input=g, other=x.pow(3)).sum()
print("manual result", [round(v.item(), 5) for v in (a, b, c, d)])

# 2. autograd, updates under no_grad, grads reset to None
w = [torch.tensor(v, requires_grad=True) for v in (0.1, -0.2, 0.3, -0.1)]
for t in range(300):
    loss = (w[0] + w[1] * x + w[2] * x**2 + w[3] * x**3 - y).pow(2).sum()
    if t % 100 == 99:
        print("autograd", t, f"{loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        for p in w:
            p -= lr * p.grad
            p.grad = None
print("autograd result", [round(p.item(), 5) for p in w])


# 3. a custom Function: the cubic's odd part, with its derivative written by hand
class OddCubic(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (3 * input**3 - input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 0.5 * (9 * input**2 - 1)


s, u = torch.full((), 0.5, requires_grad=True), torch.full((), 0.2, requires_grad=True)
for t in range(200):
    loss = (s * OddCubic.apply(u * x) - torch.sin(x)).pow(2).sum()
    if t % 50 == 49:
        print("function", t, f"{loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        s -= 1e-4 * s.grad
        u -= 1e-4 * u.grad
        s.grad = None
        u.grad = None
print("function result", round(s.item(), 5), round(u.item(), 5))

# 4. nn.Sequential + MSELoss(sum) + SGD with momentum
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
    model[0].bias.fill_(0.3)
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
for t in range(300):
    loss = loss_fn(model(xx), y)
    if t % 100 == 99:
        print("nn", t, f"{loss.item():.5f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
layer = model[0]
print("nn result", round(layer.bias.item(), 5), [round(v, 5) for v in layer.weight[0].tolist()])
