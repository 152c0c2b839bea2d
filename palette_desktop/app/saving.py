"""Choosing where a restored photo goes, and the rule that it never goes over the original.

The opened file is refused wherever a path is chosen: in the Save As dialog (before Qt's
generic "replace?" prompt, so a hurried "Yes" cannot lose it), and again in the window's
``save_to`` for paths that come from elsewhere (a native dialog, Ctrl+S, a script).
Paths are compared as files, not as text: ``./shirt.jpg``, a symlink or a hard link to
the original are the original.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from palette_desktop.app.document import Document
from palette_desktop.app.settings import Settings
from palette_desktop.core.errors import TaskError
from palette_desktop.core.imageio import WRITE_FORMATS
from palette_desktop.resources import resource

SAVE_FILTERS = ["PNG image (*.png)", "JPEG image (*.jpg *.jpeg)", "TIFF image (*.tif *.tiff)", "WebP image (*.webp)"]


def is_original(doc: Document, path: str | Path) -> bool:
    """True when ``path`` is the file the photo was opened from, however it is spelled."""
    if doc.source is None:
        return False
    path, source = Path(path), Path(doc.source)
    try:
        if path.exists() and source.exists():
            return os.path.samefile(path, source)
    except OSError:
        pass
    return os.path.normcase(os.path.abspath(path)) == os.path.normcase(os.path.abspath(source))


def original_refusal(doc: Document) -> str:
    return (f"{doc.source.name} is the original photo: Palette Desktop never writes over it. "
            "Choose another name.")


def refuse_original(doc: Document, path: str | Path) -> None:
    """Raise :class:`TaskError` with the reason when ``path`` is the opened original."""
    if is_original(doc, path):
        raise TaskError(original_refusal(doc))


def is_sample(path: Path | None) -> bool:
    return path is not None and Path(path).resolve().parent == Path(resource("sample.jpg")).resolve().parent


def suggested_path(doc: Document, settings: Settings) -> Path:
    """Beside the original with ``-restored``; the last save folder for the bundled sample."""
    suggested = doc.suggested_save_path()
    if doc.save_path is None and is_sample(doc.source):
        suggested = settings.last_dir("save") / suggested.name
    return suggested


class SaveDialog(QFileDialog):
    """Qt's save dialog, refusing the original itself (a warning over it, and it stays open)."""

    def __init__(self, parent: QWidget, doc: Document, suggested: Path) -> None:
        super().__init__(parent, "Save the restored photo", str(suggested.parent))
        self.doc = doc
        self.refusal: QMessageBox | None = None
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.setNameFilters(SAVE_FILTERS)
        self.setDefaultSuffix("png")
        # a name typed without an extension gets the one of the format chosen in the list
        self.filterSelected.connect(lambda name: self.setDefaultSuffix(name.split("(*.")[1].split()[0].rstrip(")")))
        self.selectFile(suggested.name)

    def accept(self) -> None:
        files = self.selectedFiles()
        if files and is_original(self.doc, files[0]):
            self.refusal = QMessageBox(QMessageBox.Icon.Warning, "Choose another name", original_refusal(self.doc),
                                       QMessageBox.StandardButton.Ok, self)
            self.refusal.open()
            return
        super().accept()

    def ask(self, settings: Settings, show_error: Callable[[str, str], object]) -> tuple[Path, int] | None:
        """Run the dialog, then ask the quality for JPEG and WebP; None when cancelled or refused."""
        if not self.exec():
            return None
        path = Path(self.selectedFiles()[0])
        if path.suffix.lower() not in WRITE_FORMATS:
            show_error("Cannot save", f"{path.name}: unknown format; end the name with "
                                      f"{', '.join(sorted(set(WRITE_FORMATS)))}")
            return None
        if is_original(self.doc, path):  # a native dialog does not go through accept()
            show_error("Cannot save", original_refusal(self.doc))
            return None
        quality = settings.jpeg_quality
        if WRITE_FORMATS[path.suffix.lower()] in ("JPEG", "WEBP"):
            quality, ok = QInputDialog.getInt(self.parentWidget(), "JPEG quality",
                                              "Quality (1–100; 95 keeps almost everything):", quality, 1, 100)
            if not ok:
                return None
            settings.jpeg_quality = quality
        return path, quality
