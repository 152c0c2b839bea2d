"""Colour conversions used by colorize and by the model's condition images."""

from __future__ import annotations

import cv2
import numpy as np

from palette_desktop.core.pixels import column_strips, to_float, to_stored


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an HxWx3 image (any depth), replicated to three channels, float32."""
    y = cv2.cvtColor(np.ascontiguousarray(to_float(rgb)), cv2.COLOR_RGB2GRAY)
    return np.repeat(y[..., None], 3, axis=2)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* (0..100) of an HxWx3 sRGB image (any depth)."""
    return cv2.cvtColor(np.ascontiguousarray(to_float(rgb)), cv2.COLOR_RGB2Lab)[..., 0]


def transfer_chroma(luma_from: np.ndarray, chroma_from: np.ndarray) -> np.ndarray:
    """Full-resolution L* of ``luma_from`` with the a*/b* of ``chroma_from`` (any size),
    stored as ``luma_from`` is.

    As DeOldify does: the model works at a small size, the photo keeps every detail of
    its own tones, and only the smooth colour layer is upscaled. The a*/b* are enlarged
    across first, then down each strip of columns as it is made: OpenCV's bicubic
    resize works in these two passes itself, so the values are those of one resize of
    the whole layer, which a large scan never holds.
    """
    h, w = luma_from.shape[:2]
    lab_small = cv2.cvtColor(np.ascontiguousarray(chroma_from, dtype=np.float32), cv2.COLOR_RGB2Lab)
    ab_wide = cv2.resize(lab_small[..., 1:], (w, lab_small.shape[0]), interpolation=cv2.INTER_CUBIC)
    out = np.empty((h, w, 3), luma_from.dtype)
    for columns in column_strips(h, w):
        ab = cv2.resize(np.ascontiguousarray(ab_wide[:, columns]), (columns.stop - columns.start, h),
                        interpolation=cv2.INTER_CUBIC)
        lab = np.dstack([lightness(luma_from[:, columns]), ab.reshape(h, -1, 2)]).astype(np.float32)
        out[:, columns] = to_stored(np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0), out.dtype)
    return out


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk's colorfulness metric on 0..255 scale (0 for a gray image)."""
    r, g, b = (rgb[..., i].astype(np.float64) * 255 for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
