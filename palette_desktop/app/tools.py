"""The tools and their settings panels: brush mask, crop-extend, sampling options.

The panels hold no state of their own beyond their widgets: they emit what the user set,
and their buttons are the window's QActions, so a shortcut, a menu entry and a button
are one thing that is enabled and disabled together.
"""

from __future__ import annotations

import random
from enum import Enum

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSlider, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

from palette_desktop.tasks.common import MAX_CANDIDATES, QUALITY_PRESETS, SamplingOptions
from palette_desktop.tasks.extend import MAX_GROWTH, Margins, margins_for_aspect

MAX_BRUSH = 500
MAX_FEATHER = 100
ASPECTS = ((4, 5), (1, 1), (3, 2), (16, 9))
MAX_SEED = 2**31 - 1
MIN_KEPT = 16  # px of the photo a crop-extend frame always keeps in each direction


class Tool(Enum):
    HAND = "hand"
    BRUSH = "brush"
    EXTEND = "extend"
    CROP = "crop"  # the crop and straighten tools live in transform_tools.py
    STRAIGHTEN = "straighten"


def margin_range(side: int) -> tuple[int, int]:
    """The most a frame edge may move inward (negative: a crop) and outward (a grow) for a side this long.

    Inward, each edge takes at most half of what is left above MIN_KEPT pixels, so the two
    together never cut the photo away.
    """
    return -max(0, (side - MIN_KEPT) // 2), int(MAX_GROWTH * side)


def action_button(action: QAction, text: str | None = None, primary: bool = False) -> QToolButton:
    """A push-button look for a window action (same enabled state, tooltip and shortcut)."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if text:
        button.setText(text)
    if primary:
        button.setObjectName("primary")
    return button


class PanelScrollArea(QScrollArea):
    """Scrolls a panel up and down, never sideways: it is at least as wide as the panel needs.

    A scroll area's minimum size knows only its scroll bars, so the dock could be narrower
    than the panel's widgets and cut them off on the right, with no scroll bar to reach
    them. Here the minimum width is the panel's (with the vertical scroll bar and the
    frame), and it follows the panel as the tools' pages are shown and hidden.
    """

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setWidget(panel)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        panel.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        needed = (self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                  + 2 * self.frameWidth())
        return QSize(max(hint.width(), needed), hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # a page shown or hidden: the dock asks the minimum width again
        return super().eventFilter(watched, event)


class BrushPanel(QGroupBox):
    """Brush size, feather, eraser; clear, invert and Inpaint."""

    changed = Signal()

    def __init__(self, actions: dict[str, QAction], parent=None) -> None:
        super().__init__("Brush mask", parent)
        self.size = QSpinBox()
        self.size.setRange(1, MAX_BRUSH)
        self.size.setValue(40)
        self.size.setSuffix(" px")
        self.size.setToolTip("Brush diameter in image pixels ( [ smaller, ] bigger )")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, MAX_BRUSH)
        self.slider.setValue(40)
        self.slider.setToolTip(self.size.toolTip())
        self.size.valueChanged.connect(self.slider.setValue)
        self.slider.valueChanged.connect(self.size.setValue)
        self.feather = QSpinBox()
        self.feather.setRange(0, MAX_FEATHER)
        self.feather.setValue(4)
        self.feather.setSuffix(" px")
        self.feather.setToolTip("Soft edge of the repaired area when inpainting ( { less, } more )")
        self.eraser = QCheckBox("Eraser")
        self.eraser.setToolTip("Paint to remove from the mask (X)")
        actions["eraser"].toggled.connect(self.eraser.setChecked)
        self.eraser.toggled.connect(actions["eraser"].setChecked)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        size_row = QHBoxLayout()
        size_row.addWidget(self.slider, 1)
        size_row.addWidget(self.size)
        form.addRow("Size", size_row)
        form.addRow("Feather", self.feather)
        form.addRow("", self.eraser)
        buttons = QHBoxLayout()
        buttons.addWidget(action_button(actions["clear_mask"], "Clear"))
        buttons.addWidget(action_button(actions["invert_mask"], "Invert"))
        layout = QVBoxLayout(self)
        self.hint = QLabel("Paint over scratches, dust, tears or anything to remove, then Inpaint.")
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(action_button(actions["inpaint"], primary=True))
        for signal in (self.size.valueChanged, self.feather.valueChanged, self.eraser.toggled):
            signal.connect(self.changed)

    @property
    def radius(self) -> float:
        return self.size.value() / 2

    def grow(self, factor: float) -> None:
        """[ and ]: about 15 % a press, at least one pixel."""
        value = self.size.value()
        new = max(value + 1, round(value * factor)) if factor > 1 else min(value - 1, round(value * factor))
        self.size.setValue(max(1, min(MAX_BRUSH, new)))

    def grow_feather(self, step: int) -> None:
        self.feather.setValue(self.feather.value() + step)


class ExtendPanel(QGroupBox):
    """Margins in pixels, aspect presets, reset and Extend."""

    marginsChanged = Signal(object)  # Margins

    def __init__(self, actions: dict[str, QAction], parent=None) -> None:
        super().__init__("Crop-extend", parent)
        self._size = (0, 0)
        self.spins: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        for side, (row, col), tip in (("top", (0, 1), "above"), ("left", (1, 0), "left"), ("right", (1, 2), "right"),
                                      ("bottom", (2, 1), "below")):
            tip = f"Pixels to add {tip} (negative: pixels to cut off)"
            spin = QSpinBox()
            spin.setRange(0, 100000)
            spin.setSuffix(" px")
            spin.setToolTip(tip)
            spin.setAccessibleName(f"{side} margin")
            spin.valueChanged.connect(self._spin_changed)
            self.spins[side] = spin
            grid.addWidget(spin, row, col)
        self.size_label = QLabel("")
        self.size_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.size_label.setObjectName("hint")
        grid.addWidget(self.size_label, 1, 1)
        aspects = QHBoxLayout()
        self.aspect_buttons: list[QToolButton] = []
        for w, h in ASPECTS:
            button = QToolButton()
            button.setText(f"{w}:{h}")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setToolTip(f"Grow the canvas to {w}:{h} (turned to match the photo: {h}:{w} for a landscape one)"
                              if w != h else "Grow the canvas to a square")
            button.clicked.connect(lambda _=False, r=(w, h): self.apply_aspect(*r))
            aspects.addWidget(button)
            self.aspect_buttons.append(button)
        self.swap = QCheckBox("Turn ratios")
        self.swap.setToolTip("Use the presets the other way round (e.g. 16:9 on a portrait photo)")
        reset = QToolButton()
        reset.setText("Reset")
        reset.setToolTip("Set every margin back to 0")
        reset.clicked.connect(lambda: self.set_margins(Margins(), emit=True))
        row = QHBoxLayout()
        row.addWidget(self.swap)
        row.addStretch(1)
        row.addWidget(reset)
        layout = QVBoxLayout(self)
        hint = QLabel("Drag the dashed frame's edges outward to grow the canvas, inward to crop, or type margins.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout.addWidget(hint)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Aspect ratio"))
        layout.addLayout(aspects)
        layout.addLayout(row)
        layout.addWidget(action_button(actions["extend"], primary=True))

    def set_photo_size(self, size: tuple[int, int]) -> None:
        self._size = size
        w, h = size
        for side, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setRange(*margin_range(w if side in ("left", "right") else h))
            spin.blockSignals(False)
        self._update_label()

    def margins(self) -> Margins:
        s = self.spins
        return Margins(s["left"].value(), s["top"].value(), s["right"].value(), s["bottom"].value())

    def set_margins(self, margins: Margins, emit: bool = False) -> None:
        for side, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(getattr(margins, side))
            spin.blockSignals(False)
        self._update_label()
        if emit:
            self.marginsChanged.emit(self.margins())

    def apply_aspect(self, w: int, h: int) -> None:
        pw, ph = self._size
        if not pw or not ph:
            return
        if w != h and (pw > ph) != (w > h):
            w, h = h, w
        if self.swap.isChecked():
            w, h = h, w
        self.set_margins(margins_for_aspect(pw, ph, w, h), emit=True)

    def _spin_changed(self) -> None:
        self._update_label()
        self.marginsChanged.emit(self.margins())

    def _update_label(self) -> None:
        m = self.margins()
        w, h = self._size
        self.size_label.setText(f"{w + m.left + m.right} × {h + m.top + m.bottom}" if w else "")


class OptionsPanel(QGroupBox):
    """Quality (steps), seed with a dice, candidates."""

    def __init__(self, actions: dict[str, QAction], parent=None) -> None:
        super().__init__("Options", parent)
        self.quality = QComboBox()
        for name, steps in QUALITY_PRESETS.items():
            self.quality.addItem(f"{name.capitalize()} · {steps} steps", steps)
        self.quality.setCurrentIndex(1)
        self.quality.setToolTip("More denoising steps: finer results, slower")
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("The same seed and settings give the same result; change it for another take")
        dice = QToolButton()
        dice.setDefaultAction(actions["new_seed"])
        dice.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        actions["new_seed"].triggered.connect(self.roll)
        self.candidates = QSpinBox()
        self.candidates.setRange(1, MAX_CANDIDATES)
        self.candidates.setToolTip("Make several versions at once and pick the best from thumbnails")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(dice)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Quality", self.quality)
        form.addRow("Seed", seed_row)
        form.addRow("Candidates", self.candidates)

    def roll(self) -> None:
        self.seed.setValue(random.randint(0, 99999))

    def set_steps(self, steps: int) -> None:
        index = self.quality.findData(steps)
        if index < 0:
            self.quality.addItem(f"Custom · {steps} steps", steps)
            index = self.quality.count() - 1
        self.quality.setCurrentIndex(index)

    @property
    def steps(self) -> int:
        return int(self.quality.currentData())

    def options(self) -> SamplingOptions:
        return SamplingOptions(steps=self.steps, seed=self.seed.value(), candidates=self.candidates.value())
