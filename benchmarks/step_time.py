"""Milliseconds per denoising step, ONNX Runtime vs torch, in the same run.

    python benchmarks/step_time.py [--model DIR] [--sizes 256 512] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from palette_desktop.engine.loader import Backend, load_model


def time_step(denoiser, size: int, repeats: int, batch: int = 1) -> float:
    rng = np.random.default_rng(0)
    noisy = rng.standard_normal((batch, 3, size, size)).astype(np.float32)
    cond = rng.uniform(-1, 1, (batch, 4, size, size)).astype(np.float32)
    gamma = np.full((batch,), 0.5, np.float32)
    denoiser.denoise(noisy, gamma, cond)  # warm-up: graph optimisation, allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        denoiser.denoise(noisy, gamma, cond)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    rows = []
    for backend in (Backend.ONNX, Backend.TORCH):
        model = load_model(args.model, backend, args.device)
        for size in args.sizes:
            rows.append((model.backend_name, size, time_step(model.denoiser, size, args.repeats)))
    print(f"model: {model.manifest.name} ({model.directory})")
    print("| backend | size | ms / step (median) |\n|---|---|---|")
    for name, size, ms in rows:
        print(f"| {name} | {size}² | {ms:.0f} |")


if __name__ == "__main__":
    main()
