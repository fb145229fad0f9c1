"""A block's documentation as rich text: for the inspector, and shorter for tooltips.

Block docs are plain text with `code` spans, paragraphs separated by blank lines, and
``Input shape:`` / ``Output shape:`` lines; this turns them into the HTML subset that Qt's
rich text understands.
"""

from __future__ import annotations

import html
import re

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.params import ParamSpec

_CODE = re.compile(r"`([^`]+)`")
_SHAPE_LINE = re.compile(r"^(Input|Output) shapes?:\s*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
#: A tooltip keeps this many characters of the block's description.
TOOLTIP_CHARS = 260


def sentence(text: str) -> str:
    """``text`` with a capital first letter (diagnostics start in lower case)."""
    return text[:1].upper() + text[1:]


def inline(text: str, code_colour: str = "") -> str:
    """Escapes ``text`` for rich text, turning `code` spans into monospace."""
    style = f" style='color:{code_colour}'" if code_colour else ""
    return _CODE.sub(lambda m: f"<code{style}>{m.group(1)}</code>", html.escape(text, False))


def split_doc(doc: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The description paragraphs of a doc, and its (``Input``/``Output``, shape) lines."""
    paragraphs: list[str] = []
    shapes: list[tuple[str, str]] = []
    for block in doc.split("\n\n"):
        lines = []
        for line in block.split("\n"):
            found = _SHAPE_LINE.match(line.strip())
            if found:
                shapes.append((found.group(1), found.group(2)))
            elif line.strip():
                lines.append(line.strip())
        if lines:
            paragraphs.append(" ".join(lines))
    return paragraphs, shapes


def doc_html(spec: BlockSpec, subtle: str = "gray", code: str = "") -> str:
    """The whole doc: paragraphs, then the shapes as a small two-column table."""
    paragraphs, shapes = split_doc(spec.doc)
    parts = [f"<p style='margin:0 0 6px 0'>{inline(p, code)}</p>" for p in paragraphs]
    if shapes:
        rows = "".join(
            f"<tr><td style='color:{subtle}; padding:2px 8px 2px 0'>{kind}</td>"
            f"<td style='padding:2px 0'>{inline(text, code)}</td></tr>" for kind, text in shapes)
        parts.append(f"<table cellspacing='0' cellpadding='0'>{rows}</table>")
    return "".join(parts)


def first_sentences(text: str, limit: int = TOOLTIP_CHARS) -> str:
    """As many whole sentences of ``text`` as fit in ``limit`` characters (at least one)."""
    sentences = _SENTENCE_END.split(text)
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + 1 + len(sentence) > limit:
            break
        kept += " " + sentence
    if len(kept) > limit * 1.5:
        kept = kept[: limit - 1].rsplit(" ", 1)[0] + "…"
    return kept


def tooltip_html(spec: BlockSpec) -> str:
    """A short tooltip: title and category, the first sentences, and the shapes."""
    paragraphs, shapes = split_doc(spec.doc)
    summary = first_sentences(paragraphs[0]) if paragraphs else ""
    heading = (f"<b>{html.escape(spec.title)}</b> &nbsp;<span style='color:gray'>"
               f"{html.escape(spec.category)}</span>")
    lines = [heading]
    if summary:
        lines.append(f"<p style='margin-top:4px'>{inline(summary)}</p>")
    for kind, text in shapes:
        lines.append(f"<div><i>{kind}:</i> {inline(first_sentences(text, 120))}</div>")
    return "".join(lines)


def param_tooltip(param: ParamSpec) -> str:
    """A parameter's help, with its name as the file and the docs spell it, and its range."""
    details = [f"<code>{param.name}</code>"]
    if param.minimum is not None or param.maximum is not None:
        low = _number(param.minimum) if param.minimum is not None else "…"
        high = _number(param.maximum) if param.maximum is not None else "…"
        details.append(f"{low} to {high}")
    if param.length:
        details.append(f"{param.length} value{'s' if param.length > 1 else ''}")
    return (f"<p style='margin:0'>{inline(param.help)}</p>"
            f"<p style='margin:4px 0 0 0; color:gray'>{' · '.join(details)}</p>")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else repr(value)
