"""Training events written as TensorBoard event files (the optional ``tensorboard`` extra).

``netbuilder train FILE --tensorboard DIR`` writes here what the progress bar and the JSON log
show: the losses and their parts at each report (about ten a second), the learning rate,
validation figures, samples/s, generated images and text, and probe histograms;
``tensorboard --logdir DIR`` shows them. It is an event sink (:mod:`netbuilder.train.sinks`).
Every step's loss goes to the JSON-lines log and the run history instead: one ``add_scalar``
costs about 0.3 ms, half a fast training step, so TensorBoard is never written per step.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from netbuilder.core.errors import NetbuilderError
from netbuilder.train.events import EpochEnd, Event, Finished, Metrics, Probe, Samples, Started


class TensorBoardMissingError(NetbuilderError):
    """The tensorboard package is not installed."""


class TensorBoardLog:
    """Writes events to a TensorBoard run folder.

    Args:
        folder: the run's folder (created if missing).

    Raises:
        TensorBoardMissingError: tensorboard is not installed.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as error:
            raise TensorBoardMissingError(
                "--tensorboard needs the tensorboard package: pip install "
                f"'netbuilder[tensorboard]' ({error})") from error
        self.writer = SummaryWriter(log_dir=str(folder))
        self.step = 0

    def write(self, event: Event) -> None:
        """Records one event (events without figures are skipped)."""
        writer = self.writer
        if isinstance(event, Started):
            writer.add_text("run", f"device {event.device}, {event.fast_path} step"
                            + (f" ({event.fallback_reason})" if event.fallback_reason else ""))
        elif isinstance(event, Metrics):
            self.step = event.step
            writer.add_scalar("train/loss", event.loss, event.step)
            writer.add_scalar("train/lr", event.lr, event.step)
            writer.add_scalar("train/samples_per_s", event.samples_per_s, event.step)
            for name, value in event.parts.items():
                writer.add_scalar(f"train/{name}", value, event.step)
        elif isinstance(event, EpochEnd):
            self.step = event.step
            writer.add_scalar("epoch/loss", event.loss, event.epoch)
            for name, value in event.parts.items():
                writer.add_scalar(f"epoch/{name}", value, event.epoch)
            if event.val_loss is not None:
                writer.add_scalar("epoch/val_loss", event.val_loss, event.epoch)
            if event.val_accuracy is not None:
                writer.add_scalar("epoch/val_accuracy", event.val_accuracy, event.epoch)
        elif isinstance(event, Samples):
            if event.kind == "images" and event.images is not None:
                writer.add_images(f"samples/{event.label}", event.images, event.epoch,
                                  dataformats="NCHW")
            elif event.text is not None:
                writer.add_text(f"samples/{event.label}", event.text, event.epoch)
        elif isinstance(event, Probe):
            for prefix, histograms in (("activations", event.activation_histograms),
                                       ("weights", event.weight_histograms),
                                       ("gradients", event.gradient_histograms)):
                for name, (counts, edges) in histograms.items():
                    _histogram(writer, f"{prefix}/{name}", counts, edges, event.step)
        elif isinstance(event, Finished):
            for name in ("test_loss", "test_accuracy"):
                value = getattr(event, name)
                if value is not None:
                    writer.add_scalar(f"test/{name[5:]}", value, self.step)
        writer.flush()

    def close(self) -> None:
        self.writer.close()


def _histogram(writer: Any, tag: str, counts: np.ndarray, edges: np.ndarray, step: int) -> None:
    """A histogram already binned by the probe (no values are sent again)."""
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return
    centres = (edges[:-1] + edges[1:]) / 2
    writer.add_histogram_raw(
        tag, min=float(edges[0]), max=float(edges[-1]), num=float(total),
        sum=float((counts * centres).sum()), sum_squares=float((counts * centres**2).sum()),
        bucket_limits=edges[1:].tolist(), bucket_counts=counts.tolist(), global_step=step)
