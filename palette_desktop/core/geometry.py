"""Turning and cutting a photo: quarter turns, crops and straightening; no Qt here.

Each edit is a :class:`Transform` that applies itself to any image-sized array (the RGB
pixels, the alpha, the mask) and to an array *placed* in the canvas at an offset (the
photo as opened, which extend may have put inside a larger canvas), so the before/after
compare stays aligned after the edit. Quarter turns and crops move pixels exactly;
straightening resamples once (bicubic) and crops to the largest rectangle of the photo's
own aspect ratio that the turned photo covers, as Lightroom's straighten does, so no
empty corners appear and a 4×6 print stays 4×6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from palette_desktop.core.masks import Box

MAX_STRAIGHTEN = 45.0
"""Largest straightening angle in degrees; a line steeper than 45° is taken as a vertical."""


class Transform:
    """A geometric edit of the whole canvas."""

    label = ""

    def size(self, width: int, height: int) -> tuple[int, int]:
        """The canvas size after the edit."""
        raise NotImplementedError

    def apply(self, array: np.ndarray) -> np.ndarray:
        """The edited copy of an HxW or HxWxC array the size of the canvas."""
        raise NotImplementedError

    def place(self, array: np.ndarray, origin: tuple[int, int],
              canvas: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]] | None:
        """Edit an array that sits at ``origin`` in a canvas of size ``canvas``.

        Returns the edited array and its new origin, or None when none of it is left.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class QuarterTurn(Transform):
    """Rotate by 90° clockwise or counter-clockwise (exact: pixels only move)."""

    clockwise: bool

    @property
    def label(self) -> str:
        return "Rotate 90° clockwise" if self.clockwise else "Rotate 90° counter-clockwise"

    def size(self, width: int, height: int) -> tuple[int, int]:
        return height, width

    def apply(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.rot90(array, k=-1 if self.clockwise else 1))

    def place(self, array, origin, canvas):
        (x, y), (width, height) = origin, canvas
        h, w = array.shape[:2]
        new_origin = (height - y - h, x) if self.clockwise else (y, width - x - w)
        return self.apply(array), new_origin


@dataclass(frozen=True)
class Crop(Transform):
    """Keep only ``box`` (in canvas pixels)."""

    box: Box

    @property
    def label(self) -> str:
        return f"Crop to {self.box.width} × {self.box.height}"

    def size(self, width: int, height: int) -> tuple[int, int]:
        return self.box.width, self.box.height

    def apply(self, array: np.ndarray) -> np.ndarray:
        return array[self.box.slices()].copy()  # a copy: a view would keep the whole photo alive

    def place(self, array, origin, canvas):
        h, w = array.shape[:2]
        b = self.box
        inside = Box(max(b.x0, origin[0]), max(b.y0, origin[1]), min(b.x1, origin[0] + w), min(b.y1, origin[1] + h))
        if inside.width <= 0 or inside.height <= 0:
            return None
        local = Box(inside.x0 - origin[0], inside.y0 - origin[1], inside.x1 - origin[0], inside.y1 - origin[1])
        return array[local.slices()].copy(), (inside.x0 - b.x0, inside.y0 - b.y0)


@dataclass(frozen=True)
class Straighten(Transform):
    """Turn by ``degrees`` clockwise and crop to the largest same-shaped rectangle inside."""

    degrees: float
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"Straighten {self.degrees:+.1f}°"

    def size(self, width: int, height: int) -> tuple[int, int]:
        return level_crop_size(width, height, self.degrees)

    def matrix(self) -> np.ndarray:
        """The 2×3 affine from canvas pixels to result pixels (pixel centres at integers)."""
        out_w, out_h = self.size(self.width, self.height)
        # OpenCV's positive angle turns counter-clockwise on screen (y down).
        m = cv2.getRotationMatrix2D(((self.width - 1) / 2, (self.height - 1) / 2), -self.degrees, 1.0)
        m[:, 2] += ((out_w - 1) / 2 - (self.width - 1) / 2, (out_h - 1) / 2 - (self.height - 1) / 2)
        return m

    def apply(self, array: np.ndarray) -> np.ndarray:
        return self._warp(array, self.matrix(), self.size(self.width, self.height))

    def place(self, array, origin, canvas):
        h, w = array.shape[:2]
        m = self.matrix()
        m[:, 2] += m[:, :2] @ np.array(origin, np.float64)  # from the placed array's own pixels
        corners = np.array([[-0.5, -0.5, 1], [w - 0.5, -0.5, 1], [-0.5, h - 0.5, 1], [w - 0.5, h - 0.5, 1]]) @ m.T
        out_w, out_h = self.size(self.width, self.height)
        x0 = max(0, math.floor(corners[:, 0].min() + 0.5))
        y0 = max(0, math.floor(corners[:, 1].min() + 0.5))
        x1 = min(out_w, math.ceil(corners[:, 0].max() + 0.5))
        y1 = min(out_h, math.ceil(corners[:, 1].max() + 0.5))
        if x1 <= x0 or y1 <= y0:
            return None
        m[:, 2] -= (x0, y0)
        return self._warp(array, m, (x1 - x0, y1 - y0)), (x0, y0)

    @staticmethod
    def _warp(array: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        # Bicubic for the photo, whose overshoot is clipped (OpenCV saturates stored depths);
        # the result's corners sit just inside the turned photo, so replicating its edge
        # only fills rounding slivers.
        out = cv2.warpAffine(np.ascontiguousarray(array), m, size, flags=cv2.INTER_CUBIC,
                             borderMode=cv2.BORDER_REPLICATE)
        return out if out.dtype.kind == "u" else np.clip(out, 0.0, 1.0).astype(array.dtype, copy=False)


def level_angle(start: tuple[float, float], end: tuple[float, float]) -> float:
    """Degrees to turn the photo clockwise so a line drawn from ``start`` to ``end`` is level.

    A line nearer horizontal becomes horizontal (a horizon), one nearer vertical becomes
    vertical (a wall or a door frame), whichever way it was drawn. Image coordinates, y down.
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    if dx == 0 and dy == 0:
        return 0.0
    angle = math.degrees(math.atan2(dy, dx))  # clockwise from +x on screen
    angle = (angle + 90.0) % 180.0 - 90.0  # the line's direction does not matter: [-90, 90)
    if angle > MAX_STRAIGHTEN:
        angle -= 90.0
    elif angle < -MAX_STRAIGHTEN:
        angle += 90.0
    return -angle + 0.0  # + 0.0: no "-0.0"


def level_crop_size(width: int, height: int, degrees: float) -> tuple[int, int]:
    """The largest rectangle of the photo's aspect ratio inside it turned by ``degrees``, centred."""
    c, s = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
    scale = min(width / (width * c + height * s), height / (width * s + height * c))
    # The tiny allowance keeps an exact 0° at the full size despite rounding.
    return max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))


def fit_aspect(box: Box, ratio: float, bounds: Box) -> Box:
    """The largest box of ``ratio`` (width / height) centred on ``box``'s centre, within ``bounds``."""
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    half_w = min(box.width / 2, box.height * ratio / 2, cx - bounds.x0, bounds.x1 - cx,
                 (cy - bounds.y0) * ratio, (bounds.y1 - cy) * ratio)
    width = max(1, math.floor(2 * half_w + 1e-6))
    height = max(1, round(width / ratio))
    x0, y0 = round(cx - width / 2), round(cy - height / 2)
    return clamp_box(Box(x0, y0, x0 + width, y0 + height), bounds)


def box_from_corners(anchor: tuple[float, float], corner: tuple[float, float], bounds: Box,
                     ratio: float | None = None) -> Box:
    """The box spanned from a fixed ``anchor`` to a dragged ``corner``, inside ``bounds``.

    With a ``ratio`` (width / height) the box keeps it: the drag's longer side leads and
    the box shrinks, keeping the ratio, where it would leave ``bounds``.
    """
    ax, ay = anchor
    cx = min(bounds.x1, max(bounds.x0, corner[0]))
    cy = min(bounds.y1, max(bounds.y0, corner[1]))
    w, h = abs(cx - ax), abs(cy - ay)
    if ratio is not None:
        sx = 1 if corner[0] >= ax else -1
        sy = 1 if corner[1] >= ay else -1
        room_w = (bounds.x1 - ax) if sx > 0 else (ax - bounds.x0)
        room_h = (bounds.y1 - ay) if sy > 0 else (ay - bounds.y0)
        w = min(max(w, h * ratio), room_w, room_h * ratio)
        h = w / ratio
        cx, cy = ax + sx * w, ay + sy * h
    x0, x1 = sorted((round(ax), round(cx)))
    y0, y1 = sorted((round(ay), round(cy)))
    return clamp_box(Box(x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)), bounds)


def clamp_box(box: Box, bounds: Box) -> Box:
    """``box`` moved (not resized, unless it is bigger) so it lies inside ``bounds``."""
    w, h = min(box.width, bounds.width), min(box.height, bounds.height)
    x0 = min(max(box.x0, bounds.x0), bounds.x1 - w)
    y0 = min(max(box.y0, bounds.y0), bounds.y1 - h)
    return Box(x0, y0, x0 + w, y0 + h)
