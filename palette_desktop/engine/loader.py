"""Finding model folders and loading one onto the best backend this machine has."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path

import numpy as np
import platformdirs

from palette_desktop.core.errors import ModelError
from palette_desktop.diffusion.loop import Denoiser
from palette_desktop.engine.manifest import MANIFEST_NAME, Manifest, read_manifest, verify_file

APP_NAME = "Palette Desktop"
DEFAULT_MODEL = "palette-small"


class Backend(Enum):
    AUTO = "auto"  # ONNX Runtime when it is installed, else torch; a missing .onnx file is an error, not a switch
    ONNX = "onnx"
    TORCH = "torch"


@dataclass(frozen=True)
class LoadedModel:
    manifest: Manifest
    denoiser: Denoiser
    directory: Path

    @property
    def backend_name(self) -> str:
        """What really runs, e.g. 'ONNX Runtime · CPU'."""
        return self.denoiser.name

    @cached_property
    def ignores_noise(self) -> bool:
        """True when the network's output does not depend on the noise it is given, as an
        untrained model's does not (it returns its condition): then every seed gives the same
        result. Two small evaluations, the first time it is asked."""
        rng = np.random.default_rng(0)
        side = 2 * self.manifest.size_multiple
        condition = rng.uniform(-1, 1, (1, self.manifest.condition_channels, side, side)).astype(np.float32)
        noise_level = np.full(1, 0.5, np.float32)
        first, second = (self.denoiser.denoise(rng.standard_normal((1, self.manifest.image_channels, side, side),
                                                                   dtype=np.float32), noise_level, condition)
                         for _ in range(2))
        return bool(np.array_equal(first, second))


def bundled_models_dir() -> Path:
    """``models/`` of the installer bundle, else of the source checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "models"
    return Path(__file__).resolve().parents[2] / "models"


def user_models_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "models"


def find_models(extra_dirs: tuple[Path, ...] = ()) -> list[tuple[Path, Manifest]]:
    """Every model folder (one holding a manifest) in the bundled, user and extra folders."""
    found: list[tuple[Path, Manifest]] = []
    seen: set[Path] = set()
    for root in (bundled_models_dir(), user_models_dir(), *extra_dirs):
        root = Path(root)
        candidates = [root] if (root / MANIFEST_NAME).is_file() else sorted(p for p in root.glob("*") if p.is_dir())
        for folder in candidates:
            if folder.resolve() in seen or not (folder / MANIFEST_NAME).is_file():
                continue
            try:
                found.append((folder, read_manifest(folder)))
                seen.add(folder.resolve())
            except ModelError:
                continue
    return found


def default_model_dir() -> Path:
    return bundled_models_dir() / DEFAULT_MODEL


def load_model(model_dir: Path | None = None, backend: Backend = Backend.AUTO, device: str = "auto") -> LoadedModel:
    """Load a model folder; raise :class:`ModelError` with a one-line reason if it can't run."""
    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: model folder not found")
    manifest = read_manifest(model_dir)
    if device not in ("auto", "cpu", "cuda"):
        raise ModelError(f"unknown device {device!r}; use auto, cpu or cuda")
    if backend is Backend.AUTO:
        backend = Backend.ONNX if _has_onnxruntime() else Backend.TORCH
    if backend is Backend.ONNX:
        if not _has_onnxruntime():
            raise ModelError("ONNX Runtime is not installed; use --backend torch or install onnxruntime")
        from palette_desktop.engine.onnx_backend import OnnxDenoiser

        denoiser: Denoiser = OnnxDenoiser(verify_file(model_dir, manifest.onnx_file, manifest.onnx_sha256), device)
    else:
        if not manifest.torch_file or not manifest.torch_sha256:
            raise ModelError(f"{model_dir.name}: this model has no torch weights; use the ONNX backend")
        from palette_desktop.engine.torch_backend import TorchDenoiser

        denoiser = TorchDenoiser(verify_file(model_dir, manifest.torch_file, manifest.torch_sha256), manifest.unet, device)
    return LoadedModel(manifest, denoiser, model_dir)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
