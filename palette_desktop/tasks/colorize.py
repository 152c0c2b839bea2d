"""Colorize: the model at its working size; the photo keeps its own full-resolution tones."""

from __future__ import annotations

import numpy as np

from palette_desktop.core.color import transfer_chroma
from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.pixels import area_shrink
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions, Walk, network_steps, refine_window, working_shape


def colorize(pixels: np.ndarray, model: LoadedModel, options: SamplingOptions, state: TaskState) -> list[np.ndarray]:
    """K colour versions of ``pixels`` (HxWx3, any depth; the results in the same); only chroma comes
    from the model."""
    h, w = pixels.shape[:2]
    small = area_shrink(pixels, *working_shape(w, h, model.manifest.working_size))
    steps = network_steps(Walk.GENERATE, options.steps, model)
    state.plan(steps)
    condition = np.repeat(build_condition(Task.COLORIZE, small)[None], options.candidates, axis=0)
    colours = refine_window(model, condition, steps, options, state, seed=[options.seed, 0])
    return [transfer_chroma(pixels, colour) for colour in colours]
