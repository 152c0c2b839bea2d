"""Single-key shortcuts and the canvas's hold keys, whatever control of the window has the keyboard.

A photographer nudges the brush size with a spin box arrow or clicks the history, then
presses B or holds Space to pan: Qt gives those keys to the focused control (a spin box
or a list takes letters as typing or as a search), so the shortcut never fires and the
canvas never hears Space or \\. :class:`KeyRouter` watches the keys on their way to the
window's controls: a key that a window action has as its single-key shortcut goes to
that action, and Space (with the pointer over the photo) and \\ go to the canvas.
Nothing changes while typing in a text field, or for what a number field takes
(digits, signs, Enter, arrows).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
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
        if event.modifiers() & COMMAND_MODIFIERS:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # Left unaccepted, the override lets the window's shortcut take the key.
            return self._is_single_key_shortcut(event)
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

    def _is_single_key_shortcut(self, event: QKeyEvent) -> bool:
        text = event.text()
        if not text or not text.isprintable() or text.isspace() or text in NUMBER_TEXT:
            return False
        # "{" arrives as Shift+{: either matches
        pressed = {QKeySequence(event.keyCombination()).toString(), QKeySequence(event.key()).toString()}
        actions = QWidget.actions(self.window)  # the window's shortcuts (MainWindow.actions is its dict of them)
        return any(shortcut.toString() in pressed
                   for action in actions if action.isEnabled() for shortcut in action.shortcuts())
