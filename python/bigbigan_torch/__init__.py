"""bigbigan_torch: a PyTorch twin of bigbigan-java's models, for using its weights from Python and for checking,
on every commit, that the Java trainer computes what PyTorch computes (docs/pytorch-twin.md).

    from bigbigan_torch import load
    model = load("model.safetensors")      # checkpoint, bundle or exported state dict; strict names and shapes
    out = model.E(x)                        # BigBiGAN: out.mu, out.sigma, out.pooled (x in [-1, 1], see prepare)

Depends on torch only (the safetensors reader/writer is built in: see safetensors.py).
"""
from .model import (Model, build_part, load, prepare, preprocessing_for, sample_latent, state_dict_for_bundle,
                    training_parts, truncated_normal, truncated_uniform)
from .safetensors import load_file, read, save_file
from .train import Trainer

__all__ = ["Model", "Trainer", "build_part", "load", "load_file", "prepare", "preprocessing_for", "read",
           "sample_latent", "save_file", "state_dict_for_bundle", "training_parts", "truncated_normal",
           "truncated_uniform"]
