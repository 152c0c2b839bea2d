"""The manifest that travels beside every model: the app reads it and never guesses."""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path

from palette_desktop.core.errors import ModelError
from palette_desktop.diffusion.samplers import PredictionKind
from palette_desktop.diffusion.schedules import ScheduleKind

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
DEFAULT_STEP_SHARES = {"generate": 1 / 2, "restore": 1 / 10}


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
    # Share of the quality preset's steps a job runs: a walk that invents content
    # ("generate") or one the input nearly decides ("restore": JPEG, thin scratches).
    step_shares: dict = field(default_factory=lambda: dict(DEFAULT_STEP_SHARES))
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
        """Parse and check every field; raise ValueError naming the first one that is wrong."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"no {', '.join(repr(m) for m in missing)}")
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        _check_fields(data)
        data["schedule"] = ScheduleKind(data["schedule"])
        data["prediction"] = PredictionKind(data["prediction"])
        data["tasks"] = tuple(data["tasks"])
        return cls(**data)


_POSITIVE_INTS = ("working_size", "size_multiple", "image_channels", "condition_channels", "default_steps",
                  "format_version")
_FILE_NAMES = ("onnx_file", "torch_file", "card")


def _check_fields(data: dict) -> None:
    """Types and ranges a hand-edited or damaged manifest gets wrong (``"2"``, ``0``, ``null``)."""
    for name in _POSITIVE_INTS:
        value = data.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    tasks = data["tasks"]
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
        raise ValueError(f"tasks must be a list of task names, not {tasks!r}")
    for name in ("name", "onnx_sha256", "schedule", "prediction"):
        if not isinstance(data[name], str) or not data[name]:
            raise ValueError(f"{name} must be a text, not {data[name]!r}")
    for name in _FILE_NAMES:
        value = data.get(name)
        if value is None and name != "onnx_file":
            continue
        if not isinstance(value, str) or not value or Path(value).name != value or value in (".", ".."):
            raise ValueError(f"{name} must be a file name in the model folder, not {value!r}")
    if not isinstance(data.get("unet", {}), dict):
        raise ValueError("unet must be a JSON object")
    shares = data.get("step_shares", DEFAULT_STEP_SHARES)
    if not isinstance(shares, dict) or set(shares) != set(DEFAULT_STEP_SHARES) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 4 for v in shares.values()):
        raise ValueError(f"step_shares must give generate and restore a share over 0 and up to 4, not {shares!r}")


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
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: unreadable manifest ({str(exc).splitlines()[0][:160]})") from None
    if manifest.format_version > FORMAT_VERSION:
        raise ModelError(f"{path}: made for a newer Palette Desktop (format {manifest.format_version})")
    return manifest


def verify_file(model_dir: Path, name: str, expected: str) -> Path:
    """Path of a model file whose sha256 matches the manifest; refuse it otherwise."""
    path = Path(model_dir) / name
    if not path.is_file():
        raise ModelError(f"{path}: model file missing; the model folder is incomplete")
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
