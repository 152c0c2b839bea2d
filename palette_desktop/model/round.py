"""One training round: a wall-clock budget, continuing the chain of rounds before it.

    python -m palette_desktop.model.round ../shared/data/train --minutes 120          # on this computer
    PYTHONPATH=. python3 -m palette_desktop.model.round PACK --minutes 8 --out "$OUT"   # on a lent GPU

A round resumes the newest full checkpoint in its folder (model, EMA, optimizer, step,
examples seen), by default in the user's cache folder so that a fresh checkout of the
project does not lose it; with none there, it starts from ``--start`` (a round's
``ema.pt`` or a ``model.pt``), else from the shipped model's weights. It trains with its
own recipe (crop, batch, learning rate, task mix) for the given minutes and keeps
``checkpoint.pt`` (everything to resume), ``ema.pt`` (fp16 EMA weights with the run's
config, what ``palette-desktop export`` takes) and ``log.jsonl`` current: every
``--save-every`` seconds, atomically, and on SIGTERM or Ctrl+C. On the CPU it lowers its
own priority (its loader inherits it), so it can run beside other work, and may be paused
with SIGSTOP/SIGCONT. Needs only torch, numpy, OpenCV, Pillow and platformdirs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import platformdirs
import torch

from palette_desktop.core.conditions import Task
from palette_desktop.model.config import UNetConfig
from palette_desktop.model.data import load_photos
from palette_desktop.model.train import (TrainConfig, TrainState, load_checkpoint, new_state, save_atomically,
                                         save_checkpoint, train, uses_bf16)

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "palette-small"
CHECKPOINT, EMA, LOG = "checkpoint.pt", "ema.pt", "log.jsonl"


def default_chain_dir() -> Path:
    """Where rounds on this computer keep their chain: outside any checkout, in the user's cache."""
    return platformdirs.user_cache_path("palette-desktop", appauthor=False) / "training"


def save_ema(state: TrainState, config: TrainConfig, path: Path) -> None:
    """fp16 EMA weights and what made them, written atomically (a kill never leaves half a file)."""
    save_atomically({"ema": {k: v.detach().to("cpu", torch.float16) for k, v in state.ema.state_dict().items()},
                     "config": config.to_dict(), "step": state.step, "seconds": state.seconds,
                     "samples_seen": state.samples}, path)


def parse_mix(text: str) -> dict[str, float]:
    """``colorize=0.3,inpaint=0.3,…`` → task shares; unknown tasks or bad numbers are refused."""
    mix = {}
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        try:
            mix[Task(name.strip()).value] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: expected TASK=SHARE with TASK one of "
                                             f"{', '.join(t.value for t in Task)}") from None
    if not mix or sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the task mix needs a positive share")
    return mix


def _stop_on_sigterm() -> None:
    """A time limit's SIGTERM ends training the way Ctrl+C does, so the last weights get saved."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def _lower_priority() -> None:
    """On the CPU a round runs beside the user's own work: lowest priority, inherited by the loader."""
    if not torch.cuda.is_available() and hasattr(os, "nice"):
        os.nice(max(0, 19 - os.nice(0)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palette_desktop.model.round", description=__doc__.splitlines()[0])
    p.add_argument("data", nargs="+", help="packs (.tar) or folders of photos")
    p.add_argument("--minutes", type=float, required=True, help="wall-clock training time")
    p.add_argument("--out", type=Path, default=default_chain_dir(),
                   help="the chain's folder: checkpoint.pt, ema.pt and log.jsonl (default: %(default)s)")
    p.add_argument("--start", type=Path, help="weights to start from when OUT has no checkpoint (ema.pt or model.pt)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder: architecture, default weights")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--zoom-out", type=float, default=2.0, help="a crop covers 1 to this × its side of the photo")
    p.add_argument("--mix", type=parse_mix, default={}, help="task shares, e.g. colorize=0.3,inpaint=0.3,extend=0.15,"
                   "jpeg=0.25 (default: the training default)")
    p.add_argument("--seed", type=int, default=int(time.time()) % 100_000, help="default: a new one each round")
    p.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--save-every", type=float, default=300.0, help="seconds between saves")
    p.add_argument("--threads", type=int, help="CPU threads for the network (default: torch's, one per core); "
                   "1 trains faster than 2 on a 2-core machine kept busy by other work")
    p.add_argument("--no-compile", action="store_true")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    _lower_priority()
    manifest = json.loads((args.model / "manifest.json").read_text(encoding="utf-8"))
    return _round(args, manifest)


def _starting_state(args: argparse.Namespace, config: TrainConfig, manifest: dict) -> tuple[TrainState, str]:
    """The chain's last checkpoint, else ``--start``'s weights, else the shipped ones; and where from."""
    checkpoint = args.out / CHECKPOINT
    if checkpoint.is_file():
        state, previous = load_checkpoint(checkpoint)
        if previous.unet != config.unet:
            raise SystemExit(f"{checkpoint}: its network is not the one in {args.model}; start a new chain")
        return state, str(checkpoint)
    start = args.start or args.model / manifest["torch_file"]
    state = new_state(config, start)
    saved = torch.load(start, map_location="cpu", weights_only=False)
    state.samples = int(saved.get("samples_seen", 0)) if isinstance(saved, dict) else 0
    return state, str(start)


def _round(args: argparse.Namespace, manifest: dict) -> int:
    config = TrainConfig(data=tuple(args.data), out=str(args.out), steps=10**9, batch=args.batch, size=args.size,
                         lr=args.lr, warmup=args.warmup, ema=args.ema, seed=args.seed, workers=args.workers,
                         checkpoint_every=10**9, log_every=args.log_every, max_zoom_out=args.zoom_out,
                         unet=UNetConfig.from_dict(manifest["unet"]), compile=not args.no_compile,
                         minutes=args.minutes, task_weights=args.mix)
    started = time.perf_counter()
    photos = load_photos(config.data, min_side=config.size // 2)
    state, origin = _starting_state(args, config, manifest)
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    ema_path, checkpoint_path, log_path = args.out / EMA, args.out / CHECKPOINT, args.out / LOG

    def log(line: str) -> None:
        print(line, flush=True)
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    log(json.dumps({"round_start": datetime.now(timezone.utc).isoformat(timespec="seconds"), "from": origin,
                    "step": state.step, "samples_seen": state.samples, "photos": len(photos.images),
                    "device": torch.cuda.get_device_name() if device.type == "cuda" else "CPU",
                    "bf16": uses_bf16(device), "threads": torch.get_num_threads(), "niceness": os.nice(0)
                    if hasattr(os, "nice") else None, "recipe": {k: v for k, v in config.to_dict().items()
                                                                 if k not in ("unet", "data", "out", "steps")}}))
    last_save = time.perf_counter()

    def save(s: TrainState) -> None:
        save_checkpoint(s, config, checkpoint_path)
        save_ema(s, config, ema_path)

    def after_log(s: TrainState) -> None:
        nonlocal last_save
        if time.perf_counter() - last_save >= args.save_every:
            save(s)
            last_save = time.perf_counter()

    _stop_on_sigterm()
    try:
        state = train(config, state, log=log, photos=photos, after_log=after_log)
    except KeyboardInterrupt:
        print("round: stopped early; saving the weights", file=sys.stderr, flush=True)
    save(state)
    log(json.dumps({"round_done": True, "step": state.step, "samples_seen": state.samples,
                    "train_seconds": round(state.seconds, 1), "wall_seconds": round(time.perf_counter() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
