"""Blocks of generative models: the VAE's sampling step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.tensor import TensorSpec, format_shape


def _sampling_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    mu, logvar = inputs["mu"], inputs["logvar"]
    if mu.shape != logvar.shape:
        raise ShapeError(f"mu {format_shape(mu.shape)} and logvar {format_shape(logvar.shape)} "
                         "must have the same shape")
    return mu


def _build_sampling(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import Sampling

    return Sampling()


SAMPLING = BlockSpec(
    type="sampling",
    title="VAE Sampling",
    category="Generative",
    doc=(
        "Draws z = mu + exp(logvar / 2) * eps with eps ~ N(0, 1): the reparameterisation "
        "trick that lets a VAE learn through sampling. Returns mu when evaluating.\n\n"
        "Input shape: mu (latent) and logvar (latent).\nOutput shape: z (latent)."
    ),
    inputs=(PortSpec("mu", "mean of the latent code"),
            PortSpec("logvar", "log-variance of the latent code")),
    outputs=(PortSpec("z", "a sample of the latent code"),),
    infer=_sampling_shape,
    build=_build_sampling,
    examples=(Example({"mu": (20,), "logvar": (20,)}),),
)

SPECS = (SAMPLING,)
