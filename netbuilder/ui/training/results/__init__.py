"""Results views, one class per results kind of the recipe registry.

``Recipe.results`` (netbuilder/train/recipes.py) names a recipe's kind; :data:`VIEWS` maps
each kind to the view class that draws its Results events; :class:`ResultsTab` is the dock's
tab that holds them.
"""

from __future__ import annotations

from netbuilder.ui.training.results.base import ResultsView
from netbuilder.ui.training.results.boundary import BoundaryView
from netbuilder.ui.training.results.classification import ClassificationView
from netbuilder.ui.training.results.gan import GanView
from netbuilder.ui.training.results.regression import RegressionView
from netbuilder.ui.training.results.tab import ResultsTab
from netbuilder.ui.training.results.text import TextView
from netbuilder.ui.training.results.vae import VaeView

#: The view class of each results kind.
VIEWS: dict[str, type[ResultsView]] = {
    view.kind: view for view in (ClassificationView, RegressionView, BoundaryView, TextView,
                                 GanView, VaeView)
}


def results_tab(parent: object = None) -> ResultsTab:
    """The dock's Results tab, with a view for every kind."""
    return ResultsTab(VIEWS, parent)  # type: ignore[arg-type]

__all__ = ["VIEWS", "ResultsTab", "ResultsView", "results_tab"]
