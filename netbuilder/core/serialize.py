"""Nodes and edges to and from plain JSON-safe dicts (the file and the clipboard share it).

Node: ``{"id", "name", "type", "type_version", "params", "position": [x, y]}``.
Edge: ``{"id", "source", "source_port", "target", "target_port"}``.
Frame: ``{"id", "title", "text", "rect": [x, y, w, h], "color"}``.
The ``from_dict`` functions check structure only (keys and JSON types) and raise ValueError
with a message that names the offending key; block params are validated by the caller.
"""

from __future__ import annotations

import math
from typing import Any

from netbuilder.core.graph import Edge, Frame, Node

NODE_KEYS = ("id", "name", "type", "type_version", "params", "position", "bypassed")
EDGE_KEYS = ("id", "source", "source_port", "target", "target_port")
FRAME_KEYS = ("id", "title", "text", "rect", "color")
MAX_TEXT = 10_000


def node_to_dict(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "name": node.name,
        "type": node.type,
        "type_version": node.type_version,
        "params": node.params,
        "position": [_number(node.position[0]), _number(node.position[1])],
        "bypassed": node.bypassed,
    }


def edge_to_dict(edge: Edge) -> dict[str, Any]:
    return {
        "id": edge.id,
        "source": edge.source,
        "source_port": edge.source_port,
        "target": edge.target,
        "target_port": edge.target_port,
    }


def node_from_dict(data: Any) -> Node:
    _check_keys(data, NODE_KEYS, "node")
    for key in ("id", "name", "type"):
        _check_str(data, key, "node")
    if not isinstance(data["type_version"], int) or isinstance(data["type_version"], bool) \
            or not 1 <= data["type_version"] <= 10_000:
        raise ValueError(f"node {data['id']}: 'type_version' must be a positive integer")
    if not isinstance(data["params"], dict):
        raise ValueError(f"node {data['id']}: 'params' must be an object")
    position = data["position"]
    if not (isinstance(position, list) and len(position) == 2 and all(
            _is_number(v) and math.isfinite(v) and abs(v) < 1e9 for v in position)):
        raise ValueError(f"node {data['id']}: 'position' must be two finite numbers")
    if not isinstance(data["bypassed"], bool):
        raise ValueError(f"node {data['id']}: 'bypassed' must be true or false")
    return Node(data["id"], data["type"], data["name"], data["params"],
                (position[0], position[1]), data["type_version"], data["bypassed"])


def edge_from_dict(data: Any) -> Edge:
    _check_keys(data, EDGE_KEYS, "edge")
    for key in EDGE_KEYS:
        _check_str(data, key, "edge")
    return Edge(data["id"], data["source"], data["source_port"], data["target"],
                data["target_port"])


def frame_to_dict(frame: Frame) -> dict[str, Any]:
    return {
        "id": frame.id,
        "title": frame.title,
        "text": frame.text,
        "rect": [_number(v) for v in frame.rect],
        "color": frame.color,
    }


def frame_from_dict(data: Any) -> Frame:
    _check_keys(data, FRAME_KEYS, "frame")
    _check_str(data, "id", "frame")
    for key in ("title", "text", "color"):
        if not isinstance(data[key], str) or len(data[key]) > MAX_TEXT:
            raise ValueError(f"frame {data['id']}: '{key}' must be a text of at most "
                             f"{MAX_TEXT} characters")
    rect = data["rect"]
    if not (isinstance(rect, list) and len(rect) == 4 and all(
            _is_number(v) and math.isfinite(v) and abs(v) < 1e9 for v in rect)
            and rect[2] > 0 and rect[3] > 0):
        raise ValueError(f"frame {data['id']}: 'rect' must be x, y and a positive width and "
                         "height")
    return Frame(data["id"], data["title"], data["text"], tuple(rect), data["color"])


def _number(value: float) -> float | int:
    # Whole positions save as integers ("120", not "120.0"): shorter diffs, same value.
    return int(value) if float(value).is_integer() else float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_keys(data: Any, keys: tuple[str, ...], what: str) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"each {what} must be an object, got {type(data).__name__}")
    label = data.get("id") if isinstance(data.get("id"), str) else "?"
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{what} {label}: missing {', '.join(repr(k) for k in missing)}")
    extra = sorted(k for k in data if k not in keys)
    if extra:
        raise ValueError(f"{what} {label}: unknown field {', '.join(repr(k) for k in extra)}")


def _check_str(data: dict[str, Any], key: str, what: str) -> None:
    value = data[key]
    if not isinstance(value, str) or not value or len(value) > 200:
        label = data.get("id") if isinstance(data.get("id"), str) else "?"
        raise ValueError(f"{what} {label}: '{key}' must be a non-empty text")
