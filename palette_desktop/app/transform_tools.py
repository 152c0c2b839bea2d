"""Crop, straighten and quarter turns: a scan made square and level before it is restored.

The Crop tool shows a frame over the whole photo; drag its edges or corners in, drag
inside it to move it, or drag a new frame anywhere (an aspect ratio can hold it to
4:5, 3:2...); Enter or the Crop button cuts. The Straighten tool takes a line drawn along
something that should be level (a horizon, a table edge) or upright (a wall, a door):
on release the photo turns so the line is level and is cropped to the largest
rectangle of its own shape, as Lightroom's straighten does. Rotate left and right turn
by 90°. Each is one undo step (:class:`GeometryChange`), done on the mask and on the
compare's original too.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from palette_desktop.app.gestures import Gesture, draw_outlined, edges_near
from palette_desktop.app.geometry_change import GeometryChange
from palette_desktop.app.tools import Tool, action_button
from palette_desktop.core.geometry import (Crop, QuarterTurn, Straighten, Transform, box_from_corners, clamp_box,
                                           fit_aspect, level_angle)
from palette_desktop.core.masks import Box

HANDLE = 9  # px on screen
MIN_LINE = 10  # px on screen: a shorter straighten line is taken as a slip
LEVEL = 0.05  # degrees: a line closer to level than this changes nothing
CROP_RATIOS = (("Free", None), ("As shot", "original"), ("1:1", 1.0), ("4:5", 4 / 5), ("5:4", 5 / 4),
               ("2:3", 2 / 3), ("3:2", 3 / 2), ("9:16", 9 / 16), ("16:9", 16 / 9))


class CropGesture(Gesture):
    """The crop frame: new frames, edge and corner drags, moves; drawn with the outside dimmed."""

    def __init__(self, canvas, photo_size, on_change) -> None:
        super().__init__(canvas)
        self.photo_size = photo_size  # () -> (width, height) of the photo being edited
        self.on_change = on_change
        self.box: Box | None = None  # None: the whole photo, or the largest frame of the ratio
        self.ratio: float | None = None
        self._mode: str | None = None  # "new", "edges" or "move"
        self._edges: frozenset[str] = frozenset()
        self._anchor = (0.0, 0.0)
        self._start = QPointF()
        self._from: Box | None = None

    @property
    def bounds(self) -> Box:
        return Box(0, 0, *self.photo_size())

    @property
    def frame(self) -> Box:
        """The frame in photo pixels: the one dragged, or by default the largest that the ratio allows."""
        bounds = self.bounds
        if self.box is not None:
            return self.box
        return bounds if self.ratio is None or bounds.width == 0 else fit_aspect(bounds, self.ratio, bounds)

    def reset(self) -> None:
        self.box = None
        self._mode = None
        self.canvas.viewport().update()
        self.on_change()

    def set_ratio(self, ratio: float | None) -> None:
        self.ratio = ratio
        if ratio is not None and self.box is not None:
            self.box = fit_aspect(self.box, ratio, self.bounds)
        self.canvas.viewport().update()
        self.on_change()

    def _scene(self, pos: QPointF) -> tuple[float, float]:
        p = self.canvas.mapToScene(pos.toPoint())
        return p.x(), p.y()  # pixel edges at integers: a box's x0..x1

    def edges_at(self, pos: QPointF) -> frozenset[str]:
        f = self.frame
        edges = edges_near(self.view_rect(f.x0, f.y0, f.x1, f.y1), pos)
        if self.ratio is not None and len(edges) == 1:  # a held ratio is dragged by its corners
            return frozenset()
        return edges

    def _inside(self, pos: QPointF) -> bool:
        f = self.frame
        return f != self.bounds and self.view_rect(f.x0, f.y0, f.x1, f.y1).contains(pos)

    def press(self, pos: QPointF) -> None:
        self._start = pos
        self._from = self.frame
        self._edges = self.edges_at(pos)
        if self._edges:
            self._mode = "edges"
            f = self.frame
            self._anchor = (f.x0 if "right" in self._edges else f.x1, f.y0 if "bottom" in self._edges else f.y1)
        elif self._inside(pos):
            self._mode = "move"
        else:
            self._mode = "new"
            x, y = self._scene(pos)
            self._anchor = (min(max(x, 0), self.bounds.x1), min(max(y, 0), self.bounds.y1))

    def move(self, pos: QPointF) -> None:
        if self._mode is None:
            return
        x, y = self._scene(pos)
        if self._mode == "new":
            if (pos - self._start).manhattanLength() < 4:
                return
            self.box = box_from_corners(self._anchor, (x, y), self.bounds, self.ratio)
        elif self._mode == "move":
            sx, sy = self._scene(self._start)
            f = self._from
            dx, dy = round(x - sx), round(y - sy)
            self.box = clamp_box(Box(f.x0 + dx, f.y0 + dy, f.x1 + dx, f.y1 + dy), self.bounds)
        elif len(self._edges) == 2:
            self.box = box_from_corners(self._anchor, (x, y), self.bounds, self.ratio)
        else:
            f, b = self._from, self.bounds
            x0, y0, x1, y1 = f.x0, f.y0, f.x1, f.y1
            if "left" in self._edges:
                x0 = min(max(b.x0, round(x)), x1 - 1)
            elif "right" in self._edges:
                x1 = max(min(b.x1, round(x)), x0 + 1)
            elif "top" in self._edges:
                y0 = min(max(b.y0, round(y)), y1 - 1)
            else:
                y1 = max(min(b.y1, round(y)), y0 + 1)
            self.box = Box(x0, y0, x1, y1)
        self.canvas.viewport().update()
        self.on_change()

    def release(self, pos: QPointF) -> None:
        self._mode = None
        self._edges = frozenset()

    def cancel(self) -> None:
        if self._mode is not None and self._from is not None:
            self.box = self._from
        self._mode = None
        self.on_change()

    def cursor(self, hover: QPointF | None) -> Qt.CursorShape:
        edges = self._edges if self._mode == "edges" else (self.edges_at(hover) if hover is not None else frozenset())
        if edges in ({"left", "top"}, {"right", "bottom"}):
            return Qt.CursorShape.SizeFDiagCursor
        if edges in ({"right", "top"}, {"left", "bottom"}):
            return Qt.CursorShape.SizeBDiagCursor
        if edges & {"left", "right"}:
            return Qt.CursorShape.SizeHorCursor
        if edges & {"top", "bottom"}:
            return Qt.CursorShape.SizeVerCursor
        if self._mode == "move" or (hover is not None and self._inside(hover)):
            return Qt.CursorShape.SizeAllCursor
        return Qt.CursorShape.CrossCursor

    def paint(self, painter: QPainter) -> None:
        f = self.frame
        frame = self.view_rect(f.x0, f.y0, f.x1, f.y1)
        photo = self.view_rect(0, 0, *self.photo_size())
        outside = QPainterPath()
        outside.addRect(photo)
        inside = QPainterPath()
        inside.addRect(frame)
        painter.fillPath(outside.subtracted(inside), QColor(0, 0, 0, 150))
        painter.setPen(QPen(QColor(255, 255, 255, 90), 1))
        for i in (1, 2):  # rule of thirds
            x = frame.left() + frame.width() * i / 3
            y = frame.top() + frame.height() * i / 3
            painter.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
            painter.drawLine(QPointF(frame.left(), y), QPointF(frame.right(), y))
        draw_outlined(painter, lambda: painter.drawRect(frame))
        half = HANDLE / 2
        painter.setPen(QPen(QColor(20, 20, 20), 1))
        painter.setBrush(QColor(255, 255, 255))
        corners_only = self.ratio is not None
        for i, x in enumerate((frame.left(), frame.center().x(), frame.right())):
            for j, y in enumerate((frame.top(), frame.center().y(), frame.bottom())):
                if (i == 1 and j == 1) or (corners_only and 1 in (i, j)):
                    continue
                painter.drawRect(QRectF(x - half, y - half, HANDLE, HANDLE))
        self.canvas._label(painter, QPointF(frame.left(), frame.top() - 8), f"{f.width} × {f.height} px", above=True)


class StraightenGesture(Gesture):
    """A line drawn along what should be level or upright; on release the photo turns."""

    def __init__(self, canvas, on_line) -> None:
        super().__init__(canvas)
        self.on_line = on_line
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None
        self._press = QPointF()

    def press(self, pos: QPointF) -> None:
        self._press = pos
        self.start = self.end = self.image_point(pos)
        self.canvas.viewport().update()

    def move(self, pos: QPointF) -> None:
        if self.start is not None:
            self.end = self.image_point(pos)
            self.canvas.viewport().update()

    def release(self, pos: QPointF) -> None:
        if self.start is None:
            return
        start, end = self.start, self.image_point(pos)
        self.start = self.end = None
        self.canvas.viewport().update()
        d = pos - self._press
        if math.hypot(d.x(), d.y()) >= MIN_LINE:
            self.on_line(start, end)

    def cancel(self) -> None:
        self.start = self.end = None
        self.canvas.viewport().update()

    def paint(self, painter: QPainter) -> None:
        if self.start is None or self.end is None or self.start == self.end:
            return
        a = self.canvas.mapFromScene(QPointF(self.start[0] + 0.5, self.start[1] + 0.5))
        b = self.canvas.mapFromScene(QPointF(self.end[0] + 0.5, self.end[1] + 0.5))
        a, b = QPointF(a), QPointF(b)
        draw_outlined(painter, lambda: painter.drawLine(a, b))
        painter.setPen(QPen(QColor(232, 195, 74), 1.5))
        painter.drawLine(a, b)
        painter.setBrush(QColor(232, 195, 74))
        for p in (a, b):
            painter.drawEllipse(p, 3, 3)
        angle = level_angle(self.start, self.end)
        self.canvas._label(painter, b + QPointF(12, 4), f"Turn {angle:+.1f}°")


class CropPanel(QGroupBox):
    """Aspect ratio, frame size, Reset and Crop."""

    def __init__(self, actions, parent=None) -> None:
        super().__init__("Crop", parent)
        hint = QLabel("Drag the frame's edges or corners, drag inside it to move it, or drag a new frame. "
                      "Enter crops.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.ratio = QComboBox()
        for text, ratio in CROP_RATIOS:
            self.ratio.addItem(text, ratio)
        self.ratio.setToolTip("Hold the frame to an aspect ratio (width:height); 'As shot' keeps the photo's own")
        self.size_label = QLabel("")
        self.reset = QToolButton()
        self.reset.setText("Reset")
        self.reset.setToolTip("The frame back to the whole photo")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Aspect", self.ratio)
        form.addRow("Frame", self.size_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset)
        buttons.addWidget(action_button(actions["crop_apply"], primary=True), 1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addLayout(buttons)


class StraightenPanel(QGroupBox):
    """How to straighten, and the last angle."""

    def __init__(self, parent=None) -> None:
        super().__init__("Straighten", parent)
        hint = QLabel("Draw a line along something that should be level — the horizon, a table edge — or upright, "
                      "like a wall. The photo turns to match and is cropped to its largest rectangle of the same "
                      "shape.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.last = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.last)


def _rotate_row(actions) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(action_button(actions["rotate_left"]))
    layout.addWidget(action_button(actions["rotate_right"]))
    return row


def _page(*widgets: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return page


class TransformTools(QObject):
    """The crop and straighten tools and the quarter turns of a window: actions, panels, gestures."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        a = window._action
        tools = window.actions["tool_hand"].actionGroup()
        tools.addAction(a("tool_crop", "&Crop", "C", "Cut the photo to a frame", lambda: window.set_tool(Tool.CROP),
                          "crop", checkable=True))
        tools.addAction(a("tool_straighten", "S&traighten", "S", "Draw along a horizon or an edge to level the photo",
                          lambda: window.set_tool(Tool.STRAIGHTEN), "straighten", checkable=True))
        a("rotate_left", "Rotate &Left", "Ctrl+[", "Turn the photo 90° counter-clockwise",
          lambda: self.apply(QuarterTurn(clockwise=False)), "rotate-left")
        a("rotate_right", "Rotate &Right", "Ctrl+]", "Turn the photo 90° clockwise",
          lambda: self.apply(QuarterTurn(clockwise=True)), "rotate-right")
        a("crop_apply", "Crop to &Frame", None, "Keep only what is inside the crop frame (Enter)",
          self.crop, "crop").setIconText("Crop")

        canvas = window.canvas
        self.crop_gesture = CropGesture(canvas, self._photo_size, self._frame_changed)
        self.straighten_gesture = StraightenGesture(canvas, self.straighten)
        canvas.gestures[Tool.CROP] = self.crop_gesture
        canvas.gestures[Tool.STRAIGHTEN] = self.straighten_gesture
        self.crop_panel = CropPanel(window.actions)
        self.straighten_panel = StraightenPanel()
        self.pages = {Tool.CROP: _page(self.crop_panel, _rotate_row(window.actions)),
                      Tool.STRAIGHTEN: _page(self.straighten_panel, _rotate_row(window.actions))}
        self.crop_panel.ratio.currentIndexChanged.connect(self._ratio_changed)
        self.crop_panel.reset.clicked.connect(self.crop_gesture.reset)

        window.history.changed.connect(self._on_change)
        window.history.documentReplaced.connect(self._on_document)
        window.history.stack.indexChanged.connect(self._update_actions)
        window.engine.busyChanged.connect(self._update_actions)
        self._update_actions()

    # -- edits -----------------------------------------------------------------------
    def apply(self, transform: Transform) -> bool:
        """Make ``transform`` an undo step on the current photo; False when nothing can be done now."""
        doc, window = self.window.document, self.window
        if doc is None or window.engine.busy:
            return False
        window.history.push(GeometryChange(doc, transform))
        window.statusBar().showMessage(transform.label, 4000)
        return True

    def crop(self) -> None:
        doc = self.window.document
        if doc is None:
            return
        box = self.crop_gesture.frame
        if box == Box(0, 0, *doc.size):
            self.window.statusBar().showMessage("Drag the frame's edges inward, or a new frame, then crop", 5000)
            return
        self.apply(Crop(box))

    def straighten(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        doc = self.window.document
        if doc is None:
            return
        angle = level_angle(start, end)
        if abs(angle) < LEVEL:
            self.straighten_panel.last.setText("That line is already level")
            self.window.statusBar().showMessage("That line is already level; nothing changed", 4000)
            return
        if self.apply(Straighten(angle, *doc.size)):
            w, h = self.window.document.size
            self.straighten_panel.last.setText(f"Turned {angle:+.2f}°, cropped to {w} × {h} px")

    # -- state -----------------------------------------------------------------------
    def _ratio_changed(self) -> None:
        ratio = self.crop_panel.ratio.currentData()
        doc = self.window.document
        if ratio == "original":
            ratio = doc.size[0] / doc.size[1] if doc is not None else None
        self.crop_gesture.set_ratio(ratio)

    def _frame_changed(self) -> None:
        doc = self.window.document
        f = self.crop_gesture.frame
        self.crop_panel.size_label.setText(f"{f.width} × {f.height} px" if doc is not None else "")

    def _photo_size(self) -> tuple[int, int]:
        doc = self.window.document
        return doc.size if doc is not None else (0, 0)

    def _on_change(self, change) -> None:
        if change.resizes:
            self._ratio_changed()
            self.crop_gesture.reset()

    def _on_document(self) -> None:
        self._ratio_changed()
        self.crop_gesture.reset()
        self.straighten_panel.last.setText("")
        self._update_actions()

    def _update_actions(self, *_args) -> None:
        enabled = self.window.document is not None and not self.window.engine.busy
        for key in ("rotate_left", "rotate_right", "crop_apply"):
            self.window.actions[key].setEnabled(enabled)
