"""GUI fixtures: isolated settings, a window on the tiny model, and a thread-leak check."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Settings, the user's model folder and crash recovery's sessions in the test's own temporary folder."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PALETTE_DESKTOP_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="session", autouse=True)
def refcounts_guarded(qapp):
    """The guard run_app applies: a long test session leaks as many references as a user's."""
    from palette_desktop.app.refcount_guard import guard_refcounts

    guard_refcounts()


@pytest.fixture(autouse=True)
def no_thread_leak(qapp):
    """Fail a test that leaves an engine thread running (as napari's conftest does for its threads)."""
    yield
    from palette_desktop.app.worker import running_engines

    leaked = running_engines()
    for engine in leaked:
        engine.shutdown()
    assert not leaked, f"{len(leaked)} engine thread(s) still running after the test"


@pytest.fixture()
def make_window(qtbot, tiny_model_dir):
    """Windows on the tiny ONNX model; closed at the end with their edits thrown away."""
    from palette_desktop.app.main_window import MainWindow
    from palette_desktop.app.settings import Settings
    from palette_desktop.app.worker import ModelSpec
    from palette_desktop.engine.loader import Backend

    windows = []

    def make():
        # Not qtbot.addWidget: pytest-qt would close it before our teardown could discard the edits,
        # and the "save changes?" prompt would wait for an answer forever.
        window = MainWindow(Settings(), ModelSpec(tiny_model_dir, Backend.ONNX, "cpu"))
        if window.settings.geometry() is None:
            window.resize(1100, 760)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.model is not None, timeout=15000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.history.stack.setClean()  # no "save changes?" prompt at teardown
            window.close()
        window.engine.shutdown()
        window.deleteLater()


@pytest.fixture()
def photo_path(tmp_path, data_dir):
    """A copy of the 160×120 shirt photo that the test may open (and must not overwrite)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    path = folder / "shirt.jpg"
    shutil.copy(data_dir / "shirt.jpg", path)
    return path


@pytest.fixture()
def window(make_window, photo_path):
    window = make_window()
    assert window.open_path(photo_path)
    window.options_panel.set_steps(6)  # draft: a quick run on the tiny model
    return window


@pytest.fixture()
def app_look(qapp):
    """The look the program has (Fusion, the dark palette, style.qss), the test session's back after."""
    from palette_desktop.app.main import apply_style

    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    apply_style(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
