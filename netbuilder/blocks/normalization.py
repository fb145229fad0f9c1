"""Normalisation and regularisation: BatchNorm, LayerNorm, Dropout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, require_float, require_rank
from netbuilder.core.blockspec import BlockSpec, Example
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec


def _batchnorm_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    require_rank(spec, (1, 2, 3, 4), "(features), (channels, length), (channels, h, w) or "
                 "(channels, d, h, w)")
    return spec


def _build_batchnorm(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    spec = only_input(inputs)
    # The rank picks the torch class: BatchNorm1d covers (C) and (C, L), 2d images, 3d volumes.
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm1d, 3: nn.BatchNorm2d, 4: nn.BatchNorm3d}[spec.rank]
    return cls(spec.shape[0], eps=params["eps"], momentum=params["momentum"],
               affine=params["affine"])


BATCHNORM = BlockSpec(
    type="batchnorm",
    title="BatchNorm",
    category="Normalization",
    doc=(
        "Normalises each channel over the batch, then scales and shifts it with learned "
        "parameters. 1-D, 2-D or 3-D follows from the input's rank.\n\n"
        "Input shape: (features), (channels, length), (channels, height, width) or "
        "(channels, depth, height, width).\nOutput shape: the same."
    ),
    params=(
        ParamSpec("momentum", "float", 0.1,
                  "Weight of the newest batch in the running statistics (PyTorch's "
                  "convention: Keras' momentum 0.8 is 0.2 here).", minimum=0.0, maximum=1.0),
        ParamSpec("eps", "float", 1e-5, "Added to the variance to avoid dividing by zero.",
                  minimum=0.0, maximum=1.0),
        ParamSpec("affine", "bool", True, "Learn a scale and a shift per channel."),
    ),
    infer=_batchnorm_shape,
    build=_build_batchnorm,
    count_params=lambda p, i, o: 2 * only_input(i).shape[0] if p["affine"] else 0,
    count_macs=lambda p, i, o: 2 * only_input(i).size,
    summary_params=("momentum",),
    aliases=("batch_normalization",),
    examples=(
        Example({"x": (256,)}, {"momentum": 0.2}),
        Example({"x": (8, 5, 5)}),
        Example({"x": (4, 10)}, {"affine": False}),
    ),
)


def _layernorm_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    require_rank(spec, tuple(range(1, 9)), "(..., features)")
    if params["axes"] > spec.rank:
        raise ShapeError(f"cannot normalise the last {params['axes']} axes of a "
                         f"{spec.rank}-D input", "axes")
    return spec


def _build_layernorm(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    shape = only_input(inputs).shape[-params["axes"]:]
    return nn.LayerNorm(shape, eps=params["eps"], elementwise_affine=params["affine"])


def _layernorm_params(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                      outputs: Mapping[str, TensorSpec]) -> int:
    if not params["affine"]:
        return 0
    size = 1
    for dim in only_input(inputs).shape[-params["axes"]:]:
        size *= dim
    return 2 * size


LAYERNORM = BlockSpec(
    type="layernorm",
    title="LayerNorm",
    category="Normalization",
    doc=(
        "Normalises each sample over its last `axes` axes (the features), then scales and "
        "shifts with learned parameters. Used in Transformers.\n\n"
        "Input shape: (..., features).\nOutput shape: the same."
    ),
    params=(
        ParamSpec("axes", "int", 1, "How many trailing axes to normalise over.", minimum=1,
                  maximum=8),
        ParamSpec("eps", "float", 1e-5, "Added to the variance to avoid dividing by zero.",
                  minimum=0.0, maximum=1.0),
        ParamSpec("affine", "bool", True, "Learn a scale and a shift per feature."),
    ),
    infer=_layernorm_shape,
    build=_build_layernorm,
    count_params=_layernorm_params,
    count_macs=lambda p, i, o: 2 * only_input(i).size,
    aliases=("layer_normalization",),
    examples=(Example({"x": (16, 32)}), Example({"x": (3, 4, 5)}, {"axes": 2})),
)


def _dropout_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    return spec


def _build_dropout(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    return nn.Dropout(params["rate"])


DROPOUT = BlockSpec(
    type="dropout",
    title="Dropout",
    category="Normalization",
    doc=(
        "While training, zeroes each value with probability `rate` and scales the rest by "
        "1 / (1 - rate); passes values through unchanged when evaluating.\n\n"
        "Input shape: any.\nOutput shape: the same."
    ),
    params=(ParamSpec("rate", "float", 0.5, "Probability of dropping each value.",
                      minimum=0.0, maximum=0.99),),
    infer=_dropout_shape,
    build=_build_dropout,
    summary_params=("rate",),
    examples=(Example({"x": (128,)}), Example({"x": (8, 4, 4)}, {"rate": 0.25})),
)

SPECS = (BATCHNORM, LAYERNORM, DROPOUT)
