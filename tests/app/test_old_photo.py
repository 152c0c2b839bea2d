"""Detect Damage and Restore Old Photo in the window, on the real widgets and the tiny model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from gui_helpers import drag, line, status_text
from PySide6.QtCore import QPoint, Qt, QTimer

from palette_desktop.app.old_photo import RestoreDialog
from palette_desktop.app.tools import Tool
from palette_desktop.core.color import to_gray
from palette_desktop.core.degrade import old_print
from palette_desktop.core.imageio import Photo, is_gray, load_image, save_image
from palette_desktop.core.pixels import to_float
from palette_desktop.core.progress import STAGED_SCALE
from palette_desktop.core.synthetic_damage import add_damage


@pytest.fixture()
def old_scan_path(tmp_path, data_dir):
    """A gray print of a real photo with scratches and dust, 192×256, as a PNG file."""
    pixels = cv2.resize(to_float(load_image(data_dir / "floor.jpg").pixels), (192, 256), interpolation=cv2.INTER_AREA)
    toned = old_print(pixels, np.random.default_rng(4))
    damaged = to_gray(add_damage(toned, np.random.default_rng(1), scratches=(3, 3), specks=(6, 6)).image)
    return save_image(Photo(damaged, grayscale=True), tmp_path / "old.png").path


@pytest.fixture()
def old_window(make_window, old_scan_path):
    window = make_window()
    assert window.open_path(old_scan_path)
    window.options_panel.set_steps(6)
    return window


def _history(window) -> list[str]:
    stack = window.history.stack
    return [stack.text(i) for i in range(stack.count())]


def test_detect_damage_fills_the_mask_as_one_step_that_the_brush_then_edits(old_window, qtbot):
    window = old_window
    window.actions["detect_damage"].trigger()
    # it looks on another thread: the window answers meanwhile and takes no second look
    assert not window.actions["detect_damage"].isEnabled() and "Looking for" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _history(window) == ["Detect damage"], timeout=20000)
    assert window.actions["detect_damage"].isEnabled()
    mask = window.document.mask.copy()
    assert mask.any()
    assert window.tool is Tool.BRUSH  # ready to correct it
    canvas = window.canvas
    canvas.set_zoom(3.0)
    canvas.centerOn(canvas.image_rect().center())
    ys, xs = np.nonzero(mask)
    x, y = int(xs[len(xs) // 2]), int(ys[len(ys) // 2])
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_X)  # the eraser
    drag(qtbot, canvas, line((x - 6, y), (x + 6, y)))
    assert window.document.mask[y, x] == 0 and window.document.mask.sum() < mask.sum()
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.mask, mask)
    window.actions["undo"].trigger()
    assert not window.document.mask.any()


def test_detect_damage_with_a_damaged_detector_says_so_and_can_be_tried_again(old_window, qtbot, broken_detector):
    window = old_window
    window.actions["detect_damage"].trigger()
    qtbot.waitUntil(lambda: window.actions["detect_damage"].isEnabled(), timeout=20000)  # not stuck "looking"
    assert window.statusBar().currentMessage().startswith(
        "Detect Damage: damage_net.onnx: the damage detector cannot be loaded")
    assert _history(window) == [] and not window.document.mask.any()


def test_restore_old_photo_puts_every_step_on_the_history_with_one_progress_bar(old_window, qtbot):
    window = old_window
    opened = window.document.photo
    reports = []
    window.engine.progress.connect(
        lambda job, done, total: reports.append((done, total, window.task_progress.bar.isVisible())))
    with qtbot.waitSignal(window.engine.finished, timeout=60000):
        job = window.old_photo.restore(use_mask=False, colorize=True)
        assert job is not None and window.actions["cancel"].isEnabled()
    seed = window.options_panel.options().seed
    assert _history(window) == ["Detect damage", f"Repair damage · seed {seed}", f"Clean up · seed {seed}",
                                f"Colorize · seed {seed}"]
    assert not is_gray(window.document.photo.pixels)  # colorized
    assert {total for _, total, _ in reports} == {STAGED_SCALE} and all(shown for _, _, shown in reports)
    done = [d for d, _, _ in reports]
    assert done == sorted(done) and done[-1] == STAGED_SCALE
    assert not window.actions["cancel"].isEnabled() and window.actions["restore_old"].isEnabled()

    window.history.stack.setIndex(3)  # back to before Colorize, as a click in the history does
    assert is_gray(window.document.photo.pixels) and window.document.photo is not opened
    window.history.stack.setIndex(1)  # the damage found, not yet repaired
    assert window.document.mask.any() and np.array_equal(window.document.photo.pixels, opened.pixels)


def test_restore_old_photo_repairs_the_painted_mask_and_can_leave_it_black_and_white(old_window, qtbot):
    window = old_window
    doc = window.document
    mask = np.zeros_like(doc.mask)
    mask[100:108, 20:170] = 1
    window.mask_tools.import_mask(_mask_file(mask, window))
    with qtbot.waitSignal(window.engine.finished, timeout=60000):
        window.old_photo.restore(use_mask=True, colorize=False)
    seed = window.options_panel.options().seed
    assert _history(window)[1:] == [f"Repair damage · seed {seed}", f"Clean up · seed {seed}"]
    assert is_gray(window.document.photo.pixels)


def _mask_file(mask, window):
    from palette_desktop.core.masks import write_mask_file

    path = window.document.source.with_name("mask.png")
    write_mask_file(mask, path)
    return path


def test_cancel_stops_the_steps_and_keeps_those_done(old_window, qtbot):
    window = old_window
    window.old_photo.stepDone.connect(lambda *_: window.actions["cancel"].trigger(), Qt.ConnectionType.QueuedConnection)
    with qtbot.waitSignal(window.engine.cancelled, timeout=60000):
        window.old_photo.restore()
    history = _history(window)
    assert 1 <= len(history) < 4 and history[0] == "Detect damage"
    assert not window.old_photo.running and window.actions["restore_old"].isEnabled()
    qtbot.waitUntil(lambda: "steps done are in the history" in status_text(window), timeout=2000)


def test_the_dialog_offers_the_painted_mask_only_when_there_is_one(qtbot):
    dialog = RestoreDialog(None, has_mask=False, monochrome=False)
    qtbot.addWidget(dialog)
    assert dialog.detect.isChecked() and not dialog.painted.isEnabled()
    dialog = RestoreDialog(None, has_mask=True, monochrome=True, painted=0.021)
    qtbot.addWidget(dialog)
    assert dialog.painted.isChecked()
    assert dialog.plan.text() == "Plan: repair 2.1 % damage · clean up · colorize (black-and-white print)"
    dialog.detect.setChecked(True)
    assert dialog.plan.text().startswith("Plan: find and repair damage · ")


def test_the_dialog_says_what_the_photo_looks_like_and_the_user_decides_on_colour(qtbot):
    dialog = RestoreDialog(None, has_mask=False, monochrome=False)
    qtbot.addWidget(dialog)
    assert dialog.found.text() == "It looks like a colour photo."
    assert dialog.colorize.isEnabled() and not dialog.colorize.isChecked()  # as found, and open to change
    assert dialog.plan.text() == "Plan: find and repair damage · clean up · keep its colour (colour photo)"
    dialog.colorize.setChecked(True)
    assert dialog.plan.text().endswith(" · colorize (colour photo, as asked)")
    dialog = RestoreDialog(None, has_mask=False, monochrome=True)
    qtbot.addWidget(dialog)
    assert "black-and-white print" in dialog.found.text() and dialog.colorize.isChecked()
    dialog.colorize.setChecked(False)
    assert dialog.plan.text().endswith(" · keep black and white (black-and-white print, as asked)")


def test_restore_old_photo_colorizes_a_colour_photo_when_asked(window, qtbot):
    with qtbot.waitSignal(window.engine.finished, timeout=60000):
        assert window.old_photo.restore(use_mask=False, colorize=True) is not None
    assert _history(window)[-1].startswith("Colorize · seed")


def test_restore_old_photo_from_the_toolbar_ends_saying_so(old_window, qtbot):
    """The end is said even once the pointer leaves the button that started it (its status tip is cleared)."""
    window = old_window
    button = window.toolbar.widgetForAction(window.actions["restore_old"])

    def accept():
        dialog = window.old_photo.dialog
        if dialog is not None and dialog.isVisible():
            qtbot.keyClick(dialog, Qt.Key.Key_Return)  # "Restore"
        else:
            QTimer.singleShot(20, accept)

    QTimer.singleShot(20, accept)
    with qtbot.waitSignal(window.engine.finished, timeout=60000):
        qtbot.mouseMove(button)  # the pointer on the button: its status tip shows
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_text(window) == "Restore old photo: done", timeout=2000)
    qtbot.mouseMove(window.canvas.viewport(), QPoint(50, 50))  # and off it
    qtbot.wait(50)
    assert status_text(window) == "Restore old photo: done"
