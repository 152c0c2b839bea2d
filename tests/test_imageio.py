"""Files as photographers have them, fed for real."""

from __future__ import annotations

import hashlib
import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from palette_desktop.core.errors import ImageError
from palette_desktop.core.imageio import Photo, load_image, save_image


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_jpeg_loads_as_float_rgb(data_dir):
    photo = load_image(data_dir / "shirt.jpg")
    assert photo.size == (160, 120)
    assert photo.pixels.dtype == np.float32 and photo.pixels.shape == (120, 160, 3)
    assert 0.0 <= photo.pixels.min() and photo.pixels.max() <= 1.0
    assert not photo.grayscale and photo.bit_depth == 8


def test_exif_orientation_is_applied(data_dir, tmp_path):
    im = Image.open(data_dir / "shirt.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held rotated: display turned 90° clockwise
    path = tmp_path / "rotated.jpg"
    im.save(path, exif=exif.tobytes(), quality=98)
    photo = load_image(path)
    assert photo.size == (120, 160)
    upright = np.asarray(im.transpose(Image.Transpose.ROTATE_270), np.float32) / 255
    assert np.abs(photo.pixels - upright).mean() < 0.02
    reread = Image.Exif()
    reread.load(photo.exif)
    assert reread.get(0x0112, 1) == 1  # not rotated twice by the next viewer


def test_sixteen_bit_gray_round_trip_is_exact(tmp_path):
    ramp = (np.linspace(0, 65535, 64 * 48).reshape(48, 64)).astype(np.uint16)
    src = tmp_path / "gray16.png"
    Image.fromarray(ramp).save(src)
    photo = load_image(src)
    assert photo.bit_depth == 16 and photo.grayscale
    out = tmp_path / "out16.png"
    save_image(photo, out)
    assert np.array_equal(np.asarray(Image.open(out)).astype(np.uint16), ramp)


def test_sixteen_bit_colour_keeps_its_depth(tmp_path, data_dir):
    rgb8 = np.asarray(Image.open(data_dir / "shirt.jpg"))
    rgb16 = rgb8.astype(np.uint16) * 257 + 100
    src = tmp_path / "colour16.png"
    cv2.imwrite(str(src), rgb16[..., ::-1])
    photo = load_image(src)
    assert photo.bit_depth == 16 and not photo.grayscale
    assert np.array_equal(np.round(photo.pixels * 65535).astype(np.uint16), rgb16)
    out = tmp_path / "out.png"
    save_image(photo, out)
    assert np.array_equal(cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1], rgb16)


def test_cmyk_palette_and_gray_inputs(tmp_path, data_dir):
    im = Image.open(data_dir / "shirt.jpg")
    rgb = np.asarray(im, np.float32) / 255
    im.convert("CMYK").save(tmp_path / "cmyk.jpg", quality=98)
    im.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(tmp_path / "palette.png")
    im.convert("L").save(tmp_path / "gray.png")
    cmyk = load_image(tmp_path / "cmyk.jpg")
    assert cmyk.pixels.shape == rgb.shape and np.abs(cmyk.pixels - rgb).mean() < 0.05
    palette = load_image(tmp_path / "palette.png")
    assert palette.pixels.shape == rgb.shape and np.abs(palette.pixels - rgb).mean() < 0.05
    gray = load_image(tmp_path / "gray.png")
    assert gray.grayscale and np.array_equal(gray.pixels[..., 0], gray.pixels[..., 2])


def test_alpha_is_carried_through_a_save(tmp_path, data_dir):
    im = Image.open(data_dir / "shirt.jpg").convert("RGBA")
    alpha = np.tile(np.linspace(0, 255, 160).astype(np.uint8), (120, 1))
    im.putalpha(Image.fromarray(alpha))
    im.save(tmp_path / "alpha.png")
    photo = load_image(tmp_path / "alpha.png")
    assert photo.alpha is not None
    save_image(photo, tmp_path / "out.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png"))[..., 3], alpha)


def test_icc_and_exif_are_kept_on_save(tmp_path, data_dir):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "Kodak"  # camera make
    src = tmp_path / "tagged.jpg"
    Image.open(data_dir / "shirt.jpg").save(src, icc_profile=icc, exif=exif.tobytes(), quality=95)
    photo = load_image(src)
    for name in ("out.jpg", "out.png", "out.tif"):
        save_image(photo, tmp_path / name)
        with Image.open(tmp_path / name) as out:
            assert out.info.get("icc_profile") == icc
            assert out.getexif().get(0x010F) == "Kodak"


def test_pixel_limit_gives_a_clear_message(tmp_path, data_dir):
    with pytest.raises(ImageError, match="MP limit"):
        load_image(data_dir / "shirt.jpg", max_pixels=10_000)


@pytest.mark.parametrize("content, reason", [
    (b"this is not an image", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged|not an image"),
])
def test_unreadable_files_are_refused_in_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=reason) as info:
        load_image(path)
    assert "\n" not in str(info.value)


def test_truncated_jpeg_is_refused(tmp_path, data_dir):
    data = (data_dir / "shirt.jpg").read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_save_is_atomic_and_never_touches_the_source(tmp_path, data_dir):
    src = tmp_path / "original.jpg"
    src.write_bytes((data_dir / "shirt.jpg").read_bytes())
    before = _digest(src)
    photo = load_image(src)
    out = tmp_path / "result.png"
    out.write_bytes(b"old output")
    save_image(photo.with_pixels(1 - photo.pixels), out)
    assert _digest(src) == before
    assert load_image(out).size == (160, 120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["original.jpg", "result.png"]


def test_save_to_unknown_format_or_missing_folder(tmp_path, data_dir):
    photo = load_image(data_dir / "shirt.jpg")
    with pytest.raises(ImageError, match="unknown output format"):
        save_image(photo, tmp_path / "out.xyz")
    with pytest.raises(ImageError, match="does not exist"):
        save_image(photo, tmp_path / "missing" / "out.png")


def test_grayscale_photo_is_saved_as_grayscale(tmp_path, data_dir):
    Image.open(data_dir / "shirt.jpg").convert("L").save(tmp_path / "g.png")
    save_image(load_image(tmp_path / "g.png"), tmp_path / "g2.png")
    assert Image.open(tmp_path / "g2.png").mode == "L"


def test_photo_with_pixels_drops_alpha_of_other_size():
    photo = Photo(np.zeros((4, 4, 3), np.float32), alpha=np.ones((4, 4), np.float32))
    assert photo.with_pixels(np.zeros((4, 4, 3))).alpha is not None
    assert photo.with_pixels(np.zeros((6, 4, 3))).alpha is None
