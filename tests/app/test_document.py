"""The document and its changes, without Qt: undo restores pixels exactly and costs only what changed."""

from __future__ import annotations

import numpy as np

from palette_desktop.app.document import Document, Patch, PhotoChange, mask_change, stroke_change


def test_a_stroke_keeps_only_the_pixels_under_it(shirt):
    doc = Document(shirt)
    change = stroke_change(doc.mask, [(20, 30), (60, 30)], radius=4)
    assert change.patch.box.width < 60 and change.patch.box.height < 16
    change.redo(doc)
    assert doc.mask[30, 20:61].min() == 1.0 and doc.mask[40:].max() == 0.0
    painted = doc.mask.copy()
    change.undo(doc)
    assert not doc.mask.any()
    change.redo(doc)
    assert np.array_equal(doc.mask, painted)


def test_erasing_only_removes(shirt):
    doc = Document(shirt)
    stroke_change(doc.mask, [(10, 10), (100, 10)], radius=5).redo(doc)
    erase = stroke_change(doc.mask, [(50, 10), (50, 60)], radius=3, erase=True)
    erase.redo(doc)
    assert doc.mask[10, 50] == 0.0 and doc.mask[10, 20] == 1.0 and doc.mask[40, 50] == 0.0
    assert stroke_change(doc.mask, [(50, 90)], radius=3, erase=True) is None  # nothing there to erase


def test_a_local_result_is_stored_as_a_patch_and_undone_exactly(shirt):
    doc = Document(shirt)
    mask_change(doc.mask, np.pad(np.ones((10, 10), np.float32), ((50, 60), (70, 80))), "mask").redo(doc)
    pixels = shirt.pixels.copy()
    pixels[50:60, 70:80] = 0.25
    change = PhotoChange(doc, shirt.with_pixels(pixels), "Inpaint")
    assert not change._pixels.whole and change.nbytes < shirt.pixels.nbytes / 20
    change.redo(doc)
    assert np.array_equal(doc.photo.pixels, pixels) and not doc.mask.any()  # inpaint used the mask up
    change.undo(doc)
    assert np.array_equal(doc.photo.pixels, shirt.pixels) and doc.mask[55, 75] == 1.0


def test_an_extend_moves_the_original_and_keeps_the_mask_in_place(shirt):
    doc = Document(shirt)
    mask_change(doc.mask, np.pad(np.ones((4, 4), np.float32), ((10, 106), (20, 136))), "mask").redo(doc)
    big = np.pad(shirt.pixels, ((5, 7), (11, 13), (0, 0)), mode="edge")
    change = PhotoChange(doc, shirt.with_pixels(big), "Extend", shift=(11, 5), keep_mask=True)
    change.redo(doc)
    assert doc.photo.size == (160 + 24, 120 + 12) and doc.origin == (11, 5)
    assert doc.mask.shape == (132, 184) and doc.mask[15, 31] == 1.0 and doc.mask[10, 20] == 0.0
    change.undo(doc)
    assert doc.photo.size == (160, 120) and doc.origin == (0, 0) and doc.mask[10, 20] == 1.0
    assert np.array_equal(doc.photo.pixels, shirt.pixels)


def test_patch_between_equal_arrays_is_none():
    a = np.zeros((5, 5), np.float32)
    assert Patch.between(a, a.copy()) is None


def test_save_is_suggested_beside_the_original_under_a_new_name(shirt, tmp_path):
    doc = Document(shirt, source=tmp_path / "grandma 1952.jpg")
    assert doc.suggested_save_path() == tmp_path / "grandma 1952-restored.png"
