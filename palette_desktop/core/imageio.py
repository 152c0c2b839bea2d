"""Reading and writing photographs as photographers have them.

Every image becomes a :class:`Photo`: RGB in its own depth (uint8, or uint16 for 16 bits;
see :mod:`~palette_desktop.core.pixels`) with the EXIF orientation applied, plus what
must survive a round trip (alpha, ICC profile, EXIF, bit depth). Pillow reads most
files; OpenCV reads 16-bit colour PNG/TIFF, which Pillow truncates to 8 bits. A photo
the memory available cannot take through every task is refused before it is decoded
(:mod:`~palette_desktop.core.memory`). Writes are encoded in memory, checked, and put in place by
:mod:`~palette_desktop.core.atomic_write`, so a crash or a full disk never leaves half a
file, and the input file is never opened for writing.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from palette_desktop.core.atomic_write import reason, write_atomically
from palette_desktop.core.errors import ImageError, OutputFolderError
from palette_desktop.core.exif import JPEG_EXIF_LIMIT, fit_exif
from palette_desktop.core.memory import check_fits, most_bytes_per_pixel
from palette_desktop.core.pixels import converted, full_scale, row_bands, to_stored
from palette_desktop.core.png_chunks import with_metadata

DEFAULT_MAX_PIXELS = 500_000_000
"""Largest image accepted (500 MP): the window's full-size image and OpenCV's whole-photo
calls count its bytes in 32 bits. Whether it fits in memory is checked on its own."""

READ_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp")
WRITE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP", ".bmp": "BMP"}
_SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}
_ALPHA_FORMATS = {"PNG", "TIFF", "WEBP"}

PNG_COMPRESS_LEVEL = 4
"""zlib level of PNG outputs: 2.7x faster than Pillow's 6 on a 1024×768 photo (0.06 s
against 0.16 s, a tenth of a CLI inpaint) for files 6 % larger; still lossless."""

# Pillow guards against decompression bombs with a warning, then an error at 2x its
# limit; we check the declared size ourselves before decoding and say it plainly.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class Photo:
    """An image ready for the tasks, and what must be written back with it."""

    pixels: np.ndarray  # HxWx3 RGB: uint8 (8-bit), uint16 (16-bit), or float32 in [0, 1] (made in code)
    alpha: np.ndarray | None = None  # HxW, stored as the pixels are
    icc_profile: bytes | None = None
    exif: bytes | None = None
    bit_depth: int = 8
    grayscale: bool = False  # the source had no colour

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pixels.shape[1], self.pixels.shape[0]

    def with_pixels(self, pixels: np.ndarray, *, grayscale: bool | None = None) -> Photo:
        """The same photo metadata around new pixels (alpha dropped if the size changed)."""
        alpha = self.alpha if self.alpha is not None and self.alpha.shape == pixels.shape[:2] else None
        gray = self.grayscale if grayscale is None else grayscale
        return replace(self, pixels=np.ascontiguousarray(pixels), alpha=alpha, grayscale=gray)


def load_image(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS, check_memory: bool = True) -> Photo:
    """Read an image file; raise :class:`ImageError` with a one-line reason if it can't be used.

    A photo the memory available would not take through every task raises
    :class:`NotEnoughMemory` before it is decoded (``check_memory``: a mask, which goes
    with a photo that was checked, is not).
    """
    path = Path(path)
    name = path.name
    _check_readable(path)
    try:
        with Image.open(path) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageError(
                    f"{name}: {width}×{height} is {width * height / 1e6:.0f} MP, over the "
                    f"{max_pixels / 1e6:.0f} MP limit; downscale it first")
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            sixteen_bit = _is_sixteen_bit(im, path)
            if check_memory:
                check_fits(name, width * height, most_bytes_per_pixel(sixteen_bit))
            photo = _sixteen_bit_colour(path, im) if sixteen_bit and im.mode in _SIXTEEN_BIT_OPENCV_MODES else None
            if photo is None:
                im.load()
                ImageOps.exif_transpose(im, in_place=True)  # else it returns a copy even of an upright photo
                photo = _photo_from_pil(im, _carried_exif(im))
    except ImageError:
        raise
    except _Unusable as exc:
        raise ImageError(f"{name}: {exc}") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file, or a format that is not supported") from None
    except OSError as exc:
        if exc.errno is not None:  # the system could not read it; the data may be fine
            raise ImageError(f"{name}: could not be read ({reason(exc)})") from None
        raise ImageError(f"{name}: the file is damaged or truncated ({_short(exc)})") from None
    except (SyntaxError, ValueError) as exc:  # corrupt data
        raise ImageError(f"{name}: the file is damaged or truncated ({_short(exc)})") from None
    return photo


class _Unusable(Exception):
    """A decoded image whose content we cannot take; the message lacks the file name."""


def _check_readable(path: Path) -> None:
    """Say what is really wrong with a path that is not a readable file."""
    name = path.name
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise ImageError(f"{name}: a link to a file that no longer exists") from None
        raise ImageError(f"{name}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ImageError(f"{name}: a symbolic link that loops back on itself") from None
        raise ImageError(f"{name}: cannot be opened ({reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(f"{name}: is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{name}: not a regular file (a device, pipe or socket)")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise ImageError(f"{name}: cannot be read ({reason(exc)})") from None


def photo_files(folder: str | os.PathLike, limit: int | None = None) -> list[Path]:
    """The photos under ``folder`` in a fixed order; with ``limit``, that many spread evenly over them."""
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in READ_SUFFIXES)
    return spread(files, limit) if limit else files


def spread(items: list, count: int) -> list:
    """``count`` of ``items``, evenly spaced from the first to the last (all of them if fewer)."""
    if count >= len(items):
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def is_complete_image(path: str | os.PathLike) -> bool:
    """True when the file decodes to the end: an output worth keeping, not a truncated one."""
    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, SyntaxError, ValueError):
        return False
    return True


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


# What a TIFF's first directory says about the photo, rather than how its file is laid
# out: these, and its EXIF and GPS directories, go with the photo to its outputs.
_TIFF_DESCRIPTIVE_TAGS = {
    ExifTags.Base.DocumentName, ExifTags.Base.ImageDescription, ExifTags.Base.Make, ExifTags.Base.Model,
    ExifTags.Base.PageName, ExifTags.Base.Software, ExifTags.Base.DateTime, ExifTags.Base.Artist,
    ExifTags.Base.HostComputer, ExifTags.Base.Copyright, ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo}


def _carried_exif(im: Image.Image) -> bytes | None:
    """The EXIF an output takes: the source's, less its orientation (the pixels are turned upright).

    Pillow counts every tag of a TIFF's first directory as EXIF, strip offsets and sizes
    included; of those, only the ones that describe the photo are carried.
    """
    exif = im.getexif()
    if im.format == "TIFF":
        for tag in [tag for tag in exif if tag not in _TIFF_DESCRIPTIVE_TAGS]:
            del exif[tag]
    exif.pop(ExifTags.Base.Orientation, None)
    return exif.tobytes() if len(exif) else None


def _photo_from_pil(im: Image.Image, exif: bytes | None) -> Photo:
    icc = im.info.get("icc_profile")
    mode = im.mode
    alpha = None
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if ("transparency" in im.info or mode == "PA") else "RGB")
        mode = im.mode
    if mode == "CMYK":
        im, icc = _cmyk_to_srgb(im, icc), None
        mode = "RGB"
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        gray = np.asarray(im)
        if gray.dtype != np.uint16:  # 32-bit or big-endian samples
            gray = np.clip(gray, 0, 65535).astype(np.uint16)
        return Photo(np.repeat(gray[..., None], 3, axis=2), None, icc, exif, 16, True)
    if mode == "F":
        gray = to_stored(_float_to_unit(np.asarray(im, dtype=np.float32)), np.uint16)
        return Photo(np.repeat(gray[..., None], 3, axis=2), None, icc, exif, 16, True)
    grayscale = mode in ("1", "L", "LA")
    if mode in ("RGBA", "LA"):
        alpha = _array_of(im.getchannel("A"))
    if mode == "L":
        rgb = np.repeat(_array_of(im)[..., None], 3, axis=2)
    else:
        rgb = _array_of(im if mode == "RGB" else im.convert("RGB"))
    return Photo(rgb, alpha, icc, exif, 8, grayscale)


def _array_of(im: Image.Image) -> np.ndarray:
    """A decoded image's pixels as a numpy array, copied a band of rows at a time.

    ``np.asarray`` takes them through ``Image.tobytes``, which holds them twice more on
    the way (its chunks, then their join): 6 bytes a pixel of a colour photo for a moment.
    """
    width, height = im.size
    first_row = np.asarray(im.crop((0, 0, width, 1)))
    out = np.empty((height,) + first_row.shape[1:], first_row.dtype)
    for rows in row_bands(height, width):
        out[rows] = np.asarray(im.crop((0, rows.start, width, rows.stop)))
    return out


def _float_to_unit(values: np.ndarray) -> np.ndarray:
    """Scale floating-point samples to [0, 1]: they may be stored as 0–1, 0–255 or 0–65535."""
    if not np.isfinite(values).all():
        raise _Unusable("floating-point image with NaN or infinite values")
    low, high = float(values.min()), float(values.max())
    if low < -0.01 or not (high <= 1.001 or 2.0 < high <= 255.5 or 255.5 < high <= 65535.5):
        raise _Unusable(f"floating-point values run from {low:g} to {high:g}: not a 0–1, 0–255 or "
                        "0–65535 image; convert it to 8 or 16 bits")
    scale = 1.0 if high <= 1.001 else 255.0 if high <= 255.5 else 65535.0
    return np.clip(values / scale, 0.0, 1.0)


def _cmyk_to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded CMYK profile when there is one, else Pillow's formula."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    return im.convert("RGB")


# EXIF orientation → the numpy view Pillow's ImageOps.exif_transpose gives (5 transpose,
# 7 transverse), for the 16-bit colour files OpenCV reads without applying it.
_ORIENT_OPS = {
    2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
    5: lambda a: np.swapaxes(a, 0, 1), 6: lambda a: np.rot90(a, -1),
    7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1], 8: lambda a: np.rot90(a, 1),
}


_SIXTEEN_BIT_OPENCV_MODES = ("RGB", "RGBA", "LA")
"""Modes Pillow gives 16-bit files in 8 bits, which OpenCV reads instead."""


def _is_sixteen_bit(im: Image.Image, path: Path) -> bool:
    """True for 16 bits a sample, read from the header (Pillow opens 16-bit colour as 8-bit RGB)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return True
    if im.mode not in _SIXTEEN_BIT_OPENCV_MODES:
        return False
    if im.format == "TIFF":
        return 16 in tuple(im.tag_v2.get(ExifTags.Base.BitsPerSample, ()))
    if im.format == "PNG":
        with open(path, "rb") as file:  # IHDR: signature (8), length (4), type (4), width, height (4 each), depth
            return file.read(25)[24:] == b"\x10"
    return False


def _sixteen_bit_colour(path: Path, im: Image.Image) -> Photo | None:
    """A 16-bit RGB(A) PNG or TIFF read by OpenCV, its metadata by Pillow; None if OpenCV cannot."""
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None or data.dtype != np.uint16 or data.ndim != 3:
        return None
    alpha = data[..., 3].copy() if data.shape[2] == 4 else None
    if data.shape[2] == 3:
        rgb = cv2.cvtColor(data, cv2.COLOR_BGR2RGB, dst=data)  # in place: no second copy of a large scan
    elif data.shape[2] == 4:
        rgb = cv2.cvtColor(data, cv2.COLOR_BGRA2RGB)
    else:  # gray and alpha: the gray, as three channels
        rgb = np.repeat(data[..., :1], 3, axis=2)
    del data
    op = _ORIENT_OPS.get(im.getexif().get(ExifTags.Base.Orientation, 1))
    if op is not None:
        rgb = np.ascontiguousarray(op(rgb))
        alpha = np.ascontiguousarray(op(alpha)) if alpha is not None else None
    return Photo(rgb, alpha, im.info.get("icc_profile"), _carried_exif(im), 16, False)


def is_gray(pixels: np.ndarray, tolerance: float = 1.5 / 255) -> bool:
    """True when the three channels agree everywhere (a black-and-white photo).

    ``tolerance`` is a fraction of full intensity; a band of rows is compared at a time.
    """
    limit = tolerance * full_scale(pixels.dtype)
    for rows in row_bands(*pixels.shape[:2]):
        band = pixels[rows]
        if band.dtype.kind in "ui":  # differences of unsigned samples would wrap around
            band = band.astype(np.int32)
        if np.abs(band[..., 0] - band[..., 1]).max() > limit or np.abs(band[..., 1] - band[..., 2]).max() > limit:
            return False
    return True


def save_image(photo: Photo, path: str | os.PathLike, quality: int = 95) -> SavedImage:
    """Write atomically; the format comes from the extension.

    The file is encoded in memory and checked to decode before anything touches the
    disk, then written by :func:`write_atomically`: a full disk or a kill leaves the old
    file (or none), never a truncated one. Metadata the format cannot hold is dropped and
    said in :attr:`SavedImage.notes`.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"{path.name}: unknown output format; use one of {', '.join(sorted(WRITE_FORMATS))}")
    if not path.parent.is_dir():
        raise OutputFolderError(f"{path.parent}: the output folder does not exist")
    notes: list[str] = []
    data = _encode(photo, fmt, quality, notes)
    _check_decodes(data, photo.size, path.name)
    write_atomically(data, path)
    return SavedImage(path, tuple(notes))


@dataclass(frozen=True)
class SavedImage:
    """Where a photo was written, and what of its metadata could not go with it."""

    path: Path
    notes: tuple[str, ...] = ()


def _check_decodes(data: bytes, size: tuple[int, int], name: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            ok = im.size == size
    except (OSError, SyntaxError, ValueError):
        ok = False
    if not ok:
        raise ImageError(f"{name}: the encoder produced a file that does not decode; nothing was written")


def _encode_sixteen_bit_colour(photo: Photo, fmt: str, keep_alpha: bool, notes: list[str]) -> bytes:
    """16-bit RGB(A), which Pillow cannot hold, with the photo's ICC profile and EXIF.

    tifffile writes the TIFF (OpenCV's TIFF writer takes no metadata); it has no EXIF
    directory, so a TIFF keeps the EXIF's own text tags (artist, copyright, description…)
    and says what else was left out. OpenCV writes the PNG and ``png_chunks`` adds both.
    """
    rgb = converted(photo.pixels, np.uint16)
    if keep_alpha:
        rgb = np.dstack([rgb, converted(photo.alpha, np.uint16)])
    if fmt == "PNG":
        ok, encoded = cv2.imencode(".png", np.ascontiguousarray(rgb[..., [2, 1, 0, 3][:rgb.shape[2]]]))
        if not ok:
            raise ImageError("OpenCV could not encode the 16-bit image")
        return with_metadata(encoded.tobytes(), photo.icc_profile, photo.exif)
    buffer = io.BytesIO()
    # zlib level 1 in strips of 256 rows, compressed in parallel: a 24 MP scan in 1.1 s and
    # 107 MB, against 1.5 s and 122 MB for OpenCV's LZW.
    tifffile.imwrite(buffer, rgb, photometric="rgb", compression="zlib", compressionargs={"level": 1},
                     predictor=True, rowsperstrip=256, maxworkers=os.cpu_count(), metadata=None, software=False,
                     extrasamples=["unassalpha"] if keep_alpha else None, iccprofile=photo.icc_profile,
                     extratags=_exif_text_tags(photo.exif, notes))
    return buffer.getvalue()


def _exif_text_tags(exif_bytes: bytes | None, notes: list[str]) -> list[tuple]:
    """The EXIF's first-directory text tags as TIFF tags; a note when more had to stay behind."""
    if not exif_bytes:
        return []
    exif = Image.Exif()
    exif.load(exif_bytes)
    text = {tag: value for tag, value in exif.items() if isinstance(value, str) and value}
    if len(text) < len(exif):
        notes.append("EXIF: only its text tags (artist, copyright, description…) kept in a 16-bit colour TIFF; "
                     "save as PNG to keep all of it")
    # Pillow reads a tag's bytes as Latin-1: back to the same bytes (tifffile takes a str only in ASCII)
    return [(tag, "s", 0, value.encode("latin-1", "replace"), True) for tag, value in sorted(text.items())]


def _encode(photo: Photo, fmt: str, quality: int, notes: list[str]) -> bytes:
    keep_alpha = photo.alpha is not None and fmt in _ALPHA_FORMATS
    gray = photo.grayscale and is_gray(photo.pixels)
    if photo.bit_depth == 16 and fmt in _SIXTEEN_BIT_FORMATS and not gray:
        return _encode_sixteen_bit_colour(photo, fmt, keep_alpha, notes)
    if photo.bit_depth == 16 and fmt in _SIXTEEN_BIT_FORMATS and not keep_alpha:
        im = Image.fromarray(converted(photo.pixels[..., 0], np.uint16))
    else:
        rgb8 = converted(photo.pixels, np.uint8)
        if gray:
            im = Image.fromarray(rgb8[..., 0], "L")
        else:
            im = Image.fromarray(rgb8, "RGB")
        del rgb8  # Pillow holds its own copy
        if keep_alpha:
            im.putalpha(Image.fromarray(converted(photo.alpha, np.uint8), "L"))
    kwargs: dict = {}
    if fmt == "BMP" and (photo.icc_profile or photo.exif):
        notes.append("ICC profile and EXIF not kept: a BMP file cannot hold them")
    if photo.icc_profile and fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
        kwargs["icc_profile"] = photo.icc_profile
    if photo.exif and fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
        exif = fit_exif(photo.exif, JPEG_EXIF_LIMIT, notes) if fmt == "JPEG" else photo.exif
        if exif:
            kwargs["exif"] = exif
    if fmt in ("JPEG", "WEBP"):
        kwargs["quality"] = int(quality)
    if fmt == "JPEG":
        kwargs["subsampling"] = 0 if quality >= 90 else 2
    if fmt == "PNG":
        kwargs["compress_level"] = PNG_COMPRESS_LEVEL
    buffer = io.BytesIO()
    im.save(buffer, fmt, **kwargs)
    return buffer.getvalue()
