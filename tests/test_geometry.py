"""Quarter turns, crops and straightening on real pixels; the geometry of levelling a line."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from palette_desktop.core.geometry import (Crop, QuarterTurn, Straighten, box_from_corners, fit_aspect, level_angle,
                                           level_crop_size)
from palette_desktop.core.masks import Box
from palette_desktop.core.pixels import to_float


def test_quarter_turns_move_every_pixel_exactly(shirt):
    pixels = shirt.pixels
    h, w = pixels.shape[:2]
    cw = QuarterTurn(clockwise=True).apply(pixels)
    assert cw.shape == (w, h, 3) and cw.flags.c_contiguous
    # clockwise: the left column becomes the top row, read from the bottom up
    assert np.array_equal(cw[0], pixels[::-1, 0])
    assert np.array_equal(cw[:, -1], pixels[0])
    ccw = QuarterTurn(clockwise=False).apply(pixels)
    assert np.array_equal(ccw[0], pixels[:, -1])
    assert np.array_equal(QuarterTurn(clockwise=False).apply(cw), pixels)
    four = pixels
    for _ in range(4):
        four = QuarterTurn(clockwise=True).apply(four)
    assert np.array_equal(four, pixels)


@pytest.mark.parametrize("transform", [QuarterTurn(True), QuarterTurn(False), Crop(Box(10, 5, 100, 70)),
                                       Crop(Box(60, 40, 150, 110))])
def test_a_placed_array_lands_where_the_canvas_puts_it(shirt, transform):
    """The original inside an extended canvas stays aligned with it after the edit."""
    original = shirt.pixels[10:90, 20:130]  # 110 × 80, placed at (30, 25) in a 160 × 120 canvas
    canvas = np.zeros((120, 160, 3), np.float32)
    canvas[25:105, 30:140] = original
    edited = transform.apply(canvas)
    placed, (x, y) = transform.place(original, (30, 25), (160, 120))
    h, w = placed.shape[:2]
    assert np.array_equal(edited[y:y + h, x:x + w], placed)
    # and nothing of it is left out
    assert np.count_nonzero(edited.any(axis=2)) == np.count_nonzero(placed.any(axis=2))


def test_a_crop_that_misses_the_placed_array_leaves_nothing_of_it():
    assert Crop(Box(0, 0, 20, 20)).place(np.ones((10, 10)), (40, 40), (100, 100)) is None


@pytest.mark.parametrize("start, end, expected", [
    ((0, 0), (100, 0), 0.0),
    ((0, 0), (100, 10), -math.degrees(math.atan2(10, 100))),  # falls to the right: turn it back
    ((100, 10), (0, 0), -math.degrees(math.atan2(10, 100))),  # drawn the other way: the same
    ((0, 10), (100, 0), math.degrees(math.atan2(10, 100))),
    ((50, 0), (55, 100), math.degrees(math.atan2(5, 100))),  # a leaning wall: made upright
    ((55, 100), (50, 0), math.degrees(math.atan2(5, 100))),
    ((0, 0), (0, 100), 0.0),
    ((3, 3), (3, 3), 0.0),
])
def test_level_angle_levels_horizons_and_verticals(start, end, expected):
    assert level_angle(start, end) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("w, h, degrees", [(160, 120, 0.0), (160, 120, 3.0), (120, 160, -7.5), (300, 100, 20.0),
                                           (100, 100, 45.0)])
def test_the_level_crop_keeps_the_aspect_and_lies_inside_the_turned_photo(w, h, degrees):
    cw, ch = level_crop_size(w, h, degrees)
    if degrees == 0:
        assert (cw, ch) == (w, h)
    assert abs(cw / ch - w / h) < 2.5 / min(cw, ch)

    def inside(bw: float, bh: float) -> bool:
        """Whether the centred bw × bh box, turned back by the angle, lies inside the photo."""
        a = math.radians(degrees)
        c, s = math.cos(a), math.sin(a)
        return all(abs(x * c + y * s) <= w / 2 + 1e-6 and abs(-x * s + y * c) <= h / 2 + 1e-6
                   for x in (-bw / 2, bw / 2) for y in (-bh / 2, bh / 2))

    assert inside(cw, ch)
    assert not inside(cw * 1.02, ch * 1.02)  # and it is the largest


def tilted_horizon(w: int, h: int, degrees: float) -> np.ndarray:
    """Dark sky over a bright sea, the horizon through the centre falling ``degrees`` to the right."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = math.tan(math.radians(degrees))
    below = ys - (h - 1) / 2 - (xs - (w - 1) / 2) * t
    image = np.where(below > 0, 0.75, 0.3).astype(np.float32)
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    return np.repeat(image[..., None], 3, axis=2)


def horizon_rows(pixels: np.ndarray) -> np.ndarray:
    """Sub-pixel row of the dark-to-bright edge in each column."""
    gray = pixels[..., 0]
    return (gray < 0.525).sum(axis=0).astype(np.float64)


def test_straightening_a_tilted_horizon_makes_it_level_without_empty_corners():
    w, h, tilt = 240, 160, 6.0
    image = tilted_horizon(w, h, tilt)
    rows = horizon_rows(image)
    assert rows[-1] - rows[0] > 20  # visibly tilted before
    angle = level_angle((20, (h - 1) / 2 + (20 - (w - 1) / 2) * math.tan(math.radians(tilt))),
                        (220, (h - 1) / 2 + (220 - (w - 1) / 2) * math.tan(math.radians(tilt))))
    assert angle == pytest.approx(-tilt, abs=1e-6)
    result = Straighten(angle, w, h).apply(image)
    assert result.shape[:2][::-1] == level_crop_size(w, h, angle)
    rows = horizon_rows(result)
    assert rows.max() - rows.min() <= 1.0  # level to a pixel across the width
    assert abs(rows.mean() - result.shape[0] / 2) < 1.5  # still through the centre
    assert result.min() > 0.28 and result.max() < 0.77  # no black corners (bicubic rings by ~1 %)
    assert result.dtype == np.float32


def test_a_straightened_placed_array_matches_the_straightened_canvas(shirt):
    original = to_float(shirt.pixels)[10:90, 20:130]
    canvas = np.zeros((120, 160, 3), np.float32)
    canvas[25:105, 30:140] = original
    t = Straighten(4.0, 160, 120)
    edited = t.apply(canvas)
    placed, (x, y) = t.place(original, (30, 25), (160, 120))
    h, w = placed.shape[:2]
    where = np.zeros((120, 160), np.float32)
    where[25:105, 30:140] = 1.0
    # compared where the turned original covers the result, a few pixels in from its edge
    inside = cv2.erode((t.apply(where) > 0.999).astype(np.uint8), np.ones((7, 7), np.uint8))[y:y + h, x:x + w] > 0
    assert inside.sum() > 0.7 * w * h
    assert np.abs(edited[y:y + h, x:x + w][inside] - placed[inside]).max() < 1e-5


def test_corner_drags_and_aspect_fits_stay_in_bounds():
    bounds = Box(0, 0, 160, 120)
    assert box_from_corners((20, 30), (80, 70), bounds) == Box(20, 30, 80, 70)
    assert box_from_corners((80, 70), (20, 30), bounds) == Box(20, 30, 80, 70)
    assert box_from_corners((100, 60), (400, -50), bounds) == Box(100, 0, 160, 60)
    square = box_from_corners((100, 60), (400, 90), bounds, ratio=1.0)
    assert square.width == square.height == 60 and square.x0 == 100
    wide = fit_aspect(bounds, 16 / 9, bounds)
    assert wide.width == 160 and wide.height == 90 and wide.y0 == 15
    tall = fit_aspect(Box(100, 0, 160, 120), 4 / 5, bounds)
    assert tall.width == 60 and tall.height == 75 and bounds.x1 >= tall.x1
