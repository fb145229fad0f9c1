"""Per-node shapes, parameter and multiply-add counts of a document, as rows or JSON.

Pure Python (no torch): the command line's ``summary`` and the editor's status bar share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netbuilder.core.errors import printable
from netbuilder.core.graph import NETWORK, Document
from netbuilder.core.inference import Analysis, ShapeCache, analyse_document
from netbuilder.core.tensor import TensorSpec, format_shape


@dataclass(frozen=True)
class NodeRow:
    id: str
    name: str
    type: str
    title: str
    outputs: dict[str, TensorSpec]
    shown: TensorSpec | None
    params: int
    macs: int
    #: whether the compiled model holds (some of) the block: it leads to an Output or a loss.
    built: bool = True


def node_rows(doc: Document, analysis: Analysis) -> list[NodeRow]:
    """One row per node of the analysed graph, in document order."""
    graph = doc.graph(analysis.graph)
    built = _built_origins(analysis) if graph.kind == NETWORK else set(graph.nodes)
    rows = []
    for node in graph.nodes.values():
        spec = doc.catalogue.get(node.type)
        info = analysis.nodes.get(node.id)
        outputs = dict(info.outputs) if info else {}
        shown = next(iter(outputs.values()), None)
        if shown is None and info is not None and spec is not None and spec.role == "output":
            shown = next(iter(info.inputs.values()), None)  # what the network returns
        rows.append(NodeRow(node.id, node.name, node.type, block_title(doc, node.type,
                                                                       node.params), outputs, shown,
                            info.params if info else 0, info.macs if info else 0,
                            node.id in built))
    return rows


def _built_origins(analysis: Analysis) -> set[str]:
    """Top-level ids of the nodes the compiler builds, wholly or (a group use) in part."""
    flat = analysis.flat_graph
    if flat is None:
        return set()
    return {flat.nodes[n].origin for n in analysis.built if n in flat.nodes}


def block_title(doc: Document, type_id: str, params: dict[str, Any]) -> str:
    """The block's title as tables show it; a group use names its group."""
    spec = doc.catalogue.get(type_id)
    if spec is None:
        return f"{type_id} (unknown)"
    if spec.role == "group":
        return f"Group {params.get('group', '?')}"
    return spec.title


def summary_dict(doc: Document, source: str | None = None) -> dict[str, Any]:
    """The ``summary --json`` object: networks with their nodes, then errors and warnings."""
    analyses = analyse_document(doc, ShapeCache())
    networks: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for name, analysis in analyses.items():
        rows = node_rows(doc, analysis)
        networks[name] = {
            # What the compiler builds; blocks with no path to an Output or a loss are apart.
            "total_params": analysis.built_params,
            "trainable_params": analysis.built_params,
            "total_macs": analysis.built_macs,
            "not_built": {
                "nodes": [row.name for row in rows if not row.built],
                "params": analysis.total_params - analysis.built_params,
                "macs": analysis.total_macs - analysis.built_macs,
            },
            "nodes": [
                {
                    "id": row.id,
                    "name": row.name,
                    "type": row.type,
                    "output_shape": list(row.shown.shape) if row.shown else None,
                    "outputs": {port: {"shape": list(spec.shape), "dtype": spec.dtype}
                                for port, spec in row.outputs.items()},
                    "params": row.params,
                    "macs": row.macs,
                    "built": row.built,
                }
                for row in rows
            ],
        }
        graph = doc.graph(name)
        for diagnostic in analysis.diagnostics:
            node = graph.nodes.get(diagnostic.node) if diagnostic.node else None
            entry = {
                "network": name,
                "node": diagnostic.node,
                "name": node.name if node else None,
                "param": diagnostic.param,
                "message": diagnostic.message,
            }
            (errors if diagnostic.severity == "error" else warnings).append(entry)
    result: dict[str, Any] = {"networks": networks, "errors": errors, "warnings": warnings}
    if source is not None:
        result["file"] = source
    return result


def summary_text(doc: Document, source: str | None = None) -> str:
    """The human-readable summary table of every network."""
    data = summary_dict(doc, source)
    out: list[str] = []
    for name, network in data["networks"].items():
        # Every name below comes from the file: escaped, so a newline or a terminal escape in
        # one can neither split the table nor drive the terminal.
        title = printable(f"network '{name}'" + (f" in {source}" if source else ""))
        out.append(title)
        table = [("Node", "Block", "Output shape", "Params", "Mult-adds")]
        graph = doc.graph(name)
        for node in network["nodes"]:
            shape = node["output_shape"]
            table.append((
                printable(node["name"]),
                printable(block_title(doc, node["type"], graph.nodes[node["id"]].params)),
                "?" if shape is None else format_shape(tuple(shape)),
                f"{node['params']:,}",
                _short(node["macs"]),
            ))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        for index, row in enumerate(table):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                     row[2].ljust(widths[2]), row[3].rjust(widths[3]), row[4].rjust(widths[4])]
            out.append("  " + "  ".join(cells).rstrip())
            if index == 0:
                out.append("  " + "  ".join("-" * w for w in widths))
        out.append(f"  Total: {network['total_params']:,} parameters "
                   f"({network['trainable_params']:,} trainable), "
                   f"{_short(network['total_macs'])} multiply-adds per sample")
        if network["not_built"]["nodes"] or network["not_built"]["params"]:
            out.append("  " + _not_built_line(network["not_built"]))
        out.append("")
    for label, entries in (("Errors", data["errors"]), ("Warnings", data["warnings"])):
        if entries:
            out.append(f"{label}:")
            for entry in entries:
                where = f"{entry['network']}"
                if entry["name"]:
                    where += f" / {entry['name']}"
                out.append(printable(f"  {where}: {entry['message']}"))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _not_built_line(not_built: dict[str, Any], shown: int = 8) -> str:
    """``Not built (...): dense3, dense4: 3,925 parameters, 3.9k multiply-adds``."""
    names = not_built["nodes"]
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown} more"
                                          if len(names) > shown else "")
    # Part of a group use can be unbuilt while the use itself is built: no name to list then.
    listed = listed or "parts of group uses"
    return printable(f"Not built (no path to an Output or a loss): {listed}: "
            f"{not_built['params']:,} parameters, {_short(not_built['macs'])} multiply-adds")


def _short(count: int) -> str:
    for size, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)
