"""Restore JPEG damage: overlapping tiles at native resolution, blended back."""

from __future__ import annotations

import numpy as np

from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.errors import OutOfMemory
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import blend_weight, tile_starts
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, refine_window


MIN_TILE = 64


def restore_jpeg(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                 tile: int | None = None) -> list[np.ndarray]:
    """K restorations of ``pixels``, same size. Blocking artefacts are local, so no downscaling.

    When a tile does not fit in memory, the photo is done again in tiles half the size.
    """
    tile = tile or model.manifest.working_size
    while True:
        try:
            return _restore_tiles(pixels, model, options, state, tile)
        except OutOfMemory:
            if tile // 2 < max(MIN_TILE, model.manifest.size_multiple):
                raise
            tile //= 2


def _restore_tiles(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                   tile: int) -> list[np.ndarray]:
    h, w = pixels.shape[:2]
    overlap = tile // 8
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    state.plan(len(ys) * len(xs) * options.steps)
    total = np.zeros((options.candidates, h, w, 3), np.float32)
    weight_sum = np.zeros((h, w, 1), np.float32)
    for index, (y, x) in enumerate((y, x) for y in ys for x in xs):
        crop = pixels[y:y + tile, x:x + tile]
        th, tw = crop.shape[:2]
        condition = np.repeat(build_condition(Task.JPEG, crop)[None], options.candidates, axis=0)
        out = refine_window(model, condition, options, state, seed=[options.seed, index])
        weight = blend_weight(th, tw, overlap)[..., None]
        total[:, y:y + th, x:x + tw] += out * weight
        weight_sum[y:y + th, x:x + tw] += weight
    return list(total / weight_sum)
