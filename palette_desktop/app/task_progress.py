"""Progress of the running task, where it is always in sight: the status bar and the canvas.

The tasks count their work through :class:`~palette_desktop.core.progress.TaskState`
(``plan`` the network steps, then ``step`` each one); the window shows that count as a
percent of the work with an estimate of the time left, never as "step 1 of 240" (the
steps of a quality preset are per tile or window, not the work of the whole photo).
The status bar holds the bar and Cancel, so no tool panel or window size can hide them
(the status bar's other labels give way to them in a narrow window), and the live
preview of the area being refined sits in a corner of the canvas.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from palette_desktop.app.worker import Engine, Job

BAR_STEPS = 1000  # the bar's range: smooth even when a task has few steps
PREVIEW_SIDE = 200  # px on screen, the long side of the canvas inset
INSET_MARGIN = 12


class TimeLeft:
    """Time left from the fraction of the work done, at the pace measured since the first report.

    The first report comes after the setup (model, condition, first step), which says
    little about the pace of the steps that follow; the pace is measured from there.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._first: tuple[float, float] | None = None

    def start(self) -> None:
        self._first = None

    def update(self, fraction: float) -> float | None:
        """Seconds left once ``fraction`` of the work is done; None until the pace is known."""
        now = self.clock()
        if self._first is None:
            self._first = (now, fraction)
            return None
        t0, f0 = self._first
        if fraction <= f0 or now <= t0:
            return None
        return (1.0 - fraction) * (now - t0) / (fraction - f0)


def format_time_left(seconds: float) -> str:
    """Rounded the way people say it: "8 s", "1 min 15 s", "12 min", "1 h 7 min"."""
    if seconds < 1:
        return "less than a second"
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 600:
        minutes, rest = divmod(round(seconds / 5) * 5, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def progress_text(fraction: float, seconds_left: float | None) -> str:
    """ "42 % · about 8 s left" (or "· estimating time left" while the pace is unknown).

    "About" goes with a rounded time, not with "less than a second", which is already vague.
    """
    percent = int(fraction * 100)
    if fraction >= 1.0:
        return "100 %"
    if seconds_left is None:
        return f"{percent} % · estimating time left"
    about = "about " if seconds_left >= 1 else ""
    return f"{percent} % · {about}{format_time_left(seconds_left)} left"


class PreviewInset(QLabel):
    """The live preview of the area being refined, in the canvas's bottom-right corner."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("previewInset")
        self.setToolTip("Live preview of the area being refined")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        viewport.installEventFilter(self)

    def show_image(self, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(PREVIEW_SIDE, PREVIEW_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self.setPixmap(pixmap)
        self.resize(pixmap.size())
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        area = self.parentWidget().rect()
        self.move(area.right() - self.width() - INSET_MARGIN, area.bottom() - self.height() - INSET_MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False


class TaskProgress(QWidget):
    """The running task's name, a bar with the percent and time left, and Cancel (status bar).

    Shown only while a task of the window runs; a batch has its own in the batch dialog.
    """

    def __init__(self, engine: Engine, cancel: QAction, canvas_viewport: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self.gives_way: Sequence[QWidget] = ()
        self.estimate = TimeLeft()
        self._fraction = 0.0
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setMinimumWidth(240)
        self.bar.setTextVisible(True)
        self.cancel = QToolButton()
        self.cancel.setDefaultAction(cancel)
        self.cancel.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.inset = PreviewInset(canvas_viewport)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel)
        self.hide()
        engine.started.connect(self._started)
        engine.progress.connect(self._step)
        engine.preview.connect(self._preview)
        for signal in (engine.finished, engine.failed, engine.cancelled, engine.batchFinished):
            signal.connect(self._ended)

    def share_room_with(self, others: Sequence[QWidget]) -> None:
        """The status bar's other widgets, the first to give way first when the bar is too narrow."""
        self.gives_way = tuple(others)
        self.parentWidget().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.parentWidget():
            self._make_room()
        return False

    def _make_room(self) -> None:
        """Hide as few of the other widgets as leave the name, the bar and Cancel their full width."""
        for widget in self.gives_way:
            widget.setVisible(True)
        if self.isHidden() or self.parentWidget() is None:
            return
        spacing = self.style().pixelMetric(self.style().PixelMetric.PM_LayoutHorizontalSpacing)
        grip = 24  # the size grip and the status bar's own margins
        needed = self.sizeHint().width() + grip + sum(w.sizeHint().width() + spacing for w in self.gives_way)
        for widget in self.gives_way:
            if needed <= self.parentWidget().width():
                break
            widget.setVisible(False)
            needed -= widget.sizeHint().width() + spacing

    def _started(self, job: Job) -> None:
        if job.is_batch:
            return
        self.job = job
        self._fraction = 0.0
        self.estimate.start()
        self.label.setText(job.label.split(" · ")[0])
        self.bar.setValue(0)
        self.bar.setFormat("starting…")
        self.bar.setToolTip("")
        self.show()
        self._make_room()

    def _step(self, job: Job, done: int, total: int) -> None:
        if job is not self.job or total <= 0:
            return
        # never backwards: a task may drop planned steps it turned out not to need
        self._fraction = max(self._fraction, min(1.0, done / total))
        self.bar.setValue(round(self._fraction * BAR_STEPS))
        self.bar.setFormat(progress_text(self._fraction, self.estimate.update(self._fraction)))
        self.bar.setToolTip(f"{done} of {total} network evaluations")

    def _preview(self, job: Job, image: QImage) -> None:
        if job is self.job:
            self.inset.show_image(image)

    def _ended(self, job: Job, *_args) -> None:
        if job is self.job:
            self.clear()

    def clear(self) -> None:
        """Nothing runs: hide it all."""
        self.job = None
        self.bar.setValue(0)
        self.bar.setFormat("")
        self.hide()
        self.inset.hide()
        self._make_room()
