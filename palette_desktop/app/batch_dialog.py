"""Batch: a whole folder through one task on the engine thread, with per-file status.

The folder plan and the run are the core's :func:`plan_batch` and :func:`run_batch`:
they refuse an output folder inside the input one, go on past bad files, never write
over an original, and keep a CSV report beside the results. This dialog only gathers
the options and shows what happens: the photos as soon as a folder is chosen (and a
mistake before Start), then the share of the whole batch done with the time left, and
at the end the failures and where the results and the report are.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QProgressBar,
                               QPushButton, QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from palette_desktop.app.settings import Settings
from palette_desktop.app.task_progress import BAR_STEPS, TimeLeft, progress_text
from palette_desktop.app.tools import ASPECTS, MAX_SEED
from palette_desktop.app.worker import Engine, Job
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import PaletteError, TaskError
from palette_desktop.tasks.auto import AutoRequest
from palette_desktop.tasks.batch import BatchItem, BatchReport, plan_batch, report_path, task_name
from palette_desktop.tasks.common import QUALITY_PRESETS, SamplingOptions
from palette_desktop.tasks.extend import Margins
from palette_desktop.tasks.run import TaskRequest

RESTORE_OLD = "auto"
"""The Restore old photo task, by the name plan_batch and the command line give it (it is no single :class:`Task`)."""
COLOUR_CHOICES = (("As detected: colorize the black-and-white photos", None),
                  ("Keep black-and-white photos black and white", False),
                  ("Colorize every photo, whatever was detected", True))
"""Restore old photo's colour choice; the data is whether to colorize, None meaning as each photo is."""
TASKS = ((RESTORE_OLD, "Restore old photo"), (Task.COLORIZE, "Colorize"), (Task.JPEG, "Clean up (JPEG & noise)"),
         (Task.INPAINT, "Inpaint with masks"), (Task.EXTEND, "Extend canvas"))
FORMATS = (("Same as the original", None), ("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif"), ("WebP", ".webp"))
STATUS_COLORS = {"done": QColor(90, 180, 110), "skipped": QColor(150, 150, 150), "running": QColor(110, 160, 230),
                 "cancelled": QColor(200, 160, 80)}
FAILED_COLOR = QColor(230, 90, 80)
FAILED = Qt.ItemDataRole.UserRole  # a row's mark: its photo failed
LISTED_FAILURES = 5
"""Failures named in the summary; the list (filtered to them) and the report have them all."""


class FolderField(QWidget):
    def __init__(self, placeholder: str, purpose: str, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.purpose, self.settings = purpose, settings
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def browse(self) -> None:
        start = self.path or self.settings.last_dir(self.purpose)
        folder = QFileDialog.getExistingDirectory(self, self.edit.placeholderText(), str(start))
        if folder:
            self.edit.setText(folder)

    @property
    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path | str) -> None:
        self.edit.setText(str(path))


class BatchDialog(QDialog):
    def __init__(self, engine: Engine, settings: Settings, options: SamplingOptions, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch — restore a folder")
        self.engine, self.settings = engine, settings
        self.job: Job | None = None
        self.items: list[BatchItem] = []
        self.report: BatchReport | None = None
        self.report_file: Path | None = None  # the running or last batch's report, in its output folder
        self.error_box: QMessageBox | None = None
        self.folder_box: QMessageBox | None = None  # where the results are, when no file manager can show them
        self.estimate = TimeLeft()
        self._running_index = 0  # the photo the steps are about
        self._finished_files = 0
        self._fraction = 0.0

        self.input = FolderField("Folder with the photos", "batch_in", settings)
        self.output = FolderField("Folder for the results (not inside the input)", "batch_out", settings)
        self.task = QComboBox()
        for task, label in TASKS:
            self.task.addItem(label, task)
        self.task.setToolTip("The task run on every photo")

        # task options
        self.masks = FolderField("Folder of same-named PNG masks (white = repaint)", "masks", settings)
        self.extend_mode = QComboBox()
        self.extend_mode.addItem("Margins in pixels", "margins")
        for w, h in ASPECTS:
            self.extend_mode.addItem(f"Grow to {w}:{h}", (w, h))
            if w != h:
                self.extend_mode.addItem(f"Grow to {h}:{w}", (h, w))
        self.margin_spins = []
        margins_row = QHBoxLayout()
        for side in ("Left", "Top", "Right", "Bottom"):
            spin = QSpinBox()
            spin.setRange(0, 10000)
            spin.setSuffix(" px")
            spin.setToolTip(f"{side} margin")
            spin.setAccessibleName(f"{side} margin")
            margins_row.addWidget(QLabel(side))
            margins_row.addWidget(spin)
            self.margin_spins.append(spin)
        self.margins_widget = QWidget()
        self.margins_widget.setLayout(margins_row)
        margins_row.setContentsMargins(0, 0, 0, 0)
        self.extend_mode.currentIndexChanged.connect(
            lambda: self.margins_widget.setEnabled(self.extend_mode.currentData() == "margins"))
        self.colour = QComboBox()
        for label, colorize in COLOUR_CHOICES:
            self.colour.addItem(label, colorize)
        self.colour.setToolTip("Restore old photo colorizes the photos it finds black and white, unless told otherwise")
        # each task's own rows of the form, shown while it is chosen (in the form, so they line up with the rest)
        self.task_rows = {RESTORE_OLD: (("Colour", self.colour),), Task.INPAINT: (("Masks", self.masks),),
                          Task.EXTEND: (("Grow", self.extend_mode), ("", self.margins_widget))}
        self.task.currentIndexChanged.connect(self._task_changed)

        self.quality = QComboBox()
        for name, steps in QUALITY_PRESETS.items():
            self.quality.addItem(f"{name.capitalize()} · {steps} steps", steps)
        index = self.quality.findData(options.steps)
        if index < 0:
            self.quality.addItem(f"Custom · {options.steps} steps", options.steps)
            index = self.quality.count() - 1
        self.quality.setCurrentIndex(index)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(options.seed)
        self.recursive = QCheckBox("Include sub-folders")
        self.recursive.setToolTip("Results mirror the sub-folders in the output folder")
        self.format = QComboBox()
        for label, suffix in FORMATS:
            self.format.addItem(label, suffix)
        self.jpeg_quality = QSpinBox()
        self.jpeg_quality.setRange(1, 100)
        self.jpeg_quality.setValue(settings.jpeg_quality)
        self.jpeg_quality.setToolTip("Quality of JPEG and WebP results")
        self.skip_existing = QCheckBox("Skip photos whose result already exists")
        self.skip_existing.setChecked(True)
        self.skip_existing.setToolTip("Lets an interrupted batch carry on where it stopped")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Input folder", self.input)
        form.addRow("Output folder", self.output)
        form.addRow("Task", self.task)
        for rows in self.task_rows.values():
            for label, field in rows:
                form.addRow(label, field)
        form.addRow("Quality", self.quality)
        form.addRow("Seed", self.seed)
        form.addRow("Save as", self.format)
        form.addRow("JPEG quality", self.jpeg_quality)
        form.addRow("", self.recursive)
        form.addRow("", self.skip_existing)
        settings_box = QGroupBox("What to do")
        settings_box.setLayout(form)
        self.form = form
        self.settings_box = settings_box

        self.files = QTreeWidget()
        self.files.setHeaderLabels(["Photo", "Status"])
        self.files.setRootIsDecorated(False)
        self.files.setUniformRowHeights(True)
        self.files.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.only_failures = QCheckBox("Show only the photos that failed")
        self.only_failures.toggled.connect(self._filter_rows)
        self.only_failures.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.step_label = QLabel("")
        self.step_label.setObjectName("hint")
        self.summary = QLabel("Choose the folders and press Start.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QLabel("")  # where the results and the report are, once a batch ends
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.setObjectName("primary")
        self.cancel_button = self.buttons.addButton("Cancel batch", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = self.buttons.addButton("Show results", QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_output)
        self.close_button.clicked.connect(self.close)
        self.cancel_button.setEnabled(False)
        self.open_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(settings_box)
        layout.addWidget(self.files, 1)
        layout.addWidget(self.only_failures)
        layout.addWidget(self.progress)
        layout.addWidget(self.step_label)
        layout.addWidget(self.summary)
        layout.addWidget(self.where)
        layout.addWidget(self.buttons)
        self.resize(640, 720)

        settings.keep_choice("batch/task", self.task)
        settings.keep_choice("batch/format", self.format)
        settings.keep_choice("batch/colour", self.colour)
        self._preview_timer = QTimer(self)  # the list follows the choices, once typing pauses
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(200)
        self._preview_timer.timeout.connect(self.preview)
        for signal in (self.input.edit.textChanged, self.output.edit.textChanged, self.task.currentIndexChanged,
                       self.format.currentIndexChanged, self.recursive.toggled, self.skip_existing.toggled):
            signal.connect(self._preview_timer.start)

        engine.fileStatus.connect(self._file_status)
        engine.progress.connect(self._step)
        engine.batchFinished.connect(self._finished)
        engine.failed.connect(self._failed)
        engine.busyChanged.connect(self._update_buttons)
        self._task_changed()
        self._update_buttons()

    # -- options ---------------------------------------------------------------------
    def _task_changed(self) -> None:
        task = self.task.currentData()
        for rows_task, rows in self.task_rows.items():
            for _label, field in rows:
                self.form.setRowVisible(field, rows_task == task)

    def set_task(self, task: Task | str) -> None:
        """Choose a task: a :class:`Task`, or :data:`RESTORE_OLD`."""
        self.task.setCurrentIndex(self.task.findData(task))

    def request(self) -> tuple[TaskRequest | AutoRequest, tuple[float, float] | None]:
        task = self.task.currentData()
        options = SamplingOptions(steps=int(self.quality.currentData()), seed=self.seed.value())
        if task == RESTORE_OLD:
            return AutoRequest(options, colorize=self.colour.currentData()), None
        aspect = None
        margins = None
        if task is Task.EXTEND:
            mode = self.extend_mode.currentData()
            if mode == "margins":
                margins = Margins(*(s.value() for s in self.margin_spins))
                if margins.is_empty():
                    raise TaskError("give the margins to add, or choose an aspect ratio")
            else:
                aspect = mode
        return TaskRequest(task, options, margins=margins), aspect

    @property
    def running(self) -> bool:
        return self.job is not None

    # -- running ---------------------------------------------------------------------
    def start(self) -> None:
        try:
            self._start()
        except PaletteError as exc:
            message = str(exc)
            self.summary.setText(f"Cannot start: {message}")
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot start the batch",
                                         message[:1].upper() + message[1:], QMessageBox.StandardButton.Ok, self)
            self.error_box.open()

    def _start(self) -> None:
        in_dir, out_dir = self.input.path, self.output.path
        if in_dir is None or out_dir is None:
            raise TaskError("choose an input folder and an output folder")
        request, aspect = self.request()
        masks = None
        if self.task.currentData() is Task.INPAINT:
            masks = self.masks.path
            if masks is None or not masks.is_dir():
                raise TaskError("inpaint needs a folder of masks: PNGs named like the photos, white = repaint")
        items = plan_batch(in_dir, out_dir, task=task_name(request), recursive=self.recursive.isChecked(),
                           suffix=self.format.currentData(), masks_dir=masks)
        if not items:
            raise TaskError(f"no photos found in {in_dir}")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TaskError(f"{out_dir}: cannot create the output folder ({exc.strerror})") from None
        job = self.engine.run_batch(items, request, skip_existing=self.skip_existing.isChecked(),
                                    quality=self.jpeg_quality.value(), aspect=aspect,
                                    label=f"Batch {self.task.currentText()}")
        if job is None:
            raise TaskError("the engine is busy; wait for the running task or cancel it")
        self.settings.set_last_dir("batch_in", in_dir)
        self.settings.set_last_dir("batch_out", out_dir)
        if masks is not None:
            self.settings.set_last_dir("masks", masks)
        self.job, self.items, self.report = job, items, None
        self.report_file = report_path(out_dir, task_name(request))
        self._list(items, in_dir, skip=False)
        self._running_index = self._finished_files = 0
        self._fraction = 0.0
        self.estimate.start()
        self.progress.setRange(0, BAR_STEPS)
        self.progress.setValue(0)
        self.progress.setFormat(f"0 of {len(items)} photos")
        self.summary.setText(f"Running on {len(items)} photos…")
        self._update_buttons()

    def _list(self, items: list[BatchItem], in_dir: Path, skip: bool) -> None:
        """One row per photo: waiting, or (before Start) whether its result exists and will be skipped."""
        self.files.clear()
        self.only_failures.setChecked(False)
        self.only_failures.setVisible(False)
        self.where.setVisible(False)
        for item in items:
            status = "result exists: skipped" if skip and item.target.exists() else "waiting"
            row = QTreeWidgetItem([str(item.source.relative_to(in_dir)), status])
            row.setToolTip(0, str(item.source))
            self.files.addTopLevelItem(row)

    def preview(self) -> None:
        """The photos the batch would take, listed as soon as the input folder is known."""
        in_dir, out_dir = self.input.path, self.output.path
        if self.running or in_dir is None or not in_dir.is_dir():
            if not self.running:
                self.files.clear()
            return
        try:
            # without an output folder yet, a sibling stands in: the list is the same
            items = plan_batch(in_dir, out_dir or in_dir.with_name(f"{in_dir.name} restored"),
                               task=self.task.currentData(), recursive=self.recursive.isChecked(),
                               suffix=self.format.currentData())
        except PaletteError as exc:
            self.files.clear()
            self.summary.setText(f"Cannot start: {exc}")
            return
        self._list(items, in_dir, skip=out_dir is not None and self.skip_existing.isChecked())
        self.summary.setText(f"{len(items)} photos" + ("; choose the output folder, then Start." if out_dir is None
                                                      else "; press Start."))

    def cancel(self) -> None:
        if self.running:
            self.engine.cancel()
            self.summary.setText("Cancelling after the current step…")

    def _file_status(self, job: Job, index: int, status: str) -> None:
        if job is not self.job:
            return
        row = self.files.topLevelItem(index)
        if row is None:
            return
        row.setText(1, status)
        row.setToolTip(1, status)
        row.setForeground(1, QBrush(STATUS_COLORS.get(status, FAILED_COLOR)))
        if status == "running":
            self.files.scrollToItem(row)
            self.step_label.setText(f"{self.items[index].source.name}")
            self._running_index = index
        else:
            self._finished_files = index + 1
            self._show_share(self._finished_files / len(self.items))

    def _step(self, job: Job, done: int, total: int) -> None:
        if job is self.job and total > 0:
            self._show_share((self._running_index + min(1.0, done / total)) / len(self.items))

    def _show_share(self, fraction: float) -> None:
        """The whole batch's progress: photos finished, percent of the work, time left."""
        self._fraction = max(self._fraction, min(1.0, fraction))
        self.progress.setValue(round(self._fraction * BAR_STEPS))
        self.progress.setFormat(f"{self._finished_files} of {len(self.items)} photos · "
                                + progress_text(self._fraction, self.estimate.update(self._fraction)))

    def _finished(self, job: Job, report: BatchReport) -> None:
        if job is not self.job:
            return
        self.job, self.report = None, report
        parts = [f"{len(report.done)} restored", f"{len(report.skipped)} skipped (result exists)",
                 f"{len(report.failed)} failed"]
        text = ", ".join(parts) + (" — cancelled." if report.cancelled else ".")
        failed = report.failed
        if failed:
            text += "\n" + "\n".join(f"• {path.name}: {message}" for path, message in failed[:LISTED_FAILURES])
            if len(failed) > LISTED_FAILURES:
                text += f"\n… and {len(failed) - LISTED_FAILURES} more: see the list or the report."
        if report.stopped:  # disk full or read-only: the model was not run on the rest
            text += f"\nStopped: {report.stopped}; {len(report.not_started)} photo(s) not restored."
        self.summary.setText(text)
        if report.cancelled or report.stopped:  # no time left to show, and the photos not reached say so
            ended = "cancelled" if report.cancelled else "stopped"
            self.progress.setFormat(f"{self._finished_files} of {len(self.items)} photos · "
                                    f"{int(self._fraction * 100)} % · {ended}")
            self._mark_not_done()
        self._mark_failures({path for path, _ in failed})
        self._show_where(report.report_error)
        self.step_label.setText("")
        self._update_buttons()

    def _failed(self, job: Job, message: str) -> None:
        if job is not self.job:
            return
        self.job = None
        self.summary.setText(f"The batch stopped: {message}")
        self._show_where(None)
        self._update_buttons()

    def _mark_not_done(self) -> None:
        for index in range(self.files.topLevelItemCount()):
            row = self.files.topLevelItem(index)
            if row.text(1) == "waiting":
                row.setText(1, "not done")
                row.setForeground(1, QBrush(STATUS_COLORS["skipped"]))

    def _mark_failures(self, failed: set[Path]) -> None:
        """Mark the rows of the photos that failed; with any, offer to list only them."""
        for index, item in enumerate(self.items):
            row = self.files.topLevelItem(index)
            if row is not None:
                row.setData(0, FAILED, item.source in failed)
        self.only_failures.setText("Show only the photo that failed" if len(failed) == 1
                                   else f"Show only the {len(failed)} photos that failed")
        self.only_failures.setVisible(bool(failed))

    def _filter_rows(self, only_failures: bool) -> None:
        for index in range(self.files.topLevelItemCount()):
            row = self.files.topLevelItem(index)
            row.setHidden(only_failures and not row.data(0, FAILED))

    def _show_where(self, report_error: str | None) -> None:
        """Say where the results and the report are, or why the report is not up to date."""
        lines = [f"Results: {self.report_file.parent}"]
        if report_error is not None:  # a full disk: the version written before may be there
            state = "brought up to date" if self.report_file.is_file() else "written"
            lines.append(f"The report could not be {state}: {report_error}")
        elif self.report_file.is_file():
            lines.append(f"Report: {self.report_file}")
        self.where.setText("\n".join(lines))
        self.where.setVisible(True)
        self.open_button.setEnabled(self.report_file.parent.is_dir())

    def _update_buttons(self, *_args) -> None:
        running = self.running
        self.start_button.setEnabled(not running and not self.engine.busy)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)
        self.settings_box.setEnabled(not running)

    def open_output(self) -> None:
        """Show the last batch's results folder in the file manager, or say where it is where none is set up."""
        if self.report_file is None:
            return
        folder = self.report_file.parent
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return
        text = f"No file manager is set up to show folders. The results are in:\n{folder}"
        if self.report_file.is_file():
            text += f"\n\nThe batch's report:\n{self.report_file}"
        self.folder_box = QMessageBox(QMessageBox.Icon.Information, "Where the results are", text,
                                      QMessageBox.StandardButton.Ok, self)
        self.folder_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_box.open()

    # -- closing ---------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self.running:
            event.ignore()
            self.summary.setText("Cancel the batch before closing.")
            return
        super().closeEvent(event)

    def reject(self) -> None:  # Esc
        if not self.running:
            super().reject()
