"""``palette-desktop train`` and ``palette-desktop export`` (both need torch)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from palette_desktop import cli_options
from palette_desktop.core.errors import TaskError
from palette_desktop.model.config import TINY, UNetConfig
from palette_desktop.model.export import export_model
from palette_desktop.model.train import SCHEDULE, TrainConfig, load_checkpoint, load_ema, new_state, samples_seen, train as run_training


def train(argv: list[str]) -> int:
    p = cli_options.Parser(prog="palette-desktop train", description="Train the multi-task model on photo folders.")
    p.add_argument("data", nargs="+", help="folders of photos (searched recursively) or packs (.tar)")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt and log.jsonl go here")
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--minutes", type=float, default=0.0, help="train for this wall-clock time instead of --steps")
    p.add_argument("--batch", type=int, default=16, help="per process")
    p.add_argument("--size", type=int, default=64, help="crop side in pixels")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--tiny", action="store_true", help="a tiny network, for trying the pipeline")
    p.add_argument("--init", type=Path, help="start from these weights (a checkpoint or model.pt)")
    p.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt exactly")
    p.add_argument("--no-compile", action="store_true")
    args = p.parse_args(argv)
    out = Path(args.out)
    checkpoint = out / "checkpoint.pt"
    if args.resume:
        if not checkpoint.is_file():
            raise TaskError(f"{checkpoint}: nothing to resume")
        state, config = load_checkpoint(checkpoint)
        config = TrainConfig.from_dict({**config.to_dict(), "steps": max(config.steps, args.steps)})
    else:
        config = TrainConfig(data=tuple(args.data), out=str(out), steps=args.steps, batch=args.batch, size=args.size,
                             lr=args.lr, workers=args.workers, seed=args.seed, checkpoint_every=args.checkpoint_every,
                             log_every=args.log_every, unet=TINY if args.tiny else UNetConfig(),
                             compile=not args.no_compile, minutes=args.minutes)
        state = new_state(config, args.init)
    out.mkdir(parents=True, exist_ok=True)
    if torch.get_num_threads() > 1 and not torch.cuda.is_available():
        print(f"training on the CPU with {torch.get_num_threads()} threads")
    with open(out / "log.jsonl", "a", encoding="utf-8") as log:
        def emit(line: str) -> None:
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
        run_training(config, state, log=emit)
    return 0


def export(argv: list[str]) -> int:
    p = cli_options.Parser(prog="palette-desktop export", description="Write a model folder from a checkpoint.")
    p.add_argument("checkpoint", type=Path, help="a training checkpoint.pt or a round's ema.pt")
    p.add_argument("out", type=Path, help="model folder to write (model.onnx, model.pt, manifest.json, MODEL_CARD.md)")
    p.add_argument("--name", default="palette-small")
    p.add_argument("--card", type=Path, help="model card markdown (default: a generated one)")
    p.add_argument("--working-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=12, help="default sampling steps for the app")
    args = p.parse_args(argv)
    if not args.checkpoint.is_file():
        raise TaskError(f"{args.checkpoint}: checkpoint not found")
    ema, config, step, seconds = load_ema(args.checkpoint)
    card = args.card.read_text(encoding="utf-8") if args.card else default_card(args.name, config, step, seconds)
    manifest = export_model(ema, args.out, name=args.name, card=card, schedule=SCHEDULE,
                            working_size=args.working_size, default_steps=args.steps,
                            description=f"{sum(p.numel() for p in ema.parameters()) / 1e6:.1f} M parameters, "
                                        f"{samples_seen(args.checkpoint):,} training examples")
    print(json.dumps({"model": str(args.out), "onnx_sha256": manifest.onnx_sha256}))
    return 0


def default_card(name: str, config: TrainConfig, step: int, seconds: float) -> str:
    params = sum(p.numel() for p in new_state(config).model.parameters())
    return (f"# {name}\n\nPalette-style UNet, {params / 1e6:.2f} M parameters, trained with `palette-desktop train` "
            f"for {step:,} steps of {config.batch} examples ({step * config.batch:,} seen) at {config.size}² crops, "
            f"{seconds / 60:.1f} min. Data: {', '.join(config.data)}.\n")
