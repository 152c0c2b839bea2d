"""Is a photo a black-and-white print: plain gray or toned (sepia, selenium, cyanotype), however aged?

Restore Old Photo colorizes a photo found black and white (the user can say otherwise).
A print's colour is set by its lightness, along its tone curve: the toning's colour in
the shadows and mid-tones, the paper's in the highlights, weaker or stronger where the
toning was uneven, and changing gradually from one lightness to the next. Age multiplies
it by the yellow-brown of yellowed paper, water stains and foxing; dust and scratches
are gray; the scan adds colour noise and JPEG's blurred chroma. A colour photo, even a
faded one, has colours no tone curve gives: a green leaf beside a brown ant of the same
lightness, or blue jeans one step darker than an orange floor.

The test works in Y'CbCr (BT.601, JPEG's own), not CIE Lab: there a toning done more or
less strongly moves a pixel's colour along a straight line through gray, a stain moves
it along another straight line, and JPEG's and the scanner's noise is as large in every
colour. In Lab the first is a curve for a blue toning (Lab bends blue towards purple as
it saturates), so that a cyanotype, toned a little unevenly, looked off its own curve.

So the photo is shrunk to :data:`SIDE` px and median-filtered (noise, JPEG's chroma
blocks, foxing, dust and thin scratches averaged away), a border or mount (a frame of
one even colour) is cut off, and the tone curve is taken as the median CbCr in each band
of luma. It is a colour photo when the curve jumps more than :data:`STEEPEST` from one
band to the next, or when more than :data:`COLOUR_SHARE` of it is more than
:data:`NOISE` from every colour its lightness's toning gives: the curve's colour from
:data:`WEAKER` to :data:`STRONGER` times as strong, stained by up to :data:`AGE_STRENGTH`
of a full stain. The curve's colour is taken as the shrinking mixed it (see
:func:`_mixed_tone`), and pixels on sharp edges of lightness do not count: JPEG smears
colour across them.

A colour much weaker than the curve's is not uneven toning but a colour photo's gray
thing beside a brown one of the same lightness; the test used to let toning weaken to
nothing, and such faded colour photos passed. What still passes is what a faded colour
photo can truly share with a print: its colours all of one hue, paler where lighter.

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
FINE = 4
"""The copy the small one is shrunk from is this many times as large: fine enough to see what
each small pixel mixes (see :func:`_mixed_tone`), small enough to be quick on a large scan."""
TO_YCC = 100 * np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]],
                        np.float32)
"""R'G'B' (0–1) to Y'CbCr (BT.601), in per cent of full scale: luma 0–100, chroma ±50."""
FROM_YCC = np.linalg.inv(TO_YCC).astype(np.float32)
"""Y'CbCr back to R'G'B'."""
BANDS = 12
"""Bands of luma (0–100) in which the tone curve is taken."""
STEEPEST = 1.0
"""CbCr units per unit of luma that a tone curve changes at most between bands holding a photo's tones
(a cyanotype's, the steepest, changes up to about 0.8 on old_scans.py's prints)."""
BAND_HOLDS = 0.02
"""Share of the photo a band must hold for its colour to count in the curve's steepness."""
WEAKER = 0.85
"""Toning down to this share of the curve's is the same toning, unevenly done (old_scans.py
tones ±15 % unevenly; :data:`NOISE` allows a little more where a toning is faint)."""
STRONGER = 1.3
"""Toning up to this many times the curve's is the same toning, unevenly done."""
AGE_TINT = np.array([0.92, 0.78, 0.55], np.float32)
"""What a water stain multiplies a print's RGB by, at full strength: yellowed paper and foxing are its hue."""
AGE_STRENGTH = 0.8
"""Share of a full stain's shift that a pixel may carry beyond the curve's own (the curve, a median,
is as stained as the typical pixel; a stain only adds its colour, so none is taken away)."""
NOISE = 1.25
"""CbCr units (per cent of full scale, about 3 levels of 8 bits) that the noise and JPEG the median
leaves may move a pixel off every colour its toning and staining give."""
EDGE = 8.0
"""Luma units of change within 3×3 px that make an edge, whose colour is not counted."""
COLOUR_SHARE = 0.01
"""A photo with more than this share off its tone curve is colour."""
BORDER_MATCH = 10.0
"""Y'CbCr units within which a pixel has the border's colour (stains and yellowing vary it)."""
BORDER_ROW = 0.5
"""Share of a row that must have the border's colour for the row to be border."""
BORDER_EVEN = 4.0
"""Y'CbCr units within which each border row's median is the outermost row's: a card is even, a sky is not."""
BORDER_MOST = 0.25
"""Most of the picture, on each side, that is taken for border."""
BORDER_BLUR = 3
"""Rows past the border's last that are cut too: where it blurs into the picture."""


def is_monochrome(rgb: np.ndarray) -> bool:
    """True for a black-and-white photo, plain gray or toned, scanned with the marks of age.

    ``rgb`` is HxWx3: float in [0, 1], uint8 or uint16.
    """
    fine, small = _copies(rgb)
    inside = _inside_border(small)
    ycc = small[inside]
    luma, chroma = ycc[..., 0].reshape(-1), ycc[..., 1:].reshape(-1, 2)
    centres, medians, holds = _band_medians(luma, chroma)
    if _steepness(centres[holds >= BAND_HOLDS], medians[holds >= BAND_HOLDS]) > STEEPEST:
        return False
    tone = _mixed_tone(fine, small.shape[:2], centres, medians)[inside].reshape(-1, 2)
    square = np.ones((3, 3), np.uint8)
    edge = (cv2.dilate(ycc[..., 0], square) - cv2.erode(ycc[..., 0], square)) > EDGE
    off = _off_toning(luma, chroma, tone) > NOISE
    return float((off & ~edge.reshape(-1)).mean()) <= COLOUR_SHARE


def _off_toning(luma: np.ndarray, chroma: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """How far each pixel's CbCr is from every colour an unevenly toned, stained print of its
    lightness has: the parallelogram ``s * tone + t * stain``, ``s`` from :data:`WEAKER` to
    :data:`STRONGER`, ``t`` from 0 to :data:`AGE_STRENGTH` (0 inside it)."""
    stain = _stain_shift(luma, tone)
    corners = [s * tone + t * stain for s, t in ((WEAKER, 0.0), (STRONGER, 0.0), (STRONGER, AGE_STRENGTH),
                                                 (WEAKER, AGE_STRENGTH))]
    # inside: the pixel's coordinates in (tone, stain) lie within the ranges (none when they are parallel)
    det = tone[:, 0] * stain[:, 1] - tone[:, 1] * stain[:, 0]
    solvable = np.abs(det) > 1e-6
    det = np.where(solvable, det, 1.0)
    s = (chroma[:, 0] * stain[:, 1] - chroma[:, 1] * stain[:, 0]) / det
    t = (tone[:, 0] * chroma[:, 1] - tone[:, 1] * chroma[:, 0]) / det
    inside = solvable & (s >= WEAKER) & (s <= STRONGER) & (t >= 0.0) & (t <= AGE_STRENGTH)
    # outside: the distance to the nearest of its four sides
    distance = np.full(len(chroma), np.inf, np.float32)
    for start, end in zip(corners, corners[1:] + corners[:1]):
        side = end - start
        along = np.clip(((chroma - start) * side).sum(axis=1) / np.maximum((side * side).sum(axis=1), 1e-9), 0, 1)
        distance = np.minimum(distance, np.linalg.norm(chroma - start - along[:, None] * side, axis=1))
    return np.where(inside, 0.0, distance)


def _stain_shift(luma: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """The CbCr by which a full stain moves each pixel's toned colour: far on light paper, little in shadow."""
    rgb = np.concatenate([luma[:, None], tone], axis=1) @ FROM_YCC.T
    return (rgb * AGE_TINT) @ TO_YCC[1:].T - tone


def _band_medians(luma: np.ndarray, chroma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each band of luma the photo has: its centre, median CbCr, and share of the photo."""
    edges = np.linspace(0.0, 100.0, BANDS + 1)
    band = np.clip(np.digitize(luma, edges) - 1, 0, BANDS - 1)
    found, counts = np.unique(band, return_counts=True)
    medians = np.array([np.median(chroma[band == b], axis=0) for b in found])
    return (edges[found] + edges[found + 1]) / 2, medians, counts / len(band)


def _steepness(centres: np.ndarray, medians: np.ndarray) -> float:
    """The most the tone curve's CbCr change per unit of luma from one band to the next."""
    if len(centres) < 2:
        return 0.0
    return float((np.linalg.norm(np.diff(medians, axis=0), axis=1) / np.diff(centres)).max())


def _copies(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The photo shrunk to :data:`FINE` times :data:`SIDE` px (R'G'B', float), and that shrunk
    to :data:`SIDE` px by area averaging and median-filtered (Y'CbCr)."""
    fine = _shrunk(np.asarray(rgb), FINE * SIDE)
    if np.issubdtype(fine.dtype, np.integer):
        fine = fine.astype(np.float32) / np.iinfo(fine.dtype).max
    fine = np.clip(fine.astype(np.float32), 0.0, 1.0)
    small = _shrunk(fine, SIDE)
    small = cv2.medianBlur(small, MEDIAN) if min(small.shape[:2]) >= MEDIAN else small
    return fine, small @ TO_YCC.T


def _mixed_tone(fine: np.ndarray, size: tuple[int, int], centres: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """HxWx2: the CbCr the tone curve gives each pixel of the small copy, as a mix of the finer
    pixels it was shrunk from (and median-filtered as it was). Where their lightness varies
    (texture, grain, a scratch's edge) the mix is off the curve, on a chord of it: weaker
    where the curve bulges out from gray, as a cyanotype's and a sepia's do in the mid-tones."""
    levels = np.linspace(0.0, 100.0, 1001)  # the curve looked up in steps of 0.1 luma: quicker than interpolated
    curve = np.stack([np.interp(levels, centres, medians[:, c]) for c in range(2)] + [levels], axis=1)
    luma = cv2.cvtColor(fine, cv2.COLOR_RGB2GRAY)  # BT.601's luma, as TO_YCC's, 0–1
    tone = curve.astype(np.float32)[np.rint(luma * 1000).astype(np.int32)]
    tone = cv2.resize(tone, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return (cv2.medianBlur(tone, MEDIAN) if min(size) >= MEDIAN else tone)[..., :2]


def _shrunk(rgb: np.ndarray, side: int) -> np.ndarray:
    """``rgb`` shrunk by area averaging to ``side`` px on its long side (as it is when already as small)."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    return cv2.resize(np.ascontiguousarray(rgb), (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=cv2.INTER_AREA)


def _inside_border(ycc: np.ndarray) -> tuple[slice, slice]:
    """Where the picture is, without the frame of one colour (paper border, card mount) around it."""
    h, w = ycc.shape[:2]
    top, bottom = _border_rows(ycc), _border_rows(ycc[::-1])
    left, right = _border_rows(ycc.transpose(1, 0, 2)), _border_rows(ycc.transpose(1, 0, 2)[::-1])
    if min(h - top - bottom, w - left - right) < MEDIAN:
        return slice(None), slice(None)
    return slice(top, h - bottom), slice(left, w - right)


def _border_rows(ycc: np.ndarray) -> int:
    """How many rows from the top are border: even rows mostly the colour of the outermost
    one, and :data:`BORDER_BLUR` more (none when the outermost row is not border)."""
    rows = ycc[:max(1, int(BORDER_MOST * ycc.shape[0]))]
    medians = np.median(rows, axis=1)
    matching = (np.linalg.norm(rows - medians[0], axis=2) < BORDER_MATCH).mean(axis=1) >= BORDER_ROW
    matching &= np.linalg.norm(medians - medians[0], axis=1) < BORDER_EVEN
    count = int(np.argmin(matching)) if not matching.all() else len(matching)
    return count + BORDER_BLUR if count else 0
