"""Restore an old photo in one action: find the damage, repair it, clean up the scan,
and give it colour if it is black and white.

:func:`restore_old_photo` is a generator. Each step works on the previous step's result
and yields it, so every intermediate is a real result, not a re-run: the window puts
each on the history (the user can step back to before Colorize, fix the damage mask
and go on from there), the command line writes the last one. One :class:`StagedState`
plan covers all the steps, so a single progress bar runs once from 0 to 100 % and one
Cancel stops whichever step is running.

What it will do is a :class:`Plan`, known before the work starts and said in one line by
:func:`describe_plan`, the same words in the command line's ``--dry-run`` and in the
window's dialog. Whether it colorizes is found by :func:`is_monochrome` unless the request
says (``AutoRequest.colorize``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Iterator

import numpy as np

from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import TaskError
from palette_desktop.core.imageio import Photo
from palette_desktop.core.monochrome import is_monochrome
from palette_desktop.core.progress import StagedState, TaskState
from palette_desktop.engine.damage_detector import detect_damage
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest, apply_task, check_task_fits


class Step(Enum):
    DETECT = "Detect damage"
    INPAINT = "Repair damage"
    CLEAN_UP = "Clean up"
    COLORIZE = "Colorize"


STEP_SHARES = {Step.DETECT: 0.07, Step.INPAINT: 0.14, Step.CLEAN_UP: 0.6, Step.COLORIZE: 0.19}
"""Each step's share of the time on a 1024×768 scan at the default quality (CPU, bundled
model: 0.17, 0.34, 1.5 and 0.46 s), so the one progress bar moves at an even pace."""

STEP_TASKS = {Step.INPAINT: Task.INPAINT, Step.CLEAN_UP: Task.JPEG, Step.COLORIZE: Task.COLORIZE}


@dataclass(frozen=True)
class AutoRequest:
    """What "restore old photo" does; one result (the options' candidates are not used)."""

    options: SamplingOptions = field(default_factory=SamplingOptions)
    colorize: bool | None = None  # True or False whatever the photo is; None: colorize if found black and white
    mask: np.ndarray | None = None  # the damage to repair (HxW, 1 = repair); None: detect it


@dataclass(frozen=True)
class Plan:
    """What restoring a photo will do, and what it found the photo to be."""

    steps: tuple[Step, ...]
    monochrome: bool  # the photo was found black and white (plain or toned)
    colorize: bool  # it will be colorized: as found, or as the request says
    damage: float | None  # share of the photo to repair: of the mask given or found; None: found by DETECT


def make_plan(monochrome: bool, colorize: bool | None, damage: float | None) -> Plan:
    """The plan for a photo found (or not) black and white, with ``colorize`` as asked (None:
    as found) and ``damage`` the share to repair (None: to be found); no damage is no step."""
    colorize = monochrome if colorize is None else colorize
    steps = ([Step.DETECT] if damage is None else []) + ([Step.INPAINT] if damage != 0 else [])
    return Plan(tuple(steps + [Step.CLEAN_UP] + ([Step.COLORIZE] if colorize else [])), monochrome, colorize, damage)


def describe_plan(plan: Plan) -> str:
    """The plan in one line, e.g. "repair 2.1 % damage · clean up · colorize (black-and-white print)"."""
    if plan.damage is None:
        repair = "find and repair damage"
    elif plan.damage == 0:
        repair = "no damage to repair"
    else:
        share = 100 * plan.damage
        repair = f"repair {share:.1f} % damage" if share >= 0.1 else f"repair {share:.2g} % damage"  # not "0.0 %"
    found = "black-and-white print" if plan.monochrome else "colour photo"
    if plan.colorize:
        colour = f"colorize ({found})" if plan.monochrome else f"colorize ({found}, as asked)"
    else:
        colour = f"keep black and white ({found}, as asked)" if plan.monochrome else f"keep its colour ({found})"
    return " · ".join([repair, "clean up", colour])


@dataclass(frozen=True)
class StepResult:
    step: Step
    photo: Photo  # the photo after this step
    mask: np.ndarray | None = None  # DETECT: the damage found (HxW float32, 1 = damage)


def plan_restore(photo: Photo, request: AutoRequest, model: LoadedModel) -> Plan:
    """The plan for this photo with this model; raises :class:`TaskError` when they cannot do it."""
    if request.mask is not None and request.mask.shape != photo.pixels.shape[:2]:
        raise TaskError(f"the mask is {request.mask.shape[1]}×{request.mask.shape[0]} but the photo is "
                        f"{photo.size[0]}×{photo.size[1]}")
    damage = None if request.mask is None else float((request.mask > 0).mean())
    plan = make_plan(is_monochrome(photo.pixels), request.colorize, damage)
    needed = [STEP_TASKS[s].value for s in plan.steps if s in STEP_TASKS]
    missing = [task for task in needed if task not in model.manifest.tasks]
    if missing:
        raise TaskError(f"the model {model.manifest.name} cannot {' or '.join(missing)}, which restoring an old "
                        "photo needs")
    return plan


def restore_old_photo(photo: Photo, request: AutoRequest, model: LoadedModel, state: TaskState) -> Iterator[StepResult]:
    """Run the steps in turn, yielding each one's result as soon as it is done; refused
    before the first (:class:`NotEnoughMemory`) when the photo would not fit in memory."""
    check_task_fits(photo, "auto")
    steps = plan_restore(photo, request, model).steps
    staged = StagedState(state, [STEP_SHARES[s] for s in steps])
    options = replace(request.options, candidates=1)
    mask = request.mask
    for index, step in enumerate(steps):
        staged.begin(index)
        if step is Step.DETECT:
            mask = detect_damage(photo.pixels)
            yield StepResult(step, photo, mask)
            continue
        if step is Step.INPAINT and not (mask > 0).any():
            continue  # nothing to repair
        photo = apply_task(photo, TaskRequest(STEP_TASKS[step], options, mask=mask if step is Step.INPAINT else None),
                           model, staged)[0]
        yield StepResult(step, photo)
    staged.finish()


def restore_to_end(photo: Photo, request: AutoRequest, model: LoadedModel, state: TaskState) -> Photo:
    """The photo after every step (the command line's and the batch's use)."""
    for result in restore_old_photo(photo, request, model, state):
        photo = result.photo
    return photo
