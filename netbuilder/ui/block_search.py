"""Finding blocks by what the user types: ranking and the parts of the title to highlight.

The palette's search box and the quick-add popup share these rules, so that a query finds
the same blocks in the same order in both. Each word of the query must match; a block whose
title starts with a word comes before one whose title merely contains it, and both before
blocks found only through their id, aliases or category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from netbuilder.core.blockspec import BlockSpec

#: Ranks of one query word, best first.
EXACT, PREFIX, WORD_START, INITIALS, INSIDE, TYPE_ID, CATEGORY = range(7)

# Words of a title: "Multi-Head Attention" -> Multi, Head, Attention; "BatchNorm" -> Batch,
# Norm; "Conv 2D" -> Conv, 2D.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+[A-Za-z]*")

Span = tuple[int, int]


@dataclass(frozen=True)
class Match:
    """A block that matches a query.

    Attributes:
        spec: the block.
        rank: sort key; smaller is better.
        spans: (start, end) ranges of ``spec.title`` that the query matched, for highlighting.
    """

    spec: BlockSpec
    rank: tuple[int, ...]
    spans: tuple[Span, ...]


def title_words(title: str) -> list[Span]:
    """The (start, end) ranges of the words of a title (camel case splits words)."""
    return [(m.start(), m.end()) for m in _WORD.finditer(title)]


def _initials(title: str, word: str) -> tuple[Span, ...] | None:
    """Spans of the title words whose first letters spell ``word`` ("mha", "bn")."""
    starts = [start for start, _ in title_words(title)]
    if len(word) < 2 or len(word) > len(starts):
        return None
    for first in range(len(starts) - len(word) + 1):
        chosen = starts[first:first + len(word)]
        if all(title[at].lower() == char for at, char in zip(chosen, word, strict=True)):
            return tuple((at, at + 1) for at in chosen)
    return None


def _match_word(spec: BlockSpec, word: str) -> tuple[int, tuple[Span, ...]] | None:
    title = spec.title.lower()
    if title == word:
        return EXACT, ((0, len(title)),)
    if title.startswith(word):
        return PREFIX, ((0, len(word)),)
    for start, _ in title_words(spec.title):
        if title.startswith(word, start):
            return WORD_START, ((start, start + len(word)),)
    initials = _initials(spec.title, word)
    if initials:
        return INITIALS, initials
    inside = title.find(word)
    if inside >= 0:
        return INSIDE, ((inside, inside + len(word)),)
    if any(word in name.lower() for name in (spec.type, *spec.aliases)):
        return TYPE_ID, ()
    if word in spec.category.lower():
        return CATEGORY, ()
    return None


def match(spec: BlockSpec, query: str) -> Match | None:
    """How well ``spec`` matches ``query`` (None: it does not; an empty query matches all)."""
    ranks: list[int] = []
    spans: list[Span] = []
    for word in query.lower().split():
        found = _match_word(spec, word)
        if found is None:
            return None
        ranks.append(found[0])
        spans.extend(found[1])
    # Worst word first: "max 2d" ranks Max Pool 2D (prefix, word start) by its weaker word.
    rank = (max(ranks, default=EXACT), sum(ranks), len(spec.title))
    return Match(spec, rank, _merge(spans))


def search(specs: Iterable[BlockSpec], query: str) -> list[Match]:
    """The blocks that match ``query``, best first; ties keep the order of ``specs``.

    An empty query keeps every block in its original order.
    """
    found = [m for m in (match(spec, query) for spec in specs) if m is not None]
    if not query.strip():
        return found
    return sorted(found, key=lambda m: m.rank)  # sorted() is stable


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
