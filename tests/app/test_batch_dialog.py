"""The batch dialog over a real folder: bad files are reported, the others finished, originals untouched."""

from __future__ import annotations

import shutil

from batch_files import report_rows, results
from PySide6.QtCore import QPoint, Qt

from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import is_complete_image


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
    assert [p.name for p in results(out)] == ["shirt.colorized.png", "trousers.colorized.png"]
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

    # the report: said where it is, the failure in it and in the list
    report = out / "batch-report.colorized.csv"
    assert f"Report: {report}" in dialog.where.text() and f"Results: {out}" in dialog.where.text()
    assert dialog.where.isVisible()
    rows = {r["photo"]: r for r in report_rows(report)}
    assert rows[str(scans / "broken.jpg")]["status"] == "failed"
    assert rows[str(scans / "broken.jpg")]["message"] in dialog.summary.text()
    assert rows[str(scans / "shirt.jpg")]["output"] == "shirt.colorized.png"
    assert dialog.only_failures.isVisible() and dialog.only_failures.text() == "Show only the photo that failed"
    dialog.grab().save(str(tmp_path / "batch-with-a-failure.png"))
    box = dialog.only_failures
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    shown = [dialog.files.topLevelItem(i).text(0) for i in range(dialog.files.topLevelItemCount())
             if not dialog.files.topLevelItem(i).isHidden()]
    assert shown == ["broken.jpg"]
    dialog.grab().save(str(tmp_path / "batch-failures-only.png"))

    # again: the results exist, so every photo is skipped, and the report says so for the whole folder
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
        assert not dialog.only_failures.isVisible() and not dialog.where.isVisible()  # of the batch before
    assert len(dialog.report.skipped) == 2 and "2 skipped" in dialog.summary.text()
    assert sorted(r["status"] for r in report_rows(report)) == ["failed", "skipped", "skipped"]
    assert all(dialog.files.topLevelItem(i).isHidden() is False for i in range(3))
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
    assert results(tmp_path / "out") == []
    rows = report_rows(tmp_path / "out" / "batch-report.colorized.csv")
    assert [r["status"] for r in rows] == ["failed", "not done", "not done"]  # broken.jpg comes first
    assert [r["message"] for r in rows[1:]] == ["cancelled", "cancelled"]
    assert dialog.progress.text().endswith(" % · cancelled")
    assert [dialog.files.topLevelItem(i).text(1) for i in (1, 2)] == ["cancelled", "not done"]
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
        assert results(disk) == [disk / "filler.bin"]  # nothing truncated, no temporary file
        # the report written at the start took the last free page; its final version found none, and that is said
        assert ("The report could not be brought up to date: batch-report.jpeg-restored.csv: could not write "
                "(the disk is full)") in dialog.where.text()
        assert dialog.progress.text() == "2 of 3 photos · 66 % · stopped"  # broken.jpg failed, shirt.jpg stopped it
        assert dialog.files.topLevelItem(2).text(1) == "not done"  # not "waiting", nor a time left
        assert [r["status"] for r in report_rows(disk / "batch-report.jpeg-restored.csv")] == ["not done"] * 3


def _batch_of(window, scans, out, task):
    window.open_batch()
    dialog = window.batch_dialog
    dialog.input.set_path(scans)
    dialog.output.set_path(out)
    dialog.set_task(task)
    dialog.quality.setCurrentIndex(0)
    return dialog


def test_show_results_says_where_they_are_when_no_file_manager_can(make_window, qtbot, tmp_path, data_dir):
    """The offscreen platform, like a desktop without a file manager, opens no folder."""
    window = make_window()
    out = tmp_path / "restored"
    dialog = _batch_of(window, _folder(tmp_path, data_dir), out, Task.JPEG)
    with qtbot.waitSignal(window.engine.batchFinished, timeout=60000):
        dialog.start()
    assert dialog.open_button.isEnabled()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    box = dialog.folder_box
    assert box is not None and box.isVisible()
    assert f"The results are in:\n{out}" in box.text() and str(out / "batch-report.jpeg-restored.csv") in box.text()
    box.grab().save(str(tmp_path / "no-file-manager.png"))
    box.accept()
    dialog.close()


def test_restore_old_photo_is_a_batch_task_with_the_colour_choice(make_window, qtbot, tmp_path, data_dir):
    from PIL import Image

    from palette_desktop.core.imageio import is_gray, load_image

    window = make_window()
    scans = tmp_path / "scans"
    scans.mkdir()
    Image.open(data_dir / "shirt.jpg").convert("L").save(scans / "grey.png")  # a black-and-white photo
    shutil.copy(data_dir / "trousers.jpg", scans / "colour.jpg")
    window.open_batch()
    dialog = window.batch_dialog
    assert dialog.task.currentText() == "Restore old photo"  # the window's main action is the first choice here too
    assert dialog.colour.isVisibleTo(dialog) and dialog.colour.currentData() is None  # as detected
    for choice, grey_stays_grey in ((None, False), (False, True), (True, False)):
        out = tmp_path / f"out-{choice}"
        dialog = _batch_of(window, scans, out, "auto")
        assert dialog.colour.isVisibleTo(dialog)
        dialog.colour.setCurrentIndex(dialog.colour.findData(choice))
        with qtbot.waitSignal(window.engine.batchFinished, timeout=120000):
            qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert sorted(p.name for p in dialog.report.done) == ["colour.jpg", "grey.png"], dialog.summary.text()
        assert [p.name for p in results(out)] == ["colour.restored.jpg", "grey.restored.png"]
        assert is_gray(load_image(out / "grey.restored.png").pixels) is grey_stays_grey
        assert not is_gray(load_image(out / "colour.restored.jpg").pixels)
        assert {r["task"] for r in report_rows(out / "batch-report.restored.csv")} == {"auto"}
    as_found, every = (load_image(tmp_path / f"out-{c}" / "colour.restored.jpg").pixels for c in (None, True))
    assert (as_found != every).mean() > 0.1  # the colour photo was colorized anew
    dialog.set_task(Task.JPEG)
    assert not dialog.colour.isVisibleTo(dialog)
    dialog.close()


def test_a_batch_without_a_model_leaves_its_report_and_says_where(qtbot, tmp_path, data_dir, tiny_model_dir):
    from palette_desktop.app.batch_dialog import BatchDialog
    from palette_desktop.app.settings import Settings
    from palette_desktop.app.worker import Engine, ModelSpec
    from palette_desktop.engine.loader import Backend
    from palette_desktop.tasks.common import SamplingOptions

    broken = shutil.copytree(tiny_model_dir, tmp_path / "broken-model")
    (broken / "model.onnx").write_bytes((broken / "model.onnx").read_bytes()[:500])
    engine = Engine(ModelSpec(broken, Backend.ONNX, "cpu"))
    try:
        dialog = BatchDialog(engine, Settings(), SamplingOptions(steps=3))
        qtbot.addWidget(dialog)
        out = tmp_path / "out"
        dialog.input.set_path(_folder(tmp_path, data_dir))
        dialog.output.set_path(out)
        dialog.set_task(Task.JPEG)
        with qtbot.waitSignal(engine.failed, timeout=60000) as failed:
            dialog.start()
        message = failed.args[1]
        assert dialog.summary.text() == f"The batch stopped: {message}"
        report = out / "batch-report.jpeg-restored.csv"
        assert f"Report: {report}" in dialog.where.text() and dialog.start_button.isEnabled()
        assert [(r["status"], r["message"]) for r in report_rows(report)] == [("not done", message)] * 3
        assert results(out) == []
    finally:
        engine.shutdown()
