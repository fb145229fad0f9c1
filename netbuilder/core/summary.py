"""Per-node shapes, parameter and multiply-add counts of a document, as rows or JSON.

Pure Python (no torch): the command line's ``summary`` and the editor's status bar share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netbuilder.core.graph import Document
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


def node_rows(doc: Document, analysis: Analysis) -> list[NodeRow]:
    """One row per node of the analysed graph, in document order."""
    graph = doc.graph(analysis.graph)
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
                            info.params if info else 0, info.macs if info else 0))
    return rows


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
    errors, warnings = [], []
    for name, analysis in analyses.items():
        rows = node_rows(doc, analysis)
        networks[name] = {
            "total_params": analysis.total_params,
            "trainable_params": analysis.total_params,
            "total_macs": analysis.total_macs,
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
        title = f"network '{name}'" + (f" in {source}" if source else "")
        out.append(title)
        table = [("Node", "Block", "Output shape", "Params", "Mult-adds")]
        graph = doc.graph(name)
        for node in network["nodes"]:
            shape = node["output_shape"]
            table.append((
                node["name"],
                block_title(doc, node["type"], graph.nodes[node["id"]].params),
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
        out.append("")
    for label, entries in (("Errors", data["errors"]), ("Warnings", data["warnings"])):
        if entries:
            out.append(f"{label}:")
            for entry in entries:
                where = f"{entry['network']}"
                if entry["name"]:
                    where += f" / {entry['name']}"
                out.append(f"  {where}: {entry['message']}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _short(count: int) -> str:
    for size, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)
