"""Undo history: thin QUndoCommands over the document's changes, bounded by memory.

QUndoStack only caps the number of commands, and only while it is empty; a 40 MP photo
step weighs hundreds of MB while a brush stroke weighs a few kB. So the history sums what
its changes hold and, past the cap, drops the oldest ones by rebuilding the stack around
the same change objects (their commands are thin, nothing is recomputed), keeping the
saved ("clean") state where it was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from palette_desktop.app.document import Change, Document

DEFAULT_CAP_MB = 2048
MERGE_ID = 1  # every step may merge with the one before; Change.merge decides


class ChangeCommand(QUndoCommand):
    def __init__(self, history: History, change: Change) -> None:
        super().__init__(change.label)
        self.history = history
        self.change = change

    def redo(self) -> None:
        if self.history.replaying:  # the stack is being rebuilt around changes already in effect
            return
        self.change.redo(self.history.document)
        self.history.changed.emit(self.change)

    def undo(self) -> None:
        if self.history.replaying:
            return
        self.change.undo(self.history.document)
        self.history.changed.emit(self.change)

    def id(self) -> int:
        return MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if self.history.replaying or not isinstance(other, ChangeCommand) or not self.change.merge(other.change):
            return False
        self.setText(self.change.label)
        return True


class History(QObject):
    """The document being edited, its undo stack and the memory the stack holds."""

    changed = Signal(object)  # the Change just done or undone
    pushed = Signal()  # a step was done (new, or merged into the newest), the memory cap kept
    documentReplaced = Signal()
    baseLabelChanged = Signal(str)

    def __init__(self, parent: QObject | None = None, cap_mb: int = DEFAULT_CAP_MB) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.document: Document | None = None
        self.cap_bytes = cap_mb * 1024 * 1024
        self.dropped = 0
        self._changes: list[Change] = []
        self.base_label = "No photo"
        self.replaying = False

    # -- the document ----------------------------------------------------------------
    def set_document(self, doc: Document | None, label: str | None = None) -> None:
        """Start over on ``doc`` (None: no photo); ``label`` names its state, "Opened NAME" by default."""
        self.stack.clear()
        self.stack.setClean()
        self._changes = []
        self.dropped = 0
        self.document = doc
        self._set_base_label(label or (f"Opened {doc.name}" if doc is not None else "No photo"))
        self.documentReplaced.emit()

    def push(self, change: Change | None) -> None:
        """Do ``change`` and make it the newest undo step."""
        if change is None or self.document is None:
            return
        kept = self._changes[:self.stack.index()]
        self._changes = kept + [change]  # before the push: its signals read the list
        self.stack.push(ChangeCommand(self, change))
        if self.stack.count() == len(kept):  # taken into the step before (Change.merge)
            self._changes = kept
        self._enforce_cap()
        self.pushed.emit()

    def photo_modified(self) -> bool:
        """True when the photo differs from the saved (or opened) one.

        Brush strokes are undo steps but not changes to the photo: they alone don't ask
        to be saved (there is nothing of them to save).
        """
        if self.document is None:
            return False
        clean, index = self.stack.cleanIndex(), self.stack.index()
        if clean < 0:  # the saved state was dropped or can no longer be reached
            return True
        lo, hi = sorted((clean, index))
        return any(change.touches_photo for change in self._changes[lo:hi])

    # -- memory ----------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._changes)

    @property
    def changes(self) -> list[Change]:
        return list(self._changes)

    def set_cap_mb(self, cap_mb: int) -> None:
        self.cap_bytes = max(1, int(cap_mb)) * 1024 * 1024
        self._enforce_cap()

    def _enforce_cap(self) -> None:
        sizes = [c.nbytes for c in self._changes]
        total, drop = sum(sizes), 0
        # Only steps behind the current one are dropped, and the newest is always kept.
        while total > self.cap_bytes and drop < min(len(sizes) - 1, self.stack.index() - 1):
            total -= sizes[drop]
            drop += 1
        if drop:
            self._drop_oldest(drop)

    def _drop_oldest(self, count: int) -> None:
        keep = self._changes[count:]
        index = self.stack.index() - count
        clean = self.stack.cleanIndex()
        new_clean = clean - count if clean >= 0 else -1
        self.replaying = True
        try:
            self.stack.clear()
            self.stack.resetClean()
            for i, change in enumerate(keep):
                if i == new_clean:
                    self.stack.setClean()
                self.stack.push(ChangeCommand(self, change))
            if new_clean == len(keep):
                self.stack.setClean()
            # Steps that were undone stay redoable: walk the stack back without touching pixels.
            while self.stack.index() > index:
                self.stack.undo()
        finally:
            self.replaying = False
        self._changes = keep
        self.dropped += count
        self._set_base_label(f"Older steps dropped ({self.dropped}) to stay under "
                             f"{self.cap_bytes // (1024 * 1024)} MB")

    def _set_base_label(self, text: str) -> None:
        self.base_label = text
        self.baseLabelChanged.emit(text)
