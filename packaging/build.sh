#!/usr/bin/env bash
# Build the Palette Desktop installer bundle into dist/ and prove it works.
#
#   packaging/build.sh [--ort PACKAGE] [--no-venv] [--no-package]
#
# 1. a clean build venv (build/bundle-venv) with the app's runtime dependencies, the CPU
#    build of ONNX Runtime instead of onnxruntime-gpu, and PyInstaller; never torch
# 2. PyInstaller with packaging/palette_desktop.spec -> dist/palette-desktop/ (one folder;
#    on macOS also "dist/Palette Desktop.app")
# 3. checks on the fresh bundle: --version, --self-test (every task on the built-in sample),
#    the window starting offscreen, no torch inside, the unpacked size (<= 400 MB on Linux
#    with the CPU runtime) and its largest parts
# 4. the artefacts: Linux  dist/palette-desktop-VERSION-linux-ARCH.tar.gz (bundle, .desktop
#    file, icon, install.sh) and, when appimagetool is on PATH, an AppImage;
#    macOS dist/PaletteDesktop-VERSION-macos-ARCH.dmg (packaging/macos/make_dmg.sh).
#    Windows: packaging/windows/build.ps1.
#
# Options:
#   --ort PACKAGE   ONNX Runtime wheel for the bundle (default onnxruntime, the CPU build;
#                   onnxruntime-gpu makes a CUDA-capable bundle of ~700 MB: it sets
#                   PALETTE_BUNDLE_GPU=1 and lifts the size limit)
#   --no-venv       build with the python on PATH as it is (it needs PyInstaller and the
#                   app's dependencies); CUDA provider libraries are still left out
#   --no-package    stop after the checks (no tar.gz / AppImage / dmg)
# Environment: PYTHON (interpreter for the build venv, default python3),
#   PALETTE_BUNDLE_MAX_MB (size limit, default 400 for the Linux CPU bundle; 0 = none).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

ORT=onnxruntime
USE_VENV=1
PACKAGE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --ort) ORT=$2; shift 2 ;;
        --ort=*) ORT=${1#--ort=}; shift ;;
        --no-venv) USE_VENV=0; shift ;;
        --no-package) PACKAGE=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }
fail() { echo "build.sh: FAILED: $*" >&2; exit 1; }
START=$(date +%s)
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' palette_desktop/__init__.py)
[ -n "$VERSION" ] || fail "no __version__ in palette_desktop/__init__.py"
OS=$(uname -s)
ARCH=$(uname -m)
case "$OS" in
    Linux) EXE=dist/palette-desktop/palette-desktop; BUNDLE=dist/palette-desktop ;;
    Darwin) EXE="dist/Palette Desktop.app/Contents/MacOS/palette-desktop"; BUNDLE="dist/Palette Desktop.app" ;;
    *) fail "$OS: use packaging/windows/build.ps1 on Windows" ;;
esac
if [ "$ORT" = onnxruntime ] && [ "$OS" = Linux ]; then
    MAX_MB=${PALETTE_BUNDLE_MAX_MB:-400}
else
    MAX_MB=${PALETTE_BUNDLE_MAX_MB:-0}
fi
[ "$ORT" = onnxruntime-gpu ] && export PALETTE_BUNDLE_GPU=1

# --- 1. build environment -----------------------------------------------------------------
if [ "$USE_VENV" = 1 ]; then
    VENV=build/bundle-venv
    step "build venv $VENV (ONNX Runtime: $ORT)"
    [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
    PY=$VENV/bin/python
    REQS=build/bundle-requirements.txt
    "$PY" packaging/bundle_requirements.py --ort "$ORT" > "$REQS.new"
    echo "pyinstaller>=6.5" >> "$REQS.new"
    if ! cmp -s "$REQS.new" "$REQS" || ! [ -f "$VENV/.installed" ]; then
        # another ONNX Runtime flavour may be there from an earlier build: they share a package dir
        "$PY" -m pip uninstall -y -q onnxruntime onnxruntime-gpu onnxruntime-directml >/dev/null 2>&1 || true
        "$PY" -m pip install -q --upgrade -r "$REQS.new"
        touch "$VENV/.installed"
    fi
    mv "$REQS.new" "$REQS"
else
    PY=$(command -v python)
    step "using $PY as it is"
fi
"$PY" -c "import PyInstaller" 2>/dev/null || fail "$PY has no PyInstaller: pip install 'pyinstaller>=6.5'"
"$PY" -c "import torch" 2>/dev/null && echo "note: torch is installed here; the spec keeps it out of the bundle"
"$PY" -m pip list --format=freeze 2>/dev/null | grep -iE '^(onnxruntime|pyside6|numpy|opencv|pillow|pyinstaller)' | sed 's/^/    /' || true
if [ "$OS" = Linux ]; then
    # Qt's xcb plugin needs these; PyInstaller bundles them only if this machine has them
    for lib in libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1; do
        ldconfig -p 2>/dev/null | grep -q "$lib" || echo "warning: $lib is not installed here, so the bundle will need it on the user's machine (apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)"
    done
fi

# --- 2. PyInstaller -----------------------------------------------------------------------
step "PyInstaller -> dist/"
rm -rf dist/palette-desktop "dist/Palette Desktop.app"
BUILD_START=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/palette_desktop.spec
echo "PyInstaller took $(( $(date +%s) - BUILD_START )) s"
[ -x "$EXE" ] || fail "$EXE was not built"

# --- 3. checks on the fresh bundle ---------------------------------------------------------
step "checks"
# run it from somewhere else, so that nothing can come from the source checkout
CHECK_DIR=$(mktemp -d)
trap 'rm -rf "$CHECK_DIR"' EXIT
ABS_EXE="$ROOT/$EXE"
got=$(cd "$CHECK_DIR" && "$ABS_EXE" --version)
[ "$got" = "palette-desktop $VERSION" ] || fail "--version printed '$got', expected 'palette-desktop $VERSION'"
echo "--version: $got"

echo "--self-test:"
(cd "$CHECK_DIR" && PYTHONPATH='' "$ABS_EXE" --self-test) || fail "the bundle's self-test failed"

echo "window (QT_QPA_PLATFORM=offscreen, 8 s):"
(cd "$CHECK_DIR" && QT_QPA_PLATFORM=offscreen exec "$ABS_EXE" > "$CHECK_DIR/window.log" 2>&1) &
WINDOW_PID=$!
sleep 8
if kill -0 "$WINDOW_PID" 2>/dev/null; then
    kill "$WINDOW_PID"
    wait "$WINDOW_PID" 2>/dev/null || true
else
    wait "$WINDOW_PID" && rc=0 || rc=$?
    cat "$CHECK_DIR/window.log"
    fail "the window exited on its own within 8 s (exit code $rc)"
fi
if grep -E "Traceback|Error|could not (load|find) the Qt platform plugin|cannot open shared object" "$CHECK_DIR/window.log"; then
    fail "the window printed errors"
fi
echo "    started, ran 8 s, closed"
if [ "$OS" = Linux ] && command -v xvfb-run >/dev/null; then
    # the X11 (xcb) platform plugin is what users' desktops load, and it is the one that
    # misses system libraries; offscreen does not load it
    echo "window on X11 (xvfb-run, 8 s):"
    rc=0
    (cd "$CHECK_DIR" && xvfb-run -a timeout 8 "$ABS_EXE" > "$CHECK_DIR/xcb.log" 2>&1) || rc=$?
    if [ "$rc" != 124 ] || grep -E "Traceback|could not (load|find) the Qt platform plugin|cannot open shared object" "$CHECK_DIR/xcb.log"; then
        cat "$CHECK_DIR/xcb.log"
        fail "the window did not run on X11 (exit code $rc)"
    fi
    echo "    started, ran 8 s, closed"
fi

leaked=$(find "$BUNDLE" -iname '*torch*' -o -iname 'libonnxruntime_providers_cuda*' -o -iname 'libcudnn*' | head -5)
if [ -n "$leaked" ] && [ "$ORT" = onnxruntime ]; then
    fail "unwanted files in the bundle: $leaked"
fi

step "size"
"$PY" packaging/bundle_size.py "$BUNDLE" --max-mb "$MAX_MB" || fail "the bundle is too large"

# --- 4. artefacts -------------------------------------------------------------------------
if [ "$PACKAGE" = 1 ] && [ "$OS" = Linux ]; then
    NAME=palette-desktop-$VERSION
    TARBALL=dist/$NAME-linux-$ARCH.tar.gz
    step "$TARBALL"
    STAGE=build/linux-stage
    rm -rf "$STAGE"
    mkdir -p "$STAGE/$NAME"
    cp -a dist/palette-desktop/. "$STAGE/$NAME/"
    cp packaging/linux/palette-desktop.desktop packaging/linux/install.sh packaging/linux/README.txt "$STAGE/$NAME/"
    cp packaging/icons/palette-desktop.png "$STAGE/$NAME/palette-desktop.png"
    if [ -f resources/icon.svg ]; then cp resources/icon.svg "$STAGE/$NAME/palette-desktop.svg"; fi
    chmod +x "$STAGE/$NAME/install.sh"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$STAGE/$NAME/palette-desktop.desktop" || fail "the .desktop file is not valid"
    fi
    if command -v pigz >/dev/null; then
        tar -C "$STAGE" -cf - "$NAME" | pigz -9 > "$TARBALL"
    else
        tar -C "$STAGE" -czf "$TARBALL" "$NAME"
    fi
    ls -l "$TARBALL" | awk '{printf "%s  %.1f MB\n", $NF, $5 / 1e6}'

    if command -v appimagetool >/dev/null; then
        step "AppImage"
        APPDIR=build/AppDir
        rm -rf "$APPDIR"
        mkdir -p "$APPDIR/usr/lib"
        cp -a dist/palette-desktop "$APPDIR/usr/lib/palette-desktop"
        cp packaging/linux/palette-desktop.desktop "$APPDIR/"
        cp packaging/icons/palette-desktop.png "$APPDIR/palette-desktop.png"
        cp packaging/icons/palette-desktop.png "$APPDIR/.DirIcon"
        # shellcheck disable=SC2016 # $0 and $@ are for AppRun, not for this script
        printf '#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/lib/palette-desktop/palette-desktop" "$@"\n' > "$APPDIR/AppRun"
        chmod +x "$APPDIR/AppRun"
        export ARCH
        appimagetool --no-appstream "$APPDIR" "dist/Palette_Desktop-$VERSION-$ARCH.AppImage"
    else
        echo "(no AppImage: appimagetool is not installed; it is not packaged in Debian/Ubuntu — get it from github.com/AppImage/appimagetool and rerun)"
    fi
elif [ "$PACKAGE" = 1 ] && [ "$OS" = Darwin ]; then
    step "dmg"
    "$HERE/macos/make_dmg.sh" "$VERSION"
fi

step "done in $(( $(date +%s) - START )) s"
ls -d "$BUNDLE" dist/*"$VERSION"* 2>/dev/null | sed 's/^/    /'
