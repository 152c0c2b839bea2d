"""The torch CUDA inference path (what users with an NVIDIA card get): ms per denoising step.

    python benchmarks/cuda_inference.py [--model DIR] [--sizes 256 512 1024] [--batches 1 4]

One network evaluation through the application's own torch denoiser (fp16 autocast,
channels-last), host copies included, best of N. Run on the GPU machine at a training
round; prints a markdown table for the README. Says so and exits 0 without a GPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

# The denoiser itself, not the loader: the GPU machine has no platformdirs
from palette_desktop.engine.torch_backend import TorchDenoiser

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "palette-small"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("cuda_inference: no CUDA GPU here")
        return
    manifest = json.loads((args.model / "manifest.json").read_text(encoding="utf-8"))
    denoiser = TorchDenoiser(args.model / manifest["torch_file"], manifest["unet"], "cuda")
    rng = np.random.default_rng(0)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, {denoiser.name}, fp16\n")
    print("| batch | " + " | ".join(f"{s}² (ms)" for s in args.sizes) + " |")
    print("|---|" + "---|" * len(args.sizes))
    for batch in args.batches:
        cells = []
        for size in args.sizes:
            noisy = rng.standard_normal((batch, 3, size, size)).astype(np.float32)
            gamma = np.full((batch,), 0.5, np.float32)
            cond = rng.uniform(-1, 1, (batch, 4, size, size)).astype(np.float32)
            for _ in range(3):  # cudnn picks its algorithms
                denoiser.denoise(noisy, gamma, cond)
            best = float("inf")
            for _ in range(args.repeats):
                start = time.perf_counter()
                denoiser.denoise(noisy, gamma, cond)  # returns host memory: synchronised
                best = min(best, (time.perf_counter() - start) * 1000)
            cells.append(f"{best:.1f}")
        print(f"| {batch} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
