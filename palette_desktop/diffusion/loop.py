"""The refinement loop: noise in, restored image out, one record per step.

A generator in the manner of guided-diffusion's ``p_sample_loop_progressive``: the caller
draws records for progress and previews, and cancels by no longer drawing. Known pixels
are put back into the sample at every step, as Palette's implementation does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from palette_desktop.diffusion.samplers import Sampler


class Denoiser(Protocol):
    """One network evaluation: ``denoise(noisy, gamma, condition) -> prediction``.

    noisy (B, 3, H, W), gamma (B,), condition (B, 4, H, W): float32, images in [-1, 1].
    """

    def denoise(self, noisy: np.ndarray, gamma: np.ndarray, condition: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class RefineStep:
    index: int  # 0-based step just finished
    total: int
    sample: np.ndarray  # (K, 3, H, W) the sample after this step
    pred_x0: np.ndarray  # (K, 3, H, W) the network's current estimate of the result


def refine(denoiser: Denoiser, sampler: Sampler, condition: np.ndarray, *, steps: int, seed: int | list[int],
           known: np.ndarray | None = None, generate: np.ndarray | None = None) -> Iterator[RefineStep]:
    """Refine K candidates at once; K is the batch size of ``condition``.

    ``known`` (K, 3, H, W) holds pixels to keep where ``generate`` (H, W), or (K, H, W)
    when each image has its own, is 0; both None means every pixel is generated. The last
    record's ``sample`` is the result. The same seed on the same backend gives the same bits.
    """
    rng = np.random.default_rng(seed)
    sampler.set_steps(steps)
    condition = np.ascontiguousarray(condition, dtype=np.float32)
    batch, _, height, width = condition.shape
    keep = None
    if known is not None and generate is not None:
        keep = np.asarray(generate, np.float32) <= 0
        keep = keep[None, None] if keep.ndim == 2 else keep[:, None]
        known = np.ascontiguousarray(known, dtype=np.float32)
    sample = sampler.initial_sample((batch, 3, height, width), rng)
    if keep is not None:
        sample = np.where(keep, known, sample)
    for index in range(steps):
        g = np.full((batch,), sampler.noise_level(index), np.float32)
        output = denoiser.denoise(sample, g, condition)
        out = sampler.step(output, index, sample, rng)
        sample, pred_x0 = out.prev_sample, out.pred_x0
        if keep is not None:
            sample = np.where(keep, known, sample)
            pred_x0 = np.where(keep, known, pred_x0)
        yield RefineStep(index, steps, sample, pred_x0)
