"""A guard against the PySide6 reference leaks on ``None`` and ``True`` that abort long sessions.

The PySide6 6.12.0 wheels in use return ``None`` from every void method (``update()``,
``setValue()``, ``scale()``, an overridden event handler…) and ``True`` from every
``Signal.emit()`` without taking a reference to them, so each such call drops one of
their references. A session makes millions of these calls (every repaint, mouse move,
zoom step and denoising step), the count reaches zero, and Python aborts with "Fatal
Python error: bool_dealloc" or "none_dealloc" (seen at quit after a long session, when
the last references are released). Python 3.12 made both objects immortal; on older
versions :func:`guard_refcounts` gives each one that leaks, once, more references than
any session can lose. Nothing is done where no leak is measured.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Callable

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

RESERVE = 1 << 40  # a million leaked references a second would take 35 years to use these up
_guarded: set[str] = set()


class _Probe(QObject):
    ping = Signal()


def _leaks(obj: object, call: Callable[[], object], times: int = 8) -> bool:
    before = sys.getrefcount(obj)
    for _ in range(times):
        call()
    return sys.getrefcount(obj) <= before - times


def leaking_singletons() -> dict[str, object]:
    """The singletons that PySide calls leak here, by name (measured on a throwaway object)."""
    probe = _Probe()
    checks = {"None": (None, lambda: probe.setObjectName("probe")), "True": (True, probe.ping.emit)}
    return {name: obj for name, (obj, call) in checks.items() if _leaks(obj, call)}


def guard_refcounts() -> list[str]:
    """Make the singletons that leak impossible to deallocate; the names of those guarded."""
    for name, obj in leaking_singletons().items():
        if name in _guarded:
            continue
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt, the first field of an object
        if abs(count.value - (sys.getrefcount(obj) - 1)) > 2:  # not the layout expected: leave it
            log.warning("PySide leaks references to %s; cannot guard against it on this Python", name)
            continue
        count.value += RESERVE
        _guarded.add(name)
    return sorted(_guarded)
