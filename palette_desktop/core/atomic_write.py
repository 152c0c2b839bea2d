"""Writing a file so that it is either complete and valid or not there at all.

The bytes go to a hidden temporary file of our own naming beside the target, are synced
to the disk and checked for their full length, and only then renamed over the target.
Python's ``os.write`` loop, unlike an encoder that writes in one call, notices a short
write on a nearly full disk. The file gets the mode a plain ``open(path, "w")`` would
give (the umask applies), or keeps the mode of the file it replaces. A temporary file
left by a process that was killed is recognised by its name and removed on the next run.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import sys
import time
from pathlib import Path

from palette_desktop.core.errors import ImageError, OutputFolderError

TEMP_PREFIX = ".palette-desktop-"
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))
_STALE_AFTER_S = 3600  # where we cannot ask whether the writing process still runs

_FOLDER_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "EDQUOT", errno.ENOSPC)}
"""Errors that hit every file written to the folder: a batch stops instead of failing each photo."""

_REASONS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the folder is on a read-only file system",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            getattr(errno, "EDQUOT", errno.ENOSPC): "the disk quota is used up",
            errno.ENAMETOOLONG: "the name is too long for this file system"}


def reason(exc: OSError) -> str:
    """A short, plain reason for an OS error, without the path Python appends."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc) or type(exc).__name__).lower()


def write_error(path: Path, exc: OSError) -> ImageError:
    """The error to raise when writing ``path`` failed: folder-wide ones stop a batch."""
    cls = OutputFolderError if exc.errno in _FOLDER_ERRNOS else ImageError
    return cls(f"{path.name}: could not write ({reason(exc)})")


def check_output_path(path: Path) -> None:
    """Raise :class:`ImageError` when a file cannot be written at ``path``; nothing is left behind.

    Meant to run before the model, so that a bad output name costs no minutes of work.
    """
    path = Path(path)
    folder = path.parent
    try:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "the output folder does not exist"
            raise OutputFolderError(f"{folder}: {what}")
        limit = _name_max(folder)
        if len(os.fsencode(path.name)) > limit:
            raise ImageError(f"{path.name[:40]}…: the output name is {len(os.fsencode(path.name))} bytes long, "
                             f"over this file system's limit of {limit}")
        if path.is_dir():
            raise ImageError(f"{path.name}: is a folder, not a file name")
    except OSError as exc:
        raise ImageError(f"{path.name[:80]}: cannot write there ({reason(exc)})") from None
    probe_folder(folder)


def probe_folder(folder: Path) -> None:
    """Create and remove a temporary file in ``folder``: the only sure test that it takes files."""
    folder = Path(folder)
    try:
        fd, tmp = _create_temp(folder)
    except OSError as exc:
        raise OutputFolderError(f"{folder}: cannot write in this folder ({reason(exc)})") from None
    os.close(fd)
    os.unlink(tmp)


def write_atomically(data: bytes, path: Path) -> None:
    """Put ``data`` at ``path`` all at once; raise :class:`ImageError` and leave no trace if it can't."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode) if path.exists() else None
        fd, tmp = _create_temp(path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        try:
            view = memoryview(data)
            while view:
                count = os.write(fd, view[: 1 << 30])
                if count <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[count:]
            os.fsync(fd)
            on_disk = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if on_disk != len(data):
            raise OSError(errno.EIO, f"only {on_disk} of {len(data)} bytes reached the disk")
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as exc:
        _remove(tmp)
        raise write_error(path, exc) from None
    except BaseException:  # KeyboardInterrupt mid-write: no temporary file is left behind
        _remove(tmp)
        raise


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete our temporary files in ``folder`` whose writer is gone (killed mid-write); return them."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False) or not _is_stale(entry, int(match[1])):
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _create_temp(folder: Path) -> tuple[int, str]:
    """A new temporary file of fixed-length name, created with mode 0666 less the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def _is_stale(entry: os.DirEntry, pid: int) -> bool:
    if pid == os.getpid():
        return False
    if sys.platform != "win32":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # another user's process: it still runs
            return False
        return False
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_AFTER_S
    except OSError:
        return False


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        return 255


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles to sync."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
