"""The smaller things a first-use walkthrough tripped over (issue 13 #9), each on the real widgets."""

from __future__ import annotations

from gui_helpers import drag, line
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from palette_desktop.app.tools import Tool


def test_inpaint_waits_for_a_mask(window, qtbot):
    window.set_tool(Tool.BRUSH)
    inpaint = window.actions["inpaint"]
    assert not inpaint.isEnabled()  # nothing painted: nothing to inpaint (was: an "Inpaint failed" dialog)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)  # Enter with the Brush
    assert not window.engine.busy and window.error_box is None
    drag(qtbot, window.canvas, line((20, 60), (140, 60)))
    assert inpaint.isEnabled()
    window.actions["undo"].trigger()
    assert not inpaint.isEnabled()
    window.actions["redo"].trigger()
    window.actions["clear_mask"].trigger()
    assert not inpaint.isEnabled()


def test_preferences_have_a_shortcut_on_every_system(window):
    keys = window.actions["preferences"].shortcuts()
    assert keys and all(not k.isEmpty() for k in keys)
    names = [k.toString(QKeySequence.SequenceFormat.PortableText) for k in keys]
    assert any(n for n in names), names


def test_brush_size_candidates_and_the_batch_task_are_remembered(make_window, qtbot):
    from palette_desktop.core.conditions import Task

    first = make_window()
    first.brush_panel.size.setValue(77)
    first.brush_panel.feather.setValue(9)
    first.options_panel.candidates.setValue(3)
    first.open_batch()
    first.batch_dialog.set_task(Task.JPEG)
    first.batch_dialog.close()
    first.close()
    again = make_window()
    assert again.brush_panel.size.value() == 77 and again.brush_panel.feather.value() == 9
    assert again.options_panel.candidates.value() == 3
    again.open_batch()
    assert again.batch_dialog.task.currentData() is Task.JPEG
    again.batch_dialog.close()


def _scans(tmp_path, data_dir):
    import shutil

    scans = tmp_path / "scans"
    scans.mkdir()
    for name in ("shirt.jpg", "trousers.jpg"):
        shutil.copy(data_dir / name, scans / name)
    (scans / "notes.txt").write_text("not a photo")
    return scans


def rows(dialog) -> dict[str, str]:
    items = (dialog.files.topLevelItem(i) for i in range(dialog.files.topLevelItemCount()))
    return {item.text(0): item.text(1) for item in items}


def test_the_batch_lists_its_photos_before_start(make_window, qtbot, tmp_path, data_dir):
    from palette_desktop.core.conditions import Task

    window = make_window()
    scans = _scans(tmp_path, data_dir)
    window.open_batch()
    dialog = window.batch_dialog
    dialog.set_task(Task.COLORIZE)
    dialog.format.setCurrentIndex(dialog.format.findData(".png"))
    dialog.input.set_path(scans)
    qtbot.waitUntil(lambda: len(rows(dialog)) == 2, timeout=3000)  # as soon as the folder is chosen
    assert set(rows(dialog)) == {"shirt.jpg", "trousers.jpg"} and set(rows(dialog).values()) == {"waiting"}
    assert "2 photos" in dialog.summary.text()
    out = tmp_path / "restored"
    out.mkdir()
    (out / "shirt.colorized.png").write_bytes((data_dir / "shirt.jpg").read_bytes())  # a result from before
    dialog.output.set_path(out)
    qtbot.waitUntil(lambda: rows(dialog).get("shirt.jpg", "").startswith("result exists"), timeout=3000)
    assert rows(dialog)["trousers.jpg"] == "waiting"
    dialog.output.set_path(scans / "inside")  # a mistake is said before Start
    qtbot.waitUntil(lambda: "inside" in dialog.summary.text() or "input" in dialog.summary.text(), timeout=3000)
    dialog.close()


def test_batch_progress_reads_as_photos_percent_and_time_left(make_window, qtbot, tmp_path, data_dir):
    import re

    from palette_desktop.core.conditions import Task

    window = make_window()
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(_scans(tmp_path, data_dir))
    dialog.output.set_path(tmp_path / "out")
    dialog.set_task(Task.COLORIZE)
    texts: list[str] = []
    window.engine.progress.connect(lambda *_: texts.append(f"{dialog.progress.text()} | {dialog.step_label.text()}"))
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
    assert texts and all(re.match(r"^\d of 2 photos · \d{1,3} %", t) for t in texts), texts[:4]
    assert not any("step" in t for t in texts)
    percents = [int(re.search(r"(\d{1,3}) %", t).group(1)) for t in texts]
    assert percents == sorted(percents)
    assert dialog.progress.text().startswith("2 of 2 photos · 100 %")
    dialog.close()


def test_the_extend_frame_also_crops_and_each_change_is_an_undo_step(window, qtbot):
    import numpy as np

    from palette_desktop.core.conditions import Task
    from palette_desktop.tasks.extend import Margins

    window.set_tool(Tool.EXTEND)
    canvas, panel, stack = window.canvas, window.extend_panel, window.history.stack
    original = window.document.photo.pixels.copy()
    drag(qtbot, canvas, [(-0.5, 60), (15, 60), (29.5, 60)])  # the left edge dragged 30 px inward
    assert canvas.margins.left == -30 and panel.spins["left"].value() == -30
    drag(qtbot, canvas, [(159.5, 60), (170, 60), (179.5, 60)])  # the right edge 20 px outward
    assert canvas.margins == Margins(-30, 0, 20, 0)
    assert stack.count() == 2  # one step per drag, not per mouse move
    panel.spins["top"].setValue(4)
    panel.spins["top"].setValue(8)  # typing "8" after "4": one step
    assert stack.count() == 3 and canvas.margins.top == 8
    window.actions["undo"].trigger()
    assert canvas.margins == Margins(-30, 0, 20, 0) and panel.margins() == canvas.margins
    window.actions["undo"].trigger()
    assert canvas.margins == Margins(-30, 0, 0, 0) and panel.spins["right"].value() == 0
    window.actions["redo"].trigger()
    assert canvas.margins == Margins(-30, 0, 20, 0)
    assert not window.isWindowModified()  # a frame is not a change to the photo

    with qtbot.waitSignal(window.engine.finished, timeout=30000):
        window.run_task(Task.EXTEND)  # the cut is made at once; the model fills the new right side
    doc = window.document
    assert doc.photo.size == (150, 120)
    assert np.array_equal(doc.photo.pixels[:, :130], original[:, 30:])
    assert canvas.margins == Margins() and panel.margins() == Margins()
    window.actions["undo"].trigger()  # the extend
    window.actions["undo"].trigger()  # the crop
    assert doc.photo.size == (160, 120) and np.array_equal(doc.photo.pixels, original)


def test_a_frame_that_only_crops_needs_no_model_run(window, qtbot):
    from palette_desktop.core.conditions import Task

    window.set_tool(Tool.EXTEND)
    window.extend_panel.spins["bottom"].setValue(-20)
    assert window.run_task(Task.EXTEND) is None and not window.engine.busy
    assert window.document.photo.size == (160, 100)
    assert window.history.stack.text(window.history.stack.count() - 1).startswith("Crop")
