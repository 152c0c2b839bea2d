"""Rasterise the application icon for the installers: PNG (Linux), ICO (Windows), ICNS (macOS).

The source is ``resources/icon.svg`` (the window's icon), so the installers and the
running window show the same picture. SVG rendering uses Qt's own QSvgRenderer (PySide6
is a dependency already); Pillow writes the multi-size .ico and .icns. Run it again
after the SVG changes and commit the results:

    QT_QPA_PLATFORM=offscreen python packaging/icons/make_icons.py
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = ROOT / "resources" / "icon.svg"
NAME = "palette-desktop"
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024]


def render(svg: Path, size: int):
    """The SVG as a square RGBA Pillow image of ``size`` pixels."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    svg = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    big = {size: render(svg, size) for size in sorted(set(ICO_SIZES + ICNS_SIZES))}
    big[256].save(HERE / f"{NAME}.png", optimize=True)
    big[256].save(HERE / f"{NAME}.ico", sizes=[(s, s) for s in ICO_SIZES],
                  append_images=[big[s] for s in ICO_SIZES if s != 256])
    big[1024].save(HERE / f"{NAME}.icns", append_images=[big[s] for s in ICNS_SIZES if s != 1024])
    for suffix in ("png", "ico", "icns"):
        path = HERE / f"{NAME}.{suffix}"
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
