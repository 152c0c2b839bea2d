"""The window's panels and dialogs at the sizes a photographer starts with: nothing cut off."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle

from palette_desktop.app.old_photo import RestoreDialog
from palette_desktop.app.tools import Tool

SIZES = {"default": (1280, 820), "first test window": (1100, 760), "small": (1100, 640)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tool", list(Tool))
@pytest.mark.parametrize("look", ["plain", "the program's"])
def test_the_tools_panel_is_never_cut_off_on_the_right(look, tool, size, request, make_window, photo_path, qtbot):
    if look != "plain":
        request.getfixturevalue("app_look")
    window = make_window()
    window.open_path(photo_path)
    window.resize(*SIZES[size])
    window.set_tool(tool)
    scroll = window.tools_dock.widget()
    panel, shown = scroll.widget(), scroll.viewport()

    def whole() -> bool:
        """As wide as its widgets need, and all of that width in sight."""
        return panel.minimumSizeHint().width() <= panel.width() <= shown.width()

    qtbot.waitUntil(whole, timeout=2000)
    assert scroll.horizontalScrollBar().value() == 0


def test_the_restore_dialog_is_wide_enough_for_its_title(window):
    dialog = RestoreDialog(window, has_mask=True, monochrome=True)
    dialog.show()
    font = QApplication.font("QMdiSubWindowTitleBar")  # the platform's title bar font
    font.setBold(True)
    bar = dialog.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
    # centred between the icon and three buttons, each about as wide as the bar is high
    assert dialog.width() >= QFontMetrics(font).horizontalAdvance(dialog.windowTitle()) + 8 * bar
    dialog.close()
