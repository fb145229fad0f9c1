"""The app's Qt stack packed for the GPU machine, which has torch but neither Qt nor pyqtgraph.

The training dock's throughput targets (issues "Train in the app" and "See inside the
network") are measured against headless training; on this project's 2-core CPU machine the
GUI thread and torch share the cores. The GPU machine trains on the GPU with 16 cores beside
it: measuring the dock there needs PySide6 and pyqtgraph, which its image lacks, and a call
carries at most 64 MiB. This packs what an offscreen window needs, from the running
interpreter's packages:

* PySide6's QtCore, QtGui, QtWidgets (stable-ABI modules: the same files serve Python 3.12),
  the Qt libraries they load and the offscreen platform plugin, nothing of QML, WebEngine...;
* shiboken6 and pyqtgraph (without its examples);
* the system libraries those Qt libraries link (fontconfig, xkbcommon, EGL...), to be used
  there only where the machine lacks them (:func:`unpack`).

Here, from the repository root (``.qt/`` is ignored by git)::

    python -m tests.benchmarks.qt_bundle            # writes .qt/qt.tar.xz

and name ``.qt`` in the device call's ``carry``: tests/benchmarks/gpu_check.py's ``dock``
steps run the dock benchmark through it there::

    python -m tests.benchmarks.qt_bundle run -- --only train,probes --device cuda
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Where the archive goes by default.
DEFAULT_ARCHIVE = REPO / ".qt" / "qt.tar.xz"
#: PySide6's binding modules the app imports (netbuilder/ui, the benchmarks, and pyqtgraph,
#: which imports the OpenGL ones whether it draws with them or not).
MODULES = ("QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets")
#: The platform plugin of a window without a display.
PLATFORM_PLUGIN = Path("Qt") / "plugins" / "platforms" / "libqoffscreen.so"
#: Libraries every Linux with torch has, and which must come from the machine itself.
BASE_LIBRARIES = re.compile(r"^(ld-linux.*|libc|libm|libdl|libpthread|librt|libstdc\+\+|"
                            r"libgcc_s|linux-vdso)\.so")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"qt_bundle: {name} is not installed in this interpreter")
    return Path(next(iter(spec.submodule_search_locations)))


def _linked(path: Path) -> dict[str, str]:
    """The libraries ``path`` loads, by name, with where this machine finds them."""
    output = subprocess.run(["ldd", str(path)], capture_output=True, text=True,
                            check=True).stdout
    found: dict[str, str] = {}
    for line in output.splitlines():
        name, arrow, where = line.strip().partition(" => ")
        if arrow and where and not where.startswith("not found"):
            found[name] = where.split(" (")[0]
    return found


def pyside_files(pyside: Path, shiboken: Path) -> tuple[list[Path], dict[str, str]]:
    """PySide6's files the offscreen app needs, and the system libraries they link.

    Args:
        pyside: the PySide6 package's folder.
        shiboken: shiboken6's, packed whole (its library is no system library).

    Returns:
        The files (relative to the PySide6 folder) and the system libraries by name.
    """
    roots = [pyside / f"{module}.abi3.so" for module in MODULES]
    roots.append(pyside / PLATFORM_PLUGIN)
    files: set[Path] = set()
    system: dict[str, str] = {}
    pending = list(roots)
    while pending:  # the closure of the Qt libraries the roots load
        path = pending.pop()
        relative = path.resolve().relative_to(pyside.resolve())
        if relative in files:
            continue
        files.add(relative)
        for name, where in _linked(path).items():
            target = Path(where).resolve()
            if target.is_relative_to(pyside.resolve()):
                pending.append(target)
            elif not (BASE_LIBRARIES.match(name) or target.is_relative_to(shiboken.resolve())):
                system[name] = where
    files.update(p.relative_to(pyside) for p in pyside.glob("*.py"))
    files.update(p.relative_to(pyside) for p in pyside.glob("*.pyi")
                 if p.stem in MODULES)
    return sorted(files), system


def _tree(folder: Path, skip: tuple[str, ...] = ()) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and "__pycache__" not in relative.parts and not (
                relative.parts and relative.parts[0] in skip):
            yield relative


def build(archive: Path) -> int:
    """Writes the archive; returns its size in bytes."""
    pyside = _package_dir("PySide6")
    shiboken = _package_dir("shiboken6")
    pyqtgraph = _package_dir("pyqtgraph")
    files, system = pyside_files(pyside, shiboken)
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:xz") as tar:
        for relative in files:
            tar.add(pyside / relative, f"site/PySide6/{relative}")
        for relative in _tree(shiboken):
            tar.add(shiboken / relative, f"site/shiboken6/{relative}")
        for relative in _tree(pyqtgraph, skip=("examples",)):
            tar.add(pyqtgraph / relative, f"site/pyqtgraph/{relative}")
        for name, where in sorted(system.items()):
            tar.add(Path(where).resolve(), f"system/{name}")
    os.replace(partial, archive)
    return archive.stat().st_size


def _present(names: list[str]) -> set[str]:
    """Which of these library names the machine's loader already finds."""
    for program in ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            listing = subprocess.run([program, "-p"], capture_output=True, text=True,
                                     check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        known = {line.strip().split(" ", 1)[0] for line in listing.splitlines()[1:]}
        return {name for name in names if name in known}
    return set()  # no loader cache to ask: every carried library is used


def unpack(archive: Path, folder: Path) -> dict[str, str]:
    """Unpacks the archive into ``folder``; returns the environment that uses it.

    The carried system libraries are put on the loader's path only where the machine lacks
    them: a machine's own copy matches its C library; ours were built for this one.
    """
    if folder.exists():
        shutil.rmtree(folder)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    carried = sorted(p.name for p in (folder / "system").iterdir())
    present = _present(carried)
    missing = [name for name in carried if name not in present]
    fallback = folder / "fallback"
    fallback.mkdir()
    for name in missing:
        shutil.copy2(folder / "system" / name, fallback / name)
    path = os.pathsep.join(p for p in (str(folder / "site"), os.environ.get("PYTHONPATH", ""))
                           if p)
    libraries = os.pathsep.join(p for p in (str(fallback),
                                            os.environ.get("LD_LIBRARY_PATH", "")) if p)
    return {"PYTHONPATH": path, "LD_LIBRARY_PATH": libraries,
            "NETBUILDER_QT_FALLBACK_LIBRARIES": " ".join(missing) or "none"}


def run_bench_dock(archive: Path, arguments: list[str]) -> int:
    """Runs tests/benchmarks/bench_dock.py with ``arguments`` on the unpacked Qt stack."""
    if not archive.exists():
        print(f"qt_bundle: no {archive}: build it with `python -m tests.benchmarks.qt_bundle` "
              "where PySide6 is installed, and carry its folder", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="netbuilder-qt-"))
    env = unpack(archive, folder / "qt")
    env["PYTHONPATH"] = os.pathsep.join((env["PYTHONPATH"], str(REPO)))
    print(f"Qt stack unpacked in {folder}; system libraries taken from the archive: "
          f"{env['NETBUILDER_QT_FALLBACK_LIBRARIES']}", flush=True)
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_dock", *arguments],
                          cwd=REPO, env={**os.environ, **env, "QT_QPA_PLATFORM": "offscreen"},
                          check=False)
    shutil.rmtree(folder, ignore_errors=True)
    return done.returncode


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        rest = argv[1:]
        raise SystemExit(run_bench_dock(DEFAULT_ARCHIVE, rest[1:] if rest[:1] == ["--"]
                                        else rest))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_ARCHIVE,
                        help=f"the archive to write (default: {DEFAULT_ARCHIVE})")
    arguments = parser.parse_args(argv)
    size = build(arguments.out)
    print(f"{arguments.out.resolve().relative_to(REPO)}: {size / 2**20:.1f} MiB "
          f"(PySide6 {MODULES}, shiboken6, pyqtgraph; Python {sys.version.split()[0]} here, "
          "stable ABI)")


if __name__ == "__main__":
    main()
