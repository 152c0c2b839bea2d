"""A whole folder, one photo at a time: goes on past bad files and never writes into the input."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from palette_desktop.core.errors import Cancelled, PaletteError, TaskError
from palette_desktop.core.imageio import READ_SUFFIXES, WRITE_FORMATS, load_image, save_image
from palette_desktop.core.masks import read_mask_file
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.tasks.extend import margins_for_aspect
from palette_desktop.tasks.run import TaskRequest, apply_task


@dataclass(frozen=True)
class BatchItem:
    source: Path
    target: Path
    mask: Path | None = None


@dataclass
class BatchReport:
    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False


def check_folders(in_dir: Path, out_dir: Path) -> None:
    """Refuse an output folder that is the input folder or lies inside it."""
    in_dir, out_dir = Path(in_dir).resolve(), Path(out_dir).resolve()
    if not in_dir.is_dir():
        raise TaskError(f"{in_dir}: input folder not found")
    if out_dir == in_dir or in_dir in out_dir.parents:
        raise TaskError("the output folder must not be the input folder or inside it: originals are never touched")


def plan_batch(in_dir: Path, out_dir: Path, *, recursive: bool = False, suffix: str | None = None,
               masks_dir: Path | None = None) -> list[BatchItem]:
    """One item per image file in ``in_dir``; outputs mirror its sub-folders in ``out_dir``."""
    check_folders(in_dir, out_dir)
    if suffix is not None and suffix.lower() not in WRITE_FORMATS:
        raise TaskError(f"unknown output format {suffix!r}; use one of {', '.join(sorted(WRITE_FORMATS))}")
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    pattern = "**/*" if recursive else "*"
    items = []
    for source in sorted(in_dir.glob(pattern)):
        if not source.is_file() or source.suffix.lower() not in READ_SUFFIXES:
            continue
        relative = source.relative_to(in_dir)
        target = out_dir / relative.with_suffix(suffix or source.suffix)
        mask = (Path(masks_dir) / relative).with_suffix(".png") if masks_dir else None
        items.append(BatchItem(source, target, mask))
    return items


def run_batch(items: list[BatchItem], request: TaskRequest, model: LoadedModel, *, skip_existing: bool = True,
              quality: int = 95, state: TaskState | None = None,
              on_file: Callable[[int, BatchItem, str], None] | None = None,
              aspect: tuple[float, float] | None = None) -> BatchReport:
    """Process every item; ``on_file(index, item, status)`` hears 'running', 'done', 'skipped' or an error.

    With ``aspect`` (extend), each photo gets the margins that give it that ratio.
    """
    report = BatchReport()
    state = state or TaskState()
    tell = on_file or (lambda *_: None)
    for index, item in enumerate(items):
        if state.cancelled:
            report.cancelled = True
            break
        if skip_existing and item.target.exists():
            report.skipped.append(item.source)
            tell(index, item, "skipped")
            continue
        tell(index, item, "running")
        try:
            photo = load_image(item.source)
            file_request = request
            if item.mask is not None:
                file_request = replace(request, mask=read_mask_file(item.mask, photo.size))
            if aspect is not None:
                file_request = replace(request, margins=margins_for_aspect(*photo.size, *aspect))
            result = apply_task(photo, file_request, model, state)[0]
            item.target.parent.mkdir(parents=True, exist_ok=True)
            save_image(result, item.target, quality=quality)
        except Cancelled:
            report.cancelled = True
            tell(index, item, "cancelled")
            break
        except PaletteError as exc:
            report.failed.append((item.source, str(exc)))
            tell(index, item, str(exc))
            continue
        except MemoryError:
            report.failed.append((item.source, "out of memory"))
            tell(index, item, "out of memory")
            continue
        report.done.append(item.source)
        tell(index, item, "done")
    return report

