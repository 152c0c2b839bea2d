"""Restore JPEG damage: overlapping tiles at native resolution, blended back.

The input nearly decides the answer, so each tile takes a restoration's share of the
steps (one network evaluation at the default quality). Tiles are as large as memory
allows (up to twice the working size for one candidate) and share the photo evenly, so
little is computed twice; small tiles go to the network together.
"""

from __future__ import annotations

import math

import numpy as np

from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.errors import OutOfMemory
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import blend_weight, even_tiles
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, Walk, network_steps, refine_window

MIN_TILE = 64


def restore_jpeg(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                 tile: int | None = None) -> list[np.ndarray]:
    """K restorations of ``pixels``, same size. Blocking artefacts are local, so no downscaling.

    A tile holds up to four times the working size's pixels, shared among the candidates;
    when it does not fit in memory, the photo is done again in tiles half the size.
    """
    tile = tile or int(2 * model.manifest.working_size / math.sqrt(options.candidates))
    while True:
        try:
            return _restore_tiles(pixels, model, options, state, tile)
        except OutOfMemory:
            if tile // 2 < max(MIN_TILE, model.manifest.size_multiple):
                raise
            tile //= 2


def _restore_tiles(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                   max_tile: int) -> list[np.ndarray]:
    h, w = pixels.shape[:2]
    overlap = model.manifest.working_size // 8
    multiple = model.manifest.size_multiple
    (th, ys), (tw, xs) = even_tiles(h, max_tile, overlap, multiple), even_tiles(w, max_tile, overlap, multiple)
    starts = [(y, x) for y in ys for x in xs]
    steps = network_steps(Walk.RESTORE, options.steps, model)
    per_call = max(1, max_tile * max_tile // (th * tw))  # a largest tile's pixels, for each candidate
    state.plan(len(starts) * steps)
    total = np.zeros((options.candidates, h, w, 3), np.float32)
    weight = blend_weight(th, tw, overlap)[..., None]
    for first in range(0, len(starts), per_call):
        group = starts[first:first + per_call]
        condition = np.stack([build_condition(Task.JPEG, pixels[y:y + th, x:x + tw])
                              for y, x in group for _ in range(options.candidates)])
        out = refine_window(model, condition, steps, options, state, seed=[options.seed, first], windows=len(group))
        for index, (y, x) in enumerate(group):
            total[:, y:y + th, x:x + tw] += out[index * options.candidates:(index + 1) * options.candidates] * weight
    weight_sum = np.zeros((h, w, 1), np.float32)
    for y, x in starts:
        weight_sum[y:y + th, x:x + tw] += weight
    return list(total / weight_sum)
