"""Covering a large image with overlapping tiles and blending the results back."""

from __future__ import annotations

from typing import Callable

import numpy as np

from palette_desktop.core.pixels import row_bands


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with at least ``overlap``."""
    if length <= tile:
        return [0]
    stride = max(1, tile - overlap)
    count = int(np.ceil((length - tile) / stride)) + 1
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def even_tiles(length: int, max_tile: int, overlap: int, multiple: int = 1) -> tuple[int, list[int]]:
    """The fewest tiles of at most ``max_tile`` covering ``length``: (tile size, starts).

    The tiles share the length evenly, so none is mostly overlap; the size is rounded up
    to ``multiple`` where the length allows.
    """
    if length <= max_tile:
        return length, [0]
    count = -(-(length - overlap) // (max_tile - overlap))
    size = -(-(length + (count - 1) * overlap) // count)
    size = min(length, -(-size // multiple) * multiple)
    return size, tile_starts(length, size, overlap)


def blend_weight(height: int, width: int, overlap: int) -> np.ndarray:
    """A HxW weight that ramps linearly over ``overlap`` px at each edge (never zero)."""
    def ramp(n: int) -> np.ndarray:
        r = np.ones(n, np.float32)
        k = min(overlap, n // 2)
        if k > 0:
            edge = (np.arange(k, dtype=np.float32) + 1) / (k + 1)
            r[:k], r[n - k:] = edge, edge[::-1]
        return r
    return np.outer(ramp(height), ramp(width))


def pad_to_multiple(image: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad the bottom and right of an HxW[xC] array; returns it and the original (h, w)."""
    h, w = image.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return image, (h, w)
    pad = [(0, ph), (0, pw)] + [(0, 0)] * (image.ndim - 2)
    mode = "reflect" if h > ph and w > pw else "edge"
    return np.pad(image, pad, mode=mode), (h, w)


class RowBlend:
    """Overlapping tiles blended into a photo a band of rows at a time.

    Tiles come in the order of ``starts`` (row by row), each weighted by ``weight``; rows
    that no later tile reaches are finished (divided by their summed weight) and handed
    to ``emit(rows, values)``, so only the rows that tiles still overlap are held in
    float32. Each pixel's sums are made in the same order as over a whole-photo buffer,
    so the result is the same to the bit.
    """

    def __init__(self, shape: tuple[int, int, int], count: int, tile: tuple[int, int], starts: list[tuple[int, int]],
                 weight: np.ndarray, emit: Callable[[slice, np.ndarray], None]) -> None:
        self.height, self.width, self.channels = shape
        self.count, self.tile, self.starts, self.weight, self.emit = count, tile, starts, weight, emit
        self.top = 0  # the first row not yet emitted
        self.total = np.zeros((count, 0, self.width, self.channels), np.float32)  # rows from self.top on

    def add(self, y: int, x: int, values: np.ndarray) -> None:
        """Add ``values`` (count, tile height, tile width, channels) of the tile at (y, x)."""
        th, tw = self.tile
        missing = y + th - self.top - self.total.shape[1]
        if missing > 0:
            grown = np.zeros((self.count, missing, self.width, self.channels), np.float32)
            self.total = np.concatenate([self.total, grown], axis=1)
        self.total[:, y - self.top:y + th - self.top, x:x + tw] += values * self.weight

    def finish_above(self, row: int) -> None:
        """Emit every row above ``row`` (no tile still to come starts above it), a band at a time."""
        row = min(row, self.height)
        if row <= self.top:
            return
        for rows in row_bands(row - self.top, self.width):
            self._emit(slice(self.top + rows.start, self.top + rows.stop), self.total[:, rows])
        self.total = self.total[:, row - self.top:].copy()
        self.top = row

    def _emit(self, rows: slice, total: np.ndarray) -> None:
        th, tw = self.tile
        weight_sum = np.zeros((rows.stop - rows.start, self.width, self.weight.shape[2]), np.float32)
        for y, x in self.starts:
            lo, hi = max(y, rows.start), min(y + th, rows.stop)
            if lo < hi:
                weight_sum[lo - rows.start:hi - rows.start, x:x + tw] += self.weight[lo - y:hi - y]
        self.emit(rows, total / weight_sum)
