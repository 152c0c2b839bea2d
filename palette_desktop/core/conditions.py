"""The condition image the network sees, built the same way in training and in the app.

Condition = RGB (3 channels) ‖ mask (1 channel), in [0, 1] here and [-1, 1] at the
network. Holes are not left blank: they are pre-filled with the classical answer
(OpenCV Telea for inpaint, mirrored edges for extend, the gray photo for colorize, the
JPEG itself for restore), and the network learns the correction to it. A small model
then starts from the baseline instead of from nothing.
"""

from __future__ import annotations

from enum import Enum

import cv2
import numpy as np

from palette_desktop.core.color import to_gray
from palette_desktop.core.masks import bounding_box


class Task(Enum):
    COLORIZE = "colorize"
    INPAINT = "inpaint"
    EXTEND = "extend"
    JPEG = "jpeg"


# The mask channel for whole-image tasks: it also tells the network which task it has,
# so a black-and-white JPEG is restored, not colorized.
WHOLE_IMAGE_MASK = {Task.COLORIZE: 1.0, Task.JPEG: 0.5}

TELEA_RADIUS = 5


def telea_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Holes (mask > 0) filled by OpenCV's Telea method; other pixels unchanged."""
    return classical_fill(image, mask, cv2.INPAINT_TELEA)


def classical_fill(image: np.ndarray, mask: np.ndarray, method: int) -> np.ndarray:
    """OpenCV inpainting (``cv2.INPAINT_TELEA`` or ``cv2.INPAINT_NS``) of the holes.

    The holes are blanked first: OpenCV reads the pixels under the mask at its edge, and
    what is under the mask must never reach the result (in training it is the answer).
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


def build_condition(task: Task, image: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """HxWx4 float32 condition in [0, 1] for ``image`` (the degraded input) and its mask."""
    h, w = image.shape[:2]
    if task is Task.COLORIZE:
        rgb, m = to_gray(image), np.full((h, w), WHOLE_IMAGE_MASK[task], np.float32)
    elif task is Task.JPEG:
        rgb, m = image.astype(np.float32), np.full((h, w), WHOLE_IMAGE_MASK[task], np.float32)
    else:
        if mask is None:
            raise ValueError(f"{task.value} needs a mask")
        m = (mask > 0).astype(np.float32)
        rgb = telea_fill(image, m) if task is Task.INPAINT else reflect_fill(image, m)
    return np.dstack([rgb, m]).astype(np.float32)
