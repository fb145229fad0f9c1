"""Commands that add, delete and rename networks and group definitions."""

from __future__ import annotations

from netbuilder.core.commands.base import _Journal, _JournalCommand
from netbuilder.core.errors import GraphError
from netbuilder.core.flatten import check_expansion
from netbuilder.core.graph import GROUP, NETWORK, Document


class AddNetwork(_JournalCommand):
    """Adds an empty network (or, with ``kind="group"``, an empty group definition)."""

    def __init__(self, name: str, kind: str = NETWORK) -> None:
        if kind not in (NETWORK, GROUP):
            raise GraphError(f"a graph is a '{NETWORK}' or a '{GROUP}', not {kind!r}")
        super().__init__(f"Add {kind} {name}")
        self.name = name
        self.kind = kind

    def _apply(self, doc: Document, journal: _Journal) -> None:
        journal.add_graph(self.name, self.kind)


class RemoveNetwork(_JournalCommand):
    """Deletes a network or an unused group definition; undo restores it whole."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Delete {name}")
        self.name = name

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.name)
        users = [node.name for owner, node in doc.instances_of(self.name) if owner is not graph]
        if graph.kind == GROUP and users:
            raise GraphError(f"group '{self.name}' is used by {', '.join(users[:5])}"
                             f"{' and others' if len(users) > 5 else ''}; delete or ungroup "
                             "those first")
        journal.remove_graph(self.name)
        self.text = f"Delete {graph.kind} {self.name}"


class RenameNetwork(_JournalCommand):
    """Renames a network or a group definition (the uses of a group follow)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"Rename {old} to {new}")
        self.old = old
        self.new = new

    def _apply(self, doc: Document, journal: _Journal) -> None:
        if self.old != self.new:
            journal.rename_graph(self.old, self.new)
            # Uses of a missing group named ``new`` now expand to the renamed definition.
            check_expansion(doc)
