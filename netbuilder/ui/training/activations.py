"""The activation viewer: what the blocks selected on the canvas compute, live.

A tab of the training dock. Click a block on the canvas (or a group instance, or a block
inside an opened group) and the viewer asks the running engine to probe it
(``TrainingSession.set_probe``): every :data:`PROBE_INTERVAL_S` seconds the engine runs a
few validation samples through the network in eval mode and sends back that block's output
for the chosen sample, with histograms of its activations, weights and gradients binned on
the device. Conv feature maps show as a tiled grid with a colour bar and a choice of scale,
dense outputs as a strip, attention weights as one heat map per head with the tokens on the
axes, recurrent blocks as their hidden states over the time steps, and the histograms as heat
maps of value against step.

The viewer costs nothing while hidden: it asks for no probes then, and draws nothing. Shown, it
draws only when a new probe arrives. After a run it keeps the last probe (the engine takes
one of the final weights).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QImage, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.graph import Document
from netbuilder.train.events import Probe
from netbuilder.train.probe_pictures import (
    HistogramHistory,
    Picture,
    finite_range,
    network_range,
    strip,
    tile_maps,
)
from netbuilder.train.record import RunRecord
from netbuilder.ui import theme
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.training.probe_plots import HistogramsView, OutputView
from netbuilder.ui.training.session import TrainingSession

#: Seconds between probes while the viewer shows (at least two pictures a second).
PROBE_INTERVAL_S = 0.4
#: The scale choices: (label, probe_pictures scale).
SCALE_CHOICES = (("Scale per layer", "layer"), ("Scale per map", "map"),
                 ("Scale over the network", "network"))
INPUT_THUMBNAIL = 40


@dataclass(frozen=True)
class Selection:
    """The canvas selection as the engine names its blocks.

    Attributes:
        paths: module paths of the selected blocks (a group instance: its name, which
            covers the blocks inside it).
        titles: path -> what the viewer calls it (the block's name and type).
    """

    paths: tuple[str, ...] = ()
    titles: dict[str, str] | None = None


def selected_blocks(editor: DocumentWidget) -> Selection:
    """The module paths of the blocks selected on ``editor``'s current canvas.

    On a network's canvas a block's path is its name. Inside an opened group definition a
    block stands for its copy in every instance of the group (``encoder.attention``).
    """
    graph_name = editor.current_graph
    ids = editor.selected_node_ids()
    if graph_name is None or not ids:
        return Selection()
    doc = editor.doc
    graph = doc.graphs[graph_name]
    titles: dict[str, str] = {}
    if graph_name in doc.networks:
        for node_id in ids:
            node = graph.nodes.get(node_id)
            if node is not None:
                titles[node.name] = _title(doc, node.type, node.name)
        return Selection(tuple(titles), titles)
    chosen = set(ids)
    for network in doc.networks:
        analysis = editor.analysis(network)
        flat = analysis.flat_graph if analysis is not None else None
        if flat is None:
            continue
        for flat_node in flat.nodes.values():
            *chain, last = flat_node.id.split("/")
            if chain and last in chosen and _group_of(doc, network, chain) == graph_name:
                titles[flat_node.path] = _title(doc, flat_node.type, flat_node.path)
    return Selection(tuple(titles), titles)


def _group_of(doc: Document, network: str, chain: list[str]) -> str | None:
    """The group definition that instance chain ``n5/n3`` of ``network`` expands last."""
    graph = doc.graphs.get(network)
    name = None
    for node_id in chain:
        node = graph.nodes.get(node_id) if graph is not None else None
        if node is None or node.type != "group":
            return None
        name = node.params.get("group")
        graph = doc.graphs.get(name) if isinstance(name, str) else None
    return name


def _title(doc: Document, type_id: str, name: str) -> str:
    spec = doc.catalogue.get(type_id)
    return f"{name} ({spec.title if spec is not None else type_id})"


class ActivationViewer(QWidget):
    """The dock's Activations tab (see the module docstring).

    Attributes:
        session: the document's training session (None without a document).
        selection: the blocks selected on the canvas, as the engine names them.
        shown_probe: the probe drawn last.
        histories: (kind, tensor name) -> its histogram history in the current run.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: TrainingSession | None = None
        self.editor: DocumentWidget | None = None
        self.selection = Selection()
        self.shown_probe: Probe | None = None
        self.histories: dict[tuple[str, str], HistogramHistory] = {}
        self._record: RunRecord | None = None
        # The probe whose histograms are in ``histories``: hidden, the viewer draws nothing,
        # but it still keeps each probe's histograms once (not at every drain of the queue).
        self._remembered: Probe | None = None
        self._asked: tuple[object, ...] | None = None
        self._build()
        theme.notifier().changed.connect(self._apply_theme)

    # ----- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.block_choice = QComboBox(self)
        self.block_choice.setToolTip("The block shown (of those selected on the canvas)")
        self.block_choice.currentIndexChanged.connect(lambda _: self.redraw())
        self.sample_choice = QComboBox(self)
        self.sample_choice.setToolTip("The validation sample run through the network, with "
                                      "its label and the network's prediction")
        self.sample_choice.activated.connect(self._sample_chosen)
        self.sample_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.scale_choice = QComboBox(self)
        for label, scale in SCALE_CHOICES:
            self.scale_choice.addItem(label, scale)
        self.scale_choice.setToolTip(
            "Per layer: one colour range for all of the block's maps, so they compare. Per "
            "map: each map fills the colours by itself (a weak map looks as strong as a "
            "busy one). Over the network: one range for every block's output.")
        self.scale_choice.currentIndexChanged.connect(lambda _: self.redraw())
        self.input_picture = QLabel(self)
        self.input_picture.setFixedSize(INPUT_THUMBNAIL, INPUT_THUMBNAIL)
        self.input_picture.setToolTip("The chosen sample as the network reads it")
        self.input_picture.setVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 6, 0)
        header.addWidget(self.input_picture)
        header.addWidget(self.block_choice, 1)
        header.addWidget(self.sample_choice)
        header.addWidget(self.scale_choice)

        self.output = OutputView(self)
        self.histograms = HistogramsView(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.output)
        self.splitter.addWidget(self.histograms)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setProperty("role", "subtle")
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)
        self._say("Click a block on the canvas, then train: its output on a validation "
                  "sample shows here, with histograms of its activations, weights and "
                  "gradients.")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def _apply_theme(self, _name: str = "") -> None:
        self.output.apply_theme()
        self.histograms.apply_theme()
        self.shown_probe = None
        self.redraw()

    # ----- which document --------------------------------------------------------------------
    def set_session(self, session: TrainingSession | None) -> None:
        """Follows ``session``'s document: its canvas selection and its runs' probes."""
        if session is self.session:
            return
        if self.session is not None:
            self.session.set_probe(None, None)
            with contextlib.suppress(RuntimeError, TypeError):
                self.session.updated.disconnect(self._session_updated)
        if self.editor is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.editor.selection_changed.disconnect(self._selection_changed)
        self.session = session
        self.editor = session.editor if session is not None else None
        self._asked = None
        if session is not None:
            session.updated.connect(self._session_updated)
        if self.editor is not None:
            self.editor.selection_changed.connect(self._selection_changed)
        self._selection_changed()

    # ----- asking for probes -----------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._ask()
        self.redraw()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._ask()

    def _selection_changed(self) -> None:
        selection = selected_blocks(self.editor) if self.editor is not None else Selection()
        if selection.paths or not self.selection.paths:
            self.selection = selection  # an empty click keeps the blocks shown
        self._fill_block_choice()
        self._ask()
        self.redraw()

    def _sample_chosen(self, index: int) -> None:
        self._ask()
        if self.shown_probe is not None:
            self.redraw()

    def _ask(self) -> None:
        """Tells the session what to probe: the selection while shown, nothing while hidden."""
        session = self.session
        if session is None:
            return
        sample = max(self.sample_choice.currentIndex(), 0)
        wanted = (self.isVisible(), self.selection.paths, sample)
        if wanted == self._asked:
            return
        self._asked = wanted
        if self.isVisible():
            session.set_probe(self.selection.paths, PROBE_INTERVAL_S, sample)
        else:
            session.set_probe(None, None)

    # ----- drawing -----------------------------------------------------------------------------
    def _session_updated(self) -> None:
        record = self.session.record if self.session is not None else None
        if record is not self._record:
            self._record = record
            self.histories = {}
        probe = record.probe if record is not None else None
        if probe is None:
            return
        if probe is not self._remembered:
            self._remembered = probe
            self._remember(probe)
        if probe is not self.shown_probe and self.isVisible():
            self.redraw()

    def _remember(self, probe: Probe) -> None:
        for kind, histograms in (("activations", probe.activation_histograms),
                                 ("weights", probe.weight_histograms),
                                 ("gradients", probe.gradient_histograms)):
            for name, (counts, edges) in histograms.items():
                self.histories.setdefault((kind, name), HistogramHistory()).add(
                    probe.step, counts, edges)

    def _fill_block_choice(self) -> None:
        current = self.block_choice.currentData()
        self.block_choice.blockSignals(True)
        self.block_choice.clear()
        titles = self.selection.titles or {}
        for path in self.selection.paths:
            self.block_choice.addItem(titles.get(path, path), path)
        index = self.block_choice.findData(current)
        self.block_choice.setCurrentIndex(max(index, 0))
        self.block_choice.setEnabled(len(self.selection.paths) > 1)
        self.block_choice.blockSignals(False)

    def current_block(self, probe: Probe | None = None) -> str | None:
        """The module whose output is shown: the chosen block, or the first probed block
        inside a chosen group instance."""
        path = self.block_choice.currentData()
        if path is None:
            return None
        if probe is None or path in probe.kinds:
            return path
        inside = [name for name in probe.kinds if name.startswith(path + ".")]
        return inside[0] if inside else path

    def redraw(self) -> None:
        """Draws the latest probe of the chosen block (only while shown)."""
        if not self.isVisible():
            return
        record = self.session.record if self.session is not None else None
        probe = record.probe if record is not None else None
        if not self.selection.paths:
            self._say("Click a block on the canvas to see what it computes.")
            return
        if probe is None:
            running = record is not None and record.outcome is None
            self._say("Waiting for the first probe…" if running else
                      "Train the network to see what this block computes on a validation "
                      "sample.")
            return
        if probe is not self.shown_probe and (probe.labels is not None
                                              or probe.predictions is not None):
            self._fill_samples(probe)
        self.shown_probe = probe
        block = self.current_block(probe)
        if block is None or block not in probe.kinds:
            self._say("This block has no picture: its output is not a float tensor of the "
                      "network being trained (a loss, an integer Input, or another network)."
                      if probe.blocks else "No probe of this block yet.")
            return
        self.pages.setCurrentWidget(self.splitter)
        self._draw_output(probe, block)
        self._draw_histograms(block)
        self._draw_input(probe)

    def _draw_output(self, probe: Probe, block: str) -> None:
        kind = probe.kinds[block]
        values = probe.activations.get(block)
        title = f"{block} · step {probe.step:,}"
        self.scale_choice.setEnabled(kind == "maps")
        if kind == "attention" and block in probe.attention:
            tokens = _tokens(probe.inputs, probe.attention[block].shape[-1])
            self.output.show_heads(probe.attention[block], tokens,
                                   f"{block} attention · step {probe.step:,}")
        elif kind == "recurrent" and block in probe.hidden_states:
            states = probe.hidden_states[block]
            picture = Picture(np.ascontiguousarray(states.T), finite_range(states))
            self.output.show_picture(picture, f"{block} hidden state · step {probe.step:,}",
                                     "time step", "unit")
        elif kind == "maps" and values is not None:
            scale = self.scale_choice.currentData()
            room = self.output.size()
            picture = tile_maps(values, scale, network_range(probe.ranges),
                                aspect=max(room.width(), 1) / max(room.height() - 30, 1))
            shape = "×".join(str(s) for s in values.shape)
            self.output.show_picture(picture, f"{block} · {shape} maps · step {probe.step:,}")
        elif kind == "sequence" and values is not None:
            picture = Picture(np.ascontiguousarray(values.T), finite_range(values))
            self.output.show_picture(picture, title, "step", "feature")
        elif values is not None:
            picture = strip(values)
            self.output.show_picture(picture, f"{block} · {values.size} values · step "
                                              f"{probe.step:,}")

    def _draw_histograms(self, block: str) -> None:
        prefix = block + "."
        parameters = sorted({name for kind, name in self.histories
                             if kind == "weights" and name.startswith(prefix)
                             and "." not in name[len(prefix):]},
                            key=lambda n: (not n.endswith("weight"), n))
        parameter = parameters[0] if parameters else None
        self.histograms.show_history("activations", self.histories.get(("activations", block)),
                                     "Activations")
        for kind in ("weights", "gradients"):
            history = self.histories.get((kind, parameter)) if parameter else None
            # The block's weight matrix or kernel when it has one (else its first tensor).
            what = parameter.rpartition(".")[2] if parameter else "none"
            title = kind.capitalize() + ("" if what == "weight" else f" ({what})")
            self.histograms.show_history(kind, history, title)

    def _fill_samples(self, probe: Probe) -> None:
        labels, predictions = probe.labels, probe.predictions
        count = len(labels) if labels is not None else len(predictions)
        items = []
        for index in range(count):
            parts = [f"Sample {index + 1}"]
            label = labels[index] if labels is not None else None
            prediction = predictions[index] if predictions is not None else None
            if label is not None:
                parts.append(f"label {_number(label)}")
            if prediction is not None:
                parts.append(f"output {_number(prediction)}")
            mark = ""
            if label is not None and prediction is not None and np.issubdtype(
                    np.asarray(labels).dtype, np.integer):
                mark = "  ✓" if label == prediction else "  ✗"
            items.append(" · ".join(parts) + mark)
        current = max(self.sample_choice.currentIndex(), probe.sample if count else 0)
        if [self.sample_choice.itemText(i) for i in range(self.sample_choice.count())] == items:
            return
        self.sample_choice.blockSignals(True)
        self.sample_choice.clear()
        self.sample_choice.addItems(items)
        self.sample_choice.setCurrentIndex(min(current, count - 1))
        self.sample_choice.blockSignals(False)

    def _draw_input(self, probe: Probe) -> None:
        values = probe.inputs
        image = _grey_image(values) if values is not None else None
        self.input_picture.setVisible(image is not None)
        if image is not None:
            self.input_picture.setPixmap(QPixmap.fromImage(image).scaled(
                INPUT_THUMBNAIL, INPUT_THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation))


def _number(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.3g}"


def _tokens(inputs: np.ndarray | None, steps: int) -> list[str]:
    """Labels of a sequence's steps: its token ids, or the position of each step."""
    if inputs is not None:
        values = np.asarray(inputs)
        if values.ndim == 2 and values.shape[0] == steps:  # one-hot or feature rows
            values = values.argmax(1)
        if values.ndim == 1 and values.shape[0] == steps:
            return [_number(v) for v in values]
    return [str(index) for index in range(steps)]


def _grey_image(values: np.ndarray) -> QImage | None:
    """An image sample (1, H, W), (3, H, W) or (H, W) as a grey picture; None otherwise."""
    values = np.asarray(values, dtype=np.float32)
    if values.ndim == 3 and values.shape[0] in (1, 3):
        values = values.mean(axis=0)
    if values.ndim != 2 or min(values.shape) < 4:
        return None
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    grey = np.ascontiguousarray((np.nan_to_num(scaled) * 255).astype(np.uint8))
    height, width = grey.shape
    return QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
