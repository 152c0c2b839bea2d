"""The photo being edited and the reversible changes made to it; no Qt here.

A :class:`Document` holds the current photo, the brush mask, the photo as it was opened
(for before/after) and where that original sits in the current canvas (extend moves it).
Each edit is a :class:`Change` that knows how to undo and redo itself on a document and
keeps only what it touched: a brush stroke stores the few pixels of mask under it, an
inpaint the box around the repaired area, so undo restores pixels exactly and the
history's memory is the size of what changed. Photos are never modified in place; a
change builds new arrays, so results, history and the worker can share them safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from palette_desktop.core.imageio import Photo, load_image
from palette_desktop.core.masks import Box, bounding_box, draw_stroke
from palette_desktop.core.pixels import differing, row_bands
from palette_desktop.tasks.extend import Margins

_NO_PIXELS = np.zeros((0, 0, 3), np.float32)


@dataclass
class Document:
    photo: Photo
    source: Path | None = None  # the file it was opened from: Save never writes over it
    save_path: Path | None = None  # where Save writes; None until the user chose a name
    mask: np.ndarray = field(default=None)  # HxW float32, 1 = repaint
    original: Photo = field(default=None)  # as opened, for compare
    origin: tuple[int, int] = (0, 0)  # top-left of the original in the current canvas
    margins: Margins = field(default_factory=Margins)  # the crop-extend frame: + grows, - cuts

    def __post_init__(self) -> None:
        if self.mask is None:
            self.mask = self.empty_mask()
        if self.original is None:
            self.original = self.photo

    @classmethod
    def open(cls, path: str | Path) -> Document:
        """Read a photo file (raises ImageError with a one-line reason)."""
        path = Path(path)
        return cls(load_image(path), source=path)

    @property
    def size(self) -> tuple[int, int]:
        return self.photo.size

    @property
    def name(self) -> str:
        path = self.save_path or self.source
        return path.name if path else "Untitled"

    def empty_mask(self) -> np.ndarray:
        w, h = self.photo.size
        return np.zeros((h, w), np.float32)

    def has_mask(self) -> bool:
        """True when any pixel is painted; looked at a band of rows at a time (a 100 MP mask
        compared whole would take 100 MB for the answer)."""
        h, w = self.mask.shape
        return any(bool((self.mask[rows] > 0).any()) for rows in row_bands(h, w))

    def suggested_save_path(self) -> Path:
        """Where Save As proposes to write: never the original, e.g. ``shirt-restored.png``."""
        if self.save_path is not None:
            return self.save_path
        if self.source is not None:
            return self.source.with_name(f"{self.source.stem}-restored.png")
        return Path("restored.png")


# --- changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """The part of an array that changed: its box, and the pixels there before and after.

    A whole-array patch keeps references instead of copies (arrays are never modified in
    place), so a colorize step costs one image of memory, not three.
    """

    box: Box
    before: np.ndarray
    after: np.ndarray
    whole: bool

    @classmethod
    def between(cls, before: np.ndarray, after: np.ndarray) -> Patch | None:
        """The smallest patch taking ``before`` to ``after`` (same shape), or None if equal."""
        box = bounding_box(differing(before, after))
        if box is None:
            return None
        h, w = before.shape[:2]
        if box.width * box.height >= 0.5 * w * h:
            return cls(Box(0, 0, w, h), before, after, True)
        s = box.slices()
        return cls(box, before[s].copy(), after[s].copy(), False)

    @property
    def nbytes(self) -> int:
        # A whole patch's ``before`` is the previous state's ``after``: count each image once.
        return self.after.nbytes if self.whole else self.before.nbytes + self.after.nbytes

    def apply(self, array: np.ndarray, forward: bool) -> np.ndarray:
        """A new array with the patch applied forward (redo) or backward (undo)."""
        values = self.after if forward else self.before
        if self.whole:
            return values
        out = array.copy()
        out[self.box.slices()] = values
        return out


class Change:
    """One reversible edit of a document."""

    label = ""

    @property
    def nbytes(self) -> int:
        raise NotImplementedError

    def redo(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError

    @property
    def region(self) -> Box | None:
        """The box it touched, or None when the whole canvas may have changed."""
        return None

    resizes = False
    touches_photo = False
    touches_mask = True

    def merge(self, newer: Change) -> bool:
        """Take ``newer`` (just done) into this step, so both undo as one; False when they stay two."""
        return False


class MaskChange(Change):
    """A brush stroke, an erase, a clear or an invert: only the mask pixels it touched."""

    def __init__(self, label: str, patch: Patch) -> None:
        self.label = label
        self.patch = patch

    @property
    def nbytes(self) -> int:
        return self.patch.nbytes

    @property
    def region(self) -> Box:
        return self.patch.box

    def redo(self, doc: Document) -> None:
        doc.mask = self.patch.apply(doc.mask, True)

    def undo(self, doc: Document) -> None:
        doc.mask = self.patch.apply(doc.mask, False)


class PhotoChange(Change):
    """A task's result taking the place of the photo (and clearing the mask it used)."""

    touches_photo = True

    def __init__(self, doc: Document, result: Photo, label: str, shift: tuple[int, int] = (0, 0),
                 keep_mask: bool = False) -> None:
        """``shift``: how far the old canvas moved inside the new one (extend's left and top).

        The mask is cleared, or with ``keep_mask`` kept where it was on the photo.
        """
        self.label = label
        before, after = doc.photo, result
        self.resizes = before.pixels.shape != after.pixels.shape
        self._before_meta = replace(before, pixels=_NO_PIXELS)
        self._after_meta = replace(after, pixels=_NO_PIXELS)
        self._origin = (doc.origin, (doc.origin[0] + shift[0], doc.origin[1] + shift[1]))
        if keep_mask and not self.resizes and shift == (0, 0):
            new_mask = doc.mask  # the very array, not a copy: masks, too, are never changed in place
        else:
            new_mask = np.zeros(after.pixels.shape[:2], np.float32)
            if keep_mask:
                h, w = doc.mask.shape
                x, y = shift
                if 0 <= x and 0 <= y and x + w <= new_mask.shape[1] and y + h <= new_mask.shape[0]:
                    new_mask[y:y + h, x:x + w] = doc.mask
        if self.resizes:
            self._pixels: Patch | None = Patch(Box(0, 0, *after.size), before.pixels, after.pixels, True)
            self._mask: Patch | None = Patch(Box(0, 0, *after.size), doc.mask, new_mask, True)
        else:
            self._pixels = Patch.between(before.pixels, after.pixels)
            self._mask = None if new_mask is doc.mask else Patch.between(doc.mask, new_mask)

    @property
    def nbytes(self) -> int:
        total = self._pixels.nbytes if self._pixels else 0
        if self._mask is not None:
            total += self._mask.before.nbytes if self._mask.whole else self._mask.nbytes
        if self.resizes and self._after_meta.alpha is not None:
            total += self._after_meta.alpha.nbytes
        return total

    @property
    def region(self) -> Box | None:
        if self.resizes or self._pixels is None or self._pixels.whole:
            return None
        box = self._pixels.box
        if self._mask is not None and not self._mask.whole:
            m = self._mask.box
            box = Box(min(box.x0, m.x0), min(box.y0, m.y0), max(box.x1, m.x1), max(box.y1, m.y1))
        return box

    def _set(self, doc: Document, forward: bool) -> None:
        meta = self._after_meta if forward else self._before_meta
        pixels = doc.photo.pixels if self._pixels is None else self._pixels.apply(doc.photo.pixels, forward)
        doc.photo = replace(meta, pixels=pixels)
        if self._mask is not None:
            doc.mask = self._mask.apply(doc.mask, forward)
        doc.origin = self._origin[1 if forward else 0]

    def redo(self, doc: Document) -> None:
        self._set(doc, True)

    def undo(self, doc: Document) -> None:
        self._set(doc, False)


class MarginsChange(Change):
    """The crop-extend frame moved: dragged, typed, a preset. Typing into one side is one step."""

    touches_mask = False

    def __init__(self, before: Margins, after: Margins, label: str, typed_side: str | None = None) -> None:
        self.before, self.after, self.label, self.typed_side = before, after, label, typed_side

    @property
    def nbytes(self) -> int:
        return 0

    def merge(self, newer: Change) -> bool:
        if not isinstance(newer, MarginsChange) or self.typed_side is None or newer.typed_side != self.typed_side:
            return False
        self.after, self.label = newer.after, newer.label
        return True

    def redo(self, doc: Document) -> None:
        doc.margins = self.after

    def undo(self, doc: Document) -> None:
        doc.margins = self.before


def stroke_change(mask: np.ndarray, points: list[tuple[float, float]], radius: float,
                  erase: bool = False) -> MaskChange | None:
    """The change a brush (or eraser) stroke through ``points`` makes to ``mask``; None if nothing."""
    if not points:
        return None
    h, w = mask.shape
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad = int(np.ceil(radius)) + 2
    box = Box(max(0, int(min(xs)) - pad), max(0, int(min(ys)) - pad),
              min(w, int(max(xs)) + pad + 1), min(h, int(max(ys)) + pad + 1))
    if box.width <= 0 or box.height <= 0:
        return None
    before = mask[box.slices()].copy()
    after = before.copy()
    draw_stroke(after, [(x - box.x0, y - box.y0) for x, y in points], radius, 0.0 if erase else 1.0)
    if erase:
        after = np.minimum(after, before)
    else:
        after = np.maximum(after, before)
    if np.array_equal(before, after):
        return None
    return MaskChange("Erase stroke" if erase else "Brush stroke", Patch(box, before, after, False))


def mask_change(mask: np.ndarray, new_mask: np.ndarray, label: str) -> MaskChange | None:
    patch = Patch.between(mask, new_mask)
    return MaskChange(label, patch) if patch is not None else None
