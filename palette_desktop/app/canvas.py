"""The photo view: zoom, pan, the brush mask overlay, extend handles and the compare split.

Scene coordinates are image pixels: pixel (x, y) covers [x, x+1) × [y, y+1), so its
centre, where the mask functions put it, is at scene (x + 0.5, y + 0.5). Zoomed out, the
photo is drawn from a pyramid of area-averaged copies, so a large scan shows at full
quality instead of the aliasing of one bilinear downscale; zoomed in past 200 % pixels
are drawn sharp, for pixel peeping. Overlays that live in screen units (handles, the split
line, the brush outline) are drawn in :meth:`drawForeground`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QColorSpace, QFont, QImage, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen,
                           QWheelEvent)
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QFrame, QGraphicsItem, QGraphicsScene, QGraphicsView,
                               QLineEdit, QStyleOptionGraphicsItem, QTextEdit)

from palette_desktop.app.gestures import Gesture, edges_near
from palette_desktop.app.imaging import MASK_OPACITY, MASK_RGB, SharedImage, mask_overlay, shown_rgb, to_uint8
from palette_desktop.app.tools import Tool, margin_range
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box
from palette_desktop.tasks.extend import Margins

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
SHARP_ZOOM = 2.0  # from here on, pixels are drawn as squares
HANDLE = 9  # px on screen
BACKGROUND = QColor(38, 38, 40)


def display_color_space(icc: bytes | None) -> QColorSpace | None:
    """The photo's colour space when it is a valid one other than sRGB; None to show pixels as they are."""
    if not icc:
        return None
    space = QColorSpace.fromIccProfile(QByteArray(icc))
    if not space.isValid() or space == QColorSpace(QColorSpace.NamedColorSpace.SRgb):
        return None
    return space


def _zoom_of(painter: QPainter, widget) -> float:
    lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
    return lod * (widget.devicePixelRatioF() if widget is not None else 1.0)


class PhotoItem(QGraphicsItem):
    """A photo drawn from a pyramid of halvings; optionally only left of ``clip_right``.

    The full-size level is drawn from the photo's own pixels where they are 8-bit RGB (no
    copy: at 100 MP a copy is 300–400 MB, and a result would briefly hold two); the
    halvings, a third of that, are copies.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._levels: list[SharedImage] = []
        self._w = self._h = 0
        self.photo: Photo | None = None
        self.clip_right: float | None = None  # in item coordinates

    def set_photo(self, photo: Photo | None, same_as: PhotoItem | None = None) -> None:
        """Show ``photo``; when ``same_as`` shows that very photo, share its pyramid."""
        self.prepareGeometryChange()
        self._levels = []
        self._w = self._h = 0
        self.photo = photo
        if photo is not None and same_as is not None and same_as.photo is photo:
            self._levels, self._w, self._h = list(same_as._levels), same_as._w, same_as._h
        elif photo is not None:
            rgb = to_uint8(photo.pixels)  # an 8-bit photo as it is: no copy
            alpha = to_uint8(photo.alpha) if photo.alpha is not None else None
            self._h, self._w = rgb.shape[:2]
            space = display_color_space(photo.icc_profile)
            while True:
                self._levels.append(shown_rgb(rgb, alpha, space))
                h, w = rgb.shape[:2]
                if max(h, w) <= 512 or min(h, w) < 4:
                    break
                size = (max(1, w // 2), max(1, h // 2))
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
                alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA) if alpha is not None else None
        self.update()

    def level(self, index: int) -> QImage:
        """The pyramid's image ``index`` (0: full size)."""
        return self._levels[index].image

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._w, self._h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if not self._levels:
            return
        zoom = _zoom_of(painter, widget)
        level = 0
        if zoom < 1.0:
            level = min(len(self._levels) - 1, int(math.floor(math.log2(1.0 / zoom))))
        image = self._levels[level].image
        target = option.exposedRect.intersected(self.boundingRect())
        if self.clip_right is not None:
            target.setRight(min(target.right(), self.clip_right))
        if target.isEmpty():
            return
        fx, fy = image.width() / self._w, image.height() / self._h
        source = QRectF(target.x() * fx, target.y() * fy, target.width() * fx, target.height() * fy)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoom < SHARP_ZOOM)
        painter.drawImage(target, image, source)


class MaskItem(QGraphicsItem):
    """The brush mask as a translucent red layer; strokes show live before they are committed."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.image = QImage()  # null while the mask is empty: a 100 MP overlay is 400 MB
        self.size: tuple[int, int] | None = None  # the mask's (width, height); None without a photo
        self.rgb, self.opacity = MASK_RGB, MASK_OPACITY

    def set_mask(self, mask: np.ndarray | None) -> None:
        self.prepareGeometryChange()
        self.size = None if mask is None else (mask.shape[1], mask.shape[0])
        self.image = QImage()  # the old overlay goes before the new one is made
        if mask is not None and mask.any():
            self.image = mask_overlay(mask, self.rgb, self.opacity)
        self.update()

    def refresh(self, mask: np.ndarray, box: Box) -> None:
        """Redraw the overlay inside ``box`` from the mask itself."""
        if self.image.isNull() or self.size != (mask.shape[1], mask.shape[0]):
            self.set_mask(mask)
            return
        painter = QPainter(self.image)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(box.x0, box.y0, mask_overlay(mask[box.slices()], self.rgb, self.opacity))
        painter.end()
        self.update(QRectF(box.x0, box.y0, box.width, box.height))

    def paint_segment(self, a: QPointF, b: QPointF, radius: float, erase: bool) -> None:
        """Draw a stroke segment straight into the overlay (``a``/``b`` in image pixel centres)."""
        if self.size is None:
            return
        if self.image.isNull():  # the first stroke on an empty mask
            self.image = QImage(*self.size, QImage.Format.Format_ARGB32_Premultiplied)
            self.image.fill(0)
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(0.5, 0.5)
        color = QColor(*self.rgb, round(255 * self.opacity))
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear if erase
                                   else QPainter.CompositionMode.CompositionMode_Source)
        if a == b:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(a, radius, radius)
        else:
            painter.setPen(QPen(color, 2 * radius, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))
            painter.drawLine(a, b)
        painter.end()
        r = radius + 2
        self.update(QRectF(min(a.x(), b.x()) - r, min(a.y(), b.y()) - r,
                           abs(a.x() - b.x()) + 2 * r + 1, abs(a.y() - b.y()) + 2 * r + 1))

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, *self.size) if self.size is not None else QRectF()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.image.isNull():
            return
        target = option.exposedRect.intersected(self.boundingRect())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, _zoom_of(painter, widget) < SHARP_ZOOM)
        painter.drawImage(target, self.image, target)


class Canvas(QGraphicsView):
    """Shows the document; turns mouse gestures into strokes and margins."""

    strokeFinished = Signal(list, float, bool)  # points (x, y) in image pixels, radius, erase
    marginsChanged = Signal(object)  # Margins, live while an edge is dragged
    marginsCommitted = Signal(object)  # Margins, when the edge is let go
    zoomChanged = Signal(float)
    splitChanged = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(BACKGROUND)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)  # the wheel: zoom_at
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAcceptDrops(False)  # the window takes dropped files
        self.viewport().setAcceptDrops(False)
        self.setAccessibleName("Photo canvas")

        self.photo_item = PhotoItem()
        self.before_item = PhotoItem()
        self.mask_item = MaskItem()
        for z, item in enumerate((self.photo_item, self.before_item, self.mask_item)):
            item.setZValue(z)
            self.scene().addItem(item)
        self.before_item.setVisible(False)

        self.tool = Tool.HAND
        self.gestures: dict[Tool, Gesture] = {}  # drags of tools that live in their own module
        self._gesture: Gesture | None = None  # the one being dragged
        self.mask_shown = True
        self.brush_radius = 20.0
        self.erase = False
        self.editable = True
        self.margins = Margins()
        self.compare = False
        self.split = 0.5  # of the original's width
        self.showing_original = False
        self.placeholder = "Open a photo (Ctrl+O) or drop one here\n\nNo photo at hand? File → Open Sample Photo"

        self._size = (0, 0)
        self._origin = (0, 0)
        self._fit = True
        self._space = False
        self._pan_from: QPoint | None = None
        self._stroke: list[tuple[float, float]] | None = None
        self._drag_edges: frozenset[str] = frozenset()
        self._mouse: QPointF | None = None  # last pointer position in the viewport
        self._update_cursor()

    # -- content ---------------------------------------------------------------------
    @property
    def has_photo(self) -> bool:
        return self._size != (0, 0)

    def set_photo(self, photo: Photo | None, reset_view: bool = False) -> None:
        old = self._size
        self.photo_item.set_photo(photo)
        self._size = photo.size if photo is not None else (0, 0)
        self._update_scene_rect()
        if reset_view or old != self._size or self._fit:
            self.fit()
        self.viewport().update()

    def set_original(self, photo: Photo | None, origin: tuple[int, int]) -> None:
        self.before_item.set_photo(photo, same_as=self.photo_item)
        self._origin = origin
        self.before_item.setPos(*origin)
        self._update_compare()

    def set_origin(self, origin: tuple[int, int]) -> None:
        self._origin = origin
        self.before_item.setPos(*origin)
        self._update_compare()

    def set_mask(self, mask: np.ndarray | None) -> None:
        self.mask_item.set_mask(mask)

    def refresh_mask(self, mask: np.ndarray, box: Box | None) -> None:
        if box is None:
            self.mask_item.set_mask(mask)
        else:
            self.mask_item.refresh(mask, box)

    def set_mask_style(self, rgb: tuple[int, int, int], opacity: float, mask: np.ndarray | None) -> None:
        """The overlay's colour and opacity (redrawn from ``mask``)."""
        self.mask_item.rgb, self.mask_item.opacity = rgb, opacity
        self.mask_item.set_mask(mask)

    def show_mask(self, on: bool) -> None:
        self.mask_shown = on
        self._update_compare()

    # -- modes -----------------------------------------------------------------------
    def set_tool(self, tool: Tool) -> None:
        self._cancel_gesture()
        self.tool = tool
        self._update_scene_rect()
        if tool is Tool.EXTEND and self.has_photo:
            self.fit()
        self._update_cursor()
        self.viewport().update()

    def set_editable(self, editable: bool) -> None:
        """False while a task runs: view only, no strokes or margin drags."""
        if not editable:
            self._cancel_gesture()
        self.editable = editable
        self._update_cursor()

    def set_margins(self, margins: Margins) -> None:
        self.margins = margins
        self._update_scene_rect()
        self.viewport().update()

    def set_brush(self, radius: float, erase: bool) -> None:
        self.brush_radius, self.erase = radius, erase
        self.viewport().update()

    def set_compare(self, on: bool) -> None:
        self._cancel_gesture()
        self.compare = on
        self._update_compare()
        self._update_cursor()

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self._update_compare()
        self.splitChanged.emit(self.split)

    def show_original(self, on: bool) -> None:
        self.showing_original = on
        self._update_compare()

    def _update_compare(self) -> None:
        original_w = self.before_item.boundingRect().width()
        if self.showing_original:
            self.before_item.clip_right = None
        else:
            self.before_item.clip_right = self.split * original_w
        self.before_item.setVisible(self.showing_original or self.compare)
        self.mask_item.setVisible(self.mask_shown and not (self.showing_original or self.compare))
        self.before_item.update()
        self.viewport().update()

    # -- geometry --------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        return QRectF(0, 0, *self._size)

    def outer_rect(self) -> QRectF:
        m = self.margins
        return QRectF(-m.left, -m.top, self._size[0] + m.left + m.right, self._size[1] + m.top + m.bottom)

    def _update_scene_rect(self) -> None:
        rect = self.image_rect()
        if self.tool is Tool.EXTEND and self.has_photo:
            pad = max(self._size)
            rect = rect.united(self.outer_rect()).adjusted(-pad, -pad, pad, pad)
        self.scene().setSceneRect(rect)

    def view_to_image(self, pos: QPointF | QPoint) -> tuple[float, float]:
        """Viewport position to image pixel coordinates (pixel centres are integers)."""
        p = self.mapToScene(pos.toPoint() if isinstance(pos, QPointF) else pos)
        return p.x() - 0.5, p.y() - 0.5

    # -- zoom ------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """Image pixels per screen (device) pixel: 1.0 is 100 %."""
        return self.transform().m11() * self.devicePixelRatioF()

    def set_zoom(self, zoom: float, fit_mode: bool = False) -> None:
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        factor = zoom / self.zoom
        if abs(factor - 1.0) > 1e-9:
            self.scale(factor, factor)
        self._fit = fit_mode
        self.zoomChanged.emit(self.zoom)
        self.viewport().update()

    def fit(self) -> None:
        if not self.has_photo:
            return
        rect = self.outer_rect() if self.tool is Tool.EXTEND else self.image_rect()
        if self.tool is Tool.EXTEND:
            pad = 0.15 * max(rect.width(), rect.height())
            rect = rect.adjusted(-pad, -pad, pad, pad)
        view = self.viewport().rect().adjusted(8, 8, -8, -8)
        if view.width() <= 0 or view.height() <= 0:
            return
        scale = min(view.width() / rect.width(), view.height() / rect.height())
        # never past 100 %: a small scan enlarged to fit only shows its pixels blurred
        self.set_zoom(min(1.0, scale * self.devicePixelRatioF()), fit_mode=True)
        self.centerOn(rect.center())

    def zoom_100(self) -> None:
        self.set_zoom(1.0)

    def zoom_at(self, zoom: float, pos: QPointF) -> None:
        """Zoom keeping the image point under ``pos`` (viewport coordinates) where it is."""
        anchor = self.mapToScene(pos.toPoint())
        self.set_zoom(zoom)
        moved = self.mapFromScene(anchor) - pos.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())

    def toggle_zoom(self, pos: QPointF | None = None) -> None:
        """100 % around ``pos`` (the pointer, or the view's centre), or back to fit when at 100 %."""
        if not self.has_photo:
            return
        if abs(self.zoom - 1.0) < 1e-6:
            self.fit()
        else:
            pos = pos if pos is not None else self._mouse
            self.zoom_at(1.0, pos if pos is not None else QPointF(self.viewport().rect().center()))

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.25)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.has_photo:
            return
        delta = event.angleDelta().y() or event.pixelDelta().y()
        if delta:
            self.zoom_at(self.zoom * 1.0015 ** delta, event.position())
        event.accept()

    def viewportEvent(self, event: QEvent) -> bool:
        """A trackpad pinch zooms about the fingers (macOS and Wayland send it as a native gesture)."""
        if event.type() == QEvent.Type.NativeGesture and \
                event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            if self.has_photo:
                self.zoom_at(self.zoom * (1.0 + event.value()), event.position())
            return True
        return super().viewportEvent(event)

    # -- mouse -----------------------------------------------------------------------
    def _edges_at(self, pos: QPointF) -> frozenset[str]:
        if self.tool is not Tool.EXTEND or not self.editable or not self.has_photo or self.compare:
            return frozenset()
        return edges_near(QRectF(self.mapFromScene(self.outer_rect()).boundingRect()), pos)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = event.position()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and (
                self._space or (self.tool is Tool.HAND and not self.compare) or not self.has_photo)):
            self._pan_from = pos.toPoint()
            self._update_cursor()
            event.accept()
            return
        if button != Qt.MouseButton.LeftButton or not self.has_photo:
            return
        if self.compare:
            self._split_to(pos)
            self._drag_edges = frozenset({"split"})
        elif (gesture := self.tool_gesture()) is not None:
            if self.editable:
                self._gesture = gesture
                gesture.press(pos)
        elif self.tool is Tool.BRUSH and self.editable:
            point = self.view_to_image(pos)
            self._stroke = [point]
            self.mask_item.paint_segment(QPointF(*point), QPointF(*point), self.brush_radius, self.erase)
        elif self.tool is Tool.EXTEND:
            self._drag_edges = self._edges_at(pos)
            if not self._drag_edges:  # not on an edge: pan instead
                self._pan_from = pos.toPoint()
        self._update_cursor()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._mouse = pos
        if self._pan_from is not None:
            delta = pos.toPoint() - self._pan_from
            self._pan_from = pos.toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
        elif self._stroke is not None:
            point = self.view_to_image(pos)
            last = self._stroke[-1]
            if math.hypot(point[0] - last[0], point[1] - last[1]) >= 0.5:
                self._stroke.append(point)
                self.mask_item.paint_segment(QPointF(*last), QPointF(*point), self.brush_radius, self.erase)
        elif self._gesture is not None:
            self._gesture.move(pos)
        elif self._drag_edges == {"split"}:
            self._split_to(pos)
        elif self._drag_edges:
            self._drag_margins(pos)
        else:
            self._update_cursor(hover=pos)
        self.viewport().update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._pan_from = None
        elif self._stroke is not None and event.button() == Qt.MouseButton.LeftButton:
            points, self._stroke = self._stroke, None
            self.strokeFinished.emit(points, float(self.brush_radius), bool(self.erase))
        elif self._gesture is not None and event.button() == Qt.MouseButton.LeftButton:
            gesture, self._gesture = self._gesture, None
            gesture.release(event.position())
        elif self._drag_edges:
            if self._drag_edges != {"split"}:
                self.marginsCommitted.emit(self.margins)
            self._drag_edges = frozenset()
        self._update_cursor(hover=event.position())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Double-click with the Hand: 100 % at the pointer, again: fit, as photo viewers do."""
        if event.button() == Qt.MouseButton.LeftButton and self.tool is Tool.HAND and not self.compare:
            self.toggle_zoom(event.position())
            event.accept()
        else:
            super().mouseDoubleClickEvent(event)

    def enterEvent(self, event) -> None:
        """Take the keyboard (Space to pan, \\ to see the original), unless a field is being edited."""
        focus = QApplication.focusWidget()
        if self.window().isActiveWindow() and not isinstance(focus, (QAbstractSpinBox, QLineEdit, QTextEdit)):
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        self._mouse = None
        self.viewport().update()
        super().leaveEvent(event)

    def _split_to(self, pos: QPointF) -> None:
        width = self.before_item.boundingRect().width()
        if width > 0:
            x = self.mapToScene(pos.toPoint()).x() - self._origin[0]
            self.set_split(x / width)

    def _drag_margins(self, pos: QPointF) -> None:
        p = self.mapToScene(pos.toPoint())
        w, h = self._size
        m = self.margins
        left, top, right, bottom = m.left, m.top, m.right, m.bottom
        (cut_w, grow_w), (cut_h, grow_h) = margin_range(w), margin_range(h)  # inward crops, outward grows
        if "left" in self._drag_edges:
            left = min(grow_w, max(cut_w, round(-p.x())))
        if "right" in self._drag_edges:
            right = min(grow_w, max(cut_w, round(p.x() - w)))
        if "top" in self._drag_edges:
            top = min(grow_h, max(cut_h, round(-p.y())))
        if "bottom" in self._drag_edges:
            bottom = min(grow_h, max(cut_h, round(p.y() - h)))
        new = Margins(left, top, right, bottom)
        if new != self.margins:
            self.set_margins(new)
            self.marginsChanged.emit(new)

    def tool_gesture(self) -> Gesture | None:
        """The gesture registered for the current tool, if it takes the drags now."""
        gesture = self.gestures.get(self.tool)
        return gesture if gesture is not None and gesture.active() else None

    def _cancel_gesture(self) -> None:
        if self._stroke is not None:
            self._stroke = None
            self.mask_item.update()
        if self._gesture is not None:
            self._gesture, gesture = None, self._gesture
            gesture.cancel()
        self._pan_from = None
        self._drag_edges = frozenset()

    # -- keys ------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self._update_cursor()
            event.accept()
        elif event.key() == Qt.Key.Key_Backslash:
            if not event.isAutoRepeat():
                self.show_original(True)
            event.accept()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._update_cursor()
            event.accept()
        elif event.key() == Qt.Key.Key_Backslash:
            if not event.isAutoRepeat():
                self.show_original(False)
            event.accept()
        else:
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space = False
        if self.showing_original:
            self.show_original(False)
        super().focusOutEvent(event)

    # -- cursor & overlays -----------------------------------------------------------
    def _update_cursor(self, hover: QPointF | None = None) -> None:
        shape = Qt.CursorShape.ArrowCursor
        if self._pan_from is not None:
            shape = Qt.CursorShape.ClosedHandCursor
        elif self._space or (self.tool is Tool.HAND and not self.compare):
            shape = Qt.CursorShape.OpenHandCursor
        elif self.compare:
            shape = Qt.CursorShape.SplitHCursor
        elif self.editable and (gesture := self.tool_gesture()) is not None:
            shape = gesture.cursor(hover)
        elif self.tool is Tool.BRUSH and self.editable:
            shape = Qt.CursorShape.CrossCursor
        elif self.tool is Tool.EXTEND:
            edges = self._drag_edges or (self._edges_at(hover) if hover is not None else frozenset())
            if edges in ({"left", "top"}, {"right", "bottom"}):
                shape = Qt.CursorShape.SizeFDiagCursor
            elif edges in ({"right", "top"}, {"left", "bottom"}):
                shape = Qt.CursorShape.SizeBDiagCursor
            elif edges & {"left", "right"}:
                shape = Qt.CursorShape.SizeHorCursor
            elif edges & {"top", "bottom"}:
                shape = Qt.CursorShape.SizeVerCursor
            else:
                shape = Qt.CursorShape.OpenHandCursor
        self.viewport().setCursor(shape)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.has_photo:
            self._draw_placeholder(painter)
        else:
            if self.tool is Tool.EXTEND and not (self.compare or self.showing_original):
                self._draw_extend(painter)
            if self.compare or self.showing_original:
                self._draw_compare(painter)
            elif (gesture := self.tool_gesture()) is not None:
                gesture.paint(painter)
            elif self.tool is Tool.BRUSH and self._mouse is not None and self.editable and not self._space:
                self._draw_brush(painter)
        painter.restore()

    def _draw_placeholder(self, painter: QPainter) -> None:
        painter.setPen(QColor(170, 170, 175))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)

    def _draw_brush(self, painter: QPainter) -> None:
        r = self.brush_radius * self.transform().m11()
        c = self._mouse
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawEllipse(c, r, r)
        painter.setPen(QPen(QColor(255, 255, 255, 230), 1.2, Qt.PenStyle.DashLine if self.erase else Qt.PenStyle.SolidLine))
        painter.drawEllipse(c, r, r)

    def _draw_extend(self, painter: QPainter) -> None:
        inner = self.mapFromScene(self.image_rect()).boundingRect().toRectF()
        outer = self.mapFromScene(self.outer_rect()).boundingRect().toRectF()
        if outer != inner:
            grown, photo = QPainterPath(), QPainterPath()
            grown.addRect(outer)
            photo.addRect(inner)
            cut = photo.subtracted(grown)  # inward: cut off, shown dimmed
            grown = grown.subtracted(photo)  # outward: the new canvas the model fills
            painter.fillPath(grown, QColor(120, 150, 200, 70))
            painter.fillPath(grown, QBrush(QColor(200, 215, 240, 90), Qt.BrushStyle.BDiagPattern))
            painter.fillPath(cut, QColor(0, 0, 0, 150))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 120), 1))
        painter.drawRect(inner)
        painter.setPen(QPen(QColor(0, 0, 0, 180), 3))
        painter.drawRect(outer)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine))
        painter.drawRect(outer)
        half = HANDLE / 2
        xs = (outer.left(), outer.center().x(), outer.right())
        ys = (outer.top(), outer.center().y(), outer.bottom())
        painter.setPen(QPen(QColor(20, 20, 20), 1))
        painter.setBrush(QColor(255, 255, 255))
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                if i == 1 and j == 1:
                    continue
                painter.drawRect(QRectF(x - half, y - half, HANDLE, HANDLE))
        m = self.margins
        w, h = self._size[0] + m.left + m.right, self._size[1] + m.top + m.bottom
        self._label(painter, QPointF(outer.left(), outer.top() - 8), f"{w} × {h} px", above=True)

    def _draw_compare(self, painter: QPainter) -> None:
        rect = self.mapFromScene(QRectF(self._origin[0], self._origin[1],
                                        self.before_item.boundingRect().width(),
                                        self.before_item.boundingRect().height())).boundingRect().toRectF()
        if self.showing_original:
            self._label(painter, QPointF(rect.left() + 8, rect.top() + 8), "Original")
            return
        x = rect.left() + self.split * rect.width()
        painter.setPen(QPen(QColor(0, 0, 0, 150), 3))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        mid = QPointF(x, rect.center().y())
        painter.setBrush(QColor(255, 255, 255))
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
        painter.drawEllipse(mid, 10, 10)
        painter.setPen(QPen(QColor(40, 40, 40), 1.5))
        painter.drawLine(QPointF(x - 5, mid.y()), QPointF(x - 2, mid.y() - 3))
        painter.drawLine(QPointF(x - 5, mid.y()), QPointF(x - 2, mid.y() + 3))
        painter.drawLine(QPointF(x + 5, mid.y()), QPointF(x + 2, mid.y() - 3))
        painter.drawLine(QPointF(x + 5, mid.y()), QPointF(x + 2, mid.y() + 3))
        top = max(rect.top(), 0) + 8
        self._label(painter, QPointF(x - 8, top), "Before", right_align=True)
        self._label(painter, QPointF(x + 8, top), "After")

    def _label(self, painter: QPainter, at: QPointF, text: str, right_align: bool = False,
               above: bool = False) -> None:
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
        x = at.x() - w if right_align else at.x()
        y = at.y() - h if above else at.y()
        box = QRectF(x, y, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
