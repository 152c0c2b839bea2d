"""The History panel's list of steps, where the steps undone look undone.

QUndoView draws every step alike, so after a few undos the list did not tell the steps
that are in the photo from those undone (which a click on them, or Redo, brings back).
Here the steps past the current one are drawn in the disabled text colour, in italics.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QIcon, QPalette, QUndoStack
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QUndoView, QWidget


class UndoneStepsDelegate(QStyledItemDelegate):
    """Draws the rows after the stack's current index (the steps undone) greyed and in italics."""

    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = stack

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if index.row() > self.stack.index():  # row 0 is the photo as opened, row i the state after step i
            option.font.setItalic(True)
            undone = option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            option.palette.setColor(QPalette.ColorRole.Text, undone)


class HistoryView(QUndoView):
    """Every step of the history, from the photo as opened; a click goes back (or forward) to one."""

    def __init__(self, stack: QUndoStack, clean_icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(stack, parent)
        self.setCleanIcon(clean_icon)
        self.setToolTip("Every step; click one to go back to it. The disk marks the saved state; "
                        "the steps undone are grey.")
        self.setItemDelegate(UndoneStepsDelegate(stack, self))
