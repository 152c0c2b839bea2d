"""Samplers behind one API, in the manner of diffusers' schedulers.

``set_steps(n)`` fixes the grid of noise levels; ``noise_level(i)`` is what the network is
given at step i; ``step(model_output, i, sample, rng)`` returns the next, less noisy
sample. A sampler never sees the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from palette_desktop.diffusion.schedules import ScheduleKind, gamma


class PredictionKind(Enum):
    EPSILON = "epsilon"  # the noise (DDPM, Palette)
    V = "v"  # velocity, sqrt(γ)·ε − sqrt(1−γ)·x0 (Salimans & Ho)
    X0 = "x0"  # the clean image


class SamplerKind(Enum):
    ANCESTRAL = "ancestral"  # Palette's stochastic DDPM posterior sampling
    DDIM = "ddim"  # deterministic, good in 10–50 steps


@dataclass(frozen=True)
class StepOutput:
    prev_sample: np.ndarray
    pred_x0: np.ndarray


def split_prediction(kind: PredictionKind, output: np.ndarray, sample: np.ndarray, g: float,
                     clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(x0, ε) implied by a network output at noise level γ = g; x0 clipped to [-1, 1]."""
    sg, s1g = np.float32(np.sqrt(g)), np.float32(np.sqrt(1.0 - g))
    if kind is PredictionKind.EPSILON:
        x0 = (sample - s1g * output) / sg
    elif kind is PredictionKind.V:
        x0 = sg * sample - s1g * output
    else:
        x0 = output
    if clip:
        x0 = np.clip(x0, -1.0, 1.0)
    eps = (sample - sg * x0) / s1g
    return x0.astype(np.float32), eps.astype(np.float32)


class Sampler:
    """Common grid handling; subclasses implement :meth:`step`."""

    def __init__(self, schedule: ScheduleKind, prediction: PredictionKind) -> None:
        self.schedule = schedule
        self.prediction = prediction
        self.gammas = np.empty(0)

    def set_steps(self, steps: int) -> None:
        if steps < 1:
            raise ValueError("at least one step is needed")
        t = np.linspace(1.0, 0.0, steps + 1)
        g = gamma(self.schedule, t)
        g[-1] = 1.0  # the last step lands exactly on the predicted clean image
        self.gammas = g

    @property
    def steps(self) -> int:
        return len(self.gammas) - 1

    def noise_level(self, index: int) -> float:
        """γ of the sample that step ``index`` starts from."""
        return float(self.gammas[index])

    def initial_sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    def step(self, model_output: np.ndarray, index: int, sample: np.ndarray,
             rng: np.random.Generator) -> StepOutput:
        raise NotImplementedError


class DDIMSampler(Sampler):
    """Song et al.'s deterministic sampler (η = 0)."""

    def step(self, model_output, index, sample, rng):
        g, g_prev = self.gammas[index], self.gammas[index + 1]
        x0, eps = split_prediction(self.prediction, model_output, sample, g)
        prev = np.float32(np.sqrt(g_prev)) * x0 + np.float32(np.sqrt(1.0 - g_prev)) * eps
        return StepOutput(prev.astype(np.float32), x0)


class AncestralSampler(Sampler):
    """Palette's sampler: draw x_{t-1} from the posterior q(x_{t-1} | x_t, x0)."""

    def step(self, model_output, index, sample, rng):
        g, g_prev = self.gammas[index], self.gammas[index + 1]
        x0, _ = split_prediction(self.prediction, model_output, sample, g)
        alpha = g / g_prev
        beta = 1.0 - alpha
        coef_x0 = np.sqrt(g_prev) * beta / (1.0 - g)
        coef_xt = np.sqrt(alpha) * (1.0 - g_prev) / (1.0 - g)
        mean = np.float32(coef_x0) * x0 + np.float32(coef_xt) * sample
        if index == self.steps - 1:
            return StepOutput(mean.astype(np.float32), x0)
        std = np.float32(np.sqrt(beta * (1.0 - g_prev) / (1.0 - g)))
        prev = mean + std * rng.standard_normal(sample.shape, dtype=np.float32)
        return StepOutput(prev.astype(np.float32), x0)


def make_sampler(kind: SamplerKind, schedule: ScheduleKind, prediction: PredictionKind) -> Sampler:
    return {SamplerKind.DDIM: DDIMSampler, SamplerKind.ANCESTRAL: AncestralSampler}[kind](schedule, prediction)
