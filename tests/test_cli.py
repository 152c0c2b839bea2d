"""The headless command line: exit codes, one-line messages, files written and not written."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from palette_desktop.cli import main
from palette_desktop.core.imageio import load_image


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _model(tiny_model_dir):
    return ["--model", tiny_model_dir, "--steps", "2"]


@pytest.mark.parametrize("task, extra", [("colorize", []), ("jpeg", []), ("extend", ["--extend", "8,0,8,4"]),
                                         ("extend", ["--aspect", "1:1"])])
def test_restore_writes_the_result(capsys, tmp_path, data_dir, tiny_model_dir, task, extra):
    out = tmp_path / "out.png"
    code, stdout, err = _run(capsys, "restore", "--task", task, data_dir / "shirt.jpg", out, *_model(tiny_model_dir), *extra)
    assert code == 0, err
    assert stdout.strip() == str(out)
    size = load_image(out).size
    assert size == {"extend": (176, 124) if "--extend" in extra else (160, 160)}.get(task, (160, 120))


def test_restore_inpaint_with_a_mask_file(capsys, tmp_path, data_dir, tiny_model_dir):
    mask = np.zeros((120, 160), np.uint8)
    mask[40:60, 30:90] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    code, _, err = _run(capsys, "restore", "--task", "inpaint", data_dir / "shirt.jpg", tmp_path / "out.png",
                        "--mask", tmp_path / "mask.png", *_model(tiny_model_dir))
    assert code == 0, err
    out, src = load_image(tmp_path / "out.png").pixels, load_image(data_dir / "shirt.jpg").pixels
    assert np.array_equal(out[mask == 0], np.round(src[mask == 0] * 255) / 255)


def test_candidates_are_numbered(capsys, tmp_path, data_dir, tiny_model_dir):
    code, stdout, _ = _run(capsys, "restore", "--task", "jpeg", data_dir / "shirt.jpg", tmp_path / "r.png",
                           "--candidates", "2", *_model(tiny_model_dir))
    assert code == 0 and stdout.split() == [str(tmp_path / "r-1.png"), str(tmp_path / "r-2.png")]


@pytest.mark.parametrize("argv, message", [
    (["restore", "--task", "inpaint", "{shirt}", "{out}"], "needs --mask"),
    (["restore", "--task", "extend", "{shirt}", "{out}"], "needs --extend"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--extend", "1,2"], "four whole numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "wide"], "W:H"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--candidates", "9"], "candidates"),
    (["restore", "--task", "jpeg", "{bad}", "{out}"], "not an image"),
    (["restore", "--task", "jpeg", "{shirt}", "{tmp}/out.xyz"], "unknown output format"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{tmp}/nomodel"], "model folder not found"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--device", "cuda", "--backend", "torch"], "CUDA"),
])
def test_failures_exit_non_zero_with_one_line(capsys, tmp_path, data_dir, tiny_model_dir, argv, message):
    (tmp_path / "bad.jpg").write_bytes(b"definitely not a jpeg")
    names = {"shirt": data_dir / "shirt.jpg", "out": tmp_path / "out.png", "bad": tmp_path / "bad.jpg", "tmp": tmp_path}
    args = [a.format(**names) for a in argv]
    if "--model" not in args:
        args += ["--model", str(tiny_model_dir)]
    code, _, err = _run(capsys, *args)
    lines = [line for line in err.splitlines() if line.startswith("palette-desktop:")]
    assert code == 1 and len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "out.png").exists()


def test_restore_refuses_to_overwrite_the_original(capsys, tmp_path, data_dir, tiny_model_dir):
    src = tmp_path / "photo.jpg"
    shutil.copy(data_dir / "shirt.jpg", src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    code, _, err = _run(capsys, "restore", "--task", "jpeg", src, src, *_model(tiny_model_dir))
    assert code == 1 and "overwrite the original" in err
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_batch_goes_past_a_corrupt_file_and_reports_it(capsys, tmp_path, data_dir, tiny_model_dir):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copy(data_dir / "shirt.jpg", src / "a.jpg")
    shutil.copy(data_dir / "trousers.jpg", src / "c.jpg")
    (src / "b.jpg").write_bytes((data_dir / "shirt.jpg").read_bytes()[:700])  # truncated
    (src / "notes.txt").write_text("not a photo")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", "--format", "png", *_model(tiny_model_dir))
    assert code == 1
    assert sorted(p.name for p in dst.iterdir()) == ["a.png", "c.png"]
    assert "1 failed" in err and "b.jpg" in err and "truncated" in err
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    # a second run skips what exists and still reports the bad file
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", "--format", "png", *_model(tiny_model_dir))
    assert code == 1 and "2 skipped" in err


def test_batch_never_writes_into_the_input_folder(capsys, tmp_path, data_dir, tiny_model_dir):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(data_dir / "shirt.jpg", src / "a.jpg")
    for target in (src, src / "restored"):
        code, _, err = _run(capsys, "batch", src, target, "--task", "jpeg", *_model(tiny_model_dir))
        assert code == 1 and "must not be the input folder" in err
    assert [p.name for p in src.iterdir()] == ["a.jpg"]


def test_batch_inpaint_takes_masks_from_a_folder(capsys, tmp_path, data_dir, tiny_model_dir):
    src, masks, dst = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    src.mkdir(), masks.mkdir()
    shutil.copy(data_dir / "shirt.jpg", src / "a.jpg")
    shutil.copy(data_dir / "trousers.jpg", src / "b.jpg")
    mask = np.zeros((120, 160), np.uint8)
    mask[10:20, 10:50] = 255
    Image.fromarray(mask).save(masks / "a.png")
    code, _, err = _run(capsys, "batch", src, dst, "--task", "inpaint", "--masks", masks, *_model(tiny_model_dir))
    assert code == 1 and "no mask b.png" in err
    assert [p.name for p in dst.iterdir()] == ["a.jpg"]


def test_the_console_script_runs_as_a_process(tmp_path, data_dir, tiny_model_dir):
    out = tmp_path / "o.png"
    ok = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", "--task", "jpeg", str(data_dir / "shirt.jpg"),
                         str(out), "--model", str(tiny_model_dir), "--steps", "1"], capture_output=True, text=True)
    assert ok.returncode == 0 and out.exists(), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", "--task", "jpeg", str(tmp_path / "none.jpg"),
                          str(out)], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip() == "palette-desktop: none.jpg: no such file"
    version = subprocess.run([sys.executable, "-m", "palette_desktop", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("palette-desktop ")


def test_self_test_passes_on_the_bundled_model(capsys):
    code, out, _ = _run(capsys, "self-test")
    assert code == 0 and "self-test passed" in out


def test_self_test_flag_spelling(capsys):
    code, out, _ = _run(capsys, "--self-test")
    assert code == 0 and "self-test passed" in out
