"""Settings that outlive the window, in an INI file where Qt keeps user settings.

(~/.config/Palette Desktop/Palette Desktop.ini on Linux, %APPDATA% on Windows,
~/Library/Preferences on macOS.) Typed properties, so the rest of the app never parses
strings; a bad value falls back to the default instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from palette_desktop.engine.loader import APP_NAME, Backend

MAX_RECENT = 10


def open_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, APP_NAME, APP_NAME)


class Settings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or open_settings()

    # -- helpers ---------------------------------------------------------------------
    def _get(self, key: str, default, kind=str):
        value = self.store.value(key, default)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _path(self, key: str) -> Path | None:
        value = self._get(key, "")
        return Path(value) if value else None

    def _set_path(self, key: str, path: Path | None) -> None:
        self.store.setValue(key, str(path) if path else "")

    def sync(self) -> None:
        self.store.sync()

    # -- folders ---------------------------------------------------------------------
    def last_dir(self, purpose: str) -> Path:
        """Last folder used to ``open``, ``save``, ``batch_in``, ``batch_out``, ``masks``."""
        path = self._path(f"folders/{purpose}")
        return path if path is not None and path.is_dir() else Path.home()

    def set_last_dir(self, purpose: str, folder: Path) -> None:
        self._set_path(f"folders/{purpose}", Path(folder))

    # -- recent files ----------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        value = self.store.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [Path(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        files = [path] + [p for p in self.recent_files() if p != path]
        self.store.setValue("recent/files", [str(p) for p in files[:MAX_RECENT]])

    def clear_recent(self) -> None:
        self.store.setValue("recent/files", [])

    # -- window ----------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.store.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    # -- remembered controls ---------------------------------------------------------
    def keep_value(self, key: str, spin) -> None:
        """Give a spin box its remembered value and remember each change (brush size, candidates)."""
        spin.setValue(self._get(key, spin.value(), int))
        spin.valueChanged.connect(lambda value: self.store.setValue(key, int(value)))

    def keep_choice(self, key: str, combo) -> None:
        """Select a combo box's remembered item (by its data) and remember each choice (batch task)."""
        def name(data) -> str:
            return str(getattr(data, "value", data))  # an Enum by its value
        stored = self._get(key, "")
        index = next((i for i in range(combo.count()) if name(combo.itemData(i)) == stored), -1)
        if index >= 0:
            combo.setCurrentIndex(index)
        combo.currentIndexChanged.connect(lambda _: self.store.setValue(key, name(combo.currentData())))

    # -- processing ------------------------------------------------------------------
    @property
    def default_steps(self) -> int:
        steps = self._get("processing/steps", 12, int)
        return steps if 1 <= steps <= 1000 else 12

    @default_steps.setter
    def default_steps(self, steps: int) -> None:
        self.store.setValue("processing/steps", int(steps))

    @property
    def backend(self) -> Backend:
        try:
            return Backend(self._get("processing/backend", "auto"))
        except ValueError:
            return Backend.AUTO

    @backend.setter
    def backend(self, backend: Backend) -> None:
        self.store.setValue("processing/backend", backend.value)

    @property
    def device(self) -> str:
        device = self._get("processing/device", "auto")
        return device if device in ("auto", "cpu", "cuda") else "auto"

    @device.setter
    def device(self, device: str) -> None:
        self.store.setValue("processing/device", device)

    @property
    def model_dir(self) -> Path | None:
        """The chosen model folder; None is the bundled default."""
        return self._path("models/current")

    @model_dir.setter
    def model_dir(self, path: Path | None) -> None:
        self._set_path("models/current", path)

    @property
    def models_folder(self) -> Path | None:
        """An extra folder searched for models, besides the bundled and user ones."""
        return self._path("models/folder")

    @models_folder.setter
    def models_folder(self, path: Path | None) -> None:
        self._set_path("models/folder", path)

    @property
    def history_mb(self) -> int:
        return max(64, self._get("history/memory_mb", 2048, int))

    @history_mb.setter
    def history_mb(self, mb: int) -> None:
        self.store.setValue("history/memory_mb", int(mb))

    @property
    def recovery_mb(self) -> int:
        """Disk space crash recovery may take for the open photo's history (oldest steps dropped past it)."""
        return max(16, self._get("recovery/disk_mb", 2048, int))

    @recovery_mb.setter
    def recovery_mb(self, mb: int) -> None:
        self.store.setValue("recovery/disk_mb", int(mb))

    @property
    def jpeg_quality(self) -> int:
        return min(100, max(1, self._get("saving/jpeg_quality", 95, int)))

    @jpeg_quality.setter
    def jpeg_quality(self, quality: int) -> None:
        self.store.setValue("saving/jpeg_quality", int(quality))
