"""The calls of pytorch/examples' mnist and the quickstart: a conv net over a DataLoader of a
TensorDataset, nll_loss, Adadelta + StepLR, an eval pass, saving and loading the state_dict."""

import argparse
import io
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.dirname(__file__))
from _init import fill_, images  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc1 = nn.Linear(8 * 12 * 12, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--lr", type=float, default=1.0)
args = parser.parse_args()

x, y = images(96)
train_loader = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16)
test_loader = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=32)
model = Net()
fill_(model)
optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, args.epochs + 1):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        print("Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(  # noqa: UP032 (as the examples)
            epoch, batch_idx * len(data), len(train_loader.dataset),
            100.0 * batch_idx / len(train_loader), loss.item()))  # fmt: skip
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print(
        f"Test set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)}"
    )
    scheduler.step()
    print("lr", optimizer.param_groups[0]["lr"])

buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2}, buffer)
buffer.seek(0)
checkpoint = torch.load(buffer, weights_only=True)
restored = Net()
restored.load_state_dict(checkpoint["model"])
with torch.no_grad():
    same = torch.equal(restored(x[:4]), model(x[:4]))
print("restored", same, checkpoint["epoch"], checkpoint["optimizer"]["param_groups"][0]["lr"])
