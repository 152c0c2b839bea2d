"""Will a photo fit in memory? Asked before any work, so that a large scan is refused in
one line instead of the system killing the program halfway.

What a task takes was measured (``benchmarks/memory.py``): a fixed part (Python, the
libraries, ONNX Runtime's buffers for one tile) and bytes per pixel of the photo for
the photo, its result and the task's working bands, a little more than measured. What
is available is what the system says a program can still take without swapping:
``MemAvailable`` on Linux (or less, where a container's or a slice's cgroup limits the
process: :mod:`palette_desktop.core.cgroup`), the available physical memory on Windows,
elsewhere (macOS has no such figure) all of the memory, so that only what can never fit
is refused. The environment variable :data:`MEMORY_VARIABLE` (say ``4G`` or ``1500M``)
sets it instead: for a machine whose memory other work needs, and for the tests.
"""

from __future__ import annotations

import math
import os
import sys

from palette_desktop.core.cgroup import cgroup_room
from palette_desktop.core.errors import NotEnoughMemory, PaletteError

MEMORY_VARIABLE = "PALETTE_DESKTOP_MEMORY"

FIXED_BYTES = 700_000_000
"""The process before the photo counts: Python, NumPy, OpenCV, Qt or not, ONNX Runtime
and its buffers for one tile of the network (0.65 GB measured)."""

BYTES_PER_PIXEL = {
    "colorize": (10.0, 16.0),
    "inpaint": (14.0, 20.0),
    "extend": (15.0, 21.0),
    "jpeg": (12.0, 20.0),
    "auto": (16.0, 24.0),
}
"""Bytes per pixel a task takes at its peak, photo and result included, for an 8-bit and
a 16-bit photo and one result (``benchmarks/memory.py`` measures them); extend counts the
pixels of the larger canvas."""

EXTRA_RESULT_BYTES = (4.0, 7.0)
"""Bytes per pixel each result beyond the first adds (8-bit, 16-bit)."""

WINDOW_BYTES_PER_PIXEL = 12.0
"""What the window holds per pixel beside a task's own, at the most: the mask, its overlay,
a feathered copy, the History's results, and the photo as shown, drawn from its own
pixels when they are 8-bit (``benchmarks/memory.py --window`` at 100 MP: Restore Old
Photo 2.95 GB in the window against 2.13 through the CLI, inpaint 2.70 against 1.94);
4 more for the 8-bit copy a 16-bit or transparent photo is shown from."""

_window_per_pixel = 0.0

GB = 1e9


def count_the_window() -> None:
    """From now on, count in every check what the window holds beside a task: a process
    that shows the photo takes more for it than the command line does."""
    global _window_per_pixel
    _window_per_pixel = WINDOW_BYTES_PER_PIXEL


def bytes_per_pixel(task: str, sixteen_bit: bool, results: int = 1) -> float:
    """What ``task`` takes per pixel at its peak, for ``results`` candidates, the window's part included."""
    depth = int(sixteen_bit)
    return BYTES_PER_PIXEL[task][depth] + (results - 1) * EXTRA_RESULT_BYTES[depth] + _window_per_pixel


def most_bytes_per_pixel(sixteen_bit: bool) -> float:
    """What the most demanding task takes per pixel, for one result: a photo that fits it fits them all."""
    return max(bytes_per_pixel(task, sixteen_bit) for task in BYTES_PER_PIXEL)


def check_fits(what: str, pixels: int, per_pixel: float, held_per_pixel: float = 0.0) -> None:
    """Raise :class:`NotEnoughMemory` when ``pixels`` at ``per_pixel`` bytes will not fit.

    ``held_per_pixel`` is what of it is in memory already (the photo, once opened): not
    free, but a smaller photo would hold less, so it counts in what fits as well. ``what``
    names the photo or the task in the message.
    """
    free = available_memory()
    if free is None:
        return
    need = FIXED_BYTES + pixels * per_pixel
    if need - pixels * held_per_pixel <= free:
        return
    # whole MP, rounded down: they fit (a float photo held may count as much as a task takes)
    fits = int((free - FIXED_BYTES) / max(per_pixel - held_per_pixel, 1.0) / 1e6)
    what_fits = f"about {fits} MP fits" if fits >= 1 else "too little for any photo; close other programs"
    # rounded apart, so that what is needed never reads as what is free ("0.8 GB; 0.8 GB is free")
    # nor the photo as what fits ("84 MP needs …; about 84 MP fits")
    raise NotEnoughMemory(f"{what}: {math.ceil(pixels / 1e6)} MP needs about {math.ceil(need / GB * 10) / 10:.1f} GB; "
                          f"{math.floor(free / GB * 10) / 10:.1f} GB is free — {what_fits}")


def available_memory() -> int | None:
    """Bytes a program can still take without swapping; None where the system does not say."""
    setting = os.environ.get(MEMORY_VARIABLE)
    if setting:
        return parse_size(setting)
    if sys.platform.startswith("linux"):
        free = None
        try:
            with open("/proc/meminfo", encoding="ascii") as info:
                free = next((int(line.split()[1]) * 1024 for line in info if line.startswith("MemAvailable:")), None)
        except OSError:
            pass
        room = cgroup_room()  # a container's or a slice's limit, tighter than the machine's memory
        if free is not None or room is not None:
            return min(x for x in (free, room) if x is not None)
    if sys.platform == "win32":
        return _windows_available()
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def parse_size(text: str) -> int:
    """``"4G"``, ``"1500M"``, ``"800000000"`` in bytes (K, M, G, T: powers of 1024; a trailing B is allowed)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    size = text.strip().upper().removesuffix("B")
    scale = units.get(size[-1:], 1)
    try:
        value = int(float(size[:-1] if scale > 1 else size) * scale)
    except (ValueError, OverflowError):  # not a number, or infinite
        value = 0
    if value <= 0:
        raise PaletteError(f"{MEMORY_VARIABLE}={text!r}: give a size such as 4G or 1500M")
    return value


def _windows_available() -> int | None:
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

    status = MemoryStatus(dwLength=ctypes.sizeof(MemoryStatus))
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullAvailPhys)


def peak_resident_bytes() -> int:
    """The most memory this process has held at once (its peak RSS), for measuring what a task takes.

    Read from VmHWM on Linux, which starts afresh at exec (``ru_maxrss`` keeps what the
    parent held before the fork), elsewhere from ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
    except (OSError, StopIteration):
        import resource  # not on Windows, where the tests that measure this are skipped

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
