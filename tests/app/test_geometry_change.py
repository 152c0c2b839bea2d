"""The undo step of a crop or turn: alpha, mask and the compare's original go with the photo."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from palette_desktop.app.document import Document, PhotoChange
from palette_desktop.app.geometry_change import GeometryChange
from palette_desktop.core.geometry import Crop, QuarterTurn, Straighten
from palette_desktop.core.imageio import Photo
from palette_desktop.core.masks import Box
from palette_desktop.core.pixels import to_float


def test_alpha_and_mask_turn_with_the_photo_and_undo_restores_the_same_arrays(shirt, scratch_mask):
    alpha = np.linspace(0, 1, 160 * 120, dtype=np.float32).reshape(120, 160)
    doc = Document(replace(shirt, alpha=alpha), mask=scratch_mask)
    photo, mask = doc.photo, doc.mask
    change = GeometryChange(doc, QuarterTurn(clockwise=False))
    change.redo(doc)
    assert np.array_equal(doc.photo.alpha, np.rot90(alpha)) and np.array_equal(doc.mask, np.rot90(scratch_mask))
    assert doc.original is doc.photo  # nothing else done yet: one array serves both
    assert change.nbytes == doc.photo.pixels.nbytes + doc.photo.alpha.nbytes + doc.mask.nbytes
    change.undo(doc)
    assert doc.photo is photo and doc.mask is mask and doc.original is photo


def test_a_crop_that_leaves_nothing_of_the_original_compares_with_the_photo_as_it_is(shirt):
    doc = Document(shirt)
    wider = np.zeros((120, 260, 3), shirt.pixels.dtype)
    wider[:, 100:] = shirt.pixels
    PhotoChange(doc, Photo(wider), "Extend", shift=(100, 0)).redo(doc)
    GeometryChange(doc, Crop(Box(0, 0, 90, 120))).redo(doc)  # only the new border is kept
    assert doc.original is doc.photo and doc.origin == (0, 0)
    assert doc.size == (90, 120)


def test_a_straightened_original_keeps_its_place_after_extend(shirt):
    doc = Document(shirt)
    wider = np.zeros((120, 200, 3), shirt.pixels.dtype)
    wider[:, 40:] = shirt.pixels
    PhotoChange(doc, Photo(wider), "Extend", shift=(40, 0)).redo(doc)
    change = GeometryChange(doc, Straighten(3.0, *doc.size))
    change.redo(doc)
    x, y = doc.origin
    h, w = doc.original.pixels.shape[:2]
    assert 0 < x < 40 and y == 0 and x + w <= doc.size[0] and h == doc.size[1]
    # the shirt's middle lines up in both
    cy, cx = h // 2, w // 2
    assert np.abs(to_float(doc.photo.pixels[y + cy, x + cx]) - to_float(doc.original.pixels[cy, cx])).max() <= 1 / 255
    assert change.nbytes == doc.photo.pixels.nbytes + doc.mask.nbytes + doc.original.pixels.nbytes
