"""Print the unpacked size of a bundle folder and its largest parts.

    python packaging/bundle_size.py dist/palette-desktop [--max-mb 400] [--top 15]

Sizes are in MB (10^6 bytes) and MiB. "Parts" are the top-level entries of the contents
folder (_internal/), with a package's auditwheel ``<name>.libs`` folder counted with it,
so that e.g. OpenCV's FFmpeg and OpenBLAS show up under cv2. With --max-mb, exits 1 when
the bundle is larger.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

# auditwheel/delocate folders of vendored libraries -> the package they belong to
LIBS_OWNER = {"opencv_python_headless.libs": "cv2", "numpy.libs": "numpy", "pillow.libs": "PIL"}


def files(root: Path):
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path, path.stat().st_size


def part_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root).parts
    if "_internal" in rel:  # Linux/Windows: <root>/_internal/<part>/...
        rel = rel[rel.index("_internal") + 1:]
    elif "Frameworks" in rel:  # macOS .app: Contents/Frameworks/<part>/...
        rel = rel[rel.index("Frameworks") + 1:]
    elif "Resources" in rel:
        rel = rel[rel.index("Resources") + 1:]
    if len(rel) == 1:
        name = rel[0]
        if name.startswith(("libQt6", "libicu", "libpyside6", "libshiboken6")):
            return "PySide6 (Qt)"
        if name.startswith("libpython") or name == "base_library.zip":
            return "Python"
        return "other libraries" if ".so" in name or name.endswith((".dll", ".dylib")) else name
    top = LIBS_OWNER.get(rel[0], rel[0])
    if top in ("PySide6", "shiboken6"):
        return "PySide6 (Qt)"
    if top.startswith("python3"):
        return "Python"
    return top


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--max-mb", type=float, default=0, help="fail above this size (MB = 10^6 bytes)")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    listing = list(files(args.bundle))
    if not listing:
        print(f"{args.bundle}: empty or missing", file=sys.stderr)
        return 1
    total = sum(size for _, size in listing)
    print(f"unpacked size: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB), {len(listing)} files")
    parts = Counter()
    for path, size in listing:
        parts[part_of(path, args.bundle)] += size
    print("largest parts:")
    for name, size in parts.most_common(args.top):
        print(f"  {size / 1e6:7.1f} MB  {name}")
    print("largest files:")
    for path, size in sorted(listing, key=lambda item: -item[1])[: args.top]:
        print(f"  {size / 1e6:7.1f} MB  {path.relative_to(args.bundle)}")
    if args.max_mb and total > args.max_mb * 1e6:
        print(f"bundle is {total / 1e6:.1f} MB, over the {args.max_mb:g} MB limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
