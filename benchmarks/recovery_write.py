"""What crash recovery costs on a 12 MP photo: seconds per step, on the window's thread and
on the writing thread, and the bytes each step adds to the recovery folder.

    python benchmarks/recovery_write.py [--photo PATH] [--megapixels 12]

Without ``--photo`` the photo is tests/data/carpet.jpg enlarged to 4000×3000 with a film
grain added, so that it compresses as a camera's photo does rather than as a smooth
enlargement. The steps are the window's own changes pushed on its history, with
results as a model gives them: a long brush stroke, an inpaint of a 600×400 box, a
colorize (a whole new photo) and an undo, each as 8-bit and as float32 results (the
tasks may hand back either). The window's thread is timed apart for the history's own
work and for the autosave's (noting the step, handing it over); the writing thread's
time is from then to the index on disk (``flush``), the fsyncs included.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from palette_desktop.app.autosave import Autosave  # noqa: E402
from palette_desktop.app.document import Document, PhotoChange, stroke_change  # noqa: E402
from palette_desktop.app.history import History  # noqa: E402
from palette_desktop.app.settings import Settings  # noqa: E402
from palette_desktop.core.imageio import Photo, load_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def camera_like(megapixels: float) -> Photo:
    """A real photo enlarged to ``megapixels`` at 4:3, with the grain of a camera's sensor."""
    photo = load_image(ROOT / "tests" / "data" / "carpet.jpg")
    width = int(round((megapixels * 1e6 * 4 / 3) ** 0.5))
    height = width * 3 // 4
    pixels = cv2.resize(np.asarray(photo.pixels), (width, height), interpolation=cv2.INTER_CUBIC)
    grain = np.random.default_rng(0).normal(0, 3.0, pixels.shape)
    scale = 255.0 if pixels.dtype == np.uint8 else 1.0
    noisy = np.clip(pixels.astype(np.float32) + grain.astype(np.float32) * scale / 255, 0, scale)
    return Photo(noisy.astype(photo.pixels.dtype) if scale == 255 else noisy)


def run(photo: Photo, as_float: bool, folder: Path) -> None:
    history = History()
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    autosave = Autosave(history, settings, lambda text, ms: print("said:", text), root=folder)
    doc = Document(photo)
    history.set_document(doc)
    w, h = photo.size

    def result(pixels: np.ndarray) -> np.ndarray:
        """Pixels as a task hands them back: the photo's own depth, or float32 in [0, 1]."""
        return pixels.astype(np.float32) / 255 if as_float and pixels.dtype == np.uint8 else pixels

    def inpaint_result() -> Photo:
        pixels = result(doc.photo.pixels).copy()
        pixels[h // 2:h // 2 + 400, w // 2:w // 2 + 600] = pixels[h // 2:h // 2 + 400, w // 2 - 600:w // 2][:, ::-1]
        return doc.photo.with_pixels(pixels)

    def colorize_result() -> Photo:
        warm = result(doc.photo.pixels).astype(np.float32) * np.float32([1.05, 1.0, 0.9])
        if as_float:
            return doc.photo.with_pixels(np.clip(warm, 0, 1))
        return doc.photo.with_pixels(np.rint(np.clip(warm, 0, 255)).astype(np.uint8))

    steps = [
        ("brush stroke (first step: the photo too)",
         lambda: stroke_change(doc.mask, [(w * 0.2, h * 0.3), (w * 0.6, h * 0.5)], 40)),
        ("inpaint 600×400", lambda: PhotoChange(doc, inpaint_result(), "Inpaint")),
        ("colorize (whole photo)", lambda: PhotoChange(doc, colorize_result(), "Colorize")),
        ("brush stroke", lambda: stroke_change(doc.mask, [(w * 0.1, h * 0.8), (w * 0.3, h * 0.7)], 25)),
        ("undo", None),
    ]
    kind = "float32" if as_float else "8-bit"
    print(f"\n{w}×{h} ({w * h / 1e6:.1f} MP), results as {kind}")
    history.pushed.disconnect(autosave._on_pushed)  # called below, to time it apart from the history's work
    for name, make in steps:
        change = make() if make else None
        start = time.perf_counter()
        if change is None:
            history.stack.undo()
        else:
            history.push(change)
        noted = time.perf_counter()
        autosave._timer.stop()  # the event loop's next turn: note the step and hand it to the writer
        autosave._on_pushed() if change is not None else autosave._sync()
        handed = time.perf_counter()
        autosave.flush()
        written = time.perf_counter()
        used = sum(p.stat().st_size for p in autosave.folder.iterdir())
        print(f"  {name:42s} history {(noted - start) * 1000:5.0f} ms · autosave on the window's thread "
              f"{(handed - noted) * 1000:4.1f} ms · written in {written - handed:5.2f} s · "
              f"folder {used / 2**20:6.1f} MB")
    autosave.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, help="a photo of your own instead of the enlarged one")
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args()
    QApplication.instance() or QApplication(sys.argv[:1])
    photo = load_image(args.photo) if args.photo else camera_like(args.megapixels)
    for as_float in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            run(photo, as_float, Path(folder))


if __name__ == "__main__":
    main()
