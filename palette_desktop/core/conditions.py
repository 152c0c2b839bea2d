"""The condition image the network sees, built the same way in training and in the app.

Condition = RGB (3 channels) ‖ mask (1 channel), in [0, 1] here and [-1, 1] at the
network. Holes are not left blank: they are pre-filled with a smooth push-pull fill
(inpaint and extend), and the other tasks see the gray photo (colorize) or the damaged
photo itself (restore); the network learns the correction to it. A small model then
starts from a plausible answer instead of from nothing. Training builds the same
condition in torch on the GPU (``palette_desktop.model.torch_conditions``).
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from palette_desktop.core.color import to_gray
from palette_desktop.core.fill import pushpull_fill


class Task(Enum):
    COLORIZE = "colorize"
    INPAINT = "inpaint"
    EXTEND = "extend"
    JPEG = "jpeg"


# The mask channel for whole-image tasks: it also tells the network which task it has,
# so a black-and-white JPEG is restored, not colorized.
WHOLE_IMAGE_MASK = {Task.COLORIZE: 1.0, Task.JPEG: 0.5}


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
        rgb = pushpull_fill(image, m)
    return np.dstack([rgb, m]).astype(np.float32)
