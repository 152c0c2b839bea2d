"""The README's commands stay the ones CI runs and a newcomer needs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_test_command_is_the_one_ci_runs():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    command = ci[-1]
    assert "pytest" in command
    assert command in (ROOT / "README.md").read_text().splitlines()


def test_the_readme_says_what_a_linux_desktop_needs_and_how_to_get_cpu_torch():
    readme = (ROOT / "README.md").read_text()
    install = readme.index("pip install -e . && palette-desktop")
    before = readme[:install]
    for package in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"):
        assert package in before
    assert "palette-desktop self-test" in before and "display" in before
    assert "--index-url https://download.pytorch.org/whl/cpu" in readme
