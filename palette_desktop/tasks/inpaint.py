"""Inpaint: replace what a mask marks, at any resolution, leaving every other pixel as it was.

The mask is split into groups of nearby strokes. A thin group (scratches, dust, cracks)
is refined at native resolution, so nothing is lost to scaling, in tiles that follow the
strokes and go to the network together; it takes a restoration's share of the steps, as
the pixels around it nearly decide it. A thick one (a tear, a stain, an object) is
generated in one context window around it, scaled down to the working size when large,
as IOPaint's crop strategy does; holes go first, one after another, each seeing what the
previous ones filled. Only masked pixels are composited back, with the mask's own soft
edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from palette_desktop.core.color import to_gray
from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.errors import TaskError
from palette_desktop.core.masks import Box, component_groups
from palette_desktop.core.pixels import row_bands, to_float, to_stored
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, Walk, network_steps, refine_window, resize

THIN_FRACTION = 0.25
"""Holes at most this fraction of the working size thick are refined at native resolution."""
FINE_FRACTION = 1 / 16
"""Strokes at most this thick (scratches, dust) go in tiles of a quarter of the working
size, which follow a long diagonal scratch with half the pixels of half-size tiles; the
thicker ones in half-size tiles, whose context of an eighth stays wider than they are."""
BATCH_WINDOWS = 4
"""Pixels given to the network at once: this many windows of the working size."""


@dataclass(frozen=True)
class Window:
    box: Box  # pixels cropped and given to the network (after scaling)
    commit: Box  # masked pixels inside this box take the result
    scale: float  # network pixels per image pixel
    walk: Walk  # thin strokes are restored, thick holes generated


@dataclass(frozen=True)
class FillJob:
    """Masked pixels to generate, using only context inside ``region``."""

    mask: np.ndarray
    region: Box


def inpaint(pixels: np.ndarray, mask: np.ndarray, model: LoadedModel, options: SamplingOptions,
            state: TaskState, keep_gray: bool = False) -> list[np.ndarray]:
    """K versions of ``pixels`` (any depth; the results in the same) with the masked area (mask > 0:
    float in [0, 1] or uint8 in [0, 255], its values the blend at the edge) replaced; with ``keep_gray`` the new pixels are gray (a black-and-white photo stays so)."""
    if mask.shape != pixels.shape[:2]:
        raise TaskError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the photo is "
                        f"{pixels.shape[1]}×{pixels.shape[0]}")
    if not (mask > 0).any():
        raise TaskError("the mask is empty: paint over what should be replaced")
    h, w = mask.shape
    canvases = np.repeat(pixels[None], options.candidates, axis=0)
    fill(canvases, [FillJob(mask, Box(0, 0, w, h))], Task.INPAINT, model, options, state)
    for rows in row_bands(h, w):  # the mask's soft edge, composited a band at a time
        alpha = np.clip(to_float(mask[rows]), 0.0, 1.0)[..., None]
        if not (alpha > 0).any():
            continue
        before = to_float(pixels[rows])
        for canvas in canvases:
            mixed = np.where(alpha > 0, before * (1 - alpha) + to_float(canvas[rows]) * alpha, before)
            if keep_gray:
                mixed = np.where(alpha > 0, to_gray(mixed), before)
            canvas[rows] = to_stored(mixed, canvas.dtype)
    return list(canvases)


def fill(canvases: np.ndarray, jobs: list[FillJob], task: Task, model: LoadedModel, options: SamplingOptions,
         state: TaskState) -> None:
    """Generate every job's masked pixels in turn into each of the K canvases (K, H, W, 3; any depth),
    in place and hard-edged. A window sees a canvas as the windows before it left it."""
    ws = model.manifest.working_size
    plans = [(job, plan_windows(job.mask, job.region, ws)) for job in jobs]
    state.plan(sum(network_steps(w.walk, options.steps, model) for _, windows in plans for w in windows))
    todo = np.zeros(canvases.shape[1:3], bool)
    index = 0
    for job, windows in plans:
        todo |= job.mask > 0
        for batch in _batches(windows, ws * ws * BATCH_WINDOWS // options.candidates):
            _refine(canvases, todo, batch, task, model, options, state, seed=[options.seed, index])
            index += 1


def _batches(windows: list[Window], max_pixels: int) -> list[list[Window]]:
    """Holes one at a time, in order; then the tiles along strokes, same-sized ones together.

    The tiles of a stroke only need the pixels around it, so they need not wait for
    each other; a hole's window sees what the holes before it generated.
    """
    batches: list[list[Window]] = [[w] for w in windows if w.walk is Walk.GENERATE]
    by_size: dict[tuple[int, int], list[Window]] = {}
    for w in windows:
        if w.walk is Walk.RESTORE:
            by_size.setdefault((w.box.width, w.box.height), []).append(w)
    for (width, height), same in by_size.items():
        per_call = max(1, max_pixels // (width * height))
        batches += [same[i:i + per_call] for i in range(0, len(same), per_call)]
    return batches


def plan_windows(mask: np.ndarray, region: Box, working_size: int) -> list[Window]:
    """The windows that together generate every masked pixel inside ``region``.

    Holes to generate come first, so that the tiles along thin strokes see them filled
    (and do not take a stain that lies in their way for a scratch).
    """
    context = working_size // 8
    sub = (mask[region.slices()] > 0).astype(np.uint8)
    holes: list[Window] = []
    strokes: list[Window] = []
    for local, own in component_groups(sub, join_distance=working_size // 4):
        box = Box(local.x0 + region.x0, local.y0 + region.y0, local.x1 + region.x0, local.y1 + region.y0)
        thickness = _thickness(own, local, sub.shape)
        if thickness <= THIN_FRACTION * working_size:
            tile = working_size // (4 if thickness <= FINE_FRACTION * working_size else 2)
            strokes += _stroke_tiles(box, own, region, tile, tile // 8)
        else:
            margin = max(context, max(box.width, box.height) // 2)
            win = _at_least(box.grow(margin, region), working_size, region)
            scale = min(1.0, working_size / max(win.width, win.height))
            holes.append(Window(win, win, scale, Walk.GENERATE))
    return holes + strokes


def _thickness(own: np.ndarray, box: Box, shape: tuple[int, int]) -> float:
    """Twice the largest distance from a group's own pixels (``own``, cropped to ``box``)
    to a known pixel; past the region's edge nothing is known. Another group's stain
    inside a long scratch's box does not make the scratch thick."""
    grown = box.grow(1, Box(0, 0, shape[1], shape[0]))
    padded = np.pad(own, ((box.y0 - grown.y0, grown.y1 - box.y1), (box.x0 - grown.x0, grown.x1 - box.x1)))
    return 2 * float(cv2.distanceTransform(padded.astype(np.uint8), cv2.DIST_L2, 3).max())


def _stroke_tiles(box: Box, own: np.ndarray, region: Box, tile: int, context: int) -> list[Window]:
    """Native-resolution tiles that follow the strokes ``own`` (cropped to ``box``).

    Each commits a square of ``tile - 2 * context`` px, placed at the topmost stroke pixel
    left and across where it covers the most of what remains, so a diagonal scratch takes
    about half the tiles of a fixed grid; the tile adds ``context`` px around it.
    """
    side = tile - 2 * context
    tw, th = min(tile, region.width), min(tile, region.height)
    remaining = own.copy()
    windows = []
    y = 0  # nothing remains above this row: looked for a row at a time, since a long
    while y < remaining.shape[0]:  # scratch's box is most of a large scan, its tiles hundreds
        if not remaining[y].any():
            y += 1
            continue
        x = int(np.flatnonzero(remaining[y])[0])
        ahead = np.concatenate([[0], np.cumsum(remaining[y:y + side].sum(axis=0))])
        lefts = np.arange(max(0, x - side + 1), x + 1)
        left = int(lefts[np.argmax(ahead[np.minimum(lefts + side, len(ahead) - 1)] - ahead[lefts])])
        remaining[y:y + side, left:left + side] = False
        commit = Box(box.x0 + left, box.y0 + y, box.x0 + left + side, box.y0 + y + side).grow(0, region)
        x0 = min(max(region.x0, commit.x0 - context), region.x1 - tw)
        y0 = min(max(region.y0, commit.y0 - context), region.y1 - th)
        windows.append(Window(Box(x0, y0, x0 + tw, y0 + th), commit, 1.0, Walk.RESTORE))
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


def _refine(canvases: np.ndarray, todo: np.ndarray, windows: list[Window], task: Task, model: LoadedModel,
            options: SamplingOptions, state: TaskState, seed: list[int]) -> None:
    """Refine same-sized windows of every candidate's canvas in one batch, in place, and
    clear what they generated. Only a single window may be scaled."""
    steps = network_steps(windows[0].walk, options.steps, model)
    work = []
    for window in windows:
        box = window.box
        commit = np.zeros((box.height, box.width), bool)
        commit[window.commit.y0 - box.y0:window.commit.y1 - box.y0, window.commit.x0 - box.x0:window.commit.x1 - box.x0] = True
        commit &= todo[box.slices()]
        if commit.any():
            work.append((window, commit))
        else:
            state.skip(steps)  # the windows before it generated all of it
    if not work:
        return
    k = options.candidates
    crops, generate = [], []
    for window, _ in work:
        box = window.box
        crop = to_float(canvases[(slice(None), *box.slices())])
        gen = todo[box.slices()].astype(np.float32)
        if window.scale < 1.0:
            size = (max(1, round(box.width * window.scale)), max(1, round(box.height * window.scale)))
            crop = np.stack([resize(c, *size) for c in crop])
            gen = (resize(gen, *size) > 0).astype(np.float32)
        crops.append(crop)
        generate += [gen] * k
    known = np.concatenate(crops)
    condition = np.stack([build_condition(task, c, g) for c, g in zip(known, generate)])
    out = refine_window(model, condition, steps, options, state, seed=seed, known=known, generate=np.stack(generate),
                        windows=len(work))
    for index, (window, commit) in enumerate(work):
        box = window.box
        result = out[index * k:(index + 1) * k]
        if window.scale < 1.0:
            result = np.stack([resize(o, box.width, box.height) for o in result])
        view = canvases[(slice(None), *box.slices())]
        view[:, commit] = to_stored(result[:, commit], view.dtype)
        todo[box.slices()] &= ~commit
