"""Checks that an exported state dict (bigbigan convert BUNDLE OUT.safetensors) uses PyTorch's layer layouts:
every spectrally normalised layer loads strictly into torch.nn.utils.spectral_norm(nn.Linear / nn.Conv2d) with the
same evaluation-mode weight W / (u . W v), and every batch norm into nn.BatchNorm2d.

Usage: python docs/check_export.py model.safetensors   (needs torch and safetensors)
"""
import sys
import torch, torch.nn as nn
from safetensors.torch import load_file
sd = load_file(sys.argv[1])
prefixes = sorted({k[:-len(".weight_orig")] for k in sd if k.endswith(".weight_orig")})
ok = 0
for p in prefixes:
    w = sd[p + ".weight_orig"]; has_bias = (p + ".bias") in sd
    layer = nn.Linear(w.shape[1], w.shape[0], bias=has_bias) if w.dim() == 2 else \
        nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], bias=has_bias)
    layer = nn.utils.spectral_norm(layer)
    sub = {k[len(p) + 1:]: v for k, v in sd.items() if k.startswith(p + ".") and k[len(p) + 1:] in ("weight_orig", "weight_u", "weight_v", "bias")}
    layer.load_state_dict(sub, strict=True); layer.eval()
    # eval-mode weight = W / (u . W v), as in Java
    w2 = w.reshape(w.shape[0], -1); sigma = torch.dot(sd[p + ".weight_u"], w2 @ sd[p + ".weight_v"])
    layer(torch.zeros(1, w.shape[1]) if w.dim() == 2 else torch.zeros(1, w.shape[1], 8, 8))
    assert torch.allclose(layer.weight, w / sigma, atol=1e-6), p
    ok += 1
bns = sorted({k[:-len(".running_mean")] for k in sd if k.endswith(".running_mean")})
for p in bns:
    affine = (p + ".weight") in sd; n = sd[p + ".running_mean"].shape[0]
    bn = nn.BatchNorm2d(n, affine=affine)
    bn.load_state_dict({k[len(p) + 1:]: v for k, v in sd.items() if k.startswith(p + ".") and k.count(".") == p.count(".") + 1}, strict=True)
print(f"{ok} spectral-norm layers and {len(bns)} batch norms load strictly into torch.nn layers; {len(sd)} tensors")
