"""The headless command line: exit codes, one-line messages, files written and not written."""

from __future__ import annotations

import hashlib
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
from PIL import Image

from batch_files import is_report, report_rows, results
from palette_desktop.cli import main
from palette_desktop.core.imageio import is_complete_image, load_image


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


@pytest.mark.parametrize("task", ["auto", "jpeg"])
def test_progress_is_a_percent_of_the_work_with_the_time_left(capsys, tmp_path, data_dir, tiny_model_dir, task):
    code, _, err = _run(capsys, "restore", "--task", task, data_dir / "shirt.jpg", tmp_path / "out.png",
                        "--model", tiny_model_dir, "--steps", "30")
    assert code == 0, err
    updates = [line for line in re.split(r"[\r\n]+", err) if line.startswith("shirt.jpg")]
    percents = [int(re.match(r"shirt\.jpg:\s+(\d+)%\|", line).group(1)) for line in updates]
    assert percents and percents == sorted(percents) and percents[-1] == 100
    assert all(re.search(r"\| \d\d:\d\d<(\d\d:\d\d|\?)\s*$", line) for line in updates)  # elapsed<left
    assert "step" not in err  # a count of network steps (or of thousandths, for auto) is not the work


def test_restore_inpaint_with_a_mask_file(capsys, tmp_path, data_dir, tiny_model_dir):
    mask = np.zeros((120, 160), np.uint8)
    mask[40:60, 30:90] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    code, _, err = _run(capsys, "restore", "--task", "inpaint", data_dir / "shirt.jpg", tmp_path / "out.png",
                        "--mask", tmp_path / "mask.png", *_model(tiny_model_dir))
    assert code == 0, err
    out, src = load_image(tmp_path / "out.png").pixels, load_image(data_dir / "shirt.jpg").pixels
    assert np.array_equal(out[mask == 0], src[mask == 0])


def _numbered_and_different(stdout: str, tmp_path) -> bool:
    names = [str(tmp_path / "r-1.png"), str(tmp_path / "r-2.png")]
    return stdout.split() == names and not np.array_equal(*(load_image(name).pixels for name in names))


def test_candidates_that_differ_are_numbered(capsys, tmp_path, data_dir, tiny_model_dir):
    code, stdout, err = _run(capsys, "restore", "--task", "colorize", data_dir / "shirt.jpg", tmp_path / "r.png",
                             "--candidates", "2", *_model(tiny_model_dir))
    assert code == 0 and _numbered_and_different(stdout, tmp_path), err


def test_clean_up_in_one_network_step_makes_one_result_and_says_why(capsys, tmp_path, data_dir, tiny_model_dir):
    code, stdout, err = _run(capsys, "restore", "--task", "jpeg", data_dir / "shirt.jpg", tmp_path / "r.png",
                             "--candidates", "2", *_model(tiny_model_dir))
    assert code == 0 and stdout.split() == [str(tmp_path / "r.png")], err
    assert "palette-desktop: one result, not 2: at this quality Clean Up is one estimate from the photo" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.png"]
    code, stdout, err = _run(capsys, "restore", "--task", "jpeg", data_dir / "shirt.jpg", tmp_path / "r.png",
                             "--candidates", "2", "--model", tiny_model_dir, "--steps", "30")  # 3 steps: they differ
    assert code == 0 and _numbered_and_different(stdout, tmp_path) and "one result" not in err


def test_an_untrained_model_makes_one_result_and_says_why(capsys, tmp_path, data_dir):
    from palette_desktop.model.config import TINY
    from palette_desktop.model.export import export_model
    from palette_desktop.model.unet import PaletteUNet

    untrained = tmp_path / "untrained"  # its output layer starts at zero: it returns its condition
    export_model(PaletteUNet(TINY), untrained, name="untrained", card="# untrained\n", working_size=64, default_steps=3)
    code, stdout, err = _run(capsys, "restore", "--task", "colorize", data_dir / "shirt.jpg", tmp_path / "r.png",
                             "--candidates", "3", "--steps", "6", *_model(untrained))
    assert code == 0 and stdout.split() == [str(tmp_path / "r.png")], err
    assert "one result, not 3: the model untrained gives the same result whatever the seed" in err


def test_the_bundled_trained_model_makes_candidates_that_differ(capsys, tmp_path, data_dir):
    code, stdout, err = _run(capsys, "restore", "--task", "colorize", data_dir / "shirt.jpg", tmp_path / "r.png",
                             "--candidates", "2", "--steps", "6")
    assert code == 0 and _numbered_and_different(stdout, tmp_path), err


# The bad-input corpus: every malformed or unusual input found so far (issue 12 and before),
# fed to the real command line. Each case names its inputs from the workshop below, the
# exit code it must give, and a fragment of its one-line message (None: it must succeed).
# For every case: no traceback, the inputs are byte-for-byte unchanged, no temporary file
# is left, and any output that exists is a complete image.
LONG = "p" * 247  # a 251-character input name: its hidden temporary name once went over 255
CORPUS = [
    # from before issue 12
    (["restore", "--task", "inpaint", "{shirt}", "{out}"], 1, "needs --mask"),
    (["restore", "--task", "extend", "{shirt}", "{out}"], 1, "needs --extend"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--extend", "1,2"], 2, "four whole numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "wide"], 2, "W:H"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--candidates", "9"], 2, "candidates"),
    (["restore", "--task", "jpeg", "{bad}", "{out}"], 1, "not an image"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/out.xyz"], 1, "unknown output format"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{tmp}/nomodel"], 1, "model folder not found"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--device", "cuda", "--backend", "torch"], 1, "CUDA"),
    # 8: EXIF a JPEG cannot hold: the rest is kept and the drop is said
    (["restore", "--task", "jpeg", "{big_exif}", "{outdir}/out.jpg"], 0, "EXIF trimmed"),
    # 9: long names
    (["restore", "--task", "jpeg", "{long}", "{out}"], 0, None),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/" + "o" * 292 + ".png"], 1, "limit of 255"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/" + "o" * 252 + ".png", "--candidates", "2"], 1,
     "limit of 255"),
    (["batch", "{long_dir}", "{outdir}", "--task", "jpeg"], 1, "limit of 255"),
    # 10: every option checked in the parser
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "nan:1"], 2, "positive numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "inf:1"], 2, "positive numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "1:inf"], 2, "positive numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "0:1"], 2, "positive numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "1:2:3"], 2, "W:H"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--aspect", "1e-300:1"], 2, "between 1:20 and 20:1"),
    (["batch", "{in}", "{outdir}", "--task", "extend", "--aspect", "1:inf"], 2, "positive numbers"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--extend=-5,0,0,0"], 2, "cannot be negative"),
    (["restore", "--task", "extend", "{shirt}", "{out}", "--extend", "0,0,0,0"], 2, "at least one pixel"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--seed", "-1"], 2, "seed must be a whole number from 0"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--seed", str(2**32)], 2, "seed must be"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/out.webp", "--quality", "-5"], 2, "quality"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/out.webp", "--quality", "1000"], 2, "quality"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/out.jpg", "--quality", "-5"], 2, "quality"),
    (["restore", "--task", "jpeg", "{shirt}", "{outdir}/out.jpg", "--quality", "1000"], 2, "quality"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--steps", "0"], 2, "steps must be a whole number from 1"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--steps", "1001"], 2, "steps must be"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--steps", "two"], 2, "steps must be"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--candidates", "0"], 2, "candidates must be"),
    (["restore", "--task", "paint", "{shirt}", "{out}"], 2, "invalid choice"),
    (["restore", "--task", "jpeg", "{shirt}"], 2, "required: output"),
    # 11: output folders that cannot take the file
    (["restore", "--task", "jpeg", "{shirt}", "{shirt}/out.png"], 1, "is not a folder"),
    (["restore", "--task", "jpeg", "{shirt}", "{tmp}/missing/out.png"], 1, "does not exist"),
    (["batch", "{collide_dir}", "{notes}", "--task", "jpeg"], 1, "cannot create the output folder (file exists)"),
    # 12: model folders
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_version_text}"], 1,
     "format_version must be a whole number"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_multiple_zero}"], 1,
     "size_multiple must be a whole number of at least 1"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_no_onnx}"], 1, "model.onnx: model file missing"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_no_tasks}"], 1, "no 'tasks'"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_escaping_file}"], 1, "a file name in the model"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_not_json}"], 1, "unreadable manifest"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_list}"], 1, "not a JSON object"),
    (["restore", "--task", "jpeg", "{shirt}", "{out}", "--model", "{model_newer}"], 1, "newer Palette Desktop"),
    # 14: float TIFFs
    (["restore", "--task", "jpeg", "{float255}", "{out}"], 0, None),
    (["restore", "--task", "jpeg", "{float_odd}", "{out}"], 1, "floating-point values run from 0 to 1.5"),
    # 15: say what is wrong
    (["restore", "--task", "jpeg", "{folder_jpg}", "{out}"], 1, "is a folder, not an image"),
    (["restore", "--task", "jpeg", "{loop}", "{out}"], 1, "loops back on itself"),
    (["restore", "--task", "jpeg", "{dangling}", "{out}"], 1, "a link to a file that no longer exists"),
    (["restore", "--task", "jpeg", "{fifo}", "{out}"], 1, "not a regular file"),
    (["restore", "--task", "jpeg", "{tmp}/none.jpg", "{out}"], 1, "none.jpg: no such file"),
    (["restore", "--task", "jpeg", "{truncated}", "{out}"], 1, "damaged or truncated"),
    (["restore", "--task", "jpeg", "{empty}", "{out}"], 1, "not an image"),
    (["batch", "{mixed_dir}", "{outdir}", "--task", "jpeg"], 1, "1 failed"),
    (["batch", "{exif_dir}", "{outdir}", "--task", "jpeg", "--format", "jpg"], 0, "note: {exif_dir}/big_exif.png: EXIF trimmed"),
    # 3: two photos, one output name
    (["batch", "{collide_dir}", "{outdir}", "--task", "jpeg", "--format", "png"], 1,
     "scan.jpg and scan.png would both be written as scan.jpeg-restored.png"),
    (["batch", "{case_dir}", "{outdir}", "--task", "jpeg", "--format", "png"], 1,
     "IMG_1.JPG and IMG_1.jpg would both be written as IMG_1.jpeg-restored.png"),
    (["batch", "{case_dir}", "{outdir}", "--task", "jpeg", "--overwrite"], 1, "would both be written"),
    (["batch", "{collide_dir}", "{outdir}", "--task", "jpeg"], 0, "2 restored"),
]


@pytest.fixture(scope="session")
def broken_models(tmp_path_factory, tiny_model_dir) -> dict[str, Path]:
    """Copies of the tiny model with the manifest or files damaged as users and disks do."""
    manifest = json.loads((tiny_model_dir / "manifest.json").read_text())
    broken = {"model_version_text": {**manifest, "format_version": "2"},
              "model_multiple_zero": {**manifest, "size_multiple": 0},
              "model_no_tasks": {k: v for k, v in manifest.items() if k != "tasks"},
              "model_escaping_file": {**manifest, "onnx_file": "../../model.onnx"},
              "model_newer": {**manifest, "format_version": 99},
              "model_no_onnx": manifest, "model_not_json": "{ not json", "model_list": [manifest]}
    root = tmp_path_factory.mktemp("broken-models")
    folders = {}
    for key, content in broken.items():
        folder = root / key
        shutil.copytree(tiny_model_dir, folder)
        (folder / "manifest.json").write_text(content if isinstance(content, str) else json.dumps(content))
        folders[key] = folder
    (folders["model_no_onnx"] / "model.onnx").unlink()
    return folders


@pytest.fixture()
def workshop(tmp_path, data_dir, broken_models):
    """Every input of the corpus, built for real in one input folder (hashed before and after)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    names = {"tmp": tmp_path, "in": inputs, "outdir": tmp_path / "out", "out": tmp_path / "out" / "out.png"}
    (tmp_path / "out").mkdir()
    names["notes"] = tmp_path / "notes.txt"
    names["notes"].write_text("a file where a folder is expected")
    shutil.copy(data_dir / "shirt.jpg", inputs / "shirt.jpg")
    names["shirt"] = inputs / "shirt.jpg"
    (inputs / "bad.jpg").write_bytes(b"definitely not a jpeg")
    names["bad"] = inputs / "bad.jpg"
    (inputs / "truncated.jpg").write_bytes((data_dir / "shirt.jpg").read_bytes()[:700])
    names["truncated"] = inputs / "truncated.jpg"
    (inputs / "empty.png").write_bytes(b"")
    names["empty"] = inputs / "empty.png"
    exif = Image.Exif()
    exif[0x010F] = "Kodak"
    exif.get_ifd(0x8769)[0x927C] = b"M" * 70_000  # MakerNote too long for a JPEG
    Image.open(data_dir / "shirt.jpg").save(inputs / "big_exif.png", exif=exif.tobytes())
    names["big_exif"] = inputs / "big_exif.png"
    shutil.copy(data_dir / "shirt.jpg", inputs / f"{LONG}.jpg")
    names["long"] = inputs / f"{LONG}.jpg"
    ramp = np.linspace(0, 1, 120 * 160, dtype=np.float32).reshape(120, 160)
    Image.fromarray(ramp * 255, "F").save(inputs / "float255.tif")
    Image.fromarray(ramp * 1.5, "F").save(inputs / "float_odd.tif")
    names.update(float255=inputs / "float255.tif", float_odd=inputs / "float_odd.tif")
    (inputs / "folder.jpg").mkdir()
    (inputs / "loop.jpg").symlink_to(inputs / "loop.jpg")
    (inputs / "dangling.jpg").symlink_to(inputs / "deleted.jpg")
    os.mkfifo(inputs / "fifo.jpg")
    names.update(folder_jpg=inputs / "folder.jpg", loop=inputs / "loop.jpg", dangling=inputs / "dangling.jpg",
                 fifo=inputs / "fifo.jpg")
    (inputs / "exif_dir").mkdir()
    shutil.copy(inputs / "big_exif.png", inputs / "exif_dir" / "big_exif.png")
    names["exif_dir"] = inputs / "exif_dir"
    for folder, files in {"long_dir": [f"{LONG}.jpg", "a.jpg"], "collide_dir": ["scan.jpg", "scan.png"],
                          "case_dir": ["IMG_1.jpg", "IMG_1.JPG"], "mixed_dir": ["a.jpg", "bad.jpg"]}.items():
        (inputs / folder).mkdir()
        for name in files:
            if name == "bad.jpg":
                (inputs / folder / name).write_bytes(b"not a photo")
            else:
                Image.open(data_dir / "shirt.jpg").save(inputs / folder / name)
        names[folder] = inputs / folder
    names.update(broken_models)
    return names


@pytest.mark.parametrize("argv, code, message", CORPUS, ids=[f"{i:02d}" for i in range(len(CORPUS))])
def test_bad_input_corpus(capsys, workshop, tiny_model_dir, argv, code, message):
    from real_fs import digests

    args = [a.format(**workshop) for a in argv]
    message = message and message.format(**workshop)
    if "--model" not in args:
        args += ["--model", str(tiny_model_dir)]
    if args[0] in ("restore", "batch") and "--steps" not in args:
        args += ["--steps", "1"]
    before = digests(workshop["in"])
    got, _, err = _run(capsys, *args)
    assert "Traceback" not in err
    assert got == code, err
    lines = [line for line in err.splitlines() if line.startswith("palette-desktop:")]
    if code == 2:  # refused by the parser: before any photo is read or model loaded
        assert len(lines) == 1 and message in lines[0] and "--help" in lines[0], err
        assert "model tiny-test" not in err
    elif args[0] == "restore" and code == 1:
        assert len(lines) == 1 and message in lines[0], err
    elif message is not None:
        assert message in err, err
    assert digests(workshop["in"]) == before  # the originals are never altered
    leftovers = [p for p in workshop["tmp"].rglob(".palette-desktop-*")]
    assert leftovers == []
    for output in workshop["outdir"].rglob("*"):
        if is_report(output):
            report_rows(output)  # a whole CSV file
        else:
            assert output.is_dir() or is_complete_image(output), output
    if code != 0 and args[0] == "restore":
        assert not any(workshop["outdir"].iterdir())  # a failed restore writes nothing


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
    assert [p.name for p in results(dst)] == ["a.jpeg-restored.png", "c.jpeg-restored.png"]
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
    assert [p.name for p in results(dst)] == ["a.inpainted.jpg"]


def test_the_console_script_runs_as_a_process(tmp_path, data_dir, tiny_model_dir):
    out = tmp_path / "o.png"
    ok = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", "--task", "jpeg", str(data_dir / "shirt.jpg"),
                         str(out), "--model", str(tiny_model_dir), "--steps", "1"], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0 and out.exists(), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", "--task", "jpeg", str(tmp_path / "none.jpg"),
                          str(out)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and bad.stderr.strip() == "palette-desktop: none.jpg: no such file"
    version = subprocess.run([sys.executable, "-m", "palette_desktop", "--version"], capture_output=True, text=True,
                             timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("palette-desktop ")


def test_self_test_passes_on_the_bundled_model(capsys):
    code, out, _ = _run(capsys, "self-test")
    assert code == 0 and "self-test passed" in out


def test_self_test_flag_spelling(capsys):
    code, out, _ = _run(capsys, "--self-test")
    assert code == 0 and "self-test passed" in out


# --- issue 12: conditions a table cannot hold (mounts, rights, signals, the network) ------

def _photos(folder, count, data_dir):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        shutil.copy(data_dir / ("shirt.jpg" if i % 2 else "trousers.jpg"), folder / f"p{i:02d}.jpg")
    return folder


def test_name_pattern_is_never_doubled(capsys, tmp_path, data_dir, tiny_model_dir):
    src = _photos(tmp_path / "in", 1, data_dir)
    (src / "bad.jpg").write_bytes(b"not a photo")
    code, _, err = _run(capsys, "batch", src, tmp_path / "out", "--task", "jpeg", *_model(tiny_model_dir))
    assert code == 1 and "bad.jpg: not an image" in err
    assert not re.search(r"(\S+): \1:", err), err  # "bad.jpg: bad.jpg: ..." was the defect


def test_each_task_has_its_own_outputs_in_a_shared_folder(capsys, tmp_path, data_dir, tiny_model_dir):
    src, dst = _photos(tmp_path / "in", 2, data_dir), tmp_path / "out"
    code, _, err = _run(capsys, "batch", src, dst, "--task", "colorize", *_model(tiny_model_dir))
    assert code == 0 and "2 restored, 0 skipped" in err, err
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", *_model(tiny_model_dir))
    assert code == 0 and "2 restored, 0 skipped" in err, err  # was "0 restored, 2 skipped"
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", *_model(tiny_model_dir))
    assert code == 0 and "0 restored, 2 skipped" in err, err
    assert [p.name for p in results(dst)] == ["p00.colorized.jpg", "p00.jpeg-restored.jpg",
                                                     "p01.colorized.jpg", "p01.jpeg-restored.jpg"]


def test_a_truncated_output_is_redone_not_skipped(capsys, tmp_path, data_dir, tiny_model_dir):
    src, dst = _photos(tmp_path / "in", 2, data_dir), tmp_path / "out"
    dst.mkdir()
    whole = (data_dir / "shirt.jpg").read_bytes()
    (dst / "p00.jpeg-restored.jpg").write_bytes(whole[:4096])  # what a full disk left before issue 12
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", *_model(tiny_model_dir))
    assert code == 0 and "2 restored, 0 skipped" in err, err
    assert all(is_complete_image(p) for p in results(dst))


def test_a_full_disk_stops_the_batch_with_its_summary(capsys, tmp_path, data_dir, tiny_model_dir):
    from real_fs import fill_disk, tmpfs

    src = _photos(tmp_path / "in", 4, data_dir)
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    with tmpfs(tmp_path / "disk", 256) as disk:
        filler = fill_disk(disk, leave_bytes=4096)
        code, _, err = _run(capsys, "batch", src, disk / "out", "--task", "jpeg", *_model(tiny_model_dir))
        assert code == 1 and "Traceback" not in err
        assert "0 restored" in err and "stopped: p00.jpeg-restored.jpg: could not write (the disk is full)" in err
        assert "4 photo(s) not restored" in err
        assert results(disk / "out") == []  # nothing truncated, no temporary file
        filler.unlink()  # space again: the next run does them all, none is stuck as "exists"
        code, _, err = _run(capsys, "batch", src, disk / "out", "--task", "jpeg", *_model(tiny_model_dir))
        assert code == 0 and "4 restored, 0 skipped" in err, err
        assert all(is_complete_image(p) for p in results(disk / "out"))
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before


def test_a_full_disk_stops_running_the_model(tmp_path, data_dir, tiny_model):
    from real_fs import fill_disk, tmpfs

    from palette_desktop.core.conditions import Task
    from palette_desktop.tasks.batch import plan_batch, run_batch
    from palette_desktop.tasks.common import SamplingOptions
    from palette_desktop.tasks.run import TaskRequest

    src = _photos(tmp_path / "in", 5, data_dir)
    with tmpfs(tmp_path / "disk", 256) as disk:
        items = plan_batch(src, disk, task="jpeg")
        fill_disk(disk, leave_bytes=4096)
        heard = []
        report = run_batch(items, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), tiny_model,
                           on_file=lambda i, item, status: heard.append(status))
    assert heard.count("running") == 1  # the model ran once, not five times
    assert "disk is full" in report.stopped and len(report.not_started) == 5 and not report.done


def test_ctrl_c_while_a_result_is_reported_keeps_the_count(tmp_path, data_dir, tiny_model):
    """Python raises KeyboardInterrupt wherever the signal lands: here, in the progress callback."""
    from palette_desktop.core.conditions import Task
    from palette_desktop.tasks.batch import plan_batch, run_batch
    from palette_desktop.tasks.common import SamplingOptions
    from palette_desktop.tasks.run import TaskRequest

    items = plan_batch(_photos(tmp_path / "in", 4, data_dir), tmp_path / "out", task="jpeg")

    def on_file(index, item, status):
        if status == "done" and index == 1:
            raise KeyboardInterrupt

    report = run_batch(items, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), tiny_model, on_file=on_file)
    assert report.cancelled and [p.name for p in report.done] == ["p00.jpg", "p01.jpg"]
    assert [p.name for p in report.not_started] == ["p02.jpg", "p03.jpg"]


def test_a_full_disk_fails_a_restore_cleanly(capsys, tmp_path, data_dir, tiny_model_dir):
    from real_fs import fill_disk, tmpfs

    with tmpfs(tmp_path / "disk", 256) as disk:
        fill_disk(disk, leave_bytes=4096)
        code, out, err = _run(capsys, "restore", "--task", "jpeg", data_dir / "trousers.jpg", disk / "r.jpg",
                              *_model(tiny_model_dir))
        assert code == 1 and err.strip().splitlines()[-1] == "palette-desktop: r.jpg: could not write (the disk is full)"
        assert out == "" and [p.name for p in disk.iterdir()] == ["filler.bin"]


@pytest.mark.parametrize("command", ["restore", "batch"])
def test_a_read_only_mount_is_said_before_the_model_runs(capsys, tmp_path, data_dir, tiny_model_dir, command):
    from real_fs import tmpfs

    src = _photos(tmp_path / "in", 2, data_dir)
    with tmpfs(tmp_path / "ro", 64, read_only=True) as ro:
        if command == "restore":
            argv = ["restore", "--task", "jpeg", src / "p00.jpg", ro / "out.png"]
        else:
            argv = ["batch", src, ro / "restored", "--task", "jpeg"]
        code, _, err = _run(capsys, *argv, *_model(tiny_model_dir))
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "read-only file system" in lines[0] and "Traceback" not in err, err
    assert "model tiny-test" not in err


@pytest.mark.parametrize("command", ["restore", "batch"])
def test_an_unwritable_folder_is_said_before_the_model_runs(tmp_path, data_dir, tiny_model_dir, command):
    from real_fs import run_cli

    src = _photos(tmp_path / "in", 2, data_dir)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    argv = (["restore", "--task", "jpeg", src / "p00.jpg", locked / "out.png"] if command == "restore"
            else ["batch", src, locked, "--task", "jpeg"])
    done = run_cli([*argv, *_model(tiny_model_dir)], unprivileged=True)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0] == f"palette-desktop: {locked}: cannot write in this folder (permission denied)"
    assert list(locked.iterdir()) == []


def test_a_batch_cleans_the_orphan_of_a_killed_run(capsys, tmp_path, data_dir, tiny_model_dir):
    from real_fs import kill_mid_write

    src, dst = _photos(tmp_path / "in", 1, data_dir), tmp_path / "out"
    dst.mkdir()
    orphans = kill_mid_write(dst)
    assert orphans
    code, _, err = _run(capsys, "batch", src, dst, "--task", "jpeg", *_model(tiny_model_dir))
    assert code == 0, err
    assert not [p for p in dst.iterdir() if p.name.startswith(".")]


def _interruptible() -> None:
    """Ctrl+C as in a terminal: a shell starts background jobs with SIGINT ignored, and a
    child inherits that, so run from one the batch would rightly never see the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_in_a_batch_prints_what_was_done(tmp_path, data_dir, tiny_model_dir):
    count = 16
    src, dst = _photos(tmp_path / "in", count, data_dir), tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "palette_desktop", "batch", str(src), str(dst), "--task", "jpeg",
                             "--model", str(tiny_model_dir), "--steps", "30"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=_interruptible)
    deadline = time.monotonic() + 120
    while not (dst.is_dir() and any(p.suffix == ".jpg" for p in dst.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    done = int(re.search(r"(\d+) restored, 0 skipped \(output exists\), 0 failed", err)[1])
    left = int(re.search(r"palette-desktop: interrupted; (\d+) photo\(s\) not restored", err)[1])
    assert done >= 1 and left >= 1 and done + left == count
    outputs = results(dst)
    assert len(outputs) == done and all(is_complete_image(p) for p in outputs)


def test_onnx_runtime_leaves_no_trace_and_never_touches_the_network(tmp_path, data_dir, tiny_model_dir):
    """A fresh HOME, without the CI markers that silence ONNX Runtime on their own."""
    from real_fs import fresh_home_env

    home = tmp_path / "home"
    env = fresh_home_env(home)
    strace = shutil.which("strace")
    trace = tmp_path / "network.log"
    prefix = [strace, "-f", "-qq", "-e", "trace=%network", "-o", str(trace)] if strace else []
    argv = [*prefix, sys.executable, "-m", "palette_desktop", "restore", "--task", "jpeg", str(data_dir / "shirt.jpg"),
            str(tmp_path / "out.png"), "--model", str(tiny_model_dir), "--backend", "onnx", "--steps", "1"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not (home / ".cache" / "Microsoft").exists(), sorted(str(p) for p in home.rglob("*"))
    assert list(home.iterdir()) == []
    if strace:
        calls = [line for line in trace.read_text().splitlines() if "AF_UNIX" not in line and "AF_NETLINK" not in line]
        assert calls == [], calls[:5]
    # the window's entry module, and ONNX Runtime imported by anything after it
    window = subprocess.run([sys.executable, "-c", "import palette_desktop.app.main, onnxruntime"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert window.returncode == 0 and list(home.iterdir()) == [], window.stderr


@pytest.mark.parametrize("command, flag", [("eval", "--help"), ("train", "-h"), ("export", "--help")])
def test_the_model_commands_answer_help(capsys, command, flag):
    code, out, err = _run(capsys, command, flag)
    assert code == 0 and out.startswith(f"usage: palette-desktop {command}") and not err


def test_a_model_command_refuses_a_bad_option_on_one_line(capsys):
    code, _, err = _run(capsys, "export", "--working-size", "many", "a.pt", "out")
    assert code == 2 and len(err.splitlines()) == 1 and "see palette-desktop export --help" in err


@pytest.mark.parametrize("argv", [["mask2", "--detect", "damage", "a.png", "m.png"], ["no-such-photo.jpg"]])
def test_an_unknown_command_or_a_missing_photo_is_said_not_opened_in_the_window(capsys, monkeypatch, tmp_path, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2 and not out and len(err.splitlines()) == 1
    assert f"'{argv[0]}' is not a command" in err


@pytest.mark.parametrize("option, message", [(["--limit", "0"], "number of photos must be"),
                                             (["--size", "-5"], "crop side must be"),
                                             (["--steps", "0"], "steps must be"),
                                             (["--tasks", "jpeg,paint"], "no such task paint")])
def test_eval_checks_its_options_before_loading_a_model(capsys, tmp_path, data_dir, option, message):
    code, out, err = _run(capsys, "eval", tmp_path / "no-model", data_dir, *option)
    assert code == 2 and not out and len(err.splitlines()) == 1 and message in err, err


def test_mask_detect_with_a_damaged_detector_fails_in_one_line_and_writes_nothing(capsys, tmp_path, data_dir,
                                                                                   broken_detector):
    out = tmp_path / "mask.png"
    code, stdout, err = _run(capsys, "mask", "--detect", "damage", data_dir / "floor.jpg", out)
    assert code != 0 and not out.exists() and not stdout
    assert err.strip().startswith("palette-desktop: damage_net.onnx: the damage detector cannot be loaded")
    assert len(err.strip().splitlines()) == 1
