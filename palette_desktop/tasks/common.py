"""What every task shares: sampling options, how many network steps a job takes, and one
refinement of a batch of windows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import cv2
import numpy as np

from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import pad_to_multiple
from palette_desktop.diffusion.loop import refine
from palette_desktop.diffusion.samplers import SamplerKind, make_sampler
from palette_desktop.engine.loader import LoadedModel

QUALITY_PRESETS = {"draft": 6, "balanced": 12, "best": 30}
"""Steps of a walk from pure noise; each :class:`Walk` takes its own share of them."""
MAX_CANDIDATES = 4


class Walk(Enum):
    """Which share of the preset's steps a job takes; the shares are in the model's manifest."""

    GENERATE = "generate"  # content to invent: colour, a large hole, a new border
    RESTORE = "restore"  # the input nearly decides the answer: JPEG, thin scratches


def network_steps(walk: Walk, steps: int, model: LoadedModel) -> int:
    """Network evaluations per window for ``steps`` of the quality preset.

    The share comes from the model's manifest. The network predicts the clean image, so
    where the input nearly decides the answer its first estimate (from pure noise, given
    the condition) is already the posterior mean a longer walk would end near: one
    evaluation at "draft" and "balanced", a few at "best".
    """
    return max(1, round(steps * model.manifest.step_shares[walk.value]))


@dataclass(frozen=True)
class SamplingOptions:
    steps: int = 12
    seed: int = 0
    candidates: int = 1
    sampler: SamplerKind = SamplerKind.DDIM

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 1000:
            raise ValueError("steps must be between 1 and 1000")
        if not 1 <= self.candidates <= MAX_CANDIDATES:
            raise ValueError(f"candidates must be between 1 and {MAX_CANDIDATES}")


def refine_window(model: LoadedModel, condition: np.ndarray, steps: int, options: SamplingOptions, state: TaskState,
                  seed: list[int], known: np.ndarray | None = None, generate: np.ndarray | None = None,
                  windows: int = 1) -> np.ndarray:
    """Run one refinement loop of ``steps`` on a batch; returns (B, H, W, 3) in [0, 1].

    ``condition`` is (B, H, W, 4) in [0, 1]: one per candidate, or several same-sized
    windows with their candidates, counted as ``windows`` in the progress. ``known``
    (B, H, W, 3) and ``generate`` (H, W) or (B, H, W) as in :func:`refine`. The batch is
    padded to the model's size multiple and cropped back.
    """
    k, h, w, _ = condition.shape
    multiple = model.manifest.size_multiple

    def to_net(batch: np.ndarray) -> np.ndarray:
        padded = np.stack([pad_to_multiple(b, multiple)[0] for b in batch])
        return np.ascontiguousarray(padded.transpose(0, 3, 1, 2) * 2.0 - 1.0, dtype=np.float32)

    net_known = to_net(known) if known is not None else None
    net_generate = None
    if generate is not None:
        net_generate = (pad_to_multiple(generate, multiple)[0] if generate.ndim == 2
                        else np.stack([pad_to_multiple(g, multiple)[0] for g in generate]))
    sampler = make_sampler(options.sampler, model.manifest.schedule, model.manifest.prediction)
    result = None
    for record in refine(model.denoiser, sampler, to_net(condition), steps=steps, seed=seed,
                         known=net_known, generate=net_generate):
        result = record.sample
        state.step(preview=from_net(record.pred_x0[:1, :, :h, :w])[0], count=windows)
    return from_net(result[:, :, :h, :w])


def from_net(batch: np.ndarray) -> np.ndarray:
    """(K, 3, H, W) in [-1, 1] to (K, H, W, 3) in [0, 1]."""
    return np.clip((batch.transpose(0, 2, 3, 1) + 1.0) * 0.5, 0.0, 1.0).astype(np.float32)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging to shrink (no aliasing), bicubic to enlarge."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    shrink = width * height < w * h
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def working_shape(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(w, h) with the long side at most ``long_side``, aspect kept."""
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))
