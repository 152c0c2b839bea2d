"""Command line: the window by default, and headless restore, batch, train, export, eval.

Every failure ends with one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from palette_desktop import __version__, cli_options
from palette_desktop.core.errors import Cancelled, PaletteError, TaskError

COMMANDS = ("restore", "batch", "mask", "train", "export", "eval", "self-test")
EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:  # the spelling installers and users are told about
        argv = ["self-test", *argv[1:]]
    if not argv:
        return _open_window(None)
    if argv[0] not in COMMANDS and not argv[0].startswith("-"):
        if len(argv) == 1 and Path(argv[0]).exists():
            return _open_window(argv[0])
        print(f"palette-desktop: '{argv[0]}' is not a command ({', '.join(COMMANDS)}) nor a photo to open "
              "(see palette-desktop --help)", file=sys.stderr)
        return EXIT_USAGE
    try:
        args = _arguments(argv)
    except SystemExit as exc:  # --help, --version, or a bad option already reported on one line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        return _open_window(None)
    try:
        return args.run(args)
    except SystemExit as exc:  # a passed-on command's own --help or usage error
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except Cancelled:
        print("palette-desktop: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        print("palette-desktop: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except PaletteError as exc:
        print(f"palette-desktop: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except MemoryError:
        print("palette-desktop: out of memory; try fewer candidates or a smaller image", file=sys.stderr)
        return EXIT_FAILED


PASSED_ON = {"eval": "score a model against classical baselines", "train": "train a model (needs PyTorch)",
             "export": "export a model for the application (needs PyTorch)"}
"""Commands whose own parser reads everything after the name, --help included."""


def _arguments(argv: list[str]) -> argparse.Namespace:
    if argv[0] in PASSED_ON:  # argparse would take their leading options (say --help) as its own
        run = _eval if argv[0] == "eval" else _model_command(argv[0])
        return argparse.Namespace(command=argv[0], rest=argv[1:], run=run)
    return _parser().parse_args(argv)


def _parser() -> argparse.ArgumentParser:
    parser = cli_options.Parser(prog="palette-desktop", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"palette-desktop {__version__}")
    parser.add_argument("--self-test", action="store_true", help="same as the self-test command")
    parser.set_defaults(command=None)
    sub = parser.add_subparsers(dest="command")

    restore = sub.add_parser("restore", help="restore one photo")
    restore.add_argument("input", type=Path)
    restore.add_argument("output", type=Path)
    _task_arguments(restore)
    restore.add_argument("--mask", type=Path, help="inpaint: a PNG the size of the photo, white = replace")
    restore.add_argument("--dry-run", action="store_true",
                         help="auto: print what it would do (the plan, one line) and write nothing")
    restore.set_defaults(run=_restore)

    batch = sub.add_parser("batch", help="restore every photo in a folder")
    batch.add_argument("input_dir", type=Path)
    batch.add_argument("output_dir", type=Path)
    _task_arguments(batch)
    batch.add_argument("--masks", type=Path, help="inpaint: folder of same-named PNG masks")
    batch.add_argument("--recursive", action="store_true")
    batch.add_argument("--format", choices=["png", "jpg", "tif", "webp"], help="output format (default: as the input)")
    batch.add_argument("--overwrite", action="store_true", help="redo outputs that exist (default: skip them)")
    batch.set_defaults(run=_batch)

    mask = sub.add_parser("mask", help="make an inpainting mask from a photo (no model needed)")
    mask.add_argument("--detect", required=True, choices=["damage"],
                      help="damage: scratches, cracks, tears and dust, light or dark")
    mask.add_argument("input", type=Path)
    mask.add_argument("output", type=Path, help="a PNG the size of the photo, white = damage")
    mask.set_defaults(run=_mask)

    for name, what in PASSED_ON.items():  # listed in the help; main() hands them their arguments
        sub.add_parser(name, help=what, add_help=False)
    test = sub.add_parser("self-test", help="restore a built-in sample with every task")
    _model_arguments(test)
    test.set_defaults(run=_self_test)
    return parser


def _model_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, help="model folder (default: the bundled model)")
    p.add_argument("--backend", choices=["auto", "onnx", "torch"], default="auto")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")


def _task_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, choices=["colorize", "inpaint", "extend", "jpeg", "auto"],
                   help="auto: restore an old photo: detect damage, inpaint it, clean up, colorize if black and white")
    colour = p.add_mutually_exclusive_group()
    colour.add_argument("--colorize", dest="colorize", action="store_const", const=True,
                        help="auto: colorize whatever the photo is found to be (default: only a black-and-white one)")
    colour.add_argument("--keep-monochrome", dest="colorize", action="store_const", const=False,
                        help="auto: leave a black-and-white photo uncoloured")
    p.add_argument("--extend", metavar="L,T,R,B", type=cli_options.margins, help="extend: pixels to add on each side")
    p.add_argument("--aspect", metavar="W:H", type=cli_options.aspect,
                   help="extend: grow to this aspect ratio instead, e.g. 4:5")
    p.add_argument("--steps", type=cli_options.steps,
                   help="quality, 1-1000 (6 draft, 12 balanced, 30 best; default: the model's); each job runs "
                        "the model's share of them: 1/2 to generate, 1/10 to restore JPEG or thin scratches")
    p.add_argument("--seed", type=cli_options.seed, default=0, help="0 to 4294967295")
    p.add_argument("--candidates", type=cli_options.candidates, default=1,
                   help="1-4; more than one writes NAME-1, NAME-2, ...")
    p.add_argument("--sampler", choices=["ddim", "ancestral"], default="ddim")
    p.add_argument("--quality", type=cli_options.quality, default=95, help="JPEG/WebP output quality, 1-100")
    _model_arguments(p)


def _load(args: argparse.Namespace):
    from palette_desktop.engine.loader import Backend, load_model

    model = load_model(args.model, Backend(args.backend), args.device)
    print(f"model {model.manifest.name} on {model.backend_name}", file=sys.stderr)
    return model


def _request(args: argparse.Namespace, model, size: tuple[int, int] | None = None):
    from palette_desktop.core.conditions import Task
    from palette_desktop.diffusion.samplers import SamplerKind
    from palette_desktop.tasks.common import SamplingOptions
    from palette_desktop.tasks.extend import margins_for_aspect
    from palette_desktop.tasks.run import TaskRequest

    try:
        options = SamplingOptions(steps=model.manifest.default_steps if args.steps is None else args.steps, seed=args.seed,
                                  candidates=args.candidates, sampler=SamplerKind(args.sampler))
    except ValueError as exc:
        raise TaskError(str(exc)) from None
    if args.task == "auto":
        from palette_desktop.tasks.auto import AutoRequest

        return AutoRequest(options, colorize=args.colorize)
    task = Task(args.task)
    margins = None
    if task is Task.EXTEND:
        if args.extend:
            margins = args.extend
        elif args.aspect and size is not None:
            margins = margins_for_aspect(*size, *args.aspect)
        elif not args.aspect:
            raise TaskError("extend needs --extend L,T,R,B or --aspect W:H")
    return TaskRequest(task, options, margins=margins)


class _Bar:
    """tqdm progress bar fed by a TaskState: the percent of the work and the time left.

    A percent, as in the window: the count under it is network evaluations for one task
    but shares of the whole for ``--task auto``, so as a count it would mislead.
    """

    def __init__(self, desc: str) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=100, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def __call__(self, report) -> None:
        if report.total > 0:
            self.bar.n = min(100.0, 100.0 * report.done / report.total)
            self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def _restore(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from palette_desktop.core.atomic_write import remove_stale_temp_files
    from palette_desktop.core.imageio import WRITE_FORMATS, load_image, save_image
    from palette_desktop.core.masks import read_mask_file
    from palette_desktop.core.progress import TaskState
    from palette_desktop.tasks.one_result import one_result_reason
    from palette_desktop.tasks.run import apply_task

    if args.output.suffix.lower() not in WRITE_FORMATS:
        raise TaskError(f"{args.output.name}: unknown output format; use one of {', '.join(sorted(WRITE_FORMATS))}")
    _check_auto_options(args)
    if args.task == "auto" and args.candidates != 1:
        raise TaskError("--task auto makes one result; leave out --candidates")
    if args.dry_run and args.task != "auto":
        raise TaskError(f"--dry-run shows what --task auto would do; --task {args.task} does one thing")
    targets = [args.output] if args.candidates == 1 else [
        args.output.with_name(f"{args.output.stem}-{i}{args.output.suffix}") for i in range(1, args.candidates + 1)]
    if not args.dry_run:  # a dry run leaves the output folder as it is
        _check_targets(args.input, targets)
        remove_stale_temp_files(args.output.parent)
    photo = load_image(args.input)
    model = _load(args)
    request = _request(args, model, photo.size)
    if args.task == "inpaint" and args.mask is None:
        raise TaskError("inpaint needs --mask MASK.png (white = replace)")
    if args.mask is not None and args.task in ("inpaint", "auto"):  # auto: this damage instead of detecting it
        request = replace(request, mask=read_mask_file(args.mask, photo.size))
    if args.task == "auto":
        request = _say_plan(photo, request, model, args.dry_run)
        if args.dry_run:
            return 0
    elif args.candidates > 1 and (why := one_result_reason(request.task, request.options, model)):
        print(f"palette-desktop: one result, not {args.candidates}: {why}; writing {args.output.name}", file=sys.stderr)
        targets = [args.output]
        _check_targets(args.input, targets)
    bar = _Bar(args.input.name)
    try:
        results = apply_task(photo, request, model, TaskState(bar))
    finally:
        bar.close()
    del photo, request  # the photo and its mask: a large scan's results are encoded without them beside
    for result, target in zip(results, targets):
        saved = save_image(result, target, quality=args.quality)
        for note in saved.notes:
            print(f"palette-desktop: {target.name}: {note}", file=sys.stderr)
        print(target)
    return 0


def _check_auto_options(args: argparse.Namespace) -> None:
    """--colorize and --keep-monochrome are the choice of --task auto only."""
    if args.colorize is not None and args.task != "auto":
        flag = "--colorize" if args.colorize else "--keep-monochrome"
        raise TaskError(f"{flag} is for --task auto; --task {args.task} does what it says")


def _check_targets(source: Path, targets: list[Path]) -> None:
    """Before the model runs: a bad output name must not cost minutes of work."""
    from palette_desktop.core.atomic_write import check_output_path

    for target in targets:
        _refuse_the_original(source, target)
        check_output_path(target)


def _say_plan(photo, request, model, dry_run: bool):
    """Find the damage (unless it was given) and say what restoring the photo will do, on
    one line: the output of ``--dry-run``, else a note before the work starts. Returns the
    request with its damage, so that it is not looked for twice."""
    from dataclasses import replace

    from palette_desktop.engine.damage_detector import detect_damage
    from palette_desktop.tasks.auto import describe_plan, plan_restore

    if request.mask is None:
        request = replace(request, mask=detect_damage(photo.pixels))
    print(f"plan: {describe_plan(plan_restore(photo, request, model))}", file=sys.stdout if dry_run else sys.stderr)
    return request


def _mask(args: argparse.Namespace) -> int:
    from palette_desktop.core.atomic_write import check_output_path, remove_stale_temp_files
    from palette_desktop.core.imageio import load_image
    from palette_desktop.core.masks import write_mask_file
    from palette_desktop.engine.damage_detector import detect_damage

    if args.output.suffix.lower() != ".png":
        raise TaskError(f"{args.output.name}: masks are saved as PNG; end the name with .png")
    _refuse_the_original(args.input, args.output)
    check_output_path(args.output)
    remove_stale_temp_files(args.output.parent)
    mask = detect_damage(load_image(args.input).pixels)
    write_mask_file(mask, args.output)
    print(f"palette-desktop: {100 * mask.mean():.2f} % of the photo marked as damage", file=sys.stderr)
    print(args.output)
    return 0


def _refuse_the_original(source: Path, target: Path) -> None:
    try:
        same = target.exists() and source.exists() and os.path.samefile(source, target)
    except OSError:
        return  # check_output_path says what is wrong with the name
    if same:
        raise TaskError("the output would overwrite the original; choose another name")


def _batch(args: argparse.Namespace) -> int:
    from palette_desktop.core.atomic_write import probe_folder, reason
    from palette_desktop.core.progress import TaskState
    from palette_desktop.tasks.batch import check_folders, plan_batch, run_batch

    check_folders(args.input_dir, args.output_dir)
    _check_auto_options(args)
    if args.task == "inpaint" and args.masks is None:
        raise TaskError("inpaint in a batch needs --masks FOLDER of same-named PNGs")
    if args.task == "extend" and not (args.extend or args.aspect):
        raise TaskError("extend needs --extend L,T,R,B or --aspect W:H")
    items = plan_batch(args.input_dir, args.output_dir, task=args.task, recursive=args.recursive,
                       suffix=f".{args.format}" if args.format else None, masks_dir=args.masks)
    if not items:
        raise TaskError(f"{args.input_dir}: no images found")
    try:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TaskError(f"{args.output_dir}: cannot create the output folder ({reason(exc)})") from None
    probe_folder(args.output_dir)
    model = _load(args)
    request = _request(args, model)
    if args.aspect and not args.extend:
        print("palette-desktop: --aspect in a batch is applied per photo", file=sys.stderr)
    from tqdm import tqdm

    files = tqdm(total=len(items), desc="photos", unit="photo", file=sys.stderr)

    def on_file(index: int, item, status: str) -> None:
        if status not in ("running", "cancelled"):
            files.update(1)
            if status not in ("done", "skipped"):
                files.write(f"failed: {item.source.name}: {status}")

    report = run_batch(items, request, model, skip_existing=not args.overwrite, quality=args.quality,
                       state=TaskState(), on_file=on_file, aspect=args.aspect if args.aspect and not args.extend else None)
    files.close()
    _print_summary(report)
    if report.cancelled:
        return EXIT_CANCELLED
    return EXIT_FAILED if report.failed or report.stopped else 0


def _print_summary(report) -> None:
    """What was done and what was not, also after an interrupt or a full disk."""
    print(f"{len(report.done)} restored, {len(report.skipped)} skipped (output exists), {len(report.failed)} failed",
          file=sys.stderr)
    for source, message in report.failed:
        print(f"  {source}: {message}", file=sys.stderr)
    for source, note in report.notes:
        print(f"  note: {source}: {note}", file=sys.stderr)
    if report.stopped:
        print(f"palette-desktop: stopped: {report.stopped}; {len(report.not_started)} photo(s) not restored",
              file=sys.stderr)
    elif report.cancelled:
        print(f"palette-desktop: interrupted; {len(report.not_started)} photo(s) not restored", file=sys.stderr)


def _model_command(name: str):
    def run(args: argparse.Namespace) -> int:
        try:
            from palette_desktop.model import commands
        except ImportError as exc:
            raise TaskError(f"{name} needs PyTorch: pip install 'palette-desktop[torch]' ({exc})") from None
        return getattr(commands, name)(args.rest)
    return run


def _eval(args: argparse.Namespace) -> int:
    from palette_desktop.evaluation import main as eval_main

    return eval_main(args.rest)


def _self_test(args: argparse.Namespace) -> int:
    from palette_desktop.selftest import run_self_test

    return run_self_test(_load(args))


def _open_window(path: str | None) -> int:
    try:
        from palette_desktop.app.main import run_app
    except ImportError as exc:
        print(f"palette-desktop: the window needs PySide6 ({exc})", file=sys.stderr)
        return EXIT_FAILED
    return run_app(path)
