"""The calls of pytorch/examples' mnist_rnn: an LSTM (batch_first) over image rows, its last
output through BatchNorm1d and Linear layers, log_softmax + nll_loss, Adadelta."""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

sys.path.insert(0, os.path.dirname(__file__))
from _init import fill_, images  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=16, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(16)
        self.fc1 = nn.Linear(16, 10)

    def forward(self, input):
        output, (h, c) = self.rnn(input.reshape(-1, 28, 28))
        output = self.batchnorm(output[:, -1, :])
        return F.log_softmax(self.fc1(output), dim=1)


x, y = images(24, seed=1.0)
model = Net()
fill_(model, scale=0.2)
optimizer = optim.Adadelta(model.parameters(), lr=0.5)
for step in range(3):
    model.train()
    optimizer.zero_grad()
    loss = F.nll_loss(model(x[:16]), y[:16])
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    output = model(x[16:])
    test_loss = F.nll_loss(output, y[16:], reduction="sum").item()
    correct = output.argmax(dim=1, keepdim=True).eq(y[16:].view(-1, 1)).sum().item()
print(f"test loss {test_loss:.4f} correct {correct}")
print("running_mean", [round(v, 5) for v in model.batchnorm.running_mean[:4].tolist()])
