"""What may name a node, a network or a group: Python identifiers that compile.

A node's name becomes a submodule attribute (``self.conv1``), a ``state_dict`` key prefix and a
variable of the exported code, so it must be a plain identifier that neither a Python keyword
nor an attribute of the module that holds it can shadow: a block called ``forward``,
``training`` or ``state_dict`` would replace the method of the same name in the compiled
``torch.fx.GraphModule``; inside a group instance (an ``nn.ModuleDict`` in exported code) the
same holds for ``keys``, ``items`` and ``values``. The list is kept here, without torch, so the
editor can say so as the name is typed; ``tests/core/test_names.py`` checks it against the torch
it runs with, and the compiler checks each name against the live classes again.
"""

from __future__ import annotations

import keyword
import re

from netbuilder.core.errors import GraphError

#: Letters, digits and _, starting with a letter. ``fullmatch``: ``$`` would accept a final
#: newline, and a leading ``_`` would reach private attributes (``_modules``, ``__class__``).
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")

#: Public attributes of ``nn.Module``, ``nn.ModuleDict`` and ``fx.GraphModule`` (torch 2.4 to
#: 2.13), plus ``parts``, which the compiler sets on the module it returns.
MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "add_submodule", "apply", "bfloat16", "buffers",
    "call_super_init", "children", "clear", "code", "compile", "cpu", "cuda",
    "delete_all_unused_submodules", "delete_submodule", "double", "dump_patches", "eval",
    "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
    "get_submodule", "graph", "half", "ipu", "items", "keys", "load_state_dict", "meta",
    "modules", "mtia", "named_buffers", "named_children", "named_modules", "named_parameters",
    "parameters", "parts", "pop", "print_readable", "recompile", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "shape_env", "share_memory", "state_dict", "to", "to_empty", "to_folder", "train",
    "training", "type", "update", "values", "xpu", "zero_grad",
})

#: Names the exported code gives its own module, class and methods.
CODE_NAMES = frozenset({"self", "torch", "nn", "F", "math", "operator", "sys", "Path"})

RESERVED_NODE_NAMES = MODULE_ATTRIBUTES | CODE_NAMES


def identifier_problem(name: object) -> str | None:
    """Why ``name`` cannot name a network or group, or None when it can."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        return ("use letters, digits and _, starting with a letter (at most 64 characters)")
    if keyword.iskeyword(name):
        return "it is a Python keyword"
    return None


def node_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a node (a submodule), or None when it can."""
    problem = identifier_problem(name)
    if problem is None and name in RESERVED_NODE_NAMES:
        problem = (f"PyTorch modules use '{name}' themselves; pick another, e.g. "
                   f"'{name}_1'" if name not in CODE_NAMES else
                   f"the exported code uses '{name}' itself; pick another, e.g. '{name}_1'")
    return problem


def check_identifier(name: object, what: str) -> None:
    """Raises GraphError unless ``name`` can name a network or group."""
    problem = identifier_problem(name)
    if problem is not None:
        raise GraphError(f"{what} {name!r} is not allowed: {problem}")


def check_node_name(name: object, what: str = "node name") -> None:
    """Raises GraphError unless ``name`` can name a node (see the module docstring)."""
    problem = node_name_problem(name)
    if problem is not None:
        raise GraphError(f"{what} {name!r} is not allowed: {problem}")


def name_stem(text: str) -> str:
    """A valid, unreserved start for a name made from any text (``"Conv 2D"`` -> ``conv_2d``)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_").lower()[:56] or "node"
    if not stem[0].isalpha():
        stem = "n_" + stem
    if keyword.iskeyword(stem) or stem in RESERVED_NODE_NAMES:
        stem += "_"
    return stem
