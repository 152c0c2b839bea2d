"""Checking command-line option values in the parser, each with a message that says what is allowed.

Every value is refused here, before a photo is read or a model loaded, rather than
deep in a task as a traceback (``--aspect nan:1``) or silently replaced (``--steps 0``).
The task modules (numpy and more) are imported only when their option is given, so that
``palette-desktop --version`` and the window start fast.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Callable

from palette_desktop.core.errors import TaskError

if TYPE_CHECKING:
    from palette_desktop.tasks.extend import Margins


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line, like every other failure, and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"palette-desktop: {message} (see {self.prog} --help)\n")


MAX_STEPS = 1000
MAX_SEED = 2**32 - 1
MAX_ASPECT = 20.0
"""Widest (and, inverted, tallest) ratio --aspect accepts: beyond it the new canvas dwarfs the photo."""


def _whole(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number from {low} to {high}, not {text!r}")
    return value


def whole(low: int, high: int, what: str) -> Callable[[str], int]:
    """A parser type for a whole number from ``low`` to ``high``."""
    return lambda text: _whole(text, low, high, what)


def steps(text: str) -> int:
    return _whole(text, 1, MAX_STEPS, "steps")


def seed(text: str) -> int:
    return _whole(text, 0, MAX_SEED, "the seed")


def candidates(text: str) -> int:
    from palette_desktop.tasks.common import MAX_CANDIDATES

    return _whole(text, 1, MAX_CANDIDATES, "candidates")


def quality(text: str) -> int:
    return _whole(text, 1, 100, "quality (JPEG/WebP)")


def aspect(text: str) -> tuple[float, float]:
    """``"4:5"`` → (4.0, 5.0): two finite positive numbers, a ratio within 1:20 and 20:1."""
    parts = text.split(":")
    try:
        w, h = (float(v) for v in parts)
    except ValueError:
        w = h = math.nan
    if not (math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0):
        raise argparse.ArgumentTypeError(f"aspect {text!r}: give two positive numbers as W:H, e.g. 4:5")
    if not 1 / MAX_ASPECT <= w / h <= MAX_ASPECT:
        raise argparse.ArgumentTypeError(f"aspect {text!r}: the ratio must lie between 1:{MAX_ASPECT:g} "
                                         f"and {MAX_ASPECT:g}:1")
    return w, h


def margins(text: str) -> Margins:
    """``"L,T,R,B"``: four whole numbers of pixels, none negative, not all zero."""
    from palette_desktop.tasks.extend import Margins

    try:
        parsed = Margins.parse(text)
    except TaskError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if min(parsed.left, parsed.top, parsed.right, parsed.bottom) < 0:
        raise argparse.ArgumentTypeError(f"margins {text!r}: pixels to add cannot be negative")
    if parsed.is_empty():
        raise argparse.ArgumentTypeError(f"margins {text!r}: add at least one pixel on some side")
    return parsed
