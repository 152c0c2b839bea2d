"""Rectangle and lasso masks, the mask's look, and mask PNG import and export, on the real widgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import drag, line
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QToolButton

from palette_desktop.app.mask_tools import MaskShape
from palette_desktop.app.tools import Tool
from palette_desktop.core.masks import polygon_mask, write_mask_file


def zoom_on_photo(canvas, zoom=4.0):
    canvas.set_zoom(zoom)
    canvas.centerOn(canvas.image_rect().center())


def test_rectangle_mask_from_the_m_key_and_a_drag(window, qtbot):
    canvas = window.canvas
    zoom_on_photo(canvas)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_M)
    assert window.tool is Tool.BRUSH and window.mask_tools.shape is MaskShape.RECTANGLE
    drag(qtbot, canvas, [(30, 20), (60, 50), (90, 70)])
    mask = window.document.mask
    expected = np.zeros_like(mask)
    expected[20:71, 30:91] = 1.0  # every pixel whose centre the rectangle covers, corners included
    assert np.array_equal(mask, expected)
    assert window.history.stack.text(0) == "Rectangle mask"

    qtbot.keyClick(canvas, Qt.Key.Key_X)  # the eraser takes a rectangle out
    drag(qtbot, canvas, [(40, 30), (50, 40)])
    expected[30:41, 40:51] = 0.0
    assert np.array_equal(window.document.mask, expected)
    assert window.history.stack.text(1) == "Erase rectangle"
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert not window.document.mask.any()


def test_lasso_masks_what_it_goes_around(window, qtbot):
    canvas = window.canvas
    zoom_on_photo(canvas)
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_L)
    assert window.mask_tools.shape is MaskShape.LASSO
    corners = [(20, 20), (140, 20), (80, 110)]
    drag(qtbot, canvas, line(corners[0], corners[1], 30) + line(corners[1], corners[2], 30)[1:]
         + line(corners[2], corners[0], 30)[1:])
    mask = window.document.mask
    triangle = polygon_mask((160, 120), corners)
    assert mask[40, 80] == 1.0 and mask[90, 80] == 1.0  # inside
    assert mask[100, 30] == 0.0 and mask[10, 80] == 0.0 and mask[60, 150] == 0.0  # outside
    assert np.abs(mask - triangle).max() <= 1.0 and np.mean(np.abs(mask - triangle)) < 0.01
    assert window.history.stack.text(0) == "Lasso mask"
    window.actions["undo"].trigger()
    assert not window.document.mask.any()


def test_b_goes_back_to_the_brush_and_paints(window, qtbot):
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_L)
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert window.mask_tools.shape is MaskShape.BRUSH and window.actions["tool_brush"].isChecked()
    drag(qtbot, canvas, line((20, 60), (140, 60)))
    assert window.history.stack.text(0) == "Brush stroke"


def highlighted_tools(window) -> list[str]:
    """The toolbar's buttons drawn as the active tool."""
    return [b.text() for b in window.toolbar.findChildren(QToolButton) if b.isVisible() and b.isChecked()]


def face(button) -> tuple[int, int, int]:
    """The colour of a button's face, beside its text."""
    image = button.grab().toImage()
    return image.pixelColor(image.width() - 6, image.height() // 2).getRgb()[:3]


@pytest.mark.parametrize("key, shape, name", [(Qt.Key.Key_M, "Rectangle", "rectangle"),
                                              (Qt.Key.Key_L, "Lasso", "lasso")])
def test_the_active_mask_shape_shows_in_the_toolbar_and_the_panel(key, shape, name, app_look, make_window,
                                                                  photo_path, qtbot):
    window = make_window()
    window.open_path(photo_path)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, key)
    buttons = {b.text(): b for b in window.mask_tools.panel.findChildren(QToolButton)
               if b.text() in ("Brush", "Rectangle", "Lasso")}
    assert highlighted_tools(window) == [shape]
    others = [face(b) for text, b in buttons.items() if text != shape]
    assert others[0] == others[1] and face(buttons[shape]) != others[0]  # the chosen shape's button stands out
    assert window.brush_panel.title() == f"{shape} mask" and name in window.brush_panel.hint.text()

    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert highlighted_tools(window) == ["Brush"] and window.brush_panel.title() == "Brush mask"
    assert face(buttons["Brush"]) != face(buttons[shape])
    qtbot.keyClick(canvas, key)
    qtbot.keyClick(canvas, Qt.Key.Key_H)
    assert highlighted_tools(window) == ["Hand"]  # the shape is kept for the next time, not shown as active
    qtbot.keyClick(canvas, key)
    assert highlighted_tools(window) == [shape]


def test_hide_show_colour_and_opacity_of_the_mask(window, qtbot):
    canvas, panel = window.canvas, window.mask_tools.panel
    window.set_tool(Tool.BRUSH)
    window.brush_panel.size.setValue(30)
    drag(qtbot, canvas, line((20, 60), (140, 60)))
    at = canvas.mapFromScene(80.5, 60.5)

    def shown():
        return canvas.viewport().grab().toImage().pixelColor(at)

    red = shown()
    assert red.red() > red.green() + 60
    panel.show_box.setChecked(False)
    assert not canvas.mask_item.isVisible() and not window.actions["show_mask"].isChecked()
    bare = shown()
    assert abs(bare.red() - bare.green()) < abs(red.red() - red.green()) - 60  # the photo, no red over it
    drag(qtbot, canvas, line((20, 90), (140, 90)))  # editing the mask shows it again
    assert canvas.mask_item.isVisible() and panel.show_box.isChecked()

    panel.colour.setCurrentText("Green")
    green = shown()
    assert green.green() > green.red() + 60
    panel.opacity.setValue(90)
    strong = shown()
    assert strong.green() > green.green() and canvas.mask_item.opacity == 0.9
    overlay = canvas.mask_item.image.pixelColor(80, 60)
    assert overlay.alpha() > 220 and overlay.green() > overlay.red()


def _answer_file_dialog(qtbot, tools, path: Path) -> None:
    """Type ``path`` into the mask file dialog that the next call opens, and accept it."""
    def poll():
        dialog = tools.file_dialog
        if dialog is not None and dialog.isVisible():
            dialog.findChild(QLineEdit, "fileNameEdit").setText(str(path))  # typed, as a user would
            dialog.accept()
        else:
            QTimer.singleShot(20, poll)
    tools.file_dialog = None
    QTimer.singleShot(20, poll)


def test_import_a_mask_png_and_refuse_one_of_another_size(window, qtbot, tmp_path):
    tools = window.mask_tools
    mask = np.zeros((120, 160), np.float32)
    mask[30:60, 40:100] = 1.0
    good = write_mask_file(mask, tmp_path / "shirt-mask.png")
    _answer_file_dialog(qtbot, tools, good)
    window.actions["import_mask"].trigger()
    assert np.array_equal(window.document.mask, mask)
    assert window.tool is Tool.BRUSH and window.history.stack.text(0) == "Import mask shirt-mask.png"
    assert window.actions["inpaint"].isEnabled()

    small = tmp_path / "small.png"
    Image.fromarray(np.full((60, 80), 255, np.uint8)).save(small)
    assert not tools.import_mask(small)
    box = window.error_box
    assert box is not None and box.isVisible()
    assert "\n" not in box.text() and "80×60" in box.text() and "160×120" in box.text()
    assert np.array_equal(window.document.mask, mask) and window.history.stack.count() == 1
    box.close()
    window.actions["undo"].trigger()
    assert not window.document.mask.any()


def test_export_the_mask_as_the_clis_png_and_never_over_the_photo(window, qtbot, tmp_path, photo_path):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    tools = window.mask_tools
    target = tmp_path / "exported.png"
    _answer_file_dialog(qtbot, tools, target)
    window.actions["export_mask"].trigger()
    with Image.open(target) as im:
        assert im.mode == "L" and im.size == (160, 120)
        written = np.asarray(im).astype(np.float32) / 255
    assert np.abs(written - window.document.mask).max() <= 0.5 / 255 + 1e-6

    original = photo_path.read_bytes()
    assert not tools.export_mask(photo_path.with_suffix(".png").with_name("shirt.jpg"))
    assert photo_path.read_bytes() == original and "photo itself" in window.error_box.text()
    window.error_box.close()
    assert not tools.export_mask(tmp_path / "mask.jpg")  # masks are PNG: a lossy mask would be noise
    assert not (tmp_path / "mask.jpg").exists()


def _look_at_file_dialog(qtbot, tools) -> dict:
    """What the mask file dialog that the next call opens shows first; it is then cancelled."""
    seen = {}

    def poll():
        dialog = tools.file_dialog
        if dialog is not None and dialog.isVisible():
            seen["folder"] = Path(dialog.directory().absolutePath()).resolve()
            seen["name"] = dialog.findChild(QLineEdit, "fileNameEdit").text()
            dialog.reject()
        else:
            QTimer.singleShot(20, poll)
    tools.file_dialog = None
    QTimer.singleShot(20, poll)
    return seen


@pytest.mark.parametrize("action", ["export_mask", "import_mask"])
def test_the_mask_dialogs_open_beside_the_photo_as_save_as_does(action, window, qtbot, photo_path):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))  # a mask to export
    seen = _look_at_file_dialog(qtbot, window.mask_tools)
    window.actions[action].trigger()
    assert seen["folder"] == photo_path.parent.resolve()  # not the home folder
    if action == "export_mask":
        assert seen["name"] == "shirt-mask.png"
