"""Damage made on the fly from clean photos: the training examples and the eval inputs.

Numpy and OpenCV only, so that training (torch), evaluation and tests share one source
of truth. Every function takes a ``numpy.random.Generator`` and is deterministic in it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.color import to_gray
from palette_desktop.core.conditions import Task, build_condition

TASK_WEIGHTS = {Task.COLORIZE: 0.2, Task.INPAINT: 0.35, Task.EXTEND: 0.15, Task.JPEG: 0.3}
GRAY_TASKS = (Task.INPAINT, Task.JPEG)  # no colour truth: nothing to learn for colorize/extend colour


JPEG_SCAN_SHARE = 0.4  # of JPEG-task examples: a scanned print's grain, noise and blur, JPEG on top


@dataclass(frozen=True)
class Example:
    condition: np.ndarray  # HxWx4 in [0, 1]
    target: np.ndarray  # HxWx3 in [0, 1]
    generate: np.ndarray  # HxW: 1 where the network generates (and the loss counts)
    task: Task


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator, max_zoom_out: float = 2.0) -> np.ndarray:
    """A size×size crop covering 1 to ``max_zoom_out`` × size of the photo (scale jitter), maybe mirrored.

    Keeps the photo's dtype: training crops its uint8 photos, eval its float ones.
    """
    h, w = image.shape[:2]
    side = int(min(h, w, size * rng.uniform(1.0, max_zoom_out)))
    y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = image[y:y + side, x:x + side]
    if side != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_CUBIC)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def brush_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Free-form strokes as DeepFill v2's generator draws them: random walks of thick lines."""
    mask = np.zeros((h, w), np.float32)
    scale = min(h, w) / 256
    for _ in range(rng.integers(1, 5)):
        x, y = rng.integers(0, w), rng.integers(0, h)
        width = int(rng.uniform(8, 30) * scale) + 1
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(rng.integers(2, 7)):
            angle += rng.uniform(-np.pi / 3, np.pi / 3)
            length = rng.uniform(10, 60) * scale
            nx = int(np.clip(x + length * np.cos(angle), 0, w - 1))
            ny = int(np.clip(y + length * np.sin(angle), 0, h - 1))
            cv2.line(mask, (int(x), int(y)), (nx, ny), 1.0, width)
            cv2.circle(mask, (nx, ny), width // 2, 1.0, -1)
            x, y = nx, ny
    return mask


def box_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.float32)
    bh, bw = int(h * rng.uniform(0.15, 0.45)), int(w * rng.uniform(0.15, 0.45))
    y, x = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
    mask[y:y + bh, x:x + bw] = 1
    return mask


def scratch_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Thin, long, slightly wavy lines, as on a scratched print or negative."""
    mask = np.zeros((h, w), np.float32)
    for _ in range(rng.integers(1, 6)):
        points = [(rng.uniform(0, w), rng.uniform(0, h))]
        angle = rng.uniform(0, np.pi)
        for _ in range(4):
            angle += rng.uniform(-0.3, 0.3)
            step = rng.uniform(0.1, 0.4) * max(h, w)
            points.append((points[-1][0] + step * np.cos(angle), points[-1][1] + step * np.sin(angle)))
        pts = np.array(points, np.int32).reshape(-1, 1, 2)
        cv2.polylines(mask, [pts], False, 1.0, int(rng.integers(1, 5)))
    return mask


def inpaint_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """One of the three kinds of damage, never empty and never the whole picture."""
    kind = rng.choice(3, p=[0.5, 0.2, 0.3])
    mask = (brush_mask, box_mask, scratch_mask)[kind](h, w, rng)
    if not mask.any():
        mask = box_mask(h, w, rng)
    return mask


def extend_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """One to four sides, each 10–50 % of the picture (the known part stays a rectangle)."""
    mask = np.zeros((h, w), np.float32)
    sides = rng.permutation(4)[: rng.integers(1, 5)]
    extents = {int(s): rng.uniform(0.1, 0.5) for s in sides}
    if 0 in extents and 2 in extents:  # left and right together leave at least 20 %
        extents[0], extents[2] = extents[0] * 0.8, extents[2] * 0.8
    if 1 in extents and 3 in extents:
        extents[1], extents[3] = extents[1] * 0.8, extents[3] * 0.8
    for side, f in extents.items():
        if side == 0:
            mask[:, : int(w * f)] = 1
        elif side == 1:
            mask[: int(h * f)] = 1
        elif side == 2:
            mask[:, w - int(w * f):] = 1
        else:
            mask[h - int(h * f):] = 1
    return mask


def jpeg_compress(image: np.ndarray, rng: np.random.Generator, qualities: tuple[int, int] = (5, 50),
                  twice: float = 1 / 3) -> np.ndarray:
    """JPEG at a quality drawn from ``qualities`` with 4:2:0 chroma, sometimes twice, by libjpeg.

    A real codec, so that the artefacts are the ones users' photos have.
    """
    out = image
    for _ in range(2 if rng.random() < twice else 1):
        buffer = io.BytesIO()
        Image.fromarray(np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)).save(
            buffer, "JPEG", quality=int(rng.integers(qualities[0], qualities[1] + 1)), subsampling=2)
        out = np.asarray(Image.open(buffer).convert("RGB"), np.float32) / 255.0
    return out


def film_grain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Signal-dependent grain 1–3 px across, strongest in the mid-tones, mono or per channel."""
    h, w = image.shape[:2]
    size = rng.uniform(0.5, 1.5)  # blur sigma of the grain field: grains of about 1–3 px
    channels = 1 if rng.random() < 0.6 else 3  # black-and-white film has one grain layer
    field = cv2.GaussianBlur(rng.standard_normal((h, w, channels), dtype=np.float32), (0, 0), size)
    field = (field / max(float(field.std()), 1e-6)).reshape(h, w, channels)
    strength = rng.uniform(0.02, 0.06) * 2 * np.sqrt(np.clip(image * (1 - image), 0, None)) + 0.005
    return image + strength * field


def sensor_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian read noise, or shot noise (its Gaussian form, signal-dependent), as a sensor adds."""
    noise = rng.standard_normal(image.shape, dtype=np.float32)
    if rng.random() < 0.5:
        return image + rng.uniform(0.01, 0.05) * noise
    peak = rng.uniform(30, 300)  # photons at white: fewer is noisier
    return image + np.sqrt(np.clip(image, 0, 1) / peak) * noise


def fade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A faded print's lost contrast: the blacks lifted to gray and the whites dulled."""
    lift = rng.uniform(0.03, 0.15)
    return lift + rng.uniform(0.7, 0.95 - lift) * image


def scan_damage(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a scan of an old print carries: some of fading, defocus, grain and noise, then usually JPEG."""
    out = image.astype(np.float32)
    if rng.random() < 0.3:
        out = fade(out, rng)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.2))
    if rng.random() < 0.6:
        out = film_grain(out, rng)
    if rng.random() < 0.5:
        out = sensor_noise(out, rng)
    out = np.clip(out, 0, 1).astype(np.float32)
    return jpeg_compress(out, rng, qualities=(30, 90), twice=0.0) if rng.random() < 0.8 else out


def clean_up_damage(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The JPEG task's input: pure JPEG damage or, for ``JPEG_SCAN_SHARE`` of examples, a scan's."""
    return scan_damage(image, rng) if rng.random() < JPEG_SCAN_SHARE else jpeg_compress(image, rng)


def old_print(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A black-and-white print: plain luminance, a sepia toning, or a faded low-contrast copy."""
    gray = to_gray(image)
    kind = rng.choice(3, p=[0.6, 0.2, 0.2])
    if kind == 1:
        gray = gray * np.array([1.07, 0.74, 0.43], np.float32) + np.array([0.0, 0.05, 0.08], np.float32)
    elif kind == 2:
        lift, span = rng.uniform(0.05, 0.2), rng.uniform(0.6, 0.85)
        gray = lift + span * gray
    return np.clip(gray, 0, 1).astype(np.float32)


def damage(image: np.ndarray, task: Task, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The photo as a user would bring it for ``task``, and where the network generates.

    ``image`` is a clean float crop in [0, 1]; returns (damaged HxWx3 float32, generate
    HxW float32). Inpaint and extend leave the photo as it is: their damage is the hole,
    which the condition blanks.
    """
    h, w = image.shape[:2]
    everywhere = np.ones((h, w), np.float32)
    if task is Task.COLORIZE:
        return old_print(image, rng), everywhere
    if task is Task.JPEG:
        return clean_up_damage(image, rng), everywhere
    return image, inpaint_mask(h, w, rng) if task is Task.INPAINT else extend_mask(h, w, rng)


def make_example(image: np.ndarray, task: Task, rng: np.random.Generator) -> Example:
    """A training (or evaluation) pair from a clean float crop."""
    damaged, generate = damage(image, task, rng)
    mask = generate if task in (Task.INPAINT, Task.EXTEND) else None
    return Example(build_condition(task, damaged, mask), image, generate, task)


def sample_task(rng: np.random.Generator, grayscale: bool, task_weights: Mapping[str, float] | None = None) -> Task:
    """A task for a training example; ``task_weights`` (by task name) overrides ``TASK_WEIGHTS``."""
    shares = {Task(name): w for name, w in task_weights.items()} if task_weights else TASK_WEIGHTS
    tasks = GRAY_TASKS if grayscale else tuple(shares)
    weights = np.array([shares.get(t, 0.0) for t in tasks])
    if weights.sum() <= 0:  # a mix of colour-only tasks still trains on black-and-white photos
        weights = np.array([TASK_WEIGHTS[t] for t in tasks])
    return tasks[rng.choice(len(tasks), p=weights / weights.sum())]
