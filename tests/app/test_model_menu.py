"""The Model menu, the status bar's backend, the About box with the model card, shortcuts, run_app."""

from __future__ import annotations

from palette_desktop.core.conditions import Task
from palette_desktop.engine.loader import Backend


def test_the_status_bar_names_the_model_and_the_backend_that_runs(window):
    assert window.backend_label.text() == "tiny-test · " + window.model.backend_name
    assert "ONNX Runtime" in window.backend_label.text()
    assert "160 × 120 px" in window.size_label.text() and "Zoom" in window.zoom_label.text()


def test_the_model_menu_lists_the_models_found_and_switches_backend(window, qtbot):
    window._fill_model_menu()
    names = [a.text() for a in window.model_actions]
    assert any(n.startswith("tiny-test") for n in names)
    checked = [a.text() for a in window.model_actions if a.isChecked()]
    assert len(checked) == 1 and checked[0].startswith("tiny-test")
    with qtbot.waitSignal(window.engine.modelLoaded, timeout=15000) as loaded:
        window.choose_backend(Backend.TORCH)
    assert "torch" in loaded.args[0].backend_name.lower() and window.settings.backend is Backend.TORCH
    assert window.backend_label.text().startswith("tiny-test · ")


def test_a_broken_model_folder_is_reported_not_raised(window, qtbot, tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    with qtbot.waitSignal(window.engine.modelFailed, timeout=10000):
        window.choose_model(broken)
    assert window.backend_label.text() == "No model loaded" and "manifest" in window.error_box.text()
    window.error_box.accept()


def test_about_names_the_model_and_shows_its_card(window):
    dialog = window.show_about()
    assert "tiny-test" in dialog.header.text() and window.model.backend_name in dialog.header.text()
    assert "tiny test model" in dialog.card.toPlainText()
    dialog.close()


def test_every_tool_has_a_shortcut_a_tooltip_and_a_labelled_toolbar_button(window):
    toolbar = [a.iconText() for a in window.toolbar.actions() if not a.isSeparator()]
    for label in ("Brush", "Extend", "Colorize", "Clean Up", "Restore Old", "Undo", "Redo", "Compare", "Batch"):
        assert label in toolbar
    for key in ("tool_hand", "tool_brush", "tool_extend", "eraser", "brush_bigger", "brush_smaller", "colorize",
                "jpeg", "inpaint", "extend", "detect_damage", "restore_old", "compare", "undo", "redo", "batch",
                "cancel", "clear_mask", "invert_mask", "new_seed"):
        action = window.actions[key]
        assert action.shortcuts(), key
        assert action.toolTip() and "(" in action.toolTip(), key
    dialog = window.show_shortcuts()
    assert dialog.table.rowCount() >= 20
    dialog.close()


def test_dice_gives_a_new_seed(window):
    seeds = set()
    for _ in range(5):
        window.actions["new_seed"].trigger()
        seeds.add(window.options_panel.seed.value())
    assert len(seeds) > 1


def test_run_app_opens_the_photo_and_returns_when_the_window_closes(qtbot, qapp, photo_path, tiny_model_dir):
    """The `palette-desktop PHOTO` entry point, end to end (the model chosen in the settings)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from palette_desktop.app.main import run_app
    from palette_desktop.app.main_window import MainWindow
    from palette_desktop.app.settings import Settings

    Settings().model_dir = tiny_model_dir
    seen = {}

    def check():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[0].document is not None and windows[0].model is not None:
            seen["title"] = windows[0].windowTitle()
            seen["backend"] = windows[0].backend_label.text()
            windows[0].close()
        else:
            QTimer.singleShot(20, check)

    QTimer.singleShot(20, check)
    assert run_app(str(photo_path)) == 0
    assert seen["title"].startswith("shirt.jpg") and seen["backend"].startswith("tiny-test")


def test_preferences_are_stored_and_applied(window, qtbot):
    from palette_desktop.app.dialogs import PreferencesDialog
    from palette_desktop.app.settings import Settings

    dialog = PreferencesDialog(window.settings, window)
    dialog.steps.setCurrentIndex(dialog.steps.findData(30))
    dialog.history.setValue(256)
    dialog.jpeg.setValue(88)
    dialog.store()
    stored = Settings()
    assert (stored.default_steps, stored.history_mb, stored.jpeg_quality) == (30, 256, 88)


def test_the_history_panel_names_each_step(window, qtbot):
    from gui_helpers import drag, line

    from palette_desktop.app.tools import Tool

    window.set_tool(Tool.BRUSH)
    drag(qtbot, window.canvas, line((20, 20), (60, 60)))
    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.actions["colorize"].trigger()
    model = window.history_view.model()
    rows = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert rows[0] == "Opened shirt.jpg" and rows[1] == "Brush stroke" and rows[2].startswith("Colorize · seed 0")


def _cuda_works(model_dir) -> bool:
    from palette_desktop.core.errors import PaletteError
    from palette_desktop.engine.loader import load_model

    try:
        load_model(model_dir, Backend.ONNX, "cuda")
    except PaletteError:
        return False
    return True


def test_a_cuda_choice_without_cuda_falls_back_to_the_cpu_with_a_notice(qtbot, tiny_model_dir, photo_path):
    """A start with "CUDA" remembered, on a machine without it: the launch path (settings, no spec)."""
    import pytest

    from palette_desktop.app.main_window import MainWindow
    from palette_desktop.app.settings import Settings

    if _cuda_works(tiny_model_dir):
        pytest.skip("CUDA works here: nothing to fall back from")
    stored = Settings()
    stored.model_dir, stored.backend, stored.device = tiny_model_dir, Backend.ONNX, "cuda"
    window = MainWindow(Settings())
    try:
        window.show()
        notices = []
        window.statusBar().messageChanged.connect(notices.append)
        qtbot.waitUntil(lambda: window.model is not None or window.engine.model_error is not None, timeout=15000)
        assert window.model is not None, window.engine.model_error
        assert window.error_box is None  # no "model could not be loaded" dialog
        assert window.backend_label.text().endswith("CPU")
        assert any("CUDA" in n and "CPU" in n for n in notices), notices
        assert Settings().device == "auto"  # the next start goes straight to a device that works
        assert window.open_path(photo_path) and window.actions["colorize"].isEnabled()
        with qtbot.waitSignal(window.engine.finished, timeout=30000):
            window.options_panel.set_steps(6)
            window.actions["colorize"].trigger()
    finally:
        window.history.stack.setClean()
        window.close()
        window.engine.shutdown()


def test_the_tasks_wait_for_a_model(make_window, qtbot, tmp_path, photo_path, tiny_model_dir):
    window = make_window()
    broken = tmp_path / "broken-model"
    broken.mkdir()
    with qtbot.waitSignal(window.engine.modelFailed, timeout=10000):
        window.choose_model(broken)
    window.error_box.accept()
    assert window.open_path(photo_path)
    tasks = ("colorize", "jpeg", "inpaint", "extend")
    assert not any(window.actions[key].isEnabled() for key in tasks)
    assert window.run_task(Task.COLORIZE) is None and not window.engine.busy
    with qtbot.waitSignal(window.engine.modelLoaded, timeout=15000):
        window.choose_model(tiny_model_dir)
    assert window.actions["colorize"].isEnabled() and window.actions["jpeg"].isEnabled()


def test_the_shortcuts_list_names_the_actions_as_the_menus_read_them(window):
    dialog = window.show_shortcuts()
    table = dialog.table
    names = {table.item(row, 0).text(): table.item(row, 1).text() for row in range(table.rowCount())}
    assert names["Clean Up (JPEG & Noise)"] == "Ctrl+J"  # "&&" in the menu text is a written "&"
    assert names["Open"] == "Ctrl+O"  # a lone "&" only marks the access key; no "…"
    dialog.close()
