"""What every task shares: sampling options and one refinement of one window."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import pad_to_multiple
from palette_desktop.diffusion.loop import refine
from palette_desktop.diffusion.samplers import SamplerKind, make_sampler
from palette_desktop.engine.loader import LoadedModel

QUALITY_PRESETS = {"draft": 6, "balanced": 12, "best": 30}
MAX_CANDIDATES = 4


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


def refine_window(model: LoadedModel, condition: np.ndarray, options: SamplingOptions, state: TaskState,
                  seed: list[int], known: np.ndarray | None = None, generate: np.ndarray | None = None) -> np.ndarray:
    """Run one refinement loop on a window; returns (K, H, W, 3) in [0, 1].

    ``condition`` is (K, H, W, 4) in [0, 1], one per candidate, ``known`` (K, H, W, 3) and
    ``generate`` (H, W) as in :func:`refine`. The window is padded to the model's size
    multiple and cropped back.
    """
    k, h, w, _ = condition.shape
    multiple = model.manifest.size_multiple

    def to_net(batch: np.ndarray) -> np.ndarray:
        padded = np.stack([pad_to_multiple(b, multiple)[0] for b in batch])
        return np.ascontiguousarray(padded.transpose(0, 3, 1, 2) * 2.0 - 1.0, dtype=np.float32)

    net_known = to_net(known) if known is not None else None
    net_generate = pad_to_multiple(generate, multiple)[0] if generate is not None else None
    sampler = make_sampler(options.sampler, model.manifest.schedule, model.manifest.prediction)
    result = None
    for record in refine(model.denoiser, sampler, to_net(condition), steps=options.steps, seed=seed,
                         known=net_known, generate=net_generate):
        result = record.sample
        state.step(preview=from_net(record.pred_x0[:1, :, :h, :w])[0])
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
