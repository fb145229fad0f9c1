"""Live previews on the canvas: each block's output on a real sample, under the block.

With a data set chosen in the document's training settings, every finished shape check (the
document's ``analysed``, which follows each edit after a short debounce) sends the document's
text to a :class:`~netbuilder.train.preview_thread.PreviewThread`; the thread runs one sample
through the graph and a GUI timer, running only while a preview is awaited, puts the
thumbnails on the blocks (:mod:`netbuilder.ui.canvas.thumbnail_item`). Each request has a
number and only the latest one's thumbnails are shown, so an edit made while a preview
computes never lets the older result reach the screen. Blocks with errors, and every block
downstream of one, get none: their thumbnails go as soon as the shape check has marked them,
and so do thumbnails whose shape the block no longer has (also while training, when only the
probes bring new ones).

While the document trains, the thumbnails follow the run's probes instead (the latest Probe's
activations, matched to blocks by name), and no preview runs beside the training. Previews use
the document's trained weights where they fit (the last run's, or a loaded file), so after a
run the blocks show what the trained network computes. View ▸ Block Previews turns the whole
feature off; the choice is remembered.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from netbuilder.core import fileformat
from netbuilder.core.graph import Document
from netbuilder.core.training import SettingsError
from netbuilder.train.block_preview import Thumbnail, output_fits, probe_thumbnails
from netbuilder.train.preview_thread import PreviewThread
from netbuilder.train.settings import TrainingSettings
from netbuilder.ui.canvas.thumbnail_item import show_thumbnail
from netbuilder.ui.document import DocumentWidget

if TYPE_CHECKING:
    from netbuilder.ui.canvas.node_item import NodeItem

#: Where the View menu's choice is remembered.
SETTINGS_KEY = "view/block_previews"
#: How often the GUI looks for a finished preview while one is awaited.
POLL_MS = 10
#: Seconds between the training probes the previews ask for (the session combines them with
#: another view's: every block, at the shorter of the two intervals). A probe
#: costs the run throughput in proportion to how often it comes (every 0.5 s cost the dock
#: about 8% on two CPU cores, see TrainingSession.probe_interval); thumbnails that change
#: every two seconds are enough to watch features form, at about a quarter of that.
PROBE_INTERVAL_S = 2.0


class LivePreview(QObject):
    """The block previews of the window's current document.

    Signals:
        applied(int): the thumbnails of preview ``generation`` are on the canvas.

    Attributes:
        enabled: previews are on (View ▸ Block Previews).
        worker: the thread that computes them.
    """

    applied = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = _saved_choice()
        self.worker = PreviewThread()
        self.editor: DocumentWidget | None = None
        self.session: Any = None  # the editor's TrainingSession (netbuilder.ui.training)
        self.generation = 0
        self._last_probe: object = None
        self._asked_probes = False
        #: Why the latest preview has no thumbnails (the data set failed to load), or None.
        self.last_error: str | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._collect)

    # ----- what to preview ----------------------------------------------------------------------
    def set_editor(self, editor: DocumentWidget | None, session: Any = None) -> None:
        """Previews ``editor``'s document (the current one); ``session`` is its training."""
        if editor is self.editor and session is self.session:
            return
        self._release_probes()
        if self.editor is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.editor.analysed.disconnect(self.refresh)
            self.editor.doc.events.disconnect("settings_changed", self._settings_changed)
        if self.session is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.session.updated.disconnect(self._session_updated)
                self.session.run_ended.disconnect(self._run_ended)
        self.editor, self.session = editor, session
        self._last_probe = None
        if editor is not None:
            editor.analysed.connect(self.refresh)
            editor.doc.events.connect("settings_changed", self._settings_changed)
        if session is not None:
            session.updated.connect(self._session_updated)
            session.run_ended.connect(self._run_ended)
        self._ask_probes()
        self.refresh()

    def set_enabled(self, enabled: bool) -> None:
        """Turns the previews on or off (and remembers the choice)."""
        if enabled == self.enabled:
            return
        self.enabled = enabled
        QSettings().setValue(SETTINGS_KEY, enabled)
        if enabled:
            self._ask_probes()
            self.refresh()
        else:
            self._release_probes()
            self.generation += 1
            self.worker.cancel()
            self._show({}, replace=True)

    def refresh(self) -> None:
        """Previews the document as it is now (after each shape check)."""
        editor = self.editor
        if not self.enabled:
            self._show({}, replace=True)  # a document shown again after the toggle
            return
        if editor is None:
            return
        self._drop_outdated()
        if self._training():
            return  # the run's probes bring the thumbnails (see _session_updated)
        self.generation += 1
        try:
            dataset = TrainingSettings.from_doc(editor.doc).dataset
        except SettingsError:
            dataset = ""
        if not dataset:
            self.worker.cancel()
            self._show({}, replace=True)
            return
        weights = str(editor.weights) if editor.weights is not None else None
        self.worker.request(self.generation, snapshot(editor.doc), weights)
        self._poll.start()

    @property
    def polling(self) -> bool:
        """A preview was asked for and its outcome not yet collected."""
        return self._poll.isActive()

    def shutdown(self) -> None:
        """Stops the preview thread (the window closes)."""
        self._poll.stop()
        self.worker.shutdown()

    def _run_ended(self, _files: object = None) -> None:
        self.refresh()  # the run's weights are the document's now: show what they compute

    def _settings_changed(self, **_: object) -> None:
        self.refresh()  # the data set may have changed

    def _training(self) -> bool:
        runner = getattr(self.session, "runner", None)
        return bool(runner is not None and runner.running)

    # ----- results ------------------------------------------------------------------------------
    def _collect(self) -> None:
        outcomes = [o for o in self.worker.take() if o.generation == self.generation]
        if not self.worker.busy:
            self._poll.stop()
        if not outcomes or not self.enabled:
            return
        outcome = outcomes[-1]
        # A data set that fails to load is the Training dock's to report (in Problems).
        self.last_error = outcome.error
        self._show(outcome.thumbnails, replace=True)
        self.applied.emit(outcome.generation)

    def _session_updated(self) -> None:
        """A training run reported: its latest probe, if new, updates the thumbnails."""
        record = getattr(self.session, "record", None)
        probe = getattr(record, "probe", None)
        if not self.enabled or probe is None or probe is self._last_probe \
                or self.editor is None:
            return
        self._last_probe = probe
        self._show(probe_thumbnails(self.editor.doc, probe.activations,
                                    self.editor.analyses()), replace=False)

    def _drop_outdated(self) -> None:
        """Takes the thumbnails off blocks that now have an error, no shape (downstream of
        an error) or another shape than the thumbnail shows, at once: a preview or a probe
        brings the rest later, and the canvas never shows an output the graph cannot make."""
        for _graph, _node_id, item in self._block_items():
            badge = item.thumbnail
            if badge is None or badge.thumbnail is None:
                continue
            outputs = list(item.info.outputs.values()) if item.info is not None else []
            if item.has_error or not outputs or not output_fits(
                    badge.thumbnail.shape, tuple(outputs[0].shape)):
                show_thumbnail(item, None)

    def _show(self, thumbnails: dict[str, dict[str, Thumbnail]], *, replace: bool) -> None:
        """Puts ``thumbnails`` on the blocks; with ``replace``, blocks without one lose theirs."""
        for graph, node_id, item in self._block_items():
            thumb = thumbnails.get(graph, {}).get(node_id)
            if thumb is not None or replace:
                show_thumbnail(item, thumb)

    def _block_items(self) -> Iterator[tuple[str, str, NodeItem]]:
        """(graph name, node id, block item) of every canvas of the current document."""
        editor = self.editor
        if editor is None:
            return
        for name in editor.graphs():
            scene = editor.scene(name)
            if scene is not None:
                for node_id, item in scene.node_items.items():
                    yield name, node_id, item

    # ----- probes during training ---------------------------------------------------------------
    def _ask_probes(self) -> None:
        """Asks the session's runs for probes of every block (combined with other views')."""
        session = self.session
        if self.enabled and session is not None:
            session.set_probe(None, PROBE_INTERVAL_S, viewer="previews")
            self._asked_probes = True

    def _release_probes(self) -> None:
        """Takes back the probes asked for (another view's request stands)."""
        session = self.session
        if self._asked_probes and session is not None:
            session.set_probe(None, None, viewer="previews")
        self._asked_probes = False


def snapshot(doc: Document) -> str:
    """The document as compact .nbg JSON, for the preview thread (the live one stays here).

    Compact, unsorted JSON goes through the json module's C encoder: for a 1,000-block graph
    it took 4-12 ms on the GUI thread against 54-69 ms for the file's indented text.
    """
    return json.dumps(fileformat.document_to_dict(doc), ensure_ascii=False, allow_nan=False)


def _saved_choice() -> bool:
    value = QSettings().value(SETTINGS_KEY, True)
    return value not in (False, "false", "0", 0)
