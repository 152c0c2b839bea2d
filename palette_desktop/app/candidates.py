"""Pick one of several candidates before it enters the history.

The chosen candidate is the photo on the canvas, full size, where it will go, so it is
judged at any zoom against the rest of the photo; the picker is a strip under the canvas
(it never covers the repaired area) with a thumbnail per candidate and one of the photo
as it was, the chosen one framed. Keys: 1–4 a candidate, 0 the photo before, Enter uses
the chosen one, Esc discards them all. Thumbnails show the part of the photo that the
candidates change (with some context), so their differences show at thumbnail size.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QDockWidget, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout,
                               QWidget)

from palette_desktop.app.imaging import thumbnail
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box, bounding_box
from palette_desktop.core.pixels import differing, full_scale

THUMB = 180
ORIGINAL = 100  # the button id of the photo before the task (-1 would mean "any id" to Qt)
STYLE = """
QToolButton { border: 3px solid transparent; border-radius: 6px; padding: 2px; }
QToolButton:hover { border-color: #55555b; }
QToolButton:checked { border-color: #4a90e2; background: #2d4a70; }
"""


def changed_box(source: Photo, candidates: list[Photo]) -> Box | None:
    """The area, with context, where the candidates differ from the source (same size only)."""
    if any(c.pixels.shape != source.pixels.shape for c in candidates):
        return None
    differs = np.zeros(source.pixels.shape[:2], bool)
    for c in candidates:
        differs |= differing(c.pixels, source.pixels)
    box = bounding_box(differs)
    if box is None:
        return None
    w, h = source.size
    if box.width * box.height > 0.4 * w * h:
        return None
    margin = max(16, max(box.width, box.height) // 2)
    return box.grow(margin, Box(0, 0, w, h))


def placed_before(source: Photo, size: tuple[int, int], at: tuple[int, int]) -> Photo:
    """The photo before the task at ``at`` on a canvas of ``size`` (extend), the rest transparent."""
    if source.size == size:
        return source
    (w, h), (x, y) = size, at
    sw, sh = source.size
    pixels = np.zeros((h, w, 3), source.pixels.dtype)
    alpha = np.zeros((h, w), source.pixels.dtype)
    pixels[y:y + sh, x:x + sw] = source.pixels
    alpha[y:y + sh, x:x + sw] = full_scale(alpha.dtype) if source.alpha is None else source.alpha
    return Photo(pixels, alpha=alpha, icc_profile=source.icc_profile)


class CandidatePicker(QDockWidget):
    """A strip of thumbnails under the canvas; ``shown`` says which photo the canvas should show."""

    shown = Signal(object)  # Photo
    accepted = Signal()
    rejected = Signal()
    closed = Signal()

    def __init__(self, source: Photo, candidates: list[Photo], title: str, at: tuple[int, int] = (0, 0),
                 parent=None) -> None:
        super().__init__(f"{title}: pick a result", parent)
        self.setObjectName("candidates")
        self.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)  # it goes with Use or Discard
        self.candidates = candidates
        self.before = placed_before(source, candidates[0].size, at)
        box = changed_box(source, candidates)
        photos = [(ORIGINAL, self.before, "Before", "0")] + [
            (i, photo, f"Candidate {i + 1}", str(i + 1)) for i, photo in enumerate(candidates)]
        area = box.slices() if box is not None else (slice(None), slice(None))
        thumbs = {index: thumbnail(photo.pixels[area], THUMB) for index, photo, _, _ in photos}
        icon_size = QSize(max(t.width() for t in thumbs.values()), max(t.height() for t in thumbs.values()))

        strip = QWidget()
        strip.setStyleSheet(STYLE)
        row = QHBoxLayout()
        self.group = QButtonGroup(self)
        self._shortcuts: list[QShortcut] = []
        for index, photo, text, key in photos:
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(QIcon(QPixmap.fromImage(thumbs[index])))
            button.setIconSize(icon_size)
            button.setText(f"{text} ({key})")
            button.setToolTip(f"Show {text.lower()} on the photo (key {key})")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            self.group.addButton(button, index)
            row.addWidget(button)
            self._key(key, lambda i=index: self.choose(i))
        row.addStretch(1)
        use = QPushButton("Use this one")
        use.setObjectName("primary")
        use.setToolTip("Put the chosen candidate into the photo (Enter)")
        discard = QPushButton("Discard all")
        discard.setToolTip("Keep the photo as it was (Esc)")
        use.clicked.connect(self.accept)
        discard.clicked.connect(self.reject)
        self._key("Return", self.accept)
        self._key("Enter", self.accept)
        self._key("Escape", self.reject)
        self.hint = QLabel("Zoomed to the area that changed." if box is not None else "")
        self.hint.setObjectName("hint")
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.hint)
        side.addWidget(use)
        side.addWidget(discard)
        row.addLayout(side)
        strip.setLayout(row)
        self.setWidget(strip)
        self.group.idClicked.connect(self.choose)

    def _key(self, key: str, slot) -> None:
        shortcut = QShortcut(QKeySequence(key), self.parentWidget() or self)
        shortcut.activated.connect(slot)
        self._shortcuts.append(shortcut)

    def start(self) -> None:
        """Show the first candidate."""
        self.choose(0)

    def choose(self, index: int) -> None:
        """Show candidate ``index`` (or :data:`ORIGINAL`) on the canvas."""
        self.group.button(index).setChecked(True)
        self.shown.emit(self.before if index == ORIGINAL else self.candidates[index])

    @property
    def chosen_index(self) -> int:
        return self.group.checkedId()

    @property
    def chosen(self) -> Photo | None:
        """The candidate to use; None while the photo before is shown."""
        index = self.chosen_index
        return None if index == ORIGINAL else self.candidates[index]

    def accept(self) -> None:
        if self.chosen is None:  # Enter on "Before": nothing to use, the same as discarding
            self.reject()
            return
        self.hide()
        self.accepted.emit()
        self._close()

    def reject(self) -> None:
        self.hide()
        self.rejected.emit()
        self._close()

    def _close(self) -> None:
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts = []
        self.deleteLater()
        self.closed.emit()
