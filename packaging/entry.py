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


if __name__ == "__main__":
    multiprocessing.freeze_support()
    _ensure_streams()
    from palette_desktop.cli import main

    raise SystemExit(main())
