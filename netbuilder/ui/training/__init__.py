"""Training in the app: the dock, its background runner, and one module per view.

* :mod:`.runner`: the only module that owns a thread; events come back through a queue that a
  GUI timer drains at about 20 Hz.
* :mod:`.session`: the training state of one document (its runner, its current run's record,
  its weights).
* :mod:`.settings_form`: the settings, each stored in the document through an undoable step.
* :mod:`.data_view`: the data set chooser and its preview.
* :mod:`.curves`: live loss, accuracy and learning-rate curves that keep every step.
* :mod:`.history`: the run history: a table and the error-against-compute scatter.
* :mod:`.dock`: the dock that holds them, with Start, Pause and Stop.
"""
