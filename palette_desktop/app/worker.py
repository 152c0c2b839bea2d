"""The background engine: one thread that owns the model and runs the task functions.

The work functions know nothing of Qt; :class:`_Worker` adapts their
:class:`~palette_desktop.core.progress.TaskState` to signals and lives on its own
QThread, where the model session is created once and reused for every task and batch.
:class:`Engine` is the window's side of it: it queues jobs, relays results on the GUI
thread, and cancels through the job's TaskState, which stops the task at its next step.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from palette_desktop.app.imaging import thumbnail
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import Cancelled, ModelError, PaletteError
from palette_desktop.core.imageio import Photo
from palette_desktop.core.progress import StepReport, TaskState
from palette_desktop.engine.loader import Backend, LoadedModel, load_model
from palette_desktop.tasks.batch import BatchItem, BatchReport, run_batch, unstarted_batch
from palette_desktop.tasks.run import TaskRequest, apply_task

log = logging.getLogger(__name__)

PREVIEW_SIDE = 320
PREVIEW_INTERVAL_S = 0.08

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def running_engines() -> list[Engine]:
    """Engines whose thread still runs (tests check that none is left behind)."""
    return [e for e in list(_engines) if e.is_running()]


@dataclass(frozen=True)
class ModelSpec:
    """Which model to run and where: None is the bundled default."""

    directory: Path | None = None
    backend: Backend = Backend.AUTO
    device: str = "auto"


@dataclass(eq=False)
class Job:
    """One unit of work for the worker: a task on a photo, or a batch of files."""

    label: str
    spec: ModelSpec
    photo: Photo | None = None
    request: TaskRequest | None = None
    items: list[BatchItem] = field(default_factory=list)
    skip_existing: bool = True
    quality: int = 95
    aspect: tuple[float, float] | None = None
    work: Callable[[LoadedModel, TaskState], list] | None = None  # several tasks as one job (restore old photo)
    state: TaskState = field(default_factory=TaskState)  # replaced by the engine when submitted
    steps_done: int = 0  # the last step reported (read by tests and the progress bar)

    @property
    def is_batch(self) -> bool:
        return self.photo is None

    @property
    def shift(self) -> tuple[int, int]:
        """Where the photo lands in the result: extend's left and top margins, else (0, 0)."""
        margins = self.request.margins if self.request is not None else None
        return (margins.left, margins.top) if margins is not None and self.request.task is Task.EXTEND else (0, 0)


class _Worker(QObject):
    """Lives on the engine thread; every slot runs there."""

    modelLoaded = Signal(object)  # LoadedModel
    modelFailed = Signal(str)
    modelNotice = Signal(str)  # loaded, but not as asked (CUDA missing: on the CPU)
    started = Signal(object)  # Job
    progress = Signal(object, int, int)  # Job, done, total
    preview = Signal(object, QImage)
    finished = Signal(object, object)  # Job, list[Photo]
    failed = Signal(object, str)
    cancelled = Signal(object)
    fileStatus = Signal(object, int, str)  # Job, index, status
    batchFinished = Signal(object, object)  # Job, BatchReport

    def __init__(self) -> None:
        super().__init__()
        self.model: LoadedModel | None = None
        self._serves: set[ModelSpec] = set()  # the specs the loaded model answers for

    def _ensure_model(self, spec: ModelSpec) -> LoadedModel:
        if self.model is None or spec not in self._serves:
            self.model, self._serves = None, set()
            try:
                model, used = load_model(spec.directory, spec.backend, spec.device), spec
            except ModelError as exc:
                if spec.device != "cuda":
                    raise
                # A remembered CUDA choice on a machine without it: run anyway, where it can.
                used = replace(spec, device="auto")
                model = load_model(used.directory, used.backend, used.device)
                self.modelNotice.emit(f"{str(exc).split(' (')[0]}: running on {model.backend_name} instead")
            self.model, self._serves = model, {spec, used}
            self.modelLoaded.emit(model)
        return self.model

    @Slot(object)
    def load(self, spec: ModelSpec) -> None:
        try:
            self._ensure_model(spec)
        except PaletteError as exc:
            self.modelFailed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken install must not kill the thread
            log.exception("loading the model failed")
            self.modelFailed.emit(f"the model could not be loaded ({type(exc).__name__}: {exc})")

    def reporter(self, job: Job):
        """The TaskState callback for ``job``: runs on this thread, tells the GUI by signals."""
        last = [0.0]

        def on_step(report: StepReport) -> None:
            job.steps_done = report.done
            self.progress.emit(job, report.done, report.total)
            now = time.monotonic()
            if report.preview is not None and (now - last[0] >= PREVIEW_INTERVAL_S or report.done == report.total):
                last[0] = now
                self.preview.emit(job, thumbnail(report.preview, PREVIEW_SIDE))
        return on_step

    @Slot(object)
    def run(self, job: Job) -> None:
        self.started.emit(job)
        try:
            job.state.check()
            model = self._ensure_model(job.spec)
            if job.is_batch:
                report = run_batch(job.items, job.request, model, skip_existing=job.skip_existing,
                                   quality=job.quality, state=job.state, aspect=job.aspect,
                                   on_file=lambda index, _item, status: self.fileStatus.emit(job, index, status))
                self.batchFinished.emit(job, report)
            elif job.work is not None:
                self.finished.emit(job, job.work(model, job.state))
            else:
                self.finished.emit(job, apply_task(job.photo, job.request, model, job.state))
        except Cancelled:
            if job.is_batch:  # cancelled before its first photo: it still ends with its report
                self.batchFinished.emit(job, unstarted_batch(job.items, job.request, "cancelled", cancelled=True))
            else:
                self.cancelled.emit(job)
        except PaletteError as exc:
            self._fail(job, str(exc))
        except MemoryError:
            self._fail(job, "out of memory: try fewer candidates, a lower quality or a smaller image")
        except Exception as exc:  # noqa: BLE001 - report, never kill the thread
            log.exception("%s failed", job.label)
            self.failed.emit(job, f"unexpected error ({type(exc).__name__}: {exc})")

    def _fail(self, job: Job, message: str) -> None:
        """Say why ``job`` failed; a batch (whose photos each fail on their own) failed before its first
        photo, mostly for want of a model, and leaves its report saying so."""
        if job.is_batch:
            unstarted_batch(job.items, job.request, message)
        self.failed.emit(job, message)


class Engine(QObject):
    """The window's handle on the worker thread. Signals arrive on the GUI thread."""

    modelLoaded = Signal(object)
    modelFailed = Signal(str)
    modelNotice = Signal(str)
    started = Signal(object)
    progress = Signal(object, int, int)
    preview = Signal(object, QImage)
    finished = Signal(object, object)
    failed = Signal(object, str)
    cancelled = Signal(object)
    fileStatus = Signal(object, int, str)
    batchFinished = Signal(object, object)
    busyChanged = Signal(bool)

    _load = Signal(object)
    _run = Signal(object)

    def __init__(self, spec: ModelSpec | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec or ModelSpec()
        self.model: LoadedModel | None = None
        self.model_error: str | None = None
        self.job: Job | None = None
        self._thread = QThread()
        self._thread.setObjectName("palette-engine")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._load.connect(self._worker.load)
        self._run.connect(self._worker.run)
        w = self._worker
        w.modelLoaded.connect(self._on_model_loaded)
        w.modelFailed.connect(self._on_model_failed)
        w.modelNotice.connect(self._on_model_notice)
        w.started.connect(self.started)
        w.progress.connect(self.progress)
        w.preview.connect(self.preview)
        w.fileStatus.connect(self.fileStatus)
        # Slots of this object (not lambdas), so they run on the GUI thread.
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.batchFinished.connect(self._on_batch_finished)
        self._thread.start()
        _engines.add(self)
        app = QCoreApplication.instance()
        if app is not None:  # never leave the thread running into interpreter shutdown
            app.aboutToQuit.connect(self.shutdown)

    # -- state -----------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread.isRunning()

    @property
    def busy(self) -> bool:
        return self.job is not None

    @Slot(object)
    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.model, self.model_error = model, None
        self.modelLoaded.emit(model)

    @Slot(str)
    def _on_model_failed(self, message: str) -> None:
        self.model, self.model_error = None, message
        self.modelFailed.emit(message)

    @Slot(str)
    def _on_model_notice(self, message: str) -> None:
        if self.spec.device == "cuda":  # what really runs: CUDA when it works, else the CPU
            self.spec = replace(self.spec, device="auto")
        self.modelNotice.emit(message)

    def _release(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self.busyChanged.emit(False)

    @Slot(object, object)
    def _on_finished(self, job: Job, result: list) -> None:
        self._release(job)
        self.finished.emit(job, result)

    @Slot(object, str)
    def _on_failed(self, job: Job, message: str) -> None:
        self._release(job)
        self.failed.emit(job, message)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        self._release(job)
        self.cancelled.emit(job)

    @Slot(object, object)
    def _on_batch_finished(self, job: Job, report: BatchReport) -> None:
        self._release(job)
        self.batchFinished.emit(job, report)

    # -- requests --------------------------------------------------------------------
    def set_model(self, spec: ModelSpec, load_now: bool = True) -> None:
        """Use this model from now on; it is loaded in the background (once)."""
        self.spec = spec
        if load_now:
            self._load.emit(spec)

    def run_task(self, photo: Photo, request: TaskRequest, label: str) -> Job | None:
        """Start a task; None when one is already running."""
        return self._submit(Job(label, self.spec, photo=photo, request=request))

    def run_batch(self, items: list[BatchItem], request: TaskRequest, *, skip_existing: bool = True,
                  quality: int = 95, aspect: tuple[float, float] | None = None, label: str = "Batch") -> Job | None:
        return self._submit(Job(label, self.spec, request=request, items=list(items), skip_existing=skip_existing,
                                quality=quality, aspect=aspect))

    def run_work(self, photo: Photo, work: Callable[[LoadedModel, TaskState], list], label: str) -> Job | None:
        """Start ``work(model, state)`` on the engine thread, a pipeline of tasks on ``photo``; None when busy.

        It reports progress and is cancelled like a task; it hands its own intermediate
        results to the window (by a queued signal), and ends with ``finished``.
        """
        return self._submit(Job(label, self.spec, photo=photo, work=work))

    def _submit(self, job: Job) -> Job | None:
        if self.job is not None or not self.is_running():
            return None
        job.state = TaskState(on_step=self._worker.reporter(job))
        self.job = job
        self.busyChanged.emit(True)
        self._run.emit(job)
        return job

    def cancel(self) -> None:
        """Stop the running job at its next step (thread-safe, returns at once)."""
        if self.job is not None:
            self.job.state.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel what runs and stop the thread; True when it stopped in time."""
        self.cancel()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if stopped:
            self._worker.model = None
        return stopped
