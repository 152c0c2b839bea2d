"""The smaller things a first-use walkthrough tripped over (issue 13 #9), each on the real widgets."""

from __future__ import annotations

from gui_helpers import drag, line
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from palette_desktop.app.tools import Tool


def test_inpaint_waits_for_a_mask(window, qtbot):
    window.set_tool(Tool.BRUSH)
    inpaint = window.actions["inpaint"]
    assert not inpaint.isEnabled()  # nothing painted: nothing to inpaint (was: an "Inpaint failed" dialog)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)  # Enter with the Brush
    assert not window.engine.busy and window.error_box is None
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    assert inpaint.isEnabled()
    window.actions["undo"].trigger()
    assert not inpaint.isEnabled()
    window.actions["redo"].trigger()
    window.actions["clear_mask"].trigger()
    assert not inpaint.isEnabled()


def test_preferences_have_a_shortcut_on_every_system(window):
    keys = window.actions["preferences"].shortcuts()
    assert keys and all(not k.isEmpty() for k in keys)
    names = [k.toString(QKeySequence.SequenceFormat.PortableText) for k in keys]
    assert any(n for n in names), names
