"""The export entry point checks a request before any work, and names its files sensibly."""

from __future__ import annotations

from pathlib import Path

import pytest

import netbuilder
from netbuilder import resources
from netbuilder.train.export import (
    ExportRequest,
    ExportRequestError,
    default_output,
    export_document,
)


@pytest.fixture(scope="module")
def gan() -> netbuilder.Document:
    return netbuilder.load(resources.example_path("gan_mnist"))


@pytest.mark.parametrize(("changes", "words"), [
    ({"to": "keras"}, "unknown export format 'keras'"),
    ({"to": "onnx", "with_training": True}, "use --to python with --with-training"),
    ({"with_training": True, "weights": Path(__file__)}, "takes no --weights"),
    ({"network": "critic"}, ("no network 'critic'; this document has 'generator', "
                            "'discriminator'")),
    ({"weights": Path("missing.pt")}, "weights file missing.pt does not exist"),
    ({"out": Path("no/such/folder/model.py")}, "folder no/such/folder does not exist"),
])
def test_a_request_that_cannot_work_fails_before_any_file(
        gan: netbuilder.Document, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        changes: dict[str, object], words: str) -> None:
    monkeypatch.chdir(tmp_path)
    request = ExportRequest(**{"to": "python", "out": Path("model.py"), **changes})
    with pytest.raises(ExportRequestError, match=words):
        export_document(gan, request)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_not_a_file_name(gan: netbuilder.Document, tmp_path: Path) -> None:
    with pytest.raises(ExportRequestError, match="it is a folder"):
        export_document(gan, ExportRequest(to="onnx", out=tmp_path))


@pytest.mark.parametrize(("args", "name"), [
    ((Path("a/mnist_cnn.nbg"), "", "onnx", None), "mnist_cnn.onnx"),
    ((Path("gan_mnist.nbg"), "", "python", "generator"), "gan_mnist_generator.py"),
    ((None, "My net", "torchscript", None), "My net.pt"),
    ((None, "", "python", None, True), "train_model.py"),
])
def test_suggested_names_follow_the_source_network_and_format(args: tuple, name: str) -> None:
    assert default_output(*args) == name
