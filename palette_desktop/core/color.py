"""Colour conversions used by colorize and by the model's condition images."""

from __future__ import annotations

import cv2
import numpy as np


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an HxWx3 float32 image, replicated to three channels."""
    y = cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2GRAY)
    return np.repeat(y[..., None], 3, axis=2)


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* (0..100) of an HxWx3 float32 sRGB image."""
    return cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2Lab)[..., 0]


def transfer_chroma(luma_from: np.ndarray, chroma_from: np.ndarray) -> np.ndarray:
    """Full-resolution L* of ``luma_from`` with the a*/b* of ``chroma_from`` (any size).

    As DeOldify does: the model works at a small size, the photo keeps every detail of
    its own tones, and only the smooth colour layer is upscaled.
    """
    h, w = luma_from.shape[:2]
    lab_small = cv2.cvtColor(np.ascontiguousarray(chroma_from, dtype=np.float32), cv2.COLOR_RGB2Lab)
    ab = cv2.resize(lab_small[..., 1:], (w, h), interpolation=cv2.INTER_CUBIC)
    lab = np.dstack([lightness(luma_from), ab]).astype(np.float32)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0.0, 1.0)


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk's colorfulness metric on 0..255 scale (0 for a gray image)."""
    r, g, b = (rgb[..., i].astype(np.float64) * 255 for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
