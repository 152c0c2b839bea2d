"""Restore JPEG damage: overlapping tiles at native resolution, blended back.

The input nearly decides the answer, so each tile takes a restoration's share of the
steps (one network evaluation at the default quality). Tiles are as large as memory
allows (up to twice the working size for one candidate) and share the photo evenly, so
little is computed twice; small tiles go to the network together.
"""

from __future__ import annotations

import math

import numpy as np

from palette_desktop.core.color import to_gray
from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.errors import OutOfMemory
from palette_desktop.core.pixels import to_float, to_stored
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import RowBlend, blend_weight, even_tiles
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, Walk, network_steps, refine_window

MIN_TILE = 64


def restore_jpeg(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                 tile: int | None = None, keep_gray: bool = False) -> list[np.ndarray]:
    """K restorations of ``pixels``, same size and depth. Blocking artefacts are local, so no downscaling.

    A tile holds up to four times the working size's pixels, shared among the candidates;
    when it does not fit in memory, the photo is done again in tiles half the size. With
    ``keep_gray`` the results are made gray (a black-and-white photo stays so).
    """
    tile = tile or int(2 * model.manifest.working_size / math.sqrt(options.candidates))
    while True:
        try:
            return _restore_tiles(pixels, model, options, state, tile, keep_gray)
        except OutOfMemory:
            if tile // 2 < max(MIN_TILE, model.manifest.size_multiple):
                raise
            tile //= 2


def _restore_tiles(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState,
                   max_tile: int, keep_gray: bool) -> list[np.ndarray]:
    """The tiles row by row, each band of rows stored in the photo's depth as soon as it is finished."""
    h, w = pixels.shape[:2]
    overlap = model.manifest.working_size // 8
    multiple = model.manifest.size_multiple
    (th, ys), (tw, xs) = even_tiles(h, max_tile, overlap, multiple), even_tiles(w, max_tile, overlap, multiple)
    starts = [(y, x) for y in ys for x in xs]
    steps = network_steps(Walk.RESTORE, options.steps, model)
    per_call = max(1, max_tile * max_tile // (th * tw))  # a largest tile's pixels, for each candidate
    state.plan(len(starts) * steps)
    k = options.candidates
    results = [np.empty_like(pixels) for _ in range(k)]

    def store(rows: slice, values: np.ndarray) -> None:
        for result, value in zip(results, values):
            result[rows] = to_stored(to_gray(value) if keep_gray else value, result.dtype)

    blend = RowBlend((h, w, 3), k, (th, tw), starts, blend_weight(th, tw, overlap)[..., None], store)
    for first in range(0, len(starts), per_call):
        group = starts[first:first + per_call]
        condition = np.stack([build_condition(Task.JPEG, to_float(pixels[y:y + th, x:x + tw]))
                              for y, x in group for _ in range(k)])
        out = refine_window(model, condition, steps, options, state, seed=[options.seed, first], windows=len(group))
        for index, (y, x) in enumerate(group):
            blend.add(y, x, out[index * k:(index + 1) * k])
        blend.finish_above(starts[first + per_call][0] if first + per_call < len(starts) else h)
    return results
