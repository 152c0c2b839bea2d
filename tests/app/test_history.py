"""The undo stack over document changes: memory cap, clean state, exact pixels."""

from __future__ import annotations

import numpy as np
import pytest

from palette_desktop.app.document import Document, PhotoChange, stroke_change
from palette_desktop.app.history import History
from palette_desktop.core.imageio import Photo


def _photo(value: float) -> Photo:
    return Photo(np.full((200, 200, 3), value, np.float32))  # 480 kB of pixels: two fit in 1 MB


def test_the_oldest_steps_are_dropped_past_the_memory_cap(qapp):
    history = History(cap_mb=1)
    doc = Document(_photo(0.0))
    history.set_document(doc)
    for i in range(1, 12):
        history.push(PhotoChange(doc, _photo(i / 20), f"step {i}"))
    assert history.nbytes <= 1024 * 1024
    assert 1 < history.stack.count() < 11 and history.dropped == 11 - history.stack.count()
    assert history.stack.text(history.stack.count() - 1) == "step 11"
    assert "dropped" in history.base_label
    # the steps kept still undo and redo to exact pixels
    oldest_kept = 12 - history.stack.count()
    history.stack.setIndex(0)
    assert np.array_equal(doc.photo.pixels, _photo((oldest_kept - 1) / 20).pixels)
    history.stack.setIndex(history.stack.count())
    assert np.array_equal(doc.photo.pixels, _photo(11 / 20).pixels)


def test_the_saved_state_survives_a_trim_and_is_lost_when_dropped(qapp):
    history = History(cap_mb=1)
    doc = Document(_photo(0.0))
    history.set_document(doc)
    for i in range(1, 4):
        history.push(PhotoChange(doc, _photo(i / 20), f"step {i}"))
    history.stack.setClean()  # saved after step 3
    history.push(PhotoChange(doc, _photo(0.9), "step 4"))
    assert history.photo_modified()
    kept = history.stack.count()
    history.stack.undo()
    assert history.stack.isClean() and not history.photo_modified()
    history.stack.redo()
    for i in range(5, 12):
        history.push(PhotoChange(doc, _photo(i / 20), f"step {i}"))
    assert kept > 1 and history.stack.cleanIndex() == -1 and history.photo_modified()


def test_brush_strokes_are_steps_but_do_not_modify_the_photo(qapp, shirt):
    history = History()
    doc = Document(shirt)
    history.set_document(doc)
    history.push(stroke_change(doc.mask, [(10, 10), (50, 50)], 3))
    assert history.stack.count() == 1 and history.stack.text(0) == "Brush stroke"
    assert not history.photo_modified()


def _ink(view, row: int) -> int:
    """How far the row's darkest or brightest pixel is from its background: the contrast of its text."""
    image = view.viewport().grab(view.visualRect(view.model().index(row, 0))).toImage()
    background = image.pixelColor(image.width() - 2, image.height() // 2).lightness()  # past the text
    return max(abs(image.pixelColor(x, y).lightness() - background)
               for x in range(image.width()) for y in range(image.height()))


@pytest.mark.parametrize("look", ["plain", "the program's"])
def test_the_steps_undone_look_undone_in_the_history_panel(look, request, make_window, photo_path, qtbot):
    if look != "plain":
        request.getfixturevalue("app_look")
    window = make_window()
    window.open_path(photo_path)
    for _ in range(4):
        window.actions["invert_mask"].trigger()  # four steps of the same name
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    view = window.history_view
    qtbot.waitUntil(lambda: view.currentIndex().row() == 2)
    view.repaint()
    done, undone = [_ink(view, 1)], [_ink(view, row) for row in (3, 4)]
    assert undone[0] == undone[1]
    assert undone[0] < done[0] * 0.75  # the text of a step undone stands out much less
    window.actions["redo"].trigger()
    window.actions["redo"].trigger()
    qtbot.waitUntil(lambda: view.currentIndex().row() == 4)
    assert _ink(view, 3) == done[0]  # redone: the step looks done again
