"""The batch dialog over a real folder: bad files are reported, the others finished, originals untouched."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt

from palette_desktop.core.conditions import Task


def _folder(tmp_path, data_dir):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(data_dir / "shirt.jpg", folder / "shirt.jpg")
    shutil.copy(data_dir / "trousers.jpg", folder / "trousers.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)  # a truncated JPEG
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_a_corrupt_file_is_reported_and_the_others_are_finished(make_window, qtbot, tmp_path, data_dir):
    window = make_window()
    scans = _folder(tmp_path, data_dir)
    originals = {p.name: p.read_bytes() for p in scans.iterdir()}
    out = tmp_path / "restored"
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(scans)
    dialog.output.set_path(out)
    dialog.set_task(Task.COLORIZE)
    dialog.quality.setCurrentIndex(0)  # draft
    dialog.format.setCurrentIndex(dialog.format.findData(".png"))
    statuses = []
    window.engine.fileStatus.connect(lambda job, index, status: statuses.append((index, status)))
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert dialog.running and not dialog.close_button.isEnabled()
        assert not window.actions["colorize"].isEnabled()  # one job at a time on the engine

    report = dialog.report
    assert sorted(p.name for p in report.done) == ["shirt.jpg", "trousers.jpg"]
    assert [p.name for p, _ in report.failed] == ["broken.jpg"]
    assert sorted(p.name for p in out.iterdir()) == ["shirt.colorized.png", "trousers.colorized.png"]
    assert {p.name: p.read_bytes() for p in scans.iterdir()} == originals  # nothing written into the input
    rows = {dialog.files.topLevelItem(i).text(0): dialog.files.topLevelItem(i).text(1)
            for i in range(dialog.files.topLevelItemCount())}
    assert rows["shirt.jpg"] == rows["trousers.jpg"] == "done"
    assert "damaged" in rows["broken.jpg"] or "not an image" in rows["broken.jpg"]
    assert "2 restored" in dialog.summary.text() and "1 failed" in dialog.summary.text()
    assert "broken.jpg" in dialog.summary.text()
    assert dialog.progress.text().startswith("3 of 3 photos · 100 %")
    assert dialog.start_button.isEnabled() and dialog.close_button.isEnabled()
    assert ("running" in [s for _, s in statuses])

    # again: the results exist, so every photo is skipped
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
    assert len(dialog.report.skipped) == 2 and "2 skipped" in dialog.summary.text()
    dialog.close()


def test_an_output_folder_inside_the_input_is_refused(make_window, qtbot, tmp_path, data_dir):
    window = make_window()
    scans = _folder(tmp_path, data_dir)
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(scans)
    dialog.output.set_path(scans / "out")
    with qtbot.assertNotEmitted(window.engine.started, wait=100):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.error_box.isVisible()
    assert "must not be the input folder or inside it" in dialog.error_box.text()
    assert not (scans / "out").exists() and not dialog.running
    dialog.error_box.accept()


def test_inpaint_in_a_batch_needs_a_masks_folder(make_window, qtbot, tmp_path, data_dir):
    window = make_window()
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(_folder(tmp_path, data_dir))
    dialog.output.set_path(tmp_path / "out")
    dialog.set_task(Task.INPAINT)
    assert dialog.masks.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "folder of masks" in dialog.error_box.text() and not dialog.running
    dialog.error_box.accept()


def test_inpaint_batch_with_same_named_masks(make_window, qtbot, tmp_path, data_dir):
    import numpy as np
    from PIL import Image

    window = make_window()
    scans = tmp_path / "scans"
    masks = tmp_path / "masks"
    scans.mkdir()
    masks.mkdir()
    shutil.copy(data_dir / "shirt.jpg", scans / "shirt.jpg")
    mask = np.zeros((120, 160), np.uint8)
    mask[40:60, 50:90] = 255
    Image.fromarray(mask).save(masks / "shirt.png")
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(scans)
    dialog.output.set_path(tmp_path / "out")
    dialog.set_task(Task.INPAINT)
    dialog.masks.set_path(masks)
    dialog.quality.setCurrentIndex(0)
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
    assert [p.name for p in dialog.report.done] == ["shirt.jpg"] and (tmp_path / "out" / "shirt.inpainted.jpg").is_file()


def test_cancelling_a_batch_stops_within_a_step_and_keeps_what_is_done(make_window, qtbot, tmp_path, data_dir):
    window = make_window()
    window.options_panel.set_steps(1000)  # the dialog starts from the window's options
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(_folder(tmp_path, data_dir))
    dialog.output.set_path(tmp_path / "out")
    dialog.set_task(Task.COLORIZE)
    assert dialog.quality.currentData() == 1000
    steps = []
    window.engine.progress.connect(lambda job, done, total: steps.append(done))
    dialog.start()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=10000)
    with qtbot.waitSignal(window.engine.batchFinished, timeout=5000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.report.cancelled and not dialog.report.done
    assert steps[-1] <= 1000 and "cancelled" in dialog.summary.text()
    assert not any((tmp_path / "out").iterdir())
    assert dialog.start_button.isEnabled() and not window.engine.busy


def test_a_full_disk_stops_the_batch_and_says_so(make_window, qtbot, tmp_path, data_dir):
    from real_fs import fill_disk, tmpfs

    window = make_window()
    with tmpfs(tmp_path / "disk", 256) as disk:
        window.open_batch()
        dialog = window.batch_dialog
        dialog.input.set_path(_folder(tmp_path, data_dir))
        dialog.output.set_path(disk)
        dialog.set_task(Task.JPEG)
        dialog.quality.setCurrentIndex(0)
        fill_disk(disk, leave_bytes=4096)
        with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
            dialog.start()
        report = dialog.report
        assert "disk is full" in report.stopped and not report.done
        assert "Stopped:" in dialog.summary.text() and "disk is full" in dialog.summary.text()
        assert [p.name for p in disk.iterdir()] == ["filler.bin"]  # nothing truncated, no temporary file
