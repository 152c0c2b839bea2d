"""Files as photographers have them, fed for real."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import ExifTags, Image, ImageCms, ImageOps

from palette_desktop.core.errors import ImageError
from palette_desktop.core.imageio import Photo, load_image, save_image
from palette_desktop.core.pixels import to_float

VAL_PHOTO = Path(__file__).parent / "data" / "trousers.jpg"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_jpeg_loads_as_8_bit_rgb(data_dir):
    photo = load_image(data_dir / "shirt.jpg")
    assert photo.size == (160, 120)
    assert photo.pixels.dtype == np.uint8 and photo.pixels.shape == (120, 160, 3)  # a quarter of float32's memory
    assert np.array_equal(photo.pixels, np.asarray(Image.open(data_dir / "shirt.jpg")))
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
    assert np.abs(to_float(photo.pixels) - upright).mean() < 0.02
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
    assert photo.pixels.dtype == np.uint16 and np.array_equal(photo.pixels, rgb16)
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
    assert cmyk.pixels.shape == rgb.shape and np.abs(to_float(cmyk.pixels) - rgb).mean() < 0.05
    palette = load_image(tmp_path / "palette.png")
    assert palette.pixels.shape == rgb.shape and np.abs(to_float(palette.pixels) - rgb).mean() < 0.05
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


def _scan_metadata() -> tuple[bytes, Image.Exif]:
    """An ICC profile and EXIF as an archive puts them on a scan: who, whose, and when it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    exif[ExifTags.Base.Copyright] = "(c) 1952 the Doe family"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "1952:06:01 12:00:00"}
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), exif


@pytest.mark.parametrize("alpha", [False, True])
def test_a_16_bit_colour_scan_keeps_its_depth_icc_profile_and_exif(tmp_path, data_dir, alpha):
    icc, exif = _scan_metadata()
    rgb16 = np.asarray(Image.open(data_dir / "shirt.jpg")).astype(np.uint16) * 257 + 100
    if alpha:
        rgb16 = np.dstack([rgb16, np.tile(np.linspace(0, 65535, 160).astype(np.uint16), (120, 1))])
    src = tmp_path / "scan16.tif"
    tifffile.imwrite(src, rgb16, photometric="rgb", iccprofile=icc, extrasamples=["unassalpha"] if alpha else None,
                     extratags=[(ExifTags.Base.Artist, "s", 0, "Jane Doe", True)])
    photo = load_image(src)
    assert photo.bit_depth == 16 and photo.icc_profile == icc
    photo = Photo(photo.pixels, photo.alpha, icc, exif.tobytes(), 16)  # the whole EXIF, as a PNG source has it
    for name in ("out.png", "out.tif"):
        saved = save_image(photo, tmp_path / name)
        written = cv2.imread(str(tmp_path / name), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(written[..., [2, 1, 0, 3][:rgb16.shape[2]]], rgb16)
        with Image.open(tmp_path / name) as out:
            assert out.info.get("icc_profile") == icc
            tags = out.getexif()
            assert tags.get(ExifTags.Base.Artist) == "Jane Doe"
            assert tags.get(ExifTags.Base.Copyright) == "(c) 1952 the Doe family"
        taken = tags.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
        if name == "out.png":
            assert taken == "1952:06:01 12:00:00" and not saved.notes
        else:  # tifffile writes no EXIF directory: the date stays behind, and the user is told
            assert taken is None and len(saved.notes) == 1 and "save as PNG" in saved.notes[0]


def test_a_16_bit_colour_tiff_takes_tags_in_any_characters(tmp_path):
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jürgen Müller".encode()  # UTF-8, as many scanners write it
    photo = Photo(np.full((16, 16, 3), 0.5, np.float32), exif=exif.tobytes(), bit_depth=16)
    save_image(photo, tmp_path / "out.tif")
    with Image.open(tmp_path / "out.tif") as out:
        assert out.getexif()[ExifTags.Base.Artist].encode("latin-1") == "Jürgen Müller".encode()


def test_a_tiff_scan_s_own_tags_go_with_it_but_not_its_layout(tmp_path, data_dir):
    icc, exif = _scan_metadata()
    src = tmp_path / "scan.tif"
    Image.open(data_dir / "shirt.jpg").save(src, icc_profile=icc, exif=exif.tobytes())
    photo = load_image(src)
    for name in ("out.jpg", "out.png", "out.webp", "out.tif"):
        assert not save_image(photo, tmp_path / name).notes
        with Image.open(tmp_path / name) as out:
            tags = out.getexif()
            assert out.info.get("icc_profile") == icc
            assert tags.get(ExifTags.Base.Artist) == "Jane Doe"
            assert tags.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) == "1952:06:01 12:00:00"
            if out.format != "TIFF":  # where the source's strips were is no business of a JPEG's
                assert ExifTags.Base.StripOffsets not in tags and ExifTags.Base.ImageWidth not in tags


def test_a_bmp_says_it_left_the_profile_and_exif_behind(tmp_path, data_dir):
    icc, exif = _scan_metadata()
    photo = Photo(load_image(data_dir / "shirt.jpg").pixels, None, icc, exif.tobytes())
    notes = save_image(photo, tmp_path / "out.bmp").notes
    assert notes == ("ICC profile and EXIF not kept: a BMP file cannot hold them",)
    assert not save_image(load_image(data_dir / "shirt.jpg"), tmp_path / "plain.bmp").notes


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


# --- issue 12: data safety, fed for real -------------------------------------------------

def _temp_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".palette-desktop-"))


@pytest.mark.parametrize("name", ["out.jpg", "out.png", "out.webp", "out.tif"])
def test_a_full_disk_leaves_no_truncated_file_and_keeps_the_old_one(tmp_path, name):
    from real_fs import fill_disk, tmpfs

    shirt = load_image(VAL_PHOTO)
    grain = np.random.default_rng(1).random((240, 320, 3), dtype=np.float32) * 0.2
    photo = shirt.with_pixels(np.clip(cv2.resize(to_float(shirt.pixels), (320, 240)) + grain, 0, 1))  # 30-200 KB
    with tmpfs(tmp_path / "disk", 512) as disk:
        old = disk / name
        save_image(photo.with_pixels(photo.pixels[:40, :40]), old)
        old_bytes = old.read_bytes()
        fill_disk(disk, leave_bytes=8192)  # 1-3 pages free: the JPEG of the issue came out 4-12 KB
        with pytest.raises(ImageError, match="disk is full"):
            save_image(photo, disk / name)
        with pytest.raises(ImageError, match="disk is full"):
            save_image(photo, disk / f"new{old.suffix}")
        assert old.read_bytes() == old_bytes  # the previous output is untouched
        assert not (disk / f"new{old.suffix}").exists()
        assert _temp_files(disk) == []


def test_a_short_write_is_caught_without_root(tmp_path):
    """RLIMIT_FSIZE makes the kernel cut a write short, as a full disk does, for any user."""
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from palette_desktop.core.imageio import load_image, save_image\n"
        "from palette_desktop.core.errors import ImageError\n"
        f"photo = load_image({str(VAL_PHOTO)!r})\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))\n"
        "try:\n"
        f"    save_image(photo, {str(tmp_path / 'cut.jpg')!r})\n"
        "except ImageError as exc:\n"
        "    print(exc); sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 3 and "could not write" in done.stdout, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_outputs_get_the_mode_of_a_normal_write(tmp_path, data_dir, umask, mode):
    photo = load_image(data_dir / "shirt.jpg")
    previous = os.umask(umask)
    try:
        save_image(photo, tmp_path / "out.png")
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.png").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode


@pytest.mark.parametrize("old_mode", [0o644, 0o600, 0o640])
def test_overwriting_keeps_the_mode_of_the_file(tmp_path, data_dir, old_mode):
    photo = load_image(data_dir / "shirt.jpg")
    target = tmp_path / "out.jpg"
    target.write_bytes(b"old")
    target.chmod(old_mode)
    previous = os.umask(0o077)
    try:
        save_image(photo, target)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == old_mode
    assert load_image(target).size == (160, 120)


def test_kill_9_mid_write_leaves_the_target_whole_and_the_orphan_is_cleaned(tmp_path):
    from real_fs import kill_mid_write

    from palette_desktop.core.atomic_write import remove_stale_temp_files

    orphans = kill_mid_write(tmp_path)
    assert len(orphans) == 1
    if (tmp_path / "big.tif").exists():  # a previous loop's output: complete, never half
        assert load_image(tmp_path / "big.tif").size == (1600, 1600)
    removed = remove_stale_temp_files(tmp_path)
    assert [p.name for p in removed] == orphans and _temp_files(tmp_path) == []


def test_stale_cleanup_spares_live_writers_and_other_files(tmp_path):
    from palette_desktop.core.atomic_write import remove_stale_temp_files

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".palette-desktop-{sleeper.pid}-0123abcd.tmp"
        mine = tmp_path / f".palette-desktop-{os.getpid()}-0123abcd.tmp"
        lookalikes = [tmp_path / ".palette-desktop-notes.tmp", tmp_path / "palette-desktop-1-0123abcd.tmp"]
        for path in (live, mine, *lookalikes):
            path.write_bytes(b"x")
        assert remove_stale_temp_files(tmp_path) == []
        assert all(p.exists() for p in (live, mine, *lookalikes))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temp_files(tmp_path) == [live]


def test_long_names_are_written_or_refused_before_work(tmp_path, data_dir):
    from palette_desktop.core.atomic_write import check_output_path

    photo = load_image(data_dir / "shirt.jpg")
    long_source = tmp_path / ("p" * 247 + ".png")  # the input name: its temp name no longer grows
    save_image(photo, long_source)
    assert load_image(long_source).size == (160, 120) and _temp_files(tmp_path) == []
    too_long = tmp_path / ("q" * 292 + ".png")
    with pytest.raises(ImageError, match="over this file system's limit of 255") as info:
        check_output_path(too_long)
    assert "\n" not in str(info.value)
    with pytest.raises(ImageError, match="could not write|too long"):
        save_image(photo, too_long)
    check_output_path(tmp_path / "fine.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [long_source.name]


def test_exif_too_long_for_jpeg_is_trimmed_and_said(tmp_path, data_dir):
    exif = Image.Exif()
    exif[0x010F] = "Kodak"  # Make
    exif[0x0110] = "Brownie"  # Model
    exif.get_ifd(0x8769)[0x927C] = b"M" * 70_000  # MakerNote: a PNG can carry it, a JPEG cannot
    exif.get_ifd(0x8769)[0x9003] = "1950:06:01 12:00:00"  # DateTimeOriginal
    src = tmp_path / "big-exif.png"
    Image.open(data_dir / "shirt.jpg").save(src, exif=exif.tobytes())
    photo = load_image(src)
    assert len(photo.exif) > 65533
    saved = save_image(photo, tmp_path / "out.jpg")
    assert saved.notes and "MakerNote" in saved.notes[0] and "\n" not in saved.notes[0]
    with Image.open(tmp_path / "out.jpg") as out:
        kept = out.getexif()
        assert kept[0x010F] == "Kodak" and kept[0x0110] == "Brownie"
        assert kept.get_ifd(0x8769)[0x9003] == "1950:06:01 12:00:00"
        assert 0x927C not in kept.get_ifd(0x8769)
    assert save_image(photo, tmp_path / "out.png").notes == ()  # PNG holds it all


ORIENTATIONS = range(1, 9)


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_every_exif_orientation_of_an_8_bit_jpeg_matches_pillow(tmp_path, data_dir, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "o.jpg"
    Image.open(data_dir / "shirt.jpg").save(path, exif=exif.tobytes(), quality=98)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)))
    assert np.array_equal(load_image(path).pixels, expected)


def _png_with_exif(png: bytes, exif: Image.Exif) -> bytes:
    body = exif.tobytes()[6:]  # without the "Exif\0\0" header
    chunk = struct.pack(">I", len(body)) + b"eXIf" + body + struct.pack(">I", zlib.crc32(b"eXIf" + body))
    return png[:33] + chunk + png[33:]  # right after the signature and IHDR


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_every_exif_orientation_of_a_16_bit_png_matches_pillow(tmp_path, data_dir, orientation):
    rgb16 = np.asarray(Image.open(data_dir / "shirt.jpg")).astype(np.uint16) * 257
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "o16.png"
    path.write_bytes(_png_with_exif(cv2.imencode(".png", rgb16[..., ::-1])[1].tobytes(), exif))
    photo = load_image(path)
    assert photo.bit_depth == 16
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)), np.float32) / 255  # Pillow's 8-bit view
    assert photo.pixels.shape == expected.shape
    assert np.abs(to_float(photo.pixels) - expected).max() <= 1.01 / 255


@pytest.mark.parametrize("scale", [1.0, 255.0, 65535.0])
def test_float_tiff_in_any_common_range_reads_right(tmp_path, scale):
    ramp = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    path = tmp_path / "float.tif"
    Image.fromarray(ramp * scale, "F").save(path)
    photo = load_image(path)
    assert photo.pixels.dtype == np.uint16 and np.allclose(to_float(photo.pixels[..., 0]), ramp, atol=0.51 / 65535)
    assert to_float(photo.pixels).mean() == pytest.approx(0.5, abs=0.01)  # not clipped to white


@pytest.mark.parametrize("values, reason", [((0.0, 1.5), "not a 0–1, 0–255 or 0–65535"),
                                            ((0.0, 1e6), "not a 0–1"), ((-50.0, 50.0), "not a 0–1"),
                                            ((0.0, float("nan")), "NaN")])
def test_float_tiff_out_of_any_range_is_refused(tmp_path, values, reason):
    arr = np.full((8, 8), values[0], np.float32)
    arr[0, 0] = values[1]
    Image.fromarray(arr, "F").save(tmp_path / "float.tif")
    with pytest.raises(ImageError, match=reason) as info:
        load_image(tmp_path / "float.tif")
    assert str(info.value).startswith("float.tif: ") and "\n" not in str(info.value)


def test_what_is_wrong_with_a_path_is_said(tmp_path, data_dir):
    (tmp_path / "folder.jpg").mkdir()
    (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")  # opening it would block: it must be refused before
    cases = {"folder.jpg": "is a folder", "loop.jpg": "loops back", "gone.jpg": "no longer exists",
             "pipe.jpg": "not a regular file", "missing.jpg": "no such file"}
    for name, reason in cases.items():
        with pytest.raises(ImageError, match=reason) as info:
            load_image(tmp_path / name)
        assert str(info.value).startswith(f"{name}: ") and "damaged" not in str(info.value)


def test_an_unreadable_file_says_permission_denied(tmp_path, data_dir):
    from real_fs import run_cli

    photo = tmp_path / "secret.jpg"
    shutil.copy(data_dir / "shirt.jpg", photo)
    photo.chmod(0o000)
    done = run_cli(["restore", "--task", "jpeg", photo, tmp_path / "out.png"], unprivileged=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "palette-desktop: secret.jpg: cannot be read (permission denied)"
    assert not (tmp_path / "out.png").exists()
