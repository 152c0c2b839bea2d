"""What a tool does with a left-button drag on the canvas, when it lives in its own module.

The canvas keeps the gestures every tool shares (pan, zoom, the compare split) and its
own brush and extend handles; other tools (crop frame, straighten line, rectangle and
lasso masks) register a :class:`Gesture` for their tool in ``Canvas.gestures`` and get
the drags, the cursor and a chance to draw over the photo, in viewport coordinates.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen


GRAB = 8  # px on screen: how close to a frame's edge a press grabs it


def edges_near(rect: QRectF, pos: QPointF) -> frozenset[str]:
    """The edges of a frame on screen ("left", "top", ...) that a press at ``pos`` grabs: a corner grabs two."""
    x, y = pos.x(), pos.y()
    if not (rect.left() - GRAB <= x <= rect.right() + GRAB and rect.top() - GRAB <= y <= rect.bottom() + GRAB):
        return frozenset()
    edges = set()
    if abs(x - rect.left()) <= GRAB:
        edges.add("left")
    elif abs(x - rect.right()) <= GRAB:
        edges.add("right")
    if abs(y - rect.top()) <= GRAB:
        edges.add("top")
    elif abs(y - rect.bottom()) <= GRAB:
        edges.add("bottom")
    return frozenset(edges)


class Gesture:
    """One tool's handling of left-button drags on the canvas (press, move, release)."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas

    def active(self) -> bool:
        """Whether it takes the drags now (a mask shape only while that shape is chosen)."""
        return True

    def press(self, pos: QPointF) -> None:
        """The left button went down at ``pos`` (viewport coordinates)."""

    def move(self, pos: QPointF) -> None:
        """The pointer moved with the button held."""

    def release(self, pos: QPointF) -> None:
        """The button came up: the gesture is complete."""

    def cancel(self) -> None:
        """Forget a drag in progress (the tool changed, or a task started)."""

    def paint(self, painter: QPainter) -> None:
        """Draw over the photo; the painter works in viewport pixels."""

    def cursor(self, hover: QPointF | None) -> Qt.CursorShape:
        return Qt.CursorShape.CrossCursor

    # -- helpers -----------------------------------------------------------------------
    def image_point(self, pos: QPointF) -> tuple[float, float]:
        """Viewport position to image pixel coordinates, not rounded (pixel centres are integers)."""
        p = self.canvas.mapToScene(pos.toPoint())
        return p.x() - 0.5, p.y() - 0.5

    def view_rect(self, x0: float, y0: float, x1: float, y1: float) -> QRectF:
        """An image pixel box [x0, x1) × [y0, y1) in viewport coordinates."""
        return self.canvas.mapFromScene(QRectF(x0, y0, x1 - x0, y1 - y0)).boundingRect().toRectF()


def draw_outlined(painter: QPainter, draw, dashed: bool = False) -> None:
    """Call ``draw()`` twice: a dark wide line, then a thin white (or dashed) one on top."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(0, 0, 0, 170), 3))
    draw()
    painter.setPen(QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
    draw()
