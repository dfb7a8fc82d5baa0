"""The calls of pytorch/examples' vae: Linear encoder/decoder, exp, sigmoid, a reparameterised
sample (here from a fixed eps), binary_cross_entropy(reduction='sum') + KL, Adam."""

import os
import sys

import torch
from torch import nn, optim
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(__file__))
from _init import fill_, images  # noqa: E402


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + eps * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


x, _ = images(32)
x = (x + 1) / 2  # pixels in [0, 1]
model = VAE()
fill_(model)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
eps = torch.linspace(-1, 1, 16 * 4).reshape(16, 4)
for epoch in range(1, 4):
    model.train()
    train_loss = 0
    for batch in (x[:16], x[16:]):
        optimizer.zero_grad()
        recon, mu, logvar = model(batch, eps)
        loss = loss_function(recon, batch, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    print("====> Epoch: {} Average loss: {:.4f}".format(epoch, train_loss / len(x)))  # noqa: UP032
with torch.no_grad():
    sample = torch.sigmoid(model.fc4(F.relu(model.fc3(eps[:2]))))
print("sample", [round(v, 4) for v in sample[0, :5].tolist()])
