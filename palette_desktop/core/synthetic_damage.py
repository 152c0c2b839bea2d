"""Scratches, cracks and dust drawn on clean photos, with the mask of what was drawn.

The damage detector is trained on these (model/damage_net.py) and measured on them
(benchmarks/damage_detection.py), and the tests assert its recall on them. Numpy,
OpenCV and Pillow only; every function takes a ``numpy.random.Generator`` and is
deterministic in it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.degrade import old_print

MASK_THRESHOLD = 0.25
"""A pixel counts as damaged where the damage covers at least this much of it..."""

VISIBLE_CHANGE = 0.06
"""...and changed the photo by at least this much (a white scratch on white is no damage)."""


@dataclass(frozen=True)
class Damaged:
    image: np.ndarray  # HxWx3 float32 in [0, 1]
    mask: np.ndarray  # HxW bool: True where damage was drawn


def add_damage(image: np.ndarray, rng: np.random.Generator, scratches: tuple[int, int] = (1, 5),
               cracks: tuple[int, int] = (0, 2), specks: tuple[int, int] = (3, 30),
               blurred_fraction: float = 0.25) -> Damaged:
    """Draw light and dark scratches (long smooth curves), cracks (jagged, branching
    lines) and dust specks, 1–6 px wide, some softened by a blur, on ``image``.

    The counts are inclusive ranges. Each mark is painted in a tone far from the pixels
    beneath it (near white or near black, partly transparent), as a scratch through
    the emulsion or a speck of dust on the scanner glass looks.
    """
    h, w = image.shape[:2]
    out = np.ascontiguousarray(image, dtype=np.float32).copy()
    mask = np.zeros((h, w), bool)
    marks = ([_scratch] * int(rng.integers(scratches[0], scratches[1] + 1))
             + [_crack] * int(rng.integers(cracks[0], cracks[1] + 1))
             + [_speck] * int(rng.integers(specks[0], specks[1] + 1)))
    for draw in marks:
        alpha = np.zeros((h, w), np.float32)
        draw(alpha, rng)
        if rng.random() < blurred_fraction:
            alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=rng.uniform(0.6, 1.5))
        alpha *= rng.uniform(0.65, 1.0)
        light = rng.random() < 0.5
        tone = rng.uniform(0.85, 1.0) if light else rng.uniform(0.0, 0.15)
        tint = np.full(3, tone, np.float32) + rng.normal(0, 0.02, 3).astype(np.float32)
        out = out * (1 - alpha[..., None]) + np.clip(tint, 0, 1) * alpha[..., None]
        mask |= alpha >= MASK_THRESHOLD
    out = np.clip(out, 0, 1).astype(np.float32)
    mask &= np.abs(out - image).max(axis=2) >= VISIBLE_CHANGE
    return Damaged(out, mask)


def rescan(print_: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a flatbed scan of a print adds: slight softness, film grain, JPEG."""
    out = cv2.GaussianBlur(print_, (0, 0), rng.uniform(0.4, 0.9))
    grain = cv2.GaussianBlur(rng.normal(0, 1, out.shape[:2]).astype(np.float32), (0, 0), rng.uniform(0.5, 1.0))
    grain *= rng.uniform(0.015, 0.035) / max(float(grain.std()), 1e-6)
    out = np.clip(out + grain[..., None] * np.sqrt(np.clip(out, 0.05, 1)), 0, 1)
    buffer = io.BytesIO()
    Image.fromarray(np.round(out * 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(60, 90)))
    return np.asarray(Image.open(buffer).convert("RGB"), np.float32) / 255


def damage_cases(photo: np.ndarray, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The two cases the detector meets, each as (undamaged, damaged, true mask):

    - "photo": damage drawn on the colour photo itself;
    - "old scan": the photo as an old print (gray, sepia or faded), damaged, then
      scanned again: the scanner's softness, film grain and JPEG on top of the damage.
    """
    damaged = add_damage(photo, rng)
    aged = old_print(photo, rng)
    old = add_damage(aged, rng)
    state = rng.bit_generator.state
    clean_scan = rescan(aged, rng)
    rng.bit_generator.state = state  # the same scanner noise on the damaged copy
    return {"photo": (photo, damaged.image, damaged.mask),
            "old scan": (clean_scan, rescan(old.image, rng), old.mask)}


def _scratch(alpha: np.ndarray, rng: np.random.Generator) -> None:
    """A smooth curve across a good part of the photo, 1–6 px wide."""
    h, w = alpha.shape
    size = max(h, w)
    length = rng.uniform(0.2, 1.0) * size
    start = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    angle = rng.uniform(0, np.pi * 2)
    bend = rng.uniform(-1.0, 1.0) / size  # curvature, radians per pixel
    points = [start]
    step = 4.0
    for _ in range(int(length / step)):
        angle += bend * step + rng.normal(0, 0.01)
        points.append(points[-1] + step * np.array([np.cos(angle), np.sin(angle)]))
    _polyline(alpha, points, _width(rng))


def _crack(alpha: np.ndarray, rng: np.random.Generator) -> None:
    """A jagged line with a branch or two, as where a print was folded and cracked."""
    h, w = alpha.shape
    size = max(h, w)
    width = _width(rng, high=4)
    start = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    heading = rng.uniform(0, np.pi * 2)
    for branch in range(int(rng.integers(1, 4))):
        points = [start]
        angle = heading if branch == 0 else heading + rng.choice([-1, 1]) * rng.uniform(0.4, 1.2)
        for _ in range(int(rng.integers(6, 20))):
            step = rng.uniform(0.01, 0.04) * size
            direction = angle + rng.normal(0, 0.5)
            points.append(points[-1] + step * np.array([np.cos(direction), np.sin(direction)]))
        _polyline(alpha, points, max(1, width - branch))
        start = points[len(points) // 2]


def _speck(alpha: np.ndarray, rng: np.random.Generator) -> None:
    """A dust speck or a hair-thin fibre: a small blob 1–6 px across."""
    h, w = alpha.shape
    centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    if rng.random() < 0.15:  # a short fibre
        points = [np.array(centre, float)]
        angle = rng.uniform(0, np.pi * 2)
        for _ in range(int(rng.integers(3, 8))):
            angle += rng.normal(0, 0.6)
            points.append(points[-1] + 3.0 * np.array([np.cos(angle), np.sin(angle)]))
        _polyline(alpha, points, 1)
        return
    axes = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    cv2.ellipse(alpha, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, lineType=cv2.LINE_AA)


def _width(rng: np.random.Generator, high: int = 6) -> int:
    """1..high px, thin ones more often, as on real prints."""
    return int(min(high, 1 + np.floor(rng.exponential(1.6))))


def _polyline(alpha: np.ndarray, points: list[np.ndarray], width: int) -> None:
    shift = 4  # sub-pixel precision: coordinates in 1/16 px
    pts = np.round(np.array(points) * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(alpha, [pts], False, 1.0, int(width), lineType=cv2.LINE_AA, shift=shift)


@dataclass(frozen=True)
class MatchCounts:
    """Pixels of a found mask and of the true mask, each counted as matched when the
    other mask has a pixel within the tolerance (as edge detectors are scored)."""

    found: int
    found_matched: int
    true: int
    true_matched: int

    def __add__(self, other: MatchCounts) -> MatchCounts:
        return MatchCounts(self.found + other.found, self.found_matched + other.found_matched,
                           self.true + other.true, self.true_matched + other.true_matched)

    @property
    def precision(self) -> float:
        return self.found_matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_matched / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match(found: np.ndarray, true: np.ndarray, tolerance: float = 2.0) -> MatchCounts:
    """Compare two HxW masks (non-zero = damage) with a tolerance in pixels."""
    found, true = found > 0, true > 0
    return MatchCounts(int(found.sum()), int((found & (_distance_to(true) <= tolerance)).sum()),
                       int(true.sum()), int((true & (_distance_to(found) <= tolerance)).sum()))


def _distance_to(mask: np.ndarray) -> np.ndarray:
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
