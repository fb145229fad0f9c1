"""Weights files and checkpoints are read only from regular files, within a size limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.compile import weights
from netbuilder.compile.weights import weights_dict
from netbuilder.train.checkpoint import load_checkpoint, save_checkpoint
from tests.bounded import needs_fifo, outcome
from tests.helpers import mlp_document


def _fifo_and_zero(tmp_path: Path) -> tuple[Path, Path]:
    fifo = tmp_path / "w.pt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.pt"
    zero.symlink_to("/dev/zero")
    return fifo, zero


@needs_fifo
def test_weights_from_a_fifo_or_dev_zero_are_refused(tmp_path: Path) -> None:
    fifo, zero = _fifo_and_zero(tmp_path)
    doc = mlp_document()
    assert outcome(lambda: netbuilder.build(doc, weights=fifo)) == (
        f"GraphFileError: {fifo}: is not a regular file (a FIFO)")
    assert outcome(lambda: netbuilder.build(doc, weights=zero)) == (
        f"GraphFileError: {zero}: is not a regular file (a character device)")


@needs_fifo
def test_checkpoints_from_a_fifo_or_dev_zero_are_refused(tmp_path: Path) -> None:
    fifo, zero = _fifo_and_zero(tmp_path)
    assert outcome(lambda: load_checkpoint(fifo)) == (
        f"GraphFileError: {fifo}: is not a regular file (a FIFO)")
    assert outcome(lambda: load_checkpoint(zero)).endswith("is not a regular file "
                                                           "(a character device)")


def test_checkpoint_content_and_size_are_checked(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, {"networks": {"model": {}}, "epoch": 2})
    assert load_checkpoint(path)["epoch"] == 2
    other = tmp_path / "other.pt"
    torch.save({"epoch": 2}, other)
    with pytest.raises(netbuilder.GraphFileError, match="not a netbuilder training checkpoint"):
        load_checkpoint(other)
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", 100)
    with pytest.raises(netbuilder.GraphFileError, match="too large for a checkpoint"):
        load_checkpoint(path)


def test_weights_file_over_the_limit_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    doc = mlp_document()
    path = tmp_path / "w.pt"
    torch.save(weights_dict({"model": netbuilder.build(doc)}), path)
    monkeypatch.setattr(weights, "MAX_WEIGHTS_BYTES", path.stat().st_size - 1)
    with pytest.raises(netbuilder.GraphFileError, match=r"w\.pt: is too large for a weights"):
        netbuilder.build(doc, weights=path)
    with pytest.raises(netbuilder.GraphFileError, match="no such file"):
        netbuilder.build(doc, weights=tmp_path / "missing.pt")
