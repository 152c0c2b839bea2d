"""One training round on a lent GPU machine: a wall-clock budget, weights out every minute.

    PYTHONPATH=. python3 -m palette_desktop.model.round PACK --minutes 8 --out "$OUT"

Starts from the shipped model's weights (same architecture, read from its manifest),
with a fresh optimizer and a short warm-up, trains on one pack of photos for the given
minutes, and keeps ``OUT/ema.pt`` (the EMA weights in fp16 with the run's config, what
``palette-desktop export`` takes) and ``OUT/log.jsonl`` current, so that a run killed at
its time limit still brings back its weights. Needs only torch, numpy, OpenCV and
Pillow: the GPU machine has nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import torch

from palette_desktop.model.config import UNetConfig
from palette_desktop.model.data import load_photos
from palette_desktop.model.train import TrainConfig, TrainState, new_state, save_atomically, train

SAVE_EVERY_S = 60.0
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "palette-small"


def save_ema(state: TrainState, config: TrainConfig, path: Path) -> None:
    """fp16 EMA weights and what made them, written atomically (a kill never leaves half a file)."""
    save_atomically({"ema": {k: v.detach().to("cpu", torch.float16) for k, v in state.ema.state_dict().items()},
                     "config": config.to_dict(), "step": state.step, "seconds": state.seconds,
                     "samples_seen": state.step * config.batch}, path)


def _stop_on_sigterm() -> None:
    """A time limit's SIGTERM ends training the way Ctrl+C does, so the last weights get saved."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palette_desktop.model.round", description=__doc__.splitlines()[0])
    p.add_argument("data", nargs="+", help="packs (.tar) or folders of photos")
    p.add_argument("--minutes", type=float, required=True, help="wall-clock training time")
    p.add_argument("--out", type=Path, required=True, help="ema.pt and log.jsonl go here")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder to start from")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--seed", type=int, default=int(time.time()) % 100_000, help="default: a new one each round")
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--no-compile", action="store_true")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((args.model / "manifest.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="palette-round-") as scratch:  # train() needs a run folder; unused
        return _round(args, manifest, scratch)


def _round(args: argparse.Namespace, manifest: dict, scratch: str) -> int:
    config = TrainConfig(data=tuple(args.data), out=scratch, steps=10**9, batch=args.batch, size=args.size,
                         lr=args.lr, warmup=args.warmup, ema=args.ema, seed=args.seed, workers=args.workers,
                         checkpoint_every=10**9, log_every=args.log_every, unet=UNetConfig.from_dict(manifest["unet"]),
                         compile=not args.no_compile, minutes=args.minutes)
    started = time.perf_counter()
    photos = load_photos(config.data, min_side=config.size // 2)
    print(f"round: {len(photos.images)} photos decoded in {time.perf_counter() - started:.1f} s, "
          f"seed {config.seed}, {config.workers} workers, "
          f"{torch.cuda.get_device_name() if torch.cuda.is_available() else 'CPU'}", flush=True)
    state = new_state(config, args.model / manifest["torch_file"])
    ema_path, log_path = args.out / "ema.pt", args.out / "log.jsonl"
    last_save = time.perf_counter()

    def log(line: str) -> None:
        print(line, flush=True)
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def after_log(s: TrainState) -> None:
        nonlocal last_save
        if time.perf_counter() - last_save >= SAVE_EVERY_S:
            save_ema(s, config, ema_path)
            last_save = time.perf_counter()

    _stop_on_sigterm()
    try:
        state = train(config, state, log=log, photos=photos, after_log=after_log)
    except KeyboardInterrupt:
        print("round: stopped early; saving the weights", file=sys.stderr, flush=True)
    save_ema(state, config, ema_path)
    print(json.dumps({"round_done": True, "step": state.step, "samples_seen": state.step * config.batch,
                      "train_seconds": round(state.seconds, 1),
                      "wall_seconds": round(time.perf_counter() - started, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
