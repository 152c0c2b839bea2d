"""Entry point of the installer bundle: the same ``palette-desktop`` command as the pip install.

With no arguments it opens the window; ``--version``, ``--self-test`` and the subcommands
run headless and print to the console.
"""

import multiprocessing
import os
import sys


def _ensure_streams() -> None:
    # A windowed Windows executable starts with no console: sys.stdout/stderr are None and
    # anything that writes to them (tqdm, logging, warnings) would raise. Send it nowhere.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def _arguments() -> list[str]:
    # `--self-test` is the spelling installers and users are told about; hand it to the
    # `self-test` subcommand, which takes the same options (--model, --backend, --device).
    argv = sys.argv[1:]
    if argv[:1] == ["--self-test"]:
        argv = ["self-test", *argv[1:]]
    return argv


if __name__ == "__main__":
    multiprocessing.freeze_support()
    _ensure_streams()
    from palette_desktop.cli import main

    raise SystemExit(main(_arguments()))
