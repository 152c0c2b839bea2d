"""Real file-system conditions for tests: a nearly full disk, a read-only mount, a user without rights.

Mounting needs root (as on CI); without it the tests that need a mount are skipped and
say why. A process "without rights" is root stripped of every capability by ``setpriv``
(the kernel then checks file modes as for any user), or simply a non-root developer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(path: Path, size_kb: int, *, read_only: bool = False):
    """A real tmpfs of ``size_kb`` KB at ``path`` (skips the test where mounting is not allowed)."""
    if not is_root() or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k,mode=0777" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill_disk(folder: Path, leave_bytes: int) -> Path:
    """Fill the file system of ``folder`` until about ``leave_bytes`` remain free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    filler = folder / "filler.bin"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave_bytes))
    return filler


def free_bytes(folder: Path) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def without_rights() -> list[str]:
    """Command prefix that makes a process obey file modes; skips the test if none is possible."""
    if not is_root():
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to drop root's rights")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]


def run_cli(args: list, *, env: dict | None = None, unprivileged: bool = False, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m palette_desktop ARGS`` as a real process, without rights when asked."""
    prefix = without_rights() if unprivileged else []
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*prefix, sys.executable, "-m", "palette_desktop", *map(str, args)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=cwd)


TELEMETRY_SWITCHES = ("CI", "GITHUB_ACTIONS", "TF_BUILD", "CODEBUILD_BUILD_ID", "ORT_DISABLE_TELEMETRY",
                      "XDG_CACHE_HOME")
"""Variables that also silence ONNX Runtime's telemetry (it stays quiet on CI by itself): a test
that proves *we* turn it off must run without them."""


def fresh_home_env(home: Path) -> dict[str, str]:
    """The environment of a user who never ran the app: an empty HOME, no CI markers."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in TELEMETRY_SWITCHES}
    return {**env, "HOME": str(home)}


def kill_mid_write(folder: Path, attempts: int = 20) -> list[str]:
    """Run a real writer into ``folder`` and SIGKILL it while its temporary file exists.

    Returns the orphaned temporary file names it left, as a user's kill -9 would.
    """
    import signal
    import time

    script = (
        "import numpy as np\n"
        "from palette_desktop.core.imageio import Photo, save_image\n"
        "photo = Photo(np.random.default_rng(0).random((1600, 1600, 3), dtype=np.float32), bit_depth=16)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        f"    save_image(photo, {str(folder / 'big.tif')!r})\n")

    def orphans() -> list[str]:
        return sorted(p.name for p in folder.iterdir() if p.name.startswith(".palette-desktop-"))

    for _ in range(attempts):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()
        deadline = time.monotonic() + 30
        while not orphans() and time.monotonic() < deadline:
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if orphans():
            return orphans()
    pytest.fail("never caught the writer mid-write")


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path: proof that nothing changed."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
