"""The .nbg file format: versioned, sorted, pretty JSON that never executes anything.

Loading has two phases, as in orange-canvas-core: first the text is parsed and its format
version checked and migrated step by step (pure dict -> dict functions); only then is a
:class:`Document` built. A file newer than this netbuilder is refused with a clear message,
an unknown block type stays in the document as a placeholder with its params, and saving is
atomic. Layout of version 2::

    {"format": "netbuilder-graph", "version": 2, "next_id": 12,
     "networks": [{"name": "model", "nodes": [...], "edges": [...], "frames": [...]}],
     "groups": [{"name": "resblock", "nodes": [...], "edges": [...], "frames": [...]}],
     "training": {...}, "view": {...}, "metadata": {...}}

Nodes, edges and frames are written by :mod:`netbuilder.core.serialize`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Saves go through the one atomic writer; ``fileformat.write_atomic`` stays importable for the
# callers that predate netbuilder.core.atomic.
from netbuilder.core.atomic import write_atomic as write_atomic
from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.core.errors import GraphError, GraphFileError
from netbuilder.core.files import read_regular
from netbuilder.core.flatten import check_expansion
from netbuilder.core.graph import (
    GROUP,
    MAX_EDGES,
    MAX_FRAMES,
    MAX_NODES,
    NETWORK,
    Document,
    Graph,
)
from netbuilder.core.jsonvalues import (
    MAX_DEPTH,
    MAX_PARAM_DEPTH,
    check_json_value,
    refuse_constant,
)
from netbuilder.core.names import check_identifier, check_node_name
from netbuilder.core.serialize import (
    edge_from_dict,
    edge_to_dict,
    frame_from_dict,
    frame_to_dict,
    node_from_dict,
    node_to_dict,
)
from netbuilder.core.text import may_hold_surrogates, text_problem
from netbuilder.core.training import check_settings

FORMAT_NAME = "netbuilder-graph"
CURRENT_VERSION = 2
SUFFIX = ".nbg"

#: A bigger file is refused before reading: a real graph of 10,000 blocks is about 4 MB.
MAX_FILE_BYTES = 64 * 1024 * 1024
# MAX_NODES, MAX_EDGES and MAX_FRAMES (core.graph) cap a document as the editor caps it.

TOP_KEYS = ("format", "version", "next_id", "networks", "groups", "training", "view",
            "metadata")
GRAPH_KEYS = ("name", "nodes", "edges", "frames")

Migration = Callable[[dict[str, Any]], dict[str, Any]]

def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 added the bypass flag of each node and the frames (comments) of each graph."""
    for key in ("networks", "groups"):
        for graph in data.get(key) or []:
            if isinstance(graph, dict):
                graph.setdefault("frames", [])
                for node in graph.get("nodes") or []:
                    if isinstance(node, dict):
                        node.setdefault("bypassed", False)
    return data


#: MIGRATIONS[v] turns a version-v dict into a version v+1 dict. Each step has a golden
#: file in tests/data (format_v{v}.nbg) and a test that loads it.
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


# ----- reading ---------------------------------------------------------------------------------
def load(path: str | os.PathLike[str], catalogue: Catalogue) -> Document:
    """Reads a .nbg file into a document.

    Raises:
        GraphFileError: the file cannot be read or is not a valid netbuilder graph; the
            message names the file and the part at fault.
    """
    path = Path(path)
    raw = read_regular(path, MAX_FILE_BYTES, what="graph file")
    doc = loads(raw, catalogue, source=str(path))
    doc.path = path
    return doc


def loads(text: str | bytes, catalogue: Catalogue, source: str = "<text>") -> Document:
    """Parses .nbg text (str or UTF-8 bytes) into a document; errors name ``source``."""
    data = parse(text, source)
    data = migrate(data, source)
    try:
        return _build_document(data, catalogue)
    except (ValueError, GraphError) as error:
        raise GraphFileError(f"{source}: {error}") from None


def parse(text: str | bytes, source: str = "<text>") -> dict[str, Any]:
    """Phase one: bytes to a dict with a known format name and a supported version."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise GraphFileError(f"{source}: too large to be a graph")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise GraphFileError(f"{source}: is not a netbuilder graph (not UTF-8 text; "
                                 "perhaps a binary file)") from None
    if "\x00" in text[:8192]:
        raise GraphFileError(f"{source}: is not a netbuilder graph (binary data, not text)")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark some editors add
    try:
        data = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        hint = " (the file is cut short)" if error.pos >= len(text.rstrip()) else ""
        raise GraphFileError(f"{source}: is not valid JSON at line {error.lineno}, column "
                             f"{error.colno}: {error.msg}{hint}") from None
    except RecursionError:
        raise GraphFileError(f"{source}: is nested too deeply to be a graph") from None
    except ValueError as error:  # NaN/Infinity literals, integers with thousands of digits
        raise GraphFileError(f"{source}: holds a value netbuilder refuses: {error}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise GraphFileError(f"{source}: is not a netbuilder graph (no \"format\": "
                             f"\"{FORMAT_NAME}\" field)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraphFileError(f"{source}: has no valid format version")
    if version > CURRENT_VERSION:
        raise GraphFileError(
            f"{source}: was written by a newer netbuilder (format version {version}; this one "
            f"reads up to {CURRENT_VERSION}). Update netbuilder to open it.")
    # Refused here, not at save: a document that loads must also save.
    problem = text_problem(data) if may_hold_surrogates(text) else None
    if problem is not None:
        raise GraphFileError(f"{source}: {problem}")
    return data


def migrate(data: dict[str, Any], source: str = "<text>") -> dict[str, Any]:
    """Phase one and a half: upgrades an old version's dict step by step to the current one."""
    version = data["version"]
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise GraphFileError(f"{source}: format version {version} can no longer be read")
        try:
            data = step(data)
        except (KeyError, TypeError, ValueError) as error:
            raise GraphFileError(f"{source}: cannot upgrade from format version {version}: "
                                 f"{error}") from None
        version += 1
        data["version"] = version
    return data


def _build_document(data: dict[str, Any], catalogue: Catalogue) -> Document:
    """Phase two: a checked, current-version dict to a Document."""
    _check_keys(data, TOP_KEYS, "the file")
    next_id = data["next_id"]
    if not isinstance(next_id, int) or isinstance(next_id, bool) or not 1 <= next_id < 2**53:
        raise ValueError("'next_id' must be a positive integer")
    doc = Document(catalogue)
    for section in ("training", "view", "metadata"):
        value = data[section]
        if not isinstance(value, dict):
            raise ValueError(f"'{section}' must be an object")
        if section == "training":
            # Refused at load, so that summary and export do not accept what train would
            # refuse; first, so that a bad known setting is named as the setting it is.
            check_settings(value)
        check_json_value(value, section, MAX_DEPTH)
        setattr(doc, section, value)

    seen_ids: set[str] = set()
    for key, kind in (("networks", NETWORK), ("groups", GROUP)):
        graphs = data[key]
        if not isinstance(graphs, list):
            raise ValueError(f"'{key}' must be a list")
        for graph_data in graphs:
            _read_graph(doc, graph_data, kind, seen_ids)
    if not doc.networks:
        raise ValueError("the file holds no network")
    for graph in doc.graphs.values():
        _check_edge_ports(doc, graph)
    # Sized from the definitions, before anything expands them (nested groups explode).
    check_expansion(doc)

    highest = max((int(i[1:]) for i in seen_ids if re.fullmatch(r"[nef]\d{1,15}", i)),
                  default=0)
    # A hand-edited file may hold an id at or above the counter; never hand out an id twice.
    doc.next_id = max(next_id, highest + 1)
    return doc


def _read_graph(doc: Document, data: Any, kind: str, seen_ids: set[str]) -> None:
    what = "network" if kind == NETWORK else "group"
    if not isinstance(data, dict):
        raise ValueError(f"each entry of '{what}s' must be an object")
    _check_keys(data, GRAPH_KEYS, f"a {what}")
    name = data["name"]
    if not isinstance(name, str):
        raise ValueError(f"a {what} name must be a text")
    check_identifier(name, f"{what} name")
    if name in doc.graphs:
        raise ValueError(f"two networks or groups are named '{name}'")
    if not all(isinstance(data[key], list) for key in ("nodes", "edges", "frames")):
        raise ValueError(f"{what} '{name}': 'nodes', 'edges' and 'frames' must be lists")
    for key, limit, noun in (("nodes", MAX_NODES, "blocks"), ("edges", MAX_EDGES, "wires"),
                             ("frames", MAX_FRAMES, "frames")):
        # Counted before any entry is read, so that a million of them cost nothing.
        if len(data[key]) + sum(len(getattr(g, key)) for g in doc.graphs.values()) > limit:
            raise ValueError(f"more than {limit:,} {noun}")
    graph = Graph(name, kind)
    doc.graphs[name] = graph
    names: set[str] = set()
    for node_data in data["nodes"]:
        node = node_from_dict(node_data)
        where = f"{what} '{name}', node {node.id}"
        if node.id in seen_ids:
            raise ValueError(f"{where}: id is used twice")
        check_node_name(node.name, f"{where}: name")
        if node.name in names:
            raise ValueError(f"{what} '{name}': two nodes are named '{node.name}'")
        upgrade_node(doc.catalogue, node, where)
        seen_ids.add(node.id)
        names.add(node.name)
        graph.nodes[node.id] = node
    taken_inputs: set[tuple[str, str]] = set()
    for edge_data in data["edges"]:
        edge = edge_from_dict(edge_data)
        where = f"{what} '{name}', edge {edge.id}"
        if edge.id in seen_ids:
            raise ValueError(f"{where}: id is used twice")
        for end in (edge.source, edge.target):
            if end not in graph.nodes:
                raise ValueError(f"{where}: refers to node '{end}', which is not in '{name}'")
        if (edge.target, edge.target_port) in taken_inputs:
            target = graph.nodes[edge.target].name
            raise ValueError(f"{where}: input '{edge.target_port}' of {target} has two wires")
        taken_inputs.add((edge.target, edge.target_port))
        seen_ids.add(edge.id)
        graph.edges[edge.id] = edge
    for frame_data in data["frames"]:
        frame = frame_from_dict(frame_data)
        if frame.id in seen_ids:
            raise ValueError(f"{what} '{name}', frame {frame.id}: id is used twice")
        seen_ids.add(frame.id)
        graph.frames[frame.id] = frame


def _check_edge_ports(doc: Document, graph: Graph) -> None:
    """Refuses a wire from or into a port its block does not have (once groups are known).

    Blocks of unknown type, and group instances whose definition is missing, have no known
    ports: their wires stay, and the shape checker reports the block.
    """
    what = "network" if graph.kind == NETWORK else "group"
    for edge in graph.edges.values():
        for node_id, port, direction in ((edge.source, edge.source_port, "output"),
                                         (edge.target, edge.target_port, "input")):
            node = graph.nodes[node_id]
            try:
                ports = (doc.output_ports(node) if direction == "output"
                         else doc.input_ports(node))
            except (KeyError, TypeError, ValueError, GraphError):
                continue  # params the shape checker will report
            if not ports:
                continue
            if port not in {p.name for p in ports}:
                names = ", ".join(p.name for p in ports)
                raise ValueError(f"{what} '{graph.name}', edge {edge.id}: {node.name} has no "
                                 f"{direction} {port!r} (its {direction}s: {names})")


def upgrade_node(catalogue: Catalogue, node: Any, where: str) -> None:
    """Brings a node just read (from a file or the clipboard) up to ``catalogue``, in place.

    Renamed types load under their new id; older block versions migrate their params; a
    param left out takes the block's default. A node of an unknown type is kept verbatim as
    a placeholder.

    Raises:
        ValueError: the block version cannot be read, or the params are not values netbuilder
            reads (:func:`netbuilder.core.jsonvalues.check_json_value`, the same check as
            pasted params); the message starts with ``where``. A block's ``migrate`` may
            also raise on params it cannot convert.
    """
    spec = catalogue.get(node.type)
    if spec is None:
        # Unknown type: kept verbatim as a placeholder, so that nothing is lost on save.
        check_json_value(node.params, f"{where} params", MAX_PARAM_DEPTH)
        return
    node.type = spec.type
    if node.type_version > spec.version:
        raise ValueError(f"{where}: block '{spec.type}' version {node.type_version} is newer "
                         f"than this netbuilder knows ({spec.version}); update netbuilder")
    if node.type_version < spec.version:
        if spec.migrate is None:
            raise ValueError(f"{where}: block '{spec.type}' version {node.type_version} can no "
                             "longer be read")
        node.params = spec.migrate(node.type_version, node.params)
        node.type_version = spec.version
    check_json_value(node.params, f"{where} params", MAX_PARAM_DEPTH)
    _fill_defaults(spec, node)


def _fill_defaults(spec: BlockSpec, node: Any) -> None:
    """Gives a param the file leaves out its default, as GraphBuilder and AddNodes do.

    A hand-written file may write only the params it changes. Files netbuilder writes hold
    every param, so their round trip stays byte for byte.
    """
    if not isinstance(node.params, dict):
        return
    for name, value in spec.default_params().items():
        node.params.setdefault(name, value)


def _check_keys(data: dict[str, Any], keys: tuple[str, ...], what: str) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{what} lacks {', '.join(repr(k) for k in missing)}")
    extra = sorted(k for k in data if k not in keys)
    if extra:
        raise ValueError(f"{what} has unknown field {', '.join(repr(k) for k in extra)}")


# ----- writing ---------------------------------------------------------------------------------
def document_to_dict(doc: Document) -> dict[str, Any]:
    """The current-version dict of a document (what ``dumps`` writes)."""
    def graphs(kind: str) -> list[dict[str, Any]]:
        return [
            {
                "name": graph.name,
                "nodes": [node_to_dict(node) for node in graph.nodes.values()],
                "edges": [edge_to_dict(edge) for edge in graph.edges.values()],
                "frames": [frame_to_dict(frame) for frame in graph.frames.values()],
            }
            for graph in doc.graphs.values() if graph.kind == kind
        ]

    return {
        "format": FORMAT_NAME,
        "version": CURRENT_VERSION,
        "next_id": doc.next_id,
        "networks": graphs(NETWORK),
        "groups": graphs(GROUP),
        "training": doc.training,
        "view": doc.view,
        "metadata": doc.metadata,
    }


def dumps(doc: Document) -> str:
    """The file text: sorted keys and 2-space indents, so that diffs read well."""
    return json.dumps(document_to_dict(doc), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def snapshot(doc: Document) -> Document:
    """A copy of ``doc`` that later edits cannot reach, with the same file path.

    The file format is the deep copy: what a background job (an export, a training run)
    works on is exactly what saving would write, and nothing it holds is shared with the
    document the user keeps editing.
    """
    copy = loads(dumps(doc), doc.catalogue)
    copy.path = doc.path
    return copy


def save(doc: Document, path: str | os.PathLike[str]) -> None:
    """Writes the document atomically: a temporary file, fsync, then rename over ``path``.

    A crash or a full disk leaves the old file as it was.

    Raises:
        GraphFileError: the file cannot be written (the old file, if any, is intact).
    """
    path = Path(path)
    write_atomic(path, encode(doc, str(path)))
    doc.path = path


def encode(doc: Document, source: str = "<document>") -> bytes:
    """The bytes of the file (:func:`dumps` as UTF-8).

    Raises:
        GraphFileError: the document holds what no file can store (a lone surrogate, a
            non-finite number, a value that is not JSON); the message names ``source``.
    """
    try:
        return dumps(doc).encode("utf-8")
    except UnicodeEncodeError:
        problem = text_problem(document_to_dict(doc)) or "holds text that is not valid Unicode"
        raise GraphFileError(f"{source}: cannot be saved: {problem}") from None
    except (ValueError, TypeError, RecursionError) as error:
        reason = next(iter(str(error).splitlines()), "") or type(error).__name__
        raise GraphFileError(f"{source}: cannot be saved: {reason}") from None
