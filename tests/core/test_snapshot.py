"""A document snapshot: what background work (export, training) runs on while editing goes on."""

from __future__ import annotations

from pathlib import Path

from netbuilder.core import fileformat
from netbuilder.core.commands import RenameNode, SetParams
from tests.helpers import classifier_with_loss


def test_a_snapshot_saves_exactly_as_the_document_and_keeps_its_path() -> None:
    doc = classifier_with_loss()
    doc.path = Path("somewhere") / "classifier.nbg"
    copy = fileformat.snapshot(doc)
    assert copy is not doc
    assert fileformat.dumps(copy) == fileformat.dumps(doc)
    assert copy.path == doc.path
    assert copy.catalogue is doc.catalogue


def test_edits_on_either_side_never_reach_the_other() -> None:
    doc = classifier_with_loss()
    before = fileformat.dumps(doc)
    copy = fileformat.snapshot(doc)
    dense = doc.graph("model").node_by_name("dense1")
    assert dense is not None
    SetParams("model", dense.id, {"units": 64}).redo(doc)
    RenameNode("model", dense.id, "hidden").redo(doc)
    assert fileformat.dumps(copy) == before
    copied = copy.graph("model").nodes[dense.id]
    assert (copied.name, copied.params["units"]) == ("dense1", 16)
    copy.graph("model").nodes[dense.id].params["units"] = 3
    assert doc.graph("model").nodes[dense.id].params["units"] == 64
