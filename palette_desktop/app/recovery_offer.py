"""At start-up: the work of a window that died, offered back (Recover or Discard).

A session is a window's only while that window runs: its lock file is stale once the
process is gone (killed, crashed, the power cut), and then :func:`find_sessions` takes it.
A session without an index never kept anything and goes quietly; one whose index or files
cannot be used is refused in one line, removed, and the window starts as usual.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QMessageBox, QWidget

from palette_desktop.app.dialogs import fit_title
from palette_desktop.app.recovered_history import rebuild
from palette_desktop.app.recovery import (INDEX_NAME, LOCK_NAME, SESSION_PREFIX, RecoveryError, SessionIndex,
                                          read_index, recovery_root)


@dataclass(eq=False)
class FoundSession:
    """A session whose window is gone: its folder, its lock (now held here) and its index."""

    folder: Path
    lock: QLockFile
    index: SessionIndex

    def remove(self) -> None:
        _remove(self.folder, self.lock)


def _remove(folder: Path, lock: QLockFile) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    lock.unlock()


def find_sessions(root: Path) -> tuple[list[FoundSession], list[str]]:
    """The sessions under ``root`` whose window is gone, newest first, and one line for each refused.

    Sessions still written by a running window are left alone; those that cannot be used are removed.
    """
    found, refused = [], []
    for folder in sorted(Path(root).glob(f"{SESSION_PREFIX}*")) if Path(root).is_dir() else ():
        lock = QLockFile(str(folder / LOCK_NAME))
        lock.setStaleLockTime(0)  # stale when its process is gone, not after some time
        if not folder.is_dir() or not lock.tryLock(0):  # its window still runs
            continue
        if not (folder / INDEX_NAME).exists():  # killed before it kept a first step: nothing to offer
            _remove(folder, lock)
            continue
        try:
            found.append(FoundSession(folder, lock, read_index(folder)))
        except RecoveryError as exc:
            refused.append(f"The work of an earlier session could not be recovered: {exc}; it was removed")
            _remove(folder, lock)
    found.sort(key=lambda session: session.index.written_at, reverse=True)
    return found, refused


class RecoverDialog(QMessageBox):
    """Recover or Discard, saying what was found: "shirt.jpg, 4 steps, last at 14:02"."""

    def __init__(self, session: FoundSession, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Question, "Recover your work?",
                         "Palette Desktop did not close normally last time. Recover the work on the photo that "
                         "was open?", parent=parent)
        self.setInformativeText(f"Found: {session.index.summary()}.\n"
                                "Discard removes it. The photo's own file is never changed.")
        self.recover_button = self.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = self.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.recover_button)
        fit_title(self)


def offer_recovery(window, root: Path | None = None) -> bool:
    """Offer the newest session of a window that died, and recover it into ``window``; True if recovered.

    What was refused, or recovered, is said in the window's status bar. Other such
    sessions are left for the next start.
    """
    found, refused = find_sessions(root or recovery_root())
    for line in refused:
        window.status_note.say(line, 15000)
    if not found:
        return False
    session, *later = found
    for other in later:
        other.lock.unlock()
    dialog = RecoverDialog(session, window)
    dialog.exec()
    if dialog.clickedButton() is dialog.recover_button:
        return recover(window, session)
    if dialog.clickedButton() is dialog.discard_button:
        session.remove()
        window.status_note.say(f"Discarded the earlier work on {session.index.name}", 6000)
    else:  # the dialog closed without an answer: offered again at the next start
        session.lock.unlock()
    return False


def recover(window, session: FoundSession) -> bool:
    """Put ``session`` into ``window``: its photo, every step, the step shown; say what came back."""
    try:
        recovered = rebuild(session.folder, session.index)
    except (RecoveryError, MemoryError) as exc:
        reason = str(exc) if isinstance(exc, RecoveryError) else "not enough memory"
        window.status_note.say(f"The work on {session.index.name} could not be recovered: {reason}; it was removed",
                               15000)
        session.remove()
        return False
    history = window.history
    history.set_document(recovered.document, recovered.base_label)
    for step in recovered.steps:
        history.push(step)
    if not recovered.clean:
        history.stack.resetClean()
    shown = max(0, recovered.shown - history.dropped)  # past the history's memory limit the oldest went
    history.stack.setIndex(shown)
    window.autosave.retire(session.folder, session.lock)
    steps = len(recovered.steps)
    shown = history.stack.text(shown - 1) if shown else history.base_label
    window.status_note.say(f"Recovered {recovered.document.name}: {steps} step{'' if steps == 1 else 's'}, "
                           f"showing “{shown}”", 15000)
    return True
