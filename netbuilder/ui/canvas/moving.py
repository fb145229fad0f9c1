"""Moving blocks and frames with the mouse: one gesture object from the press to the release.

A press on a selected block (Qt selects a block under the press first) or on a frame's title
bar starts the gesture. Qt's own item dragging moves the selected items; the gesture carries
along the blocks inside a dragged frame, routes the moved blocks' wires once per mouse move
(not once per moved block), and, while one lone unwired block is dragged, lights up the wire
under the cursor. The release pushes one undo step:

* a :class:`MoveNodes` of the blocks that moved (in document order);
* for a frame, a "Move frame" macro with the frame's new rectangle as well (a macro even for
  the frame alone: its :class:`EditFrame` would otherwise merge with the frame's last edit);
* for a lone block let go with the cursor on the lit wire, the move and the block's insertion
  into that wire, as one step;
* nothing when nothing moved. A refused step puts the items back where the model has them.

The gesture builds core commands and hands them to the scene's editor; it never edits the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsItem

from netbuilder.core.commands import Command, EditFrame, MacroCommand, MoveNodes
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.frame_item import FrameItem

if TYPE_CHECKING:
    from netbuilder.ui.canvas.protocols import MoveCanvas

#: Each moved node: (position in the model, position of its item now).
Moves = dict[str, tuple[tuple[float, float], tuple[float, float]]]


class MoveGesture:
    """One drag of the selected blocks, or of a frame and what it holds, on ``scene``.

    Attributes:
        pressed: where each selected block was at the press, by node id.
        frame: the frame whose title bar was grabbed, or None for a drag of blocks.
        carried: where each block inside ``frame`` (and not selected) was at the press.
    """

    def __init__(self, scene: MoveCanvas, frame: FrameItem | None = None) -> None:
        self.scene = scene
        self.pressed: dict[str, QPointF] = {node_id: item.pos() for node_id, item
                                            in scene.node_items.items() if item.isSelected()}
        self.frame = frame
        self._frame_start = frame.pos() if frame is not None else QPointF()
        self.carried: dict[str, QPointF] = {}
        if frame is not None:
            inside = [n for n in scene.nodes_inside(frame) if n not in self.pressed]
            self.carried = {n: scene.node_items[n].pos() for n in inside}
        #: Blocks that moved since their wires were last routed.
        self._unrouted: set[str] = set()
        #: The wire the lone dragged block goes into if let go now (lit up).
        self._wire: EdgeItem | None = None

    @classmethod
    def after_press(cls, scene: MoveCanvas, grabbed: QGraphicsItem | None
                    ) -> MoveGesture | None:
        """The gesture a left press starts, once Qt has handled it (selected the block under
        it, grabbed the item): None when there is nothing to move. ``grabbed`` is the scene's
        mouse grabber; a frame being resized by its handle is not a frame being moved."""
        frame = grabbed if isinstance(grabbed, FrameItem) and not grabbed.resizing else None
        gesture = cls(scene, frame)
        return gesture if gesture.pressed or frame is not None else None

    # ----- the gesture ----------------------------------------------------------------------
    def node_moved(self, node_id: str) -> None:
        """A block's item moved during the drag: its wires are routed at the next
        :meth:`move` (an edge between two moving blocks is routed once, not twice)."""
        self._unrouted.add(node_id)

    def move(self, pos: QPointF) -> None:
        """After Qt moved the dragged items for a mouse move to ``pos``: the frame's blocks
        follow it, the moved blocks' wires follow them, and the wire under the cursor lights
        up if the lone dragged block would go into it."""
        self._carry_frame_contents()
        if not self._unrouted:
            return
        self._route_moved()
        self._light_wire(self.scene.wire_under(pos) if self._is_lone_block() else None)

    def finish(self) -> None:
        """The release: pushes the drag as one undo step (see the module's docstring)."""
        self._route_moved()
        wire = self._wire
        self._light_wire(None)
        scene, graph = self.scene, self.scene.graph
        moves = self._moves()
        steps: list[Command] = [MoveNodes(scene.graph_name, moves)] if moves else []
        if self.frame is not None:
            rect = self.frame.scene_rect()
            if tuple(rect) != tuple(self.frame.frame.rect):
                steps.append(EditFrame(scene.graph_name, self.frame.frame.id, rect=rect))
        if not steps:
            return
        if len(moves) == 1 and self.frame is None and wire is not None \
                and wire.edge_id in graph.edges:
            (node_id,) = moves
            insert = scene.insert_into_wire(node_id, wire.edge_id)
            if scene.editor.push(MacroCommand("Insert block into wire", steps + insert)):
                return
        command = MacroCommand("Move frame", steps) if self.frame is not None else steps[0]
        if not scene.editor.push(command):
            self._put_back(moves)

    # ----- helpers ----------------------------------------------------------------------------
    def _carry_frame_contents(self) -> None:
        if self.frame is None:
            return
        delta = self.frame.pos() - self._frame_start
        for node_id, origin in self.carried.items():
            item = self.scene.node_items.get(node_id)
            if item is not None:
                item.place(origin + delta)

    def _route_moved(self) -> None:
        if self._unrouted:
            moved, self._unrouted = self._unrouted, set()
            self.scene.route_wires_of(moved)

    def _is_lone_block(self) -> bool:
        """Whether one block alone is dragged, and it could go into a wire."""
        dragged = list(self.pressed)
        return len(dragged) == 1 and self.frame is None \
            and self.scene.can_go_into_wire(dragged[0])

    def _light_wire(self, wire: EdgeItem | None) -> None:
        self._wire = wire
        self.scene.show_insertion(wire)

    def _moves(self) -> Moves:
        """The dragged blocks whose items are no longer where the model has them, in
        document order (a deterministic step)."""
        candidates = set(self.pressed) | set(self.carried)
        moves: Moves = {}
        for node_id, node in self.scene.graph.nodes.items():
            item = self.scene.node_items.get(node_id)
            if node_id not in candidates or item is None:
                continue
            old, now = (node.position[0], node.position[1]), (item.pos().x(), item.pos().y())
            if now != old:
                moves[node_id] = (old, now)
        return moves

    def _put_back(self, moves: Moves) -> None:
        """A refused step: the items go back to where the model still has them."""
        for node_id, (old, _) in moves.items():
            item = self.scene.node_items.get(node_id)
            if item is not None:
                item.place(QPointF(*old))
        if self.frame is not None:
            self.frame.refresh(self.frame.frame)
