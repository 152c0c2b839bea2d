"""Crash recovery's files: what a session keeps on disk, and how; no Qt here.

A session is a folder of the user's data folder (``recovery/session-…``) that one window
fills as the work goes. Each state of the history (the photo it starts from, then the
document after every step) is a :class:`State` naming the files that hold its arrays.
A file holds a whole array, or a patch: the box of an array that changed, laid over the
file of the state before, so a brush stroke or an inpaint writes the pixels it changed,
not the photo again. Files are lossless: 8- and 16-bit arrays as PNG (so are float
arrays whose values are exactly n/255 or n/65535, as masks mostly are), others as NPY.
``index.json`` names the states and the files; it is written last, atomically, and only
once every file it names is on disk, so a session cut short is never offered half-written.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import platformdirs

from palette_desktop.core.atomic_write import write_atomically
from palette_desktop.core.errors import PaletteError
from palette_desktop.core.pixels import row_bands
from palette_desktop.engine.loader import APP_NAME

ROOT_ENV = "PALETTE_DESKTOP_RECOVERY_DIR"
"""Where sessions go instead of the user's data folder (tests, portable installs)."""
INDEX_NAME = "index.json"
LOCK_NAME = "lock"
SESSION_PREFIX = "session-"
FORMAT = 1

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_NPY_SIGNATURE = b"\x93NUMPY"
_PNG_LEVEL = 1  # zlib's fastest: a 12 MP photo in a fraction of a second; masks shrink to almost nothing anyway
_INTEGER_SCALES = ((np.dtype(np.uint8), 255), (np.dtype(np.uint16), 65535))


class RecoveryError(PaletteError):
    """A session's files that cannot be used, said in one line."""


def recovery_root() -> Path:
    """The folder that holds the sessions: the user's data folder, or ``$PALETTE_DESKTOP_RECOVERY_DIR``."""
    override = os.environ.get(ROOT_ENV)
    return Path(override) if override else platformdirs.user_data_path(APP_NAME, appauthor=False) / "recovery"


def disk_usage(root: Path) -> int:
    """Bytes the files under ``root`` take (0 when there is no such folder)."""
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file())


@dataclass(frozen=True)
class StoredFile:
    """What one file rebuilds: an array of ``shape`` and ``dtype`` (or bytes), whole or as a patch."""

    shape: tuple[int, ...]  # the whole array's, also for a patch; () for bytes
    dtype: str  # numpy's name for it ("<f4", "|u1"…), or "bytes"
    box: tuple[int, int, int, int] | None = None  # a patch's x0, y0, x1, y1 in the whole array
    over: str | None = None  # the file a patch is laid over


@dataclass(frozen=True)
class State:
    """The document as it was at one point of the history, its arrays by file name."""

    label: str  # the step's name in the History panel
    photo: dict[str, Any]  # each field of the Photo: {"file": name} for arrays and bytes, else its value
    original: dict[str, Any]  # the photo the before/after compare shows, the same way
    mask: str
    origin: tuple[int, int]
    margins: tuple[int, int, int, int]

    def files(self) -> set[str]:
        """The files this state names itself (not the ones they are patches over)."""
        named = {v["file"] for v in (*self.photo.values(), *self.original.values()) if isinstance(v, dict)}
        return named | {self.mask}


@dataclass(frozen=True)
class SessionIndex:
    """A session: the photo's names, its states (the first one is where it starts), the one shown."""

    name: str  # as the title bar says it
    source: str | None  # the file it was opened from
    save_path: str | None  # where Save writes
    states: tuple[State, ...]
    shown: int  # index in ``states``
    base_clean: bool  # the first state is the photo as opened or saved: nothing of it is lost
    files: dict[str, StoredFile]
    written_at: float = 0.0  # time.time() when the work was last kept

    @property
    def steps(self) -> int:
        return len(self.states) - 1

    def summary(self) -> str:
        """What it holds, e.g. "shirt.jpg, 4 steps, last at 14:02"."""
        steps = f"{self.steps} step{'' if self.steps == 1 else 's'}" if self.steps else "no steps"
        when = time.localtime(self.written_at)
        today = time.localtime()
        day = "" if when[:3] == today[:3] else time.strftime("%d %b ", when).lstrip("0")
        return f"{self.name}, {steps}, last at {day}{time.strftime('%H:%M', when)}"


def live_files(states: list[State] | tuple[State, ...], files: dict[str, StoredFile]) -> set[str]:
    """Every file the states need: the ones they name and those their patches lie over."""
    live: set[str] = set()
    todo = [name for state in states for name in state.files()]
    while todo:
        name = todo.pop()
        if name not in live:
            live.add(name)
            over = files[name].over if name in files else None
            if over is not None:
                todo.append(over)
    return live


# -- files ------------------------------------------------------------------------------


def encode(value: np.ndarray | bytes) -> bytes | memoryview:
    """A lossless file of an array (PNG when it is 8 or 16 bits, else NPY), or the bytes themselves."""
    if isinstance(value, bytes):
        return value
    integers = _as_integers(value)
    if integers is not None and _png_shape(integers):
        ok, png = cv2.imencode(".png", np.ascontiguousarray(integers), [cv2.IMWRITE_PNG_COMPRESSION, _PNG_LEVEL])
        if ok:
            return png.tobytes()
    buffer = io.BytesIO()
    np.save(buffer, value, allow_pickle=False)
    return buffer.getbuffer()


def decode(data: bytes, info: StoredFile) -> np.ndarray | bytes:
    """What :func:`encode` wrote, checked against ``info``; raises ValueError if it does not match."""
    if info.dtype == "bytes":
        return data
    dtype = np.dtype(info.dtype)
    if data.startswith(_PNG_SIGNATURE):
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if array is None:
            raise ValueError("not a readable PNG")
        if array.dtype != dtype:
            array = _from_integers(array, dtype)
    elif data.startswith(_NPY_SIGNATURE):
        array = np.load(io.BytesIO(data), allow_pickle=False)
    else:
        raise ValueError("neither PNG nor NPY")
    shape = tuple(info.shape)
    if info.box is not None:
        x0, y0, x1, y1 = info.box
        shape = (y1 - y0, x1 - x0, *shape[2:])
    if array.shape != shape or array.dtype != dtype:
        raise ValueError(f"holds {array.dtype} {array.shape}, not {dtype} {shape}")
    return array


def _png_shape(array: np.ndarray) -> bool:
    return array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))


def _as_integers(values: np.ndarray) -> np.ndarray | None:
    """``values`` as the 8- or 16-bit integers that give them back bit for bit, or None.

    Integer arrays are what they are; a float32 array qualifies when each value is
    exactly n/255 (or n/65535) as float32 division gives it. A sample is tried first, so a
    model's result (which never qualifies) costs little.
    """
    if values.dtype in (dtype for dtype, _ in _INTEGER_SCALES):
        return values
    if values.dtype != np.float32 or values.size == 0:
        return None
    sample = values.reshape(-1)[:: max(1, values.size // 4096)]
    for dtype, scale in _INTEGER_SCALES:
        if _exactly(sample, dtype, scale) is not None:
            integers = _exactly(values, dtype, scale)
            if integers is not None:
                return integers
    return None


def _exactly(values: np.ndarray, dtype: np.dtype, scale: int) -> np.ndarray | None:
    """``values`` as ``dtype`` when each is exactly n/``scale``, else None; a band of rows at a
    time, so that a large mask is not followed by several float copies of itself."""
    integers = np.empty(values.shape, dtype)
    for rows in row_bands(values.shape[0], values.size // max(1, values.shape[0])):
        band = values[rows]
        stored = np.rint(np.clip(band, 0, 1) * scale).astype(dtype)
        back = _from_integers(stored, np.dtype(np.float32))
        if not np.array_equal(back.view(np.uint32), np.ascontiguousarray(band).view(np.uint32)):
            return None
        integers[rows] = stored
    return integers


def _from_integers(integers: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype != np.float32:
        raise ValueError(f"holds {integers.dtype}, not {dtype}")
    scale = dict(_INTEGER_SCALES).get(integers.dtype)
    if scale is None:
        raise ValueError(f"holds {integers.dtype}, not {dtype}")
    return integers.astype(np.float32) / np.float32(scale)


# -- the index --------------------------------------------------------------------------


def write_index(folder: Path, index: SessionIndex) -> None:
    """Put ``index.json`` in place atomically (raises ImageError when it cannot be written)."""
    data = {"format": FORMAT, **asdict(index)}
    write_atomically(json.dumps(data, separators=(",", ":")).encode("utf-8"), Path(folder) / INDEX_NAME)


def read_index(folder: Path) -> SessionIndex:
    """A session's index, checked to hang together; RecoveryError says in one line why not."""
    path = Path(folder) / INDEX_NAME
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise RecoveryError(f"its index cannot be read ({exc.strerror or exc})") from None
    except ValueError:
        raise RecoveryError("its index is damaged (cut short or overwritten)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecoveryError("its index is not one this version of Palette Desktop can read")
    try:
        files = {str(name): StoredFile(tuple(int(n) for n in f["shape"]), str(f["dtype"]),
                                       tuple(int(n) for n in f["box"]) if f["box"] is not None else None,
                                       None if f["over"] is None else str(f["over"]))
                 for name, f in data["files"].items()}
        states = tuple(State(str(s["label"]), dict(s["photo"]), dict(s["original"]), str(s["mask"]),
                             (int(s["origin"][0]), int(s["origin"][1])), tuple(int(n) for n in s["margins"]))
                       for s in data["states"])
        source, save_path = (None if data[key] is None else str(data[key]) for key in ("source", "save_path"))
        index = SessionIndex(str(data["name"]), source, save_path, states, int(data["shown"]),
                             bool(data["base_clean"]), files, float(data["written_at"]))
        _check(index)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise RecoveryError("its index is incomplete") from None
    missing = sorted(name for name in live_files(index.states, index.files) if not (Path(folder) / name).is_file())
    if missing:
        raise RecoveryError(f"its file {missing[0]} is missing" if len(missing) == 1 else
                            f"{len(missing)} of its files are missing ({missing[0]}…)")
    return index


def _check(index: SessionIndex) -> None:
    if not index.states or not 0 <= index.shown < len(index.states):
        raise RecoveryError("its index names no state to show")
    for i, state in enumerate(index.states):
        if not all(isinstance(photo["pixels"]["file"], str) for photo in (state.photo, state.original)):
            raise RecoveryError(f"its index names no pixels for state {i}")
        for name in state.files():
            depth = 0
            while name is not None:  # each chain of patches ends on a whole file, within the files listed
                if name not in index.files or depth > len(index.files):
                    raise RecoveryError(f"its index names a file it does not describe (state {i})")
                name, depth = index.files[name].over, depth + 1
