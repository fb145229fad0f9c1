"""Where data enters and leaves a network, and the ports of reusable groups."""

from __future__ import annotations

from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import DTYPES, TensorSpec

INPUT = BlockSpec(
    type="input",
    title="Input",
    category="Input / Output",
    role="input",
    doc=(
        "Feeds one sample of data into the network. Every network starts with at least one.\n\n"
        "Input shape: none (data arrives from the data set).\n"
        "Output shape: `shape`, without the batch dimension: (1, 28, 28) for an MNIST image, "
        "(10,) for a row of 10 features, (seq_len,) int64 for token ids, () int64 for a class "
        "label."
    ),
    params=(
        ParamSpec("shape", "ints", [1, 28, 28], "Sizes of one sample, batch excluded.",
                  minimum=1, maximum=1_000_000),
        ParamSpec("dtype", "choice", "float32",
                  "float32 for measurements and pixels; int64 for token ids and class labels.",
                  choices=DTYPES),
    ),
    inputs=(),
    outputs=(PortSpec("y", "the sample"),),
    infer=lambda p, _: TensorSpec(tuple(p["shape"]), p["dtype"]),
    summary_params=("shape",),
    examples=(Example({}, {}), Example({}, {"shape": [10]}), Example({}, {"shape": [],
                                                                            "dtype": "int64"})),
)

OUTPUT = BlockSpec(
    type="output",
    title="Output",
    category="Input / Output",
    role="output",
    doc=(
        "Marks a tensor the network returns. A network with several Output blocks returns a "
        "tuple in their order.\n\n"
        "Input shape: anything.\nOutput shape: none (leaves the network)."
    ),
    inputs=(PortSpec("x", "what the network returns"),),
    outputs=(),
    infer=lambda p, i: {},
    examples=(Example({"x": (10,)}),),
)

GROUP_INPUT = BlockSpec(
    type="group_input",
    title="Group input",
    category="Structure",
    role="group_input",
    doc=(
        "Inside a group definition: a port of the group. Its name is the port name on every "
        "use of the group.\n\nInput shape: whatever reaches the group's port.\n"
        "Output shape: the same."
    ),
    inputs=(),
    outputs=(PortSpec("y"),),
    infer=lambda p, i: {},
)

GROUP_OUTPUT = BlockSpec(
    type="group_output",
    title="Group output",
    category="Structure",
    role="group_output",
    doc=(
        "Inside a group definition: an output port of the group, named after this block.\n\n"
        "Input shape: anything.\nOutput shape: the same, on the group's port."
    ),
    inputs=(PortSpec("x"),),
    outputs=(),
    infer=lambda p, i: {},
)

GROUP = BlockSpec(
    type="group",
    title="Group",
    category="Structure",
    role="group",
    doc=(
        "One use of a reusable group (a residual block, a Transformer block). Editing the "
        "group's definition changes every use.\n\n"
        "Input shape: one per Group input of the definition.\n"
        "Output shape: one per Group output of the definition."
    ),
    params=(ParamSpec("group", "str", "", "Name of the group definition this block uses."),),
    inputs=(),
    outputs=(),
    infer=lambda p, i: {},
    summary_params=("group",),
)

REROUTE = BlockSpec(
    type="reroute",
    title="Reroute",
    category="Structure",
    role="reroute",
    doc=(
        "A bend point for a wire: passes its input on unchanged, to route long wires around "
        "other blocks.\n\nInput shape: anything.\nOutput shape: the same."
    ),
    inputs=(PortSpec("x"),),
    outputs=(PortSpec("y"),),
    infer=lambda p, i: {},
)

SPECS = (INPUT, OUTPUT, GROUP_INPUT, GROUP_OUTPUT, GROUP, REROUTE)
