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
FOLDER`` instead fits the detector's component classifier (core/damage_weights.py) to
the same kinds of damage drawn on other photos (the training set; needs torch).
"""

from __future__ import annotations

import argparse
import io
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.damage import FEATURES, candidates, detect_damage
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
        fit(photos(args.fit, args.limit or 1200), args.seed)
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


def fit(files: list[Path], seed: int, max_masked: float = 0.005, hidden: int = 32, iterations: int = 3000) -> None:
    """Fit the component classifier (core/damage_weights.py) to damage drawn on ``files``:
    the best F1 with at most ``max_masked`` of the same photos, undamaged, masked.

    Each candidate component is counted once: its pixels (as the mask dilates them)
    within the tolerance of true damage, all its pixels, and the true damage pixels it
    is the nearest to. The network learns the share of each component's pixels on
    damage, weighted by its size, as the pixel F1 counts them; the threshold is then
    set on the same sums.
    """
    import torch  # training only; the application runs the network in numpy

    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        per_photo = list(pool.map(_photo_counts, files, [seed] * len(files), range(len(files))))
    damaged = [d for photo in per_photo for d, _ in photo]
    undamaged = [u for photo in per_photo for _, u in photo]
    features = np.vstack([d[0] for d in damaged] + [u[0] for u in undamaged])
    on_damage = np.concatenate([d[1] for d in damaged] + [np.zeros(len(u[0])) for u in undamaged])
    pixels = np.concatenate([d[2] for d in damaged] + [u[2] for u in undamaged]).astype(np.float64)
    nearest = np.concatenate([d[3] for d in damaged] + [np.zeros(len(u[0])) for u in undamaged])
    clean = np.concatenate([np.zeros(len(d[0]), bool) for d in damaged] + [np.ones(len(u[0]), bool) for u in undamaged])
    true_total, image_pixels = sum(d[4] for d in damaged), sum(u[5] for u in undamaged)

    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(len(FEATURES), hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
              torch.nn.Linear(hidden, 1)]
    net = torch.nn.Sequential(*layers)
    x = torch.tensor((features - mean) / scale, dtype=torch.float32)
    share = torch.tensor(on_damage / np.maximum(pixels, 1), dtype=torch.float32)
    weight = torch.tensor(pixels / pixels.mean(), dtype=torch.float32)
    optimizer = torch.optim.Adam(net.parameters(), 3e-3, weight_decay=1e-4)
    for _ in range(iterations):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[:, 0], share, weight=weight)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = net(x)[:, 0].numpy()

    def scores(threshold: float) -> tuple[float, float, float, float]:
        keep = logits > threshold
        found = keep & ~clean
        precision = on_damage[found].sum() / max(pixels[found].sum(), 1)
        recall = nearest[found].sum() / max(true_total, 1)
        masked = pixels[keep & clean].sum() / image_pixels
        return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9), masked

    allowed = [t for t in np.linspace(-4, 4, 161) if scores(t)[3] <= max_masked]
    threshold = max(allowed, key=lambda t: scores(t)[2])
    precision, recall, f1, masked = scores(threshold)
    print(f"{len(files)} photos, {len(features)} candidate components: precision {precision:.3f}, recall "
          f"{recall:.3f}, F1 {f1:.3f}, {masked:.2%} of undamaged photos masked (approximate)")
    linears = [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in layers if isinstance(m, torch.nn.Linear)]
    linears[-1] = (linears[-1][0], linears[-1][1] - threshold)  # the threshold becomes zero
    _write_weights(ROOT / "palette_desktop" / "core" / "damage_weights.py", mean, scale, linears, len(files))


def _photo_counts(path: Path, seed: int, index: int) -> list[tuple]:
    """For each case: the component counts of the damaged photo and of the undamaged one."""
    rng = np.random.default_rng([seed, index])
    return [(_component_counts(image, true), _component_counts(clean, np.zeros_like(true)))
            for clean, image, true in cases(load_image(path).pixels, rng).values()]


def _write_weights(path: Path, mean: np.ndarray, scale: np.ndarray, layers: list, photos: int) -> None:
    def literal(a: np.ndarray) -> str:
        return "np.array(" + np.array2string(a.astype(np.float32), separator=", ", precision=5, threshold=10**6,
                                             max_line_width=116, floatmode="maxprec") + ", np.float32)"
    body = ",\n".join(f"    ({literal(w)},\n     {literal(b)})" for w, b in layers)
    path.write_text(f'''"""Weights of the damage classifier (core/damage.py), written by
``benchmarks/damage_detection.py --fit`` from synthetic damage on {photos} training photos.
Do not edit by hand: fit again.
"""

import numpy as np

MEAN = {literal(mean)}
SCALE = {literal(scale)}
LAYERS = [
{body},
]
''')
    print(f"wrote {path}")


def _component_counts(image: np.ndarray, true: np.ndarray):
    """Features of every candidate component with its pixels near damage, all its pixels,
    the true damage pixels nearest to it, and the totals of true and all pixels."""
    found = candidates(image)
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
