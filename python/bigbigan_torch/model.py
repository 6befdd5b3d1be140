"""Whole models built from a run configuration, and loading bigbigan files.

A training checkpoint (``step-N.safetensors``) holds ``G.*``, ``E.*``, ``D.*`` and, with EMA, ``G_ema.*`` and
``E_ema.*``; an inference bundle or exported state dict holds ``G.*`` and ``E.*``. ``Model`` has exactly the children
a file needs, so ``load_state_dict(strict=True)`` checks every name and shape.
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import bigbigan, mlp, presets
from .layers import refresh_spectral_norms
from .safetensors import read

PARTS = ("G", "E", "D", "G_ema", "E_ema")


def model_kind(config):
    """``bigan-mlp`` or ``bigbigan`` (configurations of format 1 have no kind and are BiGAN MLPs)."""
    return config["model"].get("kind", "bigan-mlp")


def build_part(config, part, orthogonal_init=True):
    """One network of ``config`` (a run configuration dict): ``G``, ``E`` or ``D`` (``G_ema``/``E_ema`` are G/E)."""
    m, base = config["model"], part.split("_")[0]
    if model_kind(config) == "bigan-mlp":
        return {"G": mlp.MlpGenerator, "E": mlp.MlpEncoder, "D": mlp.MlpJointDiscriminator}[base](m)
    if base == "G":
        return bigbigan.BigGanGenerator(m["generator"], orthogonal_init=orthogonal_init)
    if base == "E":
        return bigbigan.StochasticEncoder(m["encoder"])
    if base == "D":
        return bigbigan.JointDiscriminator(m["discriminator"])
    raise ValueError(f"unknown network {part}")


class Model(nn.Module):
    """The networks of one configuration as children ``G``, ``E`` and optionally ``D``, ``G_ema``, ``E_ema``.

    Attributes: ``config`` (the run configuration dict), ``metadata`` (the file's, when loaded),
    ``preprocessing`` (dict, when known). ``orthogonal_init`` initialises a fresh model as the Java trainer does
    (orthogonal G, spectral-norm vectors refined); ``load`` skips it since the file's weights replace it."""

    def __init__(self, config, parts=("G", "E"), orthogonal_init=True):
        super().__init__()
        self.config = config
        self.metadata = {}
        self.preprocessing = None
        for p in PARTS:
            if p in parts:
                setattr(self, p, build_part(config, p, orthogonal_init and not p.endswith("_ema")))
        if orthogonal_init and "D" in parts:
            refresh_spectral_norms(self.D)    # as the Java layers: 15 power iterations for a fresh weight
        for p in ("G", "E"):          # EMA copies start equal to the live networks, as in Java
            if p in parts and p + "_ema" in parts:
                getattr(self, p + "_ema").load_state_dict(getattr(self, p).state_dict())

    @property
    def kind(self):
        return model_kind(self.config)


def training_parts(config):
    """The children of a training checkpoint of ``config``."""
    ema = config["train"].get("ema", {}).get("enabled", False)
    return PARTS if ema else PARTS[:3]


def config_of(metadata, preset=None):
    """The run configuration dict from a file's metadata, or of ``preset`` for files without one."""
    if "config" in metadata:
        config = json.loads(metadata["config"])
        if preset is not None and config.get("preset") != preset:
            raise ValueError(f"file holds preset {config.get('preset')}, not {preset}")
        return config
    if preset is None:
        raise ValueError("no configuration in the file's metadata; name the preset")
    return presets.get(preset)


def preprocessing_for(config, image_size=0):
    """Java ``Preprocessing.forModel``: how [0, 1] images of side ``image_size`` become network inputs."""
    m = config["model"]
    if model_kind(config) == "bigan-mlp":
        side = round(m["imageDim"] ** 0.5)
        return {"imageSize": side, "channels": 1, "inputMin": 0.0, "inputMax": 1.0, "toNetwork": "flatten",
                "networkSize": side}
    r = m["generator"]["blocks"][-1]["resolution"]
    size = image_size if image_size > 0 else r
    pad = size < r and (r - size) % 2 == 0
    return {"imageSize": size, "channels": m["generator"]["imageChannels"], "inputMin": -1.0, "inputMax": 1.0,
            "toNetwork": "pad" if pad else "resize", "networkSize": r}


def prepare(images, preprocessing):
    """Images [B, C, S, S] in [0, 1] -> network inputs, as the Java trainer and library do (``flatten`` for the
    MLP; ``pad`` with 0 / ``resize`` bilinearly to ``networkSize``, then map to [inputMin, inputMax])."""
    if preprocessing["toNetwork"] == "flatten":
        return images.flatten(1)
    r = preprocessing["networkSize"]
    h, w = images.shape[2], images.shape[3]
    if h < r and w < r and (r - h) % 2 == 0 and (r - w) % 2 == 0:
        ph, pw = (r - h) // 2, (r - w) // 2
        images = F.pad(images, (pw, pw, ph, ph), value=0.0)
    elif h != r or w != r:
        images = F.interpolate(images, size=(r, r), mode="bilinear", align_corners=False)
    lo, hi = preprocessing["inputMin"], preprocessing["inputMax"]
    return images * (hi - lo) + lo if (lo, hi) != (-1.0, 1.0) else images * 2.0 - 1.0


def load(path, preset=None, strict=True):
    """Loads a bigbigan file -- training checkpoint, inference bundle or exported state dict (``.safetensors``) --
    into a ``Model`` in evaluation mode (float32, or float64 for a float64 file), checking every name and shape
    (``strict``). Files without a configuration
    in their metadata (saved by plain PyTorch) need ``preset``."""
    tensors, metadata = read(path)
    config = config_of(metadata, preset)
    present = {k.split(".", 1)[0] for k in tensors}
    unknown = present - set(PARTS)
    if unknown and strict:
        raise ValueError(f"{path}: unexpected top-level names {sorted(unknown)}")
    model = Model(config, tuple(p for p in PARTS if p in present), orthogonal_init=False)
    floats = [t.dtype for t in tensors.values() if t.is_floating_point()]
    if floats and floats[0] == torch.float64:
        model.double()                                  # a float64 file (--precision fp64) keeps every digit
    model.load_state_dict(tensors, strict=strict)
    model.metadata = metadata
    model.preprocessing = json.loads(metadata["preprocessing"]) if "preprocessing" in metadata \
        else preprocessing_for(config)
    return model.eval()


def state_dict_for_bundle(model, ema=False):
    """``G.*`` and ``E.*`` (from ``G_ema``/``E_ema`` when ``ema``) as ``bigbigan convert`` expects them."""
    out = {}
    for p in ("G", "E"):
        src = getattr(model, p + "_ema" if ema else p)
        for k, v in src.state_dict().items():
            out[f"{p}.{k}"] = v
    return out


# --------------------------------------------------------------------------------------------------- latents

def truncated_normal(n, dim, truncation=0.0, generator=None):
    """N(0, I) [n, dim]; with ``truncation`` t > 0, values outside [-t, t] are re-drawn (BigGAN's truncation
    trick). Draws exactly like the Java ``Latents.truncatedNormal``, so the same seed gives the same z."""
    if truncation != truncation or 0 < truncation < 0.05:
        raise ValueError(f"truncation must be 0 (none) or at least 0.05, got {truncation}")
    z = torch.randn(n, dim, generator=generator)
    if truncation <= 0 or truncation == float("inf"):
        return z
    for _ in range(10_000):
        outside = z.abs() > truncation
        if not outside.any():
            return z
        z = torch.where(outside, torch.randn(n, dim, generator=generator), z)
    raise RuntimeError(f"truncation {truncation} did not converge")


def truncated_uniform(n, dim, truncation=0.0, generator=None):
    """Uniform on [-t, t] (t in (0, 1]; 0 means 1), [n, dim]: BiGAN's prior, as Java ``Latents.truncatedUniform``."""
    if truncation != truncation or 0 < truncation < 0.05:
        raise ValueError(f"truncation must be 0 (none) or at least 0.05, got {truncation}")
    r = 1.0 if truncation <= 0 or truncation > 1 else truncation
    return torch.rand(n, dim, generator=generator) * (2 * r) - r


def sample_latent(config, n, truncation=0.0, generator=None):
    """The prior of ``config``'s model: uniform for the BiGAN MLP, normal for BigBiGAN."""
    if model_kind(config) == "bigan-mlp":
        return truncated_uniform(n, config["model"]["latentDim"], truncation, generator)
    return truncated_normal(n, config["model"]["generator"]["zDim"], truncation, generator)
