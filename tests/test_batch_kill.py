"""A batch killed with SIGKILL at random moments, then run again: the promise that this is safe.

Between kills only whole files are to be seen in the output folder (each result decodes
to its end, the report is a whole CSV file); a kill mid-write leaves a hidden temporary
file (one run is killed while writing, to be sure of one), which the next run removes.
The run after the last kill finishes the folder, skipping what was done. The moments are
random on purpose, to find the moment nobody thought of; a failure names the seed that
replays it (``KILL_SEED``).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from batch_files import is_report, report_rows, results
from real_fs import ROOT, digests

from palette_desktop.core.atomic_write import TEMP_PREFIX
from palette_desktop.core.imageio import is_complete_image, load_image

PHOTOS = 24
KILLS = 6  # at random moments
MID_WRITE_TRIES = 4  # runs to catch writing a file, so that one kill surely leaves a temporary file


def _photos(folder: Path, data_dir: Path) -> Path:
    """Small photos, and every third a larger one (384×512), whose result takes longer to write."""
    folder.mkdir()
    for index in range(PHOTOS):
        name = ("carpet.jpg", "shirt.jpg", "trousers.jpg", "shirt.jpg", "floor.jpg", "trousers.jpg")[index % 6]
        shutil.copy(data_dir / name, folder / f"scan{index:02d}.jpg")
    return folder


def _check_whole(out: Path, seed: int) -> list[str]:
    """Fail unless every file to be seen is whole; return the hidden temporary files a kill left."""
    orphans = []
    for path in out.iterdir():
        if path.name.startswith(TEMP_PREFIX):
            orphans.append(path.name)
        elif is_report(path):
            rows = report_rows(path)
            assert len(rows) == PHOTOS, f"seed {seed}: {len(rows)} rows"
            for row in rows:
                assert row["status"] in ("done", "skipped", "not done"), f"seed {seed}: {row}"
                if row["status"] != "not done":
                    assert is_complete_image(out / row["output"]), f"seed {seed}: {row}"
        else:
            assert is_complete_image(path), f"seed {seed}: {path.name} does not decode to its end"
            load_image(path)
    return orphans


def _version(path: Path) -> tuple[int, int] | None:
    """Which writing of a file this is: a new one has a new inode (an atomic rename) or a new time."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _visible_results(out: Path) -> int:
    try:
        return sum(1 for p in out.iterdir() if not p.name.startswith(".") and not is_report(p))
    except FileNotFoundError:
        return 0


def _writing(out: Path) -> bool:
    """A temporary file with bytes in it is there: a result or the report is being written and synced.

    (The empty ones that test whether the folder takes files come and go too fast to be caught.)
    """
    try:
        return any(entry.name.startswith(TEMP_PREFIX) and entry.stat().st_size > 0 for entry in os.scandir(out))
    except FileNotFoundError:  # the folder not made yet, or the temporary file renamed meanwhile
        return False


def test_a_batch_killed_at_random_moments_finishes_on_the_next_run(tmp_path, data_dir, tiny_model_dir):
    seed = int(os.environ.get("KILL_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    src, out = _photos(tmp_path / "scans", data_dir), tmp_path / "restored"
    originals = digests(src)
    report = out / "batch-report.jpeg-restored.csv"
    argv = [sys.executable, "-m", "palette_desktop", "batch", str(src), str(out), "--task", "jpeg", "--format", "tif",
            "--model", str(tiny_model_dir), "--steps", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills, orphans, round_ = 0, set(), 0
    while round_ < KILLS or (not orphans and round_ < KILLS + MID_WRITE_TRIES):
        mid_write = round_ >= KILLS  # after the random kills, one while a file is being written
        round_ += 1
        before = _version(report)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while _version(report) == before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)  # this run's first report: its model is loaded, its photos begin
            if mid_write:
                while not _writing(out) and proc.poll() is None and time.monotonic() < deadline:
                    pass
            else:  # a random moment: after 0 to 2 more results, and a random part of the next photo's work
                target = _visible_results(out) + rng.randrange(3)
                while _visible_results(out) < target and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.002)
                time.sleep(rng.uniform(0, 0.3))
            if proc.poll() is None:
                proc.kill()
                kills += 1
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=60)
        orphans.update(_check_whole(out, seed))

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"seed {seed}: {done.stderr}"
    assert kills == round_, f"seed {seed}: only {kills} of {round_} runs were still going when killed"
    assert orphans, f"seed {seed}: no run was caught while writing a file"
    assert _check_whole(out, seed) == [], f"seed {seed}: temporary files left"  # the kills' orphans removed
    rows = report_rows(report)
    assert {row["status"] for row in rows} == {"done", "skipped"}, f"seed {seed}: the kills' work was not kept"
    assert len(results(out)) == PHOTOS and digests(src) == originals
    print(f"seed {seed}: {kills} kills, {len(orphans)} temporary file(s) left by them and removed by the last run, "
          f"{sum(r['status'] == 'skipped' for r in rows)} of {PHOTOS} photos done before it")
