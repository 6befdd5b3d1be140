"""The BiGAN paper's permutation-invariant networks (Donahue et al., ICLR 2017, Appendix C.1), preset ``bigan-mlp``.
Built from the ``model`` node of the configuration JSON (``imageDim``, ``latentDim``, ``hidden``, ``leak``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MlpGenerator(nn.Module):
    """Linear(z, h) BN ReLU, Linear(h, h) BN ReLU, Linear(h, x) Sigmoid."""

    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.fc1, self.bn1 = nn.Linear(c["latentDim"], h), nn.BatchNorm1d(h)
        self.fc2, self.bn2 = nn.Linear(h, h), nn.BatchNorm1d(h)
        self.fc3 = nn.Linear(h, c["imageDim"])

    def forward(self, z):                                             # [B, z] -> [B, 784] in (0, 1)
        h = F.relu(self.bn1(self.fc1(z)))
        h = F.relu(self.bn2(self.fc2(h)))
        return torch.sigmoid(self.fc3(h))


class MlpEncoder(nn.Module):
    """Linear(x, h) LReLU, Linear(h, h) BN LReLU, Linear(h, z). ``encode`` also returns the penultimate layer."""

    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.leak = c["leak"]
        self.fc1 = nn.Linear(c["imageDim"], h)
        self.fc2 = nn.Linear(h, h)
        self.bn2 = nn.BatchNorm1d(h)
        self.fc3 = nn.Linear(h, c["latentDim"])

    def encode(self, x):                                              # [B, 784] in [0, 1] -> ([B, z], [B, h])
        h = F.leaky_relu(self.fc1(x), self.leak)
        h = F.leaky_relu(self.bn2(self.fc2(h)), self.leak)
        return self.fc3(h), h

    def forward(self, x):
        return self.encode(x)[0]


class MlpJointDiscriminator(nn.Module):
    """score = out(LReLU(joint([LReLU(fx x), LReLU(fz z)]))), a logit [B]."""

    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.leak = c["leak"]
        self.fx = nn.Linear(c["imageDim"], h)
        self.fz = nn.Linear(c["latentDim"], h)
        self.joint = nn.Linear(2 * h, h)
        self.out = nn.Linear(h, 1)

    def forward(self, x, z):
        hx = F.leaky_relu(self.fx(x), self.leak)
        hz = F.leaky_relu(self.fz(z), self.leak)
        h = F.leaky_relu(self.joint(torch.cat([hx, hz], 1)), self.leak)
        return self.out(h).squeeze(1)                                 # [B]
