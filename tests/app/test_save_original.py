"""Nothing the window saves can land on the opened original: Save As, Save (Ctrl+S), any spelling of its path."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QLineEdit, QMessageBox

from palette_desktop.core.conditions import Task


def _colorize(window, qtbot):
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.COLORIZE)


def _confirm_every_prompt(seen: list[str]) -> QTimer:
    """Answer yes to any prompt on top (Qt's "replace?", the JPEG quality), as a hurried user does.

    Each message box's text is kept in ``seen`` before it is answered.
    """
    def poll():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible() and widget.isModal():
                seen.append(widget.text())
                button = widget.button(QMessageBox.StandardButton.Yes) or widget.button(QMessageBox.StandardButton.Ok)
                if button is not None:
                    button.click()
            elif isinstance(widget, QInputDialog) and widget.isVisible():
                widget.accept()
    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(20)
    return timer


def _type_name_and_save(dialog: QFileDialog, name: str) -> None:
    dialog.findChild(QLineEdit, "fileNameEdit").setText(name)  # typed in the name field
    dialog.accept()  # the Save button


def test_save_as_refuses_the_opened_original_and_keeps_asking(window, qtbot, photo_path):
    original = photo_path.read_bytes()
    _colorize(window, qtbot)
    prompts: list[str] = []
    confirm = _confirm_every_prompt(prompts)
    attempts: list[str] = []

    def answer():
        dialog = getattr(window, "save_dialog", None)
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            QTimer.singleShot(20, answer)
            return
        if not attempts:
            attempts.append("original")
            _type_name_and_save(dialog, "shirt.jpg")  # the original's own name
            QTimer.singleShot(50, answer)
        elif len(attempts) == 1:
            attempts.append("new name")
            _type_name_and_save(dialog, "shirt-fixed.png")

    QTimer.singleShot(20, answer)
    try:
        saved = window.save_as()
    finally:
        confirm.stop()
    assert photo_path.read_bytes() == original  # the original survived the attempt
    refusals = [p for p in prompts if "original" in p and "shirt.jpg" in p]
    assert refusals and attempts == ["original", "new name"], (prompts, attempts)
    assert not any("replace" in p.lower() for p in prompts)  # refused before Qt's generic replace prompt
    assert saved and photo_path.with_name("shirt-fixed.png").is_file()
    assert window.document.save_path == photo_path.with_name("shirt-fixed.png")


def test_save_never_writes_over_the_original_by_any_spelling(window, qtbot, photo_path, tmp_path):
    original = photo_path.read_bytes()
    _colorize(window, qtbot)
    link = tmp_path / "link-to-shirt.jpg"
    link.symlink_to(photo_path)
    spellings = [photo_path, photo_path.parent / "." / "shirt.jpg", link]
    for path in spellings:
        assert not window.save_to(path)
        assert "original" in window.error_box.text() and "shirt.jpg" in window.error_box.text()
        window.error_box.accept()
    assert photo_path.read_bytes() == original and window.isWindowModified()
    assert window.document.save_path is None  # so Ctrl+S still asks for a new name

    asked: list[Path] = []

    def cancel_dialog():
        dialog = getattr(window, "save_dialog", None)
        if dialog is not None and dialog.isVisible():
            asked.append(Path(dialog.directory().absolutePath()))
            dialog.reject()
        else:
            QTimer.singleShot(20, cancel_dialog)

    QTimer.singleShot(20, cancel_dialog)
    window.actions["save"].trigger()
    assert asked  # Ctrl+S: a dialog for a new name, not a write
    assert photo_path.read_bytes() == original
