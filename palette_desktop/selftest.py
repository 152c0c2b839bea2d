"""``--self-test``: restore the built-in sample with every task, find a scratch drawn on
it, and check what must hold.

Run by the installer build on the fresh bundle, and by users who want to know the
install works. Exits non-zero on the first broken invariant.
"""

from __future__ import annotations

import sys
import time

import cv2
import numpy as np

from palette_desktop.core.color import lightness
from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import load_image
from palette_desktop.core.pixels import to_float
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.damage_detector import detect_damage
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.resources import resource
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.extend import Margins
from palette_desktop.tasks.run import TaskRequest, apply_task


def _detection_works(pixels: np.ndarray) -> bool:
    """The damage detector (its own network, in resources/) finds a scratch drawn across the sample."""
    start = time.perf_counter()
    scratch = np.zeros(pixels.shape[:2], np.uint8)
    h, w = scratch.shape
    cv2.line(scratch, (w // 8, h // 5), (7 * w // 8, 3 * h // 5), 1, 2)
    damaged = to_float(pixels).copy()
    damaged[scratch > 0] = 0.97
    try:
        found = detect_damage(damaged) > 0
        ok = bool(found[scratch > 0].mean() >= 0.8 and found.mean() < 0.05)
    except Exception as exc:  # a self-test reports every failure, whatever its kind
        print(f"  detect damage: FAILED ({type(exc).__name__}: {exc})")
        return False
    print(f"  detect damage: {'ok' if ok else 'FAILED'} ({time.perf_counter() - start:.1f} s)")
    return ok


def run_self_test(model: LoadedModel, steps: int = 2) -> int:
    photo = load_image(resource("sample.jpg"))
    w, h = photo.size
    mask = np.zeros((h, w), np.float32)
    mask[h // 3: h // 3 + 24, w // 4: 3 * w // 4] = 1
    options = SamplingOptions(steps=steps)
    checks = {
        Task.COLORIZE: (TaskRequest(Task.COLORIZE, options),
                        lambda out: (out.size == photo.size and
                                     np.abs(lightness(out.pixels) - lightness(photo.pixels)).mean() < 1.0)),
        Task.INPAINT: (TaskRequest(Task.INPAINT, options, mask=mask),
                       lambda out: np.array_equal(out.pixels[mask == 0], photo.pixels[mask == 0])),
        Task.EXTEND: (TaskRequest(Task.EXTEND, options, margins=Margins(16, 8, 16, 8)),
                      lambda out: (out.size == (w + 32, h + 16) and
                                   np.array_equal(out.pixels[8:8 + h, 16:16 + w], photo.pixels))),
        Task.JPEG: (TaskRequest(Task.JPEG, options), lambda out: out.size == photo.size),
    }
    failed = 0
    print(f"self-test: model {model.manifest.name} on {model.backend_name}")
    for task, (request, holds) in checks.items():
        start = time.perf_counter()
        try:
            out = apply_task(photo, request, model, TaskState())[0]
            ok = bool(holds(out)) and bool(np.isfinite(out.pixels).all())
        except Exception as exc:  # a self-test reports every failure, whatever its kind
            print(f"  {task.value}: FAILED ({type(exc).__name__}: {exc})")
            failed += 1
            continue
        failed += not ok
        print(f"  {task.value}: {'ok' if ok else 'FAILED'} ({time.perf_counter() - start:.1f} s)")
    failed += not _detection_works(photo.pixels)
    print("self-test passed" if not failed else f"self-test: {failed} check(s) failed", file=sys.stdout)
    return 1 if failed else 0
