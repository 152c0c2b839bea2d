"""Held-out loss: the training loss on fixed examples from photos the model never trained on.

    python -m palette_desktop.model.validation ../shared/data/val A/ema.pt B/ema.pt … [--size 128]

Every weights file is scored on the same examples (same crops, damage, noise and noise
levels), so two recipes or two rounds compare without the sampler's variance and in a
minute, where ``palette-desktop eval`` takes much longer: the quick measure for recipe
trials. The loss is L1 on x0 in [-1, 1] over the generated pixels, per task, at pure noise
(the first sampling step, which the app takes as the result for JPEG damage and fine
scratches) and at the middle noise level. ``eval`` stays the judge of what ships.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from palette_desktop.model.data import DamagedBatches, load_photos
from palette_desktop.model.torch_conditions import TASK_CODES
from palette_desktop.model.train import Batch, load_ema, schedule_gamma
from palette_desktop.model.unet import PaletteUNet

NOISE_LEVELS = {"t=1": 1.0, "t=0.5": 0.5}


def fixed_batches(data: list[str], size: int, batch: int, count: int, seed: int) -> list[Batch]:
    """``count`` batches of held-out examples, the same on every call with the same arguments."""
    photos = load_photos(data, min_side=size // 2)
    examples = DamagedBatches(photos, size, batch, seed)
    return [Batch.from_examples(examples[step]) for step in range(count)]


@torch.no_grad()
def held_out_loss(model: PaletteUNet, batches: list[Batch], seed: int) -> dict[str, dict[str, float]]:
    """Per noise level, per task: mean L1 of the x0 prediction over generated pixels."""
    model.eval()
    scores: dict[str, dict[str, float]] = {}
    for label, t in NOISE_LEVELS.items():
        sums = torch.zeros(2, len(TASK_CODES))
        gen = torch.Generator().manual_seed(seed)
        for batch in batches:
            b = batch.target.shape[0]
            g = schedule_gamma(torch.full((b,), t))[:, None, None, None]
            eps = torch.randn(batch.target.shape, generator=gen)
            noisy = torch.where(batch.generate > 0, g.sqrt() * batch.target + (1 - g).sqrt() * eps, batch.target)
            error = ((model(noisy, g.flatten(), batch.condition) - batch.target).abs() * batch.generate)
            sums[0].index_add_(0, batch.task, error.sum((1, 2, 3)))
            sums[1].index_add_(0, batch.task, batch.generate.expand_as(batch.target).sum((1, 2, 3)))
        scores[label] = {task.value: round(float(sums[0, code] / sums[1, code]), 5)
                         for task, code in TASK_CODES.items() if sums[1, code] > 0}
    return scores


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palette_desktop.model.validation", description=__doc__.splitlines()[0])
    p.add_argument("data", help="folder of held-out photos")
    p.add_argument("weights", nargs="+", type=Path, help="ema.pt files of rounds (or checkpoints)")
    p.add_argument("--size", type=int, default=128, help="crop side")
    p.add_argument("--batches", type=int, default=16)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    batches = fixed_batches([args.data], args.size, args.batch, args.batches, args.seed)
    for path in args.weights:
        model, config, step, seconds = load_ema(path)
        print(json.dumps({"weights": str(path), "size": args.size, "examples": args.batch * args.batches,
                          "loss": held_out_loss(model, batches, args.seed)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
