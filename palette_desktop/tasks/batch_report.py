"""A batch's report: one CSV row per photo (photo, task, output, status, seconds, message).

The report lies beside the outputs and is rewritten whole, atomically, as the batch goes
(at most once a second, so a batch of many small photos does not spend its time
rewriting it) and once more when the batch ends, however it ends. A batch that is
cancelled, stops on a full disk or is killed therefore still leaves a valid report: a
killed one's last second may show photos as "not done" whose results are already there.
Every row is there from the start, "not done" until its photo is handled, so the report
always covers the whole folder; a rerun writes it anew, with the photos whose result
exists as "skipped".
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Sequence

from palette_desktop.core.atomic_write import reason, write_atomically
from palette_desktop.core.errors import ImageError

COLUMNS = ("photo", "task", "output", "status", "seconds", "message")
DONE, SKIPPED, FAILED, NOT_DONE = "done", "skipped", "failed", "not done"
SAVE_INTERVAL_S = 1.0
ENCODING = "utf-8-sig"
"""With a byte-order mark, so that spreadsheet programs read accented names right."""


class BatchLog:
    """The rows of one batch run and the file they are kept in.

    ``photos`` and ``outputs`` are in the batch's order; an output is written in the
    report relative to the report's folder, and only once it exists (done or skipped).
    A report that cannot be written does not stop the batch: :attr:`error` says why.
    With no ``path`` (items planned without an output folder) the rows are kept nowhere.
    """

    def __init__(self, path: Path | None, task: str, photos: Sequence[Path], outputs: Sequence[Path]) -> None:
        self.path = path
        self.error: str | None = None
        self._outputs = list(outputs)
        self._rows: list[list] = [[str(photo), task, None, NOT_DONE, "", ""] for photo in photos]
        self._saved_at = float("-inf")

    def record(self, index: int, status: str, seconds: float | None = None, message: str = "") -> None:
        """Set one photo's row; the file follows within :data:`SAVE_INTERVAL_S`."""
        row = self._rows[index]
        row[2] = self._outputs[index] if status in (DONE, SKIPPED) else None
        row[3], row[4], row[5] = status, "" if seconds is None else f"{seconds:.2f}", message
        if time.monotonic() - self._saved_at >= SAVE_INTERVAL_S:
            self.save()

    def finish(self, why: str = "") -> None:
        """Give the photos left undone their reason (cancelled, the disk is full…) and write the file now."""
        for row in self._rows:
            if row[3] == NOT_DONE:
                row[5] = why
        self.save()

    def save(self) -> None:
        """Write every row to the file at once; on failure keep the reason in :attr:`error`."""
        if self.path is None:
            return
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        folder = self.path.parent
        writer.writerows([photo, task, "" if output is None else output.relative_to(folder), *rest]
                         for photo, task, output, *rest in self._rows)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(text.getvalue().encode(ENCODING, errors="backslashreplace"), self.path)
        except OSError as exc:
            self.error = f"{folder}: cannot create the folder ({reason(exc)})"
        except ImageError as exc:
            self.error = str(exc)
        else:
            self.error = None
        self._saved_at = time.monotonic()
