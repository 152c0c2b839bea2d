"""Wall time of each task on a 1024×768 photo at default settings (the bundled model).

    python benchmarks/task_time.py [--model DIR] [--steps N] [--backend onnx|torch]

The photo is a real one from tests/data, enlarged to 1024×768; the inpaint mask holds a
long thin scratch and a 120 px stain; extend adds 128 px left and right.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import load_image
from palette_desktop.core.masks import draw_stroke
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import Backend, load_model
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.extend import Margins
from palette_desktop.tasks.run import TaskRequest, apply_task

PHOTO = Path(__file__).resolve().parents[1] / "tests" / "data" / "shirt.jpg"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--backend", default="onnx")
    args = parser.parse_args()
    model = load_model(args.model, Backend(args.backend))
    photo = load_image(PHOTO)
    photo = photo.with_pixels(cv2.resize(photo.pixels, (1024, 768), interpolation=cv2.INTER_CUBIC).clip(0, 1))
    mask = np.zeros((768, 1024), np.float32)
    draw_stroke(mask, [(50, 40), (400, 300), (900, 700)], radius=3)
    draw_stroke(mask, [(700, 200)], radius=60)
    options = SamplingOptions(steps=args.steps or model.manifest.default_steps)
    requests = [TaskRequest(Task.COLORIZE, options), TaskRequest(Task.INPAINT, options, mask=mask),
                TaskRequest(Task.EXTEND, options, margins=Margins(128, 0, 128, 0)), TaskRequest(Task.JPEG, options)]
    print(f"model: {model.manifest.name} on {model.backend_name}, {options.steps} steps, 1024×768")
    print("| task | network steps | wall time (s) |\n|---|---|---|")
    for request in requests:
        state = TaskState()
        start = time.perf_counter()
        apply_task(photo, request, model, state)
        print(f"| {request.task.value} | {state.done} | {time.perf_counter() - start:.1f} |")


if __name__ == "__main__":
    main()
