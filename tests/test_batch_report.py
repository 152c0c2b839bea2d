"""The CSV report a batch leaves beside its outputs: whole, kept up to date, also when the batch is cut short."""

from __future__ import annotations

import shutil

import pytest
from batch_files import report_rows, results

from palette_desktop.core.conditions import Task
from palette_desktop.core.imageio import is_complete_image, load_image
from palette_desktop.core.progress import TaskState
from palette_desktop.tasks import batch_report
from palette_desktop.tasks.batch import plan_batch, report_path, run_batch, unstarted_batch
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest

JPEG = TaskRequest(Task.JPEG, SamplingOptions(steps=1))


def _scans(folder, data_dir, names=("a.jpg", "b.jpg", "c.jpg", "d.jpg")):
    """Real photos under the given names, and a truncated JPEG as ``broken.jpg``."""
    folder.mkdir(parents=True)
    for index, name in enumerate(names):
        shutil.copy(data_dir / ("shirt.jpg" if index % 2 else "trousers.jpg"), folder / name)
    (folder / "broken.jpg").write_bytes((data_dir / "shirt.jpg").read_bytes()[:600])
    return folder


def test_the_report_has_a_row_per_photo_with_its_output_time_and_failure(tmp_path, data_dir, tiny_model):
    src = _scans(tmp_path / "in", data_dir)
    originals = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    report = run_batch(plan_batch(src, out, task="jpeg", suffix=".png"), JPEG, tiny_model)

    assert report.report_file == out / "batch-report.jpeg-restored.csv" and report.report_error is None
    rows = report_rows(report.report_file)
    assert [r["photo"] for r in rows] == [str(src / n) for n in ("a.jpg", "b.jpg", "broken.jpg", "c.jpg", "d.jpg")]
    assert {r["task"] for r in rows} == {"jpeg"}
    broken = rows[2]
    assert broken["status"] == "failed" and broken["output"] == "" and "damaged" in broken["message"]
    done = [r for r in rows if r is not broken]
    assert {r["status"] for r in done} == {"done"} and all(float(r["seconds"]) > 0 for r in done)
    assert [r["output"] for r in done] == ["a.jpeg-restored.png", "b.jpeg-restored.png", "c.jpeg-restored.png",
                                          "d.jpeg-restored.png"]
    assert all(is_complete_image(out / r["output"]) for r in done)
    assert [p.name for p in results(out)] == [r["output"] for r in done]
    assert {p.name: p.read_bytes() for p in src.iterdir()} == originals
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file of the report left


def test_a_rerun_reports_the_whole_folder_with_the_results_that_exist_as_skipped(tmp_path, data_dir, tiny_model):
    src, out = _scans(tmp_path / "in", data_dir), tmp_path / "out"
    run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model)
    (out / "c.jpeg-restored.jpg").unlink()  # as if the first run had been stopped before c.jpg
    report = run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model)

    rows = {load_name(r["photo"]): r for r in report_rows(report.report_file)}
    assert rows["c.jpg"]["status"] == "done" and float(rows["c.jpg"]["seconds"]) > 0
    for name in ("a.jpg", "b.jpg", "d.jpg"):
        assert rows[name]["status"] == "skipped" and rows[name]["message"] == "result exists"
        assert rows[name]["output"] == name.replace(".jpg", ".jpeg-restored.jpg") and rows[name]["seconds"] == ""
    assert rows["broken.jpg"]["status"] == "failed"  # tried again, and said again


def test_each_task_keeps_its_own_report_in_a_shared_folder(tmp_path, data_dir, tiny_model):
    src, out = _scans(tmp_path / "in", data_dir, names=("a.jpg",)), tmp_path / "out"
    run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model)
    run_batch(plan_batch(src, out, task="colorize"), TaskRequest(Task.COLORIZE, SamplingOptions(steps=1)), tiny_model)
    jpeg, colour = report_rows(out / "batch-report.jpeg-restored.csv"), report_rows(out / "batch-report.colorized.csv")
    assert [r["output"] for r in jpeg if r["status"] == "done"] == ["a.jpeg-restored.jpg"]
    assert [r["output"] for r in colour if r["status"] == "done"] == ["a.colorized.jpg"]


def test_a_cancelled_batch_reports_what_was_done_and_what_was_not(tmp_path, data_dir, tiny_model):
    src, out = _scans(tmp_path / "in", data_dir), tmp_path / "out"
    state = TaskState()
    report = run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model, state=state,
                       on_file=lambda index, item, status: status == "done" and state.cancel())
    assert report.cancelled
    rows = report_rows(report.report_file)
    assert [(r["status"], r["message"]) for r in rows] == [("done", "")] + [("not done", "cancelled")] * 4
    assert [p.name for p in results(out)] == ["a.jpeg-restored.jpg"]


def test_the_report_is_written_before_the_first_photo_and_follows_the_batch(tmp_path, data_dir, tiny_model,
                                                                            monkeypatch):
    monkeypatch.setattr(batch_report, "SAVE_INTERVAL_S", 0.0)  # each photo's row at once (a second apart by default)
    src, out = _scans(tmp_path / "in", data_dir), tmp_path / "out"
    items = plan_batch(src, out, task="jpeg")
    seen = []

    def on_file(index, item, status):
        if status == "running":
            seen.append([r["status"] for r in report_rows(report_path(out, "jpeg"))])

    run_batch(items, JPEG, tiny_model, on_file=on_file)
    assert seen == [["not done"] * 5, ["done"] + ["not done"] * 4, ["done", "done", "not done", "not done", "not done"],
                    ["done", "done", "failed", "not done", "not done"], ["done", "done", "failed", "done", "not done"]]


def test_a_defect_mid_batch_still_leaves_the_report_of_how_far_it_got(tmp_path, data_dir, tiny_model):
    src, out = _scans(tmp_path / "in", data_dir), tmp_path / "out"

    def on_file(index, item, status):
        if status == "done" and index == 1:
            raise ValueError("a listener's defect")

    with pytest.raises(ValueError):
        run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model, on_file=on_file)
    rows = report_rows(report_path(out, "jpeg"))
    assert [r["status"] for r in rows] == ["done", "done", "not done", "not done", "not done"]
    assert rows[2]["message"] == "the batch stopped: unexpected error (ValueError: a listener's defect)"


def test_a_batch_that_never_started_reports_every_photo_not_done_and_why(tmp_path, data_dir):
    src, out = _scans(tmp_path / "in", data_dir), tmp_path / "out"
    out.mkdir()
    report = unstarted_batch(plan_batch(src, out, task="jpeg"), JPEG, "cancelled", cancelled=True)
    assert report.cancelled and len(report.not_started) == 5
    assert [(r["status"], r["message"]) for r in report_rows(report.report_file)] == [("not done", "cancelled")] * 5


def test_names_in_any_script_read_back_as_they_are(tmp_path, data_dir, tiny_model):
    names = ("Großmutter 1952.jpg", "祖母.jpg", 'a "quoted", name.jpg')
    src, out = _scans(tmp_path / "in", data_dir, names=names), tmp_path / "out"
    report = run_batch(plan_batch(src, out, task="jpeg"), JPEG, tiny_model)
    rows = report_rows(report.report_file)
    assert sorted(load_name(r["photo"]) for r in rows) == sorted([*names, "broken.jpg"])
    assert all(load_image(out / r["output"]) for r in rows if r["status"] == "done")
    assert report.report_file.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets then read it as UTF-8


def load_name(photo: str) -> str:
    """A row's photo, by its file name."""
    return photo.rsplit("/", 1)[-1]
