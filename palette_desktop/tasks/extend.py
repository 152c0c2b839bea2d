"""Extend (uncrop): grow the canvas on any side; the original pixels stay at their offset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from palette_desktop.core.color import to_gray
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import TaskError
from palette_desktop.core.masks import Box
from palette_desktop.core.pixels import row_bands, to_stored
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.inpaint import FillJob, fill

MAX_GROWTH = 3.0
"""A side may grow by at most this many times the photo's size: beyond it there is no context."""


@dataclass(frozen=True)
class Margins:
    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    @classmethod
    def parse(cls, text: str) -> Margins:
        """``"L,T,R,B"`` in pixels."""
        try:
            values = [int(v) for v in text.split(",")]
        except ValueError:
            raise TaskError(f"margins {text!r}: give four whole numbers L,T,R,B") from None
        if len(values) != 4:
            raise TaskError(f"margins {text!r}: give four whole numbers L,T,R,B")
        return cls(*values)

    def is_empty(self) -> bool:
        return not any((self.left, self.top, self.right, self.bottom))


def margins_for_aspect(width: int, height: int, ratio_w: float, ratio_h: float) -> Margins:
    """Margins, split evenly between opposite sides, that give the photo the ratio w:h."""
    target = ratio_w / ratio_h
    if width / height < target:
        extra = round(height * target) - width
        return Margins(left=extra // 2, right=extra - extra // 2)
    extra = round(width / target) - height
    return Margins(top=extra // 2, bottom=extra - extra // 2)


def extend(pixels: np.ndarray, margins: Margins, model: LoadedModel, options: SamplingOptions,
           state: TaskState, keep_gray: bool = False) -> list[np.ndarray]:
    """K versions of the photo (any depth; the results in the same) on a larger canvas, the new border
    generated; with ``keep_gray`` it is made gray (a black-and-white photo stays so).

    Left and right are generated first from the photo's own rows, then top and bottom
    across the full width, corners included.
    """
    h, w = pixels.shape[:2]
    sides = (margins.left, margins.top, margins.right, margins.bottom)
    if any(m < 0 for m in sides):
        raise TaskError("margins cannot be negative")
    if margins.is_empty():
        raise TaskError("nothing to extend: every margin is 0")
    if max(margins.left, margins.right) > MAX_GROWTH * w or max(margins.top, margins.bottom) > MAX_GROWTH * h:
        raise TaskError(f"a side may grow by at most {MAX_GROWTH:g}× the photo's size")
    H, W = h + margins.top + margins.bottom, w + margins.left + margins.right
    canvas = np.pad(pixels, ((margins.top, margins.bottom), (margins.left, margins.right), (0, 0)), mode="symmetric")
    canvases = canvas[None] if options.candidates == 1 else np.repeat(canvas[None], options.candidates, axis=0)
    del canvas
    sides_mask = np.zeros((H, W), bool)
    sides_mask[margins.top:margins.top + h, :margins.left] = True
    sides_mask[margins.top:margins.top + h, margins.left + w:] = True
    ends_mask = np.zeros((H, W), bool)
    ends_mask[:margins.top] = True
    ends_mask[margins.top + h:] = True
    jobs = [FillJob(m, region) for m, region in ((sides_mask, Box(0, margins.top, W, margins.top + h)),
                                                  (ends_mask, Box(0, 0, W, H))) if m.any()]
    fill(canvases, jobs, Task.EXTEND, model, options, state)
    if keep_gray:
        for rows in row_bands(H, W):
            added = (sides_mask[rows] | ends_mask[rows])[..., None]
            for result in canvases:
                result[rows] = np.where(added, to_stored(to_gray(result[rows]), result.dtype), result[rows])
    return list(canvases)
