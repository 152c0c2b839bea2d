"""Reading what a batch leaves in its output folder: the results, and the CSV report beside them."""

from __future__ import annotations

import csv
from pathlib import Path

from palette_desktop.tasks.batch_report import COLUMNS, ENCODING


def is_report(path: Path) -> bool:
    return path.name.startswith("batch-report.") and path.suffix == ".csv"


def results(folder: Path) -> list[Path]:
    """The files a batch wrote into ``folder`` other than its reports, by name."""
    return sorted((p for p in Path(folder).iterdir() if not is_report(p)), key=lambda p: p.name)


def report_rows(path: Path) -> list[dict[str, str]]:
    """The report's rows; fails unless it is a whole CSV file with the report's columns."""
    with open(path, newline="", encoding=ENCODING) as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS, reader.fieldnames
    assert all(None not in row and None not in row.values() for row in rows), rows  # no row cut short or too long
    return rows
