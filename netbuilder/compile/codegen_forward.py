"""Writes (part of) a compiled fx graph as an ``nn.Module`` class of readable code.

The compiled module's graph already holds one ``call_module`` node per block, named after it,
and ``operator.getitem`` nodes that unpack multi-output blocks. :class:`ClassWriter` names a
variable after each block (``encoder.attention`` -> ``encoder_attention``; a second output port
adds its name: ``encoder_attention_weights``), asks :mod:`codegen_modules` for each block's
constructor and statements, and lays them out as ``__init__`` and ``forward``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from torch import fx

from netbuilder.compile import pysource
from netbuilder.compile.block_code import BlockCode, UnsupportedModuleError
from netbuilder.compile.codegen_modules import render_module
from netbuilder.core.errors import NetbuilderError

#: Names a forward's variables must not shadow: the module's own imports and the builtins its
#: expressions call (``slice``, ``float``). A block called ``torch`` gets ``torch_2``.
RESERVED = pysource.BUILTIN_NAMES


class CodegenError(NetbuilderError):
    """A network cannot be written as PyTorch code; the message names the block at fault.

    Attributes:
        block: the dotted name of the block, or None.
    """

    def __init__(self, message: str, block: str | None = None) -> None:
        super().__init__(message)
        self.block = block


def _is_getitem(node: fx.Node) -> bool:
    return node.op == "call_function" and node.target is operator.getitem


class Naming:
    """One Python variable per value of the graph, named after blocks and Input blocks.

    Args:
        graph: the compiled graph.
        ports: for multi-output blocks, the output port names by block path.
    """

    def __init__(self, graph: fx.Graph, ports: Mapping[str, Sequence[str]]) -> None:
        self.names: dict[fx.Node, str] = {}
        self.ports = ports
        self.scope = pysource.Names(RESERVED)
        for node in graph.nodes:
            if node.op == "placeholder":
                self.names[node] = self.scope.fresh(str(node.target))
            elif node.op == "call_module":
                base = pysource.identifier_from(str(node.target))
                unpacked = [u for u in node.users if _is_getitem(u)]
                if not unpacked:
                    self.names[node] = self.scope.fresh(base)
                    continue
                port_names = list(ports.get(str(node.target), ()))
                for user in sorted(unpacked, key=lambda u: int(u.args[1])):
                    index = int(user.args[1])
                    suffix = port_names[index] if index < len(port_names) else str(index)
                    self.names[user] = self.scope.fresh(base if index == 0
                                                        else f"{base}_{suffix}")

    def __getitem__(self, node: fx.Node) -> str:
        return self.names[node]


@dataclass
class ClassCode:
    """The text of one generated class and the netbuilder classes it needs copied in."""

    text: str
    classes: list[type] = field(default_factory=list)


class ClassWriter:
    """Writes classes from the nodes of one compiled module.

    Args:
        module: the compiled GraphModule (its submodules are the blocks' modules).
        naming: the variable names of its values.
    """

    def __init__(self, module: fx.GraphModule, naming: Naming) -> None:
        self.module = module
        self.naming = naming

    def block_code(self, node: fx.Node) -> BlockCode:
        target = str(node.target)
        try:
            return render_module(self.module.get_submodule(target))
        except UnsupportedModuleError as error:
            raise CodegenError(f"block {target} cannot be written as PyTorch code: {error}",
                               target) from None

    def classes(self, nodes: Iterable[fx.Node]) -> list[type]:
        """The netbuilder classes that the code of ``nodes`` needs copied in, in order."""
        found: list[type] = []
        for node in nodes:
            if node.op == "call_module":
                found += [c for c in self.block_code(node).classes if c not in found]
        return found

    @staticmethod
    def attribute(target: str) -> str:
        """``self.<block path>``, checked (a graph file names the blocks)."""
        try:
            return pysource.attribute(target)
        except pysource.UnsafeCodeError as error:
            raise CodegenError(f"block {target!r} cannot be written as PyTorch code: {error}",
                               target) from None

    def write(self, name: str, doc: str, nodes: Iterable[fx.Node], inputs: Sequence[fx.Node],
              returns: Sequence[fx.Node] | fx.Node | str, return_doc: str = "") -> ClassCode:
        """A class ``name`` whose forward takes ``inputs`` and computes ``nodes`` in order.

        Args:
            name: the class name.
            doc: the class docstring (one paragraph).
            nodes: the ``call_module`` nodes to compute, in graph order (others are skipped).
            inputs: the values forward() takes, in order.
            returns: one value (returned as it is), a sequence (returned as a tuple), or an
                expression of the variables (one tensor).
            return_doc: what the Returns section of forward's docstring says.
        """
        init: list[str] = []
        body: list[str] = []
        containers: set[str] = set()
        classes: list[type] = []
        for node in nodes:
            if node.op != "call_module":
                continue
            code = self.block_code(node)
            target = str(node.target)
            attribute = self.attribute(target)
            if code.init is not None:
                init += self._containers(target, containers)
                init.append(f"{attribute} = {code.init}")
            classes += [c for c in code.classes if c not in classes]
            body += code.statements(self._targets(node), attribute,
                                    [self.naming[a] for a in node.args])  # type: ignore[index]
        if isinstance(returns, str):
            body.append(f"return {returns}")
        elif isinstance(returns, fx.Node):
            body.append(f"return {self.naming[returns]}")
        else:
            body.append("return " + ", ".join(self.naming[r] for r in returns))
        args = "".join(f", {self.naming[i]}: torch.Tensor" for i in inputs)
        result = "torch.Tensor" if isinstance(returns, fx.Node | str) else (
            "tuple[" + ", ".join("torch.Tensor" for _ in returns) + "]")
        lines = [f"class {pysource.name(name)}(nn.Module):", pysource.docstring(doc, 4), "",
                 "    def __init__(self) -> None:", "        super().__init__()"]
        lines += [wrap_call("        " + line) for line in init]
        signature = f"    def forward(self{args}) -> {result}:"
        if len(signature) > 100:
            # One parameter per line, as a formatter would lay it out.
            params = "".join(f"        {self.naming[i]}: torch.Tensor,\n" for i in inputs)
            signature = f"    def forward(\n        self,\n{params}    ) -> {result}:"
        lines += ["", signature]
        if return_doc:
            lines.append(pysource.docstring(return_doc, 8))
        lines += ["        " + line for line in body]
        return ClassCode("\n".join(lines), classes)

    def _targets(self, node: fx.Node) -> str:
        if node in self.naming.names:
            return self.naming[node]
        unpacked = {int(u.args[1]): u for u in node.users if _is_getitem(u)}  # type: ignore[arg-type]
        count = max(max(unpacked) + 1, len(self.naming.ports.get(str(node.target), ())))
        return ", ".join(self.naming[unpacked[i]] if i in unpacked else "_"
                         for i in range(count))

    @classmethod
    def _containers(cls, target: str, made: set[str]) -> list[str]:
        """``self.encoder = nn.ModuleDict()`` before the first block of a group instance."""
        lines = []
        parts = target.split(".")[:-1]
        for depth in range(1, len(parts) + 1):
            path = ".".join(parts[:depth])
            if path not in made:
                made.add(path)
                lines.append(f"{cls.attribute(path)} = nn.ModuleDict()  "
                             + pysource.comment(f"group instance {path}"))
        return lines


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated parts of an argument list (brackets and quotes respected)."""
    parts, depth, quote, start, escaped = [], 0, "", 0, False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def wrap_call(line: str, width: int = 100) -> str:
    """A long ``x = f(a, b=...)`` line wrapped after its parenthesis, arguments aligned."""
    opening = line.find("(")
    if len(line) <= width or opening < 0 or not line.endswith(")"):
        return line
    arguments = _split_arguments(line[opening + 1:-1])
    pad = " " * (opening + 1)
    lines, current = [], line[: opening + 1]
    for index, argument in enumerate(arguments):
        piece = argument + ("," if index < len(arguments) - 1 else ")")
        if current.strip() and current != line[: opening + 1] and (
                len(current) + 1 + len(piece) > width):
            lines.append(current.rstrip())
            current = pad + piece
        else:
            current += ("" if current.endswith("(") else " ") + piece
    lines.append(current)
    return "\n".join(lines)
