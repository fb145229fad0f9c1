"""netbuilder.resources: finding the bundled examples and icons, installed or from source."""

from __future__ import annotations

from pathlib import Path

import pytest

from netbuilder import resources

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source-checkout layout: <root>/netbuilder next to <root>/resources."""
    package = tmp_path / "netbuilder"
    package.mkdir()
    examples = tmp_path / "resources" / "examples"
    examples.mkdir(parents=True)
    for name in ("xor.nbg", "mnist_cnn.nbg", "notes.txt"):
        (examples / name).write_text("{}", encoding="utf-8")
    (examples / "folder.nbg").mkdir()  # not a file: not an example
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    return tmp_path


def test_source_checkout_uses_the_top_level_folder(fake_package: Path) -> None:
    assert resources.resources_dir() == fake_package / "resources"
    assert resources.examples_dir() == fake_package / "resources" / "examples"


def test_installed_package_uses_its_own_folder(fake_package: Path) -> None:
    installed = fake_package / "netbuilder" / "resources"
    (installed / "examples").mkdir(parents=True)
    assert resources.resources_dir() == installed
    assert resources.list_examples() == []


def test_list_examples_gives_sorted_stems_of_nbg_files(fake_package: Path) -> None:
    assert resources.list_examples() == ["mnist_cnn", "xor"]


def test_example_path_with_or_without_suffix(fake_package: Path) -> None:
    expected = fake_package / "resources" / "examples" / "xor.nbg"
    assert resources.example_path("xor") == expected
    assert resources.example_path("xor.nbg") == expected


def test_unknown_example_lists_the_known_ones(fake_package: Path) -> None:
    with pytest.raises(KeyError) as caught:
        resources.example_path("notes")
    message = str(caught.value)
    assert message == "no example named 'notes'; the examples are: mnist_cnn, xor"
    assert not message.startswith("'")  # reads well when printed as it is


def test_no_examples_folder_means_no_examples(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "netbuilder")
    assert resources.list_examples() == []
    with pytest.raises(KeyError, match="none are installed"):
        resources.example_path("mnist_cnn")


def test_the_real_resources_are_there() -> None:
    assert resources.icon_path().is_file()
    assert resources.icon_path().read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert resources.examples_dir().is_dir()
    for name in resources.list_examples():
        assert resources.example_path(name).is_file()


def test_resources_module_is_free_of_qt_and_torch() -> None:
    source = Path(resources.__file__).read_text(encoding="utf-8")
    for heavy in ("PySide6", "torch", "pyqtgraph"):
        assert f"import {heavy}" not in source
        assert f"from {heavy}" not in source
