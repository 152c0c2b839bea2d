"""Single-key shortcuts and the canvas's hold keys work whatever panel control was touched last."""

from __future__ import annotations

import pytest
from gui_helpers import drag, line
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QStyle, QStyleOptionSpinBox

from palette_desktop.app.tools import Tool


def click_spin_arrow(qtbot, spin) -> None:
    """A click on the spin box's up arrow, as a user nudges the brush size."""
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    up = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option,
                                     QStyle.SubControl.SC_SpinBoxUp, spin)
    qtbot.mouseClick(spin, Qt.MouseButton.LeftButton, pos=up.center())


CONTROLS = {
    "brush size": lambda w, qtbot: click_spin_arrow(qtbot, w.brush_panel.size),
    "feather": lambda w, qtbot: click_spin_arrow(qtbot, w.brush_panel.feather),
    "seed": lambda w, qtbot: click_spin_arrow(qtbot, w.options_panel.seed),
    "candidates": lambda w, qtbot: click_spin_arrow(qtbot, w.options_panel.candidates),
    "history list": lambda w, qtbot: qtbot.mouseClick(w.history_view.viewport(), Qt.MouseButton.LeftButton,
                                                      pos=QPoint(20, 8)),
    "size slider": lambda w, qtbot: qtbot.mouseClick(w.brush_panel.slider, Qt.MouseButton.LeftButton,
                                                     pos=QPoint(4, w.brush_panel.slider.height() // 2)),
}


def touch(window, qtbot, control: str):
    window.set_tool(Tool.BRUSH)
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # the page just shown laid out, as before a click
    CONTROLS[control](window, qtbot)
    focus = QApplication.focusWidget()
    assert focus is not None and focus is not window.canvas  # the control has the keyboard now
    return focus


@pytest.mark.parametrize("control", CONTROLS)
def test_tool_and_view_keys_work_after_touching_a_control(control, window, qtbot):
    focus = touch(window, qtbot, control)
    qtbot.keyClick(focus, Qt.Key.Key_E)
    assert window.tool is Tool.EXTEND, control
    focus = touch(window, qtbot, control)
    qtbot.keyClick(focus, Qt.Key.Key_H)
    assert window.tool is Tool.HAND, control
    focus = touch(window, qtbot, control)
    size = window.brush_panel.size.value()
    qtbot.keyClick(focus, Qt.Key.Key_BracketRight)
    assert window.brush_panel.size.value() > size, control
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_X)
    assert window.brush_panel.eraser.isChecked(), control
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y)
    assert window.canvas.compare, control


@pytest.mark.parametrize("control", ["brush size", "history list", "size slider"])
def test_hold_keys_reach_the_canvas_after_touching_a_control(control, window, qtbot):
    canvas = window.canvas
    focus = touch(window, qtbot, control)
    qtbot.keyPress(focus, Qt.Key.Key_Backslash)
    assert canvas.showing_original, control
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Backslash)
    assert not canvas.showing_original

    # hold Space over the canvas and drag: a pan, not a brush stroke
    focus = touch(window, qtbot, control)
    canvas.set_zoom(12.0)
    canvas.centerOn(80, 60)
    viewport = canvas.viewport()
    qtbot.mouseMove(viewport, QPoint(350, 300))  # over the photo, no click
    qtbot.keyPress(focus, Qt.Key.Key_Space)
    bar = canvas.horizontalScrollBar()
    start = bar.value()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(350, 300))
    qtbot.mouseMove(viewport, QPoint(300, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.keyRelease(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert bar.value() == start + 50, control
    assert not window.document.mask.any()


def test_typing_a_number_still_goes_to_the_field(window, qtbot):
    spin = window.brush_panel.size
    touch(window, qtbot, "brush size")
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "73")
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    assert spin.value() == 73 and window.tool is Tool.BRUSH
    assert isinstance(spin, QAbstractSpinBox)


def test_a_stroke_after_the_keys_still_paints(window, qtbot):
    focus = touch(window, qtbot, "seed")
    qtbot.keyClick(focus, Qt.Key.Key_B)
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    assert window.document.mask[60, 80] == 1.0


@pytest.mark.parametrize("control", ["candidates", "seed", "brush size"])
def test_undo_and_redo_keys_undo_the_photo_while_a_number_field_has_the_keyboard(control, window, qtbot):
    stack = window.history.stack
    window.actions["invert_mask"].trigger()  # a step to undo, as a Colorize would be
    focus = touch(window, qtbot, control)  # the arrow click typed a new value into the field
    assert isinstance(focus, QAbstractSpinBox), control
    typed = focus.value()
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(focus, Qt.Key.Key_Z, ctrl)
    assert stack.index() == 0 and focus.value() == typed, control  # the photo's undo, not the field's
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y, ctrl)
    assert stack.index() == 1, control
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, ctrl)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    assert stack.index() == 1 and focus.value() == typed, control


def test_candidate_keys_pick_while_a_number_field_has_the_keyboard(window, qtbot):
    candidates = window.options_panel.candidates
    candidates.setValue(2)
    with qtbot.waitSignal(window.engine.finished, timeout=30000) as result:
        window.actions["colorize"].trigger()
    photos = result.args[1]
    qtbot.mouseClick(candidates.lineEdit(), Qt.MouseButton.LeftButton)  # into the box, as to type a number
    focus = QApplication.focusWidget()
    assert focus in (candidates, candidates.lineEdit())
    qtbot.keyClick(focus, Qt.Key.Key_2)
    assert window.picker.chosen_index == 1 and candidates.value() == 2
    assert window.canvas.photo_item.photo is photos[1]
    qtbot.keyClick(focus, Qt.Key.Key_0)
    assert window.picker.chosen_index != 1 and window.canvas.photo_item.photo is not photos[1]
    qtbot.keyClick(focus, Qt.Key.Key_2)
    qtbot.keyClick(focus, Qt.Key.Key_Return)  # "Enter to use it"
    assert window.picker is None and window.history.stack.text(0).endswith("candidate 2")
    assert candidates.value() == 2

    candidates.setFocus()
    candidates.selectAll()
    qtbot.keyClick(candidates, Qt.Key.Key_3)  # no picker: the digits are the field's again
    assert candidates.value() == 3


# The US keyboard's keys that give another character with Shift
US_SHIFTED = ("[{", "]}", "-_", "=+", ";:", "'\"", ",<", ".>", "/?", "\\|", "`~", "1!", "2@", "3#", "4$", "5%",
              "6^", "7&", "8*", "9(", "0)")


def keystroke(key: str, shifted: str, shift: bool, prefix: str = "") -> set[str]:
    """The sequences Qt's shortcut map tries for one keystroke, as X11 and Wayland (xkbcommon) offer them.

    Shift+] on a US keyboard is "Shift+]", "}" and "Shift+}" at once; a window action that
    two of them match gets an ambiguous shortcut event and does nothing.
    """
    pressed = [f"{prefix}Shift+{key}", f"{prefix}{shifted}", f"{prefix}Shift+{shifted}"] if shift else [prefix + key]
    return {QKeySequence(p).toString() for p in pressed}


def test_no_keystroke_matches_two_shortcuts_of_the_window(window):
    shortcuts = [(name, s.toString()) for name, action in window.actions.items() for s in action.shortcuts()]
    for key, shifted in US_SHIFTED:
        for shift in (False, True):
            for prefix in ("", "Ctrl+"):
                pressed = keystroke(key, shifted, shift, prefix)
                matched = [entry for entry in shortcuts if entry[1] in pressed]
                assert len(matched) <= 1, f"{'Shift+' if shift else ''}{prefix}{key}: {matched}"


@pytest.mark.parametrize("control", [None, "brush size"])
def test_more_and_less_feather_keys_change_the_feather(control, window, qtbot):
    window.set_tool(Tool.BRUSH)
    focus = touch(window, qtbot, control) if control else window.canvas
    feather = window.brush_panel.feather
    start = feather.value()
    qtbot.keyClick(focus, Qt.Key.Key_BraceRight)  # Shift+] on a US keyboard
    assert feather.value() == start + 2
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_BraceLeft)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_BraceLeft)
    assert feather.value() == start - 2
