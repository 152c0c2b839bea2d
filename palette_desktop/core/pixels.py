"""Photos held in their own depth, converted to float32 a band or a tile at a time.

A photo's pixels are uint8 (8-bit), uint16 (16-bit) or, made in code, float32 in
[0, 1]. A 100 MP scan is 300 MB as uint8 but 1.2 GB as float32, so the tasks hold it in
its own depth and convert to float32 only the tile or the band of rows they work on.
The conversions are the reader's and the writer's (n / 255 or n / 65535; back by
rounding to nearest after clipping to [0, 1]), so a photo converted a band at a time is
bit for bit what one conversion of the whole photo gives.
"""

from __future__ import annotations

from typing import Iterator

import cv2
import numpy as np

BAND_PIXELS = 1 << 18
"""Pixels in one band of rows (or strip of columns) converted to float32 at once: 3 MB as RGB,
so that the dozen arrays a band's arithmetic makes stay small beside the photo."""

_FULL_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def full_scale(dtype: np.dtype) -> float:
    """The stored value of full intensity: 255, 65535, or 1.0 for floats."""
    return _FULL_SCALE.get(np.dtype(dtype), 1.0)


def to_float(pixels: np.ndarray) -> np.ndarray:
    """float32 in [0, 1]; float32 input is returned as it is (no copy)."""
    if pixels.dtype == np.float32:
        return pixels
    values = pixels.astype(np.float32)
    if pixels.dtype in _FULL_SCALE:
        values /= _FULL_SCALE[pixels.dtype]
    return values


def to_stored(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float values in [0, 1] as ``dtype``: rounded to nearest and clipped; float32 kept as it is."""
    if np.dtype(dtype) not in _FULL_SCALE:
        return np.ascontiguousarray(values, dtype=np.float32)
    scaled = np.clip(values, 0.0, 1.0, dtype=np.float32)
    scaled *= _FULL_SCALE[np.dtype(dtype)]
    return np.round(scaled, out=scaled).astype(dtype)


def row_bands(height: int, width: int) -> Iterator[slice]:
    """Bands of rows of about :data:`BAND_PIXELS` covering ``height`` rows of ``width``."""
    rows = max(1, BAND_PIXELS // max(1, width))
    for top in range(0, height, rows):
        yield slice(top, min(height, top + rows))


STRIP_MULTIPLE = 64
"""Strips of columns are a multiple of this wide: OpenCV's vector loops then split each row of
a strip where they split the whole row, so a colour conversion gives the same bits."""


def column_strips(height: int, width: int) -> Iterator[slice]:
    """Strips of columns of about :data:`BAND_PIXELS` covering ``width`` columns of ``height``."""
    columns = max(1, BAND_PIXELS // max(1, height) // STRIP_MULTIPLE) * STRIP_MULTIPLE
    for left in range(0, width, columns):
        yield slice(left, min(width, left + columns))


def converted(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``pixels`` stored as ``dtype`` (the same array when it already is), a band at a time."""
    if pixels.dtype == np.dtype(dtype):
        return pixels
    out = np.empty(pixels.shape, dtype)
    for rows in row_bands(*pixels.shape[:2]):
        out[rows] = to_stored(to_float(pixels[rows]), dtype)
    return out


def differing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """HxW bool: where two images of one shape differ in any channel, compared a band of rows
    at a time (one comparison of the whole images would take a byte for every sample)."""
    out = np.empty(a.shape[:2], bool)
    for rows in row_bands(*a.shape[:2]):
        band = a[rows] != b[rows]
        out[rows] = band.any(axis=2) if band.ndim == 3 else band
    return out


def area_shrink(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """float32 ``pixels`` shrunk to (width, height) by area averaging, as ``cv2.resize`` does it.

    OpenCV averages rows, then columns; the rows are shrunk here a band at a time and
    the columns in one go, which gives the values of one ``INTER_AREA`` resize of the
    whole float32 photo without holding it: the very bits where the ratio is not a whole
    number, within float32 rounding (a few 1e-8) where OpenCV takes its whole-ratio path.
    """
    h, w = pixels.shape[:2]
    if (w, h) == (width, height):
        return to_float(pixels)
    narrow = np.empty((h, width) + pixels.shape[2:], np.float32)
    for rows in row_bands(h, w):
        band = np.ascontiguousarray(to_float(pixels[rows]))
        narrow[rows] = cv2.resize(band, (width, band.shape[0]), interpolation=cv2.INTER_AREA).reshape(
            narrow[rows].shape)
    return cv2.resize(narrow, (width, height), interpolation=cv2.INTER_AREA).reshape(
        (height, width) + pixels.shape[2:])
