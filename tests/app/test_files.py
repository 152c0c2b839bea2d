"""Opening, saving and closing as a photographer does: the original is never overwritten."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from palette_desktop.app.settings import Settings
from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import load_image


def _colorize(window, qtbot):
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.COLORIZE)


def _answer_later(qtbot, find, act, seen: list) -> None:
    """Deal with the modal dialog that the next call opens (it blocks until answered)."""
    def poll():
        dialog = find()
        if dialog is not None and dialog.isVisible():
            seen.append(dialog)
            act(dialog)
        else:
            QTimer.singleShot(20, poll)
    QTimer.singleShot(20, poll)


def test_save_on_an_opened_photo_asks_for_a_new_name_and_never_overwrites_it(window, qtbot, photo_path):
    original = photo_path.read_bytes()
    _colorize(window, qtbot)
    assert window.isWindowModified()
    seen: list = []
    suggested: list = []

    def accept(dialog):
        suggested.append(dialog.selectedFiles()[0])
        dialog.accept()

    _answer_later(qtbot, lambda: getattr(window, "save_dialog", None), accept, seen)
    assert window.save()  # Ctrl+S on a photo never saved: Save As, with a new name
    assert Path(suggested[0]) == photo_path.with_name("shirt-restored.png")
    restored = photo_path.with_name("shirt-restored.png")
    assert restored.is_file() and photo_path.read_bytes() == original
    assert not window.isWindowModified() and window.windowTitle().startswith("shirt-restored.png")
    assert np.array_equal(load_image(restored).pixels, window.document.photo.pixels)

    # the next Save goes straight to the chosen file, without asking
    window.save_dialog = None
    _colorize(window, qtbot)
    assert window.save() and window.save_dialog is None
    assert photo_path.read_bytes() == original


def test_saving_keeps_the_profile_and_exif_and_says_what_a_format_cannot_hold(window, qtbot, data_dir, tmp_path):
    from PIL import ExifTags, Image, ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    scan = tmp_path / "scan.tif"
    Image.open(data_dir / "shirt.jpg").save(scan, icc_profile=icc, exif=exif.tobytes())
    assert window.open_path(scan)
    _colorize(window, qtbot)
    assert window.save_to(tmp_path / "out.jpg", quality=90)
    with Image.open(tmp_path / "out.jpg") as im:
        assert im.info.get("icc_profile") == icc and im.getexif().get(ExifTags.Base.Artist) == "Jane Doe"
    assert window.statusBar().currentMessage() == f"Saved {tmp_path / 'out.jpg'}"
    assert window.save_to(tmp_path / "out.bmp")
    assert window.statusBar().currentMessage().endswith("ICC profile and EXIF not kept: a BMP file cannot hold them")


def test_a_save_error_is_shown_and_the_work_kept(window, qtbot, tmp_path):
    _colorize(window, qtbot)
    assert not window.save_to(tmp_path / "missing-folder" / "x.png")
    assert "does not exist" in window.error_box.text()
    assert window.isWindowModified()
    window.error_box.accept()


def test_closing_unsaved_work_asks_first(window, qtbot):
    _colorize(window, qtbot)
    seen: list = []
    _answer_later(qtbot, lambda: getattr(window, "close_prompt", None),
                  lambda box: box.button(QMessageBox.StandardButton.Cancel).click(), seen)
    assert not window.close()
    assert window.isVisible() and seen and "shirt.jpg" in seen[0].text()
    window.close_prompt = None
    _answer_later(qtbot, lambda: getattr(window, "close_prompt", None),
                  lambda box: box.button(QMessageBox.StandardButton.Discard).click(), seen)
    assert window.close()
    assert not window.engine.is_running()


def test_a_dropped_photo_opens_and_goes_into_recent_files(window, qtbot, data_dir):
    path = data_dir / "trousers.jpg"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    qtbot.waitUntil(lambda: window.document.source == path, timeout=5000)
    assert window.windowTitle().startswith("trousers.jpg")
    assert window.settings.recent_files()[0] == path.resolve()

    window._fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip().endswith(".jpg")]
    assert [Path(a.toolTip()).name for a in entries[:2]] == ["trousers.jpg", "shirt.jpg"]
    entries[1].trigger()
    assert window.document.source.name == "shirt.jpg"


def test_a_text_file_is_not_taken_as_a_drop(window, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    enter = QDragEnterEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_settings_outlive_the_window(make_window, qtbot, photo_path):
    window = make_window()
    window.resize(700, 500)  # inside the 800×600 offscreen screen, which restoreGeometry clamps to
    window.open_path(photo_path)
    window.close()
    settings = Settings()
    assert settings.geometry() is not None and settings.last_dir("open") == photo_path.parent.resolve()
    settings.default_steps = 30
    settings.sync()
    again = make_window()
    assert (again.width(), again.height()) == (700, 500) and again.options_panel.steps == 30


def _drag(kind, mime, at=QPointF(300, 300)):
    return kind(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)


def test_dragging_a_photo_over_the_window_highlights_where_it_goes(window, qtbot, data_dir):
    from PySide6.QtGui import QDragLeaveEvent, QDragMoveEvent
    from PySide6.QtWidgets import QWidget

    def highlights() -> list[QWidget]:
        """What is shown over the photo area, other than the photo."""
        return [w for w in window.canvas.viewport().findChildren(QWidget) if w.isVisible()]

    path = data_dir / "trousers.jpg"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert highlights() == []
    QApplication.sendEvent(window, _drag(QDragEnterEvent, mime))
    shown = highlights()
    assert len(shown) == 1 and "trousers.jpg" in shown[0].accessibleName()
    assert shown[0].geometry() == window.canvas.viewport().rect()  # over the whole photo area
    QApplication.sendEvent(window, _drag(QDragMoveEvent, mime, QPointF(320, 310)))
    assert len(highlights()) == 1
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert highlights() == []  # dragged away: nothing left behind

    notes = QMimeData()
    notes.setUrls([QUrl.fromLocalFile(str(data_dir.parent / "conftest.py"))])
    QApplication.sendEvent(window, _drag(QDragEnterEvent, notes))
    assert highlights() == []  # not a photo: no promise

    QApplication.sendEvent(window, _drag(QDragEnterEvent, mime))
    QApplication.sendEvent(window, _drag(QDropEvent, mime))
    assert highlights() == []
    qtbot.waitUntil(lambda: window.document.source == path, timeout=5000)
