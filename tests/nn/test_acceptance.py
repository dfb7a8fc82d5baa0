"""The two classic PyTorch tutorial programs, written as a PyTorch user would write them."""

import numpy as np
import pytest

import gradcli as torch
import gradcli.nn as nn
import gradcli.nn.functional as F

pytest.importorskip("gradcli.ops.pool", reason="max_pool2d (gradcli.ops.pool) not available yet")


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 (the tutorial's spelling)
        # 1 input image channel, 6 output channels, 3x3 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 6 * 6, 120)  # 6*6 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


NET_TEXT = """\
Net(
  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))
  (conv2): Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1))
  (fc1): Linear(in_features=576, out_features=120, bias=True)
  (fc2): Linear(in_features=120, out_features=84, bias=True)
  (fc3): Linear(in_features=84, out_features=10, bias=True)
)"""


def test_lenet_tutorial(capsys):
    torch.manual_seed(0)
    net = Net()
    print(net)
    assert capsys.readouterr().out.strip() == NET_TEXT

    params = list(net.parameters())
    assert len(params) == 10
    assert params[0].size() == torch.Size([6, 1, 3, 3])  # conv1's .weight

    input = torch.randn(1, 1, 32, 32)
    out = net(input)
    assert out.shape == (1, 10)

    net.zero_grad()
    out.backward(torch.randn(1, 10))

    output = net(input)
    target = torch.randn(10)  # a dummy target, for example
    target = target.view(1, -1)  # make it the same shape as output
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    assert loss.grad_fn.name() == "MseLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "AddmmBackward0"  # fc3

    net.zero_grad()  # zeroes the gradient buffers of all parameters
    assert net.conv1.bias.grad is None
    loss.backward()
    assert net.conv1.bias.grad is not None
    assert net.conv1.bias.grad.shape == (6,)
    assert net.conv1.bias.grad.abs().sum().item() > 0

    learning_rate = 0.01
    losses = [loss.item()]
    for _ in range(5):
        with torch.no_grad():
            for f in net.parameters():
                f.data -= learning_rate * f.grad
        net.zero_grad()
        loss = criterion(net(input), target)
        loss.backward()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_lenet_sub_on_data_like_the_tutorial():
    torch.manual_seed(1)
    net = Net()
    input, target = torch.randn(1, 1, 32, 32), torch.randn(1, 10)
    loss = nn.MSELoss()(net(input), target)
    loss.backward()
    for f in net.parameters():
        f.data.sub_(f.grad.data * 0.01)
    assert nn.MSELoss()(net(input), target).item() < loss.item()


def test_two_layer_net_with_autograd():
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device("cpu")
    # N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in, device=device, dtype=dtype)
    y = torch.randn(N, D_out, device=device, dtype=dtype)
    w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
    w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

    learning_rate = 1e-6
    losses = []
    for t in range(500):  # noqa: B007
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    assert losses[0] > 1e6
    assert losses[-1] < losses[0] / 1000
    assert np.isfinite(losses).all()
    assert w1.dtype == torch.float32 and w1.is_leaf and w1.grad_fn is None
