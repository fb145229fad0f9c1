"""Window-level editing glue: quick add, context menus, frames, renaming, and networks.

The edits themselves are core commands pushed through the current :class:`DocumentWidget`
(or the functions of :mod:`netbuilder.ui.edit_ops`); this module only gathers what the user
chose (a popup, a dialog, a menu) and routes it to the right document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu, QWidget

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.commands import AddNetwork, EditFrame, RemoveNetwork, RenameNetwork
from netbuilder.core.graph import GROUP
from netbuilder.core.wires import wire_takers
from netbuilder.ui.canvas.protocols import PortRef
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.frame_dialog import FrameDialog
from netbuilder.ui.quick_add import QuickAddPopup
from netbuilder.ui.shell import Shell

#: The context menus: action names, None for a separator.
NODE_MENU = ("rename", "bypass", "duplicate", "copy", "cut", "delete", None, "group", "ungroup",
             "frame")
CANVAS_MENU = ("quick_add", "paste", None, "select_all", "layout", "fit")


def accepts_from(editor: DocumentWidget, graph: str, source: PortRef
                 ) -> Callable[[BlockSpec], bool]:
    """Blocks that can take the wire being dropped on empty canvas (see
    :func:`netbuilder.core.wires.wire_takers`)."""
    return wire_takers(editor.analysis(graph), *source)


@runtime_checkable
class EditHost(Shell, Protocol):
    """What the editing commands need from the window."""

    @property
    def actions_by_name(self) -> Mapping[str, QAction]:
        """The window's commands, which the context menus offer."""

    def raise_inspector(self) -> None:
        """Shows the inspector dock in front."""

    def edit_block_name(self) -> None:
        """Shows the inspector with the selected block's name field focused and selected."""


class EditCommands:
    """The editing commands that need the window: popups, dialogs, docks.

    Args:
        host: the window whose current document the commands edit.
        dialog_parent: the parent of the popups, menus and dialogs.
    """

    def __init__(self, host: EditHost, dialog_parent: QWidget) -> None:
        self.host = host
        self.dialog_parent = dialog_parent
        self.popup: QuickAddPopup | None = None  # kept referenced while it is shown

    @property
    def editor(self) -> DocumentWidget | None:
        return self.host.current_editor

    # ----- adding blocks ------------------------------------------------------------------------
    def add_block_at_centre(self, type_id: str) -> None:
        """The palette's double-click: the block lands in the middle of the visible canvas."""
        editor = self.editor
        view = editor.current_view if editor else None
        if editor is None or view is None or editor.current_graph is None:
            return
        centre = view.mapToScene(view.viewport().rect().center())
        editor.add_block(editor.current_graph, type_id, centre)

    def quick_add_at_cursor(self) -> None:
        """Tab: quick add at the mouse pointer, or in the middle when it is off the canvas."""
        editor = self.editor
        view = editor.current_view if editor else None
        if editor is None or view is None or editor.current_graph is None:
            return
        local = view.viewport().mapFromGlobal(QCursor.pos())
        if not view.viewport().rect().contains(local):
            local = view.viewport().rect().center()
        self.show_quick_add(editor.current_graph, view.mapToScene(local), None)

    def show_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        editor = self.editor
        if editor is None:
            return
        accepts = accepts_from(editor, graph, source) if source is not None else None
        popup = QuickAddPopup(editor.doc.catalogue, accepts, self.dialog_parent)
        popup.chosen.connect(
            lambda type_id: editor.add_block(graph, type_id, scene_pos, source))
        self.popup = popup
        popup.popup_at(editor.global_pos_of(graph, scene_pos))

    # ----- blocks and frames --------------------------------------------------------------------
    def rename_selected(self) -> None:
        """F2: the inspector's name field, focused and selected."""
        editor = self.editor
        if editor is None:
            return
        if len(editor.selected_node_ids()) != 1:
            self.host.show_status("Select one block to rename.")
            return
        self.host.edit_block_name()

    def item_activated(self, graph: str, kind: str, item_id: str) -> None:
        """A double-click: frames open their dialog, blocks show the inspector."""
        if kind == "frame":
            self.edit_frame(graph, item_id)
        else:
            self.host.raise_inspector()

    def edit_frame(self, graph: str, frame_id: str) -> None:
        editor = self.editor
        frame = editor.doc.graph(graph).frames.get(frame_id) if editor else None
        if editor is None or frame is None:
            return
        dialog = FrameDialog(frame, self.dialog_parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            changes = {k: v for k, v in dialog.values().items() if getattr(frame, k) != v}
            if changes:
                editor.push(EditFrame(graph, frame_id, **changes))

    def context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                     item_id: object) -> QMenu:
        """The right-click menu for a node, a wire, a frame or the empty canvas."""
        actions = self.host.actions_by_name
        menu = QMenu(self.dialog_parent)
        if kind == "node":
            entries: tuple[str | None, ...] = NODE_MENU
        elif kind in ("edge", "frame"):
            entries = ("delete",)
        else:
            entries = CANVAS_MENU
        for name in entries:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])
        if kind == "frame":
            menu.addAction("Edit Frame…", lambda: self.edit_frame(graph, str(item_id)))
        menu.popup(QPoint(int(screen_pos.x()), int(screen_pos.y())))
        return menu

    # ----- networks -----------------------------------------------------------------------------
    def add_network(self) -> None:
        editor = self.editor
        if editor is None:
            return
        name, ok = QInputDialog.getText(self.dialog_parent, "Add network",
                                        "Name of the new network:")
        name = name.strip()
        if ok and name and editor.push(AddNetwork(name)):
            editor.open_graph(name)

    def rename_network(self) -> None:
        editor = self.editor
        graph = editor.current_graph if editor else None
        if editor is None or graph is None:
            return
        if graph not in editor.doc.graphs:
            return
        name, ok = QInputDialog.getText(self.dialog_parent, "Rename network", "New name:",
                                        text=graph)
        name = name.strip()
        if ok and name and name != graph:
            editor.push(RenameNetwork(graph, name))

    def remove_network(self) -> None:
        editor = self.editor
        graph = editor.current_graph if editor else None
        if editor is None or graph is None or graph not in editor.doc.graphs:
            return  # (a tab whose network was just renamed catches up on the next check)
        if editor.doc.graph(graph).kind != GROUP and len(editor.doc.networks) == 1:
            self.host.show_status("A document keeps at least one network.", error=True)
            return
        editor.push(RemoveNetwork(graph))
