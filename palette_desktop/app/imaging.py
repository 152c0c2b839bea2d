"""numpy images to Qt images, in one place.

Every conversion copies (a QImage made over a numpy buffer would point at memory that
Python may free, so each helper returns an image that owns its pixels), except
:func:`shown_rgb`, whose :class:`SharedImage` keeps its buffer alive beside the image: a
100 MP photo on screen then costs no copy beside the pixels the document already holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtGui import QColorSpace, QImage

from palette_desktop.core.pixels import converted, row_bands

MASK_RGB = (235, 40, 40)
MASK_OPACITY = 0.5


def to_uint8(values: np.ndarray) -> np.ndarray:
    """[0, 1] floats (or 16-bit samples) to uint8, rounded to nearest and saturated (OpenCV: a few times
    numpy's speed)."""
    if values.dtype == np.uint8:
        return values
    if values.dtype == np.uint16:
        return converted(values, np.uint8)
    values = np.ascontiguousarray(values, dtype=np.float32)
    if values.ndim == 3 and values.shape[2] > 4:
        return np.round(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)
    return cv2.convertScaleAbs(cv2.max(values, 0.0), alpha=255.0).reshape(values.shape)


def to_qimage(pixels: np.ndarray, alpha: np.ndarray | None = None) -> QImage:
    """HxWx3 RGB (float in [0, 1], uint8 or uint16), optional HxW alpha, as a QImage that owns its data."""
    return shown_rgb(pixels, alpha).image.copy()


@dataclass(frozen=True)
class SharedImage:
    """A QImage drawn from ``buffer``'s memory, with the buffer that keeps it valid (None when the
    image owns its pixels)."""

    image: QImage
    buffer: np.ndarray | None


def shown_rgb(pixels: np.ndarray, alpha: np.ndarray | None = None, space: QColorSpace | None = None) -> SharedImage:
    """HxWx3 RGB (any depth) and optional HxW alpha as a QImage for the screen: over the
    photo's own pixels when they are 8-bit RGB (the usual photo), else over one 8-bit
    conversion. ``space``: the pixels' colour space, converted to sRGB into an image of its own."""
    rgb = to_uint8(pixels)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    if alpha is not None:
        data, fmt = np.dstack([rgb, to_uint8(alpha)]), QImage.Format.Format_RGBA8888
    else:
        data, fmt = np.ascontiguousarray(rgb), QImage.Format.Format_RGB888
    h, w = data.shape[:2]
    image = QImage(data.data, w, h, data.strides[0], fmt)
    if space is None:
        return SharedImage(image, data)
    image.setColorSpace(space)
    return SharedImage(image.convertedToColorSpace(QColorSpace(QColorSpace.NamedColorSpace.SRgb)), None)


def mask_overlay(mask: np.ndarray, rgb: tuple[int, int, int] = MASK_RGB, opacity: float = MASK_OPACITY) -> QImage:
    """A translucent colour layer over a mask (HxW in [0, 1]), premultiplied ARGB32, written
    straight into the image's own memory (a 100 MP overlay is 400 MB: no second copy)."""
    h, w = mask.shape
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    if not mask.any():
        return image
    # ARGB32 is B, G, R, A in memory on little-endian machines, A, R, G, B on big-endian ones
    order = (rgb[2], rgb[1], rgb[0], None) if np.little_endian else (None, rgb[0], rgb[1], rgb[2])
    pixels = np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine())[:, :4 * w].reshape(h, w, 4)
    for rows in row_bands(h, w):  # a band at a time: whole-mask temporaries are GBs at 100 MP
        a = np.round(np.clip(mask[rows], 0.0, 1.0) * (255.0 * opacity)).astype(np.uint16)
        band = pixels[rows]
        for channel, value in enumerate(order):
            band[..., channel] = a if value is None else a * value // 255
    return image


def shrink(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """The image with its long side at most ``max_side`` (area averaging, no aliasing)."""
    h, w = pixels.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return pixels
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def thumbnail(pixels: np.ndarray, max_side: int) -> QImage:
    return to_qimage(shrink(to_uint8(pixels), max_side))
