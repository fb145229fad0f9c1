"""Imports what a run's first optimizer step imports, ahead of the run.

The first ``step()`` of a torch optimizer imports torch._dynamo and, through it, sympy:
about 800 modules and 150,000 Python objects. In the app that happened on the worker thread
in the middle of the first run: a second before its first steps, and then the GUI thread's
garbage collector scanned the new objects while the run streamed (two stalls of 35-90 ms).
The app runs :func:`warm_up` on a background thread at start-up instead, then moves what it
made out of the collector's reach (netbuilder/ui/app.py).
"""

from __future__ import annotations


def warm_up() -> None:
    """One Adam step on a one-weight layer, on the CPU (its imports are what it is for)."""
    import torch

    layer = torch.nn.Linear(1, 1)
    optimizer = torch.optim.Adam(layer.parameters())
    layer(torch.zeros(1, 1)).sum().backward()
    optimizer.step()
