"""The engine runs where only torch, numpy and networkx are installed (a GPU server).

netbuilder depends on PySide6, pyqtgraph and Pillow for the app and image folders, but
training and exporting from the command line must not need them: each check runs in a fresh
interpreter where importing them fails, as it would where they are missing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Packages a headless engine must not load (top-level names).
APP_ONLY = ("PySide6", "shiboken6", "pyqtgraph", "PIL")

_BLOCKER = textwrap.dedent(f"""
    import importlib.abc, sys
    APP_ONLY = {APP_ONLY!r}

    class Missing(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in APP_ONLY:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Missing())
""")


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = _BLOCKER + textwrap.dedent(code) + textwrap.dedent("""
        loaded = sorted({m.split(".")[0] for m in sys.modules} & set(APP_ONLY))
        assert not loaded, loaded
    """)
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
                               "NETBUILDER_DEBUG": "1"})


@pytest.mark.parametrize("module", ["netbuilder.train", "netbuilder.train.loop",
                                    "netbuilder.train.fast", "netbuilder.compile",
                                    "netbuilder.cli", "netbuilder.train.console"])
def test_engine_modules_import_without_the_app_packages(module: str, tmp_path: Path) -> None:
    result = _run(f"import {module}", tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_cli_trains_and_exports_without_the_app_packages(tmp_path: Path) -> None:
    result = _run("""
        from netbuilder.cli import main
        assert main(["train", "perceptron", "--epochs", "1", "--device", "cpu",
                     "--save", "weights.pt", "--log", "log.jsonl"]) == 0
        assert main(["train", "regression_mlp", "--epochs", "1", "--device", "cpu"]) == 0
        assert main(["export", "regression_mlp", "--to", "python", "-o", "model.py"]) == 0
        assert main(["summary", "mnist_cnn"]) == 0
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "weights.pt").exists() and (tmp_path / "model.py").exists()
