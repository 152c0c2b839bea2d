"""Training the multi-task Palette UNet on folders of photos.

One model for the four tasks, the task drawn per example. The network predicts the clean
image x0 (as condition + correction); the loss is L1 on x0 inside the generated region.
Palette used L2 on the noise, which favours diverse samples; restoring a family photo
wants the conservative answer, L1 gives it (Palette's own ablation), and x0 prediction
lets a small model sample well in 10–20 steps.

Every example is a pure function of (seed, sample number) and every step's noise of
(seed, step), so a resumed run continues exactly where it stopped, whatever the number of
loader workers. Loader workers make the damaged photos on the CPU (``model.data``); the
GPU builds the condition from them. On CUDA: bf16 autocast, channels-last, fused AdamW,
torch.compile (eager with a warning when it fails), the next batch copied while the
step runs, and no host synchronisation between log lines; several GPUs or nodes through
torchrun (DistributedDataParallel).
"""

from __future__ import annotations

import copy
import functools
import io
import json
import math
import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import cv2
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from palette_desktop.core.atomic_write import write_atomically
from palette_desktop.diffusion.schedules import COSINE_OFFSET, GAMMA_MAX, GAMMA_MIN, ScheduleKind
from palette_desktop.model.config import UNetConfig
from palette_desktop.model.data import DamagedBatches, ExampleBatch, Photos, Steps, load_photos
from palette_desktop.model.torch_conditions import TASK_CODES, build_conditions
from palette_desktop.model.unet import PaletteUNet

SCHEDULE = ScheduleKind.COSINE
# Examples trained at pure noise (t = 1), besides t drawn uniformly: the sampler's first
# step is there, and for JPEG damage and thin scratches the app takes that first estimate
# of the clean image as the result (one network evaluation).
PURE_NOISE_SHARE = 0.2
# A loader worker that gives nothing for this long is stuck: the run stops with an error
# (and the weights saved so far) instead of waiting on the GPU machine's clock.
LOADER_TIMEOUT_S = 300


@dataclass(frozen=True)
class TrainConfig:
    data: tuple[str, ...]  # folders of photos or packs (tar)
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
    minutes: float = 0.0  # when > 0: train for this wall-clock time, the schedule following the clock
    # Share of each task among colour photos (names of core.degrade.Task); empty: TASK_WEIGHTS.
    task_weights: dict[str, float] = field(default_factory=dict)

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


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AMX or AVX-512 BF16).

    Elsewhere bf16 is emulated and autocast makes training slower than fp32. torch has no
    public query for this; its private ones are read defensively (absent: no bf16).
    """
    probes = (getattr(torch.cpu, "_is_amx_tile_supported", None), getattr(torch.cpu, "_is_avx512_bf16_supported", None))
    return any(probe is not None and probe() for probe in probes)


def uses_bf16(device: torch.device) -> bool:
    """bf16 autocast on a GPU, and on a CPU that has native bf16; fp32 otherwise."""
    return device.type == "cuda" or (device.type == "cpu" and cpu_has_native_bf16())


def _worker_init(_: int) -> None:
    # Without this each loader worker runs as many threads as there are cores and they
    # fight the training process for them (a first probe ran 3x slower).
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def learning_rate(config: TrainConfig, step: int, progress: float) -> float:
    """Linear warm-up over steps, then cosine decay to a tenth over ``progress`` (0 → 1)."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def schedule_gamma(t: torch.Tensor) -> torch.Tensor:
    """γ(t) of ``SCHEDULE`` computed where ``t`` lives (no trip to the host); see diffusion.schedules."""
    f = torch.cos((t.double() + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
    return (f / math.cos(COSINE_OFFSET / (1 + COSINE_OFFSET) * math.pi / 2) ** 2).clamp(GAMMA_MIN, GAMMA_MAX).float()


@dataclass(frozen=True)
class Batch:
    """A batch ready for the network, in [-1, 1]: condition, clean target, generate mask, task codes."""

    condition: torch.Tensor
    target: torch.Tensor
    generate: torch.Tensor
    task: torch.Tensor

    @classmethod
    def from_examples(cls, examples: ExampleBatch, channels_last: bool = False) -> Batch:
        """The condition built on the examples' device, in float32 (as the application builds it)."""
        source = examples.source.float() / 255.0
        condition = build_conditions(source, examples.generate, examples.task) * 2 - 1
        target = examples.target.float() / 127.5 - 1
        if channels_last:
            condition, target = (x.contiguous(memory_format=torch.channels_last) for x in (condition, target))
        return cls(condition, target, examples.generate.float(), examples.task)


def training_loss(model: torch.nn.Module, batch: Batch, noise_gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """L1 between predicted and true x0 over generated pixels (known pixels given clean).

    Returns the loss and, per task code, (sum of errors, pixels) for logging.
    """
    target, generate = batch.target, batch.generate
    b = target.shape[0]
    t = torch.rand(b, generator=noise_gen, device=target.device)
    pure = torch.rand(b, generator=noise_gen, device=target.device) < PURE_NOISE_SHARE
    g = schedule_gamma(torch.where(pure, torch.ones_like(t), t))
    eps = torch.randn(target.shape, generator=noise_gen, device=target.device)
    gb = g[:, None, None, None]
    noisy = torch.where(generate > 0, gb.sqrt() * target + (1 - gb).sqrt() * eps, target)
    pred = model(noisy, g, batch.condition).float()
    weight = generate.expand_as(target)
    per_example = ((pred - target).abs() * weight).sum((1, 2, 3))
    pixels = weight.sum((1, 2, 3))
    loss = per_example.sum() / pixels.sum().clamp_min(1.0)
    by_task = torch.zeros(2, len(TASK_CODES), device=target.device)
    by_task[0].index_add_(0, batch.task, per_example.detach())
    by_task[1].index_add_(0, batch.task, pixels)
    return loss, by_task


@dataclass
class TrainState:
    model: PaletteUNet
    ema: PaletteUNet
    optimizer: torch.optim.Optimizer
    step: int = 0
    seconds: float = 0.0
    samples: int = 0  # examples seen since the first weights, across rounds of any batch size


def new_state(config: TrainConfig, init_weights: Path | None = None) -> TrainState:
    torch.manual_seed(config.seed)
    model = PaletteUNet(config.unet)
    if init_weights is not None:
        model.load_state_dict(_read_weights(init_weights))
    # one fused kernel per step on the GPU; the flag travels with the optimizer's state
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0,
                                  fused=True if torch.cuda.is_available() else None)
    return TrainState(model, copy.deepcopy(model).requires_grad_(False), optimizer)


def _read_weights(path: Path) -> dict:
    data = torch.load(path, map_location="cpu", weights_only=True)
    state = data.get("ema", data) if isinstance(data, dict) and "ema" in data else data
    return {k: v.float() for k, v in state.items()}


def save_checkpoint(state: TrainState, config: TrainConfig, path: Path) -> None:
    """Everything a resumed run needs to take exactly the next step; written atomically."""
    save_atomically({"model": state.model.state_dict(), "ema": state.ema.state_dict(),
                     "optimizer": state.optimizer.state_dict(), "step": state.step, "seconds": state.seconds,
                     "samples": state.samples, "config": config.to_dict()}, path)


def save_atomically(data: dict, path: Path) -> None:
    """``torch.save`` through the application's atomic write: a kill or a full disk never leaves half a file."""
    buffer = io.BytesIO()
    torch.save(data, buffer)
    write_atomically(buffer.getvalue(), path)


def load_checkpoint(path: Path) -> tuple[TrainState, TrainConfig]:
    data = torch.load(path, map_location="cpu", weights_only=False)
    config = TrainConfig.from_dict(data["config"])
    state = new_state(config)
    state.model.load_state_dict(data["model"])
    state.ema.load_state_dict(data["ema"])
    state.optimizer.load_state_dict(data["optimizer"])
    state.step, state.seconds = data["step"], data["seconds"]
    state.samples = data.get("samples", state.step * config.batch)
    return state, config


def load_ema(path: Path) -> tuple[PaletteUNet, TrainConfig, int, float]:
    """The EMA network, config, step and seconds of a checkpoint or of a round's ema.pt."""
    data = torch.load(path, map_location="cpu", weights_only=False)
    config = TrainConfig.from_dict(data["config"])
    model = PaletteUNet(config.unet)
    model.load_state_dict({k: v.float() for k, v in data["ema"].items()})
    return model, config, data["step"], data["seconds"]


def samples_seen(path: Path) -> int:
    """Examples the weights of a checkpoint or of a round's ema.pt have seen, across rounds.

    A round's steps are not enough to tell: a chain's rounds differ in batch size and a
    round counts its steps from where it resumed.
    """
    data = torch.load(path, map_location="cpu", weights_only=False)
    return int(data.get("samples_seen", data.get("samples", data["step"] * data["config"]["batch"])))


def _noise_generator(seed: int, step: int, rank: int, device: torch.device) -> torch.Generator:
    gen = torch.Generator(device=device)
    gen.manual_seed((seed * 1_000_003 + step) * 64 + rank)
    return gen


@torch.no_grad()
def _update_ema(ema: PaletteUNet, model: torch.nn.Module, decay: float, step: int) -> None:
    decay = min(decay, (1 + step) / (10 + step))  # follow closely while the weights move fast
    torch._foreach_lerp_(list(ema.parameters()), [p.detach() for p in model.parameters()], 1 - decay)


class _Prefetcher:
    """Batches from the loader, each copied to the GPU on a side stream while the previous step runs."""

    def __init__(self, batches: Iterator[ExampleBatch], device: torch.device) -> None:
        self.batches, self.device = batches, device
        self.stream = torch.cuda.Stream(device) if device.type == "cuda" else None
        self.next = self._fetch()

    def _fetch(self) -> ExampleBatch:
        examples = next(self.batches)
        if self.stream is None:
            return examples.to(self.device)
        with torch.cuda.stream(self.stream):
            return examples.to(self.device, non_blocking=True)

    def __next__(self) -> ExampleBatch:
        if self.stream is not None:
            torch.cuda.current_stream(self.device).wait_stream(self.stream)
            for t in (self.next.target, self.next.source, self.next.generate, self.next.task):
                t.record_stream(torch.cuda.current_stream(self.device))
        current, self.next = self.next, self._fetch()
        return current


def example_batches(config: TrainConfig, photos: Photos, start_step: int = 0, rank: int = 0, world: int = 1,
                    cuda: bool = False) -> Iterator[ExampleBatch]:
    """Batches of damaged examples from step ``start_step`` on, made by ``config.workers`` processes."""
    dataset = DamagedBatches(photos, config.size, config.batch, config.seed, config.max_zoom_out, rank, world,
                             config.task_weights)
    workers, prefetch = _fit_shared_memory(config.workers, 4, config.batch * 7 * config.size**2)
    loader = DataLoader(dataset, batch_size=None, sampler=Steps(start_step), num_workers=workers,
                        worker_init_fn=_worker_init, pin_memory=cuda, persistent_workers=workers > 0,
                        prefetch_factor=prefetch if workers > 0 else None, timeout=LOADER_TIMEOUT_S if workers else 0,
                        multiprocessing_context=_fresh_workers() if workers > 0 else None)
    return iter(loader)


def _fresh_workers() -> multiprocessing.context.BaseContext:
    """Workers forked from a clean, single-threaded server rather than from this process.

    A fork copies no threads but their locks: a worker forked while OpenCV's pool, Qt,
    ONNX Runtime or CUDA held one hangs at its first call (seen: a test run stuck for an
    hour). The server imports what the workers need once, so no worker imports torch again.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _fit_shared_memory(workers: int, prefetch: int, batch_bytes: int) -> tuple[int, int]:
    """Workers and batches each keeps ready, so that what waits fits in half of /dev/shm.

    Workers hand their batches over in shared memory; a container's small /dev/shm
    (64 MB by default) would otherwise end training with a bus error.
    """
    shm = Path("/dev/shm")
    if workers == 0 or not shm.is_dir():
        return workers, prefetch
    room = shutil.disk_usage(shm).free // 2 // batch_bytes
    fitted_prefetch = max(1, min(prefetch, room // workers))
    fitted_workers = max(1, min(workers, room // fitted_prefetch))
    if (fitted_workers, fitted_prefetch) != (workers, prefetch):
        print(f"/dev/shm has room for {room} batches: {fitted_workers} loader workers, {fitted_prefetch} batches "
              f"ahead each (asked {workers} and {prefetch})", file=sys.stderr)
    return fitted_workers, fitted_prefetch


def train(config: TrainConfig, state: TrainState | None = None, *, log: Callable[[str], None] = print,
          until_step: int | None = None, photos: Photos | None = None,
          after_log: Callable[[TrainState], None] | None = None) -> TrainState:
    """Train from ``state`` (or scratch) to ``config.steps`` (or ``until_step``, or ``config.minutes``).

    ``log`` gets a JSON line every ``config.log_every`` steps; ``after_log`` (rank 0) is
    called with the state then, e.g. to save weights every minute.
    """
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
    eager = net
    if cuda and config.compile:
        net = torch.compile(net)
    photos = photos or load_photos(config.data, min_side=config.size // 2)
    batches = _Prefetcher(example_batches(config, photos, state.step, rank, world, cuda), device)
    last = until_step if until_step is not None else (2**62 if config.minutes > 0 else config.steps)
    by_task = torch.zeros(2, len(TASK_CODES), device=device)
    running = torch.zeros((), device=device)
    started = window_start = time.perf_counter()
    window_steps, first_step = 0, True
    model.train()
    while state.step < last:
        elapsed = time.perf_counter() - started
        if config.minutes > 0 and elapsed >= config.minutes * 60:
            break
        progress = elapsed / (config.minutes * 60) if config.minutes > 0 else state.step / max(1, config.steps)
        batch = Batch.from_examples(next(batches), channels_last=cuda)
        for group in state.optimizer.param_groups:
            group["lr"] = learning_rate(config, state.step, progress)
        try:
            loss, task_sums = train_step(net, model, state, batch, config, rank, device, cuda)
        except Exception as exc:  # torch.compile failing on this torch or GPU: train all the same
            if net is eager or not first_step:
                raise
            print(f"torch.compile failed, training eagerly: {str(exc).splitlines()[0][:160]}", file=sys.stderr)
            net = eager
            loss, task_sums = train_step(net, model, state, batch, config, rank, device, cuda)
        first_step = False
        running += loss.detach()
        by_task += task_sums
        state.step += 1
        state.samples += config.batch * world
        window_steps += 1
        if state.step % config.log_every == 0 or state.step == last:
            state.seconds += time.perf_counter() - window_start
            _log_window(log, state, config, world, running, by_task, window_steps, time.perf_counter() - window_start, rank)
            running.zero_()
            by_task.zero_()
            window_start, window_steps = time.perf_counter(), 0
            if rank == 0 and after_log is not None:
                after_log(state)
        if rank == 0 and (state.step % config.checkpoint_every == 0 or state.step == last):
            save_checkpoint(_on_cpu(state), config, out / "checkpoint.pt")
    if window_steps:
        state.seconds += time.perf_counter() - window_start
        _log_window(log, state, config, world, running, by_task, window_steps, time.perf_counter() - window_start, rank)
    return state


def train_step(net: torch.nn.Module, model: torch.nn.Module, state: TrainState, batch: Batch, config: TrainConfig,
               rank: int, device: torch.device, cuda: bool,
               bf16: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step and EMA update; returns the loss and per-task sums, left on the device.

    ``bf16`` None: bf16 autocast where it is native (``uses_bf16``); benchmarks force it.
    """
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=uses_bf16(device) if bf16 is None else bf16):
        loss, task_sums = training_loss(net, batch, _noise_generator(config.seed, state.step, rank, device))
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
    state.optimizer.step()
    _update_ema(state.ema, model, config.ema, state.step)
    return loss, task_sums


def _log_window(log: Callable[[str], None], state: TrainState, config: TrainConfig, world: int, running: torch.Tensor,
                by_task: torch.Tensor, steps: int, seconds: float, rank: int) -> None:
    """One JSON line: the only place the loop waits for the GPU."""
    if rank != 0:
        return
    sums = by_task.tolist()
    losses = {task.value: round(sums[0][code] / sums[1][code], 5) for task, code in TASK_CODES.items() if sums[1][code] > 0}
    log(json.dumps({"step": state.step, "loss": round(float(running) / steps, 5), "loss_by_task": losses,
                    "samples_per_s": round(steps * config.batch * world / max(seconds, 1e-9), 1),
                    "lr": round(state.optimizer.param_groups[0]["lr"], 7),
                    "samples_seen": state.samples, "seconds": round(state.seconds, 1)}))


def _on_cpu(state: TrainState) -> TrainState:
    """A view of the state with weights on the CPU, for saving (the live one stays put)."""
    if next(state.model.parameters()).device.type == "cpu":
        return state
    model = copy.deepcopy(state.model).cpu()
    ema = copy.deepcopy(state.ema).cpu()
    return replace(state, model=model, ema=ema)
