"""A window that test_recovery.py kills: ``python recovery_session.py MODEL PHOTO EXPECTED``.

It goes through the real entry point (:func:`run_app`) with the photo, paints a stroke
with the mouse, inpaints it and colorizes the result on the model, then undoes the
colorize. It writes what each state of the history holds (pixels and mask) to
EXPECTED/states.npz, its labels and the state shown to EXPECTED/states.json, and waits
there, still running, for the test to kill it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui_helpers import line, view_pos
from palette_desktop.app.main import run_app
from palette_desktop.app.main_window import MainWindow
from palette_desktop.app.settings import Settings
from palette_desktop.app.tools import Tool


def window() -> MainWindow | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    return found[0] if found and found[0].document is not None and found[0].model is not None else None


def drive(expected: Path) -> None:
    win = window()
    if win is None:
        QTimer.singleShot(20, lambda: drive(expected))
        return
    win.options_panel.set_steps(6)
    states = [(win.document.photo.pixels, win.document.mask)]

    def keep() -> None:
        states.append((win.document.photo.pixels, win.document.mask))

    win.set_tool(Tool.BRUSH)
    viewport, points = win.canvas.viewport(), [view_pos(win.canvas, *p) for p in line((30, 30), (110, 80))]
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
    keep()
    tasks = ["inpaint", "colorize"]

    def finished(*_args) -> None:
        keep()  # the result, just pushed by the window's own handler
        if tasks:
            win.actions[tasks.pop(0)].trigger()
            return
        win.actions["undo"].trigger()
        stack = win.history.stack
        np.savez(expected / "states.npz", **{f"pixels{i}": p for i, (p, _) in enumerate(states)},
                 **{f"mask{i}": m for i, (_, m) in enumerate(states)})
        (expected / "states.json").write_text(json.dumps({
            "labels": [stack.text(i) for i in range(stack.count())], "shown": stack.index()}))
        print("ready", flush=True)

    win.engine.finished.connect(finished)
    win.actions[tasks.pop(0)].trigger()


if __name__ == "__main__":
    model, photo, expected = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    Settings().model_dir = model
    QTimer.singleShot(0, lambda: drive(expected))
    sys.exit(run_app(photo))
