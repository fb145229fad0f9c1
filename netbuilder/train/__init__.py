"""Training: data sets, recipes and the training loop (torch, no Qt).

``netbuilder.train.loop.train(doc, dataset, settings, control)`` is the engine: a generator of
the events in :mod:`netbuilder.train.events`, controlled from another thread through a
:class:`netbuilder.train.control.TrainingControl`.
"""
