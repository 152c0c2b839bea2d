"""Fitting EXIF metadata into the room an output format has for it.

A JPEG keeps EXIF in one APP1 segment of at most 64 KB; a PNG, TIFF or WebP source can
carry more (long maker notes, user comments, embedded XML). Rather than fail the save,
the largest entries are dropped one by one until the rest fits, and each drop is named.
"""

from __future__ import annotations

from PIL import ExifTags, Image

JPEG_EXIF_LIMIT = 65533
"""Bytes Pillow's JPEG writer accepts for EXIF (the APP1 segment less its length field)."""

_SUB_IFDS = (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)
_KEEP = {ExifTags.Base.Orientation, ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo}


def fit_exif(exif_bytes: bytes, limit: int, notes: list[str]) -> bytes | None:
    """``exif_bytes`` less its largest entries until it is at most ``limit`` bytes.

    Appends one line to ``notes`` naming what was dropped; returns None when nothing fits.
    """
    if len(exif_bytes) <= limit:
        return exif_bytes
    exif = Image.Exif()
    exif.load(exif_bytes)
    entries = []  # (size, dictionary holding it, tag, name)
    for holder, names in [(exif, ExifTags.TAGS)] + [(exif.get_ifd(ifd), _names(ifd)) for ifd in _SUB_IFDS if ifd in exif]:
        for tag, value in holder.items():
            if tag not in _KEEP and not isinstance(value, dict):
                entries.append((_size(value), holder, tag, names.get(tag, f"tag 0x{tag:04X}")))
    entries.sort(key=lambda e: e[0], reverse=True)
    dropped = []
    data = exif.tobytes()
    for _size_, holder, tag, name in entries:
        if len(data) <= limit:
            break
        del holder[tag]
        dropped.append(name)
        data = exif.tobytes()
    if len(data) > limit:
        notes.append(f"EXIF dropped: {len(exif_bytes) // 1024} KB does not fit the format's 64 KB")
        return None
    notes.append(f"EXIF trimmed to fit the format's 64 KB: dropped {', '.join(dropped)}")
    return data


def _names(ifd: int) -> dict[int, str]:
    return ExifTags.GPSTAGS if ifd == ExifTags.IFD.GPSInfo else ExifTags.TAGS


def _size(value: object) -> int:
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    return 8
