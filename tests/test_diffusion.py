"""Schedules, samplers and the loop, with analytic denoisers whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from palette_desktop.diffusion.loop import refine
from palette_desktop.diffusion.samplers import PredictionKind, SamplerKind, make_sampler, split_prediction
from palette_desktop.diffusion.schedules import ScheduleKind, gamma


class Oracle:
    """Knows the clean image and answers in the asked parametrisation."""

    def __init__(self, x0: np.ndarray, kind: PredictionKind) -> None:
        self.x0, self.kind, self.calls = x0, kind, 0

    def denoise(self, noisy, g, condition):
        self.calls += 1
        sg, s1g = np.sqrt(g)[:, None, None, None], np.sqrt(1 - g)[:, None, None, None]
        eps = (noisy - sg * self.x0) / s1g
        if self.kind is PredictionKind.X0:
            return np.broadcast_to(self.x0, noisy.shape).astype(np.float32)
        if self.kind is PredictionKind.EPSILON:
            return eps.astype(np.float32)
        return (sg * eps - s1g * self.x0).astype(np.float32)


class Shrink:
    """A fixed linear map, for pinned numbers that any change to the sampler maths moves."""

    def denoise(self, noisy, g, condition):
        return (0.5 * noisy + 0.1 * condition[:, :3]).astype(np.float32)


@pytest.mark.parametrize("kind", list(ScheduleKind))
def test_schedule_goes_from_clean_to_noise(kind):
    g = gamma(kind, np.linspace(0, 1, 101))
    assert g[0] > 0.99 and g[-1] < 1e-3
    assert np.all(np.diff(g) < 0)


@pytest.mark.parametrize("prediction", list(PredictionKind))
def test_prediction_kinds_agree(prediction):
    rng = np.random.default_rng(1)
    x0 = rng.uniform(-1, 1, (1, 3, 4, 4)).astype(np.float32)
    noise = rng.standard_normal(x0.shape).astype(np.float32)
    g = 0.3
    xt = np.sqrt(g) * x0 + np.sqrt(1 - g) * noise
    out = Oracle(x0, prediction).denoise(xt, np.array([g], np.float32), None)
    got_x0, got_eps = split_prediction(prediction, out, xt, g)
    assert np.allclose(got_x0, x0, atol=1e-5) and np.allclose(got_eps, noise, atol=1e-4)


@pytest.mark.parametrize("sampler_kind", list(SamplerKind))
@pytest.mark.parametrize("prediction", list(PredictionKind))
def test_a_perfect_denoiser_recovers_the_image(sampler_kind, prediction):
    x0 = np.random.default_rng(0).uniform(-0.9, 0.9, (1, 3, 8, 8)).astype(np.float32)
    sampler = make_sampler(sampler_kind, ScheduleKind.COSINE, prediction)
    cond = np.zeros((2, 4, 8, 8), np.float32)
    records = list(refine(Oracle(x0, prediction), sampler, cond, steps=10, seed=0))
    assert [r.index for r in records] == list(range(10))
    assert np.allclose(records[-1].sample, np.repeat(x0, 2, axis=0), atol=1e-3)


def test_pinned_numbers():
    cond = np.linspace(-1, 1, 2 * 4 * 6 * 6, dtype=np.float32).reshape(2, 4, 6, 6)
    ddim = list(refine(Shrink(), make_sampler(SamplerKind.DDIM, ScheduleKind.COSINE, PredictionKind.EPSILON),
                       cond, steps=8, seed=42))[-1].sample
    anc = list(refine(Shrink(), make_sampler(SamplerKind.ANCESTRAL, ScheduleKind.LINEAR, PredictionKind.V),
                      cond, steps=8, seed=42))[-1].sample
    assert float(np.abs(ddim).sum()) == pytest.approx(PINNED_DDIM, rel=1e-4)
    assert float(np.abs(anc).sum()) == pytest.approx(PINNED_ANCESTRAL, rel=1e-4)


PINNED_DDIM = 192.41757
PINNED_ANCESTRAL = 67.98071


def test_same_seed_same_bits_other_seed_other_result():
    sampler = make_sampler(SamplerKind.ANCESTRAL, ScheduleKind.COSINE, PredictionKind.EPSILON)
    cond = np.zeros((1, 4, 8, 8), np.float32)
    a = list(refine(Shrink(), sampler, cond, steps=5, seed=7))[-1].sample
    b = list(refine(Shrink(), sampler, cond, steps=5, seed=7))[-1].sample
    c = list(refine(Shrink(), sampler, cond, steps=5, seed=8))[-1].sample
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_known_pixels_are_put_back_every_step():
    rng = np.random.default_rng(3)
    known = rng.uniform(-1, 1, (2, 3, 8, 8)).astype(np.float32)
    generate = np.zeros((8, 8), np.float32)
    generate[2:5, 3:7] = 1
    sampler = make_sampler(SamplerKind.DDIM, ScheduleKind.COSINE, PredictionKind.EPSILON)
    for record in refine(Shrink(), sampler, np.zeros((2, 4, 8, 8), np.float32), steps=4, seed=0,
                         known=known, generate=generate):
        assert np.array_equal(record.sample[:, :, generate == 0], known[:, :, generate == 0])


def test_each_image_of_a_batch_keeps_its_own_known_pixels():
    rng = np.random.default_rng(4)
    known = rng.uniform(-1, 1, (3, 3, 8, 8)).astype(np.float32)
    generate = np.zeros((3, 8, 8), np.float32)
    generate[0, 1:3], generate[1, :, 5:], generate[2, 4:7, 2:4] = 1, 1, 1
    sampler = make_sampler(SamplerKind.DDIM, ScheduleKind.COSINE, PredictionKind.EPSILON)
    for record in refine(Shrink(), sampler, np.zeros((3, 4, 8, 8), np.float32), steps=3, seed=0,
                         known=known, generate=generate):
        for image, gen, kept in zip(record.sample, generate, known):
            assert np.array_equal(image[:, gen == 0], kept[:, gen == 0])
            assert not np.array_equal(image[:, gen > 0], kept[:, gen > 0])


def test_stopping_the_generator_stops_the_network():
    oracle = Oracle(np.zeros((1, 3, 4, 4), np.float32), PredictionKind.X0)
    sampler = make_sampler(SamplerKind.DDIM, ScheduleKind.COSINE, PredictionKind.X0)
    for record in refine(oracle, sampler, np.zeros((1, 4, 4, 4), np.float32), steps=50, seed=0):
        if record.index == 2:
            break
    assert oracle.calls == 3
