"""Equivalence checks of the twin against files the Java side wrote (run by tests/.../twin/PyTorchTwinTest.java).

    python3 -m bigbigan_torch.checks presets FILE.json         Python presets == the Java presets
    python3 -m bigbigan_torch.checks forward DIR --tol 1e-5     E, G, D outputs of a Java checkpoint; bundle/export
    python3 -m bigbigan_torch.checks step DIR --tol 1e-4        one training step replayed from the Java inputs
    python3 -m bigbigan_torch.checks twin-export DIR PRESET     a twin-trained G/E state dict + its features
    python3 -m bigbigan_torch.checks load FILE...               strict loading only
    python3 -m bigbigan_torch.checks shapes FILE.json...        G, E, D names and shapes == the Java ones

Each check writes DIR/report.json: a list of {"name", "rel", "tol"}. ``rel`` is the relative difference
max|twin - java| / max|java| over a tensor (for a group of tensors, the worst tensor's), |a - b| / max(|a|, |b|) for
scalars; ``tol`` 0 marks checks that must be exact. The Java test asserts rel <= tol for every entry.
"""
import argparse
import json
import os
import sys

import torch

from . import presets
from .model import Model, load, prepare, preprocessing_for, sample_latent, training_parts, truncated_normal
from .safetensors import read, save_file
from .train import Trainer


def rel(a, b):
    """max|a - b| / max|b| of two tensors (0 for two empty or all-zero ones)."""
    a, b = a.detach().double(), b.detach().double()
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    if a.numel() == 0:
        return 0.0
    d = (a - b).abs().max().item()
    scale = b.abs().max().item()
    return d / scale if scale > 0 else d


def rel_scalar(a, b):
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


class Report:
    def __init__(self, tol):
        self.tol, self.rows = tol, []

    def add(self, name, value, tol=None):
        self.rows.append({"name": name, "rel": float(value), "tol": self.tol if tol is None else tol})

    def group(self, name, twin, java, keys, tol=None):
        """One row for the worst of ``keys`` (twin[k] vs java[k]), naming that key."""
        worst, at = 0.0, ""
        for k in keys:
            r = rel(twin[k], java[k])
            if r >= worst:
                worst, at = r, k
        self.add(f"{name} (worst: {at}, {len(keys)} tensors)", worst, tol)

    def write(self, directory):
        width = max(len(r["name"]) for r in self.rows)
        for r in self.rows:
            ok = "ok" if r["rel"] <= r["tol"] else "FAIL"
            print(f"{r['name']:<{width}}  rel {r['rel']:.3e}  tol {r['tol']:.0e}  {ok}")
        with open(os.path.join(directory, "report.json"), "w") as f:
            json.dump(self.rows, f, indent=1)


def _gen(seed):
    return torch.Generator().manual_seed(int(seed))


def _canonical(x):
    """JSON values with numbers as floats, for comparing Java's and Python's configurations."""
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_canonical(v) for v in x]
    if isinstance(x, bool) or isinstance(x, str):
        return x
    return float(x)


# ------------------------------------------------------------------------------------------------------ presets

def check_presets(path):
    with open(path) as f:
        java = json.load(f)
    bad = [n for n in presets.NAMES if _canonical(presets.get(n)) != _canonical(java.get(n))]
    missing = sorted(set(java) - set(presets.NAMES))
    for n in bad:
        print(f"preset {n} differs:\n  python {json.dumps(presets.get(n))}\n  java   {json.dumps(java.get(n))}")
    if bad or missing:
        print(f"presets unknown to the twin: {missing}" if missing else "")
        sys.exit(1)
    print(f"{len(presets.NAMES)} presets equal the Java presets")


# ------------------------------------------------------------------------------------------------------ forward

def _forward(model, inputs, truncated):
    """The forward sequence of the Java test: eval mode, then training mode (buffers update), same order."""
    out = {}
    dtype = next(model.parameters()).dtype
    inputs = {k: v.to(dtype) for k, v in inputs.items()}
    x, z, truncated = inputs["x"], inputs["z"], truncated.to(dtype)
    mlp = model.kind == "bigan-mlp"
    for mode in ("eval", "train"):
        model.train(mode == "train")
        with torch.no_grad():
            if mlp:
                ez, hidden = model.E.encode(x)
                out[f"{mode}.E.z"], out[f"{mode}.E.hidden"] = ez, hidden
                out[f"{mode}.G"] = model.G(z)
                out[f"{mode}.G.trunc"] = model.G(truncated)
                out[f"{mode}.D"] = model.D(x, z)
            else:
                e = model.E(x, eps=inputs["eps"])
                for k in ("z", "mu", "sigma", "pooled"):
                    out[f"{mode}.E.{k}"] = getattr(e, k)
                out[f"{mode}.G"] = model.G(z)
                out[f"{mode}.G.trunc"] = model.G(truncated)
                s = model.D(x, z)
                for k in ("sx", "sz", "sxz"):
                    out[f"{mode}.D.{k}"] = getattr(s, k)
    model.eval()
    return out


def check_forward(d, tol):
    report = Report(tol)
    inputs, meta = read(os.path.join(d, "inputs.safetensors"))
    java, _ = read(os.path.join(d, "java.safetensors"))
    after, _ = read(os.path.join(d, "java_after.safetensors"))
    model = load(os.path.join(d, "checkpoint.safetensors"))          # strict: every name and shape
    config = model.config
    n = inputs["x"].shape[0]
    # the samplers draw what Java draws from the same seeds
    report.add("z ~ prior, same seed", rel(sample_latent(config, n, 0.0, _gen(meta["z_seed"])), inputs["z"]), 0)
    t = float(meta["truncation"])
    report.add(f"z ~ prior truncated at {t}, same seed",
               rel(sample_latent(config, n, t, _gen(meta["trunc_seed"])), inputs["z_trunc"]), 0)
    if "eps" in inputs:
        report.add("eps ~ N(0, I), same seed", rel(torch.randn(inputs["eps"].shape, generator=_gen(meta["eps_seed"])),
                                                  inputs["eps"]), 0)
    out = _forward(model, inputs, inputs["z_trunc"])
    for mode in ("eval", "train"):
        for k in sorted(k for k in java if k.startswith(mode + ".")):
            report.add(f"forward {k}", rel(out[k], java[k]))
    state = model.state_dict()
    buffers = [k for k in after]
    report.group("buffers after the training-mode forwards (BN statistics, SN u/v)", state, after, buffers)
    # the inference bundle and its exported state dict: strict loads, library features, identical weights
    bundle, export = load(os.path.join(d, "model.bundle")), load(os.path.join(d, "export.safetensors"))
    lib, _ = read(os.path.join(d, "library.safetensors"))
    feats = {}
    for name, m in (("bundle", bundle), ("export", export)):
        with torch.no_grad():
            x = prepare(lib["pixels"].to(next(m.parameters()).dtype), m.preprocessing)
            if m.kind == "bigan-mlp":
                feats[name] = dict(zip(("latent", "pooled"), m.E.encode(x)))
            else:
                e = m.E(x)
                feats[name] = {"latent": e.mu, "pooled": e.pooled}
    for k in ("latent", "pooled"):
        report.add(f"library API encode ({k}) vs twin on the bundle", rel(feats["bundle"][k], lib[k]))
        report.add(f"exported state dict == bundle ({k})", rel(feats["export"][k], feats["bundle"][k]), 0)
    report.write(d)


# --------------------------------------------------------------------------------------------------------- step

FP32_G_GRAD_TOL = 1e-2      # fp32 only: G's gradient is resolved to ~1e-3 (ReLU kinks; docs/pytorch-twin.md)


def _replay(config, before, inputs, dtype):
    """The twin's step from ``before`` on the Java inputs, in ``dtype``: (model, metrics, gradients)."""
    model = Model(config, training_parts(config), orthogonal_init=False)
    model.to(dtype)                                   # before loading: keep every digit of float64 weights
    model.load_state_dict(before, strict=True)
    trainer = Trainer(model, precision="fp64" if dtype == torch.float64 else None)
    k = config["train"]["dStepsPerGStep"]
    eps = [inputs[f"eps{i}"] for i in range(k + 1)] if "eps0" in inputs else []
    metrics = trainer.step([inputs[f"x{i}"] for i in range(k)], [inputs[f"z{i}"] for i in range(k)], eps)
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return model, metrics, grads


def check_step(d, tol):
    """The Java step replayed by the twin: metrics, per-network gradients (D's last update, E and G's update), then
    weights and buffers after the step. Under fp64 (``--precision fp64`` on both sides) everything must agree
    within ``tol``. Under fp32 the comparison stops at the optimiser -- metrics, gradients, buffers -- with G's
    gradient within 1e-2, and the weights are only printed: Adam's first update is about lr * sign(grad) per element,
    so fp32 rounding of gradients at noise level (e.g. biases feeding a batch norm, whose exact gradient is 0)
    becomes +-lr; the update arithmetic is what the fp64 run checks (docs/pytorch-twin.md)."""
    report = Report(tol)
    before, meta = read(os.path.join(d, "before.safetensors"))
    inputs, _ = read(os.path.join(d, "inputs.safetensors"))
    after, _ = read(os.path.join(d, "after.safetensors"))
    jgrads, _ = read(os.path.join(d, "grads.safetensors"))
    with open(os.path.join(d, "metrics.json")) as f:
        java = json.load(f)
    config = json.loads(meta["config"])
    fp64 = config["train"].get("precision") == "fp64"
    model, twin, grads = _replay(config, before, inputs, torch.float64 if fp64 else torch.float32)
    g_tol = tol if fp64 else FP32_G_GRAD_TOL
    for key in sorted(java):
        if key in twin:
            report.add(f"step metric {key} ({twin[key]:.6g})", rel_scalar(twin[key], java[key]),
                       g_tol if key == "grad_norm_g" else None)
    missing = sorted(set(java) - set(twin))
    if missing:
        print(f"metrics the twin does not report: {missing}")
    if set(grads) != set(jgrads):
        raise SystemExit(f"parameters with gradients differ: {sorted(set(grads) ^ set(jgrads))[:5]}")
    for part in ("D", "G", "E"):
        keys = [k for k in grads if k.startswith(part + ".")]
        if keys:
            t = torch.cat([grads[k].double().flatten() for k in keys])
            j = torch.cat([jgrads[k].double().flatten() for k in keys])
            report.add(f"{part} gradient, L2 over the network", ((t - j).norm() / t.norm()).item(),
                       g_tol if part == "G" else None)
    state = model.state_dict()
    if set(state) != set(after):
        raise SystemExit(f"state names differ: {sorted(set(state) ^ set(after))[:5]}")
    params = dict(model.named_parameters())
    info = Report(tol)
    for part in ("D", "G", "E", "G_ema", "E_ema"):
        keys = [k for k in after if k.startswith(part + ".")]
        if not keys:
            continue
        pk = [k for k in keys if k in params]
        bk = [k for k in keys if k not in params]
        (report if fp64 else info).group(f"{part} weights after the step", state, after, pk)
        if bk:
            report.group(f"{part} buffers after the step", state, after, bk)
    report.write(d)
    if not fp64:
        print("fp32 weights after Adam's first update, for information (not asserted; see above):")
        for r in info.rows:
            print(f"  {r['name']}  rel {r['rel']:.3e}")


# -------------------------------------------------------------------------------------------------- twin export

def twin_export(d, preset, batch=8, seed=5):
    """A twin-initialised and twin-trained (one step on random data) model: its live G and E as a plain state
    dict without metadata (as ``safetensors.torch.save_file(model.state_dict())`` would write it), and E's
    evaluation-mode features of random [0, 1] images, for the Java side to convert and compare."""
    config = presets.get(preset)
    t = config["train"]
    if t["ema"]["enabled"]:
        t["ema"]["startStep"] = 0
        t["ema"]["decay"] = 0.5
    trainer = Trainer.fresh(config, seed)
    g = _gen(seed)
    pre = preprocessing_for(config, 28)
    side = pre["imageSize"]
    images = torch.rand(batch * t["dStepsPerGStep"], pre["channels"], side, side, generator=g)
    x = prepare(images, pre)
    zs, eps = trainer.draw(batch, g)
    batches = [x[i * batch:(i + 1) * batch] for i in range(t["dStepsPerGStep"])]
    trainer.step(batches, zs, eps)
    model = trainer.model.eval()
    sd = {f"{p}.{k}": v for p in ("G", "E") for k, v in getattr(model, p).state_dict().items()}
    save_file(sd, os.path.join(d, "twin.safetensors"))
    pixels = torch.rand(5, pre["channels"], side, side, generator=g)
    with torch.no_grad():
        xin = prepare(pixels, pre)
        if model.kind == "bigan-mlp":
            latent, pooled = model.E.encode(xin)
        else:
            e = model.E(xin)
            latent, pooled = e.mu, e.pooled
    save_file({"pixels": pixels, "latent": latent, "pooled": pooled}, os.path.join(d, "twin_features.safetensors"),
              {"image_size": str(side)})
    print(f"twin {preset}: {len(sd)} tensors written")


def check_shapes(paths):
    """The twin's G, E and D of each configuration have exactly the state names and shapes Java lists."""
    for path in paths:
        with open(path) as f:
            spec = json.load(f)
        model = Model(spec["config"], ("G", "E", "D"), orthogonal_init=False)
        twin = {k: list(v.shape) for k, v in model.state_dict().items()}
        count = sum(v.numel() for v in model.parameters())
        del model
        java = {k: list(v) for k, v in spec["shapes"].items()}
        bad = sorted(set(twin) ^ set(java)) + sorted(k for k in set(twin) & set(java) if twin[k] != java[k])
        if bad:
            print(f"{spec['config']['preset']}: {len(bad)} names or shapes differ, e.g. {bad[:5]}")
            sys.exit(1)
        print(f"{spec['config']['preset']}: {len(java)} names and shapes equal the Java model's ({count:,} parameters)")


def check_load(paths):
    for p in paths:
        m = load(p)
        print(f"{p}: {', '.join(n for n, _ in m.named_children())} loaded strictly "
              f"({sum(t.numel() for t in m.state_dict().values()):,} values)")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m bigbigan_torch.checks")
    ap.add_argument("what", choices=["presets", "forward", "step", "twin-export", "load", "shapes"])
    ap.add_argument("args", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.what == "presets":
        check_presets(a.args[0])
    elif a.what == "forward":
        check_forward(a.args[0], a.tol)
    elif a.what == "step":
        check_step(a.args[0], a.tol)
    elif a.what == "twin-export":
        twin_export(a.args[0], a.args[1])
    elif a.what == "shapes":
        check_shapes(a.args)
    else:
        check_load(a.args)


if __name__ == "__main__":
    main()
