"""Covering a large image with overlapping tiles and blending the results back."""

from __future__ import annotations

import numpy as np


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
