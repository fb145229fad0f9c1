"""Edits of the Edit and Arrange menus, on a document widget's current canvas.

Each function builds core commands from the current selection and pushes them through the
document widget, so every one of them is a single undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QGuiApplication

from netbuilder.core.commands import (
    AddFrame,
    Group,
    MacroCommand,
    MoveNodes,
    Paste,
    SetBypass,
    Ungroup,
    can_bypass,
    copy_fragment,
    fragment_from_text,
    fragment_to_text,
)
from netbuilder.core.layout import DEFAULT_VIEWPORT, layered_positions
from netbuilder.ui.canvas.geometry import GRID, NODE_WIDTH, ROW_HEIGHT, snap
from netbuilder.ui.document import DocumentWidget

#: How far a paste or a duplicate lands from the original.
PASTE_OFFSET = (40.0, 40.0)


def copy_selection(editor: DocumentWidget) -> bool:
    """Puts the selected blocks, as JSON text, on the clipboard."""
    graph, nodes = editor.current_graph, editor.selected_node_ids()
    if graph is None or not nodes:
        editor.show_status("Select blocks to copy.")
        return False
    text = fragment_to_text(copy_fragment(editor.doc, graph, nodes))
    QGuiApplication.clipboard().setText(text)
    editor.show_status(f"Copied {len(nodes)} block{'s' if len(nodes) > 1 else ''}.")
    return True


def cut_selection(editor: DocumentWidget) -> None:
    if copy_selection(editor):
        editor.delete_selection()


def paste(editor: DocumentWidget, text: str | None = None) -> None:
    """Pastes blocks copied from this or another document (or any app, as JSON text)."""
    graph = editor.current_graph
    if graph is None:
        return
    text = QGuiApplication.clipboard().text() if text is None else text
    try:
        fragment = fragment_from_text(text)
    except ValueError as error:
        editor.show_status(f"Nothing to paste: {error}", error=True)
        return
    command = Paste(graph, fragment, _paste_offset(editor, fragment))
    if editor.push(command):
        editor.open_graph(graph).canvas.select_nodes(command.node_ids)


def _paste_offset(editor: DocumentWidget, fragment: dict) -> tuple[float, float]:
    """Beside the originals when that is in sight; else centred in the view (blocks copied
    from another document, or from far away, land where the user looks)."""
    view = editor.current_view
    positions = [(float(x), float(y)) for x, y in (n["position"] for n in fragment["nodes"])]
    if view is None or not positions:
        return PASTE_OFFSET
    left, top = min(x for x, _ in positions), min(y for _, y in positions)
    # The blocks' extent, roughly: their corners plus one block's size.
    extent = QRectF(left, top, max(x for x, _ in positions) - left + NODE_WIDTH,
                    max(y for _, y in positions) - top + 4 * ROW_HEIGHT)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    if not visible.contains(extent.translated(*PASTE_OFFSET)):
        centre = visible.center() - extent.center()
        return snap(centre.x()), snap(centre.y())
    # Pasting again steps further on, so that copies never hide one another.
    graph = editor.doc.graph(view.canvas.graph_name)
    taken = {tuple(node.position) for node in graph.nodes.values()}
    step = 1
    while step < 50 and (positions[0][0] + step * PASTE_OFFSET[0],
                         positions[0][1] + step * PASTE_OFFSET[1]) in taken:
        step += 1
    return step * PASTE_OFFSET[0], step * PASTE_OFFSET[1]


def duplicate(editor: DocumentWidget) -> None:
    graph, nodes = editor.current_graph, editor.selected_node_ids()
    if graph is None or not nodes:
        return
    fragment = copy_fragment(editor.doc, graph, nodes)
    command = Paste(graph, fragment, _paste_offset(editor, fragment))
    if editor.push(command):
        editor.open_graph(graph).canvas.select_nodes(command.node_ids)


def select_all(editor: DocumentWidget) -> None:
    scene = editor.current_scene
    if scene is not None:
        for item in scene.items():
            if item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
                item.setSelected(True)


def toggle_bypass(editor: DocumentWidget) -> None:
    """Bypasses the selected blocks, or restores them if they all are bypassed already."""
    graph, nodes = editor.current_graph, editor.selected_node_ids()
    if graph is None or not nodes:
        editor.show_status("Select blocks to bypass.")
        return
    doc = editor.doc
    blocks = [doc.graph(graph).nodes[n] for n in nodes]
    able = [n.id for n in blocks if can_bypass(doc, n.type, n.params)]
    if not able:
        # SetBypass explains why the first of them cannot be bypassed.
        editor.push(SetBypass(graph, nodes, True))
        return
    all_bypassed = all(doc.graph(graph).nodes[n].bypassed for n in able)
    editor.push(SetBypass(graph, able, not all_bypassed))


def group_selection(editor: DocumentWidget) -> None:
    graph, nodes = editor.current_graph, editor.selected_node_ids()
    if graph is None or not nodes:
        editor.show_status("Select the blocks to group.")
        return
    command = Group(graph, nodes)
    if editor.push(command):
        assert command.instance_id is not None  # set when the command ran
        editor.open_graph(graph).canvas.select_nodes([command.instance_id])
        editor.show_status(f"Grouped as '{command.group_name}': double-click it to edit the "
                           "definition (every use follows).")


def ungroup_selection(editor: DocumentWidget) -> None:
    graph = editor.current_graph
    if graph is None:
        return
    instances = [n for n in editor.selected_node_ids()
                 if editor.doc.graph(graph).nodes[n].type == "group"]
    if not instances:
        editor.show_status("Select a group block to ungroup.")
        return
    created: list[str] = []
    with editor.macro("Ungroup"):
        for node_id in instances:
            command = Ungroup(graph, node_id)
            if editor.push(command):
                created += command.node_ids
    editor.open_graph(graph).canvas.select_nodes(created)


def auto_layout(editor: DocumentWidget) -> None:
    """Lays the graph out in layers, left to right, folded into bands that fit the view,
    keeping it where it was."""
    graph_name = editor.current_graph
    if graph_name is None:
        return
    graph = editor.doc.graph(graph_name)
    if not graph.nodes:
        return
    left = min(node.position[0] for node in graph.nodes.values())
    top = min(node.position[1] for node in graph.nodes.values())
    view, scene = editor.current_view, editor.current_scene
    viewport = (float(view.viewport().width()), float(view.viewport().height())) \
        if view is not None else DEFAULT_VIEWPORT
    sizes = {node_id: (item.body_rect().width(), item.body_rect().height())
             for node_id, item in scene.node_items.items()} if scene is not None else None
    positions = layered_positions(graph, viewport=viewport, sizes=sizes)
    shift_y = top - min(y for _, y in positions.values())
    moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
    for node_id, (x, y) in positions.items():
        new = (snap(x + left), snap(y + shift_y))
        if new != graph.nodes[node_id].position:
            moves[node_id] = (graph.nodes[node_id].position, new)
    if moves:
        # A macro, because MoveNodes names itself after its blocks when it runs.
        editor.push(MacroCommand("Auto layout", [MoveNodes(graph_name, moves)]))
    view = editor.current_view
    if view is not None:
        view.fit()


def align(editor: DocumentWidget, how: str) -> None:
    """Aligns the selected blocks: ``left``, ``right``, ``top``, ``bottom``, ``middle``
    (same centre line) or spreads them evenly (``spread_x``, ``spread_y``)."""
    graph_name, nodes = editor.current_graph, editor.selected_node_ids()
    scene = editor.current_scene
    if graph_name is None or scene is None or len(nodes) < 2:
        editor.show_status("Select two or more blocks to align.")
        return
    rects = {n: scene.node_items[n].sceneBoundingRect() for n in nodes}
    graph = editor.doc.graph(graph_name)
    targets: dict[str, tuple[float, float]] = {}
    if how in ("spread_x", "spread_y"):
        axis = 0 if how == "spread_x" else 1
        ordered = sorted(nodes, key=lambda n: graph.nodes[n].position[axis])
        first, last = (graph.nodes[ordered[0]].position[axis],
                       graph.nodes[ordered[-1]].position[axis])
        step = (last - first) / (len(ordered) - 1)
        for index, node_id in enumerate(ordered):
            position = list(graph.nodes[node_id].position)
            position[axis] = snap(first + index * step)
            targets[node_id] = (position[0], position[1])
    else:
        for node_id in nodes:
            x, y = graph.nodes[node_id].position
            if how == "left":
                x = min(graph.nodes[n].position[0] for n in nodes)
            elif how == "right":
                right = max(r.right() for r in rects.values())
                x = right - (rects[node_id].right() - x)
            elif how == "top":
                y = min(graph.nodes[n].position[1] for n in nodes)
            elif how == "bottom":
                bottom = max(r.bottom() for r in rects.values())
                y = bottom - (rects[node_id].bottom() - y)
            elif how == "middle":
                centre = sum(r.center().y() for r in rects.values()) / len(rects)
                y = snap(centre - (rects[node_id].center().y() - y), GRID)
            targets[node_id] = (x, y)
    moves = {n: (graph.nodes[n].position, p) for n, p in targets.items()
             if p != graph.nodes[n].position}
    if moves:
        editor.push(MacroCommand(f"Align {how.replace('_', ' ')}",
                                 [MoveNodes(graph_name, moves)]))


def add_frame(editor: DocumentWidget, title: str = "Notes") -> None:
    """Frames the selected blocks (or the visible canvas centre) with a comment box."""
    scene, graph = editor.current_scene, editor.current_graph
    if scene is None or graph is None:
        return
    nodes = editor.selected_node_ids()
    if nodes:
        # Room for the title bar above the blocks and a margin around them.
        rect = scene.items_rect(nodes).adjusted(-30, -50, 30, 30)
    else:
        view = editor.current_view
        centre = view.mapToScene(view.viewport().rect().center()) if view else QPointF()
        rect = QRectF(centre.x() - 160, centre.y() - 100, 320, 200)
    command = AddFrame(graph, title, (snap(rect.x()), snap(rect.y()), snap(rect.width()),
                                      snap(rect.height())))
    if editor.push(command):
        scene.clearSelection()
        scene.frame_items[command.frame_id].setSelected(True)
