"""Allow ``python -m palette_desktop``."""

from palette_desktop.cli import main

raise SystemExit(main())
