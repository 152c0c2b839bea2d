"""A whole folder, one photo at a time: goes on past bad files and never writes into the input.

Each output is named after its photo and the task that made it (``scan.colorized.png``),
so a folder can hold the results of several tasks and "skip what exists" skips only the
same task's results. A batch stops running the model as soon as the output folder takes
no more files (disk full, read-only), and an interrupt ends it with the report so far.
Each run leaves that report in the output folder as a CSV file too (``batch-report.colorized.csv``,
see :mod:`palette_desktop.tasks.batch_report`), kept up to date as the batch goes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from palette_desktop.core.atomic_write import check_output_path, probe_folder, reason, remove_stale_temp_files
from palette_desktop.core.errors import Cancelled, OutputFolderError, PaletteError, TaskError
from palette_desktop.core.imageio import (READ_SUFFIXES, WRITE_FORMATS, SavedImage, is_complete_image, load_image,
                                          save_image)
from palette_desktop.core.masks import read_mask_file
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.batch_report import DONE, FAILED, SKIPPED, BatchLog
from palette_desktop.tasks.extend import margins_for_aspect
from palette_desktop.tasks.run import TaskRequest, apply_task

if TYPE_CHECKING:
    from palette_desktop.tasks.auto import AutoRequest

OUTPUT_TAGS = {"colorize": "colorized", "inpaint": "inpainted", "extend": "extended", "jpeg": "jpeg-restored",
               "auto": "restored"}
"""The word each task adds to an output name; a task not listed adds its own name."""


@dataclass(frozen=True)
class BatchItem:
    source: Path
    target: Path
    mask: Path | None = None
    out_dir: Path | None = None  # the batch's output folder, where its report goes; None: no report


@dataclass
class BatchReport:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False
    stopped: str | None = None  # why the batch stopped early (e.g. the disk is full)
    not_started: list[Path] = field(default_factory=list)  # photos left when it stopped or was cancelled
    notes: list[tuple[Path, str]] = field(default_factory=list)  # e.g. metadata the output format could not hold
    report_file: Path | None = None  # the CSV report of this run
    report_error: str | None = None  # why the report could not be written (it may be older, or missing)


def check_folders(in_dir: Path, out_dir: Path) -> None:
    """Refuse an output folder that is the input folder or lies inside it."""
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    if not in_dir.is_dir():
        raise TaskError(f"{in_dir}: input folder not found")
    if out_dir == in_dir or in_dir in out_dir.parents:
        raise TaskError("the output folder must not be the input folder or inside it: originals are never touched")


def output_name(source_name: str, task: str, suffix: str | None = None) -> str:
    """``scan.jpg`` → ``scan.colorized.jpg`` (or the given suffix, e.g. ``.png``)."""
    stem, ext = Path(source_name).stem, suffix or Path(source_name).suffix
    return f"{stem}.{OUTPUT_TAGS.get(task, task)}{ext}"


def report_path(out_dir: Path, task: str) -> Path:
    """Where a batch of ``task`` into ``out_dir`` keeps its report: one per task, as its outputs are."""
    return Path(out_dir) / output_name("batch-report.csv", getattr(task, "value", task))


def task_name(request: TaskRequest | AutoRequest) -> str:
    """The task as :func:`plan_batch` and the command line name it: an :class:`AutoRequest` is "auto"."""
    return request.task.value if isinstance(request, TaskRequest) else "auto"


def plan_batch(in_dir: Path, out_dir: Path, *, task: str, recursive: bool = False, suffix: str | None = None,
               masks_dir: Path | None = None) -> list[BatchItem]:
    """One item per image file in ``in_dir``; outputs mirror its sub-folders in ``out_dir``.

    Refuses, naming them, two photos that would be written to one name (``scan.jpg`` and
    ``scan.png`` with ``--format png``; names differing only in case, which collide on
    Windows and macOS): one of them would silently never be restored.
    """
    check_folders(in_dir, out_dir)
    if suffix is not None and suffix.lower() not in WRITE_FORMATS:
        raise TaskError(f"unknown output format {suffix!r}; use one of {', '.join(sorted(WRITE_FORMATS))}")
    task = getattr(task, "value", task)
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    pattern = "**/*" if recursive else "*"
    items: list[BatchItem] = []
    claimed: dict[str, Path] = {}
    for source in sorted(in_dir.glob(pattern)):
        if not source.is_file() or source.suffix.lower() not in READ_SUFFIXES:
            continue
        relative = source.relative_to(in_dir)
        target = out_dir / relative.parent / output_name(relative.name, task, suffix)
        key = str(target.relative_to(out_dir)).casefold()
        if key in claimed:
            raise TaskError(f"{claimed[key].relative_to(in_dir)} and {relative} would both be written as "
                            f"{target.relative_to(out_dir)}; rename one of them"
                            + ("" if suffix is None else " or keep each photo's format"))
        claimed[key] = source
        mask = (Path(masks_dir) / relative).with_suffix(".png") if masks_dir else None
        items.append(BatchItem(source, target, mask, out_dir))
    return items


def run_batch(items: list[BatchItem], request: TaskRequest | AutoRequest, model: LoadedModel, *,
              skip_existing: bool = True, quality: int = 95, state: TaskState | None = None,
              on_file: Callable[[int, BatchItem, str], None] | None = None,
              aspect: tuple[float, float] | None = None) -> BatchReport:
    """Process every item; ``on_file(index, item, status)`` hears 'running', 'done', 'skipped' or an error.

    With ``aspect`` (extend), each photo gets the margins that give it that ratio. An
    output that exists is skipped only when it is a complete image; one left truncated by
    an older version is made again. Temporary files of a killed earlier run are removed.
    The CSV report is written as the batch goes and when it ends, however it ends.
    """
    report = BatchReport()
    state = state or TaskState()
    tell = on_file or (lambda *_: None)
    log = _log_for(items, request)
    ready: set[Path] = set()  # output folders created and known to take files
    for folder in {item.target.parent for item in items}:
        remove_stale_temp_files(folder)
    index, ending = 0, ""
    try:
        log.save()  # every photo "not done": a batch killed before its first result still has its report
        for index, item in enumerate(items):
            state.check()
            if skip_existing and _finished(item.target):
                report.skipped.append(item.source)
                log.record(index, SKIPPED, message="result exists")
                tell(index, item, "skipped")
                continue
            tell(index, item, "running")
            began = time.monotonic()
            try:
                saved = _restore_one(item, request, model, state, ready, quality, aspect)
            except Cancelled:
                raise
            except OutputFolderError as exc:
                report.stopped, ending = str(exc), f"stopped: {exc}"
                report.not_started = [i.source for i in items[index:]]
                tell(index, item, str(exc))
                break
            except (PaletteError, MemoryError) as exc:
                message = "out of memory" if isinstance(exc, MemoryError) else _without_name(str(exc), item.source)
                report.failed.append((item.source, message))
                log.record(index, FAILED, time.monotonic() - began, message)
                tell(index, item, message)
                continue
            report.done.append(item.source)
            report.notes.extend((item.source, note) for note in saved.notes)
            log.record(index, DONE, time.monotonic() - began, "; ".join(saved.notes))
            tell(index, item, "done")
    except (Cancelled, KeyboardInterrupt):  # Ctrl+C too: the report so far is what the user needs
        handled = {*report.done, *report.skipped, *(source for source, _ in report.failed)}
        report.cancelled, ending = True, "cancelled"
        report.not_started = [i.source for i in items[index:] if i.source not in handled]
        if items and items[index].source not in handled:
            tell(index, items[index], "cancelled")
    except BaseException as exc:  # a defect: the report still says how far the batch got
        log.finish(f"the batch stopped: unexpected error ({type(exc).__name__}: {exc})")
        raise
    log.finish(ending)
    report.report_file, report.report_error = log.path, log.error
    return report


def unstarted_batch(items: list[BatchItem], request: TaskRequest | AutoRequest, why: str, *,
                    cancelled: bool = False) -> BatchReport:
    """The report of a batch that ended before its first photo (cancelled, or no model): every photo not done."""
    report = BatchReport(cancelled=cancelled, not_started=[item.source for item in items])
    log = _log_for(items, request)
    log.finish(why)
    report.report_file, report.report_error = log.path, log.error
    return report


def _log_for(items: list[BatchItem], request: TaskRequest | AutoRequest) -> BatchLog:
    """The report of a planned batch, in its output folder; kept nowhere for items made without one."""
    task = task_name(request)
    out_dir = items[0].out_dir if items else None
    return BatchLog(None if out_dir is None else report_path(out_dir, task), task, [i.source for i in items],
                    [i.target for i in items])


def _restore_one(item: BatchItem, request: TaskRequest | AutoRequest, model: LoadedModel, state: TaskState,
                 ready: set[Path], quality: int, aspect: tuple[float, float] | None) -> SavedImage:
    """Check where the result goes, then read, run the model and write; raises on any failure."""
    _prepare_folder(item.target.parent, ready)
    check_output_path(item.target)
    photo = load_image(item.source)
    if item.mask is not None:
        request = replace(request, mask=read_mask_file(item.mask, photo.size))
    if aspect is not None:
        request = replace(request, margins=margins_for_aspect(*photo.size, *aspect))
    result = apply_task(photo, request, model, state)[0]
    del photo, request  # the photo and its mask: a large scan's result is encoded without them beside
    return save_image(result, item.target, quality=quality)


def _prepare_folder(folder: Path, ready: set[Path]) -> None:
    """Create an output (sub-)folder and check once that it takes files, before any model run."""
    if folder in ready:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFolderError(f"{folder}: cannot create the output folder ({reason(exc)})") from None
    probe_folder(folder)
    ready.add(folder)


def _finished(target: Path) -> bool:
    """The output exists and decodes to the end (a bad name is reported when it is written)."""
    try:
        return target.is_file() and is_complete_image(target)
    except OSError:
        return False


def _without_name(message: str, source: Path) -> str:
    """Messages name their file; a batch report lists them under the file already."""
    prefix = f"{source.name}: "
    return message[len(prefix):] if message.startswith(prefix) else message
