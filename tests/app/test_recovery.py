"""Crash recovery: a killed window's work comes back; a deliberate end leaves nothing behind.

The kill test runs the window as its own process (recovery_session.py), kills it with
SIGKILL once the recovery index says its steps are kept, and recovers them through the
real entry point here, with the same recovery folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from palette_desktop.app.document import PhotoChange
from palette_desktop.app.recovery import INDEX_NAME, LOCK_NAME, read_index
from palette_desktop.app.recovery_offer import RecoverDialog, find_sessions, offer_recovery

SESSION = Path(__file__).with_name("recovery_session.py")


def _root() -> Path:
    return Path(os.environ["PALETTE_DESKTOP_RECOVERY_DIR"])  # the test's own (conftest)


def _index(root: Path) -> dict | None:
    """The index a session under ``root`` has written, None while there is none."""
    for path in root.glob("session-*/index.json"):
        return json.loads(path.read_bytes())
    return None


def _answer(button: str, seen: dict) -> None:
    """Click ``button`` of the recovery dialog once it shows, keeping what it said in ``seen``."""
    dialog = QApplication.activeModalWidget()
    if not isinstance(dialog, RecoverDialog):
        QTimer.singleShot(20, lambda: _answer(button, seen))
        return
    seen["said"] = dialog.informativeText()
    getattr(dialog, f"{button}_button").click()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_the_work_of_a_killed_window_is_recovered_in_a_new_one(tmp_path, tiny_model_dir, photo_path, data_dir):
    root, expected = _root(), tmp_path / "expected"
    expected.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path), "PALETTE_DESKTOP_RECOVERY_DIR": str(root)}
    log = tmp_path / "killed.log"  # a file, not a pipe: a pipe nobody reads can fill up and stall it
    with log.open("w") as out:
        killed = subprocess.Popen([sys.executable, str(SESSION), str(tiny_model_dir), str(photo_path),
                                   str(expected)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while True:  # the steps are done and the index says they are kept, the one shown too
            index = _index(root)
            done = (expected / "states.json").exists() and index is not None
            if done and len(index["states"]) == 4 and index["shown"] == 2:
                break
            assert killed.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"not kept in time: {index and len(index['states'])} states"
            time.sleep(0.1)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL

    from palette_desktop.app.main import run_app
    from palette_desktop.app.main_window import MainWindow
    from palette_desktop.app.settings import Settings

    Settings().model_dir = tiny_model_dir
    states, meta = np.load(expected / "states.npz"), json.loads((expected / "states.json").read_text())
    seen: dict = {}

    def check() -> None:  # in the new window, once Recover was clicked
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        stack, doc = window.history.stack, window.document
        seen.update(shown=stack.index(), labels=[stack.text(i) for i in range(stack.count())],
                    status=window.status_note.text(), source=doc.source, modified=window.isWindowModified())
        seen["same"] = []
        for i in range(stack.count() + 1):
            stack.setIndex(i)
            doc = window.document
            expected_pixels, expected_mask = states[f"pixels{i}"], states[f"mask{i}"]
            seen["same"].append((doc.photo.pixels.dtype == expected_pixels.dtype
                                 and np.array_equal(doc.photo.pixels, expected_pixels),
                                 doc.mask.dtype == expected_mask.dtype and np.array_equal(doc.mask, expected_mask)))
        stack.setIndex(seen["shown"])
        window.autosave.flush()
        seen["sessions"] = sorted(p.name for p in root.iterdir())  # only the new window's: the old one went
        seen["own"] = window.autosave.folder.name
        stack.setClean()  # quit without the "save changes?" prompt
        window.close()

    QTimer.singleShot(0, lambda: _answer("recover", seen))
    QTimer.singleShot(0, lambda: _wait_for_recovery(check))
    assert run_app() == 0
    assert re.match(r"Found: shirt\.jpg, 3 steps, last at \d\d:\d\d\.\n", seen["said"])
    assert seen["labels"] == meta["labels"] and seen["shown"] == meta["shown"] == 2
    assert seen["labels"][0] == "Brush stroke" and seen["labels"][1].startswith("Inpaint")
    assert seen["same"] == [(True, True)] * 4  # every step's pixels and mask, bit for bit
    assert seen["status"] == f"Recovered shirt.jpg: 3 steps, showing “{meta['labels'][1]}”"
    assert seen["source"] == photo_path and seen["modified"]
    assert seen["sessions"] == [seen["own"]]
    assert not any(root.iterdir())  # closed deliberately: nothing left to recover
    assert photo_path.read_bytes() == (data_dir / "shirt.jpg").read_bytes()


def _wait_for_recovery(then) -> None:
    from palette_desktop.app.main_window import MainWindow

    # the visible one: earlier tests' closed windows may linger until Qt deletes them
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if not windows or windows[0].document is None or QApplication.activeModalWidget() is not None:
        QTimer.singleShot(20, lambda: _wait_for_recovery(then))
        return
    then()


def _work(window) -> None:
    """Three steps that need no model: the mask inverted, the photo turned, the mask inverted back."""
    window.actions["invert_mask"].trigger()
    window.actions["rotate_left"].trigger()
    window.actions["invert_mask"].trigger()
    window.autosave.flush()
    assert (window.autosave.folder / INDEX_NAME).is_file()


def _kept(window) -> list[str]:
    folder = window.autosave.folder
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK_NAME) if folder.is_dir() else []


def test_saving_the_photo_leaves_nothing_to_recover(window, tmp_path):
    _work(window)
    assert window.save_to(tmp_path / "saved.png")
    window.autosave.flush()
    assert _kept(window) == []
    window.actions["invert_mask"].trigger()  # work after the save is kept again, from the saved state on
    window.autosave.flush()
    assert len(read_index(window.autosave.folder).states) == 2


@pytest.mark.parametrize("how", ["close", "open another", "quit"])
def test_closing_the_photo_deliberately_leaves_nothing_to_recover(how, window, data_dir, qtbot):
    _work(window)
    if how == "quit":
        QTimer.singleShot(0, lambda: window.close_prompt.button(QMessageBox.StandardButton.Discard).click())
        window.close()
        assert not window.autosave.folder.exists()
        return
    QTimer.singleShot(0, lambda: window.close_prompt.button(QMessageBox.StandardButton.Discard).click())
    if how == "close":
        window.actions["close"].trigger()
        assert window.document is None
    else:
        assert window.open_path(data_dir / "trousers.jpg")
    window.autosave.flush()
    assert _kept(window) == []


def test_past_the_size_limit_the_oldest_steps_go_and_the_shown_one_stays(make_window, data_dir, tmp_path):
    window = make_window()
    window.settings.recovery_mb = 16
    assert window.open_path(data_dir / "carpet.jpg")
    doc, history = window.document, window.history
    pixels = doc.photo.pixels
    base = pixels.astype(np.float32) / (255 if pixels.dtype == np.uint8 else 1)  # results as floats: 2.4 MB each
    for i in range(12):
        history.push(PhotoChange(doc, doc.photo.with_pixels(np.clip(base * (0.5 + i / 20), 0, 1)), f"Result {i}"))
    history.stack.undo()
    window.autosave.flush()
    folder = window.autosave.folder
    index = read_index(folder)
    used = sum(p.stat().st_size for p in folder.iterdir())
    assert used <= 16 * 2**20 < 12 * base.nbytes
    assert 2 <= index.steps < 12 and not index.base_clean
    assert index.states[index.shown].label == "Result 10"  # the step shown
    assert index.states[-1].label == "Result 11"  # undone, still there to redo
    kept = [s.label for s in index.states]
    assert kept == [f"Result {i}" for i in range(12 - len(kept), 12)]  # the oldest ones went


def _dead_session(window, root: Path) -> Path:
    """A copy of the window's session as a window killed now would leave it (its lock gone stale)."""
    _work(window)
    dead = root / "session-dead"
    shutil.copytree(window.autosave.folder, dead, ignore=shutil.ignore_patterns(LOCK_NAME))
    return dead


@pytest.mark.parametrize("damage", ["index cut short", "file missing", "file damaged", "no index"])
def test_a_damaged_session_is_refused_in_one_line_and_the_window_goes_on(damage, window, photo_path, qtbot):
    root = _root()
    dead = _dead_session(window, root)
    files = sorted(p for p in dead.iterdir() if p.name != INDEX_NAME)
    if damage == "index cut short":
        index = (dead / INDEX_NAME).read_bytes()
        (dead / INDEX_NAME).write_bytes(index[: len(index) // 2])
    elif damage == "file missing":
        files[0].unlink()
    elif damage == "file damaged":
        data = files[0].read_bytes()
        files[0].write_bytes(data[: len(data) // 2])
    else:
        (dead / INDEX_NAME).unlink()
    window.history.set_document(None)
    seen: dict = {}
    QTimer.singleShot(0, lambda: _answer("recover", seen))  # offered only when its index reads well
    assert not offer_recovery(window)
    said = window.status_note.text()
    if damage == "no index":  # killed before it kept anything: nothing to offer, nothing to say
        assert said == "" and "said" not in seen
    else:
        assert said.count("\n") == 0 and "could not be recovered" in said and "it was removed" in said
        assert ("damaged" in said) if "damaged" in damage or "cut" in damage else ("missing" in said)
    assert not dead.exists()
    assert window.open_path(photo_path)  # the window works on


def test_discard_removes_the_session_and_opens_nothing(window, qtbot):
    dead = _dead_session(window, _root())
    window.history.set_document(None)
    seen: dict = {}
    QTimer.singleShot(0, lambda: _answer("discard", seen))
    assert not offer_recovery(window)
    assert seen["said"].startswith("Found: shirt.jpg, 3 steps") and not dead.exists()
    assert window.document is None


def test_a_running_window_is_not_offered_as_a_crash(window):
    _work(window)
    assert find_sessions(_root()) == ([], [])
    assert (window.autosave.folder / INDEX_NAME).is_file()


def test_the_settings_show_the_limit_and_what_is_in_use(window):
    from palette_desktop.app.dialogs import PreferencesDialog
    from palette_desktop.app.settings import Settings

    _work(window)
    dialog = PreferencesDialog(window.settings, window)
    assert dialog.recovery.value() == 2048 and dialog.recovery_usage.text().endswith("MB in use now")
    assert float(dialog.recovery_usage.text().split()[0]) > 0
    dialog.recovery.setValue(512)
    dialog.store()
    assert Settings().recovery_mb == 512


def test_a_step_that_cannot_be_written_is_said_and_kept_with_the_next_one(window, qtbot):
    _work(window)
    blocker = window.autosave.folder / f"{window.autosave._count + 1:06d}"  # the next file's name, taken
    blocker.mkdir()
    window.actions["rotate_left"].trigger()
    window.autosave.flush()
    qtbot.waitUntil(lambda: window.status_note.text().startswith("Crash recovery could not keep the last step: "))
    assert len(read_index(window.autosave.folder).states) == 4  # the index before it stays whole
    blocker.rmdir()
    window.actions["invert_mask"].trigger()
    window.autosave.flush()
    index = read_index(window.autosave.folder)
    assert [s.label for s in index.states[-2:]] == ["Rotate 90° counter-clockwise", "Invert mask"] and index.base_clean


def test_every_field_of_the_photo_comes_back_exactly(qapp, tmp_path, data_dir):
    """A 16-bit photo with alpha, an ICC profile and EXIF, cropped, extended and repainted as floats."""
    from PIL import Image, ImageCms

    from palette_desktop.app.autosave import Autosave
    from palette_desktop.app.document import Document, mask_change
    from palette_desktop.app.geometry_change import GeometryChange
    from palette_desktop.app.history import History
    from palette_desktop.app.recovered_history import rebuild
    from palette_desktop.app.settings import Settings
    from palette_desktop.core.geometry import Crop, QuarterTurn
    from palette_desktop.core.imageio import Photo, load_image
    from palette_desktop.core.masks import Box

    carpet = np.asarray(load_image(data_dir / "carpet.jpg").pixels)  # uint8, or float32 in [0, 1]
    sixteen = np.rint(carpet.astype(np.float32) * (257 if carpet.dtype == np.uint8 else 65535)).astype(np.uint16)
    alpha = np.linspace(0, 65535, sixteen.shape[1]).astype(np.uint16)[None, :].repeat(sixteen.shape[0], 0)
    exif = Image.Exif()
    exif[0x013B] = "A. Photographer"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    history = History()
    autosave = Autosave(history, Settings(), lambda text, ms: None, root=tmp_path)
    doc = Document(Photo(sixteen, alpha, icc, exif.tobytes(), 16, False), Path("/photos/scan.tif"))
    history.set_document(doc)
    states = [doc.photo]
    history.push(mask_change(doc.mask, np.pad(np.ones((40, 60), np.float32), ((100, 372), (50, 274))), "Mask"))
    history.push(GeometryChange(doc, Crop(Box(10, 20, 300, 400))))
    states.append(doc.photo)
    history.push(GeometryChange(doc, QuarterTurn(clockwise=True)))
    states.append(doc.photo)
    floats = doc.photo.pixels.astype(np.float32) / 65535
    floats[30:90, 40:120] = np.float32(0.123456)
    history.push(PhotoChange(doc, doc.photo.with_pixels(floats), "Repaint"))
    states.append(doc.photo)
    autosave.flush()
    recovered = rebuild(autosave.folder, read_index(autosave.folder))
    again = History()
    again.set_document(recovered.document)
    for step in recovered.steps:
        again.push(step)
    shown = [0, 2, 3, 4]  # the states after the mask, the crop, the turn and the repaint
    for photo, index in zip(states, shown):
        again.stack.setIndex(index)
        back = again.document.photo
        assert back.pixels.dtype == photo.pixels.dtype and np.array_equal(back.pixels, photo.pixels)
        assert np.array_equal(back.alpha, photo.alpha) and back.alpha.dtype == photo.alpha.dtype
        assert (back.icc_profile, back.exif, back.bit_depth, back.grayscale) == (
            photo.icc_profile, photo.exif, photo.bit_depth, photo.grayscale)
    assert again.document.source == Path("/photos/scan.tif")
    autosave.close()
