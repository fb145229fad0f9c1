"""The block catalogue: one BlockSpec per block type, gathered from the family modules.

Importing this package does not import torch: build functions import it when called.
"""

from __future__ import annotations

from netbuilder.blocks import (
    activations,
    attention,
    conv,
    dense,
    generative,
    io,
    losses,
    normalization,
    pooling,
    recurrent,
    structure,
    torch_op,
)
from netbuilder.core.blockspec import Catalogue

#: Family modules in palette order.
FAMILIES = (io, dense, conv, pooling, recurrent, attention, normalization, activations,
            structure, generative, losses, torch_op)


def default_catalogue() -> Catalogue:
    """A fresh catalogue holding every built-in block type."""
    return Catalogue([spec for family in FAMILIES for spec in family.SPECS])


#: The catalogue documents use unless told otherwise.
CATALOGUE = default_catalogue()
