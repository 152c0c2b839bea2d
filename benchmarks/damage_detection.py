"""How well the damage detector finds scratches, cracks and dust, and what it leaves alone.

    python benchmarks/damage_detection.py [--data ../shared/data/val] [--limit N] [--grid docs/damage_detection.jpg]

Synthetic damage (core/synthetic_damage.py: light and dark curves 1–6 px wide, cracks,
specks, some blurred) is drawn on every validation photo, in two cases:

- photo: the colour photo itself;
- old scan: the photo as an old print scanned again — gray or sepia-toned, faded, the
  damage on the print, then the scanner's softness, film grain and JPEG on top.

Scores are pixel precision/recall/F1 with a 2-px tolerance, summed over all photos, and
the fraction of pixels masked on the same photos without damage (mean and worst photo).
``--grid`` also writes a picture of masks found on old scans, to look at. ``--fit
FOLDER`` instead tunes the detector's score weights (core/damage.py WEIGHTS) on the
same kinds of damage drawn on other photos (the training set) and prints them.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.damage import FEATURES, WEIGHTS, candidates, detect_damage, luminance
from palette_desktop.core.degrade import old_print
from palette_desktop.core.imageio import READ_SUFFIXES, load_image
from palette_desktop.core.synthetic_damage import MatchCounts, add_damage, match

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 2.0


def rescan(print_: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a flatbed scan of a print adds: slight softness, film grain, JPEG."""
    out = cv2.GaussianBlur(print_, (0, 0), rng.uniform(0.4, 0.9))
    grain = cv2.GaussianBlur(rng.normal(0, 1, out.shape[:2]).astype(np.float32), (0, 0), rng.uniform(0.5, 1.0))
    grain *= rng.uniform(0.015, 0.035) / max(float(grain.std()), 1e-6)
    out = np.clip(out + grain[..., None] * np.sqrt(np.clip(out, 0.05, 1)), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray(np.round(out * 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(60, 90)))
    return np.asarray(Image.open(buffer).convert("RGB"), np.float32) / 255


def cases(photo: np.ndarray, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each case: (undamaged, damaged, true mask)."""
    damaged = add_damage(photo, rng)
    aged = old_print(photo, rng)
    old = add_damage(aged, rng)
    state = rng.bit_generator.state
    clean_scan = rescan(aged, rng)
    rng.bit_generator.state = state  # the same scanner noise on the damaged copy
    return {"photo": (photo, damaged.image, damaged.mask),
            "old scan": (clean_scan, rescan(old.image, rng), old.mask)}


def photos(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in READ_SUFFIXES)
    if limit and limit < len(files):
        files = [files[i] for i in np.linspace(0, len(files) - 1, limit).round().astype(int)]
    return files


def overlay(image: np.ndarray, found: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Found damage in red over the photo; true damage it missed in cyan."""
    out = image.copy()
    missed = (true > 0) & (cv2.dilate(found.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0)
    out[found > 0] = 0.55 * out[found > 0] + 0.45 * np.array([1.0, 0.0, 0.0])
    out[missed] = [0.0, 1.0, 1.0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "val")
    parser.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", type=Path, help="write a picture of masks on old scans here (PNG or JPEG)")
    parser.add_argument("--fit", type=Path, metavar="FOLDER", help="fit the score weights on photos from FOLDER")
    args = parser.parse_args()
    if args.fit:
        fit(photos(args.fit, args.limit or 100), np.random.default_rng(args.seed))
        return
    files = photos(args.data, args.limit)
    if not files:
        raise SystemExit(f"no photos in {args.data}")
    rng = np.random.default_rng(args.seed)
    scores: dict[str, MatchCounts] = {}
    false_positive: dict[str, list[float]] = {}
    seconds: list[float] = []
    grid: list[np.ndarray] = []
    for path in files:
        photo = load_image(path).pixels
        for case, (clean, damaged, true) in cases(photo, rng).items():
            start = time.perf_counter()
            found = detect_damage(damaged)
            seconds.append(time.perf_counter() - start)
            scores[case] = scores.get(case, MatchCounts(0, 0, 0, 0)) + match(found, true, TOLERANCE)
            false_positive.setdefault(case, []).append(float(detect_damage(clean).mean()))
            if case == "old scan" and args.grid and len(grid) < 8:
                grid.append(np.hstack([damaged, overlay(damaged, found, true)]))
    print(f"{len(files)} photos from {args.data}, {TOLERANCE:g} px tolerance, "
          f"{1000 * np.mean(seconds):.0f} ms per photo")
    print("| case | precision | recall | F1 | masked, undamaged (mean) | masked, undamaged (worst) |")
    print("|---|---|---|---|---|---|")
    for case, s in scores.items():
        fp = false_positive[case]
        print(f"| {case} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {100 * np.mean(fp):.2f} % | "
              f"{100 * np.max(fp):.2f} % |")
    if args.grid:
        write_grid(grid, args.grid)
        print(f"grid: {args.grid}")


def fit(files: list[Path], rng: np.random.Generator, max_masked: float = 0.005, rounds: int = 12) -> None:
    """Tune the score weights for the best F1 on damage drawn on ``files``, keeping the
    mean masked fraction of the same photos undamaged under ``max_masked``.

    Each candidate component is counted once: its pixels (as the mask dilates them)
    within the tolerance of true damage, all its pixels, and the true damage pixels it
    is the nearest to. Precision and recall of any weights are then sums over the
    components they keep, so a coordinate search from the current weights is quick.
    """
    damaged, undamaged = [], []
    for path in files:
        photo = load_image(path).pixels
        for clean, image, true in cases(photo, rng).values():
            damaged.append(_component_counts(image, true))
            undamaged.append(_component_counts(clean, np.zeros_like(true)))
    features = np.vstack([d[0] for d in damaged])
    near, pixels, nearest = (np.concatenate([d[i] for d in damaged]) for i in (1, 2, 3))
    true_total = sum(d[4] for d in damaged)
    clean_features = np.vstack([u[0] for u in undamaged])
    clean_pixels = np.concatenate([u[2] for u in undamaged])
    image_pixels = sum(u[5] for u in undamaged)

    def scores(weights: np.ndarray) -> tuple[float, float]:
        keep = features @ weights > 0
        precision = near[keep].sum() / max(pixels[keep].sum(), 1)
        recall = nearest[keep].sum() / max(true_total, 1)
        masked = clean_pixels[clean_features @ weights > 0].sum() / image_pixels
        return 2 * precision * recall / max(precision + recall, 1e-9), masked

    def objective(weights: np.ndarray) -> float:
        f1, masked = scores(weights)
        return f1 if masked <= max_masked else -masked

    weights = WEIGHTS.astype(float).copy()
    best, step = objective(weights), np.maximum(np.abs(weights) * 0.3, 0.5)
    for _ in range(rounds):
        improved = False
        for i in range(len(weights)):
            for sign in (1, -1):
                trial = weights.copy()
                trial[i] += sign * step[i]
                if (score := objective(trial)) > best:
                    best, weights, improved = score, trial, True
        if not improved:
            step /= 2
    f1, masked = scores(weights)
    print(f"{len(files)} photos, {len(features)} candidate components: F1 {f1:.3f}, {masked:.2%} of undamaged "
          "photos masked (approximate)")
    print("FEATURES =", FEATURES)
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.2f}" for v in weights) + "])")


def _component_counts(image: np.ndarray, true: np.ndarray):
    """Features of every candidate component with its pixels near damage, all its pixels,
    the true damage pixels nearest to it, and the totals of true and all pixels."""
    found = [(labels, features) for labels, features in candidates(luminance(image))]
    labels = np.zeros(true.shape, np.int32)
    offset = 0
    for lab, features in found:
        labels[lab > 0] = lab[lab > 0] + offset
        offset += len(features)
    features = np.vstack([f for _, f in found]) if offset else np.zeros((0, len(FEATURES)))
    grown = cv2.dilate(labels.astype(np.float32), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))).astype(np.int32)
    near = cv2.distanceTransform((~true).astype(np.uint8), cv2.DIST_L2, 3) <= TOLERANCE if true.any() else true
    pixels = np.bincount(grown.ravel(), minlength=offset + 1)[1:]
    on_damage = np.bincount(grown.ravel(), weights=near.ravel(), minlength=offset + 1)[1:]
    nearest = np.zeros(offset)
    if true.any() and offset:
        distance, index = cv2.distanceTransformWithLabels((grown == 0).astype(np.uint8), cv2.DIST_L2, 3,
                                                          labelType=cv2.DIST_LABEL_PIXEL)
        owner = np.zeros(index.max() + 1, np.int32)
        owner[index[grown > 0]] = grown[grown > 0]
        reached = true & (distance <= TOLERANCE)
        nearest = np.bincount(owner[index][reached], minlength=offset + 1)[1:]
    return features, on_damage, pixels, nearest, int(true.sum()), true.size


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
