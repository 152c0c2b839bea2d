"""Autosave for crash recovery: the open photo and its history kept on disk as the work goes.

The window's :class:`Autosave` follows its history. When a step lands it notes, on the
GUI thread and without touching pixels, what the step changed: the photo's pixels and the
mask are patches over the state before (a stroke's or an inpaint's box) or new whole
arrays (a colorize, a crop), and an array already on disk, found by identity (arrays are
never modified in place), is named again rather than written again. One pool thread then
encodes and writes the new files, and the index after them, so the window never waits
for a large photo and the disk is at most one step behind. Undo and redo rewrite only the
index. Past the size limit of the Settings the oldest states are dropped, never the one
shown; only then can their files go.

Saving the photo, opening another, closing it or quitting removes what was kept: nothing
is offered after a deliberate end. The session folder holds a :class:`QLockFile`, so a
window still running is never offered to another one as a crash.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
import weakref
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QLockFile, QObject, QThreadPool, QTimer, Signal

from palette_desktop.app.document import Change, Document
from palette_desktop.app.history import History
from palette_desktop.app.recovery import (INDEX_NAME, LOCK_NAME, SESSION_PREFIX, SessionIndex, State, StoredFile,
                                          encode, live_files, recovery_root, write_index)
from palette_desktop.app.settings import Settings
from palette_desktop.core.atomic_write import reason, write_atomically
from palette_desktop.core.errors import PaletteError
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box


@dataclass(eq=False)
class _Job:
    """Files for the writing thread to put on disk, then the index that names them."""

    generation: int
    files: dict[str, np.ndarray | bytes]
    index: SessionIndex | None  # None: remove the session's files
    live: set[str]


class Autosave(QObject):
    """Keeps the history of ``history`` in a session folder under ``root`` (see the module)."""

    failed = Signal(str)  # emitted on the writing thread

    def __init__(self, history: History, settings: Settings, say: Callable[[str, int], None],
                 parent: QObject | None = None, root: Path | None = None) -> None:
        super().__init__(parent)
        self.history, self.settings = history, settings
        name = f"{SESSION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
        self.folder = (root or recovery_root()) / name
        self.lock = QLockFile(str(self.folder / LOCK_NAME))
        self.lock.setStaleLockTime(0)  # stale only when its process is gone, however long the session
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one writer: files land in order, the index after its files
        self.states: dict[int, State] = {}  # by position in the whole history, its dropped steps counted
        self.files: dict[str, StoredFile] = {}  # every file the states need
        self.sizes: dict[str, int] = {}  # bytes on disk (estimated until written; the writer sets it)
        self._pending: dict[str, np.ndarray | bytes] = {}  # files not yet handed to the writer
        self._known: dict[int, tuple[weakref.ref, str]] = {}  # id(array) -> (the array, its file)
        self._count = 0
        self._generation = 0  # a job of an earlier one has nothing left to do
        self._carried: tuple[int, dict[str, np.ndarray | bytes]] = (0, {})  # the writer's: files a failure left
        self._latest: _Job | None = None
        self._last_index: SessionIndex | None = None
        self._written = False  # files may be in the folder
        self._retired: list[tuple[Path, QLockFile]] = []  # a recovered session, removed once this one is kept
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._sync)
        self.failed.connect(lambda message: say(message, 10000))
        history.documentReplaced.connect(self._start)
        history.pushed.connect(self._on_pushed)
        history.stack.indexChanged.connect(self._schedule)
        history.stack.cleanChanged.connect(self._schedule)

    # -- following the history ---------------------------------------------------------
    def _schedule(self, *_args) -> None:
        self._timer.start(0)  # one sync for a burst of undos, after the step pushed has been noted

    def _position(self) -> int:
        return self.history.dropped + self.history.stack.index()

    def _forget(self) -> None:
        """Drop what was noted; the writer's queued jobs have nothing left to do."""
        self._generation += 1
        self.states, self.files, self._pending, self._known = {}, {}, {}, {}
        self._last_index = None

    def _start(self) -> None:
        """Start over from the document as it is now: nothing of it is kept until there is work to lose."""
        self._forget()
        if self.history.document is not None:
            position, stack = self._position(), self.history.stack
            label = stack.text(stack.index() - 1) if stack.index() else self.history.base_label
            self.states[position] = self._state(None, None, label)
        self._sync()

    def saved(self) -> None:
        """The photo was saved: what was kept goes, and the saved state is where a later session starts."""
        self._start()

    def _on_pushed(self) -> None:
        position, stack = self._position(), self.history.stack
        parent = self.states.get(position - 1)
        if parent is None:  # the state it was done on was not kept (undone past a save)
            self._start()
            return
        change = self.history.changes[stack.index() - 1]
        for later in [p for p in self.states if p >= position]:  # the steps undone are gone from the history
            del self.states[later]
        self.states[position] = self._state(parent, change, stack.text(stack.index() - 1))
        self._sync()

    def _state(self, parent: State | None, change: Change | None, label: str) -> State:
        doc: Document = self.history.document
        region = change.region if change is not None and not change.resizes else None
        photo = self._photo(doc.photo, parent.photo if parent else None, change is None or change.touches_photo,
                            region)
        mask = self._array(doc.mask, parent.mask if parent else None, change is None or change.touches_mask, region)
        return State(label, photo, self._photo(doc.original, None, True, None), mask, tuple(doc.origin),
                     astuple(doc.margins))

    def _photo(self, photo: Photo, parent: dict | None, touched: bool, region: Box | None) -> dict:
        """Every field of ``photo``; its pixels as a patch over the parent's where the change allows."""
        values = {}
        for field in fields(photo):
            value = getattr(photo, field.name)
            if isinstance(value, np.ndarray):
                over = parent[field.name]["file"] if parent and field.name == "pixels" else None
                values[field.name] = {"file": self._array(value, over, touched, region)}
            elif isinstance(value, bytes):
                values[field.name] = {"file": self._blob(value)}
            else:
                values[field.name] = value
        return values

    def _array(self, array: np.ndarray, parent: str | None, touched: bool, region: Box | None) -> str:
        """The file for ``array``: one already written, the parent's if untouched, a patch, or a new one."""
        entry = self._known.get(id(array))
        if entry is not None and entry[0]() is array and entry[1] in self.files:
            return entry[1]
        info = self.files.get(parent) if parent is not None else None
        alike = info is not None and info.shape == array.shape and info.dtype == array.dtype.str
        if alike and not touched:
            name = parent
        elif alike and region is not None:
            box = (region.x0, region.y0, region.x1, region.y1)
            name = self._new_file(array[region.slices()], StoredFile(array.shape, array.dtype.str, box, parent))
        else:
            name = self._new_file(array, StoredFile(array.shape, array.dtype.str))
        self._known[id(array)] = (weakref.ref(array), name)
        return name

    def _blob(self, data: bytes) -> str:
        name = f"b{hashlib.sha256(data).hexdigest()[:20]}"  # an ICC profile or EXIF: the same one once
        if name not in self.files:
            self.files[name] = StoredFile((), "bytes")
            self._pending[name], self.sizes[name] = data, len(data)
        return name

    def _new_file(self, value: np.ndarray, info: StoredFile) -> str:
        self._count += 1
        name = f"{self._count:06d}"
        self.files[name] = info
        self._pending[name], self.sizes[name] = value, value.nbytes
        return name

    # -- what is kept ------------------------------------------------------------------
    def _sync(self) -> None:
        """Hand the writer what the history now holds: the files new since last time, then the index."""
        doc = self.history.document
        if doc is None:
            self._clear()
            return
        shown = self._position()
        if shown not in self.states:  # undone past where the session started: it starts again here
            self._start()
            return
        self._trim(shown)
        live = live_files(list(self.states.values()), self.files)
        self.files = {n: f for n, f in self.files.items() if n in live}
        self._pending = {n: v for n, v in self._pending.items() if n in live}
        self._known = {k: e for k, e in self._known.items() if e[1] in live and e[0]() is not None}
        self.sizes = {n: size for n, size in self.sizes.items() if n in live}
        first, stack = min(self.states), self.history.stack
        clean = stack.cleanIndex() >= 0 and self.history.dropped + stack.cleanIndex() == first
        if len(self.states) == 1 and clean:  # nothing that the photo's own file does not hold
            self._clear()
            return
        index = SessionIndex(doc.name, str(doc.source) if doc.source else None,
                             str(doc.save_path) if doc.save_path else None,
                             tuple(self.states[p] for p in sorted(self.states)), shown - first, clean, self.files)
        if index == self._last_index and not self._pending:
            return
        if self._enqueue(_Job(self._generation, self._pending, replace(index, written_at=time.time()), live)):
            self._last_index, self._pending = index, {}

    def _trim(self, shown: int) -> None:
        """Drop the oldest states until what is kept fits the Settings' limit; the one shown stays."""
        cap = self.settings.recovery_mb * 2**20
        positions = sorted(self.states)
        for first in positions:
            kept = [self.states[p] for p in positions if p >= first]
            if first == shown or sum(self.sizes.get(n, 0) for n in live_files(kept, self.files)) <= cap:
                break
        for position in positions:
            if position < first:
                del self.states[position]

    def _clear(self) -> None:
        self._last_index = None
        if self._written:
            self._generation += 1
            self._enqueue(_Job(self._generation, {}, None, set()))
            self._written = False

    def _enqueue(self, job: _Job) -> bool:
        """Hand ``job`` to the writer; False when its folder cannot be made (tried again at the next step)."""
        if job.index is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.failed.emit(f"Crash recovery cannot keep the work in {self.folder.parent} ({reason(exc)})")
                return False
            if not self.lock.isLocked():
                self.lock.tryLock(0)
            self._written = True
        self._latest = job
        self.pool.start(lambda: self._write(job))
        return True

    # -- on the writing thread -----------------------------------------------------------
    def _write(self, job: _Job) -> None:
        if job.generation != self._generation:  # the photo was saved or closed since
            return
        generation, carried = self._carried
        files = {**{n: v for n, v in carried.items() if n in job.live and generation == job.generation}, **job.files}
        self._carried = (job.generation, {})
        try:
            if job.index is None:
                self._remove_files(set())
                return
            for name in list(files):
                data = encode(files[name])
                write_atomically(data, self.folder / name)
                self.sizes[name] = len(data)
                del files[name]
            if job is self._latest:  # else a newer index is on its way
                write_index(self.folder, job.index)
                self._remove_files(job.live)
                self._remove_retired()
        except (PaletteError, OSError, MemoryError) as exc:
            self._carried = (job.generation, files)  # the next job writes them first, then its index
            self.failed.emit(f"Crash recovery could not keep the last step: {_why(exc)}")

    def _remove_files(self, keep: set[str]) -> None:
        """Remove the index first (the session is no longer offered), then the files not in ``keep``."""
        if not keep:
            (self.folder / INDEX_NAME).unlink(missing_ok=True)
        for path in self.folder.iterdir() if self.folder.is_dir() else ():
            if path.name not in keep and path.name != INDEX_NAME and not path.name.startswith(LOCK_NAME):
                path.unlink(missing_ok=True)

    def _remove_retired(self) -> None:
        while self._retired:
            folder, lock = self._retired.pop()
            shutil.rmtree(folder, ignore_errors=True)
            lock.unlock()

    # -- the window's side ---------------------------------------------------------------
    def retire(self, folder: Path, lock: QLockFile) -> None:
        """Remove ``folder`` (a session recovered into this one, its ``lock`` held) once this one is kept."""
        self._retired.append((folder, lock))
        self._last_index = None  # the index is written again, and the folder goes after it
        self._sync()

    def flush(self) -> None:
        """Wait until everything handed to the writer is on disk."""
        self._timer.stop()
        self._sync()
        self.pool.waitForDone()

    def close(self) -> None:
        """The window closes deliberately: nothing is kept, the session's folder goes."""
        self._timer.stop()
        self._forget()
        self.pool.waitForDone()
        self._remove_retired()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.lock.unlock()
        self._written = False


def _why(exc: Exception) -> str:
    if isinstance(exc, MemoryError):
        return "not enough memory"
    return reason(exc) if isinstance(exc, OSError) else str(exc)
