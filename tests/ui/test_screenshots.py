"""packaging/screenshots.py renders the README screenshots offscreen: they exist, show something,
differ between the themes, and stay small."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "screenshots.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _distinct_colours(image: QImage, step: int = 9) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})


def _background(image: QImage) -> QColor:
    """The most common colour of the canvas area (the middle of the window)."""
    counts = Counter(image.pixel(x, y) for x in range(300, 900, 5) for y in range(80, 400, 5))
    return QColor.fromRgb(counts.most_common(1)[0][0])


@pytest.fixture(scope="module")
def rendered(qapp: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    script = _script()
    out = tmp_path_factory.mktemp("screenshots")
    return script.render_all(out, size=(1366, 768))


def test_every_example_is_rendered_in_both_themes(rendered: list[Path]) -> None:
    assert sorted(path.name for path in rendered) == sorted(
        f"{name}-{theme}.png" for name in ("mnist_cnn", "block_previews", "training",
                                           "activations", "gan_mnist", "transformer_group")
        for theme in ("dark", "light"))
    for path in rendered:
        assert path.stat().st_size < 300_000, path.name
        image = QImage(str(path))
        assert (image.width(), image.height()) == (1366, 768)
        assert _distinct_colours(image) > 40, f"{path.name} looks blank"


def test_the_themes_differ_and_the_canvas_is_drawn(rendered: list[Path]) -> None:
    by_name = {path.name: QImage(str(path)) for path in rendered}
    dark, light = by_name["mnist_cnn-dark.png"], by_name["mnist_cnn-light.png"]
    # The canvas's background (its most common colour, wherever the blocks lie): dark in
    # one theme, light in the other.
    assert _background(dark).lightness() < 80
    assert _background(light).lightness() > 200
    # The canvas centre holds blocks, not just background.
    centre = dark.copy(300, 200, 500, 250)
    assert _distinct_colours(centre, 5) > 20


def test_the_command_line_writes_into_the_folder_given(qapp: Any, tmp_path: Path) -> None:
    script = _script()
    assert script.main([str(tmp_path / "out"), "--theme", "light", "--size", "1024x640"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["activations-light.png", "block_previews-light.png",
                       "gan_mnist-light.png", "mnist_cnn-light.png",
                       "training-light.png", "transformer_group-light.png"]
    assert QImage(str(tmp_path / "out" / "gan_mnist-light.png")).width() == 1024


def test_the_default_folder_is_under_packaging() -> None:
    assert SCRIPT.parent / "screenshots" == _script().OUT_DIR


def test_every_example_can_be_rendered_as_it_opens(qapp: Any, tmp_path: Path) -> None:
    from netbuilder import resources

    script = _script()
    assert script.main([str(tmp_path), "--theme", "light", "--examples"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"example-{name}-light.png" for name in resources.list_examples())
    for name in written:
        image = QImage(str(tmp_path / name))
        assert (image.width(), image.height()) == (1366, 768)
        assert _distinct_colours(image) > 40, f"{name} looks blank"


def test_a_results_view_is_shot_from_a_real_run(qapp: Any, tmp_path: Path) -> None:
    script = _script()
    assert {shot.name for shot in script.RESULT_SHOTS} == {
        f"results-{kind}" for kind in ("classification", "regression", "boundary", "text",
                                       "gan", "vae")}
    shot = next(s for s in script.RESULT_SHOTS if s.name == "results-boundary")
    (path,) = script.render_all(tmp_path, ("dark",), shots=(shot,))
    image = QImage(str(path))
    assert (image.width(), image.height()) == script.DOCK_SIZE
    assert _distinct_colours(image) > 20, "the boundary shot looks blank"
