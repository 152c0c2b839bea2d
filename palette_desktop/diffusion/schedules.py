"""Noise schedules as pure functions of continuous time t in [0, 1].

Palette conditions its network on the noise level γ (the fraction of signal variance,
ᾱ in DDPM terms) rather than on a timestep index, so a schedule here is just γ(t):
γ(0) ≈ 1 is the clean image, γ(1) ≈ 0 pure noise. Training samples t uniformly; a
sampler evaluates γ on a grid of as many points as it has steps.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

GAMMA_MIN = 1e-6
GAMMA_MAX = 1.0 - 1e-6
COSINE_OFFSET = 0.008  # Nichol & Dhariwal's s: keeps γ(0) just under 1


class ScheduleKind(Enum):
    COSINE = "cosine"  # Nichol & Dhariwal: gentler at both ends, better for few steps
    LINEAR = "linear"  # DDPM / Palette: linear β, as a continuous-time VP schedule


def cosine_gamma(t: np.ndarray, offset: float = COSINE_OFFSET) -> np.ndarray:
    """γ(t) of the cosine schedule."""
    f = np.cos((np.asarray(t, np.float64) + offset) / (1 + offset) * np.pi / 2) ** 2
    return f / np.cos(offset / (1 + offset) * np.pi / 2) ** 2


def linear_gamma(t: np.ndarray, beta_start: float = 0.1, beta_end: float = 20.0) -> np.ndarray:
    """γ(t) of the linear-β schedule: exp(-∫β) with β going linearly from start to end."""
    t = np.asarray(t, np.float64)
    return np.exp(-(beta_start * t + 0.5 * (beta_end - beta_start) * t * t))


_SCHEDULES = {ScheduleKind.COSINE: cosine_gamma, ScheduleKind.LINEAR: linear_gamma}


def gamma(kind: ScheduleKind, t: np.ndarray | float) -> np.ndarray:
    """The noise level γ at time(s) t, kept strictly inside (0, 1)."""
    return np.clip(_SCHEDULES[kind](t), GAMMA_MIN, GAMMA_MAX)
