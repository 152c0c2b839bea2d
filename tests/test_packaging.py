"""The installers (packaging/): cheap checks that always run, and the real bundle build.

The bundle test builds the PyInstaller bundle with packaging/build.sh (a build venv from
PyPI, PyInstaller, the checks on the fresh bundle, the tar.gz) and runs the bundle's
self-test again. It takes 2-5 minutes on two cores and writes dist/, so it runs only
when asked:

    PALETTE_TEST_BUNDLE=1 python -m pytest tests/test_packaging.py
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SHELL_SCRIPTS = ["build.sh", "macos/make_dmg.sh", "linux/install.sh"]
DESKTOP_FILE = PACKAGING / "linux" / "palette-desktop.desktop"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- cheap checks -------------------------------------------------------------------------

def test_spec_compiles_and_names_what_exists():
    source = (PACKAGING / "palette_desktop.spec").read_text(encoding="utf-8")
    compile(source, "palette_desktop.spec", "exec")
    assert (PACKAGING / "entry.py").is_file()
    for icon in re.findall(r'"(palette-desktop\.(?:ico|icns|png))"', source):
        assert (PACKAGING / "icons" / icon).is_file(), icon
    # the frozen app looks for these at the top of sys._MEIPASS
    assert 'tree(ROOT / "models", "models"' in source
    assert 'tree(ROOT / "resources", "resources")' in source
    assert '"torch"' in source and '"palette_desktop.model"' in source


def test_the_bundled_model_can_run_on_onnx_runtime_alone():
    """The spec ships models without torch weights: each needs its ONNX file."""
    manifest = json.loads((ROOT / "models" / "palette-small" / "manifest.json").read_text())
    assert (ROOT / "models" / "palette-small" / manifest["onnx_file"]).is_file()
    assert (ROOT / "resources" / "sample.jpg").is_file()  # the self-test's photo


def test_bundle_requirements_use_the_cpu_runtime_and_no_torch():
    reqs = _load(PACKAGING / "bundle_requirements.py", "bundle_requirements").bundle_requirements()
    names = [re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in reqs]
    assert "onnxruntime" in names and "onnxruntime-gpu" not in names
    assert "pyside6-essentials" in names
    assert not {"torch", "onnx", "pytest"} & set(names)
    assert all(";" not in r for r in reqs)
    assert "opencv-python-headless==4.12.0.88" in reqs  # the newest OpenCV takes the bundle over 400 MB


@pytest.mark.parametrize("script", SHELL_SCRIPTS)
def test_shell_scripts_parse(script):
    path = PACKAGING / script
    shell = "sh" if path.read_text().startswith("#!/bin/sh") else "bash"
    subprocess.run([shell, "-n", str(path)], check=True)
    assert os.access(path, os.X_OK), f"{script} is not executable"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_shell_scripts_pass_shellcheck():
    subprocess.run(["shellcheck", "-S", "warning", *[str(PACKAGING / s) for s in SHELL_SCRIPTS]], check=True)


def test_desktop_file():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(DESKTOP_FILE, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "Palette Desktop"
    assert desktop["Exec"].split()[0] == "palette-desktop" and "%f" in desktop["Exec"]
    assert desktop["Icon"] == "palette-desktop" and desktop["Terminal"] == "false"
    assert "Graphics" in desktop["Categories"].split(";")
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(DESKTOP_FILE)], capture_output=True, text=True)
        assert result.returncode == 0 and "error" not in result.stdout, result.stdout


def test_icons():
    from PIL import Image

    icons = PACKAGING / "icons"
    with Image.open(icons / "palette-desktop.png") as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
    with Image.open(icons / "palette-desktop.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(icons / "palette-desktop.icns") as icns:
        assert icns.size[0] >= 512


def test_inno_setup_script_matches_the_spec():
    iss = (PACKAGING / "windows" / "palette-desktop.iss").read_text(encoding="utf-8")
    spec = (PACKAGING / "palette_desktop.spec").read_text(encoding="utf-8")
    sections = re.findall(r"^\[(\w+)\]", iss, re.MULTILINE)
    assert {"Setup", "Files", "Icons", "Run", "Code"} <= set(sections)
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", iss, re.MULTILINE)
    assert r'Source: "{#Root}\dist\palette-desktop\*"' in iss and 'name=EXE_NAME' in spec
    assert '#define AppExe "Palette Desktop.exe"' in iss and 'APP_NAME = "Palette Desktop"' in spec
    assert '#define CliExe "palette-desktop.exe"' in iss and 'EXE_NAME = "palette-desktop"' in spec
    icon = re.search(r"^SetupIconFile=\{#Root\}\\(.+)$", iss, re.MULTILINE).group(1)
    assert (ROOT / icon.replace("\\", "/")).is_file()
    code = iss.split("[Code]", 1)[1]
    assert code.count("begin") == code.count("end;") + code.count("end.")  # every block closed
    ps1 = (PACKAGING / "windows" / "build.ps1").read_text(encoding="utf-8")
    assert "palette-desktop.iss" in ps1 and "--self-test" in ps1 and "palette_desktop.spec" in ps1


def test_macos_files():
    plist = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert plist["com.apple.security.cs.disable-library-validation"] is True
    dmg = (PACKAGING / "macos" / "make_dmg.sh").read_text()
    assert "hdiutil create" in dmg and "Palette Desktop.app" in dmg
    assert "BUNDLE(" in (PACKAGING / "palette_desktop.spec").read_text()


def test_bundle_size_report(tmp_path):
    internal = tmp_path / "bundle" / "_internal"
    (internal / "cv2").mkdir(parents=True)
    (internal / "cv2" / "cv2.abi3.so").write_bytes(b"x" * 3000)
    (internal / "opencv_python_headless.libs").mkdir()
    (internal / "opencv_python_headless.libs" / "libavcodec.so").write_bytes(b"x" * 1000)
    (internal / "libQt6Core.so.6").write_bytes(b"x" * 500)
    script = [sys.executable, str(PACKAGING / "bundle_size.py"), str(tmp_path / "bundle")]
    ok = subprocess.run(script, capture_output=True, text=True, check=True).stdout
    assert "0.0 MB (0.0 MiB), 3 files" in ok
    assert re.search(r"largest parts:\n\s+0\.0 MB  cv2\n\s+0\.0 MB  PySide6 \(Qt\)", ok)
    too_big = subprocess.run([*script, "--max-mb", "0.001"], capture_output=True, text=True)
    assert too_big.returncode == 1 and "over the 0.001 MB limit" in too_big.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell script")
def test_linux_install_script_installs_and_uninstalls(tmp_path):
    """install.sh with a stand-in bundle: program, link, menu entry, icon; then removes them."""
    unpacked = tmp_path / "palette-desktop-0.1.0"
    (unpacked / "_internal").mkdir(parents=True)
    exe = unpacked / "palette-desktop"
    exe.write_text("#!/bin/sh\necho palette-desktop 0.1.0\n")
    exe.chmod(0o755)
    for name in ("install.sh", "palette-desktop.desktop"):
        shutil.copy2(PACKAGING / "linux" / name, unpacked / name)
    shutil.copy2(PACKAGING / "icons" / "palette-desktop.png", unpacked)
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share")}
    subprocess.run([str(unpacked / "install.sh")], env=env, check=True, capture_output=True)
    appdir = home / ".local/opt/palette-desktop"
    link = home / ".local/bin/palette-desktop"
    desktop = home / ".local/share/applications/palette-desktop.desktop"
    assert subprocess.run([str(link)], capture_output=True, text=True).stdout.strip() == "palette-desktop 0.1.0"
    assert f'Exec="{appdir}/palette-desktop" %f' in desktop.read_text()
    assert (home / ".local/share/icons/hicolor/256x256/apps/palette-desktop.png").is_file()
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(desktop)], check=True)
    subprocess.run([str(unpacked / "install.sh"), "--uninstall"], env=env, check=True, capture_output=True)
    assert not appdir.exists() and not link.exists() and not desktop.exists()


# --- the real build ------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("PALETTE_TEST_BUNDLE") != "1",
                    reason="builds the installer bundle (minutes); set PALETTE_TEST_BUNDLE=1")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="build.sh's Linux path; see packaging/")
def test_build_the_bundle_and_run_its_self_test(tmp_path):
    build = subprocess.run(["bash", str(PACKAGING / "build.sh")], cwd=ROOT, capture_output=True, text=True,
                           timeout=40 * 60)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    for line in ("self-test passed", "started, ran 8 s, closed", "unpacked size:"):
        assert line in build.stdout, line

    from palette_desktop import __version__

    exe = ROOT / "dist" / "palette-desktop" / "palette-desktop"
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    version = subprocess.run([str(exe), "--version"], cwd=tmp_path, env=clean_env, capture_output=True, text=True)
    assert version.stdout.strip() == f"palette-desktop {__version__}"
    from real_fs import TELEMETRY_SWITCHES

    home = tmp_path / "home"  # a user who never ran it, without the CI markers that silence ONNX Runtime
    home.mkdir()
    first_run_env = {**{k: v for k, v in clean_env.items() if k not in TELEMETRY_SWITCHES}, "HOME": str(home)}
    test = subprocess.run([str(exe), "--self-test"], cwd=tmp_path, env=first_run_env, capture_output=True, text=True,
                          timeout=600)
    assert test.returncode == 0, test.stdout + test.stderr
    assert not (home / ".cache" / "Microsoft").exists(), "ONNX Runtime telemetry ran in the bundle"
    assert "self-test passed" in test.stdout and "ONNX Runtime" in test.stdout
    for task in ("colorize", "inpaint", "extend", "jpeg"):
        assert re.search(rf"{task}: ok", test.stdout), task

    internal = exe.parent / "_internal"
    assert (internal / "models" / "palette-small" / "model.onnx").is_file()
    assert not list((internal / "models").rglob("*.pt")), "torch weights in the bundle"
    assert not (internal / "torch").exists()
    assert (internal / "resources" / "sample.jpg").is_file()
    size = sum(p.stat().st_size for p in exe.parent.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= 400e6, f"{size / 1e6:.1f} MB"

    tarball = ROOT / "dist" / f"palette-desktop-{__version__}-linux-{os.uname().machine}.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    top = f"palette-desktop-{__version__}"
    for name in ("palette-desktop", "palette-desktop.desktop", "palette-desktop.png", "install.sh",
                 "_internal/models/palette-small/manifest.json"):
        assert f"{top}/{name}" in names, name
