"""Character models' results: the latest sample, and a prompt box that writes more.

Text is written off the GUI thread, from the run's latest weights: a running job answers
the request between two steps (``TrainingControl.request_text``); with no run going, a
background task loads the document's weights on the CPU (``generate.text_from_weights``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core import fileformat
from netbuilder.train import results as kinds
from netbuilder.ui.background import BackgroundTask
from netbuilder.ui.training.results.base import ResultsView, caption

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord

#: The temperature slider's steps per unit (0 to 2 in steps of 0.05).
SLIDER_SCALE = 20
DEFAULT_LENGTH = 60


class TextView(ResultsView):
    """The latest greedy sample, and text on request from a prompt."""

    kind = kinds.TEXT
    waiting = ("A sample of the model's text appears here during the first epoch; write a "
               "prompt below to make it go on.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sample_title = caption("Latest sample", self)
        self.sample = QLabel(self)
        self.sample.setTextFormat(Qt.TextFormat.RichText)
        self.sample.setWordWrap(True)
        self.sample.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt = QLineEdit(self)
        self.prompt.setPlaceholderText("Prompt: the text to go on from")
        self.prompt.returnPressed.connect(self.generate)
        self.temperature = QSlider(Qt.Orientation.Horizontal, self)
        self.temperature.setRange(0, 2 * SLIDER_SCALE)
        self.temperature.setValue(SLIDER_SCALE // 2)
        self.temperature.setToolTip("0 picks the likeliest character each time; higher "
                                    "values take more chances")
        self.temperature_label = QLabel(self)
        self.temperature.valueChanged.connect(self._temperature_changed)
        self.length = QSpinBox(self)
        self.length.setRange(1, 1000)
        self.length.setValue(DEFAULT_LENGTH)
        self.length.setSuffix(" characters")
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.clicked.connect(self.generate)
        self.output = QPlainTextEdit(self)
        self.output.setReadOnly(True)
        self.output.setPlaceholderText("Generated text appears here.")
        self.status = caption("", self)
        controls = QGridLayout()
        controls.setHorizontalSpacing(8)
        controls.addWidget(QLabel("Prompt", self), 0, 0)
        controls.addWidget(self.prompt, 0, 1, 1, 3)
        controls.addWidget(self.generate_button, 0, 4)
        controls.addWidget(QLabel("Temperature", self), 1, 0)
        controls.addWidget(self.temperature, 1, 1)
        controls.addWidget(self.temperature_label, 1, 2)
        controls.addWidget(self.length, 1, 3)
        controls.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.sample_title)
        layout.addWidget(self.sample)
        layout.addLayout(controls)
        layout.addWidget(self.output, 1)
        layout.addWidget(self.status)
        self.pending: int | None = None  # the running job's request awaited
        self.task: BackgroundTask | None = None
        self.replies = 0
        self._temperature_changed(self.temperature.value())

    @property
    def temperature_value(self) -> float:
        return self.temperature.value() / SLIDER_SCALE

    def _temperature_changed(self, value: int) -> None:
        self.temperature_label.setText(f"{value / SLIDER_SCALE:.2f}")

    # ----- showing ---------------------------------------------------------------------------
    def show_record(self, record: RunRecord | None) -> bool:
        shown = super().show_record(record)
        reply = record.text_reply if record is not None else None
        if self.pending is not None and reply is not None and reply.request == self.pending:
            self.pending = None
            self._answer(reply.text, reply.error)
        elif self.pending is not None and (self.session is None
                                           or not self.session.runner.running):
            self.pending = None  # the run ended before it answered: ask the weights
            self._from_weights()
        return shown

    def clear(self) -> None:
        self.sample.setText("")
        self.sample_title.setText("Latest sample")

    def draw(self, record: RunRecord) -> None:
        latest = record.results.latest
        assert latest is not None
        if latest.text is None:
            return
        when = "end of epoch" if latest.final else "during epoch"
        self.sample_title.setText(f"Latest sample · {latest.text_from} · {when} "
                                  f"{latest.epoch}")
        self.sample.setText(f"<tt>{html.escape(latest.text)}</tt>")

    # ----- writing ---------------------------------------------------------------------------
    def generate(self) -> None:
        """Writes text after the prompt, off the GUI thread."""
        session = self.session
        if session is None:
            return
        if session.runner.running:
            self.pending = session.request_text(self.prompt.text(), self.temperature_value,
                                                self.length.value())
            paused = session.runner.paused
            self.status.setText("Asked the run: it answers when it resumes." if paused else
                                "Writing with the run's latest weights…")
            return
        self._from_weights()

    def _from_weights(self) -> None:
        session = self.session
        editor = session.editor if session is not None else None
        if editor is None or editor.weights is None:
            self.status.setText("Train the model first: there are no weights to write with.")
            return
        if self.task is not None and self.task.running:
            return
        from netbuilder.train.settings import SettingsError, TrainingSettings

        try:
            settings = TrainingSettings.from_doc(editor.doc)
        except SettingsError as error:
            self.status.setText(str(error))
            return
        # A snapshot: the worker reads it while the graph stays editable.
        snapshot = fileformat.loads(fileformat.dumps(editor.doc), editor.doc.catalogue)
        weights, network = editor.weights, editor.current_graph
        prompt, temperature, length = (self.prompt.text(), self.temperature_value,
                                       self.length.value())

        def work() -> object:
            from netbuilder.train.generate import text_from_weights
            from netbuilder.train.readiness import training_network

            return text_from_weights(snapshot, training_network(snapshot, network),
                                     settings.dataset, weights, prompt, temperature, length,
                                     settings.seed)

        self.status.setText("Writing with the trained weights…")
        task = BackgroundTask(work, self)
        task.succeeded.connect(lambda text: self._answer(str(text), None))
        task.failed.connect(lambda message: self._answer(None, message))
        self.task = task
        task.start()

    def _answer(self, text: str | None, error: str | None) -> None:
        if text is None:
            self.status.setText(f"No text: {error}")
            return
        self.replies += 1
        self.output.setPlainText(text)
        self.status.setText(f"Written at temperature {self.temperature_value:.2f}.")
