"""Print the requirements of the installer bundle, one per line, from pyproject.toml.

The bundle gets the project's runtime dependencies with one change: the CPU build of
ONNX Runtime (``onnxruntime``) instead of ``onnxruntime-gpu``. The GPU wheel runs on the
CPU too, but its CUDA and TensorRT provider libraries add ~300 MB and only work where the
user has installed CUDA and cuDNN themselves, which the photographers we build installers
for have not. ``--ort onnxruntime-gpu`` (or any other ORT wheel, e.g.
``onnxruntime-directml``) keeps another build; environment markers are dropped because
the list is for the machine that builds.

OpenCV is pinned (:data:`BUNDLE_PINS`): its wheels grew with each release (unpacked,
4.12: 151 MB, 4.14: 169 MB, 5.1: 180 MB), mostly in the FFmpeg video I/O that the app
never calls, and the newest alone took the bundle over its 400 MB limit. The bundle's
self-test runs every task on the pinned build.

    python packaging/bundle_requirements.py [--ort PACKAGE] > requirements.txt
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORT_NAMES = {"onnxruntime", "onnxruntime-gpu", "onnxruntime-directml"}
BUNDLE_PINS = {"opencv-python-headless": "==4.12.0.88"}
"""Exact versions the bundle takes instead of the project's range (see above)."""


def bundle_requirements(ort: str = "onnxruntime", pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    out: list[str] = []
    ort_spec = ""
    for dep in deps:
        requirement = dep.split(";", 1)[0].strip()
        name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
        if name.lower() in ORT_NAMES:
            ort_spec = ort_spec or requirement[len(name):].strip()
            continue
        out.append(name + BUNDLE_PINS[name] if name in BUNDLE_PINS else requirement)
    out.append(f"{ort}{ort_spec}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ort", default="onnxruntime", help="ONNX Runtime package (default: the CPU build)")
    args = parser.parse_args()
    print("\n".join(bundle_requirements(args.ort)))


if __name__ == "__main__":
    main()
