#!/bin/sh
# Install Palette Desktop from this unpacked folder: the program, a menu entry and an icon.
#
#   ./install.sh              for you only: ~/.local/opt/palette-desktop, ~/.local/bin,
#                             ~/.local/share/{applications,icons}
#   sudo ./install.sh --system   for everyone: /opt/palette-desktop, /usr/local/{bin,share}
#   ./install.sh --uninstall  (with --system too if it was installed that way)
#
# Nothing else is touched; the program also runs in place: ./palette-desktop
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SYSTEM=0
UNINSTALL=0
for arg in "$@"; do
    case "$arg" in
        --system) SYSTEM=1 ;;
        --uninstall) UNINSTALL=1 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$SYSTEM" = 1 ]; then
    APPDIR=/opt/palette-desktop
    BINDIR=/usr/local/bin
    SHARE=/usr/local/share
else
    APPDIR=$HOME/.local/opt/palette-desktop
    BINDIR=$HOME/.local/bin
    SHARE=${XDG_DATA_HOME:-$HOME/.local/share}
fi
DESKTOP=$SHARE/applications/palette-desktop.desktop
PNG=$SHARE/icons/hicolor/256x256/apps/palette-desktop.png
SVG=$SHARE/icons/hicolor/scalable/apps/palette-desktop.svg

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
    # no gtk-update-icon-cache: a cache left in a user's icon folder hides icons added later;
    # a changed folder time is enough for desktops to look again
    touch "$SHARE/icons/hicolor" 2>/dev/null || true
}

if [ "$UNINSTALL" = 1 ]; then
    rm -rf "$APPDIR"
    rm -f "$DESKTOP" "$PNG" "$SVG"
    if [ -L "$BINDIR/palette-desktop" ]; then rm -f "$BINDIR/palette-desktop"; fi
    refresh
    echo "Palette Desktop removed (your settings and models in ~/.local/share/Palette Desktop are kept)."
    exit 0
fi

[ -x "$HERE/palette-desktop" ] && [ -d "$HERE/_internal" ] || {
    echo "install.sh: run it from the unpacked palette-desktop folder" >&2
    exit 1
}
if [ "$HERE" != "$APPDIR" ]; then
    rm -rf "$APPDIR"
    mkdir -p "$APPDIR"
    cp -a "$HERE/." "$APPDIR/"
fi
mkdir -p "$BINDIR" "$SHARE/applications" "$(dirname "$PNG")"
ln -sf "$APPDIR/palette-desktop" "$BINDIR/palette-desktop"
cp "$HERE/palette-desktop.png" "$PNG"
if [ -f "$HERE/palette-desktop.svg" ]; then
    mkdir -p "$(dirname "$SVG")"
    cp "$HERE/palette-desktop.svg" "$SVG"
fi
# the menu entry names the program by its full path, so it works without ~/.local/bin on PATH
sed -e "s|^Exec=.*|Exec=\"$APPDIR/palette-desktop\" %f|" \
    -e "s|^TryExec=.*|TryExec=$APPDIR/palette-desktop|" \
    "$HERE/palette-desktop.desktop" > "$DESKTOP"
chmod 644 "$DESKTOP"
refresh

echo "Palette Desktop installed in $APPDIR"
echo "  menu: Graphics > Palette Desktop;  terminal: $BINDIR/palette-desktop (--self-test checks the install)"
case ":$PATH:" in *":$BINDIR:"*) ;; *) echo "  ($BINDIR is not on your PATH)";; esac
