"""The status bar's permanent read-outs: parameter totals per network, problems, and zoom."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from netbuilder.core.graph import GROUP
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.live_label import LiveLabel


def format_params(count: int) -> str:
    """``225,034 params``, ``1 param``."""
    return f"{count:,} param{'' if count == 1 else 's'}"


def totals_text(editor: DocumentWidget) -> str:
    """One entry per network (group definitions are counted where they are used)."""
    parts, problems = [], 0
    for name, analysis in editor.analyses().items():
        if editor.doc.graph(name).kind == GROUP:
            continue
        parts.append(f"{name}: {format_params(analysis.built_params)}")
        problems += len(analysis.errors)
    if problems:
        parts.append(f"{problems} problem{'s' if problems > 1 else ''}")
    return "   ·   ".join(parts)


class StatusIndicators:
    """Labels at the right of the status bar: training progress, totals, zoom."""

    def __init__(self, bar: QStatusBar, parent: QWidget) -> None:
        self.training = LiveLabel(parent)  # changes four times a second while training
        self.training.setObjectName("status_training")
        self.training.setToolTip("The training run: epoch, step, samples a second, time left")
        self.totals = QLabel(parent)
        self.totals.setObjectName("status_totals")
        self.totals.setToolTip("Trainable parameters of each network")
        self.zoom = QLabel(parent)
        self.zoom.setObjectName("status_zoom")
        self.zoom.setToolTip("Zoom (Ctrl+0: actual size, F: fit)")
        self.zoom.setMinimumWidth(self.zoom.fontMetrics().horizontalAdvance("  300%  "))
        bar.addPermanentWidget(self.training)
        bar.addPermanentWidget(self.totals)
        bar.addPermanentWidget(self.zoom)

    def show(self, editor: DocumentWidget | None) -> None:
        if editor is None:
            self.totals.setText("")
            self.zoom.setText("")
            return
        self.totals.setText(f"{totals_text(editor)}  ")
        view = editor.current_view
        self.zoom.setText(f"  {view.zoom * 100:.0f}%  " if view is not None else "")
