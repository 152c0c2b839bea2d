"""How well the damage detector finds scratches, cracks, tears and dust, and what it leaves alone.

    python benchmarks/damage_detection.py [--data ../shared/data/val] [--limit N] [--grid docs/damage_detection.jpg]
                                          [--model other.onnx]

Synthetic damage (core/synthetic_damage.py: light and dark curves 1–6 px wide, cracks,
specks, some blurred; wide ragged cracks and tears) is drawn on every validation photo,
in three cases:

- photo: the colour photo itself, thin damage;
- old scan: the photo as an old print scanned again — gray or sepia-toned, faded, the
  thin damage on the print, then the scanner's softness, film grain and JPEG on top;
- cracked print: an old print with wide cracks and tears (6–15 px at their widest,
  paper-white or dark, ragged, branching) and a little thin damage, scanned again.

Scores are pixel precision/recall/F1 with a 2-px tolerance, summed over all photos; the
share of the damage's inside (pixels more than 3 px from its edge: the inside of wide
cracks, which a detector that only finds edges misses, with no tolerance) marked; and
the fraction of pixels masked on the same photos without damage (mean and worst photo).
``--grid`` also writes a picture of masks found on old scans, to look at. The detector's
network is trained by ``python -m palette_desktop.model.damage_net`` on other photos.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.imageio import load_image, photo_files
from palette_desktop.core.pixels import to_float
from palette_desktop.core.synthetic_damage import MatchCounts, damage_cases, match
from palette_desktop.engine import damage_detector
from palette_desktop.engine.damage_detector import detect_damage

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 2.0
INSIDE = 3.0
"""A damage pixel farther than this from the damage's edge is inside it."""


def overlay(image: np.ndarray, found: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Found damage in red over the photo; true damage it missed in cyan."""
    out = image.copy()
    missed = (true > 0) & (cv2.dilate(found.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0)
    out[found > 0] = 0.55 * out[found > 0] + 0.45 * np.array([1.0, 0.0, 0.0])
    out[missed] = [0.0, 1.0, 1.0]
    return out


def use_model(path: Path) -> None:
    """Have ``detect_damage`` run the network in ``path`` instead of the shipped one, to compare
    networks in one process (as tests/conftest.py's broken_detector swaps the file; each
    photo gets a new session, so the next photo reads it)."""
    damage_detector.resource = lambda name: path


def inside(true: np.ndarray) -> np.ndarray:
    """Pixels of the true mask farther than INSIDE px from its edge."""
    return cv2.distanceTransform((true > 0).astype(np.uint8), cv2.DIST_L2, 5) > INSIDE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "val")
    parser.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write a picture of masks on old scans here (PNG or JPEG)")
    parser.add_argument("--model", type=Path, help="measure this detector file instead of resources/damage_net.onnx")
    args = parser.parse_args()
    if args.model:
        use_model(args.model)
    files = photo_files(args.data, args.limit)
    if not files:
        raise SystemExit(f"no photos in {args.data}")
    rng = np.random.default_rng(args.seed)
    scores: dict[str, MatchCounts] = {}
    false_positive: dict[str, list[float]] = {}
    insides: dict[str, list[int]] = {}  # per case: inside pixels, and those marked
    seconds: list[float] = []
    grid: list[np.ndarray] = []
    for path in files:
        photo = to_float(load_image(path).pixels)
        for case, (clean, damaged, true) in damage_cases(photo, rng).items():
            start = time.perf_counter()
            found = detect_damage(damaged)
            seconds.append(time.perf_counter() - start)
            scores[case] = scores.get(case, MatchCounts(0, 0, 0, 0)) + match(found, true, TOLERANCE)
            deep = inside(true)
            counts = insides.setdefault(case, [0, 0])
            counts[0], counts[1] = counts[0] + int(deep.sum()), counts[1] + int((found[deep] > 0).sum())
            false_positive.setdefault(case, []).append(float(detect_damage(clean).mean()))
            if case == "old scan" and args.grid and len(grid) < 8:
                grid.append(np.hstack([damaged, overlay(damaged, found, true)]))
    print(f"{len(files)} photos from {args.data}, {TOLERANCE:g} px tolerance, "
          f"{1000 * np.mean(seconds):.0f} ms per photo")
    print("| case | precision | recall | F1 | inside marked | masked, undamaged (mean) | masked, undamaged (worst) |")
    print("|---|---|---|---|---|---|---|")
    for case, s in scores.items():
        fp = false_positive[case]
        deep, marked = insides[case]
        print(f"| {case} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {100 * marked / max(deep, 1):.1f} % "
              f"of {deep} px | {100 * np.mean(fp):.2f} % | {100 * np.max(fp):.2f} % |")
    if args.grid:
        write_grid(grid, args.grid)
        print(f"grid: {args.grid}")


def write_grid(tiles: list[np.ndarray], path: Path, columns: int = 2, height: int = 260) -> None:
    """Tiles scaled to one height, in rows of ``columns``, as an 8-bit image (format from the suffix)."""
    scaled = [cv2.resize(t, (round(t.shape[1] * height / t.shape[0]), height), interpolation=cv2.INTER_AREA)
              for t in tiles]
    width = max(t.shape[1] for t in scaled)
    scaled = [np.pad(t, ((0, 4), (0, width - t.shape[1] + 4), (0, 0)), constant_values=1.0) for t in scaled]
    rows = [np.hstack(scaled[i:i + columns] + [np.ones_like(scaled[0])] * (columns - len(scaled[i:i + columns])))
            for i in range(0, len(scaled), columns)]
    Image.fromarray(np.round(np.vstack(rows) * 255).astype(np.uint8)).save(path, quality=88)


if __name__ == "__main__":
    main()
