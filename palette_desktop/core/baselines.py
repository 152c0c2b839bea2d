"""Classical answers to each task, the baselines ``eval`` scores the model against.

None of them feeds the network: the condition's own fill is ``core.fill``.
"""

from __future__ import annotations

import cv2
import numpy as np

from palette_desktop.core.masks import bounding_box

TELEA_RADIUS = 5


def telea_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Holes (mask > 0) filled by OpenCV's Telea method; other pixels unchanged."""
    return classical_fill(image, mask, cv2.INPAINT_TELEA)


def classical_fill(image: np.ndarray, mask: np.ndarray, method: int) -> np.ndarray:
    """OpenCV inpainting (``cv2.INPAINT_TELEA`` or ``cv2.INPAINT_NS``) of the holes.

    The holes are blanked first: OpenCV reads the pixels under the mask at its edge, and
    what is under the mask must never reach the result (in eval it is the answer).
    """
    hole = (mask > 0).astype(np.uint8)
    blanked = np.where(hole[..., None] > 0, 0.0, np.clip(image, 0, 1))
    filled = cv2.inpaint(np.round(blanked * 255).astype(np.uint8), hole, TELEA_RADIUS, method)
    return np.where(hole[..., None] > 0, filled.astype(np.float32) / 255.0, image).astype(np.float32)


def reflect_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Holes around a rectangle of known pixels filled by mirroring it (the uncrop baseline).

    Falls back to Telea when the known pixels do not form one rectangle.
    """
    known = bounding_box(mask <= 0)
    if known is None:
        return np.full_like(image, 0.5)
    if (mask[known.slices()] > 0).any():
        return telea_fill(image, mask)
    h, w = mask.shape
    pad = ((known.y0, h - known.y1), (known.x0, w - known.x1), (0, 0))
    filled = np.pad(image[known.slices()], pad, mode="symmetric")
    return np.where(mask[..., None] > 0, filled, image).astype(np.float32)


def nl_means_denoise(image: np.ndarray) -> np.ndarray:
    """OpenCV's non-local means for colour photos, the scan clean-up baseline.

    The filter strength follows the noise measured in the photo (the spread of its
    finest detail), as a user would set the slider.
    """
    u8 = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    gray = cv2.cvtColor(u8, cv2.COLOR_RGB2GRAY).astype(np.float32)
    detail = gray - cv2.GaussianBlur(gray, (0, 0), 1.0)
    strength = float(np.clip(1.4826 * np.median(np.abs(detail - np.median(detail))) * 1.5, 3, 25))
    out = cv2.fastNlMeansDenoisingColored(u8, None, strength, strength, 7, 21)
    return out.astype(np.float32) / 255.0
