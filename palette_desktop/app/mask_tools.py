"""Mask tools besides the brush: rectangle and lasso, the mask's look, and mask files.

The Brush tool (B) paints the inpainting mask; here it gains two shapes, Rectangle (M)
and Lasso (L), that add the area dragged (or remove it with the eraser, X). The mask
can be hidden, and shown in another colour or opacity where red would vanish in the
photo. Import and Export read and write the PNG that the command line's ``--mask``
takes (white = replace, the photo's size); a mask of another size is refused in one
line. Each edit of the mask is one undo step.
"""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

from palette_desktop.app.document import MaskChange, Patch, mask_change
from palette_desktop.app.gestures import Gesture, draw_outlined
from palette_desktop.app.imaging import MASK_OPACITY, MASK_RGB
from palette_desktop.app.saving import is_sample
from palette_desktop.app.tools import BrushPanel, Tool, action_button
from palette_desktop.core.errors import PaletteError
from palette_desktop.core.masks import Box, polygon_mask, read_mask_file, write_mask_file

MASK_COLOURS = (("Red", MASK_RGB), ("Green", (40, 200, 90)), ("Blue", (50, 120, 255)), ("Yellow", (245, 215, 40)),
                ("Magenta", (225, 60, 225)), ("Cyan", (40, 215, 230)))
MASK_FILTER = "PNG mask (*.png)"


class MaskShape(Enum):
    BRUSH = "brush"
    RECTANGLE = "rectangle"
    LASSO = "lasso"


SHAPE_ACTIONS = {MaskShape.BRUSH: "tool_brush", MaskShape.RECTANGLE: "shape_rectangle",
                 MaskShape.LASSO: "shape_lasso"}
SHAPE_HINTS = {MaskShape.BRUSH: "Paint over scratches, dust, tears or anything to remove, then Inpaint.",
               MaskShape.RECTANGLE: "Drag a rectangle over what to remove, then Inpaint.",
               MaskShape.LASSO: "Draw a lasso around what to remove, then Inpaint."}


class ShapeGesture(Gesture):
    """A rectangle or lasso dragged with the Brush tool; active while that shape is chosen."""

    def __init__(self, canvas, tools: MaskTools) -> None:
        super().__init__(canvas)
        self.tools = tools
        self.points: list[tuple[float, float]] = []  # image pixel centres
        self._last = QPointF()

    def active(self) -> bool:
        return self.tools.shape is not MaskShape.BRUSH

    def press(self, pos: QPointF) -> None:
        self.points = [self.image_point(pos)]
        self._last = pos
        self.canvas.viewport().update()

    def move(self, pos: QPointF) -> None:
        if not self.points:
            return
        point = self.image_point(pos)
        if self.tools.shape is MaskShape.RECTANGLE:
            self.points[1:] = [point]
        elif (pos - self._last).manhattanLength() >= 2:  # a lasso vertex every couple of screen pixels
            self.points.append(point)
            self._last = pos
        self.canvas.viewport().update()

    def release(self, pos: QPointF) -> None:
        if not self.points:
            return
        self.move(pos)
        points, self.points = self.points, []
        self.canvas.viewport().update()
        self.tools.apply_shape(points, self.canvas.erase)

    def cancel(self) -> None:
        self.points = []
        self.canvas.viewport().update()

    def paint(self, painter: QPainter) -> None:
        if len(self.points) < 2:
            return
        if self.tools.shape is MaskShape.RECTANGLE:
            (x0, y0), (x1, y1) = self.points[0], self.points[-1]
            shape = QPainterPath()
            shape.addRect(self.view_rect(min(x0, x1), min(y0, y1), max(x0, x1) + 1, max(y0, y1) + 1))
        else:
            shape = QPainterPath()
            shape.addPolygon(QPolygonF([QPointF(self.canvas.mapFromScene(QPointF(x + 0.5, y + 0.5)))
                                        for x, y in self.points]))
            shape.closeSubpath()
        colour = QColor(*self.canvas.mask_item.rgb, 0 if self.canvas.erase else 90)
        painter.fillPath(shape, colour)
        draw_outlined(painter, lambda: painter.drawPath(shape), dashed=True)


def shape_change(mask: np.ndarray, shape: MaskShape, points: list[tuple[float, float]],
                 erase: bool) -> MaskChange | None:
    """The mask change a rectangle or lasso through ``points`` (pixel centres) makes; None if nothing."""
    h, w = mask.shape
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if shape is MaskShape.RECTANGLE:  # the pixels whose centres it covers
        box = Box(max(0, math.ceil(min(xs))), max(0, math.ceil(min(ys))),
                  min(w, math.floor(max(xs)) + 1), min(h, math.floor(max(ys)) + 1))
    else:  # the polygon's bounding box, a pixel of anti-aliased edge around it
        box = Box(max(0, math.floor(min(xs)) - 1), max(0, math.floor(min(ys)) - 1),
                  min(w, math.ceil(max(xs)) + 2), min(h, math.ceil(max(ys)) + 2))
    if box.width <= 0 or box.height <= 0:
        return None
    if shape is MaskShape.RECTANGLE:
        area = np.ones((box.height, box.width), np.float32)
    else:
        area = polygon_mask((box.width, box.height), [(x - box.x0, y - box.y0) for x, y in points])
    before = mask[box.slices()].copy()
    after = np.minimum(before, 1.0 - area) if erase else np.maximum(before, area)
    if np.array_equal(before, after):
        return None
    name = "rectangle" if shape is MaskShape.RECTANGLE else "lasso"
    return MaskChange(f"Erase {name}" if erase else f"{name.capitalize()} mask", Patch(box, before, after, False))


class MaskPanel(QGroupBox):
    """Shape (brush, rectangle, lasso), show, colour and opacity, import and export."""

    def __init__(self, actions, parent=None) -> None:
        super().__init__("Mask", parent)
        shapes = QHBoxLayout()
        for key in SHAPE_ACTIONS.values():
            shapes.addWidget(action_button(actions[key]))
        self.show_box = QCheckBox("Show")
        self.show_box.setToolTip(actions["show_mask"].toolTip())
        self.show_box.setChecked(True)
        self.show_box.toggled.connect(actions["show_mask"].setChecked)
        actions["show_mask"].toggled.connect(self.show_box.setChecked)
        self.colour = QComboBox()
        for name, rgb in MASK_COLOURS:
            self.colour.addItem(name, rgb)
        self.colour.setToolTip("The mask's colour on the photo: pick one that stands out from it")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(10, 90)
        self.opacity.setValue(round(MASK_OPACITY * 100))
        self.opacity.setToolTip("How strongly the mask shows over the photo")
        look = QHBoxLayout()
        look.addWidget(self.show_box)
        look.addWidget(self.colour, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Colour", look)
        form.addRow("Opacity", self.opacity)
        files = QHBoxLayout()
        files.addWidget(action_button(actions["import_mask"]))
        files.addWidget(action_button(actions["export_mask"]))
        layout = QVBoxLayout(self)
        layout.addLayout(shapes)
        layout.addLayout(form)
        layout.addLayout(files)


class MaskTools(QObject):
    """A window's mask shapes, mask view and mask files: actions, panel, gesture.

    The shapes are tools of the window's one group of tools: the Brush tool (B) paints
    with the brush, Rectangle (M) and Lasso (L) are the Brush tool with another shape. So
    one of them is the active tool, the checked one, on the panel, in the menu and on the
    toolbar, whose Brush button stands for the shape last chosen.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.shape = MaskShape.BRUSH
        self.file_dialog: QFileDialog | None = None
        self.brush_panel: BrushPanel | None = None
        self.toolbar_button: QToolButton | None = None
        a = window._action
        shapes = (("&Rectangle Mask", "Rectangle", "M", "Drag a rectangle to mask (with the eraser: unmask)",
                   "mask-rect"),
                  ("&Lasso Mask", "Lasso", "L", "Draw around an area to mask (with the eraser: unmask)", "lasso"))
        tools = window.actions["tool_brush"].actionGroup()
        for (text, short, shortcut, tip, icon_name), shape in zip(shapes, (MaskShape.RECTANGLE, MaskShape.LASSO)):
            action = a(SHAPE_ACTIONS[shape], text, shortcut, tip, lambda _=False, s=shape: self.set_shape(s),
                       icon_name, checkable=True)
            action.setIconText(short)  # on the buttons
            tools.addAction(action)
        # The Brush tool chosen, by B, a click or the window (Detect Damage): the brush shape.
        window.actions["tool_brush"].toggled.connect(lambda on: on and self._show(MaskShape.BRUSH))
        show = a("show_mask", "Show &Mask", "Ctrl+Shift+H", "Show or hide the mask over the photo", None,
                 "mask-show", checkable=True)
        show.setChecked(True)
        show.toggled.connect(lambda on: window.canvas.show_mask(bool(on)))
        a("import_mask", "I&mport Mask…", None, "Use a PNG mask (white = replace) the size of the photo",
          self.import_dialog).setIconText("Import…")
        a("export_mask", "E&xport Mask…", None, "Save the mask as a PNG for the command line's --mask",
          self.export_dialog).setIconText("Export…")

        self.panel = MaskPanel(window.actions)
        self.panel.colour.currentIndexChanged.connect(self._style_changed)
        self.panel.opacity.valueChanged.connect(self._style_changed)
        self.gesture = ShapeGesture(window.canvas, self)
        window.canvas.gestures[Tool.BRUSH] = self.gesture
        window.history.changed.connect(self._on_change)
        window.history.documentReplaced.connect(self._update_actions)
        window.engine.busyChanged.connect(self._update_actions)
        self._update_actions()

    def page(self, brush_panel: BrushPanel) -> QWidget:
        """The Brush tool's page: this panel above the brush's own (which says the shape)."""
        self.brush_panel = brush_panel
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel)
        layout.addWidget(brush_panel)
        return page

    # -- shapes ----------------------------------------------------------------------
    def show_on(self, toolbar_button: QToolButton) -> None:
        """Make the toolbar's Brush button stand for the shape chosen (and choose it when clicked).

        Held down, it lists the three shapes (a tool button's actions are its delayed menu).
        """
        self.toolbar_button = toolbar_button
        toolbar_button.addActions([self.window.actions[key] for key in SHAPE_ACTIONS.values()])
        self._show(self.shape)

    def set_shape(self, shape: MaskShape) -> None:
        """The Brush tool, with ``shape``."""
        if self.window.tool is not Tool.BRUSH:
            self.window.set_tool(Tool.BRUSH)
        self.window.actions[SHAPE_ACTIONS[shape]].setChecked(True)
        self._show(shape)
        self.window.canvas.set_tool(Tool.BRUSH)  # cancels a drag and updates the cursor for the new shape

    def _show(self, shape: MaskShape) -> None:
        self.shape = shape
        action = self.window.actions[SHAPE_ACTIONS[shape]]
        if self.toolbar_button is not None:
            self.toolbar_button.setDefaultAction(action)
        if self.brush_panel is not None:
            self.brush_panel.setTitle(f"{action.iconText()} mask")
            self.brush_panel.hint.setText(SHAPE_HINTS[shape])

    def apply_shape(self, points: list[tuple[float, float]], erase: bool) -> None:
        doc = self.window.document
        if doc is None or self.window.engine.busy:
            return
        self.window.history.push(shape_change(doc.mask, self.shape, points, erase))

    # -- view ------------------------------------------------------------------------
    def _style_changed(self, *_args) -> None:
        doc = self.window.document
        self.window.canvas.set_mask_style(self.panel.colour.currentData(), self.panel.opacity.value() / 100,
                                          doc.mask if doc is not None else None)

    def _on_change(self, change) -> None:
        if isinstance(change, MaskChange):
            self.window.actions["show_mask"].setChecked(True)  # an edit of the mask shows it

    def _update_actions(self, *_args) -> None:
        enabled = self.window.document is not None and not self.window.engine.busy
        for key in ("import_mask", "export_mask"):
            self.window.actions[key].setEnabled(enabled)

    # -- files -----------------------------------------------------------------------
    def _ask(self, title: str, accept: QFileDialog.AcceptMode, suggested: Path) -> Path | None:
        dialog = QFileDialog(self.window, title, str(suggested.parent))
        dialog.setAcceptMode(accept)
        dialog.setNameFilters([MASK_FILTER, "All files (*)"])
        dialog.setDefaultSuffix("png")
        if accept is QFileDialog.AcceptMode.AcceptOpen:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        if accept is QFileDialog.AcceptMode.AcceptSave or suggested.is_file():
            dialog.selectFile(suggested.name)
        self.file_dialog = dialog
        if not dialog.exec():
            return None
        path = Path(dialog.selectedFiles()[0])
        self.window.settings.set_last_dir("masks", path.parent)
        return path

    def _suggested(self) -> Path:
        """Where a mask file is proposed: ``<photo>-mask.png`` beside the photo, as Save As proposes the photo.

        The bundled sample's folder is the program's: for it, the last folder masks went to.
        """
        doc = self.window.document
        if doc.source is not None and not is_sample(doc.source):
            return doc.source.with_name(f"{doc.source.stem}-mask.png")
        stem = doc.source.stem if doc.source is not None else "photo"
        return self.window.settings.last_dir("masks") / f"{stem}-mask.png"

    def import_dialog(self) -> None:
        if self.window.document is None:
            return
        path = self._ask("Import a mask (white = replace)", QFileDialog.AcceptMode.AcceptOpen, self._suggested())
        if path is not None:
            self.import_mask(path)

    def import_mask(self, path: str | Path) -> bool:
        """Make the PNG at ``path`` the mask (one undo step); a one-line message if it cannot be."""
        doc, window = self.window.document, self.window
        if doc is None or window.engine.busy:
            return False
        path = Path(path)
        try:
            mask = read_mask_file(path, doc.size)
        except PaletteError as exc:
            window.show_error("Cannot use that mask", str(exc))
            return False
        window.set_tool(Tool.BRUSH)
        change = mask_change(doc.mask, mask, f"Import mask {path.name}")
        if change is None:
            window.statusBar().showMessage(f"{path.name} is the mask already", 4000)
            return True
        window.history.push(change)
        window.statusBar().showMessage(f"Mask imported from {path.name}", 4000)
        return True

    def export_dialog(self) -> None:
        doc = self.window.document
        if doc is None:
            return
        if not doc.has_mask():
            self.window.statusBar().showMessage("The mask is empty: paint one first", 5000)
            return
        path = self._ask("Export the mask as PNG", QFileDialog.AcceptMode.AcceptSave, self._suggested())
        if path is not None:
            self.export_mask(path)

    def export_mask(self, path: str | Path) -> bool:
        """Write the mask to ``path`` as PNG; never over the photo that was opened."""
        doc, window = self.window.document, self.window
        path = Path(path)
        if doc.source is not None and path.resolve() == doc.source.resolve():
            window.show_error("Cannot export the mask", f"{path.name} is the photo itself; choose another name")
            return False
        try:
            write_mask_file(doc.mask, path)
        except PaletteError as exc:
            window.show_error("Cannot export the mask", str(exc))
            return False
        window.statusBar().showMessage(f"Mask saved to {path}", 5000)
        return True
