"""Graph -> torch: compiles a network to a torch.fx GraphModule and loads weights into it."""

from netbuilder.compile.builder import (
    CompiledNetwork,
    CompiledParts,
    build_module,
    compile_network,
)
from netbuilder.compile.weights import load_weights, weights_dict

__all__ = [
    "CompiledNetwork",
    "CompiledParts",
    "build_module",
    "compile_network",
    "load_weights",
    "weights_dict",
]
