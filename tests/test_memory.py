"""Memory: large scans held in their own depth and worked on a band at a time, a photo
too large for the memory refused before any work, and, when the model runs out all the
same, candidates one at a time, then smaller tiles, then a clear message.

The tiny model's real ONNX session runs every call; ``LimitedMemory`` only plays the part
of a machine with little memory by refusing batches larger than it allows. The memory
available is set, as a user may, by the environment variable the check reads.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from palette_desktop.core.color import transfer_chroma
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import NotEnoughMemory, OutOfMemory, PaletteError
from palette_desktop.core.imageio import load_image
from palette_desktop.core.memory import (FIXED_BYTES, MEMORY_VARIABLE, available_memory, bytes_per_pixel, check_fits,
                                         parse_size)
from palette_desktop.core.masks import Box, bounding_box
from palette_desktop.core.pixels import area_shrink, differing, to_float
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import RowBlend, blend_weight, tile_starts
from palette_desktop.engine.batching import split_on_oom
from palette_desktop.tasks.common import SamplingOptions
from palette_desktop.tasks.run import TaskRequest, apply_task


class LimitedMemory:
    def __init__(self, real, max_values: int) -> None:
        self.real, self.max_values, self.name, self.refused = real, max_values, real.name, 0

    def denoise(self, noisy, gamma, condition):
        return split_on_oom(self._run, noisy, gamma, condition)

    def _run(self, noisy, gamma, condition):
        if noisy.size > self.max_values:
            self.refused += 1
            raise OutOfMemory(f"out of memory running the model at {noisy.shape[3]}×{noisy.shape[2]}")
        return self.real.denoise(noisy, gamma, condition)


def test_candidates_run_one_at_a_time_with_the_same_result(tiny_model, shirt):
    request = TaskRequest(Task.COLORIZE, SamplingOptions(steps=2, candidates=2))
    roomy = apply_task(shirt, request, tiny_model, TaskState())
    tight = LimitedMemory(tiny_model.denoiser, 3 * 64 * 64)
    cramped = apply_task(shirt, request, replace(tiny_model, denoiser=tight), TaskState())
    assert tight.refused > 0
    for a, b in zip(roomy, cramped):
        assert np.abs(a.pixels - b.pixels).max() < 1e-4


def test_jpeg_falls_back_to_smaller_tiles(tiny_model, shirt, monkeypatch):
    monkeypatch.setattr("palette_desktop.tasks.jpeg.MIN_TILE", 16)
    tight = LimitedMemory(tiny_model.denoiser, 3 * 40 * 40)
    model = replace(tiny_model, denoiser=tight)
    out = apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), model, TaskState())[0]
    assert tight.refused > 0 and out.size == shirt.size


def test_nothing_fits_gives_a_clear_message(tiny_model, shirt):
    model = replace(tiny_model, denoiser=LimitedMemory(tiny_model.denoiser, 10))
    with pytest.raises(OutOfMemory, match="out of memory"):
        apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=1)), model, TaskState())


# --- large scans in bounded memory (issue 20) ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]

PEAK = """
import sys
from palette_desktop.cli import main
from palette_desktop.core.memory import peak_resident_bytes
code = main(sys.argv[1:])
print("peak", peak_resident_bytes(), file=sys.stderr)
sys.exit(code)
"""


def _large_photo(data_dir, path: Path, size: tuple[int, int], gray: bool = False) -> Path:
    """A real photo enlarged to ``size``, saved as JPEG (black and white with ``gray``)."""
    image = Image.open(data_dir / "trousers.jpg").resize(size, Image.Resampling.BICUBIC)
    (image.convert("L") if gray else image).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def wide_tiles_model(tmp_path_factory) -> Path:
    """A tiny UNet working at 256 px as the bundled model does: tiles of 512, so a 12 MP
    photo is some fifty quick network calls. Five levels deep, its one attention (in the
    middle, whose memory grows with the square of a tile's pixels) sees 32×32."""
    torch = pytest.importorskip("torch")
    from palette_desktop.model.config import TINY
    from palette_desktop.model.export import export_model
    from palette_desktop.model.unet import PaletteUNet

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("wide-tiles")
    unet = PaletteUNet(replace(TINY, channel_mults=(1, 1, 1, 1, 1), attention_levels=()))
    export_model(unet, folder, name="wide-tiles", card="# test model\n", working_size=256, default_steps=1)
    return folder


def _peak_bytes(arguments: list) -> int:
    """Peak RSS of ``palette-desktop`` run with ``arguments`` in a process of its own."""
    done = subprocess.run([sys.executable, "-c", PEAK, *map(str, arguments)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, MEMORY_VARIABLE: "64G"})
    assert done.returncode == 0, done.stderr
    return int(done.stderr.split("peak ")[-1].split()[0])


WINDOW_PEAK = """
import os, sys, time
from pathlib import Path
from palette_desktop.app.main import make_application
from palette_desktop.app.main_window import MainWindow
from palette_desktop.app.settings import Settings
from palette_desktop.app.worker import ModelSpec
from palette_desktop.core.conditions import Task
from palette_desktop.core.memory import peak_resident_bytes
from palette_desktop.engine.loader import Backend
app = make_application([])
window = MainWindow(Settings(), ModelSpec(Path(sys.argv[1]), Backend.ONNX, "cpu"))
window.show()
while window.model is None:
    app.processEvents()
    time.sleep(0.02)
assert window.open_path(sys.argv[2]) and window.mask_tools.import_mask(sys.argv[3])
window.options_panel.set_steps(1)
ended = []
window.engine.finished.connect(lambda job, photos: ended.append("done"))
window.engine.failed.connect(lambda job, message: ended.append(message))
assert window.run_task(Task.INPAINT) is not None
while not ended:
    app.processEvents()
    time.sleep(0.02)
window.canvas.viewport().repaint()
app.processEvents()
assert ended == ["done"] and window.history.photo_modified(), ended
print("peak", peak_resident_bytes(), file=sys.stderr)
window.history.stack.setClean()
window.engine.shutdown()
os._exit(0)
"""


def _inpaint_mask(path: Path, size: tuple[int, int]) -> Path:
    """A user's mask: a long scratch and a stain."""
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    cv2.line(mask, (width // 10, height // 3), (width // 2, height // 3 + 40), 255, 5)
    cv2.circle(mask, (2 * width // 3, height // 2), width // 40, 255, -1)
    Image.fromarray(mask).save(path)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the peak is read from /proc; Qt offscreen")
def test_the_window_inpaints_a_large_photo_in_bounded_bytes_per_pixel(tmp_path, data_dir, wide_tiles_model):
    """The window adds to the task's own memory what it shows and edits: the photo drawn
    from its own pixels, the mask, its overlay and a uint8 feathered copy (measured 34 B/px
    at 12 MP, the command line's inpaint 15). Drawing from copies of the photo and the
    result and feathering into floats, as the window did before, made 49."""
    peaks = []
    sizes = [(800, 600), (4000, 3000)]
    env = {**os.environ, MEMORY_VARIABLE: "64G", "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PALETTE_DESKTOP_RECOVERY_DIR": str(tmp_path / "recovery")}
    for width, height in sizes:
        photo = _large_photo(data_dir, tmp_path / f"{width}.jpg", (width, height))
        mask = _inpaint_mask(tmp_path / f"{width}-mask.png", (width, height))
        done = subprocess.run([sys.executable, "-c", WINDOW_PEAK, str(wide_tiles_model), str(photo), str(mask)],
                              cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        peaks.append(int(done.stderr.split("peak ")[-1].split()[0]))
    per_pixel = (peaks[1] - peaks[0]) / (sizes[1][0] * sizes[1][1] - sizes[0][0] * sizes[0][1])
    assert per_pixel < 40, f"{per_pixel:.1f} bytes a pixel"


@pytest.mark.skipif(sys.platform == "win32", reason="the peak is read from /proc or the resource module")
@pytest.mark.parametrize("task, limit", [("jpeg", 16), ("colorize", 12), ("inpaint", 22), ("auto", 26)])
def test_a_task_takes_bounded_bytes_per_pixel_of_the_photo(tmp_path, data_dir, wide_tiles_model, task, limit):
    """Peak RSS grows with the photo by what holding it, its result, a mask and the saved
    file take (8-bit, the result as PNG; measured 11, 6, 15 and 21 B/px): 52, 56, 62 and 135
    B/px when whole-photo float32 copies were made; bringing one back (12 B/px) goes over
    the limit."""
    peaks = []
    sizes = [(800, 600), (4000, 3000)]
    for width, height in sizes:
        photo = _large_photo(data_dir, tmp_path / f"{width}.jpg", (width, height), gray=task in ("colorize", "auto"))
        arguments = ["restore", photo, tmp_path / "out.png", "--task", task, "--model", wide_tiles_model, "--steps", "1",
                     "--device", "cpu"]
        if task == "inpaint":
            arguments += ["--mask", _inpaint_mask(tmp_path / "mask.png", (width, height))]
        peaks.append(_peak_bytes(arguments))
    per_pixel = (peaks[1] - peaks[0]) / (sizes[1][0] * sizes[1][1] - sizes[0][0] * sizes[0][1])
    assert per_pixel < limit, f"{task}: {per_pixel:.1f} bytes a pixel"


def test_a_16_bit_scan_is_restored_in_16_bits(tmp_path, data_dir, tiny_model):
    rgb = np.asarray(Image.open(data_dir / "shirt.jpg")).astype(np.uint16) * 257 + 77
    cv2.imwrite(str(tmp_path / "scan16.png"), rgb[..., ::-1])
    photo = load_image(tmp_path / "scan16.png")
    assert photo.pixels.dtype == np.uint16
    for task in (Task.JPEG, Task.COLORIZE):
        out = apply_task(photo, TaskRequest(task, SamplingOptions(steps=1)), tiny_model, TaskState())[0]
        assert out.pixels.dtype == np.uint16 and out.bit_depth == 16
        assert np.any(out.pixels % 257)  # values between those of 8 bits


def test_bands_give_the_values_of_one_pass_over_the_whole_photo(data_dir, monkeypatch):
    """Shrinking and colour transfer a band at a time (a few rows here) are bit for bit the whole-photo results."""
    monkeypatch.setattr("palette_desktop.core.pixels.BAND_PIXELS", 5000)
    pixels = load_image(data_dir / "floor.jpg").pixels
    whole = to_float(pixels)
    assert np.array_equal(area_shrink(pixels, 37, 29), cv2.resize(whole, (37, 29), interpolation=cv2.INTER_AREA))
    colour = cv2.resize(whole, (40, 30), interpolation=cv2.INTER_AREA)[::-1]  # any colours, at another size
    lab = np.dstack([cv2.cvtColor(whole, cv2.COLOR_RGB2Lab)[..., :1],
                     cv2.resize(cv2.cvtColor(colour, cv2.COLOR_RGB2Lab)[..., 1:], whole.shape[1::-1],
                                interpolation=cv2.INTER_CUBIC)])
    expected = np.round(np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0, 1) * 255).astype(np.uint8)
    assert np.array_equal(transfer_chroma(pixels, colour), expected)


def test_tiles_blended_a_band_at_a_time_are_the_whole_photo_blend_to_the_bit(monkeypatch):
    """Clean Up's tiles, blended as rows are finished, against one float32 buffer of the whole photo."""
    monkeypatch.setattr("palette_desktop.core.pixels.BAND_PIXELS", 3000)  # bands of a dozen rows
    rng = np.random.default_rng(3)
    (h, w), (th, tw), overlap = (300, 250), (96, 80), 12
    starts = [(y, x) for y in tile_starts(h, th, overlap) for x in tile_starts(w, tw, overlap)]
    weight = blend_weight(th, tw, overlap)[..., None]
    tiles = rng.random((len(starts), 2, th, tw, 3), dtype=np.float32)  # two candidates
    total, weight_sum = np.zeros((2, h, w, 3), np.float32), np.zeros((h, w, 1), np.float32)
    for (y, x), tile in zip(starts, tiles):
        total[:, y:y + th, x:x + tw] += tile * weight
        weight_sum[y:y + th, x:x + tw] += weight
    out = np.full((2, h, w, 3), np.nan, np.float32)

    def emit(rows: slice, values: np.ndarray) -> None:
        out[:, rows] = values

    blend = RowBlend((h, w, 3), 2, (th, tw), starts, weight, emit)
    for first in range(0, len(starts), 3):  # three tiles a network call
        for (y, x), tile in zip(starts[first:first + 3], tiles[first:first + 3]):
            blend.add(y, x, tile)
        blend.finish_above(starts[first + 3][0] if first + 3 < len(starts) else h)
    assert np.array_equal(out, total / weight_sum)


def test_boxes_and_differences_found_a_band_at_a_time_are_those_of_the_whole(monkeypatch):
    monkeypatch.setattr("palette_desktop.core.pixels.BAND_PIXELS", 2000)
    rng = np.random.default_rng(5)
    for spots in (0, 1, 7):
        mask = np.zeros((180, 130), np.float32)
        for y, x in rng.integers(0, (180, 130), (spots, 2)):
            mask[y, x] = rng.uniform(0.1, 1)
        ys, xs = np.nonzero(mask)
        assert bounding_box(mask) == (Box(xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) if spots else None)
        before = rng.integers(0, 256, (180, 130, 3), np.uint8)
        after = np.where(mask[..., None] > 0, before ^ 1, before)
        assert np.array_equal(differing(before, after), mask > 0)


# --- a photo too large for the memory, refused before any work ---------------------------------

def test_too_large_a_photo_is_refused_before_it_is_read_saying_what_fits(tmp_path, data_dir, monkeypatch):
    big = _large_photo(data_dir, tmp_path / "big.jpg", (4000, 3000))
    monkeypatch.setenv(MEMORY_VARIABLE, "800M")  # 0.84 GB, as the system would say it
    with pytest.raises(NotEnoughMemory) as refused:
        load_image(big)
    line = str(refused.value)
    found = re.fullmatch(r"big\.jpg: 12 MP needs about (\d+\.\d) GB; 0\.8 GB is free — about (\d+) MP fits", line)
    assert found, line
    fits = int(found[2]) * 1_000_000
    assert 1 <= fits / 1e6 < 12
    smaller = _large_photo(data_dir, tmp_path / "smaller.jpg", (round((fits * 4 / 3) ** 0.5), round((fits * 3 / 4) ** 0.5)))
    assert load_image(smaller).size[0] > 1000  # what the line says fits does fit


def test_a_photo_refused_by_a_little_needs_more_than_is_free_as_the_line_says_it(monkeypatch):
    """Near the edge both figures round to the same tenth of a GB: the line must not read "needs
    about 0.8 GB; 0.8 GB is free"."""
    pixels = 10_000_000
    need = FIXED_BYTES + pixels * bytes_per_pixel("jpeg", False)
    monkeypatch.setenv(MEMORY_VARIABLE, str(int(need) - 2_000_000))
    with pytest.raises(NotEnoughMemory) as refused:
        check_fits("scan.jpg", pixels, bytes_per_pixel("jpeg", False))
    found = re.fullmatch(r"scan\.jpg: 10 MP needs about (\d+\.\d) GB; (\d+\.\d) GB is free — about 9 MP fits",
                         str(refused.value))
    assert found, str(refused.value)
    assert float(found[1]) > float(found[2])


def test_the_line_never_says_the_refused_size_fits(monkeypatch):
    monkeypatch.setenv(MEMORY_VARIABLE, str(FIXED_BYTES + 84_300_000 * 10))  # room for 84.3 MP
    with pytest.raises(NotEnoughMemory, match=r"^scan\.tif: 85 MP needs about .* about 84 MP fits$"):
        check_fits("scan.tif", 84_400_000, 10.0)
    # a float photo held can count as much as the task takes: refused all the same, in one line
    monkeypatch.setenv(MEMORY_VARIABLE, "100M")
    with pytest.raises(NotEnoughMemory, match="close other programs"):
        check_fits("made.tif", 50_000_000, 16.0, held_per_pixel=16.0)


def test_the_cli_refuses_in_one_line_and_writes_nothing(tmp_path, data_dir, tiny_model_dir):
    big = _large_photo(data_dir, tmp_path / "big.jpg", (4000, 3000))
    done = subprocess.run([sys.executable, "-m", "palette_desktop", "restore", big, tmp_path / "out.png", "--task", "jpeg",
                           "--model", tiny_model_dir], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, MEMORY_VARIABLE: "800M"})
    assert done.returncode == 1
    assert re.fullmatch(r"palette-desktop: big\.jpg: 12 MP needs about \d+\.\d GB; 0\.8 GB is free — about \d+ MP fits\n",
                        done.stderr), done.stderr
    assert not (tmp_path / "out.png").exists()


def _room_for_one_result_not_four(task: str, photo) -> str:
    """A memory setting between what ``task`` on the opened ``photo`` takes with one result and with four."""
    pixels = photo.size[0] * photo.size[1]
    one, four = (FIXED_BYTES + pixels * bytes_per_pixel(task, False, k) - photo.pixels.nbytes for k in (1, 4))
    return str(int((one + four) / 2))


def test_more_candidates_than_fit_are_refused_before_the_model_runs(tmp_path, data_dir, tiny_model, monkeypatch):
    photo = load_image(_large_photo(data_dir, tmp_path / "big.jpg", (4000, 3000)))
    monkeypatch.setenv(MEMORY_VARIABLE, _room_for_one_result_not_four("colorize", photo))
    model = replace(tiny_model, denoiser=LimitedMemory(tiny_model.denoiser, 10**9))
    assert not model.ignores_noise  # asked (and kept) before the network is taken away: its candidates differ
    calls = []
    model.denoiser.denoise = lambda *batch: calls.append(batch)
    with pytest.raises(NotEnoughMemory, match=r"^colorize with 4 results: 12 MP needs about"):
        apply_task(photo, TaskRequest(Task.COLORIZE, SamplingOptions(steps=2, candidates=4)), model, TaskState())
    assert calls == []


def test_candidates_that_would_be_one_picture_need_the_memory_of_one(tmp_path, data_dir, tiny_model, monkeypatch):
    """Clean Up in one network step makes one result however many are asked, so memory for one is enough."""
    photo = load_image(_large_photo(data_dir, tmp_path / "big.jpg", (1200, 900)))
    monkeypatch.setenv(MEMORY_VARIABLE, _room_for_one_result_not_four("jpeg", photo))
    out = apply_task(photo, TaskRequest(Task.JPEG, SamplingOptions(steps=1, candidates=4)), tiny_model, TaskState())
    assert len(out) == 1 and out[0].size == (1200, 900)


@pytest.mark.parametrize("text, size", [("4G", 4 << 30), ("1500M", 1500 << 20), ("1.5g", 3 << 29), ("2GB", 2 << 30),
                                        ("800000000", 800_000_000)])
def test_the_memory_setting_reads_as_people_write_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-2G", "0", "infG"])
def test_a_memory_setting_that_is_no_size_says_how_to_write_one(monkeypatch, text):
    monkeypatch.setenv(MEMORY_VARIABLE, text)
    with pytest.raises(PaletteError, match=rf"^{MEMORY_VARIABLE}='{re.escape(text)}': give a size such as 4G or 1500M$"):
        available_memory()


def _cgroup_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_cgroup_v2_limit_above_the_process_counts_less_its_use_and_plus_its_page_cache(tmp_path):
    from palette_desktop.core.cgroup import cgroup_room

    root = tmp_path / "cgroup"
    _cgroup_files(root, {"cgroup.controllers": "cpu memory pids\n",
                         "user.slice/memory.max": f"{2 << 30}\n", "user.slice/memory.current": f"{500 << 20}\n",
                         "user.slice/memory.stat": f"anon {400 << 20}\ninactive_file {100 << 20}\nactive_file 0\n",
                         "user.slice/app.scope/memory.max": "max\n",
                         "user.slice/app.scope/memory.current": f"{400 << 20}\n"})
    (tmp_path / "membership").write_text("0::/user.slice/app.scope\n")
    assert cgroup_room(tmp_path / "membership", root) == (2 << 30) - (500 << 20) + (100 << 20)


def test_a_containers_cgroup_v1_limit_is_read_at_its_mount_when_its_own_path_is_not_there(tmp_path):
    from palette_desktop.core.cgroup import cgroup_room

    root = tmp_path / "cgroup"
    _cgroup_files(root, {"memory/memory.limit_in_bytes": f"{1 << 30}\n", "memory/memory.usage_in_bytes": f"{300 << 20}\n",
                         "memory/memory.stat": "cache 0\ntotal_inactive_file 0\n"})
    (tmp_path / "membership").write_text("5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n")
    assert cgroup_room(tmp_path / "membership", root) == (1 << 30) - (300 << 20)
    (root / "memory/memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
    assert cgroup_room(tmp_path / "membership", root) is None
    assert cgroup_room(tmp_path / "no such file", root) is None
