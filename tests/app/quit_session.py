"""One window session, run as its own process by test_quit.py: ``python quit_session.py MODEL PHOTO EMITS``.

It goes through the real entry point (:func:`run_app`), opens the photo, runs a task,
makes EMITS signals go off the way a long session does (wheel zoom steps, each one a
``zoomChanged``), and quits through the window's close. It exits with run_app's code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from palette_desktop.app.main import run_app
from palette_desktop.app.main_window import MainWindow
from palette_desktop.app.settings import Settings
from palette_desktop.core.conditions import Task


def drive(emits: int) -> None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    window = windows[0] if windows else None
    if window is None or window.document is None or window.model is None:
        QTimer.singleShot(20, lambda: drive(emits))
        return
    window.options_panel.set_steps(6)
    canvas = window.canvas
    centre = QPointF(canvas.viewport().rect().center())
    for i in range(emits):
        step = 120 if i % 2 == 0 else -120
        QApplication.sendEvent(canvas.viewport(), QWheelEvent(
            centre, canvas.mapToGlobal(centre), QPoint(), QPoint(0, step), Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))

    def done(*_args) -> None:
        print(f"applied {window.history.stack.count()} step(s)", flush=True)
        window.history.stack.setClean()  # quit without the "save changes?" prompt
        QTimer.singleShot(0, window.close)

    window.engine.finished.connect(done)
    window.run_task(Task.COLORIZE)


if __name__ == "__main__":
    model, photo, emits = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    Settings().model_dir = model
    QTimer.singleShot(0, lambda: drive(emits))
    sys.exit(run_app(photo))
