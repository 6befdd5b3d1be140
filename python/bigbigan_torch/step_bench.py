"""Times the twin's full training step (the Java ``bench`` step: D updates, the E/G update, Adam, EMA), for
comparing PyTorch's speed with the Java trainer's on the same preset, batch, precision and threads.

    OMP_WAIT_POLICY=passive python3 -m bigbigan_torch.step_bench --preset bigbigan-32 --batch 32 --threads 2
    ... --precision bf16          # forward passes under CPU autocast, like ``bigbigan bench --precision bf16``

Prints one line per timed step and a last line ``median ms/step M`` (after ``--warmup`` untimed steps). Random
data and noise are drawn before timing. Run it with PyTorch at its best: ``OMP_WAIT_POLICY=passive`` and the same
threads as the Java run, alternating runs of the two.
"""
import argparse
import os
import statistics
import time

import torch

from . import presets
from .train import Trainer


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m bigbigan_torch.step_bench")
    ap.add_argument("--preset", default="bigan-mlp", choices=presets.NAMES)
    ap.add_argument("--batch", type=int, default=0, help="images per step (default: the preset's)")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp64"])
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if os.environ.get("OMP_WAIT_POLICY", "").lower() != "passive":
        print("note: OMP_WAIT_POLICY is not 'passive'; PyTorch's OpenMP threads spin and can run several times slower")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    config = presets.get(a.preset)
    batch = a.batch or config["train"]["batchSize"]
    config["train"]["batchSize"] = batch
    trainer = Trainer.fresh(config, a.seed, a.precision)
    g = torch.Generator().manual_seed(a.seed)
    m = config["model"]
    if trainer.mlp:
        shape = (batch, m["imageDim"])
    else:
        r = m["generator"]["blocks"][-1]["resolution"]
        shape = (batch, m["generator"]["imageChannels"], r, r)
    d = config["train"]["dStepsPerGStep"]
    times = []
    for i in range(a.warmup + a.steps):
        batches = [torch.rand(shape, generator=g) * (1 if trainer.mlp else 2) - (0 if trainer.mlp else 1)
                   for _ in range(d)]
        zs, eps = trainer.draw(batch, g)
        t0 = time.perf_counter()
        metrics = trainer.step(batches, zs, eps)
        ms = (time.perf_counter() - t0) * 1e3
        if i >= a.warmup:
            times.append(ms)
            print(f"step {i - a.warmup + 1}: {ms:.1f} ms  (loss D {metrics['loss_d']:.4f}, E/G {metrics['loss_eg']:.4f})")
    print(f"preset {a.preset}, batch {batch}, {a.precision}, threads {torch.get_num_threads()}, torch {torch.__version__}")
    print(f"median ms/step {statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
