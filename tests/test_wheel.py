"""The wheel ships resources/ as netbuilder/resources and finds it once installed.

Builds the wheel with pip, offline: --no-build-isolation uses the hatchling of this
environment (the dev extra installs it) and --no-index keeps pip off the network.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.packaging, pytest.mark.slow]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.fail("hatchling is missing: install the dev extra (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    (built,) = out.glob("netbuilder-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_the_icon_and_the_examples(wheel: Path) -> None:
    names = _names(wheel)
    assert "netbuilder/resources/icons/netbuilder.svg" in names
    shipped_examples = [n for n in names if n.startswith("netbuilder/resources/examples/")]
    assert shipped_examples, "no file of resources/examples/ is in the wheel"
    source = REPO / "resources"
    for path in source.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            member = "netbuilder/resources/" + path.relative_to(source).as_posix()
            assert member in names, f"{member} is missing from the wheel"


def test_wheel_holds_the_package_and_the_console_script(wheel: Path) -> None:
    names = _names(wheel)
    for module in ("netbuilder/__init__.py", "netbuilder/resources.py",
                   "netbuilder/core/graph.py", "netbuilder/ui/app.py"):
        assert module in names
    assert not [n for n in names if n.endswith((".pyc", ".nbg.tmp")) or "__pycache__" in n]
    assert not [n for n in names if n.startswith(("tests/", "resources/"))]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "netbuilder = netbuilder.cli:main" in text


def test_installed_wheel_finds_its_resources(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)  # a wheel is a zip laid out as site-packages
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from netbuilder import resources as r; "
        "print(r.resources_dir()); print(r.icon_path().is_file()); print(r.list_examples())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(target)], capture_output=True, text=True,
        cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    folder, icon, examples = result.stdout.splitlines()
    assert Path(folder) == target / "netbuilder" / "resources"
    assert icon == "True"
    expected = sorted(p.stem for p in (REPO / "resources" / "examples").glob("*.nbg"))
    assert examples == repr(expected)
