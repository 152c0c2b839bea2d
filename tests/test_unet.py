"""The UNet itself: shape, size and what an untrained one returns."""

from __future__ import annotations

import torch

from palette_desktop.model.config import TINY, UNetConfig
from palette_desktop.model.unet import PaletteUNet


def test_default_size_fits_a_laptop():
    params = sum(p.numel() for p in PaletteUNet(UNetConfig()).parameters())
    assert 3_000_000 < params < 8_000_000


def test_untrained_network_returns_its_condition():
    model = PaletteUNet(TINY)
    cond = torch.rand(2, 4, 16, 24) * 2 - 1
    out = model(torch.randn(2, 3, 16, 24), torch.tensor([0.1, 0.9]), cond)
    assert torch.equal(out, cond[:, :3])


def test_output_depends_on_noise_level_once_trained_weights_move():
    torch.manual_seed(0)
    model = PaletteUNet(TINY)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    x, cond = torch.randn(1, 3, 16, 16), torch.rand(1, 4, 16, 16)
    a = model(x, torch.tensor([0.1]), cond)
    b = model(x, torch.tensor([0.9]), cond)
    assert (a - b).abs().max() > 1e-3
