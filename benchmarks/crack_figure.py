"""Before and after on an old print with wide cracks: what two damage detectors mark.

    python benchmarks/crack_figure.py --before OLD.onnx [--after NEW.onnx] [--photo P] [--seeds 1 0] --out F.jpg

No real scans of cracked prints are in the repository or in ../shared/data, so the print
is made from a validation photo: an old print (core.degrade.old_print), with wide cracks
and tears and a little thin damage drawn on it (core.synthetic_damage), scanned again.
A row per seed (another print, other cracks); panels, left to right: the scan, then each
detector's marks in red with the true damage it missed in cyan, each labelled with the
share of the cracks' inside it marked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from damage_detection import ROOT, inside, overlay, use_model
from palette_desktop.core.degrade import old_print
from palette_desktop.core.imageio import load_image
from palette_desktop.core.pixels import to_float
from palette_desktop.core.synthetic_damage import add_cracks, add_damage, rescan
from palette_desktop.engine.damage_detector import detect_damage
from palette_desktop.resources import resource

PHOTO = ROOT.parent / "shared" / "data" / "val" / "imagenet_det" / "n02883205_14588_bow_tie.jpg"


def cracked_scan(photo: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The photo as a cracked old print scanned again, and the true damage mask."""
    rng = np.random.default_rng(seed)
    print_ = old_print(photo, rng)
    cracked = add_cracks(print_, rng, count=(3, 3))
    thin = add_damage(cracked.image, rng, scratches=(1, 1), cracks=(0, 0), specks=(6, 6))
    return rescan(thin.image, rng), cracked.mask | thin.mask


def panel(image: np.ndarray, label: str) -> np.ndarray:
    """``image`` with ``label`` written on a white strip above it."""
    strip = np.full((28, image.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([strip.astype(np.float32) / 255, image])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the detector file before")
    parser.add_argument("--after", type=Path, default=resource("damage_net.onnx"), help="the detector file after")
    parser.add_argument("--photo", type=Path, default=PHOTO)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--out", type=Path, required=True, help="PNG or JPEG")
    args = parser.parse_args()
    photo = to_float(load_image(args.photo).pixels)
    rows = []
    for seed in args.seeds:
        scan, true = cracked_scan(photo, seed)
        deep = inside(true)
        panels = [panel(scan, "scan of a cracked print")]
        for name, model in (("before", args.before), ("after", args.after)):
            use_model(model)
            found = detect_damage(scan)
            share = float((found[deep] > 0).mean())
            print(f"seed {seed}, {name}: {100 * share:.0f} % of the cracks' inside marked, "
                  f"{100 * found.mean():.1f} % of the photo")
            panels.append(panel(overlay(scan, found, true), f"{name}: {100 * share:.0f} % of crack insides"))
        gap = np.ones((panels[0].shape[0], 6, 3), np.float32)
        rows.append(np.hstack([p for pair in zip(panels, [gap] * len(panels)) for p in pair][:-1]))
        rows.append(np.ones((6, rows[-1].shape[1], 3), np.float32))
    figure = np.vstack(rows[:-1])
    Image.fromarray(np.round(figure * 255).astype(np.uint8)).save(args.out, quality=88)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
