"""What the code writer knows about one block: :class:`BlockCode`, and the error for a block
that has none.

Its own module so that the renderers (:mod:`.codegen_modules` for netbuilder's and torch's
layers, :mod:`.codegen_torch_op` for the recorded PyTorch op block) and their reader
(:mod:`.codegen_forward`) share it without importing one another in a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


class UnsupportedModuleError(LookupError):
    """A built module has no code form (or a value that cannot be written); the caller names
    the block."""


@dataclass(frozen=True)
class BlockCode:
    """The code of one block.

    Attributes:
        init: the constructor expression assigned to ``self.<block>``; None when the block
            needs no attribute (it has no weights and reads better as an expression).
        statements: ``(targets, attribute, args) -> lines`` of ``forward``. ``targets`` is the
            left-hand side (``x`` or ``x, x_weights``), ``attribute`` the module reference
            (``self.conv1``) and ``args`` the argument variables.
        classes: netbuilder classes the file must define for ``init`` to work.
    """

    init: str | None
    statements: Callable[[str, str, Sequence[str]], list[str]]
    classes: tuple[type, ...] = ()
