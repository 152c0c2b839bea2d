"""Each task's invariant on a real photo, with a tiny exported model on ONNX Runtime."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from palette_desktop.core.color import lightness
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import Cancelled, TaskError
from palette_desktop.core.imageio import load_image
from palette_desktop.core.pixels import to_float
from palette_desktop.core.progress import TaskState
from palette_desktop.core.tiling import even_tiles
from palette_desktop.tasks.common import SamplingOptions, Walk
from palette_desktop.tasks.extend import Margins, margins_for_aspect
from palette_desktop.tasks.inpaint import plan_windows
from palette_desktop.core.masks import Box, draw_stroke
from palette_desktop.tasks.run import TaskRequest, apply_task

FAST = SamplingOptions(steps=2)


def test_colorize_keeps_the_photos_own_lightness(shirt, tiny_model):
    gray = shirt.with_pixels(np.repeat(shirt.pixels.mean(axis=2, keepdims=True).round().astype(np.uint8), 3, axis=2),
                             grayscale=True)
    out = apply_task(gray, TaskRequest(Task.COLORIZE, FAST), tiny_model, TaskState())[0]
    assert out.size == gray.size
    assert np.abs(lightness(out.pixels) - lightness(gray.pixels)).mean() < 0.5
    assert not out.grayscale


def test_inpaint_leaves_unmasked_pixels_bit_identical(shirt, scratch_mask, tiny_model):
    outs = apply_task(shirt, TaskRequest(Task.INPAINT, SamplingOptions(steps=2, candidates=2), mask=scratch_mask),
                      tiny_model, TaskState())
    assert len(outs) == 2
    for out in outs:
        assert np.array_equal(out.pixels[scratch_mask == 0], shirt.pixels[scratch_mask == 0])
        assert not np.array_equal(out.pixels[scratch_mask > 0], shirt.pixels[scratch_mask > 0])
    assert not np.array_equal(outs[0].pixels, outs[1].pixels)


def test_inpaint_on_a_photo_larger_than_the_working_size(tiny_model, data_dir):
    big = load_image(data_dir / "trousers.jpg")
    big = big.with_pixels(np.tile(big.pixels, (2, 3, 1)))  # 360×320: several windows at 64 px
    mask = np.zeros(big.pixels.shape[:2], np.float32)
    mask[10:300, 100:103] = 1  # a long thin scratch: native-resolution tiles
    mask[200:290, 200:330] = 1  # a large hole: one downscaled window
    state = TaskState()
    out = apply_task(big, TaskRequest(Task.INPAINT, FAST, mask=mask), tiny_model, state)[0]
    assert np.array_equal(out.pixels[mask == 0], big.pixels[mask == 0])
    assert state.done == state.total > 2 * FAST.steps


def test_thin_strokes_use_native_tiles_and_holes_a_scaled_window():
    mask = np.zeros((1000, 1000), np.float32)
    mask[100:900, 500:504] = 1
    windows = plan_windows(mask, Box(0, 0, 1000, 1000), 256)
    assert len(windows) > 1 and all(w.scale == 1.0 for w in windows)
    covered = np.zeros_like(mask, bool)
    for w in windows:
        covered[w.commit.slices()] = True
    assert covered[mask > 0].all()
    assert {(w.box.width, w.box.height) for w in windows} == {(64, 64)}  # a scratch: small tiles
    mask[100:900, 500:524] = 1
    assert {(w.box.width, w.box.height) for w in plan_windows(mask, Box(0, 0, 1000, 1000), 256)} == {(128, 128)}
    mask[:] = 0
    mask[200:700, 200:700] = 1
    (window,) = plan_windows(mask, Box(0, 0, 1000, 1000), 256)
    assert window.scale < 1.0 and window.box.width >= 500


def test_a_scratch_gets_tiles_along_it_and_a_stain_in_its_box_a_window_of_its_own():
    mask = np.zeros((768, 1024), np.float32)
    draw_stroke(mask, [(50, 40), (400, 300), (900, 700)], radius=3)  # a long 7 px scratch
    draw_stroke(mask, [(700, 200)], radius=60)  # a 120 px stain, inside the scratch's box
    region = Box(0, 0, 1024, 768)
    windows = plan_windows(mask, region, 256)
    stain, tiles = windows[0], windows[1:]  # the hole first: the scratch's tiles then see it filled
    assert stain.walk is Walk.GENERATE and stain.scale == 1.0
    assert stain.box.x0 <= 640 and stain.box.x1 >= 760 and stain.box.y0 <= 140 and stain.box.y1 >= 260
    assert all(t.walk is Walk.RESTORE and t.scale == 1.0 and (t.box.width, t.box.height) == (64, 64)
               for t in tiles)
    covered = np.zeros(mask.shape, bool)
    for w in windows:
        assert region.x0 <= w.box.x0 <= w.commit.x0 < w.commit.x1 <= w.box.x1 <= region.x1
        assert region.y0 <= w.box.y0 <= w.commit.y0 < w.commit.y1 <= w.box.y1 <= region.y1
        covered[w.commit.slices()] = True
    assert covered[mask > 0].all()
    # 48 px commits that follow the scratch: under 1.25 times the pixels of one 256² window
    # (a fixed grid of 96 px commits over its 857×667 box would need 16 tiles of 128², 4 windows)
    assert len(tiles) * 64 * 64 <= 1.25 * 256 * 256


def test_progress_counts_every_network_evaluation_of_every_window(shirt, scratch_mask, tiny_model):
    batches = []

    class Counting:
        name = tiny_model.denoiser.name

        def denoise(self, noisy, gamma, condition):
            batches.append(noisy.shape[0])
            return tiny_model.denoiser.denoise(noisy, gamma, condition)

    state = TaskState()
    model = tiny_model.__class__(tiny_model.manifest, Counting(), tiny_model.directory)
    apply_task(shirt, TaskRequest(Task.INPAINT, SamplingOptions(steps=12), mask=scratch_mask), model, state)
    assert state.done == state.total == sum(batches)
    # the blob: 6 steps (half of 12) on its own; the scratch's tiles: one step, together
    assert batches[:6] == [1] * 6 and len(batches) == 7 and batches[6] > 2


def test_soft_mask_edges_blend_only_inside_the_mask(shirt, tiny_model):
    from palette_desktop.core.masks import feather

    mask = np.zeros(shirt.pixels.shape[:2], np.float32)
    mask[30:80, 40:120] = 1
    mask[100, 20] = 1  # a lone painted pixel, which a Gaussian of 4 px nearly wipes out
    soft = feather(mask, 8)
    assert soft.dtype == np.uint8 and 0 < soft[30, 60] < 255 and soft[55, 80] == 255
    assert np.array_equal(soft > 0, mask > 0)  # no painted pixel dropped, nothing outside added
    out = apply_task(shirt, TaskRequest(Task.INPAINT, FAST, mask=soft), tiny_model, TaskState())[0]
    assert np.array_equal(out.pixels[soft == 0], shirt.pixels[soft == 0])


def test_extend_size_and_placement(shirt, tiny_model):
    out = apply_task(shirt, TaskRequest(Task.EXTEND, FAST, margins=Margins(20, 10, 30, 0)), tiny_model, TaskState())[0]
    assert out.size == (160 + 50, 120 + 10)
    assert np.array_equal(out.pixels[10:130, 20:180], shirt.pixels)


def test_extend_to_an_aspect_ratio(shirt, tiny_model):
    margins = margins_for_aspect(160, 120, 4, 5)
    assert (margins.top + margins.bottom, margins.left + margins.right) == (80, 0)
    out = apply_task(shirt, TaskRequest(Task.EXTEND, FAST, margins=margins), tiny_model, TaskState())[0]
    assert out.size == (160, 200)


def test_jpeg_keeps_the_size_and_blends_tiles(tiny_model, data_dir):
    photo = load_image(data_dir / "trousers.jpg")
    state = TaskState()
    out = apply_task(photo, TaskRequest(Task.JPEG, FAST), tiny_model, state)[0]
    assert out.size == photo.size
    # 120×160 in two 120×88 tiles (at most twice the working size of 64, overlapping by
    # 8), each one network evaluation: the input nearly decides a JPEG restoration
    assert state.done == state.total == 2
    assert np.abs(to_float(out.pixels) - to_float(photo.pixels)).mean() < 0.2


def test_the_tiles_of_a_narrow_strip_share_one_network_call(shirt, tiny_model):
    strip = shirt.with_pixels(np.ascontiguousarray(np.tile(shirt.pixels[:40], (1, 2, 1))[:, :300]))
    batches = []

    class Counting:
        name = tiny_model.denoiser.name

        def denoise(self, noisy, gamma, condition):
            batches.append(noisy.shape)
            return tiny_model.denoiser.denoise(noisy, gamma, condition)

    state = TaskState()
    model = tiny_model.__class__(tiny_model.manifest, Counting(), tiny_model.directory)
    out = apply_task(strip, TaskRequest(Task.JPEG, SamplingOptions(steps=12)), model, state)[0]
    assert batches == [(3, 3, 40, 106)]  # three 106 px tiles: together less than one 128² tile
    assert state.done == state.total == 3
    assert out.size == (300, 40) and np.abs(to_float(out.pixels) - to_float(strip.pixels)).mean() < 0.2


@pytest.mark.parametrize("length, max_tile, count", [(1024, 512, 3), (768, 512, 2), (300, 512, 1), (513, 512, 2),
                                                    (1000, 256, 5)])
def test_even_tiles_cover_the_length_with_the_fewest_tiles(length, max_tile, count):
    size, starts = even_tiles(length, max_tile, 32, 8)
    assert len(starts) == count and size <= max_tile and (size % 8 == 0 or size == length)
    assert starts[0] == 0 and starts[-1] + size == length
    assert all(32 <= a + size - b for a, b in zip(starts, starts[1:]))  # every seam overlaps by 32 px or more


def test_gray_photo_stays_gray_outside_colorize(shirt, scratch_mask, tiny_model):
    gray = shirt.with_pixels(np.repeat(shirt.pixels[..., 1:2], 3, axis=2), grayscale=True)
    out = apply_task(gray, TaskRequest(Task.INPAINT, FAST, mask=scratch_mask), tiny_model, TaskState())[0]
    assert np.array_equal(out.pixels[..., 0], out.pixels[..., 2])


def test_same_seed_same_bits(shirt, scratch_mask, tiny_model):
    request = TaskRequest(Task.INPAINT, SamplingOptions(steps=2, seed=5), mask=scratch_mask)
    a = apply_task(shirt, request, tiny_model, TaskState())[0]
    b = apply_task(shirt, request, tiny_model, TaskState())[0]
    c = apply_task(shirt, TaskRequest(Task.INPAINT, SamplingOptions(steps=2, seed=6), mask=scratch_mask),
                   tiny_model, TaskState())[0]
    assert np.array_equal(a.pixels, b.pixels)
    assert not np.array_equal(a.pixels, c.pixels)


def test_cancel_stops_within_one_step(shirt, tiny_model):
    seen = []
    state = TaskState(on_step=lambda report: (seen.append(report.done), report.done == 3 and state.cancel()))
    with pytest.raises(Cancelled):
        apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=50)), tiny_model, state)
    assert seen == [1, 2, 3]


def test_cancel_from_another_thread(shirt, tiny_model):
    state = TaskState(on_step=lambda report: started.set())
    started = threading.Event()
    errors = []

    def work():
        try:
            apply_task(shirt, TaskRequest(Task.JPEG, SamplingOptions(steps=1000)), tiny_model, state)
        except Cancelled as exc:
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(10)
    state.cancel()
    worker.join(10)
    assert not worker.is_alive() and errors and state.done < 1000 * 9


@pytest.mark.parametrize("request_, message", [
    (TaskRequest(Task.INPAINT, FAST, mask=np.zeros((120, 160), np.float32)), "mask is empty"),
    (TaskRequest(Task.INPAINT, FAST, mask=np.ones((10, 10), np.float32)), "mask is 10×10"),
    (TaskRequest(Task.EXTEND, FAST, margins=Margins()), "every margin is 0"),
    (TaskRequest(Task.EXTEND, FAST, margins=Margins(-1, 0, 0, 0)), "negative"),
    (TaskRequest(Task.EXTEND, FAST, margins=Margins(10000, 0, 0, 0)), "at most"),
])
def test_bad_task_parameters_are_refused(shirt, tiny_model, request_, message):
    with pytest.raises(TaskError, match=message):
        apply_task(shirt, request_, tiny_model, TaskState())


def test_alpha_follows_the_photo(shirt, tiny_model):
    alpha = np.full(shirt.pixels.shape[:2], 0.5, np.float32)
    with_alpha = shirt.__class__(shirt.pixels, alpha)
    out = apply_task(with_alpha, TaskRequest(Task.EXTEND, FAST, margins=Margins(8, 0, 0, 0)), tiny_model, TaskState())[0]
    assert out.alpha.shape == (120, 168) and out.alpha[0, 0] == 1.0 and out.alpha[0, 8] == 0.5
