"""Is a photo a black-and-white print: plain gray or toned (sepia, selenium, cyanotype), however aged?

Restore Old Photo colorizes a photo found black and white (the user can say otherwise).
A print's colour is set by its lightness, along its tone curve: the toning's colour in
the shadows and mid-tones, the paper's in the highlights, weaker or stronger where the
toning was uneven, and changing gradually from one lightness to the next. Age multiplies
it by the yellow-brown of yellowed paper, water stains and foxing; dust and scratches
are gray; the scan adds colour noise and JPEG's blurred chroma. A colour photo, even a
faded one, has colours no tone curve gives: a green leaf beside a brown ant of the same
lightness, or blue jeans one step darker than an orange floor.

So the photo is shrunk to :data:`SIDE` px and median-filtered (noise, JPEG's chroma
blocks, foxing, dust and thin scratches averaged away), a border or mount (a frame of
one even colour) is cut off, and the tone curve is taken as the median a*b* in each band
of lightness. It is a colour photo when the curve jumps more than :data:`STEEPEST` from
one band to the next, or when more than :data:`COLOUR_SHARE` of it is off the curve:
farther from its lightness's toning (from none to :data:`STRONGER` times as strong) than
:data:`ACROSS_AGE` units across the way a stain would move it, or than
:data:`AGE_STRENGTH` of a full stain's shift along it. Pixels on sharp edges of
lightness do not count: JPEG smears colour across them.

Measured by benchmarks/monochrome_detection.py on core/old_scans.py's prints. Numpy
and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 128
"""Long side, in pixels, of the copy that is looked at."""
MEDIAN = 5
"""Median filter size on that copy: wider than foxing, dust, thin scratches and JPEG's blocks."""
BANDS = 12
"""Bands of lightness (L* 0–100) in which the tone curve is taken."""
STEEPEST = 1.25
"""a*b* units per unit of L* that a tone curve changes at most between bands holding a photo's tones."""
BAND_HOLDS = 0.02
"""Share of the photo a band must hold for its colour to count in the curve's steepness."""
STRONGER = 1.3
"""Toning up to this many times as strong as the median is the same toning, unevenly done."""
AGE_TINT = np.array([0.92, 0.78, 0.55], np.float32)
"""What a water stain multiplies a print's RGB by, at full strength: yellowed paper and foxing are its hue."""
AGE_STRENGTH = 0.6
"""Share of a full stain's shift allowed along the way a stain moves a pixel's colour."""
ACROSS_AGE = 4.0
"""a*b* units allowed across it (and at least along it): the noise and JPEG the median leaves."""
EDGE = 12.0
"""L* units of change within 3×3 px that make an edge, whose colour is not counted."""
COLOUR_SHARE = 0.01
"""A photo with more than this share off its tone curve is colour."""
BORDER_MATCH = 12.0
"""Lab units within which a pixel has the border's colour (stains and yellowing vary it)."""
BORDER_ROW = 0.6
"""Share of a row that must have the border's colour for the row to be border."""
BORDER_EVEN = 6.0
"""Lab units within which each border row's median is the outermost row's: a card is even, a sky is not."""
BORDER_MOST = 0.25
"""Most of the picture, on each side, that is taken for border."""
BORDER_BLUR = 2
"""Rows past the border's last that are cut too: where it blurs into the picture."""


def is_monochrome(rgb: np.ndarray) -> bool:
    """True for a black-and-white photo, plain gray or toned, scanned with the marks of age.

    ``rgb`` is HxWx3: float in [0, 1], uint8 or uint16.
    """
    lab = _inside_border(_small_lab(rgb))
    lightness, ab = lab[..., 0].reshape(-1), lab[..., 1:].reshape(-1, 2)
    centres, medians, holds = _band_medians(lightness, ab)
    if _steepness(centres[holds >= BAND_HOLDS], medians[holds >= BAND_HOLDS]) > STEEPEST:
        return False
    tone = np.stack([np.interp(lightness, centres, medians[:, c]) for c in range(2)], axis=1)
    square = np.ones((3, 3), np.uint8)
    edge = (cv2.dilate(lab[..., 0], square) - cv2.erode(lab[..., 0], square)) > EDGE
    return float((_off_tone(lightness, ab, tone) & ~edge.reshape(-1)).mean()) <= COLOUR_SHARE


def _off_tone(lightness: np.ndarray, ab: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """Pixels whose colour no unevenly toned, stained print of their lightness has."""
    strength = np.clip((ab * tone).sum(axis=1) / ((tone * tone).sum(axis=1) + 1e-3), 0.0, STRONGER)
    left = ab - strength[:, None] * tone
    stain = _stain_shift(lightness, tone)
    reach = np.linalg.norm(stain, axis=1)
    way = stain / np.maximum(reach, 1e-6)[:, None]
    along, across = (left * way).sum(axis=1), left[:, 0] * way[:, 1] - left[:, 1] * way[:, 0]
    return (np.abs(along) > np.maximum(ACROSS_AGE, AGE_STRENGTH * reach)) | (np.abs(across) > ACROSS_AGE)


def _stain_shift(lightness: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """The a*b* by which a full stain moves each pixel's toned colour: far on light paper, little in shadow."""
    lab = np.concatenate([lightness[:, None], tone], axis=1).astype(np.float32)[None]
    return cv2.cvtColor(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * AGE_TINT, cv2.COLOR_RGB2Lab)[0, :, 1:] - tone


def _band_medians(lightness: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each band of lightness the photo has: its centre, median a*b*, and share of the photo."""
    edges = np.linspace(0.0, 100.0, BANDS + 1)
    band = np.clip(np.digitize(lightness, edges) - 1, 0, BANDS - 1)
    found, counts = np.unique(band, return_counts=True)
    medians = np.array([np.median(ab[band == b], axis=0) for b in found])
    return (edges[found] + edges[found + 1]) / 2, medians, counts / len(band)


def _steepness(centres: np.ndarray, medians: np.ndarray) -> float:
    """The most the tone curve's a*b* change per unit of L* from one band to the next."""
    if len(centres) < 2:
        return 0.0
    return float((np.linalg.norm(np.diff(medians, axis=0), axis=1) / np.diff(centres)).max())


def _small_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* of the photo shrunk to :data:`SIDE` px by area averaging, median-filtered."""
    h, w = rgb.shape[:2]
    scale = min(1.0, SIDE / max(h, w))
    small = cv2.resize(np.ascontiguousarray(rgb), (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    if np.issubdtype(small.dtype, np.integer):
        small = small.astype(np.float32) / np.iinfo(small.dtype).max
    lab = cv2.cvtColor(small.astype(np.float32), cv2.COLOR_RGB2Lab)
    return cv2.medianBlur(lab, MEDIAN) if min(lab.shape[:2]) >= MEDIAN else lab


def _inside_border(lab: np.ndarray) -> np.ndarray:
    """The picture without the frame of one colour (paper border, card mount) around it."""
    h, w = lab.shape[:2]
    top, bottom = _border_rows(lab), _border_rows(lab[::-1])
    left, right = _border_rows(lab.transpose(1, 0, 2)), _border_rows(lab.transpose(1, 0, 2)[::-1])
    inside = lab[top:h - bottom, left:w - right]
    return inside if min(inside.shape[:2]) >= MEDIAN else lab


def _border_rows(lab: np.ndarray) -> int:
    """How many rows from the top are border: even rows mostly the colour of the outermost
    one, and :data:`BORDER_BLUR` more (none when the outermost row is not border)."""
    rows = lab[:max(1, int(BORDER_MOST * lab.shape[0]))]
    medians = np.median(rows, axis=1)
    matching = (np.linalg.norm(rows - medians[0], axis=2) < BORDER_MATCH).mean(axis=1) >= BORDER_ROW
    matching &= np.linalg.norm(medians - medians[0], axis=1) < BORDER_EVEN
    count = int(np.argmin(matching)) if not matching.all() else len(matching)
    return count + BORDER_BLUR if count else 0
