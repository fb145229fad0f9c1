"""No text from a graph file can become code in an export (netbuilder/compile/pysource.py).

Three layers of proof: the small module that writes document text into code is tested on its
own; every bundled example's exports use only the Python that codegen means to write; and a
property test puts hostile strings into every string field of a document and checks that the
exported code has exactly the structure it has with a harmless string in the same place.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.compile import pysource
from netbuilder.compile.codegen import python_source
from netbuilder.core import fileformat
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import GROUP, Document
from netbuilder.resources import example_path, list_examples
from netbuilder.train.script import training_script

#: The node types the generators write (the fixed loop of the training script included).
ALLOWED_NODES = frozenset({
    "Add", "And", "AnnAssign", "Assign", "Attribute", "AugAssign", "BinOp", "BitOr", "BoolOp",
    "Call", "ClassDef", "Compare", "Constant", "Del", "Delete", "Dict", "Div", "Eq", "Expr",
    "FloorDiv", "For", "FormattedValue", "FunctionDef", "GeneratorExp", "Gt", "GtE", "If",
    "IfExp", "Import", "ImportFrom", "In", "Is", "IsNot", "JoinedStr", "Lambda", "List", "Load",
    "Lt", "LtE", "MatMult", "Mod", "Module", "Mult", "Name", "Not", "NotEq", "NotIn", "Or",
    "Pow", "Raise", "Return", "Slice", "Starred", "Store", "Sub", "Subscript", "Tuple", "USub",
    "UnaryOp", "With", "alias", "arg", "arguments", "comprehension", "keyword", "withitem",
})
ALLOWED_IMPORTS = frozenset({"__future__", "argparse", "collections", "gc", "math", "numpy",
                             "operator", "os", "pathlib", "sys", "torch", "typing"})
#: Builtins that run code, read files or reach into objects: never called by an export.
FORBIDDEN_CALLS = frozenset({"eval", "exec", "compile", "__import__", "open", "getattr",
                             "setattr", "delattr", "globals", "locals", "vars", "breakpoint",
                             "input", "exit", "quit", "help", "memoryview"})
ALLOWED_DUNDERS = frozenset({"__name__", "__doc__", "__file__", "__init__", "__future__"})
OS_ATTRIBUTES = frozenset({"environ", "replace"})


def check_generated(source: str) -> None:
    """Fails unless ``source`` uses only what codegen means to write."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        kind = type(node).__name__
        assert kind in ALLOWED_NODES, f"unexpected {kind} at line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            assert {a.name.split(".")[0] for a in node.names} <= ALLOWED_IMPORTS
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and (node.module or "").split(".")[0] in ALLOWED_IMPORTS
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, node.func.id
        elif isinstance(node, ast.Name):
            assert not node.id.startswith("__") or node.id in ALLOWED_DUNDERS, node.id
        elif isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__") or node.attr in ALLOWED_DUNDERS, node.attr
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                assert node.attr in OS_ATTRIBUTES, f"os.{node.attr}"


def skeleton(source: str) -> str:
    """The code's structure with every name and constant blanked out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = "N"
        elif isinstance(node, ast.Attribute):
            node.attr = "A"
        elif isinstance(node, ast.arg):
            node.arg = "a"
        elif isinstance(node, ast.keyword) and node.arg is not None:
            node.arg = "k"
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            node.name = "D"
        elif isinstance(node, ast.Constant):
            node.value = "C"
    return ast.dump(tree, include_attributes=False)


def exports(doc: Document) -> list[str]:
    return [python_source(doc), training_script(doc)]


# --- the module that writes document text -------------------------------------------------

plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=12,
)


@given(plain_values)
@settings(max_examples=300, deadline=None)
def test_a_literal_is_one_constant_expression_that_reads_back_as_its_value(value: Any) -> None:
    source = pysource.literal(value)
    tree = ast.parse(source, mode="eval")
    allowed = (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.Load, ast.UnaryOp,
               ast.USub, ast.Call, ast.Name)
    for node in ast.walk(tree):
        assert isinstance(node, allowed), source
        if isinstance(node, ast.Call):  # only float("inf") / float("nan")
            assert ast.unparse(node) in ("float('inf')", "float('-inf')", "float('nan')")
    if not _has_nan(value):
        assert eval(compile(tree, "<literal>", "eval"), {"float": float}) == value


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return value != value
    return isinstance(value, list | tuple) and any(_has_nan(v) for v in value)


@pytest.mark.parametrize("value", [object(), {"a": 1}, b"bytes", 1j, {1}])
def test_anything_but_a_plain_value_is_refused_as_a_literal(value: Any) -> None:
    with pytest.raises(pysource.UnsafeCodeError):
        pysource.literal(value)


@given(st.text())
@settings(max_examples=400, deadline=None)
def test_any_text_makes_one_docstring_and_one_comment_line(text: str) -> None:
    for indent in (0, 4):
        tree = ast.parse("def f():\n" + pysource.docstring(text, indent + 4) + "\n")
        (function,) = tree.body
        assert isinstance(function, ast.FunctionDef) and len(function.body) == 1
        assert isinstance(function.body[0].value, ast.Constant)  # type: ignore[attr-defined]
    line = pysource.comment(text)
    assert "\n" not in line and "\r" not in line
    assert ast.parse(f"x = 1  {line}\n").body[0].lineno == 1
    assert len(ast.parse(f"x = 1  {line}\n").body) == 1


@pytest.mark.parametrize("text", ["forward_1", "conv1", "x"])
def test_a_checked_name_is_itself(text: str) -> None:
    assert pysource.name(text) == text


@pytest.mark.parametrize("text", ["import os", "a.b", "1x", "class", "match", "__class__",
                                  "self", "torch", "ｘ", "x\n", ""])
def test_anything_else_is_not_a_name(text: str) -> None:
    with pytest.raises(pysource.UnsafeCodeError):
        pysource.name(text)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_fresh_names_from_any_text_are_distinct_checked_names(text: str) -> None:
    scope = pysource.Names(pysource.BUILTIN_NAMES)
    first, second = scope.fresh(text), scope.fresh(text)
    assert first != second
    for made in (first, second):
        assert pysource.name(made) == made and made not in pysource.BUILTIN_NAMES


@pytest.mark.parametrize("path", ["forward", "res1.keys", "a.__class__", "x;y", "a..b"])
def test_block_paths_that_are_no_safe_attribute_are_refused(path: str) -> None:
    with pytest.raises(pysource.UnsafeCodeError):
        pysource.attribute(path)


# --- what the exports of the bundled examples contain ------------------------------------------


def _example_exports() -> list[tuple[str, str]]:
    cases = []
    for name in list_examples():
        doc = netbuilder.load(example_path(name))
        for network in doc.networks:
            cases.append((f"{name}/{network}", python_source(doc, network)))
        with contextlib.suppress(NetbuilderError):  # perceptron and gan have no script
            cases.append((f"{name}/training", training_script(doc)))
    return cases


def test_every_export_of_every_example_uses_only_what_codegen_writes() -> None:
    cases = _example_exports()
    assert len(cases) >= 20
    for _, source in cases:
        check_generated(source)


# --- the hole that was: a keyword name carrying code ---------------------------------------------

INJECTION = "dim=__import__('os').system('touch PWNED'))#"


def _torch_op_document(kwargs: dict[str, Any]) -> Document:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4, 6], name="x")
    y = net.add("torch_op", x, function="F.softmax", args='[{"input": 0}]',
                kwargs=json.dumps(kwargs), input_shapes="4x6", output_shapes="4x6", name="op")
    net.add("output", y)
    return doc


def test_a_keyword_carrying_code_is_refused_by_the_shape_check_export_and_cli(
        tmp_path: Path) -> None:
    doc = _torch_op_document({INJECTION: 1})
    problems = netbuilder.core.inference.analyse_document(doc)
    messages = [d.message for a in problems.values() for d in a.errors]
    assert any("not a Python argument name" in m for m in messages)
    with pytest.raises(NetbuilderError):
        python_source(doc)
    path = tmp_path / "evil.nbg"
    netbuilder.save(doc, path)
    for command in (["summary", str(path)],
                    ["export", str(path), "--to", "python", "-o", str(tmp_path / "m.py")]):
        done = subprocess.run([sys.executable, "-m", "netbuilder", *command], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
    assert not (tmp_path / "m.py").exists() and not (tmp_path / "PWNED").exists()


def test_the_codegen_refuses_an_unsafe_keyword_even_past_the_shape_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from netbuilder.blocks import torch_op

    monkeypatch.setattr(torch_op, "_is_argument_name", lambda key: True)
    with pytest.raises(NetbuilderError, match="not a Python name"):
        python_source(_torch_op_document({INJECTION: 1}))


# --- hostile strings in every string field ---------------------------------------------


def _base_document() -> Document:
    """A group instance, a PyTorch op, a loss: every kind of text an export reads."""
    doc = netbuilder.new_document()
    block = GraphBuilder(doc, "block", GROUP)
    inner = block.add("dense", block.add("group_input", name="x"), units=6, name="inner")
    block.add("group_output", inner, name="y")
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4, 6], name="x")
    x = net.add("torch_op", x, function="F.softmax", args='[{"input": 0}]',
                kwargs='{"dim": -1}', input_shapes="4x6", output_shapes="4x6", name="op")
    x = net.add("group", x, group="block", name="blk")
    x = net.add("flatten", x, name="flat")
    y = net.add("dense", x, units=3, activation="softmax", name="classes")
    net.add("output", y, name="probabilities")
    label = net.add("input", shape=[], dtype="int64", name="label")
    net.add("cross_entropy_loss", y, label, name="loss")
    doc.training.update({"recipe": "classification", "dataset": "digits",
                         "generate": {"start": "h"}})
    doc.metadata.update({"title": "t", "description": "d"})
    return doc


BASE = json.loads(fileformat.dumps(_base_document()))
BASE["networks"][0]["frames"].append({"id": "f900", "title": "t", "text": "c",
                                      "rect": [0, 0, 10, 10], "color": "blue"})

Mutation = Callable[[dict[str, Any], str], None]


def _rename_node(graph_key: str, name: str) -> Mutation:
    def mutate(data: dict[str, Any], text: str) -> None:
        graph = data[graph_key][0]
        node = next(n for n in graph["nodes"] if n["name"] == name)
        node["name"] = text
        if node["type"] in ("group_input", "group_output"):  # the port's name on every use
            network = data["networks"][0]
            uses = {n["id"] for n in network["nodes"] if n["type"] == "group"}
            for edge in network["edges"]:
                if node["type"] == "group_input" and edge["target"] in uses:
                    edge["target_port"] = text
                if node["type"] == "group_output" and edge["source"] in uses:
                    edge["source_port"] = text
    return mutate


def _node_param(name: str, key: str, make: Callable[[str], Any]) -> Mutation:
    def mutate(data: dict[str, Any], text: str) -> None:
        node = next(n for n in data["networks"][0]["nodes"] if n["name"] == name)
        node["params"][key] = make(text)
    return mutate


def _section(section: str, make: Callable[[str], dict[str, Any]]) -> Mutation:
    def mutate(data: dict[str, Any], text: str) -> None:
        data[section].update(make(text))
    return mutate


def _network_name(data: dict[str, Any], text: str) -> None:
    data["networks"][0]["name"] = text


def _group_name(data: dict[str, Any], text: str) -> None:
    data["groups"][0]["name"] = text
    for node in data["networks"][0]["nodes"]:
        if node["type"] == "group":
            node["params"]["group"] = text


def _frame(key: str) -> Mutation:
    def mutate(data: dict[str, Any], text: str) -> None:
        data["networks"][0]["frames"][0][key] = text
    return mutate


FIELDS: dict[str, Mutation] = {
    "network name": _network_name,
    "group name": _group_name,
    **{f"node {n}": _rename_node("networks", n)
       for n in ("x", "op", "blk", "flat", "classes", "probabilities", "label", "loss")},
    **{f"group node {n}": _rename_node("groups", n) for n in ("x", "inner", "y")},
    "kwargs key": _node_param("op", "kwargs", lambda t: json.dumps({t: -1})),
    "kwargs value": _node_param("op", "kwargs", lambda t: json.dumps({"dim": t})),
    "args value": _node_param("op", "args", lambda t: json.dumps([{"input": 0}, t])),
    "function": _node_param("op", "function", lambda t: t),
    "input shapes": _node_param("op", "input_shapes", lambda t: t),
    "activation": _node_param("classes", "activation", lambda t: t),
    "metadata value": _section("metadata", lambda t: {"title": t}),
    "metadata key": _section("metadata", lambda t: {t: "v"}),
    "data set": _section("training", lambda t: {"dataset": t}),
    "generate start": _section("training", lambda t: {"generate": {"start": t}}),
    "settings key": _section("training", lambda t: {t: 1}),
    "frame title": _frame("title"),
    "frame text": _frame("text"),
}
#: A harmless text for each field, valid where a name must be.
BENIGN = "benign"

PAYLOADS = [
    INJECTION, '"""\nimport os\n"""', "'''\nimport os\n'''", '"', "'", "\\", '\\"', "a\\",
    'x"""+__import__(chr(111))+"""', "x\n__import__('os').system('id')", "\r\nimport os",
    "\u2028import os", "\x0cimport os", "{a0}", "{", "}}", "%s", "\x00", "forward",
    "training", "self", "torch", "__class__", "Loss", "Recurrent", "NETWORK", "main",
    "x" * 200, "ﬁ", "\t",
]
hostile_text = st.sampled_from(PAYLOADS) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def _exports_of(data: dict[str, Any], file_name: str = "graph.nbg") -> list[str] | None:
    """The document's exports, or None when it is refused with a clear error."""
    try:
        doc = netbuilder.loads(json.dumps(data), "fuzz.nbg")
        doc.path = Path(file_name)
        return exports(doc)
    except NetbuilderError:
        return None


def _mutated(field: str, text: str) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    FIELDS[field](data, text)
    return data


def test_the_base_document_and_every_harmless_variant_export() -> None:
    reference = _exports_of(BASE)
    assert reference is not None
    for field in FIELDS:
        if field in ("function", "input shapes", "activation"):
            continue  # no harmless free text fits a choice or a shape
        assert _exports_of(_mutated(field, BENIGN)) is not None, field


@functools.cache
def _benign_exports(field: str) -> tuple[str, ...]:
    made = _exports_of(_mutated(field, BENIGN)) or _exports_of(BASE)
    assert made is not None
    return tuple(made)


def _check_same_structure(field: str, text: str) -> None:
    hostile = _exports_of(_mutated(field, text))
    if hostile is None:
        return  # refused with a clear error: nothing was written
    benign = _benign_exports(field)
    for made, reference in zip(hostile, benign, strict=True):
        check_generated(made)
        assert skeleton(made) == skeleton(reference), (field, text)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_payload_in_every_field_leaves_the_structure_of_the_code(field: str) -> None:
    for text in PAYLOADS:
        _check_same_structure(field, text)


@given(field=st.sampled_from(sorted(FIELDS)), text=hostile_text)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_in_any_field_leaves_the_structure_of_the_code(field: str, text: str) -> None:
    _check_same_structure(field, text)


@given(text=hostile_text)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_hostile_file_name_stays_inside_the_docstring(text: str) -> None:
    made = _exports_of(BASE, file_name=text.replace("/", "_") or "x")
    reference = _exports_of(BASE)
    assert made is not None and reference is not None
    for source, expected in zip(made, reference, strict=True):
        assert skeleton(source) == skeleton(expected)


def test_a_network_named_like_a_copied_class_exports_runnable_code(tmp_path: Path) -> None:
    data = json.loads(fileformat.dumps(netbuilder.load(example_path("char_lstm"))))
    data["networks"][0]["name"] = "recurrent"
    doc = netbuilder.loads(json.dumps(data), "renamed.nbg")
    source = python_source(doc)
    assert "class RecurrentNet(nn.Module)" in source and "class Recurrent(nn.Module)" in source
    path = tmp_path / "model.py"
    path.write_text(source)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
