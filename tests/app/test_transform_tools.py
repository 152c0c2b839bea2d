"""Crop, straighten and quarter turns driven with real mouse and key events, each one undo step."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from gui_helpers import drag, line
from PIL import Image
from PySide6.QtCore import Qt

from palette_desktop.app.tools import Tool
from palette_desktop.core.geometry import level_crop_size
from palette_desktop.core.masks import Box
from palette_desktop.core.pixels import to_float

TILT = 6.0  # degrees the horizon falls to the right


def horizon_y(x: float, w: int, h: int) -> float:
    return (h - 1) / 2 + (x - (w - 1) / 2) * math.tan(math.radians(TILT))


@pytest.fixture()
def horizon_path(tmp_path):
    """A 240×160 seascape whose horizon falls 6° to the right: blue sky over a dark sea."""
    w, h = 240, 160
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sea = ys > horizon_y(xs, w, h)
    rgb = np.where(sea[..., None], np.array([20, 60, 90], np.float32), np.array([150, 190, 235], np.float32))
    rgb = cv2.GaussianBlur(rgb, (0, 0), 0.8)
    path = tmp_path / "seascape.png"
    Image.fromarray(np.round(rgb).astype(np.uint8)).save(path)
    return path


def sea_rows(pixels: np.ndarray) -> np.ndarray:
    """How many sky rows each column has (the horizon's height, to a pixel)."""
    return (to_float(pixels[..., 2]) > 0.6).sum(axis=0)


def test_straighten_levels_a_drawn_horizon_and_undo_brings_the_scan_back(make_window, qtbot, horizon_path):
    window = make_window()
    assert window.open_path(horizon_path)
    before = window.document.photo.pixels
    assert np.ptp(sea_rows(before)) > 20  # tilted: the sky is 25 rows deeper on the right
    window.set_tool(Tool.STRAIGHTEN)
    canvas = window.canvas
    w, h = window.document.size
    drag(qtbot, canvas, line((15, horizon_y(15, w, h)), (225, horizon_y(225, w, h))))

    stack = window.history.stack
    assert stack.count() == 1
    angle = window.history.changes[0].transform.degrees
    assert angle == pytest.approx(-TILT, abs=0.4)
    assert stack.text(0) == f"Straighten {angle:+.1f}°"
    after = window.document.photo.pixels
    assert after.shape[:2][::-1] == level_crop_size(w, h, angle)
    rows = sea_rows(after)
    assert np.ptp(rows) <= 2  # level across the whole width
    assert abs(rows.mean() - after.shape[0] / 2) <= 2
    assert after.min() > 0.05  # no black corners: cropped to the turned photo
    assert window.document.mask.shape == after.shape[:2] and window.document.original is window.document.photo
    assert canvas.image_rect().width() == after.shape[1]  # the canvas shows the new size
    assert "Turned" in window.transform_tools.straighten_panel.last.text()
    assert window.isWindowModified()

    window.actions["undo"].trigger()
    assert np.array_equal(window.document.photo.pixels, before)
    assert canvas.image_rect().width() == w and not window.isWindowModified()
    window.actions["redo"].trigger()
    assert np.array_equal(window.document.photo.pixels, after)


def test_a_short_slip_or_a_level_line_changes_nothing(make_window, qtbot, horizon_path):
    window = make_window()
    assert window.open_path(horizon_path)
    window.set_tool(Tool.STRAIGHTEN)
    drag(qtbot, window.canvas, [(100, 80), (101, 80)])  # a slip, not a line
    drag(qtbot, window.canvas, line((20, 30), (220, 30)))  # already level
    assert window.history.stack.count() == 0
    assert "already level" in window.transform_tools.straighten_panel.last.text()


def zoom_on_photo(canvas, zoom=4.0):
    """A known zoom, so that mouse positions land on exact photo pixels, with the whole photo in view."""
    canvas.set_zoom(zoom)
    canvas.centerOn(canvas.image_rect().center())


def test_crop_by_dragging_the_frame_edges_then_enter(window, qtbot):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))  # a mask, which the crop keeps where it was
    photo, mask = window.document.photo.pixels, window.document.mask
    window.set_tool(Tool.CROP)
    canvas, panel = window.canvas, window.transform_tools.crop_panel
    zoom_on_photo(canvas)
    assert panel.size_label.text() == "160 × 120 px"
    # the frame starts on the whole photo: drag its left edge to x = 30 and its bottom edge to y = 100
    drag(qtbot, canvas, [(-0.5, 60), (15, 60), (29.5, 60)])
    drag(qtbot, canvas, [(80, 119.5), (80, 99.5)])
    assert window.transform_tools.crop_gesture.frame == Box(30, 0, 160, 100)
    assert panel.size_label.text() == "130 × 100 px"
    assert window.history.stack.count() == 1  # nothing cut until Enter
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    doc = window.document
    assert np.array_equal(doc.photo.pixels, photo[0:100, 30:160])
    assert np.array_equal(doc.mask, mask[0:100, 30:160])
    assert window.history.stack.text(1) == "Crop to 130 × 100"
    assert panel.size_label.text() == "130 × 100 px"  # the frame is the whole (new) photo again
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.photo.pixels, photo) and np.array_equal(window.document.mask, mask)


def test_crop_a_new_frame_held_to_a_ratio_and_moved(window, qtbot):
    window.set_tool(Tool.CROP)
    canvas, tools = window.canvas, window.transform_tools
    zoom_on_photo(canvas)
    tools.crop_panel.ratio.setCurrentText("1:1")
    assert tools.crop_gesture.frame == Box(20, 0, 140, 120)  # the largest square, centred
    drag(qtbot, canvas, [(80, 60), (90, 60), (110, 60)])  # inside the frame: moves it right 30 px
    assert tools.crop_gesture.frame == Box(40, 0, 160, 120)  # but never past the photo
    tools.crop_panel.ratio.setCurrentText("Free")
    tools.crop_gesture.reset()
    drag(qtbot, canvas, [(10.5, 20.5), (50, 50), (70.5, 90.5)])  # outside no frame: a new one
    assert tools.crop_gesture.frame == Box(11, 21, 71, 91)
    photo = window.document.photo.pixels
    window.actions["crop_apply"].trigger()
    assert np.array_equal(window.document.photo.pixels, photo[21:91, 11:71])


def test_rotate_both_ways_with_the_keys_turns_photo_mask_and_original(window, qtbot):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 30), (60, 30)))
    photo, mask = window.document.photo.pixels, window.document.mask
    canvas = window.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)
    doc = window.document
    assert doc.size == (120, 160)
    assert np.array_equal(doc.photo.pixels, np.rot90(photo, k=-1))
    assert np.array_equal(doc.mask, np.rot90(mask, k=-1))
    assert canvas.before_item.photo is doc.original and doc.original.size == (120, 160)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(window.document.photo.pixels, np.rot90(photo, k=1))
    assert [window.history.stack.text(i) for i in range(1, 4)] == [
        "Rotate 90° clockwise", "Rotate 90° counter-clockwise", "Rotate 90° counter-clockwise"]
    for _ in range(3):
        window.actions["undo"].trigger()
    assert np.array_equal(window.document.photo.pixels, photo) and window.document.size == (160, 120)
    assert np.array_equal(window.document.mask, mask)


def test_after_extend_a_turn_keeps_the_compare_aligned(window, qtbot):
    """The original sits inside an extended canvas; turned with it, the split still lines up."""
    from palette_desktop.app.document import PhotoChange
    from palette_desktop.core.imageio import Photo

    doc = window.document
    wider = np.zeros((120, 200, 3), doc.photo.pixels.dtype)
    wider[:, 40:] = doc.photo.pixels  # as extend leaves it: 40 px added on the left
    window.history.push(PhotoChange(doc, Photo(wider), "Extend", shift=(40, 0)))
    assert doc.origin == (40, 0)
    window.actions["rotate_right"].trigger()
    doc = window.document
    x, y = doc.origin
    h, w = doc.original.pixels.shape[:2]
    assert (x, y) == (0, 40) and (w, h) == (120, 160)
    assert np.array_equal(doc.photo.pixels[y:y + h, x:x + w], doc.original.pixels)
    assert window.canvas.before_item.pos().toPoint().toTuple() == (0, 40)


def test_transform_actions_wait_for_a_photo(make_window, qtbot):
    window = make_window()
    for key in ("rotate_left", "rotate_right", "crop_apply"):
        assert not window.actions[key].isEnabled()
    for key in ("tool_crop", "tool_straighten"):  # a tool without a photo: a drag does nothing
        window.actions[key].trigger()
        drag(qtbot, window.canvas, [(10, 10), (50, 50)])
    assert window.history.stack.count() == 0 and window.document is None
