"""Degradations, the example pipeline, a few real training steps, exact resume, a round, export → eval."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from palette_desktop.core.baselines import telea_fill
from palette_desktop.core.conditions import Task, build_condition
from palette_desktop.core.degrade import (brush_mask, damage, extend_mask, inpaint_mask, jpeg_compress, make_example,
                                          old_print, scan_damage)
from palette_desktop.core.fill import pushpull_fill
from palette_desktop.core.imageio import load_image
from palette_desktop.core.pixels import to_float
from palette_desktop.diffusion.schedules import ScheduleKind, gamma
from palette_desktop.model.config import TINY
from palette_desktop.model.data import DamagedBatches, load_photos
from palette_desktop.model.torch_conditions import TASK_CODES, build_conditions
from palette_desktop.model.torch_conditions import pushpull_fill as torch_pushpull_fill
from palette_desktop.model.train import (Batch, TrainConfig, example_batches, load_checkpoint, load_ema, new_state,
                                         samples_seen, save_checkpoint, schedule_gamma, train, training_loss)


@pytest.fixture()
def shirt(shirt):
    """The photo as training takes it: float32 in [0, 1]."""
    return shirt.with_pixels(to_float(shirt.pixels))


def test_brush_masks_cover_a_sensible_share():
    coverage = [brush_mask(128, 128, np.random.default_rng(i)).mean() for i in range(200)]
    assert 0.002 < min(coverage) and max(coverage) < 0.7
    assert 0.05 < np.mean(coverage) < 0.4


def test_inpaint_masks_are_never_empty_nor_everything():
    for i in range(100):
        m = inpaint_mask(64, 64, np.random.default_rng(i))
        assert 0 < m.mean() < 0.95


def test_extend_masks_leave_a_rectangle_of_photo():
    for i in range(100):
        m = extend_mask(64, 96, np.random.default_rng(i))
        ys, xs = np.nonzero(m == 0)
        assert m.any() and ys.size > 0.03 * m.size
        assert (m[ys.min():ys.max() + 1, xs.min():xs.max() + 1] == 0).all()


def test_jpeg_damage_changes_the_photo(shirt):
    damaged = jpeg_compress(shirt.pixels, np.random.default_rng(0))
    assert damaged.shape == shirt.pixels.shape
    assert 0.005 < np.abs(damaged - shirt.pixels).mean() < 0.15


def test_colorize_input_has_no_chroma(shirt):
    for seed in range(6):
        example = make_example(shirt.pixels, Task.COLORIZE, np.random.default_rng(seed))
        cond = example.condition
        assert np.array_equal(cond[..., 0], cond[..., 1]) and np.array_equal(cond[..., 1], cond[..., 2])
        assert np.array_equal(example.target, shirt.pixels)
    sepia = old_print(shirt.pixels, np.random.default_rng(1))
    assert sepia.shape == shirt.pixels.shape


def test_inpaint_condition_does_not_see_the_hole(shirt):
    example = make_example(shirt.pixels, Task.INPAINT, np.random.default_rng(3))
    tampered = shirt.pixels.copy()
    tampered[example.generate > 0] = 0.0
    again = make_example(tampered, Task.INPAINT, np.random.default_rng(3))
    assert np.array_equal(example.condition, again.condition)


def test_scan_damage_adds_grain_or_noise_and_stays_a_photo(shirt):
    flat = np.full((96, 96, 3), 0.5, np.float32)
    grainy = sum(float(scan_damage(flat, np.random.default_rng(seed)).std()) > 0.01 for seed in range(12))
    assert grainy >= 6  # most scans carry visible grain or noise (a fifth of them neither)
    for seed in range(12):
        out = scan_damage(shirt.pixels, np.random.default_rng(seed))
        assert out.shape == shirt.pixels.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
        assert 0.003 < np.abs(out - shirt.pixels).mean() < 0.2  # damaged, yet the same photo


def _photo_and_masks(shirt):
    image = shirt.pixels[:121, :97]  # odd sizes: the pyramid pads
    h, w = image.shape[:2]
    masks = [inpaint_mask(h, w, np.random.default_rng(i)) for i in range(6)]
    return image, masks + [extend_mask(h, w, np.random.default_rng(i)) for i in range(6)]


def test_fill_keeps_known_pixels_and_never_reads_the_hole(shirt):
    image, masks = _photo_and_masks(shirt)
    for mask in masks:
        filled = pushpull_fill(image, mask)
        assert np.array_equal(filled[mask <= 0], image[mask <= 0])
        tampered = np.where(mask[..., None] > 0, np.float32(1.0), image)
        assert np.array_equal(pushpull_fill(tampered, mask), filled)
        assert filled[mask > 0].std() > 0.01  # a picture, not a flat colour


def test_fill_is_as_good_as_telea_inside_holes(shirt):
    truth = cv2.resize(to_float(load_image(Path(__file__).parent / "data" / "trousers.jpg").pixels), (128, 128))
    for image in (cv2.resize(shirt.pixels, (128, 128)), truth):
        ours, telea = [], []
        for i in range(8):
            mask = inpaint_mask(128, 128, np.random.default_rng(i))
            for fill, scores in ((pushpull_fill, ours), (telea_fill, telea)):
                scores.append(10 * np.log10(1 / ((fill(image, mask) - image) ** 2)[mask > 0].mean()))
        assert np.mean(ours) > np.mean(telea) - 1.0  # on the 150 validation photos: 22.6 against 22.4 dB


def test_fill_in_torch_matches_numpy_within_one_level(shirt):
    image, masks = _photo_and_masks(shirt)
    images = torch.from_numpy(np.repeat(image.transpose(2, 0, 1)[None], len(masks), axis=0))
    holes = torch.from_numpy(np.stack(masks)[:, None])
    batched = torch_pushpull_fill(images, holes).numpy().transpose(0, 2, 3, 1)
    for mask, ours in zip(masks, batched):
        assert np.abs(ours - pushpull_fill(image, mask)).max() < 1 / 255


def test_conditions_built_in_torch_match_the_applications(shirt):
    """What the network sees in training (torch, from uint8 examples) is what the app gives it."""
    crop = np.ascontiguousarray(shirt.pixels[:96, :96])
    sources, generates, codes, expected = [], [], [], []
    for i, task in enumerate(list(Task) * 3):
        damaged, generate = damage(crop, task, np.random.default_rng(i))
        source = np.round(damaged * 255).astype(np.uint8)
        mask = generate if task in (Task.INPAINT, Task.EXTEND) else None
        expected.append(build_condition(task, source.astype(np.float32) / 255, mask))
        sources.append(source.transpose(2, 0, 1))
        generates.append(generate.astype(np.uint8)[None])
        codes.append(TASK_CODES[task])
    got = build_conditions(torch.from_numpy(np.stack(sources)).float() / 255, torch.from_numpy(np.stack(generates)),
                           torch.tensor(codes))
    for ours, theirs in zip(got.numpy().transpose(0, 2, 3, 1), expected):
        assert np.abs(ours - theirs).max() < 1 / 255


def test_noise_levels_in_torch_follow_the_samplers_schedule():
    t = torch.linspace(0, 1, 101)
    assert np.allclose(schedule_gamma(t).numpy(), gamma(ScheduleKind.COSINE, t.numpy()), rtol=1e-6, atol=1e-7)


@pytest.fixture(scope="module")
def photos(data_dir):
    return load_photos([data_dir])


def test_photos_load_from_folders_and_packs(tmp_path, data_dir, photos):
    pack = tmp_path / "pack.tar"
    with tarfile.open(pack, "w") as tar:
        for path in sorted(data_dir.glob("*.jpg")):
            tar.add(path, arcname=f"sub/{path.name}")
        tar.add(data_dir / "LICENSES.md", arcname="LICENSES.md")  # not a photo: left out
    packed = load_photos([pack])
    assert len(packed.images) == len(photos.images) == len(list(data_dir.glob("*.jpg")))
    assert all(np.array_equal(a, b) for a, b in zip(packed.images, photos.images))
    assert all(im.dtype == np.uint8 and im.ndim == 3 for im in packed.images)


def test_examples_are_a_function_of_the_sample_number(photos):
    """The same sample number gives the same example in any batch layout, worker or process count."""
    by_four = DamagedBatches(photos, 32, batch=4, seed=5)
    by_two = DamagedBatches(photos, 32, batch=2, seed=5)
    rank1 = DamagedBatches(photos, 32, batch=2, seed=5, rank=1, world=2)
    a, b, c = by_four[3], by_two[7], rank1[3]  # samples 12..15, 14..15, 14..15
    for field in ("target", "source", "generate", "task"):
        assert torch.equal(getattr(a, field)[2:], getattr(b, field))
        assert torch.equal(getattr(b, field), getattr(c, field))
    assert not torch.equal(by_four[3].target, by_four[4].target)
    assert not torch.equal(DamagedBatches(photos, 32, batch=4, seed=6)[3].target, a.target)
    config = TrainConfig(data=(), out="", batch=4, size=32, seed=5, workers=2)
    in_workers = example_batches(config, photos, start_step=3)
    for step in (3, 4, 5):
        made = next(in_workers)
        assert torch.equal(made.target, by_four[step].target) and torch.equal(made.source, by_four[step].source)


def test_training_examples_cover_every_task_with_sensible_damage(photos):
    batch = DamagedBatches(photos, 48, batch=64, seed=0)[0]
    counts = {task: int((batch.task == code).sum()) for task, code in TASK_CODES.items()}
    assert all(n >= 3 for n in counts.values()), counts
    for i, code in enumerate(batch.task.tolist()):
        generate = batch.generate[i].float().mean()
        changed = (batch.source[i].int() - batch.target[i].int()).abs().float().mean()
        if code in (TASK_CODES[Task.INPAINT], TASK_CODES[Task.EXTEND]):
            assert 0 < generate < 1 and changed == 0  # the hole is the damage
        else:
            assert generate == 1 and changed > 0.5


def _tiny_config(tmp_path: Path, data_dir: Path, **kw) -> TrainConfig:
    return TrainConfig(data=(str(data_dir),), out=str(tmp_path / "run"), steps=kw.pop("steps", 40), batch=4,
                       size=32, lr=2e-3, warmup=5, workers=0, checkpoint_every=1000, log_every=1000,
                       unet=TINY, compile=False, **kw)


def test_a_few_steps_lower_the_loss(tmp_path, data_dir, photos):
    config = _tiny_config(tmp_path, data_dir, steps=60)
    batch = Batch.from_examples(DamagedBatches(photos, config.size, 16, seed=123)[0])

    def held_out_loss(model) -> float:
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            return float(training_loss(model, batch, gen)[0])

    state = new_state(config)
    with torch.no_grad():  # leave the zero start so the network has something to lose
        for p in state.model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        state.ema.load_state_dict(state.model.state_dict())
    before = held_out_loss(state.model)
    state = train(config, state, log=lambda _: None)
    assert held_out_loss(state.model) < 0.8 * before


def test_log_lines_carry_the_loss_of_each_task(tmp_path, data_dir):
    lines = []
    config = TrainConfig.from_dict({**_tiny_config(tmp_path, data_dir, steps=4).to_dict(), "log_every": 2, "batch": 8})
    train(config, new_state(config), log=lines.append)
    records = [json.loads(line) for line in lines]
    assert [r["step"] for r in records] == [2, 4]
    assert records[-1]["samples_seen"] == 32 and records[-1]["samples_per_s"] > 0
    assert set(records[-1]["loss_by_task"]) <= {t.value for t in Task} and records[-1]["loss_by_task"]
    assert all(0 < v < 2 for r in records for v in r["loss_by_task"].values())


def test_resume_reproduces_the_next_step(tmp_path, data_dir):
    config = _tiny_config(tmp_path, data_dir, steps=6)
    straight = train(config, new_state(config), log=lambda _: None)
    first = train(config, new_state(config), log=lambda _: None, until_step=3)
    save_checkpoint(first, config, tmp_path / "ck.pt")
    resumed, resumed_config = load_checkpoint(tmp_path / "ck.pt")
    assert resumed.step == 3 and resumed_config == config
    resumed = train(config, resumed, log=lambda _: None)
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)


def test_export_then_eval_writes_every_task_and_baseline(tmp_path, data_dir, capsys):
    from palette_desktop.cli import main

    config = _tiny_config(tmp_path, data_dir, steps=2)
    state = train(config, new_state(config), log=lambda _: None)
    save_checkpoint(state, config, tmp_path / "ck.pt")
    assert main(["export", str(tmp_path / "ck.pt"), str(tmp_path / "model"), "--working-size", "64"]) == 0
    assert main(["eval", str(tmp_path / "model"), str(data_dir), "--out", str(tmp_path / "eval"),
                 "--size", "64", "--steps", "2", "--limit", "2"]) == 0
    report = (tmp_path / "eval" / "report.md").read_text()
    for name in ("colorize", "inpaint", "extend", "jpeg", "scan", "JPEG input", "OpenCV Telea", "OpenCV Navier–Stokes",
                 "reflect padding", "gray input", "OpenCV non-local means", "**ours**"):
        assert name in report
    grid = load_image(tmp_path / "eval" / "grid.png")
    assert grid.size == (4 * 160, 5 * 2 * 160)
    scores = json.loads((tmp_path / "eval" / "scores.json").read_text())
    assert set(scores) == {"colorize", "inpaint", "extend", "jpeg", "scan"}
    for case in ("inpaint", "extend"):  # texture of the made-up pixels, beside the truth's
        assert scores[case]["truth"]["texture"] > 0 and "texture" in scores[case]["ours"]
    assert "texture" not in scores["jpeg"]["ours"]
    from palette_desktop.model.shipping import main as ship_main

    same = str(tmp_path / "eval" / "scores.json")
    assert ship_main([same, same]) == 1  # a model is never better than itself
    assert "no task gains" in capsys.readouterr().out


def test_the_shipping_rule_weighs_restoration_psnr_and_made_up_content_by_realism():
    from palette_desktop.model.shipping import compare

    def scores(jpeg: float, inpaint: float, texture: float) -> dict:
        return {"jpeg": {"ours": {"psnr": jpeg}},
                "inpaint": {"ours": {"psnr": inpaint, "texture": texture}, "truth": {"psnr": 99.0, "texture": 10.0}}}

    shipped = scores(30.0, 22.0, 1.2)
    assert compare(scores(30.4, 22.0, 1.2), shipped).better  # jpeg gains
    assert not compare(scores(30.4, 21.9, 1.2), shipped).better  # inpaint loses PSNR, no more texture
    assert compare(scores(30.0, 21.8, 3.0), shipped).better  # texture from 12 % to 30 % of the truth's pays
    assert not compare(scores(29.8, 22.5, 1.2), shipped).better  # jpeg drops 0.2 dB
    assert not compare(scores(30.05, 22.05, 1.2), shipped).better  # nothing gains for real
    assert compare(scores(30.4, 21.999, 1.2), shipped).better  # inpaint unchanged to the eval's 0.01 dB
    assert not compare(scores(30.4, 21.99, 1.2), shipped).better  # a loss the eval shows


def test_a_round_stopped_by_its_time_limit_brings_back_weights_that_export(tmp_path, data_dir, tiny_model_dir):
    """As on the GPU machine: the round is killed (SIGTERM) mid-way; ema.pt and the log are there and usable."""
    out = tmp_path / "OUT"
    log = out / "log.jsonl"
    output = _round_until_logged([str(data_dir), "--minutes", "5", "--out", str(out), "--model", str(tiny_model_dir),
                                  "--batch", "4", "--size", "32", "--workers", "1", "--log-every", "1", "--warmup", "2",
                                  "--no-compile", "--seed", "1"], log, 4)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) >= 4 and records[-1]["samples_seen"] == 4 * records[-1]["step"]
    assert "round_done" in output
    ema, config, step, _ = load_ema(out / "ema.pt")
    assert step >= 3 and config.unet == TINY and (out / "ema.pt").stat().st_size < 1e6  # fp16
    shipped = torch.load(tiny_model_dir / "model.pt", weights_only=True)
    moved = max(float((ema.state_dict()[k] - v.float()).abs().max()) for k, v in shipped.items())
    assert moved > 0  # it trained, starting from the shipped weights
    from palette_desktop.cli import main

    assert main(["export", str(out / "ema.pt"), str(tmp_path / "model"), "--working-size", "64"]) == 0
    assert (tmp_path / "model" / "model.onnx").is_file()


def _round_until_logged(cmd: list[str], log: Path, lines: int) -> str:
    """Run a round, SIGTERM it once its log has ``lines`` lines, return what it printed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "palette_desktop.model.round", *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.is_file() or len(log.read_text().splitlines()) < lines):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    return output


def test_a_round_continues_the_chain_the_last_one_left(tmp_path, data_dir, tiny_model_dir):
    """Model, EMA, optimizer, step and examples seen carry over; a round's own recipe applies."""
    chain, log = tmp_path / "chain", tmp_path / "chain" / "log.jsonl"
    common = [str(data_dir), "--minutes", "5", "--out", str(chain), "--model", str(tiny_model_dir), "--size", "32",
              "--workers", "0", "--log-every", "1", "--warmup", "2", "--no-compile"]
    _round_until_logged([*common, "--batch", "4", "--seed", "1"], log, 4)
    first_done = json.loads(log.read_text().splitlines()[-1])
    checkpoint = torch.load(chain / "checkpoint.pt", weights_only=False)
    assert checkpoint["step"] == first_done["step"] >= 3 and checkpoint["samples"] == 4 * checkpoint["step"]
    assert checkpoint["optimizer"]["state"]  # Adam's moments are kept, not only the weights
    before = len(log.read_text().splitlines())
    _round_until_logged([*common, "--batch", "2", "--seed", "2", "--mix", "jpeg=1"], log, before + 3)
    records = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    start, steps, done = records[0], [r for r in records if "loss" in r], records[-1]
    assert start["from"] == str(chain / "checkpoint.pt") and start["step"] == first_done["step"]
    assert start["samples_seen"] == first_done["samples_seen"] and start["recipe"]["task_weights"] == {"jpeg": 1.0}
    assert steps[0]["step"] == first_done["step"] + 1 and steps[0]["samples_seen"] == first_done["samples_seen"] + 2
    assert done["samples_seen"] == first_done["samples_seen"] + 2 * (done["step"] - first_done["step"])
    assert all(set(r["loss_by_task"]) <= {"jpeg", "inpaint"} for r in steps)  # inpaint: black-and-white photos
    ema, _, step, _ = load_ema(chain / "ema.pt")
    assert step == done["step"]
    assert samples_seen(chain / "ema.pt") == done["samples_seen"]  # not step × batch: the batch changed


def test_a_task_mix_names_real_tasks():
    import argparse

    from palette_desktop.model.round import parse_mix

    assert parse_mix("colorize=0.5,jpeg=0.5") == {"colorize": 0.5, "jpeg": 0.5}
    for bad in ("colourise=1", "jpeg=lots", "jpeg=0"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_mix(bad)


def test_bf16_is_used_on_a_cpu_only_where_it_has_native_bf16():
    from palette_desktop.model.train import cpu_has_native_bf16, uses_bf16

    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        pytest.skip("no /proc/cpuinfo to check against")
    flags = set(cpuinfo.read_text().split())
    assert cpu_has_native_bf16() == bool(flags & {"amx_tile", "avx512_bf16"})
    assert uses_bf16(torch.device("cpu")) == cpu_has_native_bf16()
