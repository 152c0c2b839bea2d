"""Running a batch one image at a time when the whole batch does not fit in memory."""

from __future__ import annotations

from typing import Callable

import numpy as np

from palette_desktop.core.errors import OutOfMemory

Run = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def split_on_oom(run: Run, noisy: np.ndarray, gamma: np.ndarray, condition: np.ndarray) -> np.ndarray:
    """``run`` on the batch; on :class:`OutOfMemory`, on each image in turn (the same result)."""
    try:
        return run(noisy, gamma, condition)
    except OutOfMemory:
        if noisy.shape[0] == 1:
            raise
    return np.concatenate([run(noisy[i:i + 1], gamma[i:i + 1], condition[i:i + 1]) for i in range(noisy.shape[0])])
