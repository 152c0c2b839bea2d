"""Quitting after a long session, through the real entry point, many times over.

A session of a few thousand signals and Qt calls used to abort at quit with "Fatal Python
error: bool_dealloc" (or none_dealloc): PySide6 drops a reference to True at every emit
and to None at every void call (see palette_desktop.app.refcount_guard). Each run here is
its own process, as a user's session is, and must end with run_app's exit code 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SESSION = Path(__file__).with_name("quit_session.py")
RUNS = 3
EMITS = 3000  # each run: a task and 3000 wheel-zoom steps, more than True and None had references


@pytest.mark.parametrize("run", range(RUNS))
def test_a_long_session_quits_cleanly(run, tmp_path, tiny_model_dir, photo_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(SESSION), str(tiny_model_dir), str(photo_path), str(EMITS)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert "Fatal Python error" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "applied 1 step(s)" in done.stdout  # the task really ran before the quit
