"""Degradations, a few real training steps, exact resume, and export → eval end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from palette_desktop.core.conditions import Task
from palette_desktop.core.degrade import brush_mask, extend_mask, inpaint_mask, jpeg_compress, make_example, old_print
from palette_desktop.core.imageio import load_image
from palette_desktop.model.config import TINY
from palette_desktop.model.train import (DamagedPhotos, TrainConfig, list_photos, load_checkpoint, new_state,
                                         save_checkpoint, train, training_loss)


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


def _tiny_config(tmp_path: Path, data_dir: Path, **kw) -> TrainConfig:
    return TrainConfig(data=(str(data_dir),), out=str(tmp_path / "run"), steps=kw.pop("steps", 40), batch=4,
                       size=32, lr=2e-3, warmup=5, workers=0, checkpoint_every=1000, log_every=1000,
                       unet=TINY, compile=False, **kw)


def test_examples_are_a_function_of_the_sample_number(data_dir):
    ds = DamagedPhotos(list_photos((str(data_dir),)), 32, seed=0, max_zoom_out=2.0)
    a, b, c = ds[7], ds[7], ds[8]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[1], c[1])


def test_a_few_steps_lower_the_loss(tmp_path, data_dir):
    config = _tiny_config(tmp_path, data_dir, steps=60)
    ds = DamagedPhotos(list_photos(config.data), config.size, seed=123, max_zoom_out=2.0)
    batch = [torch.stack(x) for x in zip(*[ds[i] for i in range(16)])]

    def held_out_loss(model) -> float:
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            return float(training_loss(model, *batch, gen))

    state = new_state(config)
    with torch.no_grad():  # leave the zero start so the network has something to lose
        for p in state.model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        state.ema.load_state_dict(state.model.state_dict())
    before = held_out_loss(state.model)
    state = train(config, state, log=lambda _: None)
    assert held_out_loss(state.model) < 0.8 * before


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
    for name in ("colorize", "inpaint", "extend", "jpeg", "JPEG input", "OpenCV Telea", "OpenCV Navier–Stokes",
                 "reflect padding", "gray input", "**ours**"):
        assert name in report
    grid = load_image(tmp_path / "eval" / "grid.png")
    assert grid.size == (4 * 160, 4 * 2 * 160)
