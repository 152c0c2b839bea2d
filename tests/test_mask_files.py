"""Mask PNGs in the CLI's --mask format (white = replace) and lasso polygons."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from palette_desktop.core.errors import ImageError, TaskError
from palette_desktop.core.masks import polygon_mask, read_mask_file, write_mask_file


def test_a_written_mask_reads_back_as_the_same_mask(tmp_path, scratch_mask):
    soft = scratch_mask.copy()
    soft[5:10, 5:10] = 0.5
    path = write_mask_file(soft, tmp_path / "scratch.png")
    with Image.open(path) as im:
        assert im.mode == "L" and im.size == (soft.shape[1], soft.shape[0])
        assert np.asarray(im)[soft > 0.999].min() == 255 and np.asarray(im)[7, 7] == 128
    back = read_mask_file(path, (soft.shape[1], soft.shape[0]))
    assert np.abs(back - soft).max() <= 0.5 / 255 + 1e-6
    assert np.array_equal(back > 0, soft > 0)
    assert [p.name for p in tmp_path.iterdir()] == ["scratch.png"]  # no temporary file left


def test_a_mask_of_another_size_is_refused_in_one_line(tmp_path):
    path = write_mask_file(np.ones((80, 100), np.float32), tmp_path / "small.png")
    with pytest.raises(TaskError) as info:
        read_mask_file(path, (160, 120))
    message = str(info.value)
    assert "\n" not in message and "100×80" in message and "160×120" in message


def test_masks_are_only_written_as_png(tmp_path):
    with pytest.raises(ImageError, match="PNG"):
        write_mask_file(np.ones((8, 8), np.float32), tmp_path / "mask.jpg")
    assert not any(tmp_path.iterdir())


def test_a_polygon_fills_its_inside_with_soft_edges():
    mask = polygon_mask((100, 80), [(10, 10), (90, 10), (50, 70)])
    assert mask.shape == (80, 100) and mask.dtype == np.float32
    assert mask[20, 50] == 1.0 and mask[60, 50] == 1.0  # inside the triangle
    assert mask[60, 15] == 0.0 and mask[5, 50] == 0.0 and mask[75, 50] == 0.0  # outside
    assert 0 < np.count_nonzero((mask > 0) & (mask < 1))  # anti-aliased edge
    perimeter = 80 + 2 * np.hypot(40, 60)
    assert 0.5 * 80 * 60 <= mask.sum() <= 0.5 * 80 * 60 + perimeter  # its inside and the line drawn, no more
    assert not polygon_mask((10, 10), [(1, 1), (5, 5)]).any()  # two points enclose nothing
