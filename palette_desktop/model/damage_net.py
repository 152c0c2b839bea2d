"""The damage detector's network: a small U-Net that marks scratches, cracks and dust per pixel.

    python -m palette_desktop.model.damage_net ../shared/data/train --minutes 40 --out first.onnx
    python -m palette_desktop.model.damage_net ../shared/data/train --start first.onnx \
        --hard-negatives 2000 --seed 1 --lr 5e-4 --minutes 15

Trained on synthetic damage (``core.synthetic_damage.damage_cases``: the colour photo,
the old print scanned again, and a print with wide cracks and tears) drawn on the
training photos, with the same photos undamaged as examples of what to leave alone. The
second command teaches it, as undamaged, the crops of undamaged photos the first network
marked (window frames, lit stripes, tiles). The shipped network was then trained further
on the cracked prints (``--start``; the commands are in docs/damage-detector.md). It is
small (93 k parameters): it trains on a 2-core CPU in under an hour and examines a
2048-px scan in half a second. The threshold is picked on new damage drawn on some of
the same photos, and folded into the exported graph, so the application
(``engine.damage_detector``, ONNX Runtime) marks damage where the output is above zero.
See docs/damage-detector.md.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from palette_desktop.core.errors import ImageError
from palette_desktop.core.imageio import load_image, photo_files, spread
from palette_desktop.core.pixels import to_float
from palette_desktop.core.synthetic_damage import MatchCounts, damage_cases, match
from palette_desktop.resources import resource

CROP = 128
CHANNELS = (16, 32, 48)
MULTIPLE = 4
"""Height and width the network takes are multiples of this (two 2× poolings)."""
MAX_MASKED = 0.005
F1_SLACK = 0.005
TOLERANCE = 2.0
OUTPUT = resource("damage_net.onnx")


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class DamageNet(nn.Module):
    """RGB in [0, 1] (N, 3, H, W), H and W multiples of 4 → a logit per pixel (N, 1, H, W)."""

    def __init__(self, channels: tuple[int, int, int] = CHANNELS) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.enc1, self.enc2, self.enc3 = _block(3, c1), _block(c1, c2), _block(c2, c3)
        self.dec2, self.dec1 = _block(c3 + c2, c2), _block(c2 + c1, c1)
        self.out = nn.Conv2d(c1, 1, 1)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        a = self.enc1(rgb * 2 - 1)
        b = self.enc2(F.max_pool2d(a, 2))
        c = self.enc3(F.max_pool2d(b, 2))
        b = self.dec2(torch.cat([_up(c), b], 1))
        a = self.dec1(torch.cat([_up(b), a], 1))
        return self.out(a)


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def _crops_of(path: Path, index: int, seed: int, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per case: two damaged crops around damage, one anywhere, and one of the photo undamaged."""
    cv2.setNumThreads(1)
    rng = np.random.default_rng([seed, index])
    try:
        photo = to_float(load_image(path).pixels)
    except ImageError:  # an unreadable training photo is left out, not the end of training
        return []
    h, w = photo.shape[:2]
    if min(h, w) < size:
        return []
    out = []
    for clean, damaged, true in damage_cases(photo, rng).values():
        corners = []
        for near_damage in (True, True, False):
            y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
            if near_damage and true.any():
                ys, xs = np.nonzero(true)
                j = int(rng.integers(len(ys)))
                y = int(np.clip(ys[j] - rng.integers(16, size - 16), 0, h - size))
                x = int(np.clip(xs[j] - rng.integers(16, size - 16), 0, w - size))
            corners.append((y, x, damaged, true))
        y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        corners.append((y, x, clean, np.zeros_like(true)))
        out += [(np.round(image[y:y + size, x:x + size] * 255).astype(np.uint8), mask[y:y + size, x:x + size].copy())
                for y, x, image, mask in corners]
    return out


def training_crops(files: list[Path], seed: int, size: int = CROP, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(N, size, size, 3) uint8 crops and their (N, size, size) bool damage masks, 4 per case per photo."""
    jobs = (files, range(len(files)), [seed] * len(files), [size] * len(files))
    if workers <= 1:
        per_photo = list(map(_crops_of, *jobs))
    else:  # from a fresh server process, not forked from this one's threads (see model.train)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            per_photo = list(pool.map(_crops_of, *jobs, chunksize=16))
    crops = [crop for photo in per_photo for crop in photo]
    return np.stack([c[0] for c in crops]), np.stack([c[1] for c in crops])


def train(images: np.ndarray, masks: np.ndarray, minutes: float, seed: int = 0, batch: int = 32, lr: float = 2e-3,
          log=print, start: DamageNet | None = None, negatives: np.ndarray | None = None,
          negative_share: float = 0.25) -> DamageNet:
    """Train for a wall-clock budget: AdamW, warm-up, cosine decay; weighted BCE plus soft Dice.

    Dice counts the thin damage as a whole against the large undamaged rest; the BCE
    weight says a missed damage pixel costs four false ones. ``start`` continues a
    trained network; ``negatives`` (undamaged crops it marked) make up ``negative_share``
    of each batch.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = start.train() if start is not None else DamageNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr, weight_decay=1e-4)
    started, step, running = time.perf_counter(), 0, 0.0
    budget = minutes * 60
    hard = int(round(batch * negative_share)) if negatives is not None and len(negatives) else 0
    while (elapsed := time.perf_counter() - started) < budget:
        pick = np.sort(rng.choice(len(images), batch - hard, replace=False))
        x, y = images[pick], masks[pick]
        if hard:
            x = np.concatenate([x, negatives[np.sort(rng.choice(len(negatives), hard, replace=False))]])
            y = np.concatenate([y, np.zeros((hard,) + y.shape[1:], bool)])
        x = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
        y = torch.from_numpy(y)[:, None].float()
        if rng.random() < 0.5:
            x, y = x.flip(3), y.flip(3)
        if rng.random() < 0.5:
            x, y = x.transpose(2, 3), y.transpose(2, 3)
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / 200) * (0.05 + 0.475 * (1 + math.cos(math.pi * elapsed / budget)))
        logit = net(x)
        p = torch.sigmoid(logit)
        loss = (F.binary_cross_entropy_with_logits(logit, y, pos_weight=torch.tensor(4.0))
                + 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        running += float(loss.detach())
        if step % 200 == 0:
            log(json.dumps({"step": step, "samples": step * batch, "loss": round(running / 200, 4),
                            "minutes": round(elapsed / 60, 1)}))
            running = 0.0
    return net.eval()


def hard_negatives(net: DamageNet, files: list[Path], seed: int, size: int = CROP, per_photo: int = 4,
                   least: float = 0.002) -> np.ndarray:
    """Crops of undamaged photos (as taken and as old scans) where ``net`` marks damage.

    What a first training leaves marked on undamaged photos is mostly regular structure:
    window frames, lit stripes, tiles. Crops centred on those marks, taught as undamaged,
    are what the network has too few of among random crops.
    """
    crops = []
    for index, path in enumerate(files):
        rng = np.random.default_rng([seed, index])
        for clean, _, _ in damage_cases(to_float(load_image(path).pixels), rng).values():
            h, w = clean.shape[:2]
            marked = probabilities(net, clean) > 0.5
            if min(h, w) < size or marked.mean() < least:
                continue
            ys, xs = np.nonzero(marked)
            for j in rng.choice(len(ys), min(per_photo, len(ys)), replace=False):
                y = int(np.clip(ys[j] - size // 2, 0, h - size))
                x = int(np.clip(xs[j] - size // 2, 0, w - size))
                crops.append(np.round(clean[y:y + size, x:x + size] * 255).astype(np.uint8))
    return np.stack(crops) if crops else np.zeros((0, size, size, 3), np.uint8)


def load_exported(path: Path) -> DamageNet:
    """The network of an exported detector (its threshold left aside), to train further."""
    import onnx
    from onnx import numpy_helper

    prefix = "net."
    state = {init.name[len(prefix):]: torch.from_numpy(numpy_helper.to_array(init).copy())
             for init in onnx.load(str(path)).graph.initializer if init.name.startswith(prefix)}
    net = DamageNet()
    net.load_state_dict(state)
    return net.eval()


def probabilities(net: DamageNet, pixels: np.ndarray) -> np.ndarray:
    """Per-pixel probability of damage for one HxWx3 float image (padded to the multiple)."""
    h, w = pixels.shape[:2]
    padded = np.pad(pixels, ((0, -h % MULTIPLE), (0, -w % MULTIPLE), (0, 0)), mode="reflect")
    with torch.no_grad():
        logit = net(torch.from_numpy(np.ascontiguousarray(padded, np.float32)).permute(2, 0, 1)[None])
    return torch.sigmoid(logit)[0, 0, :h, :w].numpy()


def pick_threshold(net: DamageNet, files: list[Path], seed: int,
                   thresholds: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> tuple[float, dict]:
    """The highest threshold within F1_SLACK of the best F1 over both cases, masking at most MAX_MASKED
    of the photos undamaged."""
    counts = {t: MatchCounts(0, 0, 0, 0) for t in thresholds}
    masked: dict[float, list[float]] = {t: [] for t in thresholds}
    for index, path in enumerate(files):
        rng = np.random.default_rng([seed, index])
        for clean, damaged, true in damage_cases(to_float(load_image(path).pixels), rng).values():
            on_damaged, on_clean = probabilities(net, damaged), probabilities(net, clean)
            for t in thresholds:
                counts[t] = counts[t] + match(on_damaged > t, true, TOLERANCE)
                masked[t].append(float((on_clean > t).mean()))
    allowed = [t for t in thresholds if np.mean(masked[t]) <= MAX_MASKED] or [max(thresholds)]
    top = max(counts[t].f1 for t in allowed)
    # F1 is flat over a wide range: of the thresholds as good, the highest marks the least of a good photo
    best = max(t for t in allowed if counts[t].f1 >= top - F1_SLACK)
    return best, {"precision": round(counts[best].precision, 3), "recall": round(counts[best].recall, 3),
                  "f1": round(counts[best].f1, 3), "masked": round(float(np.mean(masked[best])), 5)}


class _Thresholded(nn.Module):
    """The network with the threshold folded in: positive output = damage."""

    def __init__(self, net: DamageNet, threshold: float) -> None:
        super().__init__()
        self.net, self.offset = net, math.log(threshold / (1 - threshold))

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.net(rgb) - self.offset


def export(net: DamageNet, threshold: float, path: Path, about: dict) -> None:
    """ONNX with dynamic height and width; ``about`` (how it was trained) in its metadata."""
    import onnx

    buffer = io.BytesIO()
    torch.onnx.export(_Thresholded(net, threshold).eval(), (torch.rand(1, 3, 64, 64),), buffer,
                      input_names=["rgb"], output_names=["damage"], opset_version=17, dynamo=False,
                      dynamic_axes={"rgb": {0: "n", 2: "h", 3: "w"}, "damage": {0: "n", 2: "h", 3: "w"}})
    model = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(model, {"about": json.dumps(about)})
    onnx.save(model, str(path))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m palette_desktop.model.damage_net", description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path, help="folder of training photos")
    p.add_argument("--minutes", type=float, default=40.0, help="wall-clock training time")
    p.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the folder")
    p.add_argument("--start", type=Path, help="an exported detector to train further (default: a new network)")
    p.add_argument("--hard-negatives", type=int, default=0, metavar="N",
                   help="first find where --start marks N undamaged photos, and teach those crops as undamaged")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--pick-photos", type=int, default=120, help="photos whose new damage picks the threshold")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=OUTPUT)
    args = p.parse_args(argv)
    files = photo_files(args.data, args.limit)
    if not files:
        print(f"{args.data}: no photos", file=sys.stderr)
        return 2
    if args.hard_negatives and not args.start:
        print("--hard-negatives needs --start: the network whose false marks to find", file=sys.stderr)
        return 2
    started = time.perf_counter()
    images, masks = training_crops(files, args.seed)
    print(f"{len(images)} crops of {len(files)} photos, {100 * masks.mean():.2f} % damage, "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    start = load_exported(args.start) if args.start else None
    negatives = None
    if args.hard_negatives:
        negatives = hard_negatives(start, spread(files, args.hard_negatives), args.seed + 2)
        print(f"{len(negatives)} crops of undamaged photos that --start marks", flush=True)
    net = train(images, masks, args.minutes, args.seed, lr=args.lr, log=lambda line: print(line, flush=True),
                start=start, negatives=negatives)
    threshold, scores = pick_threshold(net, spread(files, args.pick_photos), args.seed + 1)
    about = {"photos": len(files), "crops": len(images), "minutes": args.minutes, "started_from": str(args.start),
             "hard_negatives": 0 if negatives is None else len(negatives), "threshold": threshold,
             "on_new_damage": scores}
    export(net, threshold, args.out, about)
    print(json.dumps(about), flush=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
