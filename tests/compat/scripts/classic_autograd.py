"""The PyTorch 0.3-era calls older tutorials use, and autograd beyond backward()."""

import torch
from torch.autograd import Variable

# the classic chain-rule example: Variables of FloatTensors, unpacking .grad.data
a = Variable(torch.FloatTensor([4]))
weights = [Variable(torch.FloatTensor([i]), requires_grad=True) for i in (2, 5, 9, 7)]
w1, w2, w3, w4 = weights
b = w1 * a
c = w2 * a
d = w3 * b + w4 * c
L = 10 - d
L.backward()
for index, weight in enumerate(weights, start=1):
    gradient, *_ = weight.grad.data
    print(f"Gradient of w{index} w.r.t to L: {gradient}")

# a non-scalar backward with a gradient argument, twice with retain_graph
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
y = (x * 2) ** 2
y.backward(torch.tensor([0.1, 1.0, 0.0001]), retain_graph=True)
print("first", x.grad.tolist())
y.backward(torch.tensor([1.0, 1.0, 1.0]))
print("accumulated", x.grad.tolist())

# torch.autograd.grad with create_graph: a Hessian-vector product
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
f = (w**3).sum() + (w[0] * w[1]) ** 2
(g,) = torch.autograd.grad(f, w, create_graph=True)
v = torch.tensor([1.0, 0.5, -1.0])
(hv,) = torch.autograd.grad((g * v).sum(), w)
print("grad", [round(t, 5) for t in g.tolist()], "hvp", [round(t, 5) for t in hv.tolist()])

# no_grad, detach, requires_grad_ and the grad_fn names
z = torch.ones(2, 2, requires_grad=True)
out = (z + 2).mul(3).mean()
print(out.grad_fn is not None, out.requires_grad, out.detach().requires_grad)
with torch.no_grad():
    print((z * 2).requires_grad)
out.backward()
print(z.grad.tolist())
