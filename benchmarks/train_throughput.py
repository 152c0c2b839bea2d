"""Training throughput (samples/s) of the default UNet at 128², on the CPU and on CUDA when present.

    python benchmarks/train_throughput.py [--data DIR] [--batch 16] [--steps 10] [--workers 1]

Two figures per device: the network alone on a batch already in memory (the ceiling),
and the whole pipeline with loader workers making damaged examples from real photos.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from palette_desktop.model.config import UNetConfig
from palette_desktop.model.train import TrainConfig, new_state, train, training_loss

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "train"


def network_only(device: torch.device, batch: int, size: int, steps: int) -> float:
    state = new_state(TrainConfig(data=(), out=""))
    model = state.model.to(device)
    cuda = device.type == "cuda"
    net = torch.compile(model) if cuda else model
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    cond = torch.rand(batch, 4, size, size, device=device) * 2 - 1
    target = torch.rand(batch, 3, size, size, device=device) * 2 - 1
    generate = torch.ones(batch, 1, size, size, device=device)
    gen = torch.Generator(device=device).manual_seed(0)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = training_loss(net, cond, target, generate, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def pipeline(data: Path, batch: int, size: int, steps: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(data=(str(data),), out=out, steps=steps + 3, batch=batch, size=size, workers=workers,
                             log_every=10**9, checkpoint_every=10**9, unet=UNetConfig())
        state = train(config, new_state(config), log=lambda _: None, until_step=3)  # warm-up, compile
        start = time.perf_counter()
        train(config, state, log=lambda _: None)
        return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"| device | batch | {args.size}² network only (samples/s) | with data pipeline (samples/s) |")
    print("|---|---|---|---|")
    for device in devices:
        batch = args.batch if device.type == "cpu" else max(args.batch, 256)
        net = network_only(device, batch, args.size, args.steps)
        # train() runs on the GPU when there is one, so the pipeline figure belongs to that row
        runs_pipeline = device.type == "cuda" or not torch.cuda.is_available()
        full = f"{pipeline(args.data, batch, args.size, args.steps, args.workers):.1f}" if runs_pipeline else "—"
        name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
        print(f"| {name} | {batch} | {net:.1f} | {full} |")

if __name__ == "__main__":
    main()
