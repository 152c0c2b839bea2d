"""Opening a photo dropped on the window, with a highlight over the photo area while it is dragged.

Only a file the window can open is accepted (and highlighted, with its name): anything
else is refused at once, so the cursor says so before the button is let go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from palette_desktop.core.imageio import READ_SUFFIXES


def dropped_photo(event) -> Path | None:
    """The first local file with a photo's extension among what is dragged, if any."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in READ_SUFFIXES:
            return Path(url.toLocalFile())
    return None


class DropHighlight(QWidget):
    """A tinted, dash-framed cover of the canvas: "Drop to open NAME"."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.text = ""
        self.hide()

    def show_for(self, path: Path) -> None:
        self.text = f"Drop to open {path.name}"
        self.setAccessibleName(self.text)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(66, 128, 210, 60))
        painter.setPen(QPen(QColor(110, 165, 240), 3, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(8, 8, -8, -8), 10, 10)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(235, 240, 250))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()


class FileDrop(QObject):
    """Watches the window's drag-and-drop events; ``open_path`` opens a dropped photo."""

    def __init__(self, window: QWidget, viewport: QWidget, open_path: Callable[[Path], object]) -> None:
        super().__init__(window)
        self.open_path = open_path
        self.highlight = DropHighlight(viewport)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            path = dropped_photo(event)
            if path is None:
                self.highlight.hide()
                event.ignore()
            else:
                event.acceptProposedAction()
                if kind == QEvent.Type.DragEnter or not self.highlight.isVisible():
                    self.highlight.show_for(path)
            return True
        if kind == QEvent.Type.DragLeave:
            self.highlight.hide()
            return True
        if kind == QEvent.Type.Drop:
            self.highlight.hide()
            path = dropped_photo(event)
            if path is not None:
                event.acceptProposedAction()
                # Open after the drop returns: the source application is waiting for it.
                QTimer.singleShot(0, lambda: self.open_path(path))
            return True
        return False
