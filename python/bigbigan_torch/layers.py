"""Shared layers: spectrally normalised linear/conv layers, BigGAN's conditional batch norm and self-attention.

Spectral norm is ``torch.nn.utils.spectral_norm`` itself (one power iteration per training-mode forward, none in
eval mode, eps 1e-12), so the state-dict names are ``weight_orig`` (parameter), ``weight_u`` [out] and ``weight_v``
[in*kh*kw] (buffers), exactly as the Java ``SpectralNorm`` stores them. Batch norms are ``nn.BatchNorm1d/2d`` with
PyTorch's defaults (momentum 0.1, eps 1e-5), as in the Java model. See docs/pytorch-twin.md for the remaining
(rounding-level) differences.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

SN_EPS = 1e-12
SN_INIT_ITERATIONS = 15         # what the Java layers run once at construction


def sn(layer):
    """``layer`` (nn.Linear / nn.Conv2d) with spectral normalisation of its weight, as the Java model does it."""
    return nn.utils.spectral_norm(layer, n_power_iterations=1, eps=SN_EPS)


def sn_linear(inp, out, bias=True):
    return sn(nn.Linear(inp, out, bias=bias))


def sn_conv(inp, out, kernel, stride=1, padding=None, bias=True):
    return sn(nn.Conv2d(inp, out, kernel, stride=stride, padding=kernel // 2 if padding is None else padding,
                        bias=bias))


@torch.no_grad()
def refresh_spectral_norms(module, iterations=SN_INIT_ITERATIONS):
    """Runs ``iterations`` power iterations on every spectrally normalised weight under ``module`` (e.g. after
    re-initialising weights), like the Java layers at construction."""
    for m in module.modules():
        if hasattr(m, "weight_orig") and hasattr(m, "weight_u"):
            w = m.weight_orig.reshape(m.weight_orig.shape[0], -1)
            u, v = m.weight_u, m.weight_v
            for _ in range(iterations):
                v.copy_(F.normalize(w.t().mv(u), dim=0, eps=SN_EPS))
                u.copy_(F.normalize(w.mv(v), dim=0, eps=SN_EPS))


class ConditionalBatchNorm(nn.Module):
    """BigGAN's ccbn: ``bn(x) * (1 + gain(y)) + bias(y)``; gain and bias are SN linear maps without bias terms, bn a
    BatchNorm2d without affine parameters."""

    def __init__(self, channels, input_dim):
        super().__init__()
        self.gain = sn_linear(input_dim, channels, bias=False)
        self.bias = sn_linear(input_dim, channels, bias=False)
        self.bn = nn.BatchNorm2d(channels, affine=False, momentum=0.1, eps=1e-5)

    def forward(self, x, y):                                          # x [B, C, H, W], y [B, input_dim]
        b = x.shape[0]
        g = (self.gain(y) + 1.0).view(b, -1, 1, 1)                    # [B, C, 1, 1]
        s = self.bias(y).view(b, -1, 1, 1)                            # [B, C, 1, 1]
        return self.bn(x) * g + s


class SelfAttention(nn.Module):
    """SAGAN/BigGAN self-attention: theta, phi, g, o are SN 1x1 convs (C -> C/8, C/8, C/2; C/2 -> C), phi and g
    max-pooled 2x2; output ``x + gamma * o(attention)`` with gamma initialised to 0."""

    def __init__(self, channels):
        super().__init__()
        self.channels = channels
        self.theta = sn_conv(channels, channels // 8, 1, padding=0, bias=False)
        self.phi = sn_conv(channels, channels // 8, 1, padding=0, bias=False)
        self.g = sn_conv(channels, channels // 2, 1, padding=0, bias=False)
        self.o = sn_conv(channels // 2, channels, 1, padding=0, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):                                             # [B, C, H, W]
        b, c, h, w = x.shape
        n = h * w
        th = self.theta(x).reshape(b, c // 8, n)                      # [B, C/8, HW]
        ph = F.max_pool2d(self.phi(x), 2, 2).reshape(b, c // 8, n // 4)   # [B, C/8, HW/4]
        gg = F.max_pool2d(self.g(x), 2, 2).reshape(b, c // 2, n // 4)     # [B, C/2, HW/4]
        beta = torch.softmax(torch.bmm(th.transpose(1, 2), ph), -1)   # [B, HW, HW/4]
        attn = torch.bmm(gg, beta.transpose(1, 2)).view(b, c // 2, h, w)  # [B, C/2, H, W]
        return x + self.o(attn) * self.gamma
