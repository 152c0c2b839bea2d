"""The main window: menus, toolbar, canvas, tool panels, history and status bar.

It wires the pieces together and keeps the rules a photographer relies on: one task at
a time on the engine, editing paused while it runs, a result enters the history only
if the photo is still the one it was computed from, errors as a readable dialog that
leaves the photo as it was, and Save never writing over the file that was opened.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow,
                               QMessageBox, QToolBar, QVBoxLayout, QWidget)

from palette_desktop.app.autosave import Autosave
from palette_desktop.app.batch_dialog import BatchDialog
from palette_desktop.app.candidates import CandidatePicker
from palette_desktop.app.canvas import Canvas
from palette_desktop.app.dialogs import AboutDialog, PreferencesDialog, ShortcutsDialog, action_name
from palette_desktop.app.document import Document, PhotoChange, mask_change, stroke_change
from palette_desktop.app.extend_frame import ExtendFrame
from palette_desktop.app.file_drop import FileDrop
from palette_desktop.app.history import History
from palette_desktop.app.history_view import HistoryView
from palette_desktop.app.key_routing import KeyRouter
from palette_desktop.app.saving import SaveDialog, is_sample, refuse_original, suggested_path
from palette_desktop.app.settings import Settings
from palette_desktop.app.status_note import StatusNote
from palette_desktop.app.mask_tools import MaskTools
from palette_desktop.app.old_photo import OldPhotoTools
from palette_desktop.app.task_progress import TaskProgress
from palette_desktop.app.tools import BrushPanel, ExtendPanel, OptionsPanel, PanelScrollArea, Tool, action_button
from palette_desktop.app.transform_tools import TransformTools
from palette_desktop.app.worker import Engine, Job, ModelSpec
from palette_desktop.core.conditions import Task
from palette_desktop.core.errors import PaletteError
from palette_desktop.core.imageio import READ_SUFFIXES, Photo, save_image
from palette_desktop.core.masks import feather
from palette_desktop.core.memory import count_the_window
from palette_desktop.engine.loader import Backend, LoadedModel, bundled_models_dir, default_model_dir, find_models
from palette_desktop.engine.manifest import read_manifest
from palette_desktop.resources import resource
from palette_desktop.tasks.extend import Margins
from palette_desktop.tasks.one_result import one_result_reason
from palette_desktop.tasks.run import TaskRequest

APP_TITLE = "Palette Desktop"
TASK_NAMES = {Task.COLORIZE: "Colorize", Task.JPEG: "Clean up", Task.INPAINT: "Inpaint", Task.EXTEND: "Extend"}
OPEN_FILTER = "Images ({});;All files (*)".format(" ".join(f"*{s}" for s in READ_SUFFIXES))


def icon(name: str) -> QIcon:
    return QIcon(str(resource(f"icons/{name}.svg")))


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, model: ModelSpec | None = None) -> None:
        super().__init__()
        count_the_window()  # what it shows takes memory too: photos too large for it are refused
        self.settings = settings or Settings()
        s = self.settings
        spec = model or ModelSpec(s.model_dir, s.backend, s.device)
        self.engine = Engine(spec, self)
        self.history = History(self, cap_mb=s.history_mb)
        self.model: LoadedModel | None = None
        self.task_job: Job | None = None
        self.picker: CandidatePicker | None = None
        self.error_box: QMessageBox | None = None
        self.batch_dialog: BatchDialog | None = None
        self.tool = Tool.HAND

        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(QIcon(str(resource("icon.svg"))))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.canvas = Canvas(self)
        self.setCentralWidget(self.canvas)
        self.file_drop = FileDrop(self, self.canvas.viewport(), self.open_path)  # with a highlight while dragged
        self.key_router = KeyRouter(self, self.canvas)  # tool keys whatever control has the keyboard

        self._make_actions()
        self.transform_tools = TransformTools(self)  # crop, straighten, quarter turns
        self.mask_tools = MaskTools(self)  # rectangle and lasso masks, the mask's look, mask files
        self.old_photo = OldPhotoTools(self)  # detect damage, restore an old photo in one go
        self._make_panels()
        self.extend_frame = ExtendFrame(self.history, self.canvas, self.extend_panel)  # undoable, + grows, - crops
        self._make_menus()
        self._make_toolbar()
        self._make_statusbar()
        self._connect()
        self.autosave = Autosave(self.history, self.settings, self.status_note.say, self)  # for crash recovery

        geometry, state = s.geometry(), s.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        if state is not None:
            self.restoreState(state)
        self.options_panel.set_steps(s.default_steps)
        for key, spin in (("size", self.brush_panel.size), ("feather", self.brush_panel.feather),
                          ("candidates", self.options_panel.candidates)):
            s.keep_value(f"tools/{key}", spin)
        self.set_tool(Tool.HAND)
        self._update_title()
        self._update_actions()
        self.backend_label.setText("Loading model…")
        self.engine.set_model(spec)

    # == construction =================================================================
    def _action(self, key: str, text: str, shortcut=None, tip: str = "", slot=None, icon_name: str | None = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        plain = action_name(text)
        action.setToolTip(f"{plain} ({keys})" + (f" — {tip}" if tip else "") if keys else (f"{plain} — {tip}" if tip else plain))
        action.setStatusTip(tip or plain)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        self.actions[key] = action
        return action

    def _make_actions(self) -> None:
        self.actions: dict[str, QAction] = {}
        a = self._action
        a("open", "&Open…", QKeySequence.StandardKey.Open, "Open a photo", self.open_dialog, "open")
        a("open_sample", "Open &Sample Photo", None, "Open the sample photo that comes with the program",
          lambda: self.open_path(resource("sample.jpg")))
        a("save", "&Save", QKeySequence.StandardKey.Save, "Save the restored photo (never over the original)",
          self.save, "save")
        a("save_as", "Save &As…", QKeySequence.StandardKey.SaveAs, "Save under a new name or format", self.save_as)
        a("close", "&Close", QKeySequence.StandardKey.Close, "Close the photo (asks to save changes first)",
          lambda: self.maybe_save() and self.history.set_document(None))
        a("batch", "&Batch…", "Ctrl+B", "Restore a whole folder of photos", self.open_batch, "batch")
        a("quit", "&Quit", QKeySequence.StandardKey.Quit, "", self.close)
        a("undo", "&Undo", QKeySequence.StandardKey.Undo, "Undo the last step", self.undo, "undo")
        a("redo", "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo the step undone", self.redo, "redo")
        a("clear_mask", "&Clear Mask", "Ctrl+D", "Remove the whole brush mask", self.clear_mask, "clear")
        a("invert_mask", "&Invert Mask", "Ctrl+Shift+I", "Mask what is not masked and the reverse",
          self.invert_mask, "invert")
        a("preferences", "&Preferences…", QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) or "Ctrl+,",
          "", self.open_preferences)
        a("fit", "&Fit in Window", "Ctrl+0", "Show the whole photo", lambda: self.canvas.fit(), "fit")
        a("zoom100", "&Actual Pixels (100 %)", "Ctrl+1", "One photo pixel per screen pixel",
          lambda: self.canvas.zoom_100(), "zoom100")
        a("zoom_toggle", "&Toggle 100 % / Fit", "Z", "Actual pixels around the pointer, or back to the whole "
          "photo (also: double-click with the Hand)", lambda: self.canvas.toggle_zoom())
        a("zoom_in", "Zoom &In", ["Ctrl++", "Ctrl+="], "", lambda: self.canvas.zoom_in())
        a("zoom_out", "Zoom &Out", "Ctrl+-", "", lambda: self.canvas.zoom_out())
        a("compare", "&Compare Before/After", "Y", "Split view of the original and the result; drag the split. "
          "Hold \\ to see the original", self.set_compare, "compare", checkable=True).setIconText("Compare")
        a("tool_hand", "&Hand", "H", "Move around the photo (or hold Space with any tool)",
          lambda: self.set_tool(Tool.HAND), "hand", checkable=True)
        a("tool_brush", "&Brush", "B", "Paint a mask over damage to inpaint", lambda: self.set_tool(Tool.BRUSH),
          "brush", checkable=True)
        a("tool_extend", "&Extend", "E", "Grow the canvas: drag its edges outward", lambda: self.set_tool(Tool.EXTEND),
          "extend", checkable=True)
        group = QActionGroup(self)
        for key in ("tool_hand", "tool_brush", "tool_extend"):
            group.addAction(self.actions[key])
        a("eraser", "E&raser", "X", "Brush removes from the mask instead of adding", self._brush_changed,
          "eraser", checkable=True)
        a("brush_bigger", "Bigger Brush", "]", "", lambda: self.brush_panel.grow(1.15))
        a("brush_smaller", "Smaller Brush", "[", "", lambda: self.brush_panel.grow(1 / 1.15))
        a("feather_more", "More Feather", "}", "", lambda: self.brush_panel.grow_feather(2))
        a("feather_less", "Less Feather", "{", "", lambda: self.brush_panel.grow_feather(-2))
        a("colorize", "&Colorize", "Ctrl+K", "Give a black-and-white photo colour (one click)",
          lambda: self.run_task(Task.COLORIZE), "colorize")
        a("jpeg", "C&lean Up (JPEG && Noise)", "Ctrl+J", "Remove JPEG blocks, ringing, grain and scan noise (one click)",
          lambda: self.run_task(Task.JPEG), "jpeg").setIconText("Clean Up")
        a("inpaint", "&Inpaint", "Ctrl+I", "Repaint what the brush mask covers", lambda: self.run_task(Task.INPAINT),
          "inpaint")
        a("extend", "E&xtend Canvas", "Ctrl+E", "Generate the new border set with the Extend tool",
          lambda: self.run_task(Task.EXTEND), "extend")
        a("apply_tool", "Apply Tool", ["Return", "Enter"],
          "Inpaint (Brush), Extend (Extend tool) or Crop (Crop tool)",
          self.apply_tool)
        a("cancel", "Cancel", "Esc", "Stop the running task; the photo stays as it was", self.cancel_task, "cancel")
        a("new_seed", "New Seed", "Ctrl+R", "Pick a random seed for another take", None, "dice")
        a("about", "&About Palette Desktop", None, "", self.show_about)
        a("about_model", "About This &Model…", None, "Name, backend and model card", self.show_about)
        a("shortcuts", "&Keyboard Shortcuts", QKeySequence.StandardKey.HelpContents, "", self.show_shortcuts)
        a("add_models", "Add Models &Folder…", None, "Look for models in another folder", self.add_models_folder)

    def _make_panels(self) -> None:
        acts = self.actions
        self.brush_panel = BrushPanel(acts)
        self.extend_panel = ExtendPanel(acts)
        self.options_panel = OptionsPanel(acts)
        hand_hint = QLabel("Choose a tool: <b>Crop</b> (C) or <b>Straighten</b> (S) a scan first, <b>Brush</b> (B) "
                           "to mask damage for inpainting, <b>Extend</b> (E) to grow the canvas. <b>Colorize</b> and "
                           "<b>Clean Up</b> work on the whole photo; <b>Restore Old Photo</b> does it all in one "
                           "go. Double-click: 100 %.")
        hand_hint.setWordWrap(True)
        hand_hint.setObjectName("hint")
        # Only the current tool's page is shown (hidden widgets take no room, unlike a stack's pages).
        self.tool_pages = {Tool.HAND: hand_hint, Tool.BRUSH: self.mask_tools.page(self.brush_panel),
                           Tool.EXTEND: self.extend_panel, **self.transform_tools.pages}

        whole = QWidget()
        whole_layout = QVBoxLayout(whole)
        whole_layout.setContentsMargins(0, 0, 0, 0)
        whole_layout.addWidget(action_button(acts["restore_old"], "Restore Old Photo…", primary=True))
        whole_layout.addWidget(action_button(acts["detect_damage"]))
        whole_layout.addWidget(action_button(acts["colorize"]))
        whole_layout.addWidget(action_button(acts["jpeg"]))

        panel = QWidget()
        panel.setObjectName("toolPanel")
        layout = QVBoxLayout(panel)
        for page in self.tool_pages.values():
            layout.addWidget(page)
        layout.addWidget(whole)
        layout.addWidget(self.options_panel)
        layout.addStretch(1)
        self.tools_dock = QDockWidget("Tools", self)
        self.tools_dock.setObjectName("tools")
        self.tools_dock.setWidget(PanelScrollArea(panel))  # as wide as the panel: nothing cut off on the right
        self.tools_dock.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.tools_dock)

        self.history_view = HistoryView(self.history.stack, icon("save"))  # the steps undone greyed
        self.history_view.setEmptyLabel(self.history.base_label)
        self.memory_label = QLabel()
        self.memory_label.setObjectName("hint")
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(4, 4, 4, 4)
        history_layout.addWidget(self.history_view)
        history_layout.addWidget(self.memory_label)
        self.history_dock = QDockWidget("History", self)
        self.history_dock.setObjectName("history")
        self.history_dock.setWidget(history)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.history_dock)
        self.resizeDocks([self.tools_dock, self.history_dock], [600, 180], Qt.Orientation.Vertical)

    def _make_menus(self) -> None:
        acts, bar = self.actions, self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([acts["open"], acts["open_sample"]])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        file.addActions([acts["save"], acts["save_as"], acts["close"]])
        file.addSeparator()
        file.addAction(acts["batch"])
        file.addSeparator()
        file.addAction(acts["quit"])
        edit = bar.addMenu("&Edit")
        edit.addActions([acts["undo"], acts["redo"]])
        edit.addSeparator()
        edit.addActions([acts["clear_mask"], acts["invert_mask"], acts["import_mask"], acts["export_mask"]])
        edit.addSeparator()
        edit.addAction(acts["preferences"])
        view = bar.addMenu("&View")
        view.addActions([acts["fit"], acts["zoom100"], acts["zoom_toggle"], acts["zoom_in"], acts["zoom_out"]])
        view.addSeparator()
        view.addActions([acts["compare"], acts["show_mask"]])
        view.addSeparator()
        view.addActions([self.tools_dock.toggleViewAction(), self.history_dock.toggleViewAction()])
        image = bar.addMenu("&Image")
        image.addActions([acts["rotate_left"], acts["rotate_right"], acts["tool_crop"], acts["tool_straighten"]])
        tools = bar.addMenu("&Tools")
        tools.addActions([acts["tool_hand"], acts["tool_brush"], acts["tool_extend"], acts["tool_crop"],
                          acts["tool_straighten"]])
        tools.addSeparator()
        tools.addActions([acts["shape_rectangle"], acts["shape_lasso"]])
        tools.addSeparator()
        tools.addActions([acts["eraser"], acts["brush_smaller"], acts["brush_bigger"], acts["feather_less"],
                          acts["feather_more"]])
        tools.addSeparator()
        tools.addActions([acts["colorize"], acts["jpeg"], acts["inpaint"], acts["extend"]])
        tools.addSeparator()
        tools.addActions([acts["detect_damage"], acts["restore_old"]])
        tools.addSeparator()
        tools.addActions([acts["new_seed"], acts["cancel"]])
        self.model_menu = bar.addMenu("&Model")
        self.model_menu.aboutToShow.connect(self._fill_model_menu)
        self._fill_model_menu()
        help_ = bar.addMenu("&Help")
        help_.addActions([acts["shortcuts"], acts["open_sample"], acts["about"]])

    def _make_toolbar(self) -> None:
        acts = self.actions
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(22, 22))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        for key in ("open", "save", None, "undo", "redo", None, "tool_hand", "tool_brush", "tool_extend", "tool_crop",
                    "tool_straighten", None,
                    "colorize", "jpeg", "inpaint", "restore_old", None, "compare", "batch"):
            if key is None:
                bar.addSeparator()
            else:
                bar.addAction(acts[key])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        self.mask_tools.show_on(bar.widgetForAction(acts["tool_brush"]))  # Brush, Rectangle or Lasso

    def _make_statusbar(self) -> None:
        bar = self.statusBar()
        self.status_note = StatusNote(bar)  # how a task ended, not wiped out by a status tip
        self.task_progress = TaskProgress(self.engine, self.actions["cancel"], self.canvas.viewport())
        bar.addPermanentWidget(self.task_progress, 1)
        self.size_label = QLabel()
        self.zoom_label = QLabel()
        self.backend_label = QLabel()
        self.backend_label.setToolTip("The model and the backend that really runs it")
        for label in (self.size_label, self.zoom_label, self.backend_label):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
        self.task_progress.share_room_with([self.zoom_label, self.size_label, self.backend_label])

    def _connect(self) -> None:
        h, e, c = self.history, self.engine, self.canvas
        h.changed.connect(self._on_change)
        h.documentReplaced.connect(self._on_document_replaced)
        h.baseLabelChanged.connect(self.history_view.setEmptyLabel)
        h.stack.cleanChanged.connect(self._update_title)
        h.stack.indexChanged.connect(self._update_actions)
        h.stack.indexChanged.connect(self._update_title)
        h.stack.indexChanged.connect(self._update_memory)
        h.stack.undoTextChanged.connect(lambda t: self.actions["undo"].setToolTip(
            f"Undo {t} (Ctrl+Z)" if t else "Undo (Ctrl+Z)"))
        h.stack.redoTextChanged.connect(lambda t: self.actions["redo"].setToolTip(
            f"Redo {t} (Ctrl+Shift+Z)" if t else "Redo (Ctrl+Shift+Z)"))
        e.modelLoaded.connect(self._on_model_loaded)
        e.modelFailed.connect(self._on_model_failed)
        e.modelNotice.connect(self._on_model_notice)
        e.busyChanged.connect(self._update_actions)
        e.started.connect(self._on_started)
        e.finished.connect(self._on_finished)
        e.failed.connect(self._on_failed)
        e.cancelled.connect(self._on_cancelled)
        c.strokeFinished.connect(self._on_stroke)
        c.zoomChanged.connect(lambda z: self.zoom_label.setText(f"Zoom {z * 100:.0f} %"))
        self.brush_panel.changed.connect(self._brush_changed)

    # == document =====================================================================
    @property
    def document(self) -> Document | None:
        return self.history.document

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo", str(self.settings.last_dir("open")), OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo file; a readable dialog if it cannot be used. True when opened."""
        if not self.maybe_save():
            return False
        if self.engine.busy and self.task_job is not None:
            self.engine.cancel()
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            doc = Document.open(path)
            self.history.set_document(doc)
        except PaletteError as exc:
            self.statusBar().clearMessage()
            self.show_error("Cannot open the photo", str(exc))
            return False
        except MemoryError:
            self.statusBar().clearMessage()
            self.show_error("Cannot open the photo", f"{Path(path).name}: not enough memory to open it")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        if not is_sample(Path(path)):
            self.settings.add_recent(Path(path))
            self.settings.set_last_dir("open", Path(path).resolve().parent)
        self.statusBar().showMessage(f"Opened {doc.name}", 4000)
        return True

    def _on_document_replaced(self) -> None:
        if self.picker is not None:  # its results were for the photo before
            self.picker.reject()
        doc = self.document
        self.canvas.set_photo(doc.photo if doc else None, reset_view=True)
        self.canvas.set_original(doc.original if doc else None, doc.origin if doc else (0, 0))
        self.canvas.set_mask(doc.mask if doc else None)
        self.actions["compare"].setChecked(False)
        self.set_compare(False)
        self._update_document_labels()
        self._update_title()
        self._update_actions()
        self._update_memory()

    def _on_change(self, change) -> None:
        doc = self.document
        if change.touches_photo:
            self.canvas.set_photo(doc.photo)
            if self.canvas.before_item.photo is not doc.original:  # turned or cropped with the photo
                self.canvas.set_original(doc.original, doc.origin)
            self.canvas.set_origin(doc.origin)
            if change.resizes:
                self.canvas.set_mask(doc.mask)
            else:
                self.canvas.refresh_mask(doc.mask, change.region)
            self._update_document_labels()
        elif change.touches_mask:
            self.canvas.refresh_mask(doc.mask, change.region)
        self._update_actions()

    def _update_document_labels(self) -> None:
        doc = self.document
        if doc is None:
            self.size_label.setText("")
            self.zoom_label.setText("")
            return
        w, h = doc.size
        self.size_label.setText(f"{w} × {h} px · {w * h / 1e6:.1f} MP")
        self.zoom_label.setText(f"Zoom {self.canvas.zoom * 100:.0f} %")

    def _update_title(self, *_args) -> None:
        doc = self.document
        self.setWindowTitle(f"{doc.name}[*] — {APP_TITLE}" if doc else APP_TITLE)
        self.setWindowModified(self.history.photo_modified())

    def _update_memory(self, *_args) -> None:
        mb = self.history.nbytes / 2**20
        self.memory_label.setText(f"History holds {mb:.0f} MB of {self.history.cap_bytes // 2**20} MB")

    # == saving =======================================================================
    def save(self) -> bool:
        doc = self.document
        if doc is None:
            return False
        if doc.save_path is None:  # never over the original: ask for a name first
            return self.save_as()
        return self.save_to(doc.save_path, self.settings.jpeg_quality)

    def save_as(self) -> bool:
        doc = self.document
        if doc is None:
            return False
        self.save_dialog = SaveDialog(self, doc, suggested_path(doc, self.settings))
        target = self.save_dialog.ask(self.settings, self.show_error)
        return target is not None and self.save_to(*target)

    def save_to(self, path: str | Path, quality: int = 95) -> bool:
        doc = self.document
        path = Path(path)
        try:
            refuse_original(doc, path)
            saved = save_image(doc.photo, path, quality=quality)
        except PaletteError as exc:
            self.show_error("Cannot save", str(exc))
            return False
        doc.save_path = path
        self.history.stack.setClean()
        self.autosave.saved()  # nothing is kept for recovery once it is saved
        self.settings.set_last_dir("save", path.parent)
        self._update_title()
        self.statusBar().showMessage(" · ".join([f"Saved {path}", *saved.notes]), 12000 if saved.notes else 5000)
        return True

    def maybe_save(self) -> bool:
        """Ask before unsaved work is lost; True when it is fine to go on."""
        doc = self.document
        if doc is None or not self.history.photo_modified():
            return True
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {doc.name} before closing it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        self.close_prompt = box
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # == editing ======================================================================
    def undo(self) -> None:
        if not self.engine.busy:
            self.history.stack.undo()

    def redo(self) -> None:
        if not self.engine.busy:
            self.history.stack.redo()

    def _on_stroke(self, points: list, radius: float, erase: bool) -> None:
        doc = self.document
        if doc is None:
            return
        change = stroke_change(doc.mask, points, radius, erase) if not self.engine.busy else None
        if change is None:  # nothing changed: take the live-drawn stroke off the overlay
            self.canvas.refresh_mask(doc.mask, None)
        else:
            self.history.push(change)

    def clear_mask(self) -> None:
        doc = self.document
        if doc is not None and not self.engine.busy:
            self.history.push(mask_change(doc.mask, doc.empty_mask(), "Clear mask"))

    def invert_mask(self) -> None:
        doc = self.document
        if doc is not None and not self.engine.busy:
            self.history.push(mask_change(doc.mask, (1.0 - doc.mask).astype("float32"), "Invert mask"))

    def _brush_changed(self, *_args) -> None:
        self.canvas.set_brush(self.brush_panel.radius, self.actions["eraser"].isChecked())

    def set_tool(self, tool: Tool) -> None:
        self.tool = tool
        self.actions[f"tool_{tool.value}"].setChecked(True)
        for page_tool, page in self.tool_pages.items():
            page.setVisible(page_tool is tool)
        if self.actions["compare"].isChecked():
            self.actions["compare"].setChecked(False)
            self.set_compare(False)
        self.canvas.set_tool(tool)
        self._brush_changed()
        self.canvas.setFocus()

    def set_compare(self, on: bool) -> None:
        self.canvas.set_compare(bool(on))

    def apply_tool(self) -> None:
        if self.tool is Tool.BRUSH:
            self.run_task(Task.INPAINT)
        elif self.tool is Tool.EXTEND:
            self.run_task(Task.EXTEND)
        elif self.tool is Tool.CROP:
            self.transform_tools.crop()

    # == tasks ========================================================================
    def run_task(self, task: Task) -> Job | None:
        """Start a task on the current photo in the background; None if it cannot start."""
        doc = self.document
        if doc is None or self.engine.busy or not self.actions[task.value].isEnabled():
            return None
        options = self.options_panel.options()
        request = TaskRequest(task, options)
        name = TASK_NAMES[task]
        label = f"{name} · seed {options.seed}"
        if task is Task.INPAINT:
            radius = self.brush_panel.feather.value()
            request = TaskRequest(task, options, mask=feather(doc.mask, radius) if radius else doc.mask)
        elif task is Task.EXTEND:
            m = self.extend_frame.cut()  # the inward sides are cropped at once, no model
            if m.is_empty():
                self.statusBar().showMessage("No new canvas to fill: drag the frame's edges outward to grow it", 5000)
                return None
            request = TaskRequest(task, options, margins=m)
            label = f"Extend {m.left}·{m.top}·{m.right}·{m.bottom} px · seed {options.seed}"
        job = self.engine.run_task(doc.photo, request, label)
        if job is not None:
            self.task_job = job
            self._update_actions()
        return job

    def cancel_task(self) -> None:
        if self.engine.busy:
            self.engine.cancel()
            self.statusBar().showMessage("Cancelling…")

    def _on_started(self, job: Job) -> None:
        if job is self.task_job:
            self.statusBar().showMessage(f"{job.label.split(' · ')[0]}…")

    def _on_finished(self, job: Job, results: list[Photo]) -> None:
        if job is not self.task_job:
            return
        self.task_job = None
        doc = self.document
        if doc is None or doc.photo is not job.photo:
            self.statusBar().showMessage("The photo changed while the task ran; its result was put aside", 6000)
            return
        if len(results) == 1:
            self._apply_result(job, results[0])
            wanted = job.request.options.candidates
            why = wanted > 1 and self.model is not None and one_result_reason(job.request.task, job.request.options,
                                                                             self.model)
            if why:  # several were asked for: say why there is nothing to pick from
                self.status_note.say(f"{job.label.split(' · ')[0]} done · one result, not {wanted}: {why}", 10000)
            return
        picker = CandidatePicker(job.photo, results, job.label.split(" · ")[0], job.shift, self)
        picker.shown.connect(self.canvas.set_photo)  # the chosen one, full size, in place
        picker.accepted.connect(lambda: self._apply_result(
            job, picker.chosen, f"{job.label} · candidate {picker.chosen_index + 1}"))
        picker.rejected.connect(lambda: self.statusBar().showMessage(
            "Results discarded; the photo is as it was", 5000))
        picker.closed.connect(self._on_picker_closed)
        self.picker = picker
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, picker)
        picker.show()
        self.canvas.set_mask(None)
        self.canvas.set_margins(Margins())  # the extend frame hugs the candidate shown, not a canvas to grow
        self.canvas.set_origin((doc.origin[0] + job.shift[0], doc.origin[1] + job.shift[1]))
        self._update_actions()
        picker.start()
        self.statusBar().showMessage(f"Pick one of the {len(results)} results: keys 1–{len(results)}, "
                                     "0 for the photo before, Enter to use it")

    def _on_picker_closed(self) -> None:
        self.picker = None
        self._update_actions()
        if (doc := self.document) is not None:  # back to the photo itself
            self.canvas.set_photo(doc.photo)
            self.canvas.set_origin(doc.origin)
            self.canvas.set_mask(doc.mask)
            self.extend_frame.show()

    def _apply_result(self, job: Job, result: Photo, label: str | None = None) -> None:
        doc = self.document
        if doc is None or doc.photo is not job.photo:
            return
        # Inpaint used the mask up; other tasks keep it for later (extend moves it with the photo).
        self.history.push(PhotoChange(doc, result, label or job.label, job.shift,
                                      keep_mask=job.request.task is not Task.INPAINT))
        self.status_note.say(f"{(label or job.label).split(' · ')[0]} done", 4000)

    def _on_failed(self, job: Job, message: str) -> None:
        if job.is_batch:
            return
        if job is self.task_job:
            self.task_job = None
        self.status_note.say(f"{job.label.split(' · ')[0]} failed", 6000)
        self.show_error(f"{job.label.split(' · ')[0]} failed", message[:1].upper() + message[1:])

    def _on_cancelled(self, job: Job) -> None:
        if job is self.task_job:
            self.task_job = None
        self.status_note.say("Cancelled; the photo is as it was", 5000)

    def show_error(self, title: str, message: str) -> QMessageBox:
        """A readable, non-blocking error dialog (kept in ``error_box``)."""
        if self.error_box is not None:
            self.error_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.error_box = box
        box.open()
        return box

    # == state of the actions =========================================================
    def _update_actions(self, *_args) -> None:
        busy = self.engine.busy or self.picker is not None  # picking: the photo waits for the choice
        has = self.document is not None
        acts = self.actions
        stack = self.history.stack
        tasks = set(self.model.manifest.tasks) if self.model is not None else None
        for key, task in (("colorize", Task.COLORIZE), ("jpeg", Task.JPEG), ("inpaint", Task.INPAINT),
                          ("extend", Task.EXTEND)):
            supported = tasks is not None and task.value in tasks  # none until a model is loaded
            ready = task is not Task.INPAINT or (has and self.document.has_mask())  # inpaint: once painted
            acts[key].setEnabled(has and not busy and supported and ready)
            if tasks is not None and not supported:
                acts[key].setStatusTip(f"The model {self.model.manifest.name} cannot {task.value}")
        acts["apply_tool"].setEnabled(has and not busy)
        for key in ("save", "save_as", "clear_mask", "invert_mask", "compare", "fit", "zoom100", "zoom_toggle",
                    "zoom_in", "zoom_out"):
            acts[key].setEnabled(has)
        acts["undo"].setEnabled(stack.canUndo() and not busy)
        acts["redo"].setEnabled(stack.canRedo() and not busy)
        acts["batch"].setEnabled(not busy or (self.batch_dialog is not None and self.batch_dialog.running))
        acts["cancel"].setEnabled(busy and (self.task_job is not None or self.old_photo.running))
        self.history_view.setEnabled(not busy)
        self.canvas.set_editable(not busy)
        for key in ("clear_mask", "invert_mask", "close"):
            acts[key].setEnabled(has and not busy)
        self.old_photo.update_actions()

    # == model ========================================================================
    def _model_spec(self, **changes) -> ModelSpec:
        spec = self.engine.spec
        values = {"directory": spec.directory, "backend": spec.backend, "device": spec.device, **changes}
        return ModelSpec(**values)

    def _fill_model_menu(self) -> None:
        menu = self.model_menu
        menu.clear()
        extra = (self.settings.models_folder,) if self.settings.models_folder else ()
        current = (self.engine.spec.directory or default_model_dir()).resolve()
        models = find_models(tuple(p for p in extra if p.is_dir()))
        if current not in [d.resolve() for d, _ in models] and current.is_dir():
            try:
                models.append((current, read_manifest(current)))
            except PaletteError:
                pass
        group = QActionGroup(menu)
        bundled = bundled_models_dir().resolve()
        for directory, manifest in models:
            where = "bundled" if bundled in directory.resolve().parents else str(directory.parent)
            action = menu.addAction(f"{manifest.name}  ({where})")
            action.setCheckable(True)
            action.setChecked(directory.resolve() == current)
            action.setToolTip(manifest.description or str(directory))
            action.setStatusTip(manifest.description or str(directory))
            action.triggered.connect(lambda _=False, d=directory: self.choose_model(d))
            group.addAction(action)
        if not models:
            menu.addAction("No models found").setEnabled(False)
        menu.addSeparator()
        backend_menu = menu.addMenu("&Backend")
        backends = QActionGroup(backend_menu)
        for backend, text in ((Backend.AUTO, "Automatic"), (Backend.ONNX, "ONNX Runtime"), (Backend.TORCH, "PyTorch")):
            action = backend_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(self.engine.spec.backend is backend)
            action.triggered.connect(lambda _=False, b=backend: self.choose_backend(b))
            backends.addAction(action)
        device_menu = menu.addMenu("&Device")
        devices = QActionGroup(device_menu)
        for device, text in (("auto", "Automatic (GPU when there is one)"), ("cpu", "CPU"), ("cuda", "CUDA GPU")):
            action = device_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(self.engine.spec.device == device)
            action.triggered.connect(lambda _=False, d=device: self.choose_device(d))
            devices.addAction(action)
        menu.addSeparator()
        menu.addAction(self.actions["add_models"])
        menu.addAction(self.actions["about_model"])
        self.model_actions = group.actions()

    def choose_model(self, directory: Path | None) -> None:
        self.settings.model_dir = directory
        self._reload_model(self._model_spec(directory=directory))

    def choose_backend(self, backend: Backend) -> None:
        self.settings.backend = backend
        self._reload_model(self._model_spec(backend=backend))

    def choose_device(self, device: str) -> None:
        self.settings.device = device
        self._reload_model(self._model_spec(device=device))

    def _reload_model(self, spec: ModelSpec) -> None:
        if spec == self.engine.spec and self.model is not None:
            return
        self.backend_label.setText("Loading model…")
        self.engine.set_model(spec)

    def add_models_folder(self) -> None:
        start = self.settings.models_folder or Path.home()
        folder = QFileDialog.getExistingDirectory(self, "A folder with Palette Desktop models", str(start))
        if folder:
            self.settings.models_folder = Path(folder)
            self._fill_model_menu()

    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.model = model
        self.backend_label.setText(f"{model.manifest.name} · {model.backend_name}")
        self.backend_label.setToolTip(f"{model.manifest.description or model.manifest.name}\n{model.directory}")
        self.backend_label.setStyleSheet("")
        self._update_actions()

    def _on_model_notice(self, message: str) -> None:
        self.settings.device = self.engine.spec.device  # the next start goes straight to what works
        self.statusBar().showMessage(f"{message}; Model → Device to choose", 15000)

    def _on_model_failed(self, message: str) -> None:
        self.model = None
        self.backend_label.setText("No model loaded")
        self.backend_label.setStyleSheet("color: #e06c5a;")
        self.backend_label.setToolTip(message)
        self.show_error("The model could not be loaded", message)

    # == dialogs ======================================================================
    def open_batch(self) -> None:
        if self.batch_dialog is None:
            self.batch_dialog = BatchDialog(self.engine, self.settings, self.options_panel.options(), self)
            for field, purpose in ((self.batch_dialog.input, "batch_in"), (self.batch_dialog.output, "batch_out")):
                folder = self.settings.last_dir(purpose)
                if folder != Path.home():
                    field.set_path(folder)
            self.engine.busyChanged.connect(self._update_actions)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()

    def open_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec():
            dialog.store()
            self.history.set_cap_mb(self.settings.history_mb)
            self.options_panel.set_steps(self.settings.default_steps)
            self._update_memory()

    def show_about(self) -> AboutDialog:
        spec = self.engine.spec
        directory = spec.directory or default_model_dir()
        manifest = None
        if self.model is None:
            try:
                manifest = read_manifest(directory)
            except PaletteError:
                manifest = None
        dialog = AboutDialog(self.model, directory, manifest, self.engine.model_error or "", self)
        self.about_dialog = dialog
        dialog.open()
        return dialog

    def show_shortcuts(self) -> ShortcutsDialog:
        extra = [("Pan", "Space + drag, or middle button"), ("Zoom", "Mouse wheel"),
                 ("Show the original while held", "\\"), ("Pick a candidate", "1 – 4")]
        dialog = ShortcutsDialog(list(self.actions.values()), extra, self)
        self.shortcuts_dialog = dialog
        dialog.open()
        return dialog

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = [p for p in self.settings.recent_files() if p.is_file()]
        for i, path in enumerate(files):
            action = menu.addAction(f"&{i + 1}  {path.name}" if i < 9 else path.name)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            menu.addAction("No recent photos").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear List", self.settings.clear_recent)

    # == window events ================================================================
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.batch_dialog is not None and self.batch_dialog.running:
            answer = QMessageBox.question(self, "A batch is running",
                                          "Cancel the batch and quit? Photos already done are kept.")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.engine.shutdown()
        self.autosave.close()  # a deliberate quit: nothing is kept for recovery
        if self.batch_dialog is not None:
            self.batch_dialog.close()
        event.accept()
