"""A photo too large for the memory available: the window refuses it, before any work, in
the one line the command line prints, and the work open in it is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from palette_desktop.core.errors import NotEnoughMemory
from palette_desktop.core.imageio import load_image
from palette_desktop.core.memory import FIXED_BYTES, MEMORY_VARIABLE, WINDOW_BYTES_PER_PIXEL, bytes_per_pixel
from palette_desktop.tasks.run import check_task_fits


@pytest.fixture()
def big_photo(tmp_path, data_dir):
    """A real photo enlarged to 12 MP, as a JPEG."""
    path = tmp_path / "big.jpg"
    Image.open(data_dir / "trousers.jpg").resize((4000, 3000), Image.Resampling.BICUBIC).save(path, quality=90)
    return path


def test_opening_a_photo_too_large_says_what_fits_and_keeps_the_open_one(window, big_photo, monkeypatch):
    shown = window.document
    monkeypatch.setenv(MEMORY_VARIABLE, "800M")
    with pytest.raises(NotEnoughMemory) as refused:  # what `palette-desktop restore` prints after its name
        load_image(big_photo)
    assert not window.open_path(big_photo)
    assert window.error_box.isVisible() and window.error_box.windowTitle() == "Cannot open the photo"
    assert window.error_box.text() == str(refused.value)
    assert "12 MP needs about" in str(refused.value) and str(refused.value).endswith("MP fits")
    assert window.document is shown
    window.error_box.accept()


def test_a_task_that_no_longer_fits_is_refused_and_the_photo_is_as_it_was(make_window, qtbot, big_photo, monkeypatch):
    window = make_window()
    assert window.open_path(big_photo)
    doc = window.document
    before = doc.photo.pixels.copy()
    monkeypatch.setenv(MEMORY_VARIABLE, "700M")  # other programs took the memory since the photo was opened
    with pytest.raises(NotEnoughMemory) as refused:
        check_task_fits(doc.photo, "colorize")
    with qtbot.waitSignal(window.engine.failed, timeout=30000) as failed:
        window.actions["colorize"].trigger()
    assert failed.args[1] == str(refused.value)
    said = str(refused.value)
    assert window.error_box.text() == said[:1].upper() + said[1:]  # "Colorize: 12 MP needs about …"
    assert window.error_box.windowTitle() == "Colorize failed"
    assert window.history.stack.count() == 0 and np.array_equal(doc.photo.pixels, before)
    window.error_box.accept()


def test_restore_old_photo_that_no_longer_fits_is_refused_before_its_first_step(make_window, qtbot, big_photo,
                                                                                 monkeypatch):
    window = make_window()
    assert window.open_path(big_photo)
    doc = window.document
    before = doc.photo.pixels.copy()
    monkeypatch.setenv(MEMORY_VARIABLE, "700M")
    with pytest.raises(NotEnoughMemory) as refused:
        check_task_fits(doc.photo, "auto")
    steps = []
    window.old_photo.stepDone.connect(lambda job, result: steps.append(result))
    with qtbot.waitSignal(window.engine.failed, timeout=30000) as failed:
        assert window.old_photo.restore() is not None
    assert failed.args[1] == str(refused.value)
    assert steps == [] and window.history.stack.count() == 0  # not even the damage it found
    assert np.array_equal(doc.photo.pixels, before)
    window.error_box.accept()


def test_the_window_counts_what_it_shows_refusing_a_photo_the_command_line_takes(window, big_photo, tmp_path,
                                                                                  tiny_model_dir, monkeypatch):
    pixels = 4000 * 3000
    room = FIXED_BYTES + pixels * (bytes_per_pixel("auto", False) + 1)  # the window made: its part counted
    cli_room = room - pixels * WINDOW_BYTES_PER_PIXEL  # what the command line would ask for, with a little to spare
    monkeypatch.setenv(MEMORY_VARIABLE, str(int(cli_room)))
    assert not window.open_path(big_photo)
    assert "12 MP needs about" in window.error_box.text()
    window.error_box.accept()
    done = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", big_photo, tmp_path / "out.png",
                           "--task", "jpeg", "--steps", "1", "--model", tiny_model_dir],
                          capture_output=True, text=True, env={**os.environ, MEMORY_VARIABLE: str(int(cli_room))})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.png").exists()
