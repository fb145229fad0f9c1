"""Renders the README screenshots of the main window, offscreen: no display is needed.

Run from the repository root::

    python packaging/screenshots.py                       # into packaging/screenshots/
    python packaging/screenshots.py OUT_DIR --theme light --size 1366x768
    python packaging/screenshots.py OUT_DIR --examples    # every example, to look at
    python packaging/screenshots.py --results             # the results views too (trains)

For each theme it writes ``mnist_cnn-<theme>.png`` (the whole CNN example, a block selected),
``block_previews-<theme>.png`` (the CNN at actual size, each block's output on a sample under
it), ``training-<theme>.png`` (the CNN trained a few epochs from the Training dock),
``activations-<theme>.png`` (the activation viewer on the CNN's first conv block),
``gan_mnist-<theme>.png`` (the GAN's generator) and ``transformer_group-<theme>.png`` (the
transformer example's encoder group opened). With ``--examples`` it writes instead one
``example-<name>-<theme>.png`` per bundled example, as it opens (fitted to the window): the
pictures to look at after a change to the canvas or the layout. With ``--results`` each results
view of the Training dock (netbuilder/ui/training/results) is shot too, as
``results-<kind>-<theme>.png``: an example of that kind trained for a little while (a few
minutes in all on 2 CPU cores), its Results tab shown. The window is grabbed with
``QWidget.grab()`` under Qt's offscreen platform, which draws the same pixels as a real
display. Settings of the user are not read: the script runs with Qt's test-mode folders, so the
window has its default layout.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "screenshots"
THEMES = ("dark", "light")
DEFAULT_SIZE = (1366, 768)
#: PNGs larger than this are re-encoded with fewer colours (README images should stay small).
MAX_BYTES = 300_000


@dataclass(frozen=True)
class Shot:
    """One screenshot: which example, and what to show of it."""

    name: str
    example: str
    prepare: Callable[[object], None]
    grab_dock: bool = False


def _select_block(type_id: str, nth: int = 0) -> Callable[[object], None]:
    def prepare(window: object) -> None:
        editor = window.current_editor  # type: ignore[attr-defined]
        graph = editor.doc.graph(editor.current_graph)
        ids = [node.id for node in graph.nodes.values() if node.type == type_id]
        if len(ids) > nth:
            editor.current_scene.select_nodes([ids[nth]])
    return prepare


def _open_group(window: object) -> None:
    editor = window.current_editor  # type: ignore[attr-defined]
    groups = [name for name, graph in editor.doc.graphs.items() if graph.kind == "group"]
    if groups:
        editor.open_graph(groups[0])
        _select_block("multi_head_attention")(window)


def _spin_until(done: Callable[[], bool], deadline: float) -> None:
    """Runs the app's events until ``done()`` holds or ``deadline`` (time.monotonic())."""
    import time

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    while not done() and time.monotonic() < deadline:
        app.processEvents()  # type: ignore[union-attr]
        time.sleep(0.01)


def _start_training(window: object, epochs: int, timeout: float) -> float | None:
    """Shows the Training dock and starts ``epochs`` epochs once the data are in (no undo
    step: nothing to save); the run's deadline, or None when it could not start."""
    import time

    editor = window.current_editor  # type: ignore[attr-defined]
    editor.doc.set_setting("training", "epochs", epochs)
    dock = window.training  # type: ignore[attr-defined]
    window.training_dock.show()  # type: ignore[attr-defined]
    window.training_dock.raise_()  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    _spin_until(lambda: dock.start_button.isEnabled() and dock._preview_key is None, deadline)
    return deadline if dock.start() else None


def _train(window: object, epochs: int = 4) -> None:
    """Trains the example from the Training dock (a few epochs) and shows its curves."""
    deadline = _start_training(window, epochs, timeout=120)
    if deadline is not None:
        runner = window.training.session.runner  # type: ignore[attr-defined]
        _spin_until(lambda: not runner.running, deadline)


def _activations(window: object) -> None:
    """The activation viewer on the CNN's first conv block, after two epochs of training.

    The side panels are closed and the dock made tall, as a user looking inside the network
    would: the maps and histograms then get the room they need.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    _select_block("conv2d", 0)(window)
    dock = window.training  # type: ignore[attr-defined]
    dock.views.setCurrentWidget(dock.activations)
    for side in (window.palette_dock, window.inspector_dock):  # type: ignore[attr-defined]
        side.hide()
    bottom = [window.training_dock, window.problems_dock]  # type: ignore[attr-defined]
    bottom[0].show()
    bottom[0].raise_()
    _settle(QApplication.instance(), 12)  # the window sets the tab's own height first
    window.resizeDocks(bottom, [430, 430], Qt.Orientation.Vertical)  # type: ignore[attr-defined]
    _train(window, epochs=2)


def _show_results(epochs: int, click_cell: bool = False) -> Callable[[object], None]:
    """Trains the example ``epochs`` epochs with the dock's Results tab shown (grabbed
    alone: ``Shot.grab_dock``), and, for a classifier, clicks a confusion matrix cell."""

    def prepare(window: object) -> None:
        deadline = _start_training(window, epochs, timeout=300)
        if deadline is None:
            return
        dock = window.training  # type: ignore[attr-defined]
        dock.views.setCurrentWidget(dock.results)
        _spin_until(lambda: not dock.session.runner.running, deadline)
        dock.results.refresh()
        view = dock.results.stack.currentWidget()
        if click_cell and hasattr(view, "matrix"):
            counts = view.matrix.counts
            if counts is not None:
                off = counts.copy()
                off[range(len(off)), range(len(off))] = -1
                row, column = divmod(int(off.argmax()), len(off))
                view.matrix.cell_clicked.emit(row, column)
                view.matrix.selected = (row, column)
        if hasattr(view, "prompt") and hasattr(view, "generate"):
            view.prompt.setText("hel")
            view.generate()
            _spin_until(lambda: view.task is None or not view.task.running, deadline)
    return prepare


def _block_previews(window: object) -> None:
    """The CNN at actual size, its first blocks with their outputs on a digit under them."""
    _select_block("conv2d", 0)(window)
    _wait_for_previews(window)
    editor = window.current_editor  # type: ignore[attr-defined]
    view = editor.current_view
    view.reset_zoom()
    graph = editor.doc.graph(editor.current_graph)
    conv = next(node.id for node in graph.nodes.values() if node.name == "conv1")
    view.center_on_node(conv)


def _wait_for_previews(window: object, timeout: float = 60.0) -> None:
    """Waits until the block previews of the open document are on the canvas."""
    import time

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    previews = window.previews  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while (previews.worker.busy or previews.polling) and time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


SHOTS = (
    Shot("mnist_cnn", "mnist_cnn", _select_block("conv2d", 0)),
    Shot("block_previews", "mnist_cnn", _block_previews),
    Shot("training", "mnist_cnn", _train),
    Shot("activations", "mnist_cnn", _activations),
    Shot("gan_mnist", "gan_mnist", _select_block("dense", 0)),
    Shot("transformer_group", "transformer_classifier", _open_group),
)
#: One shot per results view kind (the dock alone, larger than in the window).
RESULT_SHOTS = (
    Shot("results-classification", "mnist_cnn", _show_results(3, click_cell=True), True),
    Shot("results-regression", "regression_mlp", _show_results(100), True),
    Shot("results-boundary", "perceptron", _show_results(3), True),
    Shot("results-text", "char_rnn", _show_results(60), True),
    Shot("results-gan", "gan_mnist", _show_results(2), True),
    Shot("results-vae", "vae_mnist", _show_results(4), True),
)
#: The size of a results shot (the dock's).
DOCK_SIZE = (1200, 460)


def _as_opened(window: object) -> None:
    """Nothing to do: the example as it opens."""


def example_shots() -> tuple[Shot, ...]:
    """One shot per bundled example, as it opens."""
    from netbuilder import resources

    return tuple(Shot(f"example-{name}", name, _as_opened)
                 for name in resources.list_examples())


def _settle(app: object, rounds: int = 6) -> None:
    for _ in range(rounds):
        app.processEvents()  # type: ignore[attr-defined]


def render(shot: Shot, theme_name: str, out_dir: Path, size: tuple[int, int]) -> Path:
    """Opens ``shot``'s example in a fresh window, grabs it and saves ``<name>-<theme>.png``.

    The theme must be applied already (:func:`render_all` does it once per theme: restyling
    the application is the slowest step).
    """
    from PySide6.QtCore import QEvent, QSettings
    from PySide6.QtWidgets import QApplication

    from netbuilder import resources
    from netbuilder.ui.main_window import MainWindow

    app = QApplication.instance()
    # Each shot starts from the default dock layout: the training shot's open Training dock
    # would otherwise carry over (the window saves its layout when it closes).
    QSettings().remove("window")
    window = MainWindow()
    try:
        window.resize(*size)
        window.show()
        window.open_file(resources.example_path(shot.example), as_copy=True)
        _settle(app)
        shot.prepare(window)
        _wait_for_previews(window)  # the thumbnails come from a thread: wait, for one picture
        _settle(app)
        path = out_dir / f"{shot.name}-{theme_name}.png"
        if shot.grab_dock:
            dock = window.training  # type: ignore[attr-defined]
            window.training_dock.setFloating(True)  # type: ignore[attr-defined]
            window.training_dock.resize(*DOCK_SIZE)  # type: ignore[attr-defined]
            dock.splitter.setSizes([0, DOCK_SIZE[0]])  # the views alone
            _settle(app)
            dock.results.refresh()
            _settle(app)
            _save_small(dock.grab().toImage(), path)
        else:
            _save_small(window.grab().toImage(), path)
        return path
    finally:
        for editor in window.editors():
            editor.undo_stack.setClean()
        window.close()
        window.deleteLater()
        # Deferred deletes wait for an event loop that never runs here: delete it now.
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # type: ignore[attr-defined]


def _save_small(image: object, path: Path) -> None:
    """Saves a PNG at full compression; one that is still too large gets a 256-colour palette."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    # Quality 20 is zlib level 7: within 2% of the smallest file, four times faster than 0.
    image.save(str(path), "PNG", 20)  # type: ignore[attr-defined]
    if path.stat().st_size > MAX_BYTES:
        indexed = image.convertToFormat(  # type: ignore[attr-defined]
            QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither)
        indexed.save(str(path), "PNG", 20)


def render_all(out_dir: Path, themes: Sequence[str] = THEMES,
               size: tuple[int, int] = DEFAULT_SIZE,
               shots: Sequence[Shot] = SHOTS) -> list[Path]:
    """Every shot in every theme, into ``out_dir`` (created). Needs a QApplication."""
    from netbuilder.ui import theme

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in themes:
        theme.apply(name)
        paths += [render(shot, name, out_dir, size) for shot in shots]
    return paths


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=OUT_DIR,
                        help=f"where the PNGs go (default: {OUT_DIR.relative_to(Path.cwd())}"
                        if OUT_DIR.is_relative_to(Path.cwd()) else "where the PNGs go")
    parser.add_argument("--theme", action="append", choices=THEMES,
                        help="dark or light (repeatable; default: both)")
    parser.add_argument("--size", default="x".join(map(str, DEFAULT_SIZE)),
                        help="window size, WIDTHxHEIGHT (default: %(default)s)")
    parser.add_argument("--examples", action="store_true",
                        help="every bundled example as it opens, instead of the README set")
    parser.add_argument("--results", action="store_true",
                        help="also shoot every results view of the Training dock (trains an "
                        "example of each kind)")
    return parser.parse_args(argv)


def _application() -> object:
    """The app with test-mode settings folders: the user's layout and theme stay out."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths

    from netbuilder.ui.app import create_application

    QStandardPaths.setTestModeEnabled(True)
    app = create_application()
    QCoreApplication.setApplicationName("netbuilder-screenshots")
    QSettings().clear()
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    width, _, height = args.size.partition("x")
    _application()
    shots = example_shots() if args.examples else SHOTS
    shots = shots + (RESULT_SHOTS if args.results else ())
    paths = render_all(args.out_dir, tuple(args.theme or THEMES), (int(width), int(height)),
                       shots)
    for path in paths:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    # Run from a checkout without installing: the package sits next to packaging/.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
