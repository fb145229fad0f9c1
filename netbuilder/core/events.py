"""A tiny synchronous event emitter: the model announces changes, views subscribe.

The document never learns that a view exists; the Qt scene connects to these events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Listener = Callable[..., None]


class Emitter:
    """Named events with keyword payloads, delivered in subscription order."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def connect(self, event: str, listener: Listener) -> None:
        """Calls ``listener(**payload)`` every time ``event`` is emitted."""
        self._listeners[event].append(listener)

    def disconnect(self, event: str, listener: Listener) -> None:
        """Removes a listener added with :meth:`connect`; unknown ones are ignored."""
        listeners = self._listeners.get(event, [])
        if listener in listeners:
            listeners.remove(listener)

    def emit(self, event: str, **payload: Any) -> None:
        # Copy: a listener may disconnect itself while being called.
        for listener in list(self._listeners.get(event, ())):
            listener(**payload)
