"""The canvas with real mouse and key events: brush mask, extend handles, zoom, pan, compare."""

from __future__ import annotations

import numpy as np
from gui_helpers import drag, line
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from palette_desktop.app.tools import Tool
from palette_desktop.tasks.extend import Margins, margins_for_aspect


def test_a_brush_stroke_paints_the_mask_and_is_its_own_undo_step(window, qtbot):
    window.set_tool(Tool.BRUSH)
    window.brush_panel.size.setValue(10)  # radius 5 px
    canvas, stack = window.canvas, window.history.stack
    drag(qtbot, canvas, line((20, 60), (140, 60)))
    mask = window.document.mask
    assert mask[60, 25:136].min() == 1.0  # along the stroke
    assert mask[57:64, 25:136].min() == 1.0  # as wide as the brush
    assert mask[:50].max() == 0.0 and mask[71:].max() == 0.0 and mask[:, :13].max() == 0.0
    assert stack.count() == 1 and stack.text(0) == "Brush stroke"
    painted = mask.copy()

    drag(qtbot, canvas, line((80, 10), (80, 110)))  # a second stroke: a second step
    assert stack.count() == 2 and window.document.mask[20, 80] == 1.0
    window.actions["undo"].trigger()
    assert np.array_equal(window.document.mask, painted)
    window.actions["undo"].trigger()
    assert not window.document.mask.any()
    window.actions["redo"].trigger()
    assert np.array_equal(window.document.mask, painted)
    assert not window.isWindowModified()  # a mask is not a change to the photo


def test_the_overlay_shows_the_mask_in_translucent_red(window, qtbot):
    window.set_tool(Tool.BRUSH)
    window.brush_panel.size.setValue(30)
    drag(qtbot, window.canvas, line((40, 40), (120, 40)))
    overlay = window.canvas.mask_item.image
    painted, bare = overlay.pixelColor(80, 40), overlay.pixelColor(80, 100)
    assert painted.red() > 200 and painted.green() < 80 and 100 < painted.alpha() < 160
    assert bare.alpha() == 0


def test_eraser_and_bracket_keys(window, qtbot):
    window.set_tool(Tool.BRUSH)
    window.brush_panel.size.setValue(20)
    canvas = window.canvas
    drag(qtbot, canvas, line((20, 60), (140, 60)))
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert window.brush_panel.size.value() < 20
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert window.brush_panel.size.value() > 20
    qtbot.keyClick(canvas, Qt.Key.Key_X)
    assert window.brush_panel.eraser.isChecked() and canvas.erase
    drag(qtbot, canvas, line((80, 30), (80, 90)))
    mask = window.document.mask
    assert mask[60, 80] == 0.0 and mask[60, 30] == 1.0
    assert window.history.stack.text(1) == "Erase stroke"


def test_clear_and_invert_mask(window, qtbot):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    before = window.document.mask.copy()
    window.actions["invert_mask"].trigger()
    assert np.array_equal(window.document.mask, 1.0 - before)
    window.actions["clear_mask"].trigger()
    assert not window.document.mask.any()
    assert [window.history.stack.text(i) for i in range(3)] == ["Brush stroke", "Invert mask", "Clear mask"]


def test_extend_margins_from_the_spinboxes_the_handles_and_the_presets(window, qtbot):
    window.set_tool(Tool.EXTEND)
    canvas, panel = window.canvas, window.extend_panel
    panel.spins["left"].setValue(20)
    assert canvas.margins == Margins(20, 0, 0, 0)

    # drag the right edge 40 px outward, then the bottom-left corner
    drag(qtbot, canvas, [(159.5, 60), (180, 60), (199.5, 60)])
    assert canvas.margins.right == 40 and panel.spins["right"].value() == 40
    drag(qtbot, canvas, [(-20.5, 119.5), (-30.5, 129.5)])
    assert (canvas.margins.left, canvas.margins.bottom) == (30, 10)
    assert panel.margins() == canvas.margins

    # dragging inward past the photo's edge crops it, up to half of what is above 16 px
    drag(qtbot, canvas, [(199.5, 60), (99.5, 60)])
    assert canvas.margins.right == -60
    drag(qtbot, canvas, [(99.5, 60), (2, 60)])
    assert canvas.margins.right == -(160 - 16) // 2

    panel.aspect_buttons[1].click()  # 1:1
    assert canvas.margins == margins_for_aspect(160, 120, 1, 1) == Margins(0, 20, 0, 20)
    panel.aspect_buttons[0].click()  # 4:5, turned to 5:4 for this landscape photo
    assert canvas.margins == margins_for_aspect(160, 120, 5, 4)


def test_zoom_fit_100_and_wheel(window, qtbot):
    canvas = window.canvas
    window.actions["zoom100"].trigger()
    assert abs(canvas.zoom - 1.0) < 1e-6 and "100 %" in window.zoom_label.text()
    viewport = canvas.viewport()
    centre = QPointF(viewport.rect().center())
    event = QWheelEvent(centre, canvas.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)
    assert canvas.zoom > 1.1
    window.actions["fit"].trigger()
    shown = canvas.mapFromScene(canvas.image_rect()).boundingRect()
    assert viewport.rect().contains(shown) and canvas.zoom == 1.0  # the whole photo, at most 100 %


def test_pan_with_the_middle_button_and_with_space_drag(window, qtbot):
    canvas = window.canvas
    window.set_tool(Tool.BRUSH)
    canvas.set_zoom(12.0)
    bar = canvas.horizontalScrollBar()
    start = bar.value()
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(300, 300))
    qtbot.mouseMove(viewport, QPoint(200, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(200, 300))
    assert bar.value() == start + 100
    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(viewport, QPoint(350, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(350, 300))
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert bar.value() == start + 50
    assert not window.document.mask.any()  # panning with the brush selected paints nothing


def test_compare_split_and_holding_backslash_shows_the_original(window, qtbot):
    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))  # something visible to tell the views apart
    canvas = window.canvas
    normal = canvas.viewport().grab().toImage()
    qtbot.keyPress(canvas, Qt.Key.Key_Backslash)
    assert canvas.showing_original and not canvas.mask_item.isVisible()
    original = canvas.viewport().grab().toImage()
    qtbot.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not canvas.showing_original and canvas.mask_item.isVisible()
    assert original != normal

    window.actions["compare"].trigger()
    assert canvas.compare and canvas.before_item.isVisible()
    drag(qtbot, canvas, [(40, 60)])  # a click in compare mode moves the split there
    assert abs(canvas.split - 40.5 / 160) < 0.02
    assert window.document.mask[60, 30] == 1.0 and window.history.stack.count() == 1  # no stroke painted
    window.set_tool(Tool.BRUSH)  # choosing a tool leaves compare
    assert not canvas.compare and not window.actions["compare"].isChecked()


def test_a_wide_gamut_photo_is_shown_converted_to_srgb(qapp):
    from PySide6.QtGui import QColorSpace

    from palette_desktop.app.canvas import PhotoItem, display_color_space
    from palette_desktop.core.imageio import Photo

    adobe = bytes(QColorSpace(QColorSpace.NamedColorSpace.AdobeRgb).iccProfile())
    srgb = bytes(QColorSpace(QColorSpace.NamedColorSpace.SRgb).iccProfile())
    assert display_color_space(adobe) is not None and display_color_space(srgb) is None
    item = PhotoItem()
    item.set_photo(Photo(np.full((4, 4, 3), [0.6, 0.3, 0.2], np.float32), icc_profile=adobe))
    shown = item.level(0).pixelColor(0, 0)
    assert shown.red() > 158  # Adobe RGB red is more saturated than sRGB red: it shows redder
    item.set_photo(Photo(np.full((4, 4, 3), [0.6, 0.3, 0.2], np.float32), icc_profile=srgb))
    assert item.level(0).pixelColor(0, 0).getRgb()[:3] == (153, 76, 51)


def _image_point_at(canvas, pos: QPointF) -> tuple[float, float]:
    return canvas.view_to_image(pos)


def test_the_wheel_zooms_about_the_pointer(window, qtbot):
    canvas = window.canvas
    viewport = canvas.viewport()
    canvas.set_zoom(8.0)  # larger than the view: where it sits is the user's (smaller, it stays centred)
    canvas.centerOn(80, 60)
    qtbot.mouseMove(viewport, QPoint(40, 50))  # the pointer rests away from the top-left
    at = QPointF(canvas.mapFromScene(QPointF(60.5, 50.5)))  # over pixel (60, 50) of the photo
    before = _image_point_at(canvas, at)
    for _ in range(3):
        event = QWheelEvent(at, canvas.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(viewport, event)
    assert canvas.zoom > 10
    after = _image_point_at(canvas, at)
    assert abs(after[0] - before[0]) < 0.5 and abs(after[1] - before[1]) < 0.5, (before, after)


def test_a_trackpad_pinch_zooms_about_the_fingers(window, qtbot):
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice

    canvas = window.canvas
    canvas.set_zoom(8.0)
    canvas.centerOn(80, 60)
    at = QPointF(canvas.mapFromScene(QPointF(100.5, 70.5)))
    before = _image_point_at(canvas, at)
    pinch = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(), 2,
                                at, at, QPointF(canvas.mapToGlobal(at)), 0.5, QPointF())
    QApplication.sendEvent(canvas.viewport(), pinch)
    assert abs(canvas.zoom - 12.0) < 1e-6
    after = _image_point_at(canvas, at)
    assert abs(after[0] - before[0]) < 0.5 and abs(after[1] - before[1]) < 0.5, (before, after)


def test_fit_never_enlarges_a_small_photo(window, tmp_path):
    from palette_desktop.core.imageio import Photo, save_image

    canvas = window.canvas
    window.actions["fit"].trigger()
    assert canvas.zoom == 1.0  # 160 × 120 in a ~800 px view: shown at 100 %, not a blurred 400 %
    shown = canvas.mapFromScene(canvas.image_rect()).boundingRect()
    assert canvas.viewport().rect().contains(shown)
    big = tmp_path / "big.png"
    ramp = np.linspace(0, 1, 2400, dtype=np.float32)
    save_image(Photo(np.broadcast_to(ramp[None, :, None], (1600, 2400, 3)).copy()), big)
    window.history.stack.setClean()
    assert window.open_path(big)
    assert canvas.zoom < 0.5  # a large photo still shrinks to fit
    shown = canvas.mapFromScene(canvas.image_rect()).boundingRect()
    assert canvas.viewport().rect().adjusted(-1, -1, 1, 1).contains(shown)
