"""The undo step of a crop, a quarter turn or a straightening; no Qt here.

The edit applies to the photo, its alpha and the mask together, and to the photo as it
was opened (wherever extend placed it in the canvas), so the before/after compare still
lines up afterwards. Undo and redo swap whole states: arrays are never modified in
place, so a state is a handful of references.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from palette_desktop.app.document import Change, Document
from palette_desktop.core.geometry import Transform
from palette_desktop.core.imageio import Photo


@dataclass(frozen=True)
class _State:
    photo: Photo
    mask: np.ndarray
    original: Photo
    origin: tuple[int, int]

    @classmethod
    def of(cls, doc: Document) -> _State:
        return cls(doc.photo, doc.mask, doc.original, doc.origin)

    def put(self, doc: Document) -> None:
        doc.photo, doc.mask, doc.original, doc.origin = self.photo, self.mask, self.original, self.origin


def _transformed(photo: Photo, transform: Transform) -> Photo:
    alpha = transform.apply(photo.alpha) if photo.alpha is not None else None
    return replace(photo, pixels=transform.apply(photo.pixels), alpha=alpha)


class GeometryChange(Change):
    """Photo, mask and the compare's original, turned or cut by one :class:`Transform`."""

    touches_photo = True
    resizes = True  # the canvas changes shape (a square's quarter turn moves every pixel all the same)

    def __init__(self, doc: Document, transform: Transform) -> None:
        self.label = transform.label
        self.transform = transform
        self._before = _State.of(doc)
        photo = _transformed(doc.photo, transform)
        if doc.original is doc.photo and doc.origin == (0, 0):  # nothing done yet: one array for both
            original, origin = photo, (0, 0)
        else:
            original, origin = self._place_original(doc, transform) or (photo, (0, 0))
        self._after = _State(photo, transform.apply(doc.mask), original, origin)

    @staticmethod
    def _place_original(doc: Document, transform: Transform) -> tuple[Photo, tuple[int, int]] | None:
        """The opened photo edited where it sits; None when the edit left nothing of it."""
        placed = transform.place(doc.original.pixels, doc.origin, doc.size)
        if placed is None:  # cropped away: compare with the photo as it is now
            return None
        pixels, origin = placed
        alpha = doc.original.alpha
        if alpha is not None:
            alpha = transform.place(alpha, doc.origin, doc.size)[0]
        return replace(doc.original, pixels=pixels, alpha=alpha), origin

    @property
    def nbytes(self) -> int:
        after = self._after
        arrays = [after.photo.pixels, after.photo.alpha, after.mask]
        if after.original is not after.photo:
            arrays += [after.original.pixels, after.original.alpha]
        return sum(a.nbytes for a in arrays if a is not None)

    def redo(self, doc: Document) -> None:
        self._after.put(doc)

    def undo(self, doc: Document) -> None:
        self._before.put(doc)
