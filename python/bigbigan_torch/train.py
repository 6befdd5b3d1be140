"""The training step of the Java trainers (trainer/step/BigBiganTrainer.java, BiganTrainer.java), in PyTorch.

One step = ``dStepsPerGStep`` D updates (each on its own batch and fresh z, E and G forward without gradients but
in training mode) and one joint E/G update on the last batch and z; D scores every (real, fake) pair in one
forward of the concatenated batch; Adam per network (``torch.optim.Adam``); then the EMA of G and E (copy before
``ema.startStep``, else ``lerp(ema, live, 1 - decay)`` of the parameters and a copy of the buffers).

The noise is passed in (``zs`` per D update, ``eps`` per E forward: one per D update, then one for the E/G update),
so a step can replay exactly what the Java trainer drew; ``Trainer.draw`` makes fresh noise for standalone use.
"""
import contextlib

import torch
import torch.nn.functional as F

from .model import Model, model_kind, sample_latent, training_parts


def hinge_d(s_real, s_fake):
    return F.relu(1.0 - s_real).mean() + F.relu(s_fake + 1.0).mean()


def hinge_eg(s_real, s_fake):
    return s_real.mean() - s_fake.mean()


def log_d(s_real, s_fake):
    return F.softplus(-s_real).mean() + F.softplus(s_fake).mean()


def log_eg(s_real, s_fake):
    return F.softplus(s_real).mean() + F.softplus(-s_fake).mean()


_HEADS = {"full": ("sx", "sz", "sxz"), "joint_only": ("sxz",), "x_unary": ("sx", "sxz"),
          "z_unary": ("sz", "sxz"), "no_encoder": ("sx",)}


def grad_norm(module):
    """sqrt(sum ||grad||^2) over the parameters that have a gradient (0 when none has)."""
    sq = [p.grad.detach().norm() ** 2 for p in module.parameters() if p.grad is not None]
    return torch.stack(sq).sum().sqrt().item() if sq else 0.0


def _accuracy(s_real, s_fake):
    """Fraction of pairs D classifies correctly: s_real > 0 and s_fake < 0, averaged."""
    return ((s_real > 0).float().mean().item() + (s_fake < 0).float().mean().item()) / 2


class Trainer:
    """Optimisers and the step of a ``Model`` built with its training parts (``G, E, D`` [+ ``G_ema, E_ema``]).

    ``precision`` (default: the configuration's) ``bf16`` runs the forward passes under CPU/CUDA autocast (fp32
    master weights and losses), ``fp64`` everything in float64, like the Java ``--precision``."""

    def __init__(self, model, precision=None):
        self.model = model
        self.config = model.config
        t = self.config["train"]
        self.precision = precision or t.get("precision", "fp32")
        if self.precision == "fp64":
            model.double()
        o = t["optim"]
        betas = (o["beta1"], o["beta2"])
        self.opt_d = torch.optim.Adam(model.D.parameters(), lr=o["lrD"], betas=betas, eps=o["eps"])
        self.opt_g = torch.optim.Adam(model.G.parameters(), lr=o["lrG"], betas=betas, eps=o["eps"])
        self.opt_e = torch.optim.Adam(model.E.parameters(), lr=o["lrE"], betas=betas, eps=o["eps"])
        self.mlp = model_kind(self.config) == "bigan-mlp"
        self.objective = t.get("objective", "full")
        if t.get("accumulation", 1) != 1 or t.get("orthoReg", 0.0) != 0.0:
            raise ValueError("the twin's step implements accumulation 1 and orthoReg 0")
        self.heads = ("sxz",) if self.mlp else _HEADS[self.objective]
        self.use_e = self.objective != "no_encoder"
        self.dtype = torch.float64 if self.precision == "fp64" else torch.float32
        self.step_count = 0
        model.train()
        for p in ("G_ema", "E_ema"):          # the copies are only read (sampling, evaluation), as in Java
            if hasattr(model, p):
                getattr(model, p).eval()

    @classmethod
    def fresh(cls, config, seed=0, precision=None):
        """A trainer of a freshly initialised model (seeded)."""
        torch.manual_seed(seed)
        return cls(Model(config, training_parts(config)), precision)

    def draw(self, batch, generator=None):
        """Fresh noise for one step: (zs, eps) from the prior and N(0, I)."""
        d = self.config["train"]["dStepsPerGStep"]
        zs = [sample_latent(self.config, batch, 0.0, generator) for _ in range(d)]
        if self.mlp:
            return zs, []
        z_dim = self.config["model"]["encoder"]["zDim"]
        return zs, [torch.randn(batch, z_dim, generator=generator) for _ in range(d + 1)]

    def _autocast(self, x):
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(device_type=x.device.type, dtype=torch.bfloat16)

    def _scores(self, x, gz, ez, z):
        """D's scores of (real, fake) pairs in one pass, split into halves, in float32 (float64 under fp64)."""
        m, b = self.model, x.shape[0]
        xs = torch.cat([x, gz.to(x.dtype)], 0)
        if self.mlp:
            s = m.D(xs, torch.cat([ez.to(z.dtype), z], 0)).to(self.dtype)
            return {"sxz": s[:b]}, {"sxz": s[b:]}
        if not self.use_e:
            s = m.D.F.score_of(m.D.F.features(xs)).to(self.dtype)
            return {"sx": s[:b]}, {"sx": s[b:]}
        s = m.D(xs, torch.cat([ez.to(z.dtype), z], 0))
        real = {k: getattr(s, k).to(self.dtype)[:b] for k in ("sx", "sz", "sxz")}
        fake = {k: getattr(s, k).to(self.dtype)[b:] for k in ("sx", "sz", "sxz")}
        return real, fake

    def _loss(self, real, fake, d_loss):
        if self.mlp and self.config["train"]["loss"] == "log":
            f = log_d if d_loss else log_eg
        else:
            f = hinge_d if d_loss else hinge_eg
        total = None
        for h in self.heads:
            t = f(real[h], fake[h])
            total = t if total is None else total + t
        return total

    def _encode(self, x, eps):
        out = self.model.E(x) if self.mlp else self.model.E(x, eps=eps)
        return out if self.mlp else out.z

    def step(self, batches, zs, eps=()):
        """One training step on ``batches`` (one network-input batch per D update), with latents ``zs`` (one per D
        update; the E/G update reuses the last) and posterior noise ``eps`` (one per E forward). Returns the
        metrics the Java trainer reports: ``loss_d`` (last D update), ``loss_eg``, ``acc_d``, ``grad_norm_d`` (last
        D update), ``grad_norm_g``, ``grad_norm_e``, and for BigBiGAN ``loss_d_<head>``, ``e_sigma_mean/min``."""
        m = self.model
        d_steps = self.config["train"]["dStepsPerGStep"]
        batches, zs, eps = ([t.to(self.dtype) for t in ts] for ts in (batches, zs, eps))
        metrics = {}
        x = z = None
        for k in range(d_steps):
            x, z = batches[k], zs[k]
            with self._autocast(x):
                with torch.no_grad():
                    ez = self._encode(x, eps[k] if not self.mlp else None) if self.use_e else None
                    gz = m.G(z)
                real, fake = self._scores(x, gz, ez, z)
                loss = self._loss(real, fake, True)
            self.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            metrics["loss_d"] = loss.item()
            metrics["grad_norm_d"] = grad_norm(m.D)
            h = "sxz" if self.use_e else "sx"
            metrics["acc_d"] = _accuracy(real[h], fake[h])
            for head in real:                         # per-head diagnostics, as in metrics.jsonl
                metrics["acc_d_" + head] = _accuracy(real[head], fake[head])
                metrics["loss_d_" + head] = loss.item() if self.mlp else \
                    hinge_d(real[head].detach(), fake[head].detach()).item()
            self.opt_d.step()
        m.D.requires_grad_(False)
        try:
            with self._autocast(x):
                ez = None
                if self.use_e:
                    if self.mlp:
                        ez = m.E(x)
                    else:
                        out = m.E(x, eps=eps[d_steps])
                        ez = out.z
                        if out.sigma is not None:
                            metrics["e_sigma_mean"] = out.sigma.detach().float().mean().item()
                            metrics["e_sigma_min"] = out.sigma.detach().float().min().item()
                gz = m.G(z)
                real, fake = self._scores(x, gz, ez, z)
                loss = self._loss(real, fake, False)
            self.opt_e.zero_grad(set_to_none=True)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            metrics["loss_eg"] = loss.item()
            if self.use_e:
                metrics["grad_norm_e"] = grad_norm(m.E)
            metrics["grad_norm_g"] = grad_norm(m.G)
            if self.use_e:
                self.opt_e.step()
            self.opt_g.step()
        finally:
            m.D.requires_grad_(True)
        self.step_count += 1
        self._update_ema()
        return metrics

    @torch.no_grad()
    def _update_ema(self):
        ema = self.config["train"].get("ema", {})
        if not ema.get("enabled", False):
            return
        for p in ("G", "E"):
            live, copy = getattr(self.model, p), getattr(self.model, p + "_ema")
            if self.step_count < ema["startStep"]:
                copy.load_state_dict(live.state_dict())
                continue
            for a, b in zip(copy.parameters(), live.parameters()):
                a.lerp_(b, 1.0 - ema["decay"])
            for a, b in zip(copy.buffers(), live.buffers()):
                a.copy_(b)
