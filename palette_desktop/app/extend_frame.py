"""The crop-extend frame: margins around the photo, outward to grow the canvas, inward to crop.

The frame belongs to the document (:attr:`Document.margins`) and every move of it is an
undo step (:class:`MarginsChange`): one per drag of an edge, one per preset, and typing
into one side's field is one step however many digits it takes. Applying it cuts the
inward sides at once (a crop, its own undo step, no model) and leaves the outward ones
for the model to fill. Any change of the photo's size resets the frame.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from palette_desktop.app.canvas import Canvas
from palette_desktop.app.document import MarginsChange
from palette_desktop.app.geometry_change import GeometryChange
from palette_desktop.app.history import History
from palette_desktop.app.tools import ExtendPanel
from palette_desktop.core.geometry import Crop
from palette_desktop.core.masks import Box
from palette_desktop.tasks.extend import Margins

SIDES = ("left", "top", "right", "bottom")


def describe(margins: Margins) -> str:
    return "·".join(str(getattr(margins, side)) for side in SIDES) + " px"


class ExtendFrame(QObject):
    """Keeps the canvas's frame, the panel's fields and the document's margins as one."""

    def __init__(self, history: History, canvas: Canvas, panel: ExtendPanel) -> None:
        super().__init__(canvas)
        self.history, self.canvas, self.panel = history, canvas, panel
        canvas.marginsChanged.connect(panel.set_margins)  # live while an edge is dragged
        canvas.marginsCommitted.connect(lambda margins: self.move(margins, "Drag the extend frame"))
        panel.marginsChanged.connect(self._typed)
        history.changed.connect(self._changed)
        history.documentReplaced.connect(self.show)

    @property
    def margins(self) -> Margins:
        doc = self.history.document
        return doc.margins if doc is not None else Margins()

    def move(self, margins: Margins, label: str, typed_side: str | None = None) -> None:
        """Make ``margins`` the frame, as an undo step."""
        if self.history.document is None or margins == self.margins:
            self.show()
            return
        self.history.push(MarginsChange(self.margins, margins, f"{label}: {describe(margins)}", typed_side))

    def _typed(self, margins: Margins) -> None:
        changed = [side for side in SIDES if getattr(margins, side) != getattr(self.margins, side)]
        if len(changed) == 1:
            self.move(margins, f"Extend frame {changed[0]}", typed_side=changed[0])
        else:
            self.move(margins, "Extend frame")  # a preset or Reset

    def _changed(self, change) -> None:
        if change.resizes and self.history.document is not None:
            self.history.document.margins = Margins()  # the frame was around the photo as it was
        if change.resizes or isinstance(change, MarginsChange):
            self.show()

    def show(self) -> None:
        doc = self.history.document
        self.panel.set_photo_size(doc.size if doc is not None else (0, 0))
        self.canvas.set_margins(self.margins)
        self.panel.set_margins(self.margins)

    def cut(self) -> Margins:
        """Crop the inward sides now (one undo step); the outward sides, still on the frame, to fill."""
        doc, m = self.history.document, self.margins
        grow = Margins(*(max(0, getattr(m, side)) for side in SIDES))
        if doc is None or grow == m:
            return grow
        w, h = doc.size
        box = Box(max(0, -m.left), max(0, -m.top), w - max(0, -m.right), h - max(0, -m.bottom))
        self.history.push(GeometryChange(doc, Crop(box)))  # resets the frame, then it keeps what grows
        doc.margins = grow
        self.show()
        return grow
