"""Drawing a wire with the mouse: one gesture object from the press on a port to the release.

A press on an output port, or on a free input port, starts a new wire; a press on an input
port that already has a wire picks that wire up by its end. While the mouse moves, the port
under it (or the port a node under it would take) shows whether the wire fits, and the status
bar says why not; the message goes when the mouse leaves that port and when the gesture ends
(a release on a refusing port says why once more: that is the gesture's outcome). The port the
wire starts from is never its own target. The release decides:

* on a port, or on a node's body (its first fitting port): connect, reconnect or refuse;
* on empty canvas: a new wire opens quick-add (the chosen block gets the wire), a picked-up
  wire is deleted;
* where it started, without moving: nothing (a click on a port changes nothing).

The gesture builds core commands and hands them to the scene's editor; it never edits the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from netbuilder.core.commands import Disconnect
from netbuilder.ui.canvas.edge_item import DraftWire, wire_path
from netbuilder.ui.canvas.node_item import NodeItem, shape_text
from netbuilder.ui.canvas.port_item import PortItem

if TYPE_CHECKING:
    from netbuilder.ui.canvas.protocols import PortRef, WireCanvas

WRONG_SIDES = "a wire joins an output (right side) to an input (left side)"


class WireGesture:
    """One wire being drawn on ``scene``, started by a press on ``port``.

    Attributes:
        origin: the fixed end (node id, port name, True for an output port).
        moving_edge: the id of the wire picked up by its end, or None for a new wire.
        draft: the dashed wire that follows the mouse.
    """

    def __init__(self, scene: WireCanvas, port: PortItem, press_pos: QPointF) -> None:
        self.scene = scene
        self.moving_edge: str | None = None
        self.origin: PortRef = (port.node_id, port.name, port.is_output)
        self._press_pos = press_pos
        self._moved = False
        self._target: PortItem | None = None
        self._reported: str | None = None
        if not port.is_output:
            edge = scene.graph.edge_into(port.node_id, port.name)
            if edge is not None:
                # Pick the existing wire up by its end: it now follows the mouse.
                self.moving_edge = edge.id
                scene.edge_items[edge.id].setVisible(False)
                self.origin = (edge.source, edge.source_port, True)
        self.draft = DraftWire()
        self.draft.label = self._origin_label()
        scene.addItem(self.draft)
        self.move(press_pos)

    # ----- the gesture ----------------------------------------------------------------------
    def move(self, pos: QPointF) -> None:
        """Follows the mouse: redraws the draft and judges the port it points at."""
        if not self._moved and _far(pos, self._press_pos, self.scene):
            self._moved = True
        anchor = self._origin_anchor()
        start, end = (anchor, pos) if self.origin[2] else (pos, anchor)
        self.draft.setPath(wire_path(start, end))
        target = self.target_at(pos)
        if target is not self._target:
            if self._target is not None:
                self._target.set_verdict(None)
            self._target = target
        problem = self.problem_with(target) if target is not None else None
        if target is not None:
            target.set_verdict("bad" if problem else "good")
        self.draft.set_reason(problem)
        self._report(problem)

    def _report(self, problem: str | None) -> None:
        """Says why the port under the mouse refuses the wire, once per port (not on every
        mouse move), and takes the message back when no refusing port is under the mouse."""
        if problem == self._reported:
            return
        if problem:
            self.scene.editor.show_status(problem, error=True)
        else:
            self.scene.editor.show_status("")
        self._reported = problem

    def finish(self, pos: QPointF) -> None:
        """The release: connects, reconnects, deletes, opens quick-add or refuses."""
        self.move(pos)
        target = self._target
        self.cancel()
        if not self._moved:
            return  # a click on a port, not a drag
        if target is None:
            self._dropped_on_canvas(pos)
            return
        if self._is_where_it_was(target):
            return
        problem = self.problem_with(target)
        if problem:
            self.scene.editor.show_status(problem, error=True)
            return
        node_id, port_name, from_output = self.origin
        if from_output:
            source, end = (node_id, port_name), (target.node_id, target.name)
        else:
            source, end = (target.node_id, target.name), (node_id, port_name)
        self.scene.editor.push(self.scene.wire_command(source, end, moving=self.moving_edge))

    def cancel(self) -> None:
        """Ends the gesture without an edit (Esc, or before :meth:`finish` decides)."""
        if self.draft.scene() is not None:
            self.scene.removeItem(self.draft)
        edge_item = self.scene.edge_items.get(self.moving_edge or "")
        if edge_item is not None:
            edge_item.setVisible(True)
        if self._target is not None:
            self._target.set_verdict(None)
        self._report(None)

    # ----- judging --------------------------------------------------------------------------
    def target_at(self, pos: QPointF) -> PortItem | None:
        """The port a release at ``pos`` would wire: the port there, or a node's best port."""
        port = self.scene.port_at(pos)
        if port is not None:
            # The pressed port is where the wire starts, not where it could end: judged as a
            # target it said "output to input" on every drag, right or wrong.
            return None if self._is_origin(port) else port
        node = self.scene.node_item_at(pos)
        return self.best_port(node) if node is not None else None

    def best_port(self, node: NodeItem) -> PortItem | None:
        """The port of ``node`` a wire dropped on its body takes: the first that fits, free
        ones first; else the first port of the right side (whose refusal then shows)."""
        wants_input = self.origin[2]
        ports = list((node.input_ports if wants_input else node.output_ports).values())
        if not ports or node.node.id == self.origin[0]:
            return None
        graph = self.scene.graph
        if wants_input:
            ports.sort(key=lambda p: graph.edge_into(p.node_id, p.name) is not None)
        return next((p for p in ports if self.problem_with(p) is None), ports[0])

    def problem_with(self, port: PortItem) -> str | None:
        """Why the wire cannot end on ``port``, or None if it can."""
        node_id, port_name, from_output = self.origin
        if port.is_output == from_output:
            return WRONG_SIDES
        if from_output:
            return self.scene.connection_problem(node_id, port_name, port.node_id, port.name,
                                                 ignore=self.moving_edge)
        return self.scene.connection_problem(port.node_id, port.name, node_id, port_name)

    # ----- helpers ----------------------------------------------------------------------------
    def _is_origin(self, port: PortItem) -> bool:
        return (port.node_id, port.name, port.is_output) == self.origin

    def _dropped_on_canvas(self, pos: QPointF) -> None:
        scene = self.scene
        if self.moving_edge is not None:
            scene.editor.push(Disconnect(scene.graph_name, [self.moving_edge]))
        else:
            scene.editor.request_quick_add(scene.graph_name, pos, self.origin)

    def _is_where_it_was(self, target: PortItem) -> bool:
        edge = self.scene.graph.edges.get(self.moving_edge or "")
        return edge is not None and (target.node_id, target.name) == (edge.target,
                                                                      edge.target_port)

    def _origin_anchor(self) -> QPointF:
        node_id, port_name, is_output = self.origin
        item = self.scene.node_items[node_id]
        ports = item.output_ports if is_output else item.input_ports
        port = ports.get(port_name)
        return port.scene_anchor() if port is not None else item.grab_point()

    def _origin_label(self) -> str:
        node_id, port_name, is_output = self.origin
        analysis = self.scene.editor.analysis(self.scene.graph_name)
        spec = analysis.output_spec(node_id, port_name) if analysis and is_output else None
        return shape_text(spec) if spec else ""


def _far(a: QPointF, b: QPointF, scene: WireCanvas) -> bool:
    """Whether the mouse went further than a click's wobble (in screen pixels)."""
    zoom = scene.zoom()
    return (a - b).manhattanLength() * zoom >= QApplication.startDragDistance()
