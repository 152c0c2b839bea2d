"""A long batch keeps its memory flat: peak RSS at photo 100 and at photo 1,000 of 1,000 small photos.

    python benchmarks/batch_memory.py [--photos 1000] [--data ../shared/data/val] [--task jpeg] [--steps 1]

The photos are made from real ones (the validation photos, or tests/data where that
folder is absent): a random crop of each, scaled to 64–128 px a side, saved as JPEG,
the same ones on every run (seeded). The batch runs in this process through
:func:`run_batch`, the engine of the CLI's ``batch`` and the window's Batch dialog, on
the bundled model (ONNX Runtime, CPU), its CSV report written as it goes. The fastest
task and quality are the default so that 1,000 photos take minutes on 2 cores; every
photo has its own size, so the network meets a new shape again and again.

Peak RSS (``ru_maxrss``) is read when photo 100 and photo 1,000 are done; the batch
keeps memory flat when the two are within 10 % (exit status 1 when not). The RSS at
that moment and the time per photo are printed beside them. The photos are made in a
child process: the full-size sources would otherwise set a peak the batch stays under.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import Photo, load_image, photo_files, save_image
from palette_desktop.core.pixels import to_float
from palette_desktop.engine.loader import Backend, load_model
from palette_desktop.tasks.batch import plan_batch, run_batch
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT.parent / "shared" / "data" / "val"
CHECKPOINTS = (100, 1000)
FLAT_WITHIN = 0.10


def make_photos(sources: list[Path], count: int, folder: Path, seed: int = 0) -> None:
    """``count`` small JPEGs in ``folder``: random crops of the sources, 64–128 px a side."""
    rng = np.random.default_rng(seed)
    pixels = [to_float(load_image(path).pixels) for path in sources]
    for index in range(count):
        image = pixels[index % len(pixels)]
        h, w = image.shape[:2]
        ch, cw = rng.integers(min(h, 64), h + 1), rng.integers(min(w, 64), w + 1)
        top, left = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        size = (int(rng.integers(64, 129)), int(rng.integers(64, 129)))  # width, height
        small = cv2.resize(image[top:top + ch, left:left + cw], size, interpolation=cv2.INTER_AREA)
        save_image(Photo(np.clip(small, 0, 1)), folder / f"photo{index:04d}.jpg", quality=90)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=VALIDATION if VALIDATION.is_dir() else ROOT / "tests" / "data")
    parser.add_argument("--task", choices=[t.value for t in (Task.JPEG, Task.COLORIZE)], default=Task.JPEG.value)
    parser.add_argument("--steps", type=int, default=1)
    args = parser.parse_args()
    checkpoints = [c for c in CHECKPOINTS if c <= args.photos]

    model = load_model(None, Backend.ONNX, "cpu")
    with tempfile.TemporaryDirectory(prefix="batch-memory-") as tmp:
        src, out = Path(tmp) / "photos", Path(tmp) / "restored"
        src.mkdir()
        started = time.perf_counter()
        maker = multiprocessing.get_context("spawn").Process(target=make_photos,
                                                             args=(photo_files(args.data), args.photos, src))
        maker.start()
        maker.join()
        if maker.exitcode != 0:
            print("making the photos failed", file=sys.stderr)
            return 2
        print(f"{args.photos} photos of 64–128 px from {args.data} made in {time.perf_counter() - started:.0f} s")
        items = plan_batch(src, out, task=args.task)
        at: dict[int, tuple[float, float, float]] = {}
        before = peak_rss_mb()
        started = time.perf_counter()

        def on_file(index: int, _item, status: str) -> None:
            if status == "running":
                return
            if status != "done":
                print(f"  {items[index].source.name}: {status}", file=sys.stderr)
            if index + 1 in checkpoints:
                at[index + 1] = (peak_rss_mb(), rss_mb(), time.perf_counter() - started)

        report = run_batch(items, TaskRequest(Task(args.task), SamplingOptions(steps=args.steps)), model,
                           on_file=on_file)
    print(f"model {model.manifest.name} on {model.backend_name}; task {args.task}, {args.steps} step(s); "
          f"{len(report.done)} done, {len(report.failed)} failed; report: {report.report_file.name}")
    print(f"peak RSS before the batch, the model loaded: {before:.0f} MB")
    for photo, (peak, now, seconds) in at.items():
        print(f"photo {photo:>5}: peak RSS {peak:.0f} MB, RSS {now:.0f} MB, {seconds:.0f} s "
              f"({1000 * seconds / photo:.0f} ms a photo)")
    if len(at) < 2:
        return 0
    first, last = at[checkpoints[0]][0], at[checkpoints[-1]][0]
    growth = last / first - 1
    print(f"peak RSS grew {100 * growth:+.1f} % from photo {checkpoints[0]} to photo {checkpoints[-1]}: "
          + ("flat" if growth <= FLAT_WITHIN else f"NOT flat (over {100 * FLAT_WITHIN:.0f} %)"))
    return 0 if growth <= FLAT_WITHIN else 1


if __name__ == "__main__":
    sys.exit(main())
