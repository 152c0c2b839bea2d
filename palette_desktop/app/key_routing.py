"""Single-key shortcuts and the canvas's hold keys, whatever control of the window has the keyboard.

A photographer nudges the brush size with a spin box arrow or clicks the history, then
presses B or holds Space to pan: Qt gives those keys to the focused control (a spin box
or a list takes letters as typing or as a search), so the shortcut never fires and the
canvas never hears Space or \\. :class:`KeyRouter` watches the keys on their way to the
window's controls: a key that a window action has as its single-key shortcut goes to
that action, and Space (with the pointer over the photo) and \\ go to the canvas.
Nothing changes while typing in a text field, or for what a number field takes
(digits, signs, Enter, arrows), with two exceptions. A number field's own undo is of
no use next to the photo's, so Ctrl+Z, Ctrl+Y and the other command keys of the
window's actions go to the actions. And a key that the window holds for a while with a
QShortcut (the candidate picker's 0–4, Enter and Esc, said in the status bar) goes to
it from any control.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QDockWidget, QLineEdit, QMainWindow,
                               QPlainTextEdit, QTextEdit, QWidget)

HOLD_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Backslash)
COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                     | Qt.KeyboardModifier.MetaModifier)
NUMBER_TEXT = set("0123456789+-.,")


def is_text_field(widget: QWidget) -> bool:
    """A field the user types words into (a spin box's own line edit is a number field, not one)."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return True
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    if isinstance(widget, QLineEdit):
        parent = widget.parentWidget()
        return not isinstance(parent, QAbstractSpinBox)
    return False


class KeyRouter(QObject):
    """Installed on the application; only keys bound for ``window``'s own controls are looked at."""

    def __init__(self, window: QMainWindow, canvas: QWidget) -> None:
        super().__init__(window)
        self.window, self.canvas = window, canvas
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if not isinstance(watched, QWidget) or watched is self.canvas or not self._in_window(watched) \
                or is_text_field(watched):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # Left unaccepted, the override lets the window's shortcut take the key.
            return self._window_takes(event)
        if event.modifiers() & COMMAND_MODIFIERS:
            return False
        if event.key() in HOLD_KEYS and (event.key() != Qt.Key.Key_Space or self.canvas.underMouse()):
            QApplication.sendEvent(self.canvas, QKeyEvent(kind, event.key(), event.modifiers(), event.text(),
                                                          event.isAutoRepeat()))
            return True
        return False

    def _in_window(self, widget: QWidget) -> bool:
        top = widget.window()
        if isinstance(top, QDockWidget):  # a floating panel still belongs to the window
            top = top.parentWidget()
        return top is self.window

    def _window_takes(self, event: QKeyEvent) -> bool:
        """Whether the key goes to a shortcut of the window rather than to the control that has the keyboard."""
        command = bool(event.modifiers() & COMMAND_MODIFIERS)
        pressed = {QKeySequence(event.keyCombination()).toString()}
        if not command:
            pressed.add(QKeySequence(event.key()).toString())  # "{" arrives as Shift+{: either matches
        held = (s for s in self.window.findChildren(QShortcut) if s.isEnabled())
        if any(key.toString() in pressed for shortcut in held for key in shortcut.keys()):
            return True
        actions = [a for a in QWidget.actions(self.window) if a.isEnabled()]  # MainWindow.actions is a dict
        if not any(key.toString() in pressed for action in actions for key in action.shortcuts()):
            return False
        text = event.text()
        return command or (bool(text) and text.isprintable() and not text.isspace() and text not in NUMBER_TEXT)
