"""Old prints as a scanner sees them: black-and-white, toned, and faded colour, with the marks of age.

The black-and-white detector (core/monochrome.py: is_monochrome) is measured on these
(benchmarks/monochrome_detection.py) and tested on them. Whatever the print, it is aged
the same way, so that no mark of age tells a black-and-white print from a colour one: a
card mount or paper border around it, uneven yellowing, water stains, foxing, scratches
and dust; then scanned: softness, film grain, the scanner's colour noise, JPEG. Numpy and
OpenCV (and degrade.py's codec and noise) only; every function takes a
``numpy.random.Generator`` and is deterministic in it.
"""

from __future__ import annotations

import cv2
import numpy as np

from palette_desktop.core.degrade import fade, film_grain, jpeg_compress
from palette_desktop.core.synthetic_damage import add_damage

TONES = {
    "neutral": ((0.07, 0.07, 0.07), (0.50, 0.50, 0.50), (0.94, 0.94, 0.93)),
    "warm black": ((0.11, 0.08, 0.06), (0.53, 0.48, 0.42), (0.95, 0.93, 0.86)),
    "sepia": ((0.20, 0.11, 0.05), (0.64, 0.47, 0.30), (0.96, 0.90, 0.77)),
    "selenium": ((0.15, 0.07, 0.12), (0.53, 0.45, 0.47), (0.95, 0.93, 0.91)),
    "cyanotype": ((0.03, 0.13, 0.34), (0.27, 0.48, 0.71), (0.91, 0.94, 0.96)),
}
"""Each kind of print's colour in the shadows, the mid-tones and the bare paper (sRGB)."""

MOUNTS = ((0.95, 0.94, 0.90), (0.91, 0.86, 0.72), (0.80, 0.70, 0.53), (0.46, 0.34, 0.23), (0.56, 0.58, 0.50),
          (0.13, 0.12, 0.11))
"""What a print's border is: white paper, cream, buff or brown card, a gray-green mount, a black album page."""


def monochrome_scan(photo: np.ndarray, rng: np.random.Generator, tone: str | None = None) -> np.ndarray:
    """A scan of an old black-and-white or toned print of ``photo`` (HxWx3: float in [0, 1],
    uint8 or uint16), float32 in [0, 1].

    ``tone`` is one of :data:`TONES`, drawn when None. The toning is uneven across the
    print, as it is on a real one; most scans are larger than the photo by a border.
    """
    return _scan(_age(toned_print(_as_float(photo), rng, tone), rng), rng)


def faded_colour_scan(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A scan of an old colour print of ``photo`` whose dyes have faded, aged and scanned as
    :func:`monochrome_scan`'s prints are."""
    return _scan(_age(faded_colour_print(_as_float(photo), rng), rng), rng)


def toned_print(photo: np.ndarray, rng: np.random.Generator, tone: str | None = None) -> np.ndarray:
    """The photo's luma printed in a tone: from the tone's shadow colour through its
    mid-tone to its paper, the toning stronger in some places than in others."""
    name = tone if tone is not None else str(rng.choice(list(TONES)))
    knots = np.array(TONES[name], np.float32)  # shadow, mid, paper: 3x3
    gray = cv2.cvtColor(np.ascontiguousarray(photo, dtype=np.float32), cv2.COLOR_RGB2GRAY)
    gray = np.clip(gray, 0, 1) ** rng.uniform(0.8, 1.25)  # the paper's contrast grade
    gray = np.clip(film_grain(np.repeat(gray[..., None], 3, axis=2), rng)[..., 0], 0, 1)  # one layer of silver
    toned = np.dstack([np.interp(gray, (0.0, 0.5, 1.0), knots[:, c]) for c in range(3)]).astype(np.float32)
    neutral = cv2.cvtColor(toned, cv2.COLOR_RGB2GRAY)[..., None]
    strength = rng.uniform(0.6, 1.2) * (1 + 0.15 * smooth_field(gray.shape, rng))
    return np.clip(neutral + strength[..., None] * (toned - neutral), 0, 1).astype(np.float32)


def faded_colour_print(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour print decades on: the cyan dye gone furthest (a red-magenta cast), the
    magenta and yellow less, the whites stained yellow, and the contrast lost."""
    density = -np.log10(np.clip(photo, 1 / 255, 1))  # of the cyan, magenta and yellow dyes
    kept = np.array([rng.uniform(0.45, 0.9), rng.uniform(0.6, 0.95), rng.uniform(0.7, 1.0)], np.float32)
    stain = np.array([0.0, rng.uniform(0.0, 0.03), rng.uniform(0.0, 0.08)], np.float32)
    faded = fade(np.power(10.0, -(density * kept + stain)).astype(np.float32), rng)
    return np.clip(film_grain(faded, rng), 0, 1).astype(np.float32)


def _as_float(photo: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] from float, uint8 or uint16 pixels."""
    if np.issubdtype(photo.dtype, np.integer):
        return photo.astype(np.float32) / np.iinfo(photo.dtype).max
    return np.asarray(photo, np.float32)


def smooth_field(shape: tuple[int, int], rng: np.random.Generator, cells: tuple[int, int] = (2, 6)) -> np.ndarray:
    """A field of HxW values in [-1, 1] that changes slowly: a few bumps across the picture."""
    h, w = shape
    n = int(rng.integers(cells[0], cells[1] + 1))
    coarse = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    return np.clip(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), -1, 1)


def _age(print_: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Most prints on a mount or in a border; then yellowing, water stains, foxing, scratches and dust."""
    sheet = _border(print_, rng) if rng.random() < 0.75 else print_
    shape = sheet.shape[:2]
    yellow = rng.uniform(0.0, 0.3) * (0.6 + 0.4 * smooth_field(shape, rng)) + rng.uniform(0, 0.25) * _edges(shape)
    sheet = sheet * np.power(np.array([1.0, 0.95, 0.8], np.float32), yellow[..., None])
    for _ in range(int(rng.choice(3, p=[0.6, 0.3, 0.1]))):
        sheet = _water_stain(sheet, rng)
    sheet = _foxing(sheet, rng) if rng.random() < 0.5 else sheet
    return add_damage(np.clip(sheet, 0, 1).astype(np.float32), rng).image


def _foxing(sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rust-brown spots, 5 to 60 of them, up to about 1 % of the sheet across."""
    shape = sheet.shape[:2]
    spots = np.zeros(shape, np.float32)
    for _ in range(int(rng.integers(5, 60))):
        centre = (int(rng.integers(0, shape[1])), int(rng.integers(0, shape[0])))
        cv2.circle(spots, centre, max(1, round(rng.uniform(0.002, 0.012) * max(shape))), rng.uniform(0.3, 0.8), -1,
                   lineType=cv2.LINE_AA)
    spots = cv2.GaussianBlur(spots, (0, 0), 1.0)[..., None]
    return sheet * (1 - spots) + sheet * np.array([0.80, 0.60, 0.42], np.float32) * spots


def _border(print_: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The print on its mount, a border 2–14 % of its size on each side, unevenly cropped by the scan."""
    h, w = print_.shape[:2]
    colour = np.array(MOUNTS[int(rng.integers(len(MOUNTS)))], np.float32) + rng.normal(0, 0.02, 3)
    top, bottom = (int(rng.uniform(0.02, 0.14) * h) for _ in range(2))
    left, right = (int(rng.uniform(0.02, 0.14) * w) for _ in range(2))
    sheet = np.empty((h + top + bottom, w + left + right, 3), np.float32)
    sheet[:] = np.clip(colour, 0, 1)
    sheet[top:top + h, left:left + w] = print_
    return sheet


def _edges(shape: tuple[int, int]) -> np.ndarray:
    """1 at the sheet's edges falling to 0 a fifth of the way in: where paper yellows first."""
    h, w = shape
    y = np.minimum(np.arange(h), np.arange(h)[::-1])[:, None] / (0.2 * h)
    x = np.minimum(np.arange(w), np.arange(w)[::-1])[None, :] / (0.2 * w)
    return np.clip(1 - np.minimum(x, y), 0, 1).astype(np.float32)


def _water_stain(sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A pale brown blot with a darker tide line where the water dried, an irregular shape."""
    h, w = sheet.shape[:2]
    size = max(h, w)
    blot = np.zeros((h, w), np.float32)
    centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    axes = (int(rng.uniform(0.05, 0.25) * size), int(rng.uniform(0.05, 0.25) * size))
    cv2.ellipse(blot, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    blot = ((blot + 0.35 * smooth_field((h, w), rng, (6, 12))) > 0.6).astype(np.float32)
    rim = blot - cv2.erode(blot, np.ones((3, 3), np.uint8), iterations=max(1, size // 250))
    alpha = cv2.GaussianBlur(rng.uniform(0.15, 0.4) * blot + rng.uniform(0.2, 0.4) * rim, (0, 0), 1.5)[..., None]
    return sheet * (1 - alpha) + sheet * np.array([0.92, 0.78, 0.55], np.float32) * alpha


def _scan(sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The scanner's softness, its white balance a little off, its sensor's noise in each
    colour on its own, and JPEG (4:2:0 chroma), sometimes saved twice."""
    out = cv2.GaussianBlur(sheet, (0, 0), rng.uniform(0.3, 0.8))
    out = out * rng.uniform(0.97, 1.03, 3).astype(np.float32)
    out = out + rng.uniform(0.003, 0.015) * rng.standard_normal(out.shape, dtype=np.float32)
    return jpeg_compress(np.clip(out, 0, 1).astype(np.float32), rng, qualities=(35, 90), twice=0.25)
