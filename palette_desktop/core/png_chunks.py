"""The ICC profile and EXIF of a PNG that OpenCV encoded.

OpenCV is the one encoder here that writes 16-bit colour PNG (Pillow holds at most 8 bits
per colour channel), and it writes no metadata. The PNG specification's iCCP and eXIf
chunks are a few bytes each, so they are added here rather than through a second PNG
library.
"""

from __future__ import annotations

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_AFTER_IHDR = len(_SIGNATURE) + 4 + 4 + 13 + 4  # IHDR is always first and always 13 bytes long
_EXIF_HEADER = b"Exif\x00\x00"  # what Pillow's Exif.tobytes() puts before the TIFF structure


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_metadata(png: bytes, icc_profile: bytes | None, exif: bytes | None) -> bytes:
    """``png`` with an iCCP and an eXIf chunk right after its header, for those given.

    Both must come before the image data; ``exif`` may carry Pillow's "Exif" header.
    """
    if png[:len(_SIGNATURE)] != _SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    chunks = b""
    if icc_profile:
        chunks += _chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile))
    if exif:
        chunks += _chunk(b"eXIf", exif.removeprefix(_EXIF_HEADER))
    return png[:_AFTER_IHDR] + chunks + png[_AFTER_IHDR:]
