"""What every results view offers the Results tab."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord
    from netbuilder.ui.training.session import TrainingSession


class ResultsView(QWidget):
    """One recipe's results view (``Recipe.results`` names its kind).

    The tab calls :meth:`show_record` while the view is visible, whenever new events came;
    the view redraws only when the record's Results changed. It keeps nothing but what it
    draws: the record holds the latest Results (``netbuilder.train.results.ResultsLog``).
    """

    kind: ClassVar[str]
    #: What the view shows, said before the first Results of a run arrives.
    waiting: ClassVar[str] = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: TrainingSession | None = None
        self._shown_count = -1
        self._shown_record: RunRecord | None = None

    def set_session(self, session: TrainingSession | None) -> None:
        """The document's training session (a view that asks the run for more uses it)."""
        self.session = session

    def show_record(self, record: RunRecord | None) -> bool:
        """Draws the record's latest Results if they changed; whether there were any."""
        log = record.results if record is not None else None
        count = log.count if log is not None else 0
        if record is self._shown_record and count == self._shown_count:
            return count > 0
        self._shown_record, self._shown_count = record, count
        if log is None or log.latest is None or record is None:
            self.clear()
            return False
        self.draw(record)
        return True

    def draw(self, record: RunRecord) -> None:
        """Draws ``record.results`` (its ``latest`` is set)."""
        raise NotImplementedError

    def clear(self) -> None:
        """Shows no run's results."""
        raise NotImplementedError


def caption(text: str, parent: QWidget) -> QLabel:
    """A small heading above one part of a view."""
    label = QLabel(text, parent)
    label.setProperty("role", "subtle")
    label.setWordWrap(True)
    return label
