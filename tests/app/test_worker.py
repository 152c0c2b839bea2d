"""Tasks through the background engine: results, candidates, errors, cancel, undo to exact pixels."""

from __future__ import annotations

import time

import numpy as np
from gui_helpers import drag, line, status_text
from PySide6.QtGui import QImage

from palette_desktop.app.imaging import to_uint8
from palette_desktop.app.tools import Tool
from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import load_image


def shown_pixels(window) -> np.ndarray:
    """What the canvas draws at full resolution, as HxWx3 uint8 (a copy: the image's memory goes with it)."""
    image = window.canvas.photo_item.level(0).convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


def test_colorize_runs_on_the_worker_and_undo_redo_restore_exact_pixels(window, qtbot):
    doc = window.document
    before = doc.photo.pixels.copy()
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.actions["colorize"].trigger()
        assert window.engine.busy and not window.actions["colorize"].isEnabled()
    job, photos = result.args
    assert len(photos) == 1 and job.steps_done == job.state.total > 0  # every planned step ran
    after = doc.photo.pixels
    assert np.array_equal(after, photos[0].pixels) and not np.array_equal(after, before)
    assert window.history.stack.count() == 1 and window.history.stack.text(0).startswith("Colorize")
    assert window.isWindowModified() and window.windowTitle().startswith("shirt.jpg")
    assert np.array_equal(shown_pixels(window), to_uint8(after))

    window.actions["undo"].trigger()
    assert np.array_equal(doc.photo.pixels, before)
    assert np.array_equal(shown_pixels(window), to_uint8(before))
    assert not window.isWindowModified()
    window.actions["redo"].trigger()
    assert np.array_equal(doc.photo.pixels, after)
    assert window.actions["colorize"].isEnabled() and not window.engine.busy


def test_the_window_keeps_working_while_a_task_runs(window, qtbot):
    window.options_panel.set_steps(30)
    steps = []
    window.engine.progress.connect(lambda job, done, total: steps.append((done, total)))
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.COLORIZE)
        qtbot.waitUntil(lambda: len(steps) >= 3, timeout=10000)
        window.actions["zoom100"].trigger()  # the GUI answers mid-task
        assert abs(window.canvas.zoom - 1.0) < 1e-6
        assert window.task_progress.isVisible() and window.task_progress.bar.text().endswith(" left")
    assert steps[-1][0] == steps[-1][1] and len(steps) >= 3  # to the last planned step


def test_cancel_returns_within_one_step_and_changes_nothing(window, qtbot):
    window.options_panel.set_steps(1000)
    doc = window.document
    photo = doc.photo
    job = window.run_task(Task.JPEG)  # 6 tiles × 1000 steps: far longer than the test
    qtbot.waitUntil(lambda: job.steps_done >= 2, timeout=10000)
    with qtbot.waitSignal(window.engine.cancelled, timeout=5000):
        at_cancel = job.steps_done
        started = time.monotonic()
        window.actions["cancel"].trigger()
    assert job.steps_done <= at_cancel + 2  # the step under way, and the race of reading it
    assert time.monotonic() - started < 2.0
    assert doc.photo is photo and window.history.stack.count() == 0
    assert not window.engine.busy and "Cancelled" in status_text(window)
    assert not window.task_progress.isVisible()
    # the same engine thread and model go on serving
    window.options_panel.set_steps(6)
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.COLORIZE)
    assert window.history.stack.count() == 1


def test_a_failing_task_shows_a_readable_error_and_leaves_the_photo(window, qtbot):
    from palette_desktop.tasks.run import TaskRequest

    photo = window.document.photo
    empty = window.document.empty_mask()  # the window never asks this (Inpaint waits for a mask): the task refuses
    with qtbot.waitSignal(window.engine.failed, timeout=10000):
        window.engine.run_task(photo, TaskRequest(Task.INPAINT, window.options_panel.options(), mask=empty),
                               "Inpaint · seed 0")
    box = window.error_box
    assert box is not None and box.isVisible()
    assert box.windowTitle() == "Inpaint failed"
    assert "mask is empty" in box.text() and "Traceback" not in box.text()
    assert window.document.photo is photo and window.history.stack.count() == 0
    box.accept()
    assert window.actions["colorize"].isEnabled()  # the window goes on


def test_inpaint_changes_only_the_painted_pixels_and_uses_the_mask_up(window, qtbot):
    window.set_tool(Tool.BRUSH)
    window.brush_panel.size.setValue(8)
    window.brush_panel.feather.setValue(0)
    drag(qtbot, window.canvas, line((30, 40), (120, 80)))
    mask = window.document.mask.copy()
    before = window.document.photo.pixels.copy()
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.actions["apply_tool"].trigger()  # Enter with the brush: inpaint
    after = window.document.photo.pixels
    assert np.array_equal(after[mask == 0], before[mask == 0])
    assert not np.array_equal(after[mask > 0], before[mask > 0])
    assert not window.document.mask.any()
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.mask, mask) and np.array_equal(window.document.photo.pixels, before)


def test_extend_grows_the_canvas_around_the_untouched_photo(window, qtbot):
    window.set_tool(Tool.EXTEND)
    window.extend_panel.spins["left"].setValue(16)
    window.extend_panel.spins["top"].setValue(8)
    before = window.document.photo.pixels.copy()
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.actions["extend"].trigger()
    doc = window.document
    assert doc.photo.size == (176, 128) and doc.origin == (16, 8)
    assert np.array_equal(doc.photo.pixels[8:, 16:], before)
    assert window.extend_panel.margins().is_empty() and "176 × 128" in window.size_label.text()
    window.actions["undo"].trigger()
    assert doc.photo.size == (160, 120) and np.array_equal(doc.photo.pixels, before)


def test_with_several_candidates_the_user_picks_one_before_it_enters_history(window, qtbot):
    window.options_panel.candidates.setValue(3)
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.actions["colorize"].trigger()
    photos = result.args[1]
    assert len(photos) == 3
    picker = window.picker
    assert picker is not None and picker.isVisible() and len(picker.group.buttons()) == 3 + 1  # and "Before"
    assert window.history.stack.count() == 0  # nothing applied before the choice
    picker.choose(1)
    picker.accept()
    assert np.array_equal(window.document.photo.pixels, photos[1].pixels)
    assert window.history.stack.text(0).endswith("candidate 2")


def test_opening_a_damaged_file_shows_why_and_keeps_the_current_photo(window, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    photo = window.document.photo
    assert not window.open_path(broken)
    assert "broken.jpg" in window.error_box.text() and window.document.photo is photo
    window.error_box.accept()
    assert np.array_equal(window.document.photo.pixels, load_image(window.document.source).pixels)
