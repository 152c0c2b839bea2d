"""Progress reporting and cancellation shared by the CLI, the batch runner and the window.

A task function takes a :class:`TaskState`; it calls :meth:`TaskState.step` after every
denoising step, which raises :class:`Cancelled` once :meth:`TaskState.cancel` was called
from any thread. The window's worker adapts the callback to Qt signals; the CLI to tqdm.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from palette_desktop.core.errors import Cancelled

STAGED_SCALE = 1000
"""A pipeline reports its progress as thousandths of the whole."""


@dataclass(frozen=True)
class StepReport:
    """One finished denoising step of a task (which may run many refinement loops)."""

    done: int
    total: int
    preview: np.ndarray | None  # HxWx3 float32 in [0, 1] of the region being refined


class TaskState:
    """Thread-safe progress sink and cancel flag for one task run."""

    def __init__(self, on_step: Callable[[StepReport], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._on_step = on_step
        self.total = 0
        self.done = 0

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if a cancel was asked for."""
        if self._cancel.is_set():
            raise Cancelled("cancelled")

    def plan(self, total_steps: int) -> None:
        """Declare how many denoising steps the whole task will take.

        A step is one network evaluation of one window (a tile, a hole's context, the
        downscaled photo), whether or not it shares its call with other windows.
        """
        self.total = total_steps
        self.done = 0

    def skip(self, steps: int) -> None:
        """Take back planned steps that turned out not to be needed."""
        self.total = max(self.done, self.total - steps)

    def step(self, preview: np.ndarray | None = None, count: int = 1) -> None:
        """Count ``count`` steps done together, tell the listener, and stop here if cancelled."""
        self.done += count
        self.report(self.done, max(self.total, self.done), preview)
        self.check()

    def report(self, done: int, total: int, preview: np.ndarray | None = None) -> None:
        """Tell the listener how far the work is, as counted by this state or by a :class:`StagedState`."""
        if self._on_step is not None:
            self._on_step(StepReport(done, total, preview))


class StagedState(TaskState):
    """One progress plan across tasks run one after another (a pipeline of stages).

    Each stage owns a fixed share of the whole. A task in a stage plans and counts its
    own steps as usual; the parent state's listener hears the whole's progress, in
    thousandths, so one bar moves steadily from the first stage to the last. Cancel is
    the parent's: cancelling either stops the task at its next step.
    """

    def __init__(self, parent: TaskState, shares: list[float]) -> None:
        super().__init__()
        if not shares or min(shares) < 0 or sum(shares) <= 0:
            raise ValueError("a staged plan needs non-negative shares that add up to more than zero")
        whole = float(sum(shares))
        self._parent = parent
        self._shares = [s / whole for s in shares]
        self._starts = [sum(self._shares[:i]) for i in range(len(shares))]
        self._stage = 0

    def begin(self, stage: int) -> None:
        """Start stage ``stage`` (stages skipped before it count as done); stop here if cancelled."""
        self._stage = stage
        self.plan(0)
        self._tell()
        self.check()

    def finish(self) -> None:
        """The whole plan is done (stages left over were not needed)."""
        self._parent.report(STAGED_SCALE, STAGED_SCALE)

    def cancel(self) -> None:
        self._parent.cancel()

    @property
    def cancelled(self) -> bool:
        return self._parent.cancelled

    def check(self) -> None:
        self._parent.check()

    def step(self, preview: np.ndarray | None = None, count: int = 1) -> None:
        self.done += count
        self._tell(preview)
        self.check()

    def _tell(self, preview: np.ndarray | None = None) -> None:
        within = min(1.0, self.done / self.total) if self.total > 0 else 0.0
        fraction = self._starts[self._stage] + self._shares[self._stage] * within
        self._parent.report(min(STAGED_SCALE, round(fraction * STAGED_SCALE)), STAGED_SCALE, preview)
