"""One entry point for the CLI, the batch runner and the window: a photo and a request in, photos out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import TaskError
from palette_desktop.core.imageio import Photo, is_gray
from palette_desktop.core.memory import bytes_per_pixel, check_fits
from palette_desktop.core.pixels import full_scale
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.colorize import colorize
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.extend import Margins, extend
from palette_desktop.tasks.inpaint import inpaint
from palette_desktop.tasks.jpeg import restore_jpeg
from palette_desktop.tasks.one_result import one_result_reason

if TYPE_CHECKING:
    from palette_desktop.tasks.auto import AutoRequest


@dataclass(frozen=True)
class TaskRequest:
    task: Task
    options: SamplingOptions = field(default_factory=SamplingOptions)
    mask: np.ndarray | None = None  # inpaint: HxW in [0, 1] (or uint8, 255 for 1), 1 = replace
    margins: Margins | None = None  # extend


def apply_task(photo: Photo, request: TaskRequest | AutoRequest, model: LoadedModel, state: TaskState) -> list[Photo]:
    """Run a task on a photo; returns one photo per candidate.

    A black-and-white photo stays black-and-white for every task but colorize; alpha
    follows the pixels (new canvas area is opaque). An :class:`AutoRequest` (restore an
    old photo) runs several of these tasks in turn and returns the last result.
    """
    if not isinstance(request, TaskRequest):
        from palette_desktop.tasks.auto import restore_to_end  # it runs the tasks of this module

        return [restore_to_end(photo, request, model, state)]
    if request.task.value not in model.manifest.tasks:
        raise TaskError(f"the model {model.manifest.name} cannot {request.task.value}")
    pixels, opts = photo.pixels, request.options
    if opts.candidates > 1 and one_result_reason(request.task, opts, model):  # more would be the same picture
        opts = replace(opts, candidates=1)
    margins = request.margins if request.task is Task.EXTEND else None
    check_task_fits(photo, request.task.value, opts.candidates, margins)
    gray = is_gray(pixels)
    if request.task is Task.COLORIZE:
        return [photo.with_pixels(p, grayscale=False) for p in colorize(pixels, model, opts, state)]
    if request.task is Task.JPEG:
        return [photo.with_pixels(p) for p in restore_jpeg(pixels, model, opts, state, keep_gray=gray)]
    if request.task is Task.INPAINT:
        if request.mask is None:
            raise TaskError("inpaint needs a mask")
        return [photo.with_pixels(p) for p in inpaint(pixels, request.mask, model, opts, state, keep_gray=gray)]
    margins = request.margins or Margins()
    outs = extend(pixels, margins, model, opts, state, keep_gray=gray)
    alpha = None
    if photo.alpha is not None:
        alpha = np.pad(photo.alpha, ((margins.top, margins.bottom), (margins.left, margins.right)),
                       constant_values=full_scale(photo.alpha.dtype))
    return [Photo(p, alpha, photo.icc_profile, photo.exif, photo.bit_depth, photo.grayscale) for p in outs]


def check_task_fits(photo: Photo, task: str, results: int = 1, margins: Margins | None = None) -> None:
    """Refuse, before any work, ``task`` (a :class:`Task` value, or "auto") on ``photo`` when it would
    not fit in the memory available; ``results`` are the candidates that will be made, not those asked
    for (a model that ignores its noise makes one), and extend counts its larger canvas."""
    width, height = photo.size
    if margins is not None:
        width, height = width + margins.left + margins.right, height + margins.top + margins.bottom
    held = photo.pixels.nbytes + (photo.alpha.nbytes if photo.alpha is not None else 0)
    check_fits(task if results == 1 else f"{task} with {results} results", width * height,
               bytes_per_pixel(task, photo.pixels.dtype != np.uint8, results), held / (width * height))
