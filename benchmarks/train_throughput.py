"""Training throughput: the example pipeline, the network alone, and both together.

    python benchmarks/train_throughput.py [--data DIR_OR_PACK ...] [--size S] [--batch N] [--workers W] [--seconds S]
    python benchmarks/train_throughput.py --pipeline-only

Prints ``pipeline: N samples/s with W workers`` (damaged examples made by loader workers
from photos decoded in memory, no network), then the training step alone on a batch
already on the device (the ceiling), then the two together as ``train`` runs them. On
CUDA the step is the real one: bf16, channels-last, fused AdamW, torch.compile. On the
CPU the network alone is timed in fp32 and in bf16 autocast, and "both" runs in the
precision training picks on this CPU (bf16 only where it is native: AMX, AVX-512 BF16).
Pause a background training round (kill -STOP) while this runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from palette_desktop.model.config import UNetConfig
from palette_desktop.model.data import DamagedBatches, load_photos
from palette_desktop.model.train import (Batch, TrainConfig, cpu_has_native_bf16, example_batches, new_state, train,
                                         train_step, uses_bf16)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "train"


def pipeline(photos, batch: int, size: int, workers: int, seconds: float) -> float:
    """Examples per second made by ``workers`` loader processes (or this one, for 0)."""
    config = TrainConfig(data=(), out="", batch=batch, size=size, workers=workers)
    batches = example_batches(config, photos)
    for _ in range(max(2, workers)):  # let every worker start
        next(batches)
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        next(batches)
        count += batch
    return count / (time.perf_counter() - start)


def network_only(photos, device: torch.device, batch: int, size: int, seconds: float, bf16: bool) -> float:
    """Training steps per second × batch on one fixed batch already on the device."""
    cuda = device.type == "cuda"
    config = TrainConfig(data=(), out="", batch=batch, size=size, unet=UNetConfig())
    state = new_state(config)
    model = state.model.to(device)
    state.ema.to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    net = torch.compile(model) if cuda else model
    examples = DamagedBatches(photos, size, batch, seed=0)[0].to(device)
    data = Batch.from_examples(examples, channels_last=cuda)

    def steps(n: int) -> None:
        for _ in range(n):
            train_step(net, model, state, data, config, 0, device, cuda, bf16=bf16)
            state.step += 1

    steps(3)  # compile, cudnn autotune
    if cuda:
        torch.cuda.synchronize()
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        steps(5)
        count += 5 * batch
    if cuda:
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def end_to_end(photos, data: tuple[str, ...], batch: int, size: int, workers: int, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(data=data, out=out, steps=10**9, batch=batch, size=size, workers=workers,
                             log_every=10**9, checkpoint_every=10**9, unet=UNetConfig(), warmup=10)
        state = train(config, new_state(config), log=lambda _: None, until_step=3, photos=photos)  # compile
        timed = TrainConfig.from_dict({**config.to_dict(), "minutes": seconds / 60})
        start, step = time.perf_counter(), state.step
        state = train(timed, state, log=lambda _: None, photos=photos)
        return (state.step - step) * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(DEFAULT_DATA)], help="folders or packs")
    parser.add_argument("--batch", type=int, help="default: 256 on CUDA, 32 on the CPU")
    parser.add_argument("--size", type=int, help="crop side; default: 128 on CUDA, 64 on the CPU (their rounds')")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time of each figure")
    parser.add_argument("--pipeline-only", action="store_true")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    batch = args.batch or (256 if cuda else 32)
    args.size = args.size or (128 if cuda else 64)
    photos = load_photos(args.data, min_side=args.size // 2)
    print(f"pipeline: {pipeline(photos, batch, args.size, args.workers, args.seconds):.0f} samples/s "
          f"with {args.workers} workers ({len(photos.images)} photos, {args.size}², batch {batch})", flush=True)
    if args.workers != 1:
        print(f"pipeline: {pipeline(photos, batch, args.size, 0, args.seconds):.0f} samples/s with 1 core "
              "(in the main process)", flush=True)
    if args.pipeline_only:
        return
    name = torch.cuda.get_device_name() if cuda else f"CPU, {torch.get_num_threads()} threads"
    if not cuda:
        print(f"CPU: native bf16 {'yes' if cpu_has_native_bf16() else 'no (AVX2 or older: emulated)'}", flush=True)
    for bf16 in ([True] if cuda else [False, True]):
        print(f"network alone, {'bf16' if bf16 else 'fp32'}: "
              f"{network_only(photos, device, batch, args.size, args.seconds, bf16):.1f} samples/s "
              f"({name}, {args.size}², batch {batch})", flush=True)
    print(f"both, {'bf16' if uses_bf16(device) else 'fp32'}: "
          f"{end_to_end(photos, tuple(args.data), batch, args.size, args.workers, args.seconds):.1f} samples/s "
          f"({name}, {args.size}², batch {batch}, {args.workers} workers)", flush=True)


if __name__ == "__main__":
    main()
