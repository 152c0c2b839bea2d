"""The Palette UNet (SR3 / guided-diffusion family), sized for a laptop CPU.

Residual blocks with scale-shift conditioning on an embedding of the noise level γ,
GroupNorm, self-attention only at the lowest resolutions, input = condition ‖ noisy.
Sized for inference on a CPU: the up path convolves before it upsamples (a quarter of the
cost of convolving after) and attention reads keys and values from a pooled grid, so its
cost grows with the tile's area, not with its square.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from palette_desktop.model.config import UNetConfig


def noise_level_embedding(gamma: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal features of log-SNR: spreads the low-noise end that γ itself squeezes."""
    g = gamma.clamp(1e-6, 1 - 1e-6)
    logsnr = torch.log(g) - torch.log1p(-g)
    pos = (logsnr.clamp(-20, 20) + 20) * 25  # 0..1000, like a timestep index
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=gamma.device, dtype=torch.float32) / half)
    args = pos[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def _zero(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb_dim: int, groups: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = _zero(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(F.silu(h))


class Attention(nn.Module):
    """Multi-head self-attention; keys and values are averaged over ``pool``×``pool`` cells."""

    def __init__(self, channels: int, heads: int, groups: int, pool: int) -> None:
        super().__init__()
        self.heads = heads
        self.pool = pool
        self.norm = nn.GroupNorm(groups, channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.kv = nn.Conv2d(channels, 2 * channels, 1)
        self.proj = _zero(nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        n = self.norm(x)
        q = self.q(n).reshape(b * self.heads, c // self.heads, h * w)
        if self.pool > 1:
            n = F.avg_pool2d(n, self.pool, ceil_mode=True)
        k, v = self.kv(n).reshape(b * self.heads, 2 * c // self.heads, -1).chunk(2, dim=1)
        # Written out rather than F.scaled_dot_product_attention so that every exporter
        # and runtime version maps it to plain MatMul/Softmax.
        weights = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c // self.heads), dim=-1)
        out = torch.einsum("bij,bcj->bci", weights, v).reshape(b, c, h, w)
        return x + self.proj(out)


class Upsample(nn.Module):
    """3×3 convolution at the lower resolution, then nearest-neighbour doubling."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.conv(x), scale_factor=2.0, mode="nearest")


class PaletteUNet(nn.Module):
    """``forward(noisy, gamma, condition) -> prediction`` on (B, C, H, W) tensors in [-1, 1]."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        c0, g = config.base_channels, config.groups
        emb_dim = 4 * c0
        self.emb = nn.Sequential(nn.Linear(c0, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(config.condition_channels + config.image_channels, c0, 3, padding=1)
        chans = [c0 * m for m in config.channel_mults]
        self.down = nn.ModuleList()
        skips = [c0]
        cur = c0
        for level, ch in enumerate(chans):
            for _ in range(config.res_blocks):
                self.down.append(self._block(cur, ch, emb_dim, level))
                cur = ch
                skips.append(cur)
            if level < len(chans) - 1:
                self.down.append(nn.Conv2d(cur, cur, 3, stride=2, padding=1))
                skips.append(cur)
        self.mid = nn.ModuleList([ResBlock(cur, cur, emb_dim, g), self._attention(cur), ResBlock(cur, cur, emb_dim, g)])
        self.up = nn.ModuleList()
        for level in reversed(range(len(chans))):
            ch = chans[level]
            for _ in range(config.res_blocks + 1):
                self.up.append(self._block(cur + skips.pop(), ch, emb_dim, level))
                cur = ch
            if level > 0:  # straight to the next level's width: its blocks then convolve less
                self.up.append(Upsample(cur, chans[level - 1]))
                cur = chans[level - 1]
        self.out = nn.Sequential(nn.GroupNorm(g, cur), nn.SiLU(), _zero(nn.Conv2d(cur, config.image_channels, 3, padding=1)))

    def _block(self, cin: int, cout: int, emb_dim: int, level: int) -> nn.Module:
        block = ResBlock(cin, cout, emb_dim, self.config.groups)
        if level in self.config.attention_levels:
            return nn.ModuleList([block, self._attention(cout)])
        return block

    def _attention(self, channels: int) -> Attention:
        return Attention(channels, self.config.heads, self.config.groups, self.config.attention_pool)

    @staticmethod
    def _run(module: nn.Module, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if isinstance(module, ResBlock):
            return module(h, emb)
        if isinstance(module, nn.ModuleList):
            return module[1](module[0](h, emb))
        return module(h)

    def forward(self, noisy: torch.Tensor, gamma: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        emb = self.emb(noise_level_embedding(gamma, self.config.base_channels))
        h = self.inp(torch.cat([condition, noisy], dim=1))
        hs = [h]
        for module in self.down:
            h = self._run(module, h, emb)
            hs.append(h)
        for module in self.mid:
            h = self._run(module, h, emb)
        for module in self.up:
            if isinstance(module, Upsample):
                h = module(h)
            else:
                h = self._run(module, torch.cat([h, hs.pop()], dim=1), emb)
        out = self.out(h)
        if self.config.residual_from_condition:
            out = out + condition[:, : self.config.image_channels]
        return out
