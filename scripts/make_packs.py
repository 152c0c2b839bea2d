"""Split the training photos into packs of at most about 30 MiB that travel to the GPU machine.

    python scripts/make_packs.py [--data ../shared/data/train] [--out packs] [--mib 30]

Each pack is an uncompressed tar of the photos as they are (already JPEG), with a mix of
every source folder; together the packs hold every photo once. The split is fixed
(sorted names, a seeded shuffle), so every session makes the same packs: the training
log names the pack each round used.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import tarfile
from pathlib import Path

from palette_desktop.core.imageio import photo_files

ROOT = Path(__file__).resolve().parents[1]


def make_packs(data: Path, out: Path, mib: float) -> list[Path]:
    files = photo_files(data)
    if not files:
        raise SystemExit(f"{data}: no photos")
    random.Random(0).shuffle(files)
    total = sum(p.stat().st_size for p in files)
    count = max(1, math.ceil(total / (mib * 2**20)))
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(count):
        path = out / f"pack-{k + 1}.tar"
        tmp = path.with_suffix(".tmp")
        with tarfile.open(tmp, "w") as pack:
            for photo in files[k::count]:
                pack.add(photo, arcname=str(photo.relative_to(data)))
            readme = (data / "README.md")
            if readme.is_file():  # the licences travel with the photos
                info = tarfile.TarInfo("README.md")
                text = readme.read_bytes()
                info.size = len(text)
                pack.addfile(info, io.BytesIO(text))
        tmp.replace(path)
        paths.append(path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{len(files[k::count])} photos, {path.stat().st_size / 2**20:.1f} MiB")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "packs")
    parser.add_argument("--mib", type=float, default=30.0)
    args = parser.parse_args()
    make_packs(args.data, args.out, args.mib)


if __name__ == "__main__":
    main()
