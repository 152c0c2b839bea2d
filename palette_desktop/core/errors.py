"""Errors whose message is fit to show a user as it is, on one line."""


class PaletteError(Exception):
    """Base of every error that the CLI and the window show as a one-line message."""


class ImageError(PaletteError):
    """An image file that cannot be read or written."""


class OutputFolderError(ImageError):
    """The output folder takes no more files (disk full, read-only, no permission): a batch stops."""


class ModelError(PaletteError):
    """A model that is missing, corrupt, or does not match its manifest."""


class TaskError(PaletteError):
    """Parameters a task cannot work with (empty mask, zero margins, ...)."""


class Cancelled(PaletteError):
    """The user cancelled a running task; nothing was changed."""


class OutOfMemory(PaletteError):
    """The model ran out of memory even one image at a time; smaller tiles may still fit."""


class NotEnoughMemory(PaletteError):
    """A photo too large for the memory available, refused before any work."""
