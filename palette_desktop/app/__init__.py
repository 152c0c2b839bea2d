"""The desktop window: the only package that imports PySide6.

Everything here is a thin layer over the Qt-free core: the work functions in
:mod:`palette_desktop.tasks` run on one background worker (:mod:`.worker`), edits are
reversible changes of a :class:`.document.Document` wrapped in ``QUndoCommand`` s
(:mod:`.history`), and the widgets only show state and forward what the user does.
"""
