"""The CUDA-graph fast path: one captured graph per train step (forward, backward, optimizer).

The recipe measured in ARCHITECTURE.md: warm up a few steps on a side stream, capture forward +
backward + ``optimizer.step()`` (capturable, device learning rate) + the loss accumulation in one
``torch.cuda.CUDAGraph``, then per step only copy the batch into static input buffers with
``index_select(..., out=)`` and replay. ``fast_path_reason`` decides on the CPU whether to try.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from netbuilder.train.settings import TrainingSettings
from netbuilder.train.steplog import StepLog

#: Optimizers whose step takes a device learning rate, so lr changes reach a captured graph.
CAPTURABLE_OPTIMIZERS = ("adam", "adamw", "rmsprop")
WARMUP_STEPS = 3


def fast_path_reason(device: torch.device, settings: TrainingSettings, train_samples: int
                     ) -> str | None:
    """Why the CUDA-graph path cannot be used, or None when it can be tried.

    Args:
        device: where training runs.
        settings: recipe, optimizer, batch_size and drop_last are read.
        train_samples: samples in the train split.
    """
    if device.type != "cuda":
        return f"CUDA graphs need a CUDA GPU; training runs on {device.type}"
    refusal = settings.recipe_spec.capture_refusal
    if refusal is not None:
        return refusal
    if settings.optimizer not in CAPTURABLE_OPTIMIZERS:
        return (f"optimizer '{settings.optimizer}' cannot take its learning rate from the GPU, "
                "so a captured step could not follow lr changes (use adam, adamw or rmsprop)")
    batch = settings.batch_size
    if train_samples // batch < WARMUP_STEPS + 1:
        return f"too few full batches per epoch ({train_samples // batch}) to warm up and capture"
    remainder = train_samples % batch
    if remainder and not settings.drop_last:
        return (f"the last partial batch ({remainder} of {train_samples} samples) changes the "
                "step's shapes; set drop_last to capture the step")
    return None


class CudaGraphStep:
    """A train step captured once and replayed: ``step(index)`` trains on those samples.

    Args:
        compute_loss: (x_batch, y_batch) -> loss vector, the trained loss first (forward,
            autocast inside).
        model: the module (its parameters and buffers are restored after warm-up).
        optimizer: built with ``capturable=True`` and a tensor learning rate.
        x, y: the whole train split, resident on the GPU.
        batch: the static batch size.
        accumulator: a device vector like the loss vector; each replay adds losses * batch.
        step_log: each replay appends its loss vector there (inside the captured graph).
        grad_clip: max gradient norm, 0 for none.
    """

    def __init__(self, compute_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
                 y: torch.Tensor, batch: int, accumulator: torch.Tensor,
                 step_log: StepLog, grad_clip: float = 0.0) -> None:
        self.x, self.y = x, y
        # empty_like keeps the split's memory format: channels-last images stay channels-last
        # in the buffer that the captured convolutions read (index_select keeps out's strides).
        self.static_x = torch.empty_like(x[:batch])
        self.static_y = torch.empty_like(y[:batch])
        self.compute_loss = compute_loss
        self.model, self.optimizer = model, optimizer
        self.batch, self.accumulator, self.grad_clip = batch, accumulator, grad_clip
        self.step_log = step_log
        self.graph = torch.cuda.CUDAGraph()
        self._capture()

    def _body(self) -> None:
        losses = self.compute_loss(self.static_x, self.static_y)
        losses[0].backward()
        if self.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip, foreach=True)
        self.optimizer.step()
        self.accumulator.add_(losses.detach().float() * self.batch)
        self.step_log.write(losses)

    def _capture(self) -> None:
        # Warm-up really trains; snapshot first so that the run starts from the initial weights,
        # also when capture fails (the eager fallback then trains from those weights too).
        tensors = [*self.model.parameters(), *self.model.buffers()]
        snapshot = [t.detach().clone() for t in tensors]
        try:
            self._fill(torch.arange(self.batch, device=self.x.device))
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(WARMUP_STEPS):
                    self.optimizer.zero_grad(set_to_none=True)
                    self._body()
            torch.cuda.current_stream().wait_stream(side)
            # Gradients set to None: backward inside the graph allocates them from the graph's
            # pool and every replay overwrites them (no zero_grad needed in the captured step).
            self.optimizer.zero_grad(set_to_none=True)
            with torch.cuda.graph(self.graph):
                self._body()
        finally:
            # In place, so that the captured graph keeps pointing at these tensors; and also
            # after a failed capture, whose eager fallback shares the accumulator and step log.
            with torch.no_grad():
                for tensor, saved in zip(tensors, snapshot, strict=True):
                    tensor.copy_(saved)
                # Zeroed moments and step counters behave as a fresh optimizer's (Adam, AdamW,
                # RMSprop).
                for state in self.optimizer.state.values():
                    for value in state.values():
                        if isinstance(value, torch.Tensor):
                            value.zero_()
                self.accumulator.zero_()
                self.step_log.rewind()  # the warm-up steps are not the run's

    def _fill(self, index: torch.Tensor) -> None:
        torch.index_select(self.x, 0, index, out=self.static_x)
        torch.index_select(self.y, 0, index, out=self.static_y)

    def __call__(self, index: torch.Tensor) -> None:
        self._fill(index)
        self.graph.replay()
