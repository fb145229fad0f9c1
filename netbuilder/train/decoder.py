"""The part of a compiled VAE after its sampling block, as a module of its own (z -> output).

Samples from the prior are the decoder applied to z ~ N(0, 1); the graph has no separate
decoder network, so it is cut out of the compiled ``fx.GraphModule``: every node computed from
the VAE Sampling block's output alone is copied into a new graph whose input is z. The copy
shares the model's submodules, so it always decodes with the current weights.
"""

from __future__ import annotations

from torch import fx

from netbuilder.blocks.modules import Sampling


def sampling_nodes(model: fx.GraphModule) -> list[fx.Node]:
    """The fx nodes that call a VAE Sampling block."""
    return [node for node in model.graph.nodes
            if node.op == "call_module" and isinstance(model.get_submodule(node.target),
                                                       Sampling)]


def latent_decoder(model: fx.GraphModule, output: fx.Node) -> fx.GraphModule | None:
    """z -> the value of ``output``, or None when it needs more than the one sampling block.

    Args:
        model: a compiled network with exactly one VAE Sampling block.
        output: the fx node of the model whose value the decoder returns.
    """
    found = sampling_nodes(model)
    if len(found) != 1:
        return None
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {found[0]: graph.placeholder("z")}
    for node in model.graph.nodes:
        if node in env or node.op in ("placeholder", "output"):
            continue
        inputs = node.all_input_nodes
        if inputs and all(parent in env for parent in inputs):
            env[node] = graph.node_copy(node, lambda parent: env[parent])
    if output not in env:
        return None
    graph.output(env[output])
    decoder = fx.GraphModule(model, graph, class_name="Decoder")
    decoder.graph.eliminate_dead_code()  # what leads to other sinks (a loss, say)
    decoder.recompile()
    return decoder


def output_nodes(model: fx.GraphModule) -> tuple[fx.Node, ...]:
    """The fx nodes of a model compiled with losses, in Output order."""
    (result,) = [node for node in model.graph.nodes if node.op == "output"]
    outputs = result.args[0][0]  # (outputs tuple, losses dict)
    return tuple(outputs)
