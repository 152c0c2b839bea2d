"""Zoom to 100 % on double-click and on keys, and back to fit, on a photo larger than the view."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from palette_desktop.app.tools import Tool


@pytest.fixture()
def big_window(make_window, tmp_path, data_dir):
    """A window on a 1600×1200 photo: fit shows it well under 100 %."""
    with Image.open(data_dir / "shirt.jpg") as im:
        rgb = cv2.resize(np.asarray(im.convert("RGB")), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "big.png"
    Image.fromarray(rgb).save(path)
    window = make_window()
    assert window.open_path(path)
    return window


def image_under(canvas, pos: QPointF) -> QPointF:
    return canvas.mapToScene(pos.toPoint())


def test_double_click_with_the_hand_zooms_to_100_at_the_pointer_and_back_to_fit(big_window, qtbot):
    canvas = big_window.canvas
    assert big_window.tool is Tool.HAND
    fit = canvas.zoom
    assert fit < 0.7
    pos = QPointF(canvas.mapFromScene(QPointF(1200, 300)))  # the upper right of the photo
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert canvas.zoom == pytest.approx(1.0)
    under = image_under(canvas, pos)
    assert abs(under.x() - 1200) <= 1.5 and abs(under.y() - 300) <= 1.5  # the same spot stays under the pointer
    assert "100 %" in big_window.zoom_label.text()
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos.toPoint())
    assert canvas.zoom == pytest.approx(fit)


def test_keys_for_100_and_fit(big_window, qtbot):
    canvas = big_window.canvas
    fit = canvas.zoom
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == pytest.approx(1.0)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == pytest.approx(fit)
    qtbot.keyClick(canvas, Qt.Key.Key_Z)  # one key, as Lightroom's Z: 100 %, then fit again
    assert canvas.zoom == pytest.approx(1.0)
    qtbot.keyClick(canvas, Qt.Key.Key_Z)
    assert canvas.zoom == pytest.approx(fit)


def test_a_double_click_with_the_brush_does_not_zoom(big_window, qtbot):
    canvas = big_window.canvas
    big_window.set_tool(Tool.BRUSH)
    fit = canvas.zoom
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.viewport().rect().center())
    assert canvas.zoom == pytest.approx(fit)
