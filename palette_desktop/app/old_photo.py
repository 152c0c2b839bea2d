"""Old photos in the window: "Detect Damage" and "Restore Old Photo…".

Detect Damage marks the scratches, cracks and dust it finds on the brush mask, as one
undo step, and picks the Brush: the user erases what is not damage (or paints what it
missed) before Inpaint. It looks on a pool thread (up to a few seconds on a large scan),
so the window keeps answering meanwhile; it needs no model, so it does not queue behind
the engine. Restore Old Photo runs tasks/auto.py's steps as one job on the
engine — detect, repair, clean up, colorize if black and white — with one progress bar
and one Cancel; each step's result lands on the history as its own entry the moment it
is done, so the user can step back to before Colorize, fix the mask and go on from
there. A cancel keeps the steps already done.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QLabel, QRadioButton,
                               QVBoxLayout, QWidget)

from palette_desktop.app.dialogs import fit_title
from palette_desktop.app.document import PhotoChange, mask_change
from palette_desktop.app.tools import Tool
from palette_desktop.app.worker import Job
from palette_desktop.core.errors import PaletteError
from palette_desktop.core.imageio import Photo
from palette_desktop.core.monochrome import is_monochrome
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.damage_detector import detect_damage
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.auto import AutoRequest, Step, StepResult, describe_plan, make_plan, restore_old_photo

LABEL = "Restore old photo"


class RestoreDialog(QDialog):
    """What Restore Old Photo will do: which damage to repair, and whether to colorize. It
    says what the photo was found to be and ticks Colorize for a black-and-white one; the
    user decides, whatever was found. The plan is said in the command line's words."""

    def __init__(self, parent: QWidget, has_mask: bool, monochrome: bool, painted: float = 0.0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore Old Photo")
        fit_title(self)
        self.monochrome, self.painted_share = monochrome, painted
        intro = QLabel("Repairs scratches, cracks and dust, cleans up JPEG blocks, grain and noise, and gives a "
                       "black-and-white photo colour. Each step is a step of the history: go back to any of them.")
        intro.setWordWrap(True)
        self.detect = QRadioButton("Find the damage by itself")
        self.painted = QRadioButton("Repair what the mask covers")
        self.painted.setEnabled(has_mask)
        (self.painted if has_mask else self.detect).setChecked(True)
        self.found = QLabel("It looks like a black-and-white print (plain or toned)." if monochrome
                            else "It looks like a colour photo.")
        self.colorize = QCheckBox("Colorize it")
        self.colorize.setChecked(monochrome)
        self.colorize.setToolTip("Ticked for a photo found black and white; tick or untick it to decide yourself")
        self.plan = QLabel()
        self.plan.setWordWrap(True)
        self.plan.setObjectName("hint")
        for button in (self.detect, self.painted, self.colorize):
            button.toggled.connect(self._show_plan)
        self._show_plan()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Restore")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.detect, self.painted, self.found, self.colorize, self.plan, buttons):
            layout.addWidget(widget)

    def _show_plan(self) -> None:
        damage = self.painted_share if self.painted.isChecked() else None
        self.plan.setText(f"Plan: {describe_plan(make_plan(self.monochrome, self.colorize.isChecked(), damage))}")


class OldPhotoTools(QObject):
    """A window's Detect Damage and Restore Old Photo actions and the job that runs the steps."""

    stepDone = Signal(object, object)  # Job, StepResult: emitted on the engine thread, handled on the GUI's
    detected = Signal(object, object)  # Photo, mask or error text: emitted on a pool thread, handled on the GUI's

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.job: Job | None = None
        self._starting = False  # the engine tells the window it is busy before run_work returns the job
        self.dialog: RestoreDialog | None = None
        self._expected: Photo | None = None  # the photo the next step's result must follow
        self.detecting: Photo | None = None  # the photo being examined by Detect Damage
        a = window._action
        a("detect_damage", "&Detect Damage", "Ctrl+Shift+D",
          "Mark scratches, cracks and dust on the mask; erase what is not damage, then Inpaint",
          self.detect, "detect").setIconText("Detect Damage")
        a("restore_old", "Restore &Old Photo…", "Ctrl+Shift+R",
          "Repair damage, clean up, colorize if black and white: each step on the history", self.restore_dialog,
          "restore-old").setIconText("Restore Old")
        self.stepDone.connect(self._on_step, Qt.ConnectionType.QueuedConnection)
        self.detected.connect(self._on_detected, Qt.ConnectionType.QueuedConnection)
        engine = window.engine
        engine.finished.connect(lambda job, _results: self._ended(job, f"{LABEL}: done"))
        engine.failed.connect(lambda job, _message: self._ended(job, None))
        engine.cancelled.connect(lambda job: self._ended(job, "Cancelled; the steps done are in the history"))
        engine.busyChanged.connect(self.update_actions)
        engine.modelLoaded.connect(self.update_actions)
        window.history.documentReplaced.connect(self.update_actions)

    @property
    def running(self) -> bool:
        return self.job is not None or self._starting

    def update_actions(self, *_args) -> None:
        window = self.window
        idle = (window.document is not None and not window.engine.busy and window.picker is None
                and self.detecting is None)
        tasks = set(window.model.manifest.tasks) if window.model is not None else set()
        window.actions["detect_damage"].setEnabled(idle)
        window.actions["restore_old"].setEnabled(idle and {"inpaint", "jpeg", "colorize"} <= tasks)

    # -- detect ------------------------------------------------------------------------
    def detect(self) -> None:
        """Look for damage on a pool thread; what it finds is added to the mask (one undo step)."""
        window, doc = self.window, self.window.document
        if doc is None or window.engine.busy or self.detecting is not None:
            return
        photo = self.detecting = doc.photo
        self.update_actions()
        window.statusBar().showMessage("Looking for scratches, cracks and dust…")

        def look() -> None:  # on a pool thread
            try:
                found: np.ndarray | str = detect_damage(photo.pixels)
            except MemoryError:
                found = "out of memory while looking for damage"
            except PaletteError as exc:  # a broken install: the detector's file missing or damaged
                found = str(exc)
            try:
                self.detected.emit(photo, found)
            except RuntimeError:  # the window closed meanwhile
                pass

        QThreadPool.globalInstance().start(look)

    def _on_detected(self, photo: Photo, found: np.ndarray | str) -> None:
        """Add what was found to the mask and pick the Brush to correct it, if the photo is still open."""
        window, doc = self.window, self.window.document
        self.detecting = None
        self.update_actions()
        if isinstance(found, str):
            window.statusBar().showMessage(f"Detect Damage: {found}", 6000)
            return
        if doc is None or doc.photo is not photo:
            window.statusBar().showMessage("The photo changed while damage was looked for; look again", 6000)
            return
        share = float(found.mean())
        if share == 0:
            window.statusBar().showMessage("No scratches, cracks or dust found; paint the damage with the Brush", 6000)
            return
        window.history.push(mask_change(doc.mask, np.maximum(doc.mask, found), "Detect damage"))
        window.set_tool(Tool.BRUSH)
        window.statusBar().showMessage(f"Damage marked on {100 * share:.1f} % of the photo: erase what is not "
                                       "damage (X), paint what was missed, then Inpaint (Ctrl+I)", 10000)

    # -- restore -----------------------------------------------------------------------
    def restore_dialog(self) -> Job | None:
        doc = self.window.document
        if doc is None or self.window.engine.busy:
            return None
        self.dialog = RestoreDialog(self.window, doc.has_mask(), is_monochrome(doc.photo.pixels),
                                    float((doc.mask > 0).mean()))
        if self.dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.restore(use_mask=self.dialog.painted.isChecked(), colorize=self.dialog.colorize.isChecked())

    def restore(self, use_mask: bool = False, colorize: bool | None = None) -> Job | None:
        """Start the steps on the current photo (``colorize`` None: if it is found black and
        white); None when it cannot start now."""
        window, doc = self.window, self.window.document
        if doc is None or window.engine.busy or not window.actions["restore_old"].isEnabled():
            return None
        request = AutoRequest(window.options_panel.options(), colorize=colorize,
                              mask=doc.mask if use_mask and doc.has_mask() else None)  # masks are never changed in place
        photo = doc.photo
        holder: list[Job] = []

        def work(model: LoadedModel, state: TaskState) -> list[Photo]:  # on the engine thread
            last = photo
            for result in restore_old_photo(photo, request, model, state):
                self.stepDone.emit(holder[0], result)
                last = result.photo
            return [last]

        self._starting = True
        try:
            job = window.engine.run_work(photo, work, f"{LABEL} · seed {request.options.seed}")
        finally:
            self._starting = False
        if job is None:
            return None
        holder.append(job)
        self.job, self._expected = job, photo
        window.statusBar().showMessage(f"{LABEL}…")
        return job

    def _on_step(self, job: Job, result: StepResult) -> None:
        window, doc = self.window, self.window.document
        if job is not self.job or doc is None or doc.photo is not self._expected:
            return  # another photo was opened meanwhile: the result is not for it
        seed = f" · seed {job.label.split(' · seed ')[-1]}"
        if result.step is Step.DETECT:
            window.history.push(mask_change(doc.mask, result.mask, "Detect damage"))
        else:  # inpaint uses the mask up; the other steps keep it
            window.history.push(PhotoChange(doc, result.photo, result.step.value + seed,
                                            keep_mask=result.step is not Step.INPAINT))
        self._expected = doc.photo
        window.task_progress.label.setText(f"{LABEL} · {result.step.value} done")

    def _ended(self, job: Job, message: str | None) -> None:
        if job is not self.job:
            return
        self.job = None
        self.update_actions()
        if message:  # after the window's own word on the job
            QTimer.singleShot(0, lambda: self.window.status_note.say(message, 6000))
