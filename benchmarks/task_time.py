"""Seconds per task on a 1024×768 photo through the CLI, process start and model load
included, and the same in steps of the UNet at 256² measured in the same run.

    python benchmarks/task_time.py [--steps N] [--repeats 3] [--against DIR] [--unit-model DIR]

The photo is a real one from tests/data, enlarged to 1024×768: colorize gets its gray
version, inpaint a mask with a long 7 px scratch and a 120 px stain, extend adds 128 px
left and right, jpeg gets it saved at JPEG quality 20. ``--against`` times another
checkout the same way, in turns with this one, for before/after figures on a busy
machine (``git worktree add /tmp/before COMMIT``). The unit is one ONNX Runtime step at
256² with this checkout's session options, of the bundled model and of ``--unit-model``
(say, the UNet the targets were set with). Each figure is the best of ``--repeats``; CPU
time (Unix) is given beside wall time, as a busy machine makes wall time jump.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from palette_desktop.core.imageio import Photo, load_image, save_image
from palette_desktop.core.masks import draw_stroke
from palette_desktop.core.pixels import to_float
from palette_desktop.engine.loader import default_model_dir

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "tests" / "data" / "shirt.jpg"
TASKS = ("colorize", "inpaint", "extend", "jpeg")

STEPS = """
import sys, time, numpy as np
from palette_desktop.engine.onnx_backend import OnnxDenoiser
denoisers = [OnnxDenoiser(path, "cpu") for path in sys.argv[1:]]
rng = np.random.default_rng(0)
feed = (rng.standard_normal((1, 3, 256, 256), dtype=np.float32), np.full((1,), 0.5, np.float32),
        rng.uniform(-1, 1, (1, 4, 256, 256)).astype(np.float32))
wall, cpu = [float("inf")] * len(denoisers), [float("inf")] * len(denoisers)
for denoiser in denoisers:
    denoiser.denoise(*feed)
for _ in range(10):  # in turns, so that a busy spell slows each model alike
    for index, denoiser in enumerate(denoisers):
        start, start_cpu = time.perf_counter(), time.process_time()
        denoiser.denoise(*feed)
        wall[index] = min(wall[index], time.perf_counter() - start)
        cpu[index] = min(cpu[index], time.process_time() - start_cpu)
print(*wall, *cpu)
"""


def make_inputs(folder: Path) -> dict[str, list[str]]:
    """The photos and mask in ``folder``; each task's ``restore`` arguments."""
    pixels = cv2.resize(to_float(load_image(PHOTO).pixels), (1024, 768), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    save_image(Photo(pixels), folder / "photo.png")
    save_image(Photo(pixels), folder / "photo.jpg", quality=20)
    gray = np.repeat(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    save_image(Photo(gray, grayscale=True), folder / "gray.png")
    mask = np.zeros((768, 1024), np.float32)
    draw_stroke(mask, [(50, 40), (400, 300), (900, 700)], radius=3)
    draw_stroke(mask, [(700, 200)], radius=60)
    save_image(Photo(np.repeat(mask[..., None], 3, axis=2)), folder / "mask.png")
    out = str(folder / "out.png")
    return {"colorize": [str(folder / "gray.png"), out, "--task", "colorize"],
            "inpaint": [str(folder / "photo.png"), out, "--task", "inpaint", "--mask", str(folder / "mask.png")],
            "extend": [str(folder / "photo.png"), out, "--task", "extend", "--extend", "128,0,128,0"],
            "jpeg": [str(folder / "photo.jpg"), out, "--task", "jpeg"]}


def cli_seconds(checkout: Path, arguments: list[str]) -> tuple[float, float]:
    """Wall and CPU time (user + system) of ``palette-desktop restore`` from ``checkout``'s sources."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", *arguments], cwd=checkout,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{checkout}: {done.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def step_seconds(model_dirs: list[Path]) -> list[tuple[float, float]]:
    """Best wall and CPU time of one ONNX Runtime step at 256² of each model, with this
    checkout's session options."""
    done = subprocess.run([sys.executable, "-c", STEPS, *(str(d / "model.onnx") for d in model_dirs)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    values = [float(v) for v in done.stdout.split()]
    return list(zip(values[:len(model_dirs)], values[len(model_dirs):]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="quality preset's steps (default: the model's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout to time the same way, in turns")
    parser.add_argument("--unit-model", type=Path, help="also give the times in steps of this model's UNet")
    parser.add_argument("--tasks", default=",".join(TASKS))
    args = parser.parse_args()
    checkouts = ({"against": args.against.resolve()} if args.against else {}) | {"this": ROOT}
    units = {"bundled": default_model_dir()} | ({"unit": args.unit_model} if args.unit_model else {})
    tasks = args.tasks.split(",")
    best: dict[tuple[str, str], tuple[float, float]] = {}

    def keep(key: tuple[str, str], times: tuple[float, float]) -> None:
        best[key] = tuple(min(a, b) for a, b in zip(best.get(key, (float("inf"),) * 2), times))

    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp))
        for _ in range(args.repeats):
            for name, times in zip(units, step_seconds(list(units.values()))):
                keep((name, "step"), times)
            for task in tasks:
                for name, checkout in checkouts.items():
                    keep((name, task), cli_seconds(checkout, inputs[task] + (["--steps", str(args.steps)]
                                                                               if args.steps else [])))
    labels = {"against": "before", "this": "after"} if args.against else {"this": "this"}
    print(f"1024×768, best of {args.repeats}. One ONNX Runtime step at 256² (best of {10 * args.repeats}): "
          + ", ".join(f"{units[n].name} {best[n, 'step'][0] * 1000:.0f} ms ({best[n, 'step'][1] * 1000:.0f} ms CPU)"
                      for n in units))
    for measure, title in ((0, "Wall time"), (1, "CPU time (user + system: steadier on a busy machine)")):
        head = [f"{labels[c]} s" for c in checkouts] + [f"{labels[c]} × step of {units[n].name}"
                                                        for c in checkouts for n in units]
        print(f"\n{title}\n\n| task | " + " | ".join(head) + " |\n|---|" + "---|" * len(head))
        for task in tasks:
            cells = [f"{best[c, task][measure]:.2f}" for c in checkouts]
            cells += [f"{best[c, task][measure] / best[n, 'step'][measure]:.1f}" for c in checkouts for n in units]
            print(f"| {task} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
