"""Next-character data for language models: one-hot windows of text and the character after.

Every window ends just before its target and is left-padded with zero vectors, and windows of
every length 1..seq_len are made: so a model trained on them can start generating from a single
character ("h" -> "e"), exactly as the char-RNN tutorials do.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812 (the usual spelling)

from netbuilder.core.files import read_regular
from netbuilder.train.data.base import DataError, Dataset, DataSplit

HELLO_WORLD = "hello world"
#: Window length of the char-RNN seed models (Input (10, 8)).
HELLO_SEQ_LEN = 10
#: Window length for other text when the graph does not say.
DEFAULT_SEQ_LEN = 16
#: Largest one-hot tensor built (elements, 4 bytes each): beyond it, ask for less text.
MAX_ELEMENTS = 64_000_000
#: Largest text file read, in bytes.
MAX_TEXT_BYTES = 8_000_000
#: Above this many windows of full length, only full-length windows are made (plus the short
#: ones at the start of the text); every length of every window would multiply the size by seq_len.
ALL_LENGTHS_LIMIT = 20_000

# Written for netbuilder and given to the public domain (CC0): short, plain sentences with a
# small alphabet, so a small recurrent network learns them within a few hundred epochs.
TINY_CORPUS = (
    "the cat sat on the mat. the dog sat on the log. "
    "a bird sang in the tree and the sun rose over the hill. "
    "the cat saw the bird and the bird saw the cat. "
    "the dog ran to the hill and the cat ran to the tree. "
    "all is well when the sun is up and the sky is blue. "
)


def char_windows(
    text: str, seq_len: int, vocab: str, *, all_lengths: bool = True, source: str = "text"
) -> tuple[torch.Tensor, torch.Tensor]:
    """One-hot windows shaped (N, seq_len, len(vocab)) and next-character ids shaped (N,).

    Args:
        text: the characters, all in ``vocab``.
        seq_len: window length; shorter windows are left-padded with zero vectors.
        vocab: the characters in index order.
        all_lengths: windows of every length 1..seq_len ending at each character; if False,
            only the longest window at each character.
        source: names the text in an error message.

    Raises:
        DataError: the text is too short, or the result would be too large.
    """
    if len(text) < 2:
        raise DataError(f"{source}: a text needs at least 2 characters, got {len(text)}")
    if not isinstance(seq_len, int) or seq_len < 1:
        raise DataError(f"{source}: sequence length must be a positive integer, got {seq_len!r}")
    lookup = {ch: i for i, ch in enumerate(vocab)}
    ids = torch.tensor([lookup[ch] for ch in text], dtype=torch.int64)
    ends = torch.arange(len(text) - 1)  # window ends; the target is the character after
    longest = torch.clamp(ends + 1, max=seq_len)
    if all_lengths:
        counts = longest
        end = torch.repeat_interleave(ends, counts)
        # Lengths 1..longest for each end, in order.
        offsets = torch.cumsum(counts, 0) - counts
        length = torch.arange(int(counts.sum())) - torch.repeat_interleave(offsets, counts) + 1
    else:
        end, length = ends, longest
    n, width = int(end.numel()), len(vocab)
    if n * seq_len * width > MAX_ELEMENTS:
        raise DataError(
            f"{source}: {n} windows of {seq_len} x {width} one-hot values is too large; "
            "use a shorter text or sequence length"
        )
    slot = torch.arange(seq_len)
    position = end[:, None] - (seq_len - 1) + slot[None, :]
    valid = slot[None, :] >= (seq_len - length)[:, None]
    window_ids = ids[position.clamp(min=0)]
    x = F.one_hot(window_ids, width).to(torch.float32) * valid[..., None]
    return x, ids[end + 1]


def _seq_len(input_shape: tuple[int, ...] | None, width: int, default: int, source: str) -> int:
    """The window length the graph's Input (seq_len, vocab) asks for, checked against vocab."""
    if input_shape is None:
        return default
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 2 or shape[1] != width:
        raise DataError(
            f"{source}: samples are shaped (seq_len, {width}) (one-hot over {width} characters) "
            f"but the graph's Input expects {shape}"
        )
    return shape[0]


def text_dataset(
    name: str,
    text: str,
    *,
    input_shape: tuple[int, ...] | None = None,
    seq_len: int | None = None,
    all_lengths: bool | None = None,
    default_seq_len: int = DEFAULT_SEQ_LEN,
) -> Dataset:
    """A next-character Dataset from a text.

    Args:
        name: the set's name, also used in error messages.
        text: the text; its sorted distinct characters are the vocabulary.
        input_shape: the graph's Input shape (seq_len, vocab), or None.
        seq_len: window length when input_shape is None.
        all_lengths: see :func:`char_windows`; None chooses by the text's size.
        default_seq_len: window length when neither input_shape nor seq_len gives one.
    """
    vocab = "".join(sorted(set(text)))
    length = _seq_len(input_shape, len(vocab), seq_len or default_seq_len, name)
    if all_lengths is None:
        all_lengths = len(text) * length <= ALL_LENGTHS_LIMIT
    x, y = char_windows(text, length, vocab, all_lengths=all_lengths, source=name)
    return Dataset(
        name,
        DataSplit(x, y),
        classes=list(vocab),
        vocab=vocab,
        meta={"task": "next_char", "seq_len": length, "text": text[:10_000]},
    )


def hello_world(
    input_shape: tuple[int, ...] | None = None,
    seq_len: int | None = None,
    all_lengths: bool | None = None,
) -> Dataset:
    """The char-RNN tutorial's text, "hello world": 8 characters, 55 windows of length 10."""
    return text_dataset(
        "hello_world", HELLO_WORLD, input_shape=input_shape, seq_len=seq_len,
        all_lengths=all_lengths, default_seq_len=HELLO_SEQ_LEN,
    )


def tiny_corpus(
    input_shape: tuple[int, ...] | None = None,
    seq_len: int | None = None,
    all_lengths: bool | None = None,
) -> Dataset:
    """A few short public-domain sentences for language models."""
    return text_dataset(
        "tiny_corpus", TINY_CORPUS, input_shape=input_shape, seq_len=seq_len,
        all_lengths=all_lengths,
    )


def load_text_file(
    path: Path,
    input_shape: tuple[int, ...] | None = None,
    seq_len: int | None = None,
    all_lengths: bool | None = None,
) -> Dataset:
    """A UTF-8 text file as next-character data (see :func:`text_dataset`)."""
    raw = read_regular(path, MAX_TEXT_BYTES, what="text file", error=DataError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}): {exc.reason}") from exc
    # Windows line ends would put a stray "\r" in the vocabulary.
    text = text.replace("\r\n", "\n")
    return text_dataset(
        str(path), text, input_shape=input_shape, seq_len=seq_len, all_lengths=all_lengths
    )
