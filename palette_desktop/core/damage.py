"""Find scratches, cracks and dust on a scanned print: a mask to inpaint.

Classical and explainable, so the user can trust and correct it:

1. Thin structures, light or dark, stand out of the luminance in a morphological
   top-hat (light) and black-hat (dark) at a few scales. Each pixel's response is
   divided by how busy its surroundings are (a high percentile of the same response
   nearby), so the grain of hair, grass, fabric and text does not count as damage.
2. Pixels that stand out join into connected components. A component must be thin
   and either long (a scratch or crack) or small (a dust speck).
3. Each component is measured (:data:`FEATURES`): how it stands out of its
   surroundings; its tone, near the extremes of the photo for damage (a scratch
   through the emulsion shows the paper, dust on the scanner glass is black) and even
   along it; whether it lies beside an edge or beside structures of the opposite tone
   (a highlight with its shadow, a pattern); whether, if long, it keeps to straight-ish
   runs as a scratch does; its size and width; and its colour against what is around
   it (damage is neutral). A small neural network on these measurements says which
   components are damage (``core/damage_weights.py``, fitted by
   ``benchmarks/damage_detection.py --fit`` on synthetic damage from
   core/synthetic_damage.py drawn on training photos, for the best F1 with at most
   0.5 % of the same photos undamaged masked). On the validation photos a linear score
   of the first eight measurements had F1 0.52 (0.47 on old scans), the network 0.62
   (0.60): a component's measurements combine in ways one weight each cannot say (a
   wide component is damage only if it is also neutral and even, say).

What it cannot tell from damage is what looks like it: a thin wire against the sky, a
leaf vein, grout between tiles, a catch-light in an eye. The user erases those from
the mask before inpainting.

The photo is examined at most :data:`DETECT_SIDE` px on its long side (damage on a
large scan is proportionally wider) and the mask is scaled back to the photo's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from palette_desktop.core import damage_weights

DETECT_SIDE = 2048
"""Long side at which damage is looked for; larger photos are examined shrunk to it."""

SCALES = (5, 9, 13)
"""Top-hat structuring element diameters: structures up to about 12 px wide."""

BLOCK = 16
"""Side in px of the blocks whose 3×3 neighbourhood measures how busy the surroundings are."""

FLOOR, NOISE_K = 0.03, 3.0
"""The busyness never counts as less than this, nor less than NOISE_K × the pixel noise."""

STANDS_OUT, MIN_CONTRAST = 3.0, 0.05
"""A candidate pixel is this many times its surroundings' busyness and this far from its neighbours."""

MAX_WIDTH, MIN_LENGTH, SPECK_AREA = 8.0, 30.0, 80
"""Shape: mean width at most MAX_WIDTH px; at least MIN_LENGTH px long, or at most SPECK_AREA px in all."""

RUN_LENGTH = 41
"""Length in px of the straight runs along which a component's line support is measured."""

FEATURES = ("tone", "log_stands_out", "log_contrast_to_edges", "line_support_if_long", "long", "log_tone_spread",
            "opposite_around", "extent_if_long", "log_area", "log_length", "width", "log_contrast", "log_busyness",
            "chroma", "chroma_around", "chroma_excess", "step_to_around", "light", "noise")
"""What the classifier is given for each candidate component, in this order."""


def detect_damage(pixels: np.ndarray) -> np.ndarray:
    """A mask the size of ``pixels`` (HxWx3 or HxW float in [0, 1]): 1.0 on damage, 0.0 elsewhere."""
    h, w = pixels.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    if scale < 1.0:
        pixels = cv2.resize(np.ascontiguousarray(pixels, dtype=np.float32),
                            (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    mask = np.zeros(pixels.shape[:2], bool)
    for labels, features in candidates(pixels):
        keep = np.concatenate([[False], damage_score(features) > 0])
        mask |= keep[labels]
    mask = cv2.dilate(mask.astype(np.uint8), _disk(3))
    if scale < 1.0:
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    return mask.astype(np.float32)


def damage_score(features: np.ndarray) -> np.ndarray:
    """The classifier's score of each row of :data:`FEATURES`: positive for damage."""
    hidden = (features - damage_weights.MEAN) / damage_weights.SCALE
    for weight, bias in damage_weights.LAYERS[:-1]:
        hidden = np.tanh(hidden @ weight + bias)
    weight, bias = damage_weights.LAYERS[-1]
    return (hidden @ weight + bias)[:, 0]


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Rec. 601 luma, HxW float32."""
    if pixels.ndim == 2:
        return np.ascontiguousarray(pixels, dtype=np.float32)
    return cv2.cvtColor(np.ascontiguousarray(pixels[..., :3], dtype=np.float32), cv2.COLOR_RGB2GRAY)


def chroma(pixels: np.ndarray) -> np.ndarray:
    """How far each pixel is from neutral gray (the spread of its channels), HxW float32."""
    if pixels.ndim == 2:
        return np.zeros(pixels.shape, np.float32)
    rgb = np.asarray(pixels[..., :3], dtype=np.float32)
    return rgb.max(axis=2) - rgb.min(axis=2)


@dataclass(frozen=True)
class _Maps:
    """What the photo's components are measured on."""

    luma: np.ndarray
    chroma: np.ndarray
    noise: float


def candidates(pixels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For light, then dark structures: (labels, features) of the candidate components.

    ``labels`` is HxW int32 (0 = none); ``features`` has one row per label 1..N with the
    columns named in :data:`FEATURES`. Only components of a damage-like shape are given.
    """
    luma = luminance(pixels)
    maps = _Maps(luma, chroma(pixels), _noise_level(luma))
    lo, hi = np.percentile(luma, [2, 98])
    tone = (luma - lo) / max(hi - lo, 1e-3)
    found = []
    for polarity in (1.0, -1.0):
        hat = _thin_response(luma, polarity)
        busy = np.maximum(_busyness(hat), max(FLOOR, NOISE_K * maps.noise))
        ratio = hat / busy
        found.append((hat, ratio, busy, ((ratio > STANDS_OUT) & (hat > MIN_CONTRAST)).astype(np.uint8)))
    (light_hat, light_ratio, light_busy, light), (dark_hat, dark_ratio, dark_busy, dark) = found
    return [_components(maps, tone, light_hat, light_ratio, light_busy, light, dark, polarity=1.0),
            _components(maps, 1 - tone, dark_hat, dark_ratio, dark_busy, dark, light, polarity=-1.0)]


def _components(maps: _Maps, tone: np.ndarray, hat: np.ndarray, ratio: np.ndarray, busy: np.ndarray,
                mask: np.ndarray, opposite: np.ndarray, polarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Label ``mask`` (uint8) and measure each component; ``tone`` is 1 at the extreme damage of this polarity has."""
    count, labels, stats = cv2.connectedComponentsWithStats(mask, connectivity=8)[:3]
    flat = labels.ravel()
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    boundary = mask & ~cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))
    edge = np.bincount(flat, weights=boundary.ravel(), minlength=count)
    length = np.where(edge >= area, area, edge / 2)  # a 1-px line is all boundary
    width = area / np.maximum(length, 1)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) / np.maximum(length, 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values.ravel(), minlength=count) / np.maximum(area, 1)

    inside = flat > 0
    peak = np.zeros(count)
    np.maximum.at(peak, flat[inside], hat.ravel()[inside])
    spread = np.sqrt(np.maximum(mean(tone ** 2) - mean(tone) ** 2, 0))
    # What lies just around a component: the opposite polarity there means an edge or a
    # pattern; its colour and tone say whether the component is a neutral mark on it.
    around = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8)).astype(np.int32).ravel()[~inside]
    ring = np.maximum(np.bincount(around, minlength=count), 1)

    def mean_around(values: np.ndarray) -> np.ndarray:
        return np.bincount(around, weights=values.ravel()[~inside], minlength=count) / ring

    chroma_in, chroma_around = mean(maps.chroma), mean_around(maps.chroma)
    long_ = (length >= MIN_LENGTH).astype(np.float64)
    features = np.column_stack([
        mean(tone),
        np.log(np.maximum(mean(ratio), 1e-3)),
        np.log(peak / (mean(_edge_deviation(maps.luma, mask)) + 0.01) + 1e-6),
        mean(_line_support(mask)) * long_,
        long_,
        np.log(spread / (mean(hat) + 0.02) + 0.01),
        mean_around(opposite),
        np.minimum(extent, 1.5) * long_,
        np.log(np.maximum(area, 1)),
        np.log(length + 1),
        width,
        np.log(mean(hat) + 1e-3),
        np.log(mean(busy)),
        chroma_in,
        chroma_around,
        chroma_in - chroma_around,
        np.abs(mean(maps.luma) - mean_around(maps.luma)),
        np.full(count, float(polarity > 0)),
        np.full(count, 100 * maps.noise),
    ])
    shaped = (width <= MAX_WIDTH) & ((length >= MIN_LENGTH) | (area <= SPECK_AREA))
    shaped[0] = False
    kept = np.nonzero(shaped)[0]
    renumber = np.zeros(count, np.int32)
    renumber[kept] = np.arange(1, kept.size + 1)
    return renumber[labels], features[kept]


def _noise_level(luma: np.ndarray) -> float:
    """Standard deviation of the pixel noise (grain, JPEG), from the median absolute residual."""
    residual = luma - cv2.medianBlur(luma, 3)
    return float(1.4826 * 1.5 * np.median(np.abs(residual)))


def _disk(diameter: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))


def _thin_response(luma: np.ndarray, polarity: float) -> np.ndarray:
    """How far each pixel stands out (lighter if polarity > 0) of structures wider than it."""
    op = cv2.MORPH_TOPHAT if polarity > 0 else cv2.MORPH_BLACKHAT
    return np.max([cv2.morphologyEx(luma, op, _disk(d)) for d in SCALES], axis=0)


def _busyness(response: np.ndarray, percentile: float = 75) -> np.ndarray:
    """A high percentile of the response around each pixel (3×3 blocks of :data:`BLOCK` px).

    Thin damage covers a small part of the blocks around it, so it barely moves this;
    texture (hair, grass, fabric, text) raises it everywhere it is.
    """
    h, w = response.shape
    gh, gw = -(-h // BLOCK), -(-w // BLOCK)
    padded = np.pad(response, ((0, gh * BLOCK - h), (0, gw * BLOCK - w)), mode="reflect")
    blocks = padded.reshape(gh, BLOCK, gw, BLOCK).transpose(0, 2, 1, 3).reshape(gh, gw, -1)
    grid = np.pad(blocks, ((1, 1), (1, 1), (0, 0)), mode="edge")
    near = np.concatenate([grid[dy:dy + gh, dx:dx + gw] for dy in range(3) for dx in range(3)], axis=2)
    level = np.percentile(near, percentile, axis=2).astype(np.float32)
    return cv2.resize(level, (gw * BLOCK, gh * BLOCK), interpolation=cv2.INTER_LINEAR)[:h, :w]


def _edge_deviation(luma: np.ndarray, exclude: np.ndarray, size: int = 9) -> np.ndarray:
    """Standard deviation of the luminance around each pixel, ``exclude`` left out: high beside edges."""
    weight = 1 - cv2.dilate(exclude, np.ones((3, 3), np.uint8)).astype(np.float32)
    total = np.maximum(cv2.blur(weight, (size, size)), 1e-3)
    m1 = cv2.blur(luma * weight, (size, size)) / total
    m2 = cv2.blur(luma * luma * weight, (size, size)) / total
    return np.sqrt(np.maximum(m2 - m1 * m1, 0))


def _line_support(mask: np.ndarray, orientations: int = 16) -> np.ndarray:
    """The largest fraction of a straight :data:`RUN_LENGTH` px run through each pixel that ``mask`` covers."""
    loose = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32)
    support = np.zeros_like(loose)
    c = RUN_LENGTH // 2
    for angle in np.arange(orientations) * np.pi / orientations:
        kernel = np.zeros((RUN_LENGTH, RUN_LENGTH), np.float32)
        dx, dy = c * np.cos(angle), c * np.sin(angle)
        cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
        np.maximum(support, cv2.filter2D(loose, -1, kernel / kernel.sum(), borderType=cv2.BORDER_CONSTANT), out=support)
    return support
