"""The seams between the canvas's parts, as narrow protocols.

A scene needs an :class:`Editor` (the widget that owns the document and its undo stack); the
wire gesture needs a :class:`WireCanvas` (the scene it draws on), the move gesture a
:class:`MoveCanvas` (the scene whose blocks and frames it drags). Each part depends on what it
uses, not on the class that provides it, so that the scene, the gesture and the document widget
import one another in one direction only (``lint-imports`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsItem

from netbuilder.core.commands import Command
from netbuilder.core.graph import Document, Graph
from netbuilder.core.inference import Analysis
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.frame_item import FrameItem
from netbuilder.ui.canvas.node_item import NodeItem
from netbuilder.ui.canvas.port_item import PortItem

#: Where a wire being drawn starts: (node id, port name, True if it is an output port).
PortRef = tuple[str, str, bool]


class Editor(Protocol):
    """What a scene needs from the widget that owns the document and its undo stack."""

    doc: Document

    def push(self, command: Command) -> bool:
        """Applies ``command`` as one undo step; False (and a status message) if refused."""

    def add_block(self, graph: str, type_id: str, scene_pos: QPointF,
                  source: PortRef | None = None, *, into_edge: str | None = None
                  ) -> str | None:
        """Adds a block at ``scene_pos`` (wired to ``source``, or into the wire ``into_edge``)
        as one undo step; returns its id, or None if refused."""

    def analysis(self, graph: str) -> Analysis | None:
        """The latest shape inference of ``graph``, or None before the first one."""

    def show_status(self, message: str, error: bool = False) -> None:
        """Shows a short message in the status bar."""

    def request_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        """Opens the quick-add popup at ``scene_pos``; a chosen block is wired to ``source``."""

    def activate_item(self, graph: str, kind: str, item_id: str) -> None:
        """A double-click on a node (``kind == "node"``) or a frame."""

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: str | None) -> None:
        """A right-click on a node, a wire, a frame or (``kind == "canvas"``) empty canvas."""


class GestureCanvas(Protocol):
    """What every mouse gesture needs from the scene it happens on."""

    graph_name: str

    @property
    def graph(self) -> Graph:
        """The network or group the scene shows."""

    @property
    def editor(self) -> Editor:
        """Where the gesture's commands and messages go."""

    @property
    def node_items(self) -> Mapping[str, NodeItem]:
        """The blocks' items by node id."""


class WireCanvas(GestureCanvas, Protocol):
    """What drawing a wire with the mouse needs from the scene it happens on."""

    @property
    def edge_items(self) -> Mapping[str, EdgeItem]:
        """The wires' items by edge id."""

    def addItem(self, item: QGraphicsItem, /) -> None:
        """Shows the draft wire."""

    def removeItem(self, item: QGraphicsItem, /) -> None:
        """Takes the draft wire away."""

    def zoom(self) -> float:
        """The zoom of the view showing the scene (1.0 without one)."""

    def port_at(self, pos: QPointF) -> PortItem | None:
        """The visible port under ``pos``."""

    def node_item_at(self, pos: QPointF) -> NodeItem | None:
        """The block under ``pos``."""

    def connection_problem(self, source: str, source_port: str, target: str, target_port: str,
                           ignore: str | None = None) -> str | None:
        """Why the wire cannot be drawn, or None if it can."""

    def wire_command(self, source: tuple[str, str], target: tuple[str, str],
                     moving: str | None = None) -> Command:
        """The command that draws ``source`` -> ``target`` (moving the wire ``moving``)."""


class MoveCanvas(GestureCanvas, Protocol):
    """What dragging blocks and frames with the mouse needs from the scene it happens on."""

    def nodes_inside(self, frame: FrameItem) -> list[str]:
        """The nodes that lie inside ``frame`` (a frame's drag carries them)."""

    def route_wires_of(self, node_ids: Iterable[str]) -> None:
        """Routes the wires of some blocks again (after they moved)."""

    def can_go_into_wire(self, node_id: str) -> bool:
        """Whether a node has no wires yet and has an input and an output to splice in."""

    def wire_under(self, pos: QPointF) -> EdgeItem | None:
        """The wire under ``pos``."""

    def show_insertion(self, wire: EdgeItem | None) -> None:
        """Lights up the wire a block would go into if let go now (None: no wire)."""

    def insert_into_wire(self, node_id: str, edge_id: str) -> list[Command]:
        """The commands that route wire ``edge_id`` through the node ``node_id``."""
