"""Peak memory (RSS, the process included) and time of every task on large scans, through
the CLI and the window.

    python benchmarks/memory.py [--sizes 10,40,100] [--tasks colorize,jpeg,...] [--photos DIR]
                                [--against DIR] [--window | --only-window] [--folder DIR]

The photos are made from real ones (``--photos``, default tests/data): each enlarged to
1024×768 and laid side by side into a mosaic of 10, 40 or 100 MP (100 MP is 11547×8660),
with a scanner's grain, saved as a JPEG (quality 90), as a black-and-white JPEG with
scratches drawn on it (colorize and auto), and as a 16-bit colour TIFF. Inpaint gets a
mask of long scratches and a stain, extend 5 % more width on each side. Each task runs as
``palette-desktop restore`` in a process of its own, writing a PNG (a TIFF for the 16-bit
scan); its peak RSS is what the system counted for that process (``ru_maxrss``), its
time the process's wall time, model load included. ``--window`` also opens the
photo in the window (offscreen), imports inpaint's mask as a mask file or drags extend's
frame, and runs each task but the 16-bit one through its engine thread (auto as
Restore Old Photo, every step on the History).
``--against`` measures another checkout the same way, in turns with this one, for
before/after figures from one run (``git worktree add /tmp/before COMMIT``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import Image

from palette_desktop.core.imageio import photo_files

ROOT = Path(__file__).resolve().parents[1]
SIZES = {10: (3651, 2738), 40: (7302, 5477), 100: (11547, 8660)}
TASKS = ("colorize", "inpaint", "extend", "jpeg", "auto", "jpeg-16-bit")
TILE = (1024, 768)
WINDOW_TASKS = ("colorize", "inpaint", "extend", "jpeg", "auto")

# core.memory.peak_resident_bytes in KB, written out: --against runs checkouts older than it
PEAK_KB = """
import sys
def peak_kb():
    '''Peak RSS in KB: VmHWM, which starts afresh at exec (ru_maxrss keeps the parent's
    from the fork), or ru_maxrss where there is no /proc.'''
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
"""

CLI = PEAK_KB + """
from palette_desktop.cli import main
code = main(sys.argv[1:])
print("peak-kb", peak_kb(), file=sys.stderr)
sys.exit(code)
"""

WINDOW = PEAK_KB + """
import os, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from palette_desktop.app.main import make_application
from palette_desktop.app.main_window import MainWindow
from palette_desktop.app.settings import Settings
from palette_desktop.core.conditions import Task
app = make_application([])
window = MainWindow(Settings())
window.show()
while window.model is None:
    app.processEvents()
    time.sleep(0.05)
assert window.open_path(sys.argv[1]), "could not open"
task, extra = sys.argv[2], sys.argv[3:]
if task == "inpaint":
    assert window.mask_tools.import_mask(extra[0]), "could not use the mask"
if task == "extend":
    from palette_desktop.tasks.extend import Margins
    window.extend_frame.move(Margins(*map(int, extra[0].split(","))), "Extend frame")
result = []
window.engine.finished.connect(lambda job, photos: result.append("done"))
window.engine.failed.connect(lambda job, message: result.append(message))
job = window.old_photo.restore() if task == "auto" else window.run_task(Task(task))
assert job is not None, "the task did not start"
while not result:
    app.processEvents()
    time.sleep(0.05)
app.processEvents()
print("peak-kb", peak_kb(), file=sys.stderr)
window.history.stack.setClean()
window.engine.shutdown()
os._exit(0 if result == ["done"] else 1)
"""


def mosaic(size: tuple[int, int], sources: list[Path], rng: np.random.Generator) -> np.ndarray:
    """HxWx3 uint8: the source photos, each enlarged to 1024×768, side by side, with grain."""
    width, height = size
    tiles = [cv2.resize(np.asarray(Image.open(p).convert("RGB")), TILE, interpolation=cv2.INTER_CUBIC)
             for p in sources]
    out = np.empty((height, width, 3), np.uint8)
    index = 0
    for y in range(0, height, TILE[1]):
        for x in range(0, width, TILE[0]):
            tile = tiles[index % len(tiles)]
            index += 1
            out[y:y + TILE[1], x:x + TILE[0]] = tile[:height - y, :width - x]
    for y in range(0, height, 512):  # grain, a band at a time
        band = out[y:y + 512]
        band[:] = np.clip(band + rng.normal(0, 4, band.shape[:2])[..., None], 0, 255).astype(np.uint8)
    return out


def scratched_gray(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """HxW uint8: the photo in black and white, with long light and dark scratches."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    for _ in range(max(2, round(w * h / 4e6))):
        points = (rng.uniform(0, 1, (4, 2)) * (w, h)).astype(np.int32)
        cv2.polylines(gray, [points], False, int(rng.choice([15, 240])), thickness=3, lineType=cv2.LINE_AA)
    return gray


def scratch_mask(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """HxW uint8: thin scratches across the photo and one stain, as a user would paint them."""
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    for _ in range(max(2, round(width * height / 4e6))):
        points = (rng.uniform(0, 1, (3, 2)) * (width, height)).astype(np.int32)
        cv2.polylines(mask, [points], False, 255, thickness=5)
    cv2.circle(mask, (width // 3, height // 2), max(20, width // 60), 255, -1)
    return mask


def make_inputs(folder: Path, megapixels: int, sources: list[Path]) -> dict[str, list[str]]:
    """The photos in ``folder``; each task's ``restore`` arguments."""
    size = SIZES[megapixels]
    rng = np.random.default_rng(megapixels)
    rgb = mosaic(size, sources, rng)
    photo, gray, mask, tiff = (folder / f"{megapixels}mp-{n}" for n in ("photo.jpg", "gray.jpg", "mask.png", "16.tif"))
    if not photo.exists():
        Image.fromarray(rgb).save(photo, quality=90)
        Image.fromarray(scratched_gray(rgb, rng)).save(gray, quality=90)
        Image.fromarray(scratch_mask(size, rng)).save(mask, compress_level=1)
        tifffile.imwrite(tiff, rgb.astype(np.uint16) * 257 + rng.integers(0, 257, rgb.shape[:2], np.uint16)[..., None],
                         photometric="rgb", compression="zlib", compressionargs={"level": 1}, maxworkers=2)
    out = str(folder / "out.png")
    margin = round(size[0] * 0.05)
    return {"colorize": ["restore", str(gray), out, "--task", "colorize"],
            "inpaint": ["restore", str(photo), out, "--task", "inpaint", "--mask", str(mask)],
            "extend": ["restore", str(photo), out, "--task", "extend", "--extend", f"{margin},0,{margin},0"],
            "jpeg": ["restore", str(photo), out, "--task", "jpeg"],
            "auto": ["restore", str(gray), out, "--task", "auto"],
            "jpeg-16-bit": ["restore", str(tiff), str(folder / "out.tif"), "--task", "jpeg"]}


def run_peak(checkout: Path, code: str, arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in bytes of ``code`` run with ``arguments`` from ``checkout``'s sources."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *arguments], cwd=checkout, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak-kb ")]
    if done.returncode or not peaks:
        raise SystemExit(f"{checkout}: {' '.join(arguments[:4])}: {done.stderr.strip()[-600:]}")
    return wall, int(peaks[-1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,40,100", help="megapixels, of 10, 40 and 100")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--photos", type=Path, default=ROOT / "tests" / "data", help="real photos to make them of")
    parser.add_argument("--against", type=Path, help="another checkout to measure the same way, in turns")
    parser.add_argument("--window", action="store_true", help="also through the window (offscreen), where it can")
    parser.add_argument("--only-window", action="store_true", help="through the window only")
    parser.add_argument("--folder", type=Path, help="keep the large photos here (default: a temporary folder)")
    args = parser.parse_args()
    checkouts = ({"before": args.against.resolve()} if args.against else {}) | {"this": ROOT}
    sources = photo_files(args.photos, 64)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        head = [f"{name} {what}" for name in checkouts for what in ("peak GB", "B/px", "s")]
        print("| task | MP | " + " | ".join(head) + " |\n|---|---|" + "---|" * len(head), flush=True)
        for megapixels in (int(s) for s in args.sizes.split(",")):
            inputs = make_inputs(folder, megapixels, sources)
            pixels = SIZES[megapixels][0] * SIZES[megapixels][1]
            runs = [] if args.only_window else [(task, CLI, inputs[task]) for task in args.tasks.split(",")]
            if args.window or args.only_window:  # the photo, the task, and inpaint's mask or extend's margins
                runs += [(f"{task} (window)", WINDOW, [inputs[task][1], task, *inputs[task][6:7]])
                         for task in args.tasks.split(",") if task in WINDOW_TASKS]
            for label, code, arguments in runs:
                cells = []
                for checkout in checkouts.values():
                    wall, peak = run_peak(checkout, code, arguments)
                    cells += [f"{peak / 1e9:.2f}", f"{peak / pixels:.1f}", f"{wall:.0f}"]
                print(f"| {label} | {megapixels} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
