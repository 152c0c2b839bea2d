#!/usr/bin/env bash
# Make the macOS disk image from "dist/Palette Desktop.app" (built by packaging/build.sh,
# which calls this on macOS):
#
#   packaging/macos/make_dmg.sh VERSION
#
# -> dist/PaletteDesktop-VERSION-macos-ARCH.dmg: the .app and a link to /Applications,
#    compressed (UDZO). The .app is signed ad hoc unless CODESIGN_IDENTITY names a
#    "Developer ID Application" certificate; then it is signed with the hardened runtime
#    and, if NOTARY_PROFILE names a `xcrun notarytool store-credentials` profile, notarized
#    and stapled. Without notarization, users open it the first time with right-click > Open.
# Build on the oldest macOS you support and on each architecture (arm64, x86_64) you ship:
# PyInstaller bundles the Python and wheels of the machine it runs on.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
VERSION=${1:?usage: make_dmg.sh VERSION}
APP="dist/Palette Desktop.app"
ARCH=$(uname -m)
DMG=dist/PaletteDesktop-$VERSION-macos-$ARCH.dmg
[ -d "$APP" ] || { echo "make_dmg.sh: $APP not found; run packaging/build.sh first" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$HERE/entitlements.plist" --sign "$CODESIGN_IDENTITY" "$APP"
else
    codesign --force --deep --sign - "$APP"
fi
codesign --verify --deep --strict "$APP"

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Palette Desktop $VERSION" -srcfolder "$STAGE" -fs HFS+ \
    -format UDZO -imagekey zlib-level=9 -ov "$DMG"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$CODESIGN_IDENTITY" --timestamp "$DMG"
    if [ -n "${NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    fi
fi
hdiutil verify "$DMG"
ls -l "$DMG" | awk '{printf "%s  %.1f MB\n", $NF, $5 / 1e6}'
