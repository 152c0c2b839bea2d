"""Training the multi-task Palette UNet on folders of photos.

One model for the four tasks, the task drawn per example. The network predicts the clean
image x0 (as condition + correction); the loss is L1 on x0 inside the generated region.
Palette used L2 on the noise, which favours diverse samples; restoring a family photo
wants the conservative answer, L1 gives it (Palette's own ablation), and x0 prediction
lets a small model sample well in 10–20 steps.

Every example is a pure function of (seed, sample number) and every step's noise of
(seed, step), so a resumed run continues exactly where it stopped, whatever the number of
loader workers. On CUDA: bf16 autocast, channels-last and torch.compile; several GPUs or
nodes through torchrun (DistributedDataParallel).
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, Sampler

from palette_desktop.core.degrade import make_example, random_crop, sample_task
from palette_desktop.core.imageio import READ_SUFFIXES
from palette_desktop.diffusion.schedules import ScheduleKind, gamma
from palette_desktop.model.config import UNetConfig
from palette_desktop.model.unet import PaletteUNet

SCHEDULE = ScheduleKind.COSINE


@dataclass(frozen=True)
class TrainConfig:
    data: tuple[str, ...]
    out: str
    steps: int = 10_000
    batch: int = 16  # per GPU / process
    size: int = 64
    lr: float = 5e-4
    warmup: int = 200
    ema: float = 0.999
    seed: int = 0
    workers: int = 1
    checkpoint_every: int = 500
    log_every: int = 25
    max_zoom_out: float = 2.0
    unet: UNetConfig = field(default_factory=UNetConfig)
    compile: bool = True  # CUDA only

    def to_dict(self) -> dict:
        data = asdict(self)
        data["unet"] = self.unet.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        data = dict(data)
        data["unet"] = UNetConfig.from_dict(data["unet"])
        data["data"] = tuple(data["data"])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def list_photos(folders: tuple[str, ...]) -> list[Path]:
    files = [p for folder in folders for p in sorted(Path(folder).rglob("*")) if p.suffix.lower() in READ_SUFFIXES]
    if not files:
        raise FileNotFoundError(f"no photos in {', '.join(folders)}")
    return files


class DamagedPhotos(Dataset):
    """Example number n: a photo, a task, a crop and damage drawn from rng(seed, n)."""

    def __init__(self, files: list[Path], size: int, seed: int, max_zoom_out: float) -> None:
        self.files, self.size, self.seed, self.max_zoom_out = files, size, seed, max_zoom_out

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, n: int):
        rng = np.random.default_rng([self.seed, n])
        path = self.files[rng.integers(len(self.files))]
        data = cv2.imread(str(path), cv2.IMREAD_COLOR)
        image = cv2.cvtColor(data, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        grayscale = bool(np.abs(image[..., 0] - image[..., 2]).max() < 2 / 255)
        example = make_example(random_crop(image, self.size, rng, self.max_zoom_out), sample_task(rng, grayscale), rng)

        def chw(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))

        return (chw(example.condition * 2 - 1), chw(example.target * 2 - 1),
                torch.from_numpy(example.generate[None].copy()))


class SampleNumbers(Sampler):
    """Sample numbers from ``start`` on, this process's share of every global batch."""

    def __init__(self, start: int, rank: int = 0, world: int = 1) -> None:
        self.start, self.rank, self.world = start, rank, world

    def __iter__(self):
        n = self.start + self.rank
        while True:
            yield n
            n += self.world

    def __len__(self) -> int:
        return 2**62


def _worker_init(_: int) -> None:
    # Without this each loader worker runs as many threads as there are cores and they
    # fight the training process for them (a first probe ran 3x slower).
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = min(1.0, (step - config.warmup) / max(1, config.steps - config.warmup))
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def training_loss(model: torch.nn.Module, cond: torch.Tensor, target: torch.Tensor, generate: torch.Tensor,
                  noise_gen: torch.Generator) -> torch.Tensor:
    """L1 between predicted and true x0, over generated pixels; known pixels given clean."""
    b = target.shape[0]
    t = torch.rand(b, generator=noise_gen, device=target.device)
    g = torch.from_numpy(gamma(SCHEDULE, t.double().cpu().numpy())).float().to(target.device)
    eps = torch.randn(target.shape, generator=noise_gen, device=target.device)
    gb = g[:, None, None, None]
    noisy = gb.sqrt() * target + (1 - gb).sqrt() * eps
    noisy = torch.where(generate > 0, noisy, target)
    pred = model(noisy, g, cond).float()
    weight = generate.expand_as(target)
    return ((pred - target).abs() * weight).sum() / weight.sum().clamp_min(1.0)


@dataclass
class TrainState:
    model: PaletteUNet
    ema: PaletteUNet
    optimizer: torch.optim.Optimizer
    step: int = 0
    seconds: float = 0.0


def new_state(config: TrainConfig, init_weights: Path | None = None) -> TrainState:
    torch.manual_seed(config.seed)
    model = PaletteUNet(config.unet)
    if init_weights is not None:
        model.load_state_dict(_read_weights(init_weights))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    return TrainState(model, copy.deepcopy(model).requires_grad_(False), optimizer)


def _read_weights(path: Path) -> dict:
    data = torch.load(path, map_location="cpu", weights_only=True)
    state = data.get("ema", data) if isinstance(data, dict) and "ema" in data else data
    return {k: v.float() for k, v in state.items()}


def save_checkpoint(state: TrainState, config: TrainConfig, path: Path) -> None:
    """Everything a resumed run needs to take exactly the next step; written atomically."""
    tmp = path.with_suffix(".tmp")
    torch.save({"model": state.model.state_dict(), "ema": state.ema.state_dict(),
                "optimizer": state.optimizer.state_dict(), "step": state.step, "seconds": state.seconds,
                "config": config.to_dict()}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> tuple[TrainState, TrainConfig]:
    data = torch.load(path, map_location="cpu", weights_only=False)
    config = TrainConfig.from_dict(data["config"])
    state = new_state(config)
    state.model.load_state_dict(data["model"])
    state.ema.load_state_dict(data["ema"])
    state.optimizer.load_state_dict(data["optimizer"])
    state.step, state.seconds = data["step"], data["seconds"]
    return state, config


def _noise_generator(seed: int, step: int, rank: int, device: torch.device) -> torch.Generator:
    gen = torch.Generator(device=device)
    gen.manual_seed((seed * 1_000_003 + step) * 64 + rank)
    return gen


@torch.no_grad()
def _update_ema(ema: PaletteUNet, model: torch.nn.Module, decay: float, step: int) -> None:
    decay = min(decay, (1 + step) / (10 + step))  # follow closely while the weights move fast
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach().float(), 1 - decay)


def train(config: TrainConfig, state: TrainState | None = None, *, log=print, until_step: int | None = None) -> TrainState:
    """Train from ``state`` (or scratch) to ``config.steps`` (or ``until_step``); returns the state."""
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if cuda else torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    state = state or new_state(config)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    model = state.model.to(device)
    state.ema.to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    for group in state.optimizer.param_groups:  # the optimizer state follows the model's device
        for p in group["params"]:
            for key, value in state.optimizer.state.get(p, {}).items():
                if torch.is_tensor(value) and key != "step":
                    state.optimizer.state[p][key] = value.to(device)
    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    if cuda and config.compile:
        net = torch.compile(net)
    dataset = DamagedPhotos(list_photos(config.data), config.size, config.seed, config.max_zoom_out)
    loader = DataLoader(dataset, batch_size=config.batch, sampler=SampleNumbers(state.step * config.batch * world, rank, world),
                        num_workers=config.workers, worker_init_fn=_worker_init, pin_memory=cuda,
                        persistent_workers=config.workers > 0, prefetch_factor=4 if config.workers > 0 else None)
    last = until_step if until_step is not None else config.steps
    running = torch.zeros((), device=device)
    window_start, window_steps = time.perf_counter(), 0
    model.train()
    batches = iter(loader)
    while state.step < last:
        cond, target, generate = (x.to(device, non_blocking=True) for x in next(batches))
        if cuda:
            cond, target = cond.contiguous(memory_format=torch.channels_last), target.contiguous(memory_format=torch.channels_last)
        for group in state.optimizer.param_groups:
            group["lr"] = learning_rate(config, state.step)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = training_loss(net, cond, target, generate, _noise_generator(config.seed, state.step, rank, device))
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        state.optimizer.step()
        _update_ema(state.ema, model, config.ema, state.step)
        running += loss.detach()
        state.step += 1
        window_steps += 1
        if state.step % config.log_every == 0 or state.step == last:
            elapsed = time.perf_counter() - window_start
            state.seconds += elapsed
            if rank == 0:
                rate = window_steps * config.batch * world / elapsed
                log(json.dumps({"step": state.step, "loss": round(float(running) / window_steps, 5),
                                "samples_per_s": round(rate, 1), "lr": round(learning_rate(config, state.step), 7),
                                "samples_seen": state.step * config.batch * world, "seconds": round(state.seconds, 1)}))
            running.zero_()
            window_start, window_steps = time.perf_counter(), 0
        if rank == 0 and (state.step % config.checkpoint_every == 0 or state.step == last):
            save_checkpoint(_on_cpu(state), config, out / "checkpoint.pt")
    return state


def _on_cpu(state: TrainState) -> TrainState:
    """A view of the state with weights on the CPU, for saving (the live one stays put)."""
    if next(state.model.parameters()).device.type == "cpu":
        return state
    model = copy.deepcopy(state.model).cpu()
    ema = copy.deepcopy(state.ema).cpu()
    return replace(state, model=model, ema=ema)
