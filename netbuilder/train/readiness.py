"""Everything that keeps a document from training, in the order a user should fix it.

The training dock lists these in the Problems panel, each with the block to fix, and disables
Start with the first one as the reason; a new empty document gets one line that says what to
do first. No torch here: the checks run after every edit.
"""

from __future__ import annotations

from netbuilder.core.graph import Document
from netbuilder.core.inference import analyse
from netbuilder.train.recipes import Blocker, DataInfo
from netbuilder.train.settings import SettingsError, TrainingSettings

#: Said while the data set's preview loads (Start waits; the Problems panel does not list it).
DATA_LOADING = "the data set is still loading"
EMPTY_NETWORK = ("network '{name}' is empty: drag an Input block from the Blocks panel (or "
                 "press Tab on the canvas) to begin, then the layers, an Output and a loss")


def training_network(doc: Document, preferred: str | None = None) -> str:
    """The network the dock trains: ``preferred`` when it is a network, else the first."""
    if preferred is not None and preferred in doc.networks:
        return preferred
    return next(iter(doc.networks))


def input_shape(doc: Document, network: str) -> tuple[int, ...] | None:
    """The shape of the network's first Input block (data are shaped to fit it)."""
    graph = doc.network(network)
    analysis = analyse(doc, graph)
    for node in graph.nodes.values():
        if node.type == "input":
            spec = analysis.output_spec(node.id, "y")
            return None if spec is None else spec.shape
    return None


def graph_blockers(doc: Document, network: str, settings: TrainingSettings) -> list[Blocker]:
    """What in the graph itself keeps ``network`` from training (the data left out).

    The command line checks these before it reads the data set.
    """
    graph = doc.network(network)
    if not graph.nodes:
        return [Blocker(EMPTY_NETWORK.format(name=graph.name), graph.name)]
    recipe = settings.recipe_spec
    for name in recipe.trained_networks(doc, settings.extra, network):
        if name in doc.networks:
            errors = analyse(doc, doc.network(name)).errors
            if errors:
                count = len(errors)
                return [Blocker(f"network '{name}' has {count} problem{'s' * (count > 1)} to "
                                "fix first (listed above)", name, errors[0].node)]
    return recipe.blockers(doc, settings.extra, network, None)


def blockers(doc: Document, network: str, data: DataInfo | None = None,
             data_error: tuple[str, str | None] | None = None,
             data_loading: bool = False) -> list[Blocker]:
    """What keeps ``network`` of ``doc`` from training, most basic first; [] when ready.

    Args:
        doc: the document.
        network: the network to train (a GAN trains its two whatever this says).
        data: the chosen data set's preview, when it loaded.
        data_error: (message, source) when the data set could not be loaded or does not fit.
        data_loading: the preview is still loading (Start waits for it).
    """
    try:
        settings = TrainingSettings.from_doc(doc)
    except SettingsError as error:
        return [Blocker(f"{error}: fix it in the Training panel")]
    found = graph_blockers(doc, network, settings)
    if found:
        return found
    recipe = settings.recipe_spec
    if not settings.dataset:
        return [Blocker("no data set is chosen: pick one in the Training panel")]
    if data_error is not None:
        message, node = data_error
        return [Blocker(message, recipe.data_network(doc, settings.extra, network), node)]
    if data_loading or data is None:
        return [Blocker(DATA_LOADING)]
    return recipe.blockers(doc, settings.extra, network, data)
