"""The manifest that travels beside every model: the app reads it and never guesses."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from palette_desktop.core.errors import ModelError
from palette_desktop.diffusion.samplers import PredictionKind
from palette_desktop.diffusion.schedules import ScheduleKind

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    name: str
    tasks: tuple[str, ...]
    schedule: ScheduleKind
    prediction: PredictionKind
    working_size: int  # side the model was trained at and runs best at
    size_multiple: int  # height and width given to the network must be multiples of this
    onnx_file: str
    onnx_sha256: str
    torch_file: str | None = None
    torch_sha256: str | None = None
    image_channels: int = 3
    condition_channels: int = 4
    default_steps: int = 20
    unet: dict = field(default_factory=dict)
    card: str = "MODEL_CARD.md"
    description: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        data = asdict(self)
        data["schedule"] = self.schedule.value
        data["prediction"] = self.prediction.value
        data["tasks"] = list(self.tasks)
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["schedule"] = ScheduleKind(data["schedule"])
        data["prediction"] = PredictionKind(data["prediction"])
        data["tasks"] = tuple(data["tasks"])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> Manifest:
    """Read ``manifest.json`` of a model folder, with a one-line reason if it can't be used."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ModelError(f"{model_dir}: no {MANIFEST_NAME}; is this a Palette Desktop model folder?")
    try:
        manifest = Manifest.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: unreadable manifest ({exc})") from None
    if manifest.format_version > FORMAT_VERSION:
        raise ModelError(f"{path}: made for a newer Palette Desktop (format {manifest.format_version})")
    return manifest


def verify_file(model_dir: Path, name: str, expected: str) -> Path:
    """Path of a model file whose sha256 matches the manifest; refuse it otherwise."""
    path = Path(model_dir) / name
    if not path.is_file():
        raise ModelError(f"{path}: model file missing")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(f"{path.name}: checksum does not match the manifest "
                         f"(file {actual[:12]}…, manifest {expected[:12]}…); the file is damaged or was replaced")
    return path


def write_manifest(model_dir: Path, manifest: Manifest) -> Manifest:
    """Write the manifest with checksums computed from the files now in ``model_dir``."""
    model_dir = Path(model_dir)
    manifest = replace(manifest, onnx_sha256=sha256_of(model_dir / manifest.onnx_file))
    if manifest.torch_file:
        manifest = replace(manifest, torch_sha256=sha256_of(model_dir / manifest.torch_file))
    (model_dir / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return manifest
