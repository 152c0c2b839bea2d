"""A recovery session read back as a document and the changes of its history; no Qt here.

The states are walked in order and each step becomes the change that takes the state
before it to its own: a mask-only step is a :class:`MaskChange`, a move of the extend
frame a :class:`MarginsChange`, anything else a :class:`RestoredStep`. A patch on disk
becomes a patch in memory, cut from the array it was laid over, so the history holds what
it held before the crash and undo gives back the same pixels, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from palette_desktop.app.document import Change, Document, MarginsChange, MaskChange, Patch
from palette_desktop.app.recovery import RecoveryError, SessionIndex, State, decode
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box
from palette_desktop.tasks.extend import Margins

_NO_PIXELS = np.zeros((0, 0, 3), np.float32)


@dataclass(frozen=True)
class Recovered:
    """What a session gives back: the document as it starts, its steps and the one to show."""

    document: Document
    steps: list[Change]
    shown: int  # the undo stack's index: 0 is the document as it starts
    base_label: str
    clean: bool  # the start is the photo as opened or saved


@dataclass(frozen=True)
class _Side:
    """The document around its pixels and mask: before or after a restored step."""

    meta: Photo  # the photo's fields, pixels left out
    original: Photo
    origin: tuple[int, int]
    margins: Margins


class RestoredStep(Change):
    """A recovered step that changed the photo: its pixel and mask patches, and what else it set."""

    touches_photo = True

    def __init__(self, label: str, pixels: Patch | None, mask: Patch | None, before: _Side, after: _Side,
                 resizes: bool) -> None:
        self.label = label
        self._pixels, self._mask = pixels, mask
        self._sides = (before, after)
        self.resizes = resizes
        self.touches_mask = mask is not None

    @property
    def nbytes(self) -> int:
        patches = [p for p in (self._pixels, self._mask) if p is not None]
        before, after = self._sides
        original = after.original.pixels.nbytes if after.original is not before.original else 0
        return sum(p.nbytes for p in patches) + original

    @property
    def region(self) -> Box | None:
        before, after = self._sides
        patches = [p for p in (self._pixels, self._mask) if p is not None]
        if self.resizes or before.original is not after.original or any(p.whole for p in patches) or not patches:
            return None
        return Box(min(p.box.x0 for p in patches), min(p.box.y0 for p in patches),
                   max(p.box.x1 for p in patches), max(p.box.y1 for p in patches))

    def _set(self, doc: Document, forward: bool) -> None:
        side = self._sides[forward]
        pixels = doc.photo.pixels if self._pixels is None else self._pixels.apply(doc.photo.pixels, forward)
        doc.photo = replace(side.meta, pixels=pixels)
        if self._mask is not None:
            doc.mask = self._mask.apply(doc.mask, forward)
        doc.original, doc.origin, doc.margins = side.original, side.origin, side.margins

    def redo(self, doc: Document) -> None:
        self._set(doc, True)

    def undo(self, doc: Document) -> None:
        self._set(doc, False)


def rebuild(folder: Path, index: SessionIndex) -> Recovered:
    """Read a session's files into a document and its steps; RecoveryError says what is missing or damaged."""
    reader = _Reader(Path(folder), index)
    try:
        return _rebuild(reader, index)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # files whose shapes do not fit together
        raise reader.error(f"its files do not fit together ({exc})") from None


def _rebuild(reader: _Reader, index: SessionIndex) -> Recovered:
    first = index.states[0]
    photo = reader.photo(first.photo)
    original = photo if first.original == first.photo else reader.photo(first.original)  # one object, as opened
    doc = Document(photo, Path(index.source) if index.source else None,
                   Path(index.save_path) if index.save_path else None, mask=reader.array(first.mask),
                   original=original, origin=first.origin, margins=Margins(*first.margins))
    walked = _Walked(first, doc.photo, doc.mask, doc.original)
    steps: list[Change] = []
    for number, state in enumerate(index.states[1:], 1):
        reader.step = number
        step, walked = _step(reader, walked, state)
        steps.append(step)
    label = first.label if index.base_clean else f"{first.label} · the steps before it were not kept"
    return Recovered(doc, steps, index.shown, label, index.base_clean)


@dataclass(frozen=True)
class _Walked:
    """A state read back, with its arrays."""

    state: State
    photo: Photo
    mask: np.ndarray
    original: Photo

    def side(self) -> _Side:
        return _Side(replace(self.photo, pixels=_NO_PIXELS), self.original, self.state.origin,
                     Margins(*self.state.margins))


def _step(reader: _Reader, before: _Walked, state: State) -> tuple[Change, _Walked]:
    """The change from ``before`` to ``state``, and ``state`` read back."""
    old = before.state
    pixel_patch, pixels = reader.patch(old.photo["pixels"]["file"], state.photo["pixels"]["file"], before.photo.pixels)
    mask_patch, mask = reader.patch(old.mask, state.mask, before.mask)
    photo = before.photo if state.photo == old.photo else replace(reader.photo(state.photo, pixels=False),
                                                                   pixels=pixels)
    if state.original == old.original:
        original = before.original
    else:  # turned or cropped with the photo, or the photo itself when nothing was done before
        original = photo if state.original == state.photo else reader.photo(state.original)
    after = _Walked(state, photo, mask, original)
    reader.keep(state)
    if photo is before.photo and original is before.original and state.origin == old.origin:
        if mask_patch is None:
            return MarginsChange(Margins(*old.margins), Margins(*state.margins), state.label), after
        return MaskChange(state.label, mask_patch), after
    resizes = before.photo.pixels.shape != pixels.shape
    return RestoredStep(state.label, pixel_patch, mask_patch, before.side(), after.side(), resizes), after


class _Reader:
    """Reads a session's files, laying patches over what they patch, each file at most once.

    It holds the arrays of whole files (the history holds them too) and those of the
    state last walked, not one full array per patch.
    """

    def __init__(self, folder: Path, index: SessionIndex) -> None:
        self.folder, self.index = folder, index
        self.step = 0
        self.known: dict[str, np.ndarray | bytes] = {}
        self.current: dict[str, np.ndarray] = {}

    def photo(self, values: dict, pixels: bool = True) -> Photo:
        """The photo a state's fields describe; with ``pixels=False``, all but its pixels."""
        read = {name: self.array(v["file"]) if isinstance(v, dict) else v for name, v in values.items()
                if pixels or name != "pixels"}
        try:
            return Photo(**{"pixels": _NO_PIXELS, **read})
        except TypeError:
            raise self.error("it holds a photo this version does not know") from None

    def array(self, name: str) -> np.ndarray | bytes:
        """The whole array (or bytes) ``name`` rebuilds."""
        if name in self.known or name in self.current:
            return self.known.get(name, self.current.get(name))
        info = self.index.files[name]
        if info.over is None:
            self.known[name] = self._read(name)
            return self.known[name]
        under = self.array(info.over)  # a patch over a state not walked last: rebuilt from its chain
        return self._laid(under, self._read(name), info.box)

    def patch(self, before: str, after: str, array: np.ndarray) -> tuple[Patch | None, np.ndarray]:
        """The patch from file ``before`` (whose array is ``array``) to file ``after``, and the array after."""
        self.current.setdefault(before, array)
        if after == before:
            return None, array
        info = self.index.files[after]
        if info.over == before and info.box is not None:
            x0, y0, x1, y1 = info.box
            box = Box(x0, y0, x1, y1)
            patch = Patch(box, array[box.slices()].copy(), self._read(after), False)
            new = patch.apply(array, True)
        else:
            new = self.array(after)
            patch = Patch(Box(0, 0, new.shape[1], new.shape[0]), array, new, True)
        self.current[after] = new
        return patch, new

    def keep(self, state: State) -> None:
        """Forget the arrays of the states walked before ``state``."""
        names = state.files()
        self.current = {name: a for name, a in self.current.items() if name in names}

    def _read(self, name: str) -> np.ndarray | bytes:
        try:
            data = (self.folder / name).read_bytes()
        except FileNotFoundError:
            raise self.error(f"its file {name} is missing") from None
        except OSError as exc:
            raise self.error(f"its file {name} cannot be read ({exc.strerror or exc})") from None
        try:
            return decode(data, self.index.files[name])
        except (ValueError, EOFError, OSError) as exc:
            raise self.error(f"its file {name} is damaged ({exc})") from None

    @staticmethod
    def _laid(under: np.ndarray, patch: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        x0, y0, x1, y1 = box
        out = under.copy()
        out[y0:y1, x0:x1] = patch
        return out

    def error(self, what: str) -> RecoveryError:
        where = f" (step {self.step})" if self.step else ""
        return RecoveryError(f"{what}{where}")
