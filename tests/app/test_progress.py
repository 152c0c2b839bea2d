"""Progress the user can see and read while work runs: percent, time left, Cancel; none once it ended."""

from __future__ import annotations

import re
import shutil

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QProgressBar

from palette_desktop.app.tools import Tool
from palette_desktop.core.conditions import Task

SIZES = {"default": (1280, 820), "laptop": (1366, 700), "small": (1100, 640),  # first start; 1366×768 screen
         "narrow": (800, 600)}
READABLE = re.compile(r"^(\d{1,3}) %")


def on_screen(widget) -> bool:
    """Shown, and not scrolled or clipped out of sight."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def seen_progress(window) -> list[QProgressBar]:
    return [b for b in window.findChildren(QProgressBar) if on_screen(b)]


def seen_cancel(window) -> list[QAbstractButton]:
    return [b for b in window.findChildren(QAbstractButton) if on_screen(b) and b.text().startswith("Cancel")]


@pytest.mark.parametrize("size", SIZES)
def test_progress_and_cancel_are_in_sight_during_extend(size, window, qtbot):
    window.resize(*SIZES[size])
    window.set_tool(Tool.EXTEND)
    window.extend_panel.spins["left"].setValue(40)
    window.extend_panel.spins["right"].setValue(40)
    window.options_panel.set_steps(1000)  # long enough to look at it
    job = window.run_task(Task.EXTEND)
    qtbot.waitUntil(lambda: job.steps_done >= 3, timeout=10000)
    qtbot.wait(50)  # the queued progress signals reach the window
    bars = seen_progress(window)
    assert len(bars) == 1 and READABLE.match(bars[0].text()), [b.text() for b in bars]
    assert "left" in bars[0].text()
    cancel = seen_cancel(window)
    assert cancel
    readable_in_full(window.task_progress)
    with qtbot.waitSignal(window.engine.cancelled, timeout=5000):
        qtbot.mouseClick(cancel[0], Qt.MouseButton.LeftButton)
    assert not seen_progress(window) and not seen_cancel(window)
    assert window.document.photo.size == (160, 120)  # cancelled: nothing changed
    assert all(on_screen(label) for label in (window.size_label, window.zoom_label, window.backend_label))


def readable_in_full(progress) -> None:
    """The task's name, the bar's text and Cancel each whole, side by side, none drawn over another."""
    name, bar, cancel = progress.label, progress.bar, progress.cancel
    assert progress.width() >= progress.minimumSizeHint().width()
    assert name.width() >= name.fontMetrics().horizontalAdvance(name.text())
    assert bar.width() > bar.fontMetrics().horizontalAdvance(bar.text())
    assert name.geometry().right() < bar.geometry().left() and bar.geometry().right() < cancel.geometry().left()
    assert progress.mapTo(progress.window(), progress.rect().topRight()).x() <= progress.window().width()


def test_progress_is_a_percent_of_the_work_and_never_goes_back(window, qtbot):
    window.options_panel.set_steps(30)
    texts: list[str] = []
    # connected after the window's own slot, so it reads what the window just showed
    window.engine.progress.connect(lambda *_: texts.extend(b.text() for b in seen_progress(window)))
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.JPEG)  # several tiles of 30 steps each: the "step 1 of 240" case
    assert texts and all(READABLE.match(t) for t in texts), texts[:5]
    assert not any("step" in t for t in texts)
    percents = [int(READABLE.match(t).group(1)) for t in texts]
    assert percents == sorted(percents) and percents[-1] == 100 and percents[0] < 50
    assert any("left" in t for t in texts[len(texts) // 2:])  # a time estimate once a few steps are done
    assert not seen_progress(window)  # finished: gone


def test_the_estimate_follows_the_pace_of_the_work():
    from palette_desktop.app.task_progress import TimeLeft, format_time_left

    now = [100.0]
    estimate = TimeLeft(clock=lambda: now[0])
    estimate.start()
    now[0] += 4.0  # setting up (model, condition) before the first step: not the pace of the work
    assert estimate.update(0.1) is None  # one report: no pace yet
    for fraction in (0.2, 0.3, 0.4):
        now[0] += 0.5
        left = estimate.update(fraction)
    assert abs(left - 3.0) < 1e-6  # 0.1 of the work every 0.5 s, 0.6 to go
    assert [format_time_left(s) for s in (0.4, 8.2, 75, 725, 4000)] == \
        ["less than a second", "8 s", "1 min 15 s", "12 min", "1 h 7 min"]


def test_the_time_left_reads_as_a_sentence():
    from palette_desktop.app.task_progress import progress_text

    assert progress_text(0.42, 8.2) == "42 % · about 8 s left"
    assert progress_text(0.96, 0.4) == "96 % · less than a second left"  # not "about less than a second"
    assert progress_text(0.1, None) == "10 % · estimating time left"


@pytest.mark.parametrize("cancelled", [False, True], ids=["finished", "cancelled"])
def test_no_stale_progress_after_a_batch(make_window, qtbot, tmp_path, data_dir, photo_path, cancelled):
    window = make_window()
    scans = tmp_path / "scans"
    scans.mkdir()
    for index in range(4 if cancelled else 1):
        shutil.copy(data_dir / "shirt.jpg", scans / f"shirt{index}.jpg")
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(scans)
    dialog.output.set_path(tmp_path / "out")
    dialog.set_task(Task.COLORIZE)
    dialog.quality.setCurrentIndex(0)
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
        if cancelled:  # at once: the first photo's first step stops it
            dialog.cancel_button.click()
    assert dialog.report.cancelled if cancelled else dialog.report.done
    dialog.close()

    def stale() -> list[str]:
        shown = [b.text() for b in window.findChildren(QProgressBar) if b.isVisible() and b.text()]
        shown += [lab.text() for lab in window.findChildren(QLabel) if lab.isVisible() and "Batch" in lab.text()]
        return shown

    assert stale() == []
    assert window.open_path(photo_path)
    assert stale() == []
    assert "step" not in dialog.step_label.text() and dialog.step_label.text() == ""


def test_the_end_of_a_task_is_still_said_once_the_pointer_leaves_its_button(window, qtbot):
    from gui_helpers import drag, line, status_text
    from PySide6.QtCore import QPoint

    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    button = window.toolbar.widgetForAction(window.actions["inpaint"])
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        qtbot.mouseMove(button)  # its status tip shows while the pointer is on it
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.mouseMove(window.canvas.viewport(), QPoint(50, 50))  # leaving it clears the status bar's message
    qtbot.wait(50)
    assert status_text(window) == "Inpaint done"
