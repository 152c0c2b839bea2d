"""Training examples: photos decoded into memory (once per process), damaged on the fly by loader workers.

Every example is a pure function of (seed, sample number), whatever the batch, worker or
process it lands in, so a resumed run continues exactly. Workers hand over uint8 arrays
(the clean crop, the damaged photo, where to generate, the task) a whole batch at a time;
the GPU turns them into the network's condition (``torch_conditions``). The photos come
from folders or from packs: uncompressed tar files of photos that travel to the GPU
machine (``scripts/make_packs.py``).
"""

from __future__ import annotations

import os
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from palette_desktop.core.degrade import damage, random_crop, sample_task
from palette_desktop.core.imageio import READ_SUFFIXES, is_gray
from palette_desktop.model.torch_conditions import TASK_CODES

GRAY_TOLERANCE = 2 / 255  # a photo whose channels agree this well has no colour truth


@dataclass(frozen=True)
class Photos:
    """Decoded photos (HxWx3 uint8 RGB), whether each is black-and-white, and their files.

    Loader workers start in a fresh process (``model.train``), so a ``Photos`` travels to
    them as its files, a tenth of the pixels' size, and each worker decodes them again.
    """

    images: list[np.ndarray]
    grayscale: list[bool]
    names: list[str]
    files: list[bytes]

    def __reduce__(self) -> tuple:
        return _decoded, (self.files, self.grayscale, self.names)


def _decoded(files: list[bytes], grayscale: list[bool], names: list[str]) -> Photos:
    return Photos([_decode(data) for data in files], grayscale, names, files)


def _photo_files(source: Path) -> Iterator[tuple[str, bytes]]:
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.suffix.lower() in READ_SUFFIXES:
                yield str(path), path.read_bytes()
    elif tarfile.is_tarfile(source):
        with tarfile.open(source) as pack:
            for member in pack:
                if member.isfile() and Path(member.name).suffix.lower() in READ_SUFFIXES:
                    yield f"{source.name}:{member.name}", pack.extractfile(member).read()
    else:
        raise FileNotFoundError(f"{source}: not a folder of photos nor a pack")


def _decode(data: bytes) -> np.ndarray | None:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_photos(sources: Sequence[str | Path], min_side: int = 0) -> Photos:
    """Every photo in the folders and packs, decoded once (on all cores), in a fixed order.

    Photos that do not decode, or whose short side is under ``min_side``, are left out.
    """
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # cv2 releases the GIL while decoding
        files = [item for source in sources for item in _photo_files(Path(source))]
        decoded = list(pool.map(_decode, (data for _, data in files)))
    kept = [(name, image, data) for image, (name, data) in zip(decoded, files)
            if image is not None and min(image.shape[:2]) >= min_side]
    if not kept:
        raise FileNotFoundError(f"no photos in {', '.join(map(str, sources))}")
    gray = [is_gray(image.astype(np.float32) / 255, GRAY_TOLERANCE) for _, image, _ in kept]
    return Photos([k[1] for k in kept], gray, [k[0] for k in kept], [k[2] for k in kept])


@dataclass(frozen=True)
class ExampleBatch:
    """One batch as uint8/int64 tensors: what the loader hands to the training step."""

    target: torch.Tensor  # (B, 3, S, S) uint8, the clean crop
    source: torch.Tensor  # (B, 3, S, S) uint8, the damaged photo the user would have
    generate: torch.Tensor  # (B, 1, S, S) uint8, 1 where the network generates
    task: torch.Tensor  # (B,) int64, codes of torch_conditions.TASK_CODES

    def to(self, device: torch.device, non_blocking: bool = False) -> ExampleBatch:
        return ExampleBatch(*(t.to(device, non_blocking=non_blocking) for t in
                              (self.target, self.source, self.generate, self.task)))

    def pin_memory(self) -> ExampleBatch:
        return ExampleBatch(self.target.pin_memory(), self.source.pin_memory(), self.generate.pin_memory(),
                            self.task.pin_memory())


def make_training_example(photos: Photos, n: int, size: int, seed: int, max_zoom_out: float,
                          task_weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sample number ``n``: (clean crop, damaged photo, generate mask, task code), all uint8 but the code."""
    rng = np.random.default_rng([seed, n])
    index = int(rng.integers(len(photos.images)))
    crop = random_crop(photos.images[index], size, rng, max_zoom_out)
    task = sample_task(rng, photos.grayscale[index], task_weights)
    damaged, generate = damage(crop.astype(np.float32) / 255.0, task, rng)
    source = np.round(np.clip(damaged, 0, 1) * 255).astype(np.uint8)
    return crop, source, generate.astype(np.uint8), TASK_CODES[task]


class DamagedBatches(Dataset):
    """Item ``step``: this process's share of global batch ``step`` (samples step·B·world + rank·B + i)."""

    def __init__(self, photos: Photos, size: int, batch: int, seed: int, max_zoom_out: float = 2.0,
                 rank: int = 0, world: int = 1, task_weights: Mapping[str, float] | None = None) -> None:
        self.photos, self.size, self.batch, self.seed, self.max_zoom_out = photos, size, batch, seed, max_zoom_out
        self.rank, self.world, self.task_weights = rank, world, task_weights

    def __len__(self) -> int:
        return 2**62

    def sample_numbers(self, step: int) -> range:
        first = (step * self.world + self.rank) * self.batch
        return range(first, first + self.batch)

    def __getitem__(self, step: int) -> ExampleBatch:
        b, s = self.batch, self.size
        target, source = np.empty((b, s, s, 3), np.uint8), np.empty((b, s, s, 3), np.uint8)
        generate, task = np.empty((b, s, s), np.uint8), np.empty(b, np.int64)
        for i, n in enumerate(self.sample_numbers(step)):
            target[i], source[i], generate[i], task[i] = make_training_example(
                self.photos, n, s, self.seed, self.max_zoom_out, self.task_weights)
        return ExampleBatch(torch.from_numpy(target).permute(0, 3, 1, 2), torch.from_numpy(source).permute(0, 3, 1, 2),
                            torch.from_numpy(generate)[:, None], torch.from_numpy(task))


class Steps(Sampler):
    """Step numbers from ``start`` on, for ``DataLoader(batch_size=None)``."""

    def __init__(self, start: int) -> None:
        self.start = start

    def __iter__(self) -> Iterator[int]:
        step = self.start
        while True:
            yield step
            step += 1

    def __len__(self) -> int:
        return 2**62
