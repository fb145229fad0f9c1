"""Copy and paste: fragments of blocks and wires, their JSON text, and the checks it must pass.

Clipboard text may come from anywhere, so a fragment is checked (size, nesting, types) before
anything is built from it, and :class:`Paste` reads its blocks like the blocks of a file.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from netbuilder.core.commands.base import _Journal, _JournalCommand
from netbuilder.core.commands.checks import Point, _add_batch, _label, _node_in, _point
from netbuilder.core.errors import GraphError
from netbuilder.core.fileformat import upgrade_node
from netbuilder.core.graph import Document, Graph, Node
from netbuilder.core.jsonvalues import MAX_PARAM_DEPTH, check_json_value, refuse_constant
from netbuilder.core.serialize import edge_from_dict, edge_to_dict, node_from_dict, node_to_dict

#: The ``format`` of a copied fragment (the clipboard holds it as JSON text).
FRAGMENT_FORMAT = "netbuilder-fragment"
#: Limits that keep hostile clipboard text from freezing the editor.
MAX_FRAGMENT_NODES = 10_000
MAX_FRAGMENT_EDGES = 40_000
MAX_FRAGMENT_CHARS = 16 * 1024 * 1024


def copy_fragment(doc: Document, graph: Graph | str, node_ids: Iterable[str]) -> dict[str, Any]:
    """The clipboard form of some blocks and the wires among them, in document order.

    Returns:
        ``{"format": "netbuilder-fragment", "nodes": [...], "edges": [...]}`` with the nodes
        and edges as :mod:`netbuilder.core.serialize` writes them (deep copies).
    """
    if isinstance(graph, str):
        graph = doc.graph(graph)
    chosen = set(node_ids)
    for node_id in chosen:
        _node_in(doc, graph, node_id, "copy")
    if len(chosen) > MAX_FRAGMENT_NODES:
        raise GraphError(f"at most {MAX_FRAGMENT_NODES:,} blocks can be copied at once")
    nodes = [node_to_dict(node) for node in graph.nodes.values() if node.id in chosen]
    edges = [edge_to_dict(edge) for edge in graph.edges.values()
             if edge.source in chosen and edge.target in chosen]
    return copy.deepcopy({"format": FRAGMENT_FORMAT, "nodes": nodes, "edges": edges})


def fragment_to_text(fragment: Mapping[str, Any]) -> str:
    """The JSON text the clipboard holds for ``fragment``."""
    return json.dumps(check_fragment(fragment), ensure_ascii=False, allow_nan=False)


def fragment_from_text(text: Any) -> dict[str, Any]:
    """Reads clipboard text back into a checked fragment.

    Raises:
        ValueError: the text is not a netbuilder fragment, or a hostile one (too long, nested
            too deeply, wrong types, too many blocks); the message says which.
    """
    if not isinstance(text, str):
        raise ValueError(f"clipboard content must be text, got {type(text).__name__}")
    if len(text) > MAX_FRAGMENT_CHARS:
        raise ValueError(f"clipboard text is too long to be a netbuilder fragment "
                         f"({len(text):,} characters)")
    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except RecursionError:
        raise ValueError("clipboard text is nested too deeply to be a netbuilder fragment") \
            from None
    except ValueError as error:  # JSONDecodeError, NaN, integers of thousands of digits
        raise ValueError(f"clipboard text is not a netbuilder fragment: {error}") from None
    return check_fragment(data)


def check_fragment(data: Any) -> dict[str, Any]:
    """Checks a fragment's structure and returns a deep copy of it.

    Raises:
        ValueError: what is wrong, naming the node or edge at fault.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"a netbuilder fragment is a JSON object, not {_json_type(data)}")
    if data.get("format") != FRAGMENT_FORMAT:
        raise ValueError(f"not a netbuilder fragment (no \"format\": \"{FRAGMENT_FORMAT}\")")
    extra = sorted(str(key) for key in data if key not in ("format", "nodes", "edges"))
    if extra:
        raise ValueError(f"fragment has unknown field {', '.join(map(repr, extra))}")
    nodes = _bounded_list(data, "nodes", MAX_FRAGMENT_NODES)
    edges = _bounded_list(data, "edges", MAX_FRAGMENT_EDGES)
    seen: set[str] = set()
    checked_nodes = []
    for item in nodes:
        if isinstance(item, dict):
            # Text copied from a version-1 document has no bypass flag: not bypassed.
            item = {"bypassed": False, **item}
        node = node_from_dict(item)
        if node.id in seen:
            raise ValueError(f"fragment: node id '{node.id}' is used twice")
        seen.add(node.id)
        check_json_value(node.params, f"node {node.id}: params", MAX_PARAM_DEPTH)
        checked_nodes.append(node_to_dict(node))
    checked_edges = [edge_to_dict(edge_from_dict(item)) for item in edges]
    return copy.deepcopy({"format": FRAGMENT_FORMAT, "nodes": checked_nodes,
                          "edges": checked_edges})


def _bounded_list(data: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"fragment '{key}' must be a list, not {_json_type(value)}")
    # Count first: a million entries is refused before any of them is looked at.
    if len(value) > limit:
        raise ValueError(f"a fragment holds at most {limit:,} {key}; this one has "
                         f"{len(value):,}")
    return value


class Paste(_JournalCommand):
    """Adds a copied fragment with fresh ids, offset so that it does not hide the original.

    A name still free in the target graph is kept, a taken one gets a number; only wires
    whose two ends were copied come along.

    Args:
        graph: the network or group to paste into.
        fragment: from :func:`copy_fragment` or :func:`fragment_from_text`; it is checked
            again here (ValueError), since it may come from anywhere.
        offset: added to every position.

    After redo, :attr:`node_ids` lists the pasted blocks (for the view to select them).
    """

    def __init__(self, graph: str, fragment: Mapping[str, Any],
                 offset: Point = (30.0, 30.0)) -> None:
        super().__init__("Paste")
        self.graph = graph
        self._fragment = check_fragment(fragment)
        if not self._fragment["nodes"]:
            raise ValueError("the fragment holds no block to paste")
        self._offset = _point(offset)
        self.node_ids: list[str] = []

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [self._read_node(doc, data) for data in self._fragment["nodes"]]
        copied = {node.id for node in nodes}
        edges = [edge_from_dict(data) for data in self._fragment["edges"]
                 if data["source"] in copied and data["target"] in copied]
        self.node_ids = _add_batch(self, doc, journal, graph, nodes, edges, strict=False)
        self.text = _label("Paste", doc, [graph.nodes[i] for i in self.node_ids], titles=True)

    def _read_node(self, doc: Document, data: dict[str, Any]) -> Node:
        node = node_from_dict(copy.deepcopy(data))
        try:
            # A pasted node is read like a node of a file: aliases resolve, old params
            # migrate, and an unknown type stays a placeholder.
            upgrade_node(doc.catalogue, node, f"pasted node {node.id}")
        except (ValueError, TypeError, KeyError) as error:
            raise GraphError(f"cannot paste: {error}") from None
        x, y = node.position
        node.position = (x + self._offset[0], y + self._offset[1])
        return node


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true or false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
