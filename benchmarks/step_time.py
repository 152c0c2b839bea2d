"""Milliseconds per denoising step, ONNX Runtime vs PyTorch eager, best of N, in one run.

    python benchmarks/step_time.py [--model DIR ...] [--sizes 256 512] [--repeats 5]

Several ``--model`` folders are timed in the same run, e.g. the bundled model against an
earlier one (``git show COMMIT:models/palette-small/model.onnx``, with its manifest), so
a busy machine slows both alike. PyTorch needs the weights to match this checkout's UNet;
"—" where they do not. The best of N is reported: other programs only ever add time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from palette_desktop.core.errors import PaletteError
from palette_desktop.engine.loader import Backend, default_model_dir, load_model


def best_step_times(denoisers: dict, sizes: list[int], repeats: int) -> dict:
    """Best wall time in ms of one network evaluation per (key, size), taken in turns so
    that a busy spell slows every denoiser alike."""
    rng = np.random.default_rng(0)
    inputs = {size: (rng.standard_normal((1, 3, size, size)).astype(np.float32), np.full((1,), 0.5, np.float32),
                     rng.uniform(-1, 1, (1, 4, size, size)).astype(np.float32)) for size in sizes}
    for denoiser in denoisers.values():
        for size in sizes:
            denoiser.denoise(*inputs[size])  # warm-up: graph optimisation, allocations
    best = {(key, size): float("inf") for key in denoisers for size in sizes}
    for _ in range(repeats):
        for key, denoiser in denoisers.items():
            for size in sizes:
                start = time.perf_counter()
                denoiser.denoise(*inputs[size])
                best[key, size] = min(best[key, size], (time.perf_counter() - start) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model folder; repeat to compare (default: the bundled one)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    folders = args.model or [str(default_model_dir())]
    denoisers = {}
    for folder in folders:
        for backend in (Backend.ONNX, Backend.TORCH):
            try:
                denoisers[folder, backend] = load_model(folder, backend, args.device).denoiser
            except (PaletteError, RuntimeError):  # weights of another UNet
                pass
    best = best_step_times(denoisers, args.sizes, args.repeats)
    rows = [(folder, {(backend, size): best[(folder, backend), size] for backend in (Backend.ONNX, Backend.TORCH)
                      for size in args.sizes
                      if ((folder, backend), size) in best}) for folder in folders]
    sizes = " | ".join(f"{s}²" for s in args.sizes)
    print(f"ms per step, best of {args.repeats}\n\n| model | backend | {sizes} |\n|---|---|{'---|' * len(args.sizes)}")
    for folder, times in rows:
        for backend, name in ((Backend.ONNX, "ONNX Runtime"), (Backend.TORCH, "PyTorch eager")):
            cells = " | ".join(f"{times[backend, s]:.0f}" if (backend, s) in times else "—" for s in args.sizes)
            print(f"| {folder} | {name} | {cells} |")
    print()
    for folder, times in rows:
        if (Backend.TORCH, args.sizes[0]) in times:
            ratios = ", ".join(f"{times[Backend.TORCH, s] / times[Backend.ONNX, s]:.1f}× at {s}²" for s in args.sizes)
            print(f"{folder}: ONNX Runtime is faster than PyTorch eager by {ratios}")
    first_folder, first = rows[0]
    for folder, times in rows[1:]:
        ratios = ", ".join(f"{times[Backend.ONNX, s] / first[Backend.ONNX, s]:.2f}× at {s}²" for s in args.sizes)
        print(f"{folder}: an ONNX Runtime step takes {ratios} the time of {first_folder}'s")


if __name__ == "__main__":
    main()
