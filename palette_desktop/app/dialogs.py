"""Small dialogs: About (with the model card), keyboard shortcuts, preferences."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontMetrics, QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QStyle, QTableWidget, QTableWidgetItem, QTextBrowser,
                               QVBoxLayout, QWidget, QFileDialog, QHeaderView)

from palette_desktop import __version__
from palette_desktop.app.recovery import disk_usage, recovery_root
from palette_desktop.app.settings import Settings
from palette_desktop.engine.loader import LoadedModel
from palette_desktop.engine.manifest import Manifest
from palette_desktop.resources import resource
from palette_desktop.tasks.common import QUALITY_PRESETS


def action_name(text: str) -> str:
    """An action's menu text as it reads: "&&" is a written "&", a lone "&" only marks the access key.

    The shortcuts list and the tooltips name the actions this way, without the "…" that
    says a dialog follows.
    """
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def fit_title(dialog: QDialog) -> None:
    """Make ``dialog`` at least wide enough for the window manager to show its whole title.

    A small dialog is as wide as its contents, and its title bar cut the title short
    ("Restore Old…"). Title bars set the title in their (bold) font, centred between the
    window's icon and up to three buttons, each about as wide as the bar is high: the room
    asked for is the title plus four of those on either side.
    """
    font = QApplication.font("QMdiSubWindowTitleBar")  # the platform's title bar font
    font.setBold(True)
    bar = dialog.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
    dialog.setMinimumWidth(QFontMetrics(font).horizontalAdvance(dialog.windowTitle()) + 8 * bar)


def model_card_text(directory: Path, manifest: Manifest) -> str:
    card = Path(directory) / manifest.card
    try:
        return card.read_text(encoding="utf-8")
    except OSError:
        return f"# {manifest.name}\n\n{manifest.description or 'This model has no model card.'}\n"


class AboutDialog(QDialog):
    """The program, the model in use (name, backend, tasks) and its model card."""

    def __init__(self, model: LoadedModel | None, model_dir: Path | None, manifest: Manifest | None,
                 backend_note: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Palette Desktop")
        icon = QLabel()
        icon.setPixmap(QIcon(str(resource("icon.svg"))).pixmap(64, 64))
        if model is not None:
            manifest, model_dir = model.manifest, model.directory
        name = manifest.name if manifest else "no model loaded"
        runs = model.backend_name if model is not None else (backend_note or "not loaded yet")
        header = QLabel(
            f"<h2>Palette Desktop {__version__}</h2>"
            "<p>Offline restoration of old photographs with an image-to-image diffusion model, "
            "after <i>Palette</i> (Saharia et al., SIGGRAPH 2022).</p>"
            f"<p><b>Model:</b> {name}<br><b>Runs on:</b> {runs}"
            + (f"<br><b>Tasks:</b> {', '.join(manifest.tasks)} · working size {manifest.working_size} px"
               if manifest else "")
            + (f"<br><b>Folder:</b> {model_dir}" if model_dir else "") + "</p>")
        header.setWordWrap(True)
        header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header = header
        self.card = QTextBrowser()
        self.card.setOpenExternalLinks(True)
        if manifest is not None and model_dir is not None:
            self.card.setMarkdown(model_card_text(model_dir, manifest))
        else:
            self.card.setPlainText("No model card: the model is not loaded.")
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(header, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel("<b>Model card</b>"))
        layout.addWidget(self.card, 1)
        layout.addWidget(buttons)
        self.resize(560, 520)


class ShortcutsDialog(QDialog):
    """Every action that has a shortcut, as a table (generated, so it never goes stale)."""

    def __init__(self, actions: list[QAction], extra: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(action_name(a.text()), ", ".join(
            s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts()))
            for a in actions if a.shortcuts()]
        rows += extra
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (name, keys) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(name))
            table.setItem(i, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(460, 600)


class PreferencesDialog(QDialog):
    """Defaults that persist: quality, history memory, crash recovery's disk space, JPEG quality, models folder."""

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.steps = QComboBox()
        for name, steps in QUALITY_PRESETS.items():
            self.steps.addItem(f"{name.capitalize()} · {steps} steps", steps)
        index = self.steps.findData(settings.default_steps)
        if index < 0:
            self.steps.addItem(f"Custom · {settings.default_steps} steps", settings.default_steps)
            index = self.steps.count() - 1
        self.steps.setCurrentIndex(index)
        self.history = QSpinBox()
        self.history.setRange(64, 65536)
        self.history.setSingleStep(256)
        self.history.setSuffix(" MB")
        self.history.setValue(settings.history_mb)
        self.history.setToolTip("Undo steps beyond this much memory are dropped, oldest first")
        self.recovery = QSpinBox()
        self.recovery.setRange(16, 65536)
        self.recovery.setSingleStep(256)
        self.recovery.setSuffix(" MB")
        self.recovery.setValue(settings.recovery_mb)
        self.recovery.setToolTip("The open photo and its history are kept on disk as you work, to recover them "
                                 "after a crash; past this much the oldest steps are dropped")
        used = disk_usage(recovery_root()) / 2**20
        self.recovery_usage = QLabel(f"{used:.1f} MB in use now" if used < 10 else f"{used:.0f} MB in use now")
        self.recovery_usage.setObjectName("hint")
        recovery_row = QWidget()
        row = QHBoxLayout(recovery_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.recovery)
        row.addWidget(self.recovery_usage, 1)
        self.jpeg = QSpinBox()
        self.jpeg.setRange(1, 100)
        self.jpeg.setValue(settings.jpeg_quality)
        self.folder = QLineEdit(str(settings.models_folder or ""))
        self.folder.setPlaceholderText("Optional: a folder with more models")
        frame = self.folder.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth)
        # the whole placeholder shows: its text, Qt's 2 px text margin and the frame on either side
        self.folder.setMinimumWidth(self.folder.fontMetrics().horizontalAdvance(self.folder.placeholderText())
                                    + 2 * (2 + frame))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Default quality", self.steps)
        form.addRow("Undo history memory", self.history)
        form.addRow("Crash recovery space", recovery_row)
        form.addRow("JPEG quality", self.jpeg)
        form.addRow("Models folder", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Models folder", self.folder.text() or str(Path.home()))
        if folder:
            self.folder.setText(folder)

    def store(self) -> None:
        s = self.settings
        s.default_steps = int(self.steps.currentData())
        s.history_mb = self.history.value()
        s.recovery_mb = self.recovery.value()
        s.jpeg_quality = self.jpeg.value()
        text = self.folder.text().strip()
        s.models_folder = Path(text) if text else None
        s.sync()
