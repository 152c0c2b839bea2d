"""How often Restore Old Photo's black-and-white test is right on old scans, before and after issue 19.

    python benchmarks/monochrome_detection.py [--data ../shared/data/val] [--limit N] [--seed S] [--sheet PNG]

Every photo is made into a scan of an old black-and-white or toned print (the five
tones of core/old_scans.py in turn), and every photo with colour to lose (colourfulness
of 15 or more, "slightly colourful" on Hasler and Süsstrunk's scale) into a scan of a
faded colour print. Both are aged alike (a border or mount, yellowing, water stains,
foxing, scratches, dust) and scanned alike (softness, colour noise, JPEG), so no mark of
age tells one from the other. Printed: the share of black-and-white scans recognised
(the target is at least 95 %) and the share of faded colour scans called black and
white (at most 5 %), for the detector before issue 19 and the one now, on the same scans.
``--sheet`` writes some of the scans beside their photos, to look at.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from palette_desktop.core.color import colorfulness
from palette_desktop.core.imageio import load_image, photo_files
from palette_desktop.core.monochrome import is_monochrome
from palette_desktop.core.old_scans import TONES, faded_colour_scan, monochrome_scan

ROOT = Path(__file__).resolve().parents[1]
COLOURFUL = 15.0
"""A photo at least this colourful has colour to fade (Hasler and Süsstrunk: 15 is "slightly colourful")."""
VARIED = 15.0
"""The same measure's spread term alone: a photo whose colours vary this much is not a one-hue scene
(a tinted portrait, a gray sea under a blue sky), which faded is a toned print to the eye too."""


def previous_is_monochrome(rgb: np.ndarray) -> bool:
    """The test before issue 19, as it was: three pixels in four within 2 a*b* units of the
    median colour of their band of lightness (16 bands), at 256 px."""
    h, w = rgb.shape[:2]
    scale = min(1.0, 256 / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    band = np.minimum((lab[:, 0] * 16 / 100).astype(int), 15)
    spread = np.zeros(len(lab), np.float32)
    for b in np.unique(band):
        inside = band == b
        spread[inside] = np.linalg.norm(lab[inside, 1:] - np.median(lab[inside, 1:], axis=0), axis=1)
    return float(np.percentile(spread, 75)) <= 2.0


DETECTORS = {"before (spread around the tone curve ≤ 2.0)": previous_is_monochrome, "now": is_monochrome}


def as_float(pixels: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] from a photo's float, uint8 or uint16 pixels."""
    if np.issubdtype(pixels.dtype, np.integer):
        return pixels.astype(np.float32) / np.iinfo(pixels.dtype).max
    return np.asarray(pixels, np.float32)


def colour_spread(rgb: np.ndarray) -> float:
    """The spread term of Hasler and Süsstrunk's colourfulness: how much the colours vary, a cast aside."""
    r, g, b = (rgb[..., i].astype(np.float64) * 255 for i in range(3))
    return float(np.hypot((r - g).std(), (0.5 * (r + g) - b).std()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "val")
    parser.add_argument("--limit", type=int, default=None, help="use this many photos, spread over the folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", type=Path, help="write photos beside their toned and faded scans here (PNG)")
    args = parser.parse_args()
    files = photo_files(args.data, args.limit)
    if not files:
        raise SystemExit(f"no photos in {args.data}")
    rng = np.random.default_rng(args.seed)
    tones = list(TONES)
    monochrome: dict[str, list[bool]] = {name: [] for name in DETECTORS}
    by_tone: dict[str, list[bool]] = {tone: [] for tone in tones}
    faded: dict[str, list[bool]] = {name: [] for name in DETECTORS}
    varied: list[bool] = []  # the faded scans (now) of photos whose colours vary
    seconds: list[float] = []
    sheet: list[list[np.ndarray]] = []
    for index, path in enumerate(files):
        photo = as_float(load_image(path).pixels)
        tone = tones[index % len(tones)]
        scans = [monochrome_scan(photo, rng, tone)]
        if colorfulness(photo) >= COLOURFUL:
            scans.append(faded_colour_scan(photo, rng))
        for name, detect in DETECTORS.items():
            start = time.perf_counter()
            found = [detect(scan) for scan in scans]
            if name == "now":
                seconds.append((time.perf_counter() - start) / len(scans))
                by_tone[tone].append(found[0])
            monochrome[name].append(found[0])
            faded[name] += found[1:]
        if len(scans) > 1 and colour_spread(photo) >= VARIED:
            varied.append(faded["now"][-1])
        if args.sheet and len(sheet) < 10:
            sheet.append([photo, *scans])
    print(f"{len(files)} photos from {args.data}: {len(files)} black-and-white or toned scans, {len(faded['now'])} "
          f"faded colour scans (of the photos with colourfulness ≥ {COLOURFUL:g}), seed {args.seed}")
    print("| test | black-and-white and toned recognised (≥ 95 %) | faded colour called black and white (≤ 5 %) |")
    print("|---|---|---|")
    for name in DETECTORS:
        print(f"| {name} | {100 * np.mean(monochrome[name]):.1f} % | {100 * np.mean(faded[name]):.1f} % |")
    print(f"now, faded colour called black and white of the {len(varied)} photos whose colours vary (spread term "
          f"≥ {VARIED:g}): {100 * np.mean(varied):.1f} %")
    print("now, by tone: " + ", ".join(f"{tone} {100 * np.mean(found):.0f} % of {len(found)}"
                                       for tone, found in by_tone.items()))
    print(f"now: {1000 * np.mean(seconds):.1f} ms per scan")
    if args.sheet:
        write_sheet(sheet, args.sheet)
        print(f"sheet: {args.sheet}")


def write_sheet(rows: list[list[np.ndarray]], path: Path, height: int = 220) -> None:
    """Each row: the photo, its black-and-white scan, its faded colour scan (when it has one)."""
    scaled = [[cv2.resize(t, (round(t.shape[1] * height / t.shape[0]), height), interpolation=cv2.INTER_AREA)
               for t in row] for row in rows]
    width = max(sum(t.shape[1] + 6 for t in row) for row in scaled)
    lines = []
    for row in scaled:
        line = np.hstack([np.pad(t, ((0, 6), (0, 6), (0, 0)), constant_values=1.0) for t in row])
        lines.append(np.pad(line, ((0, 0), (0, width - line.shape[1]), (0, 0)), constant_values=1.0))
    Image.fromarray(np.round(np.vstack(lines) * 255).astype(np.uint8)).save(path)


if __name__ == "__main__":
    main()
