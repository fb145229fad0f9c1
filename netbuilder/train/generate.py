"""Text from a trained next-character model: greedy or with a temperature, on the device.

The model reads one-hot windows shaped (seq_len, vocab), left-padded with zero vectors as the
training windows are (``netbuilder.train.data.text``). Each new character is chosen on the
device and written into the window there, so generating n characters costs one read-back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F  # noqa: N812 (the usual spelling)

from netbuilder.train import sync
from netbuilder.train.failures import TrainingError

if TYPE_CHECKING:
    from netbuilder.core.graph import Document

#: Longest text generated at once.
MAX_LENGTH = 10_000


@dataclass(frozen=True)
class GenerateSettings:
    """``doc.training["generate"]``: how many characters, from what, how adventurous.

    Attributes:
        start: the text to begin from (kept in the result).
        length: characters to add.
        temperature: 0 picks the likeliest character (greedy); above 0 samples from the
            softmax of logits / temperature (1 is the model's own distribution).
    """

    start: str = ""
    length: int = 100
    temperature: float = 0.0

    @classmethod
    def from_settings(cls, extra: dict[str, Any], vocab: str) -> GenerateSettings:
        """Reads and checks the ``generate`` setting against the data set's characters.

        Raises:
            TrainingError: a value has the wrong type or the start uses unknown characters.
        """
        raw = extra.get("generate", {})
        if not isinstance(raw, dict):
            raise TrainingError(f"training setting 'generate' must be a table, got {raw!r}",
                                'Write it as {"start": "h", "length": 10, "temperature": 0}.')
        start = raw.get("start", vocab[:1])
        length = raw.get("length", 100)
        temperature = raw.get("temperature", 0.0)
        if not isinstance(start, str) or not start:
            raise TrainingError(f"generate.start must be some text, got {start!r}",
                                "Set it to one or more characters of the training text.")
        unknown = sorted(set(start) - set(vocab))
        if unknown:
            raise TrainingError(
                f"generate.start {start!r} uses characters the training text does not have: "
                + ", ".join(repr(c) for c in unknown),
                f"Start from characters of the text ({vocab!r}).")
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= MAX_LENGTH:
            raise TrainingError(f"generate.length must be a whole number in [1, {MAX_LENGTH}], "
                                f"got {length!r}", "Set a length such as 100.")
        if (not isinstance(temperature, (int, float)) or isinstance(temperature, bool)
                or not 0 <= temperature <= 10):
            raise TrainingError(f"generate.temperature must be a number in [0, 10], got "
                                f"{temperature!r}", "Use 0 for greedy text, 0.5 to 1 for variety.")
        return cls(start, length, float(temperature))

    def describe(self) -> str:
        how = "greedy" if self.temperature == 0 else f"temperature {self.temperature:g}"
        return f"{how} from {self.start!r}"


def generate_text(predict: Callable[[torch.Tensor], torch.Tensor], vocab: str, seq_len: int,
                  settings: GenerateSettings, device: torch.device, *,
                  outputs_probabilities: bool,
                  generator: torch.Generator | None = None) -> str:
    """Extends ``settings.start`` by ``settings.length`` characters.

    Args:
        predict: one-hot windows (1, seq_len, vocab) -> scores for the next character (1, vocab).
        vocab: the characters in index order.
        seq_len: the window length the model reads.
        settings: start, length, temperature.
        device: where the model lives.
        outputs_probabilities: the model ends in softmax (its scores are probabilities, as in
            the tutorials) rather than giving logits.
        generator: a device generator for sampling (temperature > 0), for repeatable text.
    """
    width = len(vocab)
    lookup = {ch: i for i, ch in enumerate(vocab)}
    window = torch.zeros(1, seq_len, width, device=device)
    start_ids = torch.tensor([lookup[ch] for ch in settings.start[-seq_len:]], device=device)
    window[0, seq_len - start_ids.numel():] = F.one_hot(start_ids, width).float()
    chosen = torch.empty(settings.length, dtype=torch.int64, device=device)
    with torch.no_grad():
        for position in range(settings.length):
            scores = predict(window).reshape(1, width).float()
            logits = torch.log(scores.clamp_min(1e-12)) if outputs_probabilities else scores
            if settings.temperature == 0:
                next_id = logits.argmax(dim=1)
            else:
                probabilities = torch.softmax(logits / settings.temperature, dim=1)
                next_id = torch.multinomial(probabilities, 1, generator=generator).reshape(1)
            chosen[position:position + 1] = next_id
            window = torch.roll(window, -1, dims=1)
            window[0, -1] = F.one_hot(next_id, width).float()[0]
    ids = sync.to_host(chosen)
    return settings.start + "".join(vocab[int(i)] for i in ids)


def text_from_weights(doc: Document, network: str | None, data: str,
                      weights: str | os.PathLike[str], prompt: str, temperature: float,
                      length: int, seed: int = 0) -> str:
    """Text from a trained language model's weights file, on the CPU (no run needed).

    The app calls this on a worker thread when no run is going (a running job answers
    requests itself, from its latest weights).

    Args:
        doc: the document (a snapshot: nothing else touches it meanwhile).
        network: the network trained; None for the first.
        data: the text data source it was trained on (its characters are the vocabulary).
        weights: the weights file (``train --save``, the run's own).
        prompt: the text to go on from; empty starts from the first character.
        temperature: 0 for greedy, above for sampling.
        length: characters to add.
        seed: the sampling generator's seed.

    Raises:
        TrainingError: the data are not text, or the prompt or a setting does not fit.
        GraphFileError: the weights do not fit the network.
    """
    from netbuilder.compile import compile_network
    from netbuilder.compile.weights import load_weights
    from netbuilder.train.data import load_dataset
    from netbuilder.train.readiness import input_shape

    name = doc.network(network).name
    shape = input_shape(doc, name)
    dataset = load_dataset(data, input_shape=shape, seed=seed)
    vocab = dataset.vocab
    if not vocab or shape is None or len(shape) != 2:
        raise TrainingError(f"network '{name}' does not read text windows",
                            "Write text with a next-character model (char_rnn, say).")
    settings = GenerateSettings.from_settings(
        {"generate": {"start": prompt or vocab[:1], "length": int(length),
                      "temperature": float(temperature)}}, vocab)
    model = compile_network(doc, name).module
    load_weights(model, weights, name)
    model.eval()
    losses = [node for node in doc.network(name).nodes.values()
              if node.type == "cross_entropy_loss"]
    probabilities = bool(losses) and losses[0].params.get("inputs") == "probabilities"

    def predict(window: torch.Tensor) -> torch.Tensor:
        output = model(window)
        return output[0] if isinstance(output, tuple) else output

    device = torch.device("cpu")
    return generate_text(predict, vocab, int(shape[0]), settings, device,
                         outputs_probabilities=probabilities,
                         generator=torch.Generator(device=device).manual_seed(seed))
