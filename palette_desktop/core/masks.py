"""Masks: 2-D float32 arrays where 1 marks pixels to generate and 0 pixels to keep.

A feathered mask handed to a task is uint8 instead, 255 for 1 (:func:`feather`): at
100 MP a float copy is 400 MB, a uint8 one 100 MB, and 256 levels are plenty for an edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from palette_desktop.core.errors import ImageError, TaskError
from palette_desktop.core.imageio import Photo, load_image, save_image
from palette_desktop.core.pixels import row_bands, to_float, to_stored


@dataclass(frozen=True)
class Box:
    """A pixel rectangle, half-open: x0 <= x < x1, y0 <= y < y1."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def grow(self, margin: int, within: Box) -> Box:
        """Enlarge by ``margin`` on every side, clipped to the box ``within``."""
        return Box(max(within.x0, self.x0 - margin), max(within.y0, self.y0 - margin),
                   min(within.x1, self.x1 + margin), min(within.y1, self.y1 + margin))


def load_mask_array(gray: np.ndarray) -> np.ndarray:
    """A user's mask image (HxW or HxWx3, any depth) as a float32 mask."""
    if gray.ndim == 3:
        gray = gray.max(axis=2)
    values = to_float(gray)
    return values if gray.dtype.kind == "u" else np.clip(values, 0.0, 1.0)


def read_mask_file(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    """A mask image file (white = replace) for a photo of ``size`` (width, height)."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"no mask {path.name} for this photo")
    mask = load_mask_array(load_image(path, check_memory=False).pixels)  # the photo's own check counts it
    if (mask.shape[1], mask.shape[0]) != tuple(size):
        raise TaskError(f"mask {path.name} is {mask.shape[1]}×{mask.shape[0]}, the photo {size[0]}×{size[1]}")
    return mask


def write_mask_file(mask: np.ndarray, path: str | Path) -> Path:
    """Save a mask as the 8-bit grayscale PNG that :func:`read_mask_file` and ``--mask`` take.

    White = replace; written atomically like every output. PNG only: a lossy format
    would turn the mask's edge into noise.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ImageError(f"{path.name}: masks are saved as PNG; end the name with .png")
    gray = np.repeat(to_stored(mask, np.uint8)[..., None], 3, axis=2)
    return save_image(Photo(gray, grayscale=True), path).path


def polygon_mask(size: tuple[int, int], points: list[tuple[float, float]]) -> np.ndarray:
    """A (width, height) mask of 1 inside the polygon through ``points`` (pixel centres), soft-edged."""
    w, h = size
    canvas = np.zeros((h, w), np.uint8)
    if len(points) >= 3:
        shift = 4  # OpenCV takes sub-pixel vertices as fixed point
        pts = np.round(np.asarray(points, np.float64) * (1 << shift)).astype(np.int32)
        cv2.fillPoly(canvas, [pts], 255, lineType=cv2.LINE_AA, shift=shift)
    return canvas.astype(np.float32) / 255.0


def bounding_box(mask: np.ndarray) -> Box | None:
    """The smallest box holding every non-zero pixel, or None for an empty mask.

    Found from which rows and columns hold one, a band of rows at a time: the coordinates
    of every pixel (16 bytes each) would be 1.6 GB for a whole 100 MP photo.
    """
    h, w = mask.shape[:2]
    rows, columns = np.zeros(h, bool), np.zeros(w, bool)
    for band in row_bands(h, w):
        hit = mask[band] > 0
        rows[band] = hit.any(axis=1)
        columns |= hit.any(axis=0)
    ys, xs = np.flatnonzero(rows), np.flatnonzero(columns)
    if ys.size == 0:
        return None
    return Box(int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow the non-zero area of a mask by ``radius`` pixels (binary result)."""
    return _dilated(mask, radius).astype(np.float32)


def _dilated(mask: np.ndarray, radius: int) -> np.ndarray:
    """:func:`dilate` as uint8 0/1, a quarter of the float mask's memory."""
    binary = (mask > 0).astype(np.uint8)
    if radius <= 0:
        return binary
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(binary, kernel)


def feather(mask: np.ndarray, radius: float) -> np.ndarray:
    """Soften a mask's edge by a Gaussian of ``radius`` px, never beyond its own area: uint8,
    255 for 1.

    The result is zero wherever the input was zero, so compositing with it leaves every
    pixel outside the painted area bit-identical, and at least 1 wherever the input was
    not, so every painted pixel is still generated.
    """
    if radius <= 0:
        return to_stored(mask, np.uint8)
    inside = (mask > 0).view(np.uint8)
    soft = cv2.GaussianBlur(inside * np.uint8(255), (0, 0), sigmaX=radius / 2)
    np.multiply(soft, inside, out=soft)  # nothing outside, and in place: see the module's note
    return cv2.max(soft, inside)


def component_groups(mask: np.ndarray, join_distance: int) -> list[tuple[Box, np.ndarray]]:
    """Groups of painted areas closer than ``join_distance``: each one's box and its own
    pixels inside that box (another group's pixels may lie in the same box)."""
    joined = _dilated(mask, join_distance // 2)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    groups = []
    for label, (x, y, w, h, _area) in enumerate(stats[1:count], start=1):
        outer = Box(int(x), int(y), int(x + w), int(y + h))
        own = (mask[outer.slices()] > 0) & (labels[outer.slices()] == label)
        inner = bounding_box(own)
        if inner is not None:
            box = Box(outer.x0 + inner.x0, outer.y0 + inner.y0, outer.x0 + inner.x1, outer.y0 + inner.y1)
            groups.append((box, own[inner.slices()]))
    return groups


def draw_stroke(mask: np.ndarray, points: list[tuple[float, float]], radius: float, value: float = 1.0) -> None:
    """Paint a round brush along ``points`` (x, y) into ``mask`` in place."""
    thickness = max(1, int(round(radius * 2)))
    pts = [(int(round(x)), int(round(y))) for x, y in points]
    if len(pts) == 1:
        cv2.circle(mask, pts[0], max(1, int(round(radius))), value, -1, lineType=cv2.LINE_AA)
    for a, b in zip(pts, pts[1:]):
        cv2.line(mask, a, b, value, thickness, lineType=cv2.LINE_AA)
