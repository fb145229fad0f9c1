"""Optimizers and learning-rate schedules from TrainingSettings."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from netbuilder.train.settings import TrainingSettings


def make_optimizer(params: Iterable[torch.nn.Parameter], settings: TrainingSettings,
                   capturable: bool = False, device: torch.device | None = None
                   ) -> torch.optim.Optimizer:
    """The optimizer that ``settings.optimizer`` names.

    Args:
        params: the parameters to train.
        settings: lr, momentum, betas, weight_decay are read.
        capturable: build it for CUDA-graph capture: Adam, AdamW and RMSprop get
            ``capturable=True`` and a device tensor as learning rate, so that ``set_lr`` changes
            it in place and a captured step follows the change.
        device: where that learning-rate tensor lives (with ``capturable``).
    """
    lr: float | torch.Tensor = settings.lr
    extra: dict[str, Any] = {}
    if capturable:
        lr = torch.tensor(settings.lr, dtype=torch.float32, device=device)
        extra = {"capturable": True, "foreach": True}
    name = settings.optimizer
    if name == "sgd":
        return torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum,
                               weight_decay=settings.weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=settings.betas,
                                weight_decay=settings.weight_decay, **extra)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=settings.betas,
                                 weight_decay=settings.weight_decay, **extra)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=settings.momentum,
                                   weight_decay=settings.weight_decay, **extra)
    raise ValueError(f"unknown optimizer {name!r}")


def schedule_factor(settings: TrainingSettings, epoch: int) -> float:
    """The multiplier of the base learning rate during ``epoch`` (0-based)."""
    if settings.schedule == "step":
        return settings.gamma ** (epoch // settings.step_size)
    if settings.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * epoch / settings.epochs))
    return 1.0


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Sets every group's learning rate; a tensor lr (capturable) is filled in place."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr
