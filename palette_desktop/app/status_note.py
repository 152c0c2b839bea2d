"""How the last task ended, in the status bar, where a passing status tip does not wipe it out.

Qt shows the status tip of the widget under the pointer as the status bar's temporary
message, and clears that message when the pointer leaves the widget, whatever it says by
then: "Restore old photo: done" was gone as soon as the pointer left the toolbar button
that had started the task. A status bar's normal widget is only hidden while a temporary
message shows and comes back once it is cleared, so the end of a task is said by one,
for a few seconds.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar


class StatusNote(QLabel):
    """A label on the left of ``bar`` that says one thing for a while."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__()
        self.bar = bar
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.clear)
        self.setContentsMargins(4, 0, 0, 0)  # where the temporary message starts
        bar.addWidget(self)  # no stretch: the running task's progress keeps the room it needs

    def say(self, text: str, ms: int) -> None:
        """Show ``text`` for ``ms`` milliseconds, in place of the temporary message (the task's "…" one)."""
        self.bar.clearMessage()
        self.setText(text)
        self.timer.start(ms)
