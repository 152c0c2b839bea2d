"""Scratches, cracks, tears and dust drawn on clean photos, with the mask of what was drawn.

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


def add_cracks(image: np.ndarray, rng: np.random.Generator, count: tuple[int, int] = (1, 3)) -> Damaged:
    """Draw wide cracks and tears, 6–15 px at their widest, on ``image``.

    Where a print was folded or torn, the emulsion splits and flakes off along a ragged
    line and the paper shows through: a bright, slightly warm band with chipped edges,
    fine cracks branching off it, sometimes a thin shadow where the emulsion's edge lifts.
    A torn print scanned on a dark lid, or a crack filled with dirt, shows dark instead.
    Unlike :func:`add_damage`'s marks, these are opaque and wide: a detector must mark
    their inside, not only their edges. ``count`` is an inclusive range.
    """
    h, w = image.shape[:2]
    out = np.ascontiguousarray(image, dtype=np.float32).copy()
    mask = np.zeros((h, w), bool)
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        alpha = _wide_crack((h, w), rng) * rng.uniform(0.85, 1.0)
        if rng.random() < 0.7:  # paper showing, white to yellowed
            tone = rng.uniform(0.8, 1.0) * np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.86, 1.0)])
        else:
            tone = np.full(3, rng.uniform(0.0, 0.2))
        fibre = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), rng.uniform(0.7, 2.0))
        fibre *= rng.uniform(0.01, 0.04) / max(float(fibre.std()), 1e-6)
        fill = np.clip(tone.astype(np.float32) + fibre[..., None], 0, 1)
        if rng.random() < 0.5:  # the lifted edge of the emulsion casts a thin shadow
            solid = (alpha > 0.5).astype(np.uint8)
            rim = (cv2.dilate(solid, np.ones((3, 3), np.uint8)) - solid).astype(np.float32)
            alpha = np.maximum(alpha, rim * rng.uniform(0.3, 0.6) * (rng.random((h, w)) < 0.7))
            fill = np.where(solid[..., None] > 0, fill, np.float32(rng.uniform(0.0, 0.2)))
        out = out * (1 - alpha[..., None]) + fill * alpha[..., None]
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
    """The three cases the detector meets, each as (undamaged, damaged, true mask):

    - "photo": damage drawn on the colour photo itself;
    - "old scan": the photo as an old print (gray, sepia or faded), damaged, then
      scanned again: the scanner's softness, film grain and JPEG on top of the damage;
    - "cracked print": an old print (now and then a colour one) with wide cracks and
      tears (:func:`add_cracks`) and a little thin damage, scanned again.

    The cracked print is drawn from a child of ``rng``, so the first two cases are what
    they were before it was added and their scores compare with earlier measurements.
    """
    cracks_rng = rng.spawn(1)[0]
    damaged = add_damage(photo, rng)
    aged = old_print(photo, rng)
    old = add_damage(aged, rng)
    state = rng.bit_generator.state
    clean_scan = rescan(aged, rng)
    rng.bit_generator.state = state  # the same scanner noise on the damaged copy
    cases = {"photo": (photo, damaged.image, damaged.mask),
             "old scan": (clean_scan, rescan(old.image, rng), old.mask)}
    rng = cracks_rng
    print_ = old_print(photo, rng) if rng.random() < 0.7 else np.ascontiguousarray(photo, dtype=np.float32)
    cracked = add_cracks(print_, rng)
    thin = add_damage(cracked.image, rng, scratches=(0, 2), cracks=(0, 1), specks=(0, 10))
    state = rng.bit_generator.state
    clean_scan = rescan(print_, rng)
    rng.bit_generator.state = state
    cases["cracked print"] = (clean_scan, rescan(thin.image, rng), cracked.mask | thin.mask)
    return cases


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


def _wide_crack(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Coverage (HxW float in [0, 1]) of one wide crack or tear: a wandering line whose width
    swells and narrows between 6–15 px at its widest and tapers at its ends, with ragged,
    chipped edges and a few narrower cracks branching off it."""
    h, w = shape
    size = max(h, w)
    solid = np.zeros((h, w), np.float32)
    widest = rng.uniform(6, 15)
    if rng.random() < 0.5:  # a tear runs in from the border
        side = int(rng.integers(4))
        start = np.array([[rng.uniform(0, w), 0], [rng.uniform(0, w), h], [0, rng.uniform(0, h)],
                          [w, rng.uniform(0, h)]][side], float)
        heading = [np.pi / 2, -np.pi / 2, 0.0, np.pi][side] + rng.normal(0, 0.4)
    else:
        start, heading = np.array([rng.uniform(0, w), rng.uniform(0, h)]), rng.uniform(0, 2 * np.pi)
    main = _wander(start, heading, rng.uniform(0.3, 1.0) * size, rng)
    _swelling_line(solid, main, widest, rng)
    for _ in range(int(rng.integers(0, 5))):
        j = int(rng.integers(len(main)))
        branch = _wander(main[j], heading + rng.choice([-1, 1]) * rng.uniform(0.4, 1.3),
                         rng.uniform(0.05, 0.3) * size, rng)
        _swelling_line(solid, branch, rng.uniform(0.2, 0.6) * widest, rng)
    for _ in range(int(rng.integers(0, 6))):  # flakes of emulsion lost along the edge
        j = int(rng.integers(len(main)))
        centre = main[j] + rng.normal(0, widest / 3, 2)
        axes = (int(rng.integers(2, 6)), int(rng.integers(1, 4)))
        cv2.ellipse(solid, (int(centre[0]), int(centre[1])), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), rng.uniform(0.8, 1.6))
    noise *= rng.uniform(0.25, 0.45) / max(float(noise.std()), 1e-6)
    near = cv2.dilate(solid, np.ones((5, 5), np.uint8)) > 0  # the edge frays; the rest of the photo stays clear
    soft = cv2.GaussianBlur(solid, (0, 0), 1.2)
    ragged = (((soft + noise > 0.5) & near) | (soft > 0.9)).astype(np.float32)  # the core stays whole
    return cv2.GaussianBlur(ragged, (0, 0), rng.uniform(0.4, 0.8))


def _wander(start: np.ndarray, heading: float, length: float, rng: np.random.Generator) -> np.ndarray:
    """Points 3 px apart along a path that drifts and now and then kinks, as a crack runs."""
    points, angle = [start], heading
    for _ in range(max(2, int(length / 3))):
        angle += rng.normal(0, 0.08) + (rng.normal(0, 0.6) if rng.random() < 0.04 else 0.0)
        points.append(points[-1] + 3.0 * np.array([np.cos(angle), np.sin(angle)]))
    return np.array(points)


def _swelling_line(canvas: np.ndarray, points: np.ndarray, widest: float, rng: np.random.Generator) -> None:
    """Draw ``points`` as a line whose width wanders between about half of ``widest`` and
    ``widest``, tapering to 1 px over the first and last sixth."""
    n = len(points)
    swell = np.cumsum(rng.normal(0, 1, n))
    swell = cv2.GaussianBlur(swell.reshape(1, -1).astype(np.float32), (0, 0), 4).ravel()
    swell = (swell - swell.min()) / max(float(np.ptp(swell)), 1e-6)
    taper = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1.0, n / 6))
    widths = np.maximum(1.0, widest * (0.5 + 0.5 * swell) * taper)
    for (a, b, width) in zip(points[:-1], points[1:], widths[:-1]):
        cv2.line(canvas, (int(round(a[0])), int(round(a[1]))), (int(round(b[0])), int(round(b[1]))), 1.0,
                 int(round(width)))


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
