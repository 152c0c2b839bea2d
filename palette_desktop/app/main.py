"""``palette-desktop`` with no subcommand: the application object, its look, the window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from palette_desktop import __version__
from palette_desktop.app.refcount_guard import guard_refcounts
from palette_desktop.engine.loader import APP_NAME
from palette_desktop.resources import resource


def dark_palette() -> QPalette:
    """Neutral dark grey: photographers judge colour against grey, not against a tinted UI."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(32, 32, 34), QColor(225, 225, 228)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor(40, 40, 43),
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: QColor(58, 58, 62),
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 110, 90),
        QPalette.ColorRole.Highlight: QColor(66, 128, 210), QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 165, 240), QPalette.ColorRole.PlaceholderText: QColor(130, 130, 135),
        QPalette.ColorRole.Light: QColor(75, 75, 80), QPalette.ColorRole.Midlight: QColor(62, 62, 66),
        QPalette.ColorRole.Mid: QColor(50, 50, 54), QPalette.ColorRole.Dark: QColor(25, 25, 27),
        QPalette.ColorRole.Shadow: QColor(10, 10, 10),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    disabled = QColor(120, 120, 125)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def apply_style(app: QApplication) -> None:
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette())
    qss = resource("style.qss")
    if qss.is_file():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource("icon.svg"))))
    apply_style(app)
    guard_refcounts()  # else a long session aborts on PySide's reference leaks (see the module)
    return app


def run_app(path: str | None = None) -> int:
    """Open the window, offer the work of one that died, open ``path`` if given; the exit code when it closes."""
    app = make_application()
    from palette_desktop.app.main_window import MainWindow
    from palette_desktop.app.recovery_offer import offer_recovery

    window = MainWindow()
    window.show()

    def start() -> None:  # the work of a window that died first; a photo recovered is not opened over
        if not offer_recovery(window) and path:
            window.open_path(Path(path))

    QTimer.singleShot(0, start)
    return app.exec()
