"""Picking one of several results: each shown full size on the canvas, the choice visible, the original a key away."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from palette_desktop.app.tools import Tool
from palette_desktop.core.conditions import Task
from palette_desktop.core.pixels import to_float
from palette_desktop.tasks.extend import Margins


@pytest.fixture()
def picking(window, qtbot):
    window.options_panel.candidates.setValue(3)
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.actions["colorize"].trigger()
    job, photos = result.args
    assert window.picker is not None
    return window, job, photos


def shown(window):
    return window.canvas.photo_item.photo


def border_colour(button) -> tuple[int, int, int]:
    image = button.grab().toImage()
    return image.pixelColor(1, image.height() // 2).getRgb()[:3]


def test_the_chosen_candidate_is_the_photo_on_the_canvas(picking, qtbot):
    window, job, photos = picking
    canvas = window.canvas
    assert shown(window) is photos[0]  # the first one, full size, where the photo is
    qtbot.keyClick(canvas, Qt.Key.Key_2)
    assert shown(window) is photos[1] and window.picker.chosen_index == 1
    qtbot.keyClick(canvas, Qt.Key.Key_0)  # the photo as it was before the task
    assert shown(window) is job.photo
    qtbot.keyClick(canvas, Qt.Key.Key_3)
    assert shown(window) is photos[2]
    assert window.history.stack.count() == 0  # nothing applied while looking


def test_the_choice_is_visible_in_the_picker_and_the_thumbnails_are_large(picking, qtbot):
    window, _, photos = picking
    picker = window.picker
    buttons = [picker.group.button(i) for i in range(len(photos))]
    qtbot.keyClick(window.canvas, Qt.Key.Key_2)
    chosen, other = border_colour(buttons[1]), border_colour(buttons[0])
    assert chosen != other and chosen[2] > chosen[0] + 60  # a clear blue frame around the chosen one
    assert all(max(b.iconSize().width(), b.iconSize().height()) >= 150 for b in buttons)


def test_the_picker_leaves_the_photo_in_sight(picking):
    window, _, _ = picking
    picker, canvas = window.picker, window.canvas
    assert not picker.isWindow()  # part of the window, not a dialog over the photo
    top = QApplication.activeModalWidget()
    assert top is None
    area = QRect(canvas.mapTo(window, canvas.rect().topLeft()), canvas.size())
    assert not area.intersects(QRect(picker.mapTo(window, picker.rect().topLeft()), picker.size()))
    whole = canvas.mapFromScene(canvas.image_rect()).boundingRect()
    assert canvas.viewport().rect().contains(whole)


def test_enter_uses_the_chosen_one_and_the_photo_stays_editable(picking, qtbot):
    window, _, photos = picking
    qtbot.keyClick(window.canvas, Qt.Key.Key_2)
    assert not window.actions["undo"].isEnabled() and not window.actions["colorize"].isEnabled()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert window.picker is None
    assert np.array_equal(window.document.photo.pixels, photos[1].pixels)
    assert shown(window) is window.document.photo
    assert window.history.stack.text(0).endswith("candidate 2")
    assert window.actions["undo"].isEnabled() and window.actions["colorize"].isEnabled()


def test_escape_discards_them_all(picking, qtbot):
    window, job, _ = picking
    qtbot.keyClick(window.canvas, Qt.Key.Key_3)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.picker is None and window.history.stack.count() == 0
    assert window.document.photo is job.photo and shown(window) is job.photo


def test_extend_candidates_show_the_grown_canvas_and_the_original_inside_it(window, qtbot):
    window.options_panel.candidates.setValue(2)
    window.set_tool(Tool.EXTEND)
    window.extend_panel.spins["left"].setValue(20)
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.run_task(Task.EXTEND)
    _, photos = result.args
    assert shown(window) is photos[0] and shown(window).size == (180, 120)
    assert window.canvas.margins == Margins()  # no frame to grow drawn around the candidate
    qtbot.keyClick(window.canvas, Qt.Key.Key_0)
    before = shown(window)
    assert before.size == (180, 120)  # the original in place, the new border left empty
    assert before.alpha is not None and before.alpha[:, :20].max() == 0 and to_float(before.alpha[:, 20:]).min() == 1
    assert np.array_equal(before.pixels[:, 20:], window.document.photo.pixels)
    qtbot.keyClick(window.canvas, Qt.Key.Key_1)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert window.document.photo.size == (180, 120) and window.canvas.margins == Margins()


def test_discarded_extend_candidates_leave_the_frame_where_it_was(window, qtbot):
    window.options_panel.candidates.setValue(2)
    window.set_tool(Tool.EXTEND)
    window.extend_panel.spins["left"].setValue(20)
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.EXTEND)
    assert window.canvas.margins == Margins()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.document.photo.size == (160, 120) and window.canvas.margins == Margins(left=20)


def test_clean_up_that_gives_one_picture_makes_one_and_says_why(window, qtbot):
    window.options_panel.candidates.setValue(2)  # at draft quality Clean Up is one network step
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.actions["jpeg"].trigger()
    _, photos = result.args
    assert len(photos) == 1 and window.picker is None  # nothing to pick from
    assert window.history.stack.count() == 1
    assert window.status_note.text().startswith("Clean up done · one result, not 2: at this quality Clean Up is one ")
