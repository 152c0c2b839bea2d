"""The UNet's shape, in one frozen dataclass that travels with the weights (no torch here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class UNetConfig:
    image_channels: int = 3
    condition_channels: int = 4  # condition RGB + mask
    base_channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2, 4, 4)
    res_blocks: int = 1  # per level on the way down; one more on the way up
    # Self-attention sits in the middle block (the lowest resolution) and at these levels;
    # attention at level 3 too cost 15 % more time per step on a 2-core CPU.
    attention_levels: tuple[int, ...] = ()
    # Keys and values are averaged over pool×pool cells: full attention at a 512² tile's
    # middle block (64×64 tokens) cost more than a level of convolutions.
    attention_pool: int = 2
    heads: int = 4
    groups: int = 8
    # The network predicts x0 as condition RGB + a learnt correction, so an untrained
    # network already returns its condition (JPEG input, Telea fill, reflect padding,
    # gray photo) and training only has to learn what to change.
    residual_from_condition: bool = True

    @property
    def size_multiple(self) -> int:
        return 2 ** (len(self.channel_mults) - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> UNetConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("channel_mults", "attention_levels"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


TINY = UNetConfig(base_channels=8, channel_mults=(1, 2), res_blocks=1, attention_levels=(1,), heads=1, groups=4)
"""A few-thousand-parameter network for tests: fast, untrained, same code paths."""
