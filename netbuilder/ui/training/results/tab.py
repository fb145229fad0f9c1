"""The dock's Results tab: the results view of the document's recipe, fed by its run.

The view class comes from the recipe registry: each recipe names its results kind
(``Recipe.results``) and :data:`netbuilder.ui.training.results.VIEWS` maps the kind to one
view class; nothing here looks at recipe names. While the tab is hidden the run takes no
Results at all (``TrainingSession.show_results``), and nothing is drawn.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from netbuilder.ui.training.results.base import ResultsView

if TYPE_CHECKING:
    from netbuilder.ui.training.session import TrainingSession


class ResultsTab(QWidget):
    """Shows the current document's results view; one view object per kind, made on need."""

    def __init__(self, views: dict[str, type[ResultsView]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view_classes = views
        self.views: dict[str, ResultsView] = {}
        self.session: TrainingSession | None = None
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setProperty("role", "subtle")
        self.message.setContentsMargins(6, 4, 6, 0)
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)

    # ----- which session ---------------------------------------------------------------------
    def set_session(self, session: TrainingSession | None) -> None:
        """Shows the results of ``session``'s runs (None: no document)."""
        old = self.session
        if old is session:
            return
        if old is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                old.updated.disconnect(self.refresh)
                old.changed.disconnect(self.refresh)
            old.show_results(False)
        self.session = session
        if session is not None:
            session.updated.connect(self.refresh)
            session.changed.connect(self.refresh)
            session.show_results(self.isVisible())
        for view in self.views.values():
            view.set_session(session)
        self.refresh()

    # ----- showing ---------------------------------------------------------------------------
    def kind(self) -> str | None:
        """The kind shown: that of the run's Results, else of the document's recipe."""
        session = self.session
        record = session.record if session is not None else None
        latest = record.results.latest if record is not None else None
        if latest is not None:
            return latest.kind
        if session is None:
            return None
        from netbuilder.train.settings import SettingsError, TrainingSettings

        try:
            return TrainingSettings.from_doc(session.editor.doc).recipe_spec.results
        except SettingsError:
            return None

    def view(self, kind: str) -> ResultsView | None:
        """The view of ``kind`` (made the first time), or None for a kind without one."""
        view = self.views.get(kind)
        if view is None and kind in self.view_classes:
            view = self.view_classes[kind](self)
            view.set_session(self.session)
            self.views[kind] = view
            self.stack.addWidget(view)
        return view

    def refresh(self) -> None:
        """Draws what changed (only while visible: a hidden tab is drawn when it shows)."""
        if not self.isVisible():
            return
        kind = self.kind()
        view = self.view(kind) if kind is not None else None
        if view is None:
            self.message.setText("Choose a recipe in the Setup page to see its results.")
            self.message.show()
            return
        self.stack.setCurrentWidget(view)
        record = self.session.record if self.session is not None else None
        if view.show_record(record):
            self.message.hide()
            return
        running = self.session is not None and self.session.runner.running
        self.message.setText(view.waiting if running else
                             f"Press Train: {view.waiting[:1].lower()}{view.waiting[1:]}")
        self.message.show()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.session is not None:
            self.session.show_results(True)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self.session is not None:
            self.session.show_results(False)
