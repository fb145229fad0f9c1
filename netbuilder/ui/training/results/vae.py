"""VAE results: inputs beside their reconstructions, samples from the prior, and a walk
across the two latent dimensions the data use most."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from netbuilder.train import results as kinds
from netbuilder.ui.training.results.base import ResultsView, caption
from netbuilder.ui.training.results.pictures import PictureGrid

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord


class VaeView(ResultsView):
    """Three panels: reconstructions (input above, output below), prior samples, the walk."""

    kind = kinds.VAE
    waiting = ("Reconstructions, samples from the prior and a walk across two latent "
               "dimensions appear here during the first epoch.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = caption("", self)
        self.reconstructions = PictureGrid("Inputs (top) and reconstructions", self)
        self.prior = PictureGrid("Samples from the prior", self)
        self.walk = PictureGrid("Latent walk", self)
        panels = QHBoxLayout()
        panels.setSpacing(8)
        for grid in (self.reconstructions, self.prior, self.walk):
            panels.addWidget(grid, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(panels, 1)

    def clear(self) -> None:
        self.title.setText("")
        for grid in (self.reconstructions, self.prior, self.walk):
            grid.set_images(None)

    def draw(self, record: RunRecord) -> None:
        latest = record.results.latest
        assert latest is not None
        images = latest.images
        when = "end of epoch" if latest.final else "during epoch"
        self.title.setText(f"On the {latest.split} data · {when} {latest.epoch}, step "
                           f"{latest.step:,}")
        inputs, outputs = images.get("inputs"), images.get("reconstructions")
        if inputs is not None and outputs is not None and inputs.shape == outputs.shape:
            # Inputs in the first row, each one's reconstruction under it.
            self.reconstructions.set_images(np.concatenate([inputs, outputs]),
                                            columns=len(inputs))
        else:
            self.reconstructions.set_images(outputs)
        self.prior.set_images(images.get("prior"))
        walk = images.get("walk")
        if walk is not None and latest.walk_dims is not None:
            first, second, side = latest.walk_dims
            self.walk.set_images(walk, columns=side,
                                 title=f"Latent walk: z{first} down, z{second} across")
        else:
            self.walk.set_images(None, title="Latent walk (needs a VAE Sampling block)")
