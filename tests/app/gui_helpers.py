"""Mouse gestures in image coordinates, for the canvas tests; what the status bar says."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QLabel


def view_pos(canvas, x: float, y: float) -> QPoint:
    """Viewport position of image pixel (x, y)'s centre."""
    return canvas.mapFromScene(QPointF(x + 0.5, y + 0.5))


def drag(qtbot, canvas, points, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    """Press at the first image point, move through the others, release at the last."""
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, button, modifier, view_pos(canvas, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(viewport, view_pos(canvas, *p))
    qtbot.mouseRelease(viewport, button, modifier, view_pos(canvas, *points[-1]))


def line(a, b, n=12):
    return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in np.linspace(0, 1, n)]


def status_text(window) -> str:
    """What the status bar says on its left: its temporary message, else its other labels shown."""
    bar = window.statusBar()
    if bar.currentMessage():
        return bar.currentMessage()
    permanent = (window.task_progress, window.size_label, window.zoom_label, window.backend_label)
    return " ".join(label.text() for label in bar.findChildren(QLabel)
                    if label.isVisible() and not any(label is p or p.isAncestorOf(label) for p in permanent))
