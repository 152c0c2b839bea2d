"""Pick one of several candidates before it enters the history.

Thumbnails show the part of the photo that the candidates change (the repaired area
with some context, or the whole photo for colorize and extend), so the differences
between them are visible at thumbnail size.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QToolButton,
                               QVBoxLayout)

from palette_desktop.app.imaging import thumbnail
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box, bounding_box

THUMB = 280


def changed_box(source: Photo, candidates: list[Photo]) -> Box | None:
    """The area, with context, where the candidates differ from the source (same size only)."""
    if any(c.pixels.shape != source.pixels.shape for c in candidates):
        return None
    differs = np.zeros(source.pixels.shape[:2], bool)
    for c in candidates:
        differs |= (c.pixels != source.pixels).any(axis=2)
    box = bounding_box(differs)
    if box is None:
        return None
    w, h = source.size
    if box.width * box.height > 0.4 * w * h:
        return None
    margin = max(16, max(box.width, box.height) // 2)
    return box.grow(margin, Box(0, 0, w, h))


class CandidatePicker(QDialog):
    def __init__(self, source: Photo, candidates: list[Photo], title: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title}: pick a result")
        self.candidates = candidates
        box = changed_box(source, candidates)
        self.group = QButtonGroup(self)
        row = QHBoxLayout()
        thumbs = [thumbnail(photo.pixels[box.slices()] if box is not None else photo.pixels, THUMB)
                  for photo in candidates]
        icon_size = QSize(max(t.width() for t in thumbs), max(t.height() for t in thumbs))
        for index, thumb in enumerate(thumbs):
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(QIcon(QPixmap.fromImage(thumb)))
            button.setIconSize(icon_size)
            button.setText(f"Candidate {index + 1}")
            button.setToolTip(f"Candidate {index + 1} (key {index + 1}); double-click to use it")
            button.setShortcut(str(index + 1))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            self.group.addButton(button, index)
            row.addWidget(button)
        self.group.button(0).setChecked(True)
        buttons = QDialogButtonBox()
        use = buttons.addButton("Use this one", QDialogButtonBox.ButtonRole.AcceptRole)
        use.setDefault(True)
        buttons.addButton("Discard all", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel("Zoomed to the area that changed." if box is not None else "")
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        for button in self.group.buttons():
            button.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == event.Type.MouseButtonDblClick and watched in self.group.buttons():
            watched.setChecked(True)
            self.accept()
            return True
        return super().eventFilter(watched, event)

    @property
    def chosen_index(self) -> int:
        return self.group.checkedId()

    def choose(self, index: int) -> None:
        self.group.button(index).setChecked(True)

    @property
    def chosen(self) -> Photo:
        return self.candidates[self.chosen_index]
