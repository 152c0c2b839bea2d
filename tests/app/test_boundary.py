"""The layering: only palette_desktop.app imports Qt; the core stays testable without a display."""

from __future__ import annotations

import re
from pathlib import Path

import palette_desktop

QT_IMPORT = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt5|PyQt6|shiboken6)\b", re.MULTILINE)


def test_only_the_app_package_imports_qt():
    root = Path(palette_desktop.__file__).parent
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if "app" not in path.relative_to(root).parts[:1] and QT_IMPORT.search(path.read_text("utf-8"))]
    assert offenders == []


def test_the_document_model_needs_no_qt():
    source = (Path(palette_desktop.__file__).parent / "app" / "document.py").read_text("utf-8")
    assert not QT_IMPORT.search(source)
