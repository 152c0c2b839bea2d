"""Out of memory: candidates one at a time, then smaller tiles, then a clear message.

The tiny model's real ONNX session runs every call; ``LimitedMemory`` only plays the part
of a machine with little memory by refusing batches larger than it allows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import OutOfMemory
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.batching import split_on_oom
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest, apply_task


class LimitedMemory:
    def __init__(self, real, max_values: int) -> None:
        self.real, self.max_values, self.name, self.refused = real, max_values, real.name, 0

    def denoise(self, noisy, gamma, condition):
        return split_on_oom(self._run, noisy, gamma, condition)

    def _run(self, noisy, gamma, condition):
        if noisy.size > self.max_values:
            self.refused += 1
            raise OutOfMemory(f"out of memory running the model at {noisy.shape[3]}×{noisy.shape[2]}")
        return self.real.denoise(noisy, gamma, condition)


def test_candidates_run_one_at_a_time_with_the_same_result(tiny_model, shirt):
    request = TaskRequest(Task.COLORIZE, SamplingOptions(steps=2, candidates=2))
    roomy = apply_task(shirt, request, tiny_model, TaskState())
    tight = LimitedMemory(tiny_model.denoiser, 3 * 64 * 64)
    cramped = apply_task(shirt, request, replace(tiny_model, denoiser=tight), TaskState())
    assert tight.refused > 0
    for a, b in zip(roomy, cramped):
        assert np.abs(a.pixels - b.pixels).max() < 1e-4


def test_jpeg_falls_back_to_smaller_tiles(tiny_model, shirt, monkeypatch):
    monkeypatch.setattr("palette_desktop.tasks.jpeg.MIN_TILE", 16)
    tight = LimitedMemory(tiny_model.denoiser, 3 * 40 * 40)
    model = replace(tiny_model, denoiser=tight)
    out = apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), model, TaskState())[0]
    assert tight.refused > 0 and out.size == shirt.size


def test_nothing_fits_gives_a_clear_message(tiny_model, shirt):
    model = replace(tiny_model, denoiser=LimitedMemory(tiny_model.denoiser, 10))
    with pytest.raises(OutOfMemory, match="out of memory"):
        apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), model, TaskState())
