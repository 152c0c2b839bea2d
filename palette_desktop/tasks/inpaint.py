"""Inpaint: replace what a mask marks, at any resolution, leaving every other pixel as it was.

The mask is split into groups of nearby strokes. A thin group (scratches, dust, cracks)
is refined at native resolution in tiles of the working size, so nothing is lost to
scaling; a thick one (a tear, a stain, an object) in one context window around it,
scaled down to the working size when large, as IOPaint's crop strategy does. Windows run
one after another, each seeing what the previous ones filled. Only masked pixels are
composited back, with the mask's own soft edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.errors import TaskError
from palette_desktop.core.masks import Box, component_boxes
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import tile_starts
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, refine_window, resize

THIN_FRACTION = 0.25
"""Holes at most this fraction of the working size thick are refined at native resolution."""


@dataclass(frozen=True)
class Window:
    box: Box  # pixels cropped and given to the network (after scaling)
    commit: Box  # masked pixels inside this box take the result
    scale: float  # network pixels per image pixel


@dataclass(frozen=True)
class FillJob:
    """Masked pixels to generate, using only context inside ``region``."""

    mask: np.ndarray
    region: Box


def inpaint(pixels: np.ndarray, mask: np.ndarray, model: LoadedModel, options: SamplingOptions,
            state: TaskState) -> list[np.ndarray]:
    """K versions of ``pixels`` with the masked area (mask > 0) replaced."""
    if mask.shape != pixels.shape[:2]:
        raise TaskError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the photo is "
                        f"{pixels.shape[1]}×{pixels.shape[0]}")
    if not (mask > 0).any():
        raise TaskError("the mask is empty: paint over what should be replaced")
    h, w = mask.shape
    canvases = fill(pixels, [FillJob(mask, Box(0, 0, w, h))], Task.INPAINT, model, options, state)
    alpha = np.clip(mask, 0.0, 1.0)[..., None]
    return [np.where(alpha > 0, pixels * (1 - alpha) + canvas * alpha, pixels).astype(np.float32)
            for canvas in canvases]


def fill(pixels: np.ndarray, jobs: list[FillJob], task: Task, model: LoadedModel, options: SamplingOptions,
         state: TaskState) -> list[np.ndarray]:
    """Generate every job's masked pixels in turn; returns K canvases (hard-edged)."""
    ws = model.manifest.working_size
    plans = [(job, plan_windows(job.mask, job.region, ws)) for job in jobs]
    state.plan(sum(len(windows) for _, windows in plans) * options.steps)
    canvases = np.repeat(pixels[None].astype(np.float32), options.candidates, axis=0)
    todo = np.zeros(pixels.shape[:2], bool)
    index = 0
    for job, windows in plans:
        todo |= job.mask > 0
        for window in windows:
            _refine(canvases, todo, window, task, model, options, state, seed=[options.seed, index])
            index += 1
    return list(canvases)


def plan_windows(mask: np.ndarray, region: Box, working_size: int) -> list[Window]:
    """The windows that together generate every masked pixel inside ``region``."""
    context = working_size // 8
    sub = (mask[region.slices()] > 0).astype(np.uint8)
    distance = cv2.distanceTransform(sub, cv2.DIST_L2, 3)
    windows: list[Window] = []
    for local in component_boxes(sub, join_distance=working_size // 4):
        box = Box(local.x0 + region.x0, local.y0 + region.y0, local.x1 + region.x0, local.y1 + region.y0)
        thickness = 2 * float(distance[local.slices()].max())
        if thickness <= THIN_FRACTION * working_size:
            windows += _native_tiles(box, region, working_size, context)
        else:
            margin = max(context, max(box.width, box.height) // 2)
            win = _at_least(box.grow(margin, region), working_size, region)
            scale = min(1.0, working_size / max(win.width, win.height))
            windows.append(Window(win, win, scale))
    return windows


def _native_tiles(box: Box, region: Box, tile: int, context: int) -> list[Window]:
    """Tiles of the working size; each commits only pixels with ``context`` px around them."""
    area = _at_least(box.grow(context, region), tile, region)
    windows = []
    for y in tile_starts(area.height, tile, 2 * context):
        for x in tile_starts(area.width, tile, 2 * context):
            win = Box(area.x0 + x, area.y0 + y, min(area.x1, area.x0 + x + tile), min(area.y1, area.y0 + y + tile))
            commit = Box(win.x0 + (context if win.x0 > area.x0 else 0), win.y0 + (context if win.y0 > area.y0 else 0),
                         win.x1 - (context if win.x1 < area.x1 else 0), win.y1 - (context if win.y1 < area.y1 else 0))
            if _intersects(commit, box):
                windows.append(Window(win, commit, 1.0))
    return windows


def _at_least(box: Box, size: int, region: Box) -> Box:
    """Widen a box, centred, to ``size`` in each direction where the region allows."""
    def span(lo: int, hi: int, rlo: int, rhi: int) -> tuple[int, int]:
        need = size - (hi - lo)
        if need <= 0:
            return lo, hi
        lo = max(rlo, lo - need // 2)
        hi = min(rhi, lo + max(size, hi - lo))
        return max(rlo, hi - size), hi
    x0, x1 = span(box.x0, box.x1, region.x0, region.x1)
    y0, y1 = span(box.y0, box.y1, region.y0, region.y1)
    return Box(x0, y0, x1, y1)


def _intersects(a: Box, b: Box) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _refine(canvases: np.ndarray, todo: np.ndarray, window: Window, task: Task, model: LoadedModel,
            options: SamplingOptions, state: TaskState, seed: list[int]) -> None:
    """Refine one window of every candidate's canvas in place and clear what it generated."""
    box = window.box
    crops = canvases[(slice(None), *box.slices())]
    generate = todo[box.slices()].astype(np.float32)
    commit = np.zeros_like(generate, bool)
    commit[window.commit.y0 - box.y0:window.commit.y1 - box.y0, window.commit.x0 - box.x0:window.commit.x1 - box.x0] = True
    commit &= generate > 0
    if not commit.any():
        state.skip(options.steps)
        return
    if window.scale < 1.0:
        size = (max(1, round(box.width * window.scale)), max(1, round(box.height * window.scale)))
        crops = np.stack([resize(c, *size) for c in crops])
        generate = (resize(generate, *size) > 0).astype(np.float32)
    condition = np.stack([build_condition(task, c, generate) for c in crops])
    out = refine_window(model, condition, options, state, seed=seed, known=crops, generate=generate)
    if window.scale < 1.0:
        out = np.stack([resize(o, box.width, box.height) for o in out])
    view = canvases[(slice(None), *box.slices())]
    view[:, commit] = out[:, commit]
    todo[box.slices()] &= ~commit
