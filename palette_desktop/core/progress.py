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
        if self._on_step is not None:
            self._on_step(StepReport(self.done, max(self.total, self.done), preview))
        self.check()
