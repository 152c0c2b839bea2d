"""Shared fixtures: real photos from tests/data and a tiny exported model."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A few-thousand-parameter UNet, weights nudged off zero so its output depends on them."""
    import torch

    from palette_desktop.model.config import TINY
    from palette_desktop.model.export import export_model
    from palette_desktop.model.unet import PaletteUNet

    torch.manual_seed(0)
    model = PaletteUNet(TINY)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    out = tmp_path_factory.mktemp("tiny-model")
    export_model(model, out, name="tiny-test", card="# tiny test model\n", working_size=64, default_steps=3)
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from palette_desktop.engine.loader import Backend, load_model

    return load_model(tiny_model_dir, Backend.ONNX, "cpu")


@pytest.fixture()
def shirt():
    from palette_desktop.core.imageio import load_image

    return load_image(DATA / "shirt.jpg")


@pytest.fixture()
def scratch_mask(shirt) -> np.ndarray:
    """A thin diagonal scratch and a blob, as a user would paint them."""
    from palette_desktop.core.masks import draw_stroke

    h, w = shirt.pixels.shape[:2]
    mask = np.zeros((h, w), np.float32)
    draw_stroke(mask, [(5, 10), (80, 60), (150, 100)], radius=1.5)
    draw_stroke(mask, [(40, 80)], radius=12)
    return mask


@pytest.fixture()
def broken_detector(tmp_path, monkeypatch):
    """The damage detector's file as a broken install leaves it: cut short halfway."""
    from palette_desktop.engine import damage_detector
    from palette_desktop.resources import resource

    cut = tmp_path / "damage_net.onnx"
    data = resource("damage_net.onnx").read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(damage_detector, "resource", lambda name: tmp_path / name)
    return cut
