"""The packaging files agree with the code: MIME type, menu entry, pins, scripts."""

from __future__ import annotations

import configparser
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from netbuilder.core import fileformat
from netbuilder.resources import list_examples

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
MIME = "application/x-netbuilder-graph"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_mime_type_matches_the_file_format() -> None:
    root = ET.parse(PACKAGING / "netbuilder-mime.xml").getroot()
    (mime,) = root.findall("m:mime-type", NS)
    assert mime.get("type") == MIME
    assert [g.get("pattern") for g in mime.findall("m:glob", NS)] == ["*.nbg"]
    (match,) = mime.findall("m:magic/m:match", NS)
    assert match.get("value") == f'"format": "{fileformat.FORMAT_NAME}"'
    limit = int(match.get("offset").split(":")[1])
    for name in list_examples():  # the magic must find every file we write
        head = (REPO / "resources" / "examples" / f"{name}.nbg").read_bytes()[:limit]
        assert match.get("value").encode() in head, name


def test_desktop_entry_opens_nbg_files_with_the_console_script() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "netbuilder.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert MIME in entry["MimeType"].split(";")
    command = entry["Exec"].split()[0]
    assert command in _pyproject()["project"]["scripts"]
    assert (REPO / "resources" / "icons" / f"{entry['Icon']}.svg").is_file()


def test_constraints_pin_a_safe_pyside6_and_the_cpu_torch() -> None:
    pins = {}
    for line in (PACKAGING / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].split(";")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    assert pins["torch"] == "2.13.0"
    # 6.12.0 crashes CPython 3.11 (see tests/ui/test_signal_regression.py).
    assert tuple(int(p) for p in pins["pyside6-essentials"].split(".")[:2]) < (6, 12)
    assert pins["shiboken6"] == pins["pyside6-essentials"]
    # Every pinned runtime dependency is one pyproject.toml declares.
    declared = " ".join(_pyproject()["project"]["dependencies"]).lower()
    for name in ("torch", "pyside6-essentials", "pyqtgraph", "numpy", "networkx"):
        assert name in declared


def test_spec_bundles_the_resources_where_the_package_looks() -> None:
    spec = (PACKAGING / "netbuilder.spec").read_text(encoding="utf-8")
    assert '"netbuilder/resources"' in spec
    assert "pyinstaller_entry.py" in spec
    assert (PACKAGING / "pyinstaller_entry.py").is_file()


@pytest.mark.parametrize("script", ["packaging/setup.sh", ".ci/run"])
def test_shell_scripts_parse(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(REPO / script)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="bash script")
def test_setup_sh_refuses_an_unknown_mode_with_usage() -> None:
    result = subprocess.run(["bash", str(PACKAGING / "setup.sh"), "deploy"],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 2
    assert "usage: bash packaging/setup.sh app [FILE]" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="bash script")
def test_setup_sh_refuses_an_unknown_torch_choice_before_installing_anything() -> None:
    """The running venv is reused, so the refusal comes before pip runs."""
    env = {"PATH": "/usr/bin:/bin", "NETBUILDER_VENV": sys.prefix, "NETBUILDER_SKIP_APT": "1",
           "NETBUILDER_TORCH": "gpu", "PYTHON": sys.executable, "HOME": str(REPO)}
    result = subprocess.run(["bash", str(PACKAGING / "setup.sh"), "test"], env=env,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "NETBUILDER_TORCH=gpu: use auto, cpu, cuda or keep" in result.stderr


def test_the_app_install_has_what_its_own_menus_need() -> None:
    """File > Export > ONNX needs the onnx extra."""
    script = (PACKAGING / "setup.sh").read_text(encoding="utf-8")
    assert 'local target=(".[onnx]")' in script


def _pins() -> dict[str, str]:
    pins = {}
    for line in (PACKAGING / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].split(";")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_every_dev_tool_is_pinned() -> None:
    """A new release of a checker (ruff, import-linter, mypy, a stub package) can add findings
    and turn CI red with no change of ours: CI installs each at a pinned version."""
    pins = _pins()
    for requirement in _pyproject()["project"]["optional-dependencies"]["dev"]:
        name = requirement.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        assert name.replace("_", "-") in pins, f"{name} has no pin in constraints.txt"


def test_the_test_mode_runs_the_type_check_after_ruff() -> None:
    script = (PACKAGING / "setup.sh").read_text(encoding="utf-8")
    ruff = script.index('step "ruff"')
    mypy = script.index('step "mypy" "$VENV/bin/mypy"')
    assert ruff < mypy
    config = _pyproject()["tool"]["mypy"]
    assert config["files"] == ["netbuilder"]
    strict = next(o for o in _pyproject()["tool"]["mypy"]["overrides"]
                  if "netbuilder.core.*" in o["module"])
    assert "netbuilder.blocks.*" in strict["module"]
    assert strict["disallow_untyped_defs"] and strict["warn_return_any"]
