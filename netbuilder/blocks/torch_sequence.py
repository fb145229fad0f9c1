"""The torch modules behind the sequence blocks: recurrent layers and multi-head attention.

Like ``modules``, this file imports torch at import time and only build functions import it.
Each module wraps one torch layer under a short attribute name, so state_dict keys read
``lstm1.rnn.weight_ih_l0`` or ``mha1.attention.in_proj_weight``.
"""

from __future__ import annotations

import torch
from torch import nn

#: The torch class for each recurrent cell name the blocks use.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class Recurrent(nn.Module):
    """A batch-first nn.RNN, nn.LSTM or nn.GRU that returns one tensor.

    Args:
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.
        input_size: features per step of the input.
        units: hidden size of each direction.
        layers: how many recurrent layers are stacked.
        bidirectional: also run a second stack from the last step to the first.
        return_sequences: return every step's output, not only the final state.
        dropout: dropout between stacked layers (torch applies none after the last one).
        nonlinearity: ``"tanh"`` or ``"relu"``; only the plain RNN takes it.
    """

    def __init__(self, cell: str, input_size: int, units: int, layers: int,
                 bidirectional: bool, return_sequences: bool, dropout: float,
                 nonlinearity: str = "tanh") -> None:
        super().__init__()
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        # With one layer torch ignores dropout and warns about it; pass 0 to stay quiet.
        self.rnn = CELLS[cell](input_size, units, num_layers=layers, batch_first=True,
                               bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0, **extra)
        self.units = units
        self.bidirectional = bidirectional
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, steps, units * directions); the states are not needed.
        steps: torch.Tensor = self.rnn(x)[0]
        if self.return_sequences:
            return steps
        if not self.bidirectional:
            return steps[:, -1]
        # The backward direction reads the sequence from the last step to the first, so its
        # final hidden state is its output at step 0; its output at the last step has seen one
        # step only. The last step of a bidirectional net is therefore the forward direction's
        # last output next to the backward direction's first: the two final hidden states
        # (torch's h_n of the top layer, and what Keras' Bidirectional returns).
        forward_last = steps[:, -1, : self.units]
        backward_last = steps[:, 0, self.units:]
        return torch.cat((forward_last, backward_last), dim=1)

    def extra_repr(self) -> str:
        return f"return_sequences={self.return_sequences}"


class MultiHeadAttention(nn.Module):
    """Batch-first nn.MultiheadAttention returning the output and per-head weights.

    Called with one tensor it attends over itself (self-attention); with two, the first is
    the query and the second the context that supplies both keys and values.

    Args:
        embed_dim: the query's feature size (also the output's).
        heads: number of attention heads; must divide ``embed_dim``.
        dropout: dropout on the attention weights while training.
        bias: learn biases in the input and output projections.
        context_dim: the context's feature size (``embed_dim`` for self-attention).
        causal: let each step attend only to itself and earlier steps.
    """

    def __init__(self, embed_dim: int, heads: int, dropout: float, bias: bool,
                 context_dim: int, causal: bool) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, heads, dropout=dropout, bias=bias,
                                               kdim=context_dim, vdim=context_dim,
                                               batch_first=True)
        self.causal = causal

    def forward(self, query: torch.Tensor, context: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if context is None:
            context = query
        mask = None
        if self.causal:
            steps = query.shape[1]
            # True marks a pair that may not attend: every later step.
            mask = torch.ones(steps, steps, dtype=torch.bool, device=query.device).triu(1)
        # Per-head weights (batch, heads, query_steps, context_steps) feed the attention map.
        output: tuple[torch.Tensor, torch.Tensor] = self.attention(
            query, context, context, attn_mask=mask, need_weights=True,
            average_attn_weights=False)
        return output

    def extra_repr(self) -> str:
        return f"causal={self.causal}"
