"""Restore an old photo in one action: the steps, their order, one progress plan, cancel, and the CLI."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from palette_desktop.cli import main
from palette_desktop.core.color import is_monochrome, to_gray
from palette_desktop.core.conditions import Task
from palette_desktop.core.degrade import old_print
from palette_desktop.core.errors import Cancelled
from palette_desktop.core.imageio import Photo, is_gray, load_image, save_image
from palette_desktop.core.progress import STAGED_SCALE, StagedState, TaskState
from palette_desktop.core.synthetic_damage import add_damage
from palette_desktop.tasks.auto import AutoRequest, Step, restore_old_photo
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest, apply_task

OPTIONS = SamplingOptions(steps=2, seed=7)


@pytest.fixture()
def old_scan(data_dir) -> Photo:
    """A sepia print of a real photo with scratches and dust drawn on it, 256×192."""
    pixels = cv2.resize(load_image(data_dir / "floor.jpg").pixels, (192, 256), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(4)
    toned = old_print(pixels, rng)
    while is_gray(toned):  # a toned print, not a plain gray one
        toned = old_print(pixels, rng)
    return Photo(add_damage(toned, np.random.default_rng(1), scratches=(3, 3), specks=(6, 6)).image)


def test_the_steps_run_in_order_each_on_the_result_of_the_one_before(old_scan, tiny_model):
    results = list(restore_old_photo(old_scan, AutoRequest(OPTIONS), tiny_model, TaskState()))
    assert [r.step for r in results] == [Step.DETECT, Step.INPAINT, Step.CLEAN_UP, Step.COLORIZE]
    detect, inpaint, clean, colour = results
    assert detect.photo is old_scan and detect.mask.shape == old_scan.pixels.shape[:2] and detect.mask.any()
    one = SamplingOptions(steps=2, seed=7, candidates=1)
    expected = apply_task(old_scan, TaskRequest(Task.INPAINT, one, mask=detect.mask), tiny_model, TaskState())[0]
    assert np.array_equal(inpaint.photo.pixels, expected.pixels)
    assert np.array_equal(inpaint.photo.pixels[detect.mask == 0], old_scan.pixels[detect.mask == 0])
    expected = apply_task(inpaint.photo, TaskRequest(Task.JPEG, one), tiny_model, TaskState())[0]
    assert np.array_equal(clean.photo.pixels, expected.pixels)
    expected = apply_task(clean.photo, TaskRequest(Task.COLORIZE, one), tiny_model, TaskState())[0]
    assert np.array_equal(colour.photo.pixels, expected.pixels)


def test_a_colour_photo_or_keep_monochrome_is_not_colorized(old_scan, tiny_model, shirt):
    kept = [r.step for r in restore_old_photo(old_scan, AutoRequest(OPTIONS, keep_monochrome=True), tiny_model,
                                              TaskState())]
    assert kept == [Step.DETECT, Step.INPAINT, Step.CLEAN_UP]
    assert Step.COLORIZE not in [r.step for r in restore_old_photo(shirt, AutoRequest(OPTIONS), tiny_model,
                                                                   TaskState())]


def test_a_given_mask_replaces_detection_and_no_damage_skips_the_repair(old_scan, tiny_model):
    h, w = old_scan.pixels.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[100:110, 20:150] = 1
    steps = [r.step for r in restore_old_photo(old_scan, AutoRequest(OPTIONS, mask=mask), tiny_model, TaskState())]
    assert steps == [Step.INPAINT, Step.CLEAN_UP, Step.COLORIZE]
    clean = [r.step for r in restore_old_photo(old_scan, AutoRequest(OPTIONS, mask=mask * 0), tiny_model, TaskState())]
    assert clean == [Step.CLEAN_UP, Step.COLORIZE]


def test_one_progress_plan_runs_once_from_start_to_end(old_scan, tiny_model):
    reports = []
    list(restore_old_photo(old_scan, AutoRequest(OPTIONS), tiny_model, TaskState(reports.append)))
    assert {r.total for r in reports} == {STAGED_SCALE}
    done = [r.done for r in reports]
    assert done == sorted(done) and done[-1] == STAGED_SCALE
    assert len(set(done)) > 8  # it moves within the steps, not only between them


def test_cancel_stops_the_step_that_runs_and_keeps_what_was_done(old_scan, tiny_model):
    state = TaskState(lambda report: state.cancel() if report.done > STAGED_SCALE // 2 else None)
    finished = []
    with pytest.raises(Cancelled):
        for result in restore_old_photo(old_scan, AutoRequest(OPTIONS), tiny_model, state):
            finished.append(result.step)
    assert finished[:2] == [Step.DETECT, Step.INPAINT] and Step.COLORIZE not in finished


def test_staged_state_gives_each_stage_its_share():
    heard = []
    parent = TaskState(heard.append)
    staged = StagedState(parent, [1, 3])
    staged.begin(0)
    staged.plan(2)
    staged.step()
    staged.begin(1)
    staged.plan(4)
    staged.step(count=2)
    staged.finish()
    assert [r.done for r in heard] == [0, 125, 250, 625, 1000]
    staged.cancel()
    assert parent.cancelled
    with pytest.raises(Cancelled):
        staged.step()


def test_monochrome_means_gray_or_toned(shirt):
    assert not is_monochrome(shirt.pixels)
    assert is_monochrome(to_gray(shirt.pixels))
    sepia = np.clip(to_gray(shirt.pixels) * np.array([1.07, 0.74, 0.43], np.float32) + [0.0, 0.05, 0.08], 0, 1)
    assert is_monochrome(sepia.astype(np.float32))


# -- the command line ------------------------------------------------------------------


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_restore_task_auto_writes_one_restored_photo(capsys, tmp_path, old_scan, tiny_model_dir):
    source = save_image(old_scan, tmp_path / "old.png").path
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    code, out, err = _run(capsys, "restore", "--task", "auto", source, tmp_path / "new.png", "--model", tiny_model_dir,
                          "--steps", "2")
    assert code == 0, err
    assert out.strip() == str(tmp_path / "new.png")
    assert load_image(tmp_path / "new.png").size == old_scan.size
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    gray = save_image(Photo(to_gray(old_scan.pixels)), tmp_path / "gray.png").path
    for flag, colour in (([], True), (["--keep-monochrome"], False)):
        code, _, err = _run(capsys, "restore", "--task", "auto", *flag, gray, tmp_path / "out.png",
                            "--model", tiny_model_dir, "--steps", "2")
        assert code == 0, err
        assert is_gray(load_image(tmp_path / "out.png").pixels) is not colour


@pytest.mark.parametrize("argv, code, message", [
    (["--candidates", "2"], 1, "--task auto makes one result"),
    (["--mask", "none.png"], 1, "no mask none.png"),
])
def test_restore_task_auto_refuses_what_it_cannot_do(capsys, tmp_path, data_dir, tiny_model_dir, argv, code, message):
    result, _, err = _run(capsys, "restore", "--task", "auto", data_dir / "shirt.jpg", tmp_path / "out.png",
                          "--model", tiny_model_dir, *[tmp_path / a if a.endswith(".png") else a for a in argv])
    assert result == code and message in err.splitlines()[-1] and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def test_restore_task_auto_exit_codes_for_a_missing_photo_and_a_bad_option(capsys, tmp_path, tiny_model_dir):
    code, _, err = _run(capsys, "restore", "--task", "auto", tmp_path / "none.jpg", tmp_path / "out.png",
                        "--model", tiny_model_dir)
    assert code == 1 and "none.jpg" in err
    code, _, err = _run(capsys, "restore", "--task", "autos", tmp_path / "none.jpg", tmp_path / "out.png")
    assert code == 2 and "invalid choice" in err


def test_batch_task_auto_names_its_outputs_restored(capsys, tmp_path, old_scan, tiny_model_dir):
    from batch_files import results

    (tmp_path / "in").mkdir()
    save_image(old_scan, tmp_path / "in" / "a.jpg")
    save_image(old_scan, tmp_path / "in" / "b.png")
    code, _, err = _run(capsys, "batch", tmp_path / "in", tmp_path / "out", "--task", "auto", "--model", tiny_model_dir,
                        "--steps", "2")
    assert code == 0, err
    assert [p.name for p in results(tmp_path / "out")] == ["a.restored.jpg", "b.restored.png"]


def test_mask_detect_damage_writes_the_mask_and_leaves_the_photo_alone(capsys, tmp_path, old_scan):
    source = save_image(old_scan, tmp_path / "old.png").path
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    code, out, err = _run(capsys, "mask", "--detect", "damage", source, tmp_path / "mask.png")
    assert code == 0, err
    mask = load_image(tmp_path / "mask.png")
    assert mask.size == old_scan.size and mask.grayscale
    assert set(np.unique(mask.pixels)) == {0.0, 1.0}
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("output, message", [("mask.jpg", "masks are saved as PNG"),
                                             ("old.png", "would overwrite the original")])
def test_mask_refuses_a_lossy_format_and_the_photo_itself(capsys, tmp_path, old_scan, output, message):
    source = save_image(old_scan, tmp_path / "old.png").path
    before = source.read_bytes()
    code, _, err = _run(capsys, "mask", "--detect", "damage", source, tmp_path / output)
    assert code == 1 and message in err
    assert source.read_bytes() == before and not (tmp_path / "mask.jpg").exists()
