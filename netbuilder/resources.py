"""Where the bundled example graphs and icons are, installed or in a source checkout.

The files live in the repository's top-level ``resources/`` folder; the wheel ships that folder
as ``netbuilder/resources`` (see ``[tool.hatch.build.targets.wheel.force-include]``), and a
PyInstaller bundle puts it at the same place. Pure Python: the CLI and the app both use it.
"""

from __future__ import annotations

from pathlib import Path

#: File extension of netbuilder graph files.
GRAPH_SUFFIX = ".nbg"

_PACKAGE_DIR = Path(__file__).resolve().parent


class UnknownExampleError(KeyError):
    """No bundled example has the name asked for; the message lists those there are."""

    def __str__(self) -> str:
        # KeyError's own __str__ quotes its argument, which reads badly on a command line.
        return str(self.args[0]) if self.args else ""


def resources_dir() -> Path:
    """The folder holding ``examples/`` and ``icons/``.

    Returns:
        ``netbuilder/resources`` inside an installed wheel or a frozen bundle, else the
        top-level ``resources/`` of the source checkout this module was imported from.
    """
    installed = _PACKAGE_DIR / "resources"
    if installed.is_dir():
        return installed
    # Source checkout or editable install: netbuilder/ sits next to resources/.
    return _PACKAGE_DIR.parent / "resources"


def examples_dir() -> Path:
    """The folder of the bundled example graphs (``*.nbg``)."""
    return resources_dir() / "examples"


def icons_dir() -> Path:
    """The folder of the application icons."""
    return resources_dir() / "icons"


def icon_path(name: str = "netbuilder") -> Path:
    """The SVG icon called ``name`` (the app icon by default)."""
    return icons_dir() / f"{name}.svg"


def list_examples() -> list[str]:
    """The names of the bundled examples: the stems of ``examples/*.nbg``, sorted."""
    folder = examples_dir()
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob(f"*{GRAPH_SUFFIX}") if path.is_file())


def example_path(name: str) -> Path:
    """The file of the bundled example ``name`` (with or without the ``.nbg`` suffix).

    Raises:
        UnknownExampleError: (a KeyError) there is no such example; the message lists the
            ones there are.
    """
    stem = name[: -len(GRAPH_SUFFIX)] if name.endswith(GRAPH_SUFFIX) else name
    names = list_examples()
    if stem not in names:
        known = ", ".join(names) if names else "none are installed"
        raise UnknownExampleError(f"no example named '{name}'; the examples are: {known}")
    return examples_dir() / f"{stem}{GRAPH_SUFFIX}"
