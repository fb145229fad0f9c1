"""Pieces of the Results events, computed on the device from a run's current weights.

The runs (``netbuilder.train.supervised``, ``netbuilder.train.gan``) call these in eval mode
without gradients; each piece reads its values back in one copy. The loop takes Results a
few times a second at most (``netbuilder.train.results.ResultsCadence``), never per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from netbuilder.train import sync

#: Cells per side of the grid a 2-D input plane is evaluated on.
PLANE_SIDE = 64
#: Data points drawn over the plane.
MAX_POINTS = 1000
#: Values of one sample shown as text (a token sequence, a row of numbers).
TEXT_VALUES = 24
#: Cells per side of a VAE's latent walk, and how far it goes from 0 (in standard deviations).
WALK_SIDE = 7
WALK_REACH = 2.5

Predict = Callable[[torch.Tensor], torch.Tensor]


def pictures(x: torch.Tensor) -> np.ndarray | None:
    """Samples as float32 (N, C, H, W) pictures in [0, 1], or None when they are not images.

    Images with 1 or 3 channels (or flat rows of a square count) are pictures; values outside
    [0, 1] are stretched to it over the whole batch.
    """
    if not x.is_floating_point():
        return None  # token ids, not pixels
    values = x.detach().float()
    if values.ndim == 2:
        side = math.isqrt(values.shape[1])
        if side < 4 or side * side != values.shape[1]:
            return None
        values = values.reshape(-1, 1, side, side)
    if values.ndim == 3 and values.shape[1] >= 4 and values.shape[2] >= 4:
        values = values.unsqueeze(1)  # (N, H, W) grey images
    if values.ndim != 4 or values.shape[1] not in (1, 3):
        return None
    low, high = values.amin(), values.amax()
    stretched = (values - low) / (high - low).clamp_min(1e-8)
    inside = (low >= 0) & (high <= 1)
    return torch.where(inside, values, stretched).cpu().numpy()


def sample_texts(x: torch.Tensor) -> tuple[str, ...]:
    """Each sample as a short line of its values: token ids, or numbers to 2 decimals.

    One-hot rows (a character window) show as the index of each row's one.
    """
    values = x.detach()
    if values.is_floating_point() and values.ndim == 3 and bool(
            ((values == 0) | (values == 1)).all() and (values.sum(-1) <= 1).all()):
        ids = values.argmax(-1).where(values.sum(-1) > 0, torch.full_like(values[..., 0], -1,
                                                                             dtype=torch.int64))
        values = ids
    flat = values.reshape(values.shape[0], -1)[:, :TEXT_VALUES + 1].cpu().numpy()
    integral = not values.is_floating_point() or flat.dtype.kind in "iu"
    lines = []
    for row in flat:
        shown = row[:TEXT_VALUES]
        words = [str(int(v)) if integral else f"{float(v):.2f}" for v in shown]
        lines.append(" ".join(w for w in words if w != "-1") + (" …" if len(row) > TEXT_VALUES
                                                                 else ""))
    return tuple(lines)


def plane(points: torch.Tensor, predict: Predict, classifies: bool,
          labels: torch.Tensor | None) -> dict[str, Any]:
    """The model's answers over the plane of 2-D inputs, with the data points.

    Args:
        points: (N, 2) inputs (the training data).
        predict: inputs -> the model's first output.
        classifies: answers are the argmax class id (else the first output value).
        labels: the points' targets, or None.

    Returns:
        The Results fields ``boundary``, ``extent``, ``points`` and ``point_labels``.
    """
    shown = points[:MAX_POINTS].float()
    low, high = shown.amin(0), shown.amax(0)
    pad = (high - low).clamp_min(1e-3) * 0.1
    low, high = low - pad, high + pad
    steps = torch.linspace(0.0, 1.0, PLANE_SIDE, device=points.device)
    xs = low[0] + (high[0] - low[0]) * steps
    ys = low[1] + (high[1] - low[1]) * steps
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], 1).to(points.dtype)
    answers = predict(grid).float()
    answers = answers.reshape(answers.shape[0], -1)
    if classifies and answers.shape[1] > 1:
        values = answers.argmax(1).float()
    else:
        values = answers[:, 0]
    parts = [values, low, high, shown.reshape(-1)]
    if labels is not None:
        marks = labels[:MAX_POINTS]
        marks = marks.argmax(1) if marks.ndim > 1 and marks.shape[1] > 1 else marks.reshape(-1)
        parts.append(marks.float())
    host = sync.to_host(torch.cat(parts)).astype(np.float32)
    cells = PLANE_SIDE * PLANE_SIDE
    count = shown.shape[0]
    x0, y0, x1, y1 = (float(v) for v in host[cells:cells + 4])
    point_values = host[cells + 4:cells + 4 + 2 * count].reshape(count, 2)
    marks_host = host[cells + 4 + 2 * count:] if labels is not None else None
    return {"boundary": host[:cells].reshape(PLANE_SIDE, PLANE_SIDE),
            "extent": (x0, x1, y0, y1), "points": point_values,
            "point_labels": marks_host}


def latent_walk(decoder: Predict, means: torch.Tensor, latent: tuple[int, ...]
                ) -> tuple[np.ndarray | None, tuple[int, int, int] | None]:
    """A grid of decoded pictures across the two latent dimensions the data use most.

    Args:
        decoder: z -> pictures.
        means: (N, ...) the encoder's means of some samples (whose spread picks the dims).
        latent: the shape of z (without the batch).

    Returns:
        (pictures of the grid, row by row; (first dim, second dim, side)), or (None, None)
        when z has fewer than two values.
    """
    flat = means.reshape(means.shape[0], -1).float()
    if flat.shape[1] < 2:
        return None, None
    spread = flat.var(0) if flat.shape[0] > 1 else torch.ones(flat.shape[1], device=flat.device)
    first, second = (int(i) for i in sync.to_host(spread.topk(2).indices))
    reach = torch.linspace(-WALK_REACH, WALK_REACH, WALK_SIDE, device=flat.device)
    z = torch.zeros(WALK_SIDE * WALK_SIDE, flat.shape[1], device=flat.device)
    z[:, first] = reach.repeat_interleave(WALK_SIDE)  # down the rows
    z[:, second] = reach.repeat(WALK_SIDE)  # across the columns
    shown = pictures(decoder(z.reshape(-1, *latent)))
    return shown, (first, second, WALK_SIDE)
