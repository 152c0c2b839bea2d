"""``palette-desktop eval MODEL DIR``: the model against classical baselines on held-out photos.

Fixed seeds make the damage and the sampling the same on every run, so two models (or
two runs) are compared on identical inputs. Each task is run through the same task
function the app uses, at the eval size, beside its baseline computed in the same run:

| task | baseline | scored |
|---|---|---|
| jpeg | the JPEG input itself | PSNR, SSIM on the whole image |
| scan (the jpeg task on grain + noise + JPEG q30–70) | OpenCV non-local means | PSNR, SSIM on the whole image |
| inpaint | OpenCV Telea and Navier–Stokes | PSNR inside the hole, SSIM whole; texture |
| extend | reflect padding | PSNR inside the new area, SSIM whole; texture |
| colorize | the gray input | PSNR, SSIM whole; colorfulness beside the truth's |

PSNR alone favours a blur where content is made up, so inpaint and extend also report the
texture of the new pixels (the Laplacian's spread there) as a share of the truth's.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from palette_desktop import cli_options
from palette_desktop.core.baselines import classical_fill, nl_means_denoise, reflect_fill, telea_fill
from palette_desktop.core.color import colorfulness, to_gray
from palette_desktop.core.conditions import Task
from palette_desktop.core.degrade import extend_mask, film_grain, inpaint_mask, jpeg_compress, sensor_noise
from palette_desktop.core.errors import TaskError
from palette_desktop.core.imageio import Photo, is_gray, load_image, photo_files, save_image
from palette_desktop.core.masks import bounding_box
from palette_desktop.core.pixels import to_float
from palette_desktop.core.progress import TaskState
from palette_desktop.engine.loader import Backend, LoadedModel, load_model
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.extend import Margins
from palette_desktop.tasks.run import TaskRequest, apply_task

GRID_ROWS_PER_TASK = 3
SCAN = "scan"  # not a task of its own: the jpeg task ("Clean up") on a scanned print's damage
CASES = tuple(t.value for t in Task) + (SCAN,)


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    diff = (a - b) ** 2
    mse = float(diff[where > 0].mean()) if where is not None else float(diff.mean())
    return 10 * np.log10(1.0 / max(mse, 1e-10))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al.'s SSIM with an 11-px Gaussian window (σ 1.5), averaged over R, G and B.

    Written out because the one library that has it (scikit-image) would add a large
    dependency for these few lines.
    """
    c1, c2 = 0.01**2, 0.03**2

    def blur(im: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(im, (11, 11), 1.5)

    x, y = a.astype(np.float64), b.astype(np.float64)
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def texture(image: np.ndarray, where: np.ndarray) -> float:
    """Standard deviation of the gray image's Laplacian over ``where``: fine detail, 0 for a smooth fill."""
    lap = cv2.Laplacian(to_gray(image)[..., 0].astype(np.float32), cv2.CV_32F)
    return float(lap[where > 0].std())


@dataclass
class Scores:
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    colorfulness: list[float] = field(default_factory=list)
    texture: list[float] = field(default_factory=list)

    def add(self, out: np.ndarray, truth: np.ndarray, region: np.ndarray | None) -> None:
        self.psnr.append(psnr(out, truth, region))
        self.ssim.append(ssim(out, truth))
        self.colorfulness.append(colorfulness(out))
        if region is not None:
            self.texture.append(texture(out, region))

    def means(self) -> dict[str, float]:
        return {name: round(float(np.mean(values)), 4) for name, values in vars(self).items() if values}


@dataclass
class TaskResult:
    case: str  # a task's name, or SCAN
    methods: dict[str, Scores]
    rows: list[list[np.ndarray]]  # input | baseline | ours | truth, for the grid

    @property
    def task(self) -> Task:
        return Task.JPEG if self.case == SCAN else Task(self.case)


def scan_test_damage(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The eval's scanned print: film grain, then sensor noise, then JPEG at quality 30–70."""
    noisy = np.clip(sensor_noise(film_grain(image, rng), rng), 0, 1).astype(np.float32)
    return jpeg_compress(noisy, rng, qualities=(30, 70), twice=0.0)


def center_square(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    return cv2.resize(image[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)


def evaluate(model: LoadedModel, photos: list[Path], *, size: int = 256, steps: int | None = None, seed: int = 0,
             cases: tuple[str, ...] = CASES, log=print) -> list[TaskResult]:
    options = SamplingOptions(steps=steps or model.manifest.default_steps, seed=seed)
    results = {case: TaskResult(case, {}, []) for case in cases}
    for index, path in enumerate(photos):
        truth = center_square(to_float(load_image(path).pixels), size)
        for case in cases:
            if case == Task.COLORIZE.value and is_gray(truth):
                continue  # no colour truth to score against
            rng = np.random.default_rng([seed, index, CASES.index(case)])
            _evaluate_one(model, case, truth, rng, options, results[case])
        log(f"eval: {index + 1}/{len(photos)} {path.name}")
    return list(results.values())


def _evaluate_one(model: LoadedModel, case: str, truth: np.ndarray, rng: np.random.Generator,
                  options: SamplingOptions, result: TaskResult) -> None:
    h, w = truth.shape[:2]
    photo = Photo(truth)
    region = None
    task = result.task
    if case == SCAN:
        damaged = scan_test_damage(truth, rng)
        baselines = {"OpenCV non-local means": nl_means_denoise(damaged)}
        ours = apply_task(Photo(damaged), TaskRequest(task, options), model, TaskState())[0].pixels
        shown = damaged
    elif task is Task.JPEG:
        damaged = jpeg_compress(truth, rng)
        baselines = {"JPEG input": damaged}
        ours = apply_task(Photo(damaged), TaskRequest(task, options), model, TaskState())[0].pixels
        shown = damaged
    elif task is Task.COLORIZE:
        damaged = to_gray(truth)
        baselines = {"gray input": damaged}
        ours = apply_task(Photo(damaged, grayscale=True), TaskRequest(task, options), model, TaskState())[0].pixels
        shown = damaged
    elif task is Task.INPAINT:
        region = inpaint_mask(h, w, rng)
        baselines = {"OpenCV Telea": telea_fill(truth, region), "OpenCV Navier–Stokes": classical_fill(truth, region, cv2.INPAINT_NS)}
        ours = apply_task(photo, TaskRequest(task, options, mask=region), model, TaskState())[0].pixels
        shown = np.where(region[..., None] > 0, np.float32(1.0), truth)
    else:
        region = extend_mask(h, w, rng)
        known = bounding_box(region <= 0)
        margins = Margins(known.x0, known.y0, w - known.x1, h - known.y1)
        inner = truth[known.slices()]
        baselines = {"reflect padding": reflect_fill(truth, region)}
        ours = apply_task(Photo(inner), TaskRequest(task, options, margins=margins), model, TaskState())[0].pixels
        shown = np.where(region[..., None] > 0, np.float32(0.5), truth)
    for name, out in {**baselines, "ours": ours}.items():
        result.methods.setdefault(name, Scores()).add(out, truth, region)
    result.methods.setdefault("truth", Scores()).add(truth, truth, region)
    if len(result.rows) < GRID_ROWS_PER_TASK:
        result.rows.append([shown, next(iter(baselines.values())), ours, truth])


def report_markdown(results: list[TaskResult], model: LoadedModel, count: int, size: int, steps: int) -> str:
    lines = [f"# Evaluation of {model.manifest.name}", "",
             f"{count} held-out photos, centre {size}×{size} crops, {steps} DDIM steps, fixed seeds, "
             f"{model.backend_name}. PSNR in dB (inpaint/extend: inside the generated region); SSIM on the "
             "whole image; colorfulness (Hasler–Süsstrunk) for colorize; texture: the Laplacian's spread in "
             "the generated region as a share of the truth's.", "",
             "| task | method | PSNR | SSIM | colorfulness | texture |", "|---|---|---|---|---|---|"]
    for result in results:
        truth_texture = np.mean(result.methods["truth"].texture) if result.methods["truth"].texture else 0.0
        for name, scores in result.methods.items():
            if name == "truth" and result.task is not Task.COLORIZE:
                continue
            psnr_text = "—" if name == "truth" else f"{np.mean(scores.psnr):.2f}"
            ssim_text = "—" if name == "truth" else f"{np.mean(scores.ssim):.4f}"
            colour = f"{np.mean(scores.colorfulness):.1f}" if result.task is Task.COLORIZE else ""
            detail = f"{np.mean(scores.texture) / truth_texture:.0%}" if scores.texture and truth_texture else ""
            label = f"**{name}**" if name == "ours" else name
            lines.append(f"| {result.case} | {label} | {psnr_text} | {ssim_text} | {colour} | {detail} |")
    lines += ["", "Grid: input | baseline | ours | truth, rows by task."]
    return "\n".join(lines) + "\n"


def ours_vs_best_baseline(results: list[TaskResult]) -> dict[str, float]:
    """PSNR of ours minus the best baseline's, per task (positive: ours is better)."""
    margins = {}
    for result in results:
        baselines = [np.mean(s.psnr) for n, s in result.methods.items() if n not in ("ours", "truth")]
        margins[result.case] = float(np.mean(result.methods["ours"].psnr) - max(baselines))
    return margins


def scores_by_case(results: list[TaskResult]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean scores per case and method, as ``scores.json`` keeps them for comparing two models."""
    return {result.case: {name: scores.means() for name, scores in result.methods.items()} for result in results}


def grid_image(results: list[TaskResult], tile: int = 160) -> np.ndarray:
    rows = [np.hstack([cv2.resize(im, (tile, tile), interpolation=cv2.INTER_AREA) for im in row])
            for result in results for row in result.rows]
    return np.vstack(rows)


def _cases(text: str) -> tuple[str, ...]:
    cases = tuple(text.split(","))
    if unknown := set(cases) - set(CASES):
        raise argparse.ArgumentTypeError(f"no such task {', '.join(sorted(unknown))} (choose from {', '.join(CASES)})")
    return cases


def main(argv: list[str]) -> int:
    p = cli_options.Parser(prog="palette-desktop eval", description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path, help="model folder")
    p.add_argument("photos", type=Path, help="folder of held-out photos (searched recursively)")
    p.add_argument("--out", type=Path, default=Path("eval"), help="folder for report.md and grid.png")
    p.add_argument("--limit", type=cli_options.whole(1, 100_000, "the number of photos"), default=24,
                   help="photos to use, spread evenly over the folder")
    p.add_argument("--size", type=cli_options.whole(32, 4096, "the crop side"), default=256, help="crop side in px")
    p.add_argument("--steps", type=cli_options.steps, help="default: the model's")
    p.add_argument("--seed", type=cli_options.seed, default=0)
    p.add_argument("--tasks", type=_cases, default=CASES, help=f"some of {', '.join(CASES)}, comma-separated")
    p.add_argument("--backend", choices=["auto", "onnx", "torch"], default="auto")
    args = p.parse_args(argv)
    photos = photo_files(args.photos, args.limit)
    if not photos:
        raise TaskError(f"{args.photos}: no photos")
    model = load_model(args.model, Backend(args.backend))
    steps = model.manifest.default_steps if args.steps is None else args.steps
    results = evaluate(model, photos, size=args.size, steps=steps, seed=args.seed, cases=args.tasks)
    args.out.mkdir(parents=True, exist_ok=True)
    report = report_markdown(results, model, len(photos), args.size, steps)
    (args.out / "report.md").write_text(report, encoding="utf-8")
    (args.out / "scores.json").write_text(json.dumps(scores_by_case(results), indent=1), encoding="utf-8")
    save_image(Photo(grid_image(results)), args.out / "grid.png")
    print(report)
    print({"ours_minus_best_baseline_psnr": ours_vs_best_baseline(results)})
    return 0
