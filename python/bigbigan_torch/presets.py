"""The named presets, as the configuration JSON the Java ``Presets`` writes (``./bigbigan presets --json``). Only
needed for files without metadata (e.g. a state dict saved by plain PyTorch); every bigbigan file carries its own
configuration. The Java test ``PyTorchTwinTest`` checks that these equal the Java presets.
"""

NAMES = ["bigan-mlp", "bigbigan-32", "bigbigan-32-narrow", "bigbigan-32-rgb", "bigbigan-64", "bigbigan-128", "bigbigan-128-e256",
         "bigbigan-revnet4x"]

_G_ARCH = {32: ([4, 4, 4], [4, 4, 4]), 64: ([16, 16, 8, 4], [16, 8, 4, 2]),
           128: ([16, 16, 8, 4, 2], [16, 8, 4, 2, 1]), 256: ([16, 16, 8, 8, 4, 2], [16, 8, 8, 4, 2, 1])}
_D_ARCH = {32: ([4, 4, 4, 4], [True, True, False, False]), 64: ([1, 2, 4, 8, 16], [True] * 4 + [False]),
           128: ([1, 2, 4, 8, 16, 16], [True] * 5 + [False]), 256: ([1, 2, 4, 8, 8, 16, 16], [True] * 6 + [False])}


def generator(resolution, ch, z_dim, channels, attention, shared, classes=1):
    ins, outs = _G_ARCH[resolution]
    blocks, res = [], 4
    for i, o in zip(ins, outs):
        res *= 2
        blocks.append({"in": i * ch, "out": o * ch, "upsample": True, "resolution": res})
    return {"ch": ch, "zDim": z_dim, "imageChannels": channels, "bottomWidth": 4, "blocks": blocks,
            "attentionResolution": attention, "sharedEmbedDim": shared, "numClasses": classes}


def encoder(kind, width, resolution, channels, small, head_width, head_blocks, z_dim, depths,
            posterior="GAUSSIAN"):
    return {"kind": kind, "widthMultiplier": width, "resolution": resolution, "imageChannels": channels,
            "smallChannels": small, "headWidth": head_width, "headBlocks": head_blocks, "zDim": z_dim,
            "posterior": posterior, "depths": list(depths)}


def discriminator(resolution, ch, channels, attention, z_dim, h_width, h_blocks, j_width, j_blocks):
    outs, down = _D_ARCH[resolution]
    blocks, cin, r = [], channels, resolution
    for i, (o, d) in enumerate(zip(outs, down)):
        if d:
            r //= 2
        blocks.append({"in": cin, "out": o * ch, "downsample": d, "preactivation": i > 0, "resolution": r})
        cin = o * ch
    return {"imageChannels": channels, "resolution": resolution, "ch": ch, "fBlocks": blocks,
            "attentionResolution": attention, "zDim": z_dim, "hWidth": h_width, "hBlocks": h_blocks,
            "jWidth": j_width, "jBlocks": j_blocks}


def _train(batch, d_steps, loss, lr_d, lr_g, lr_e, beta1, beta2, ema):
    return {"batchSize": batch, "dStepsPerGStep": d_steps, "loss": loss,
            "optim": {"lrD": lr_d, "lrG": lr_g, "lrE": lr_e, "beta1": beta1, "beta2": beta2, "eps": 1e-8},
            "ema": ema, "objective": "full", "orthoReg": 0.0, "precision": "fp32", "accumulation": 1}


def _bigbigan(name, g, e, d, batch, ema_start):
    return {"preset": name, "model": {"kind": "bigbigan", "generator": g, "encoder": e, "discriminator": d},
            "train": _train(batch, 2, "hinge", 2e-4, 5e-5, 5e-4, 0.0, 0.999,
                            {"enabled": True, "decay": 0.9999, "startStep": ema_start})}


def get(name):
    """The run configuration (a dict shaped like the JSON in a checkpoint's metadata) of preset ``name``."""
    resnet50 = ("RESNET_V2_50", 1, None, 3, 0, 4096, 2, 120, [3, 4, 6, 3])
    if name == "bigan-mlp":
        return {"preset": name, "model": {"kind": "bigan-mlp", "imageDim": 784, "latentDim": 50, "hidden": 1024,
                                          "leak": 0.2},
                "train": _train(128, 1, "log", 2e-4, 2e-4, 2e-4, 0.5, 0.999,
                                {"enabled": False, "decay": 0.9999, "startStep": 0})}
    if name in ("bigbigan-32", "bigbigan-32-narrow", "bigbigan-32-rgb"):
        c = 3 if name.endswith("rgb") else 1
        ch = 16 if name.endswith("narrow") else 32
        return _bigbigan(name, generator(32, ch, 120, c, 0, 0),
                         encoder("RESNET_SMALL", 1, 32, c, ch, 256, 2, 120, [1, 1, 1, 1]),
                         discriminator(32, ch, c, 0, 120, 256, 2, 256, 2), 128, 2000)
    if name == "bigbigan-64":
        e = list(resnet50)
        e[2] = 64
        return _bigbigan(name, generator(64, 64, 120, 3, 32, 128), encoder(*e),
                         discriminator(64, 64, 3, 32, 120, 1024, 2, 1024, 2), 256, 10000)
    if name in ("bigbigan-128", "bigbigan-128-e256", "bigbigan-revnet4x"):
        e = list(resnet50)
        e[2] = 128 if name == "bigbigan-128" else 256
        if name == "bigbigan-revnet4x":
            e[0], e[1] = "REVNET_50", 4
        return _bigbigan(name, generator(128, 96, 120, 3, 64, 128), encoder(*e),
                         discriminator(128, 96, 3, 64, 120, 2048, 4, 2048, 4), 2048, 20000)
    raise ValueError(f"unknown preset '{name}' (known: {', '.join(NAMES)})")
