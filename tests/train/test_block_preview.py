"""Block previews: one data sample through every block, cut down to thumbnails, off any GUI."""

from __future__ import annotations

import ctypes
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.compile.builder import compile_network
from netbuilder.compile.weights import weights_dict
from netbuilder.core import fileformat
from netbuilder.core.commands import SetParams
from netbuilder.core.graph import Document
from netbuilder.resources import example_path
from netbuilder.train.block_preview import (
    MAX_COLUMNS,
    MAX_MAPS,
    MAX_ROWS,
    BlockPreviewer,
    probe_thumbnails,
    thumbnail,
)
from netbuilder.train.data import load_dataset
from netbuilder.train.preview_thread import (
    PreviewThread,
    _loaded_openmp_runtimes,
    single_threaded_kernels,
)


def cnn() -> Document:
    return netbuilder.load(example_path("mnist_cnn"))


def by_name(doc: Document, thumbs: dict[str, dict[str, object]], network: str = "model"
            ) -> dict[str, object]:
    graph = doc.graph(network)
    return {graph.nodes[node_id].name: thumb for node_id, thumb in thumbs[network].items()}


def node_id(doc: Document, name: str, network: str = "model") -> str:
    return next(n.id for n in doc.graph(network).nodes.values() if n.name == name)


def test_every_block_of_the_cnn_shows_its_output_on_a_real_sample() -> None:
    doc = cnn()
    shown = by_name(doc, BlockPreviewer().run(doc))
    assert set(shown) == {"image", "conv1", "pool1", "conv2", "pool2", "flatten", "hidden",
                          "classes"}, "outputs, losses and targets have no thumbnail"
    assert shown["image"].kind == "image" and shown["image"].shape == (1, 28, 28)
    conv1 = shown["conv1"]
    assert conv1.kind == "maps" and conv1.shape == (32, 26, 26)
    assert conv1.values.shape == (MAX_MAPS, MAX_ROWS, MAX_ROWS)
    assert conv1.values.dtype == np.float32
    assert conv1.low >= 0.0, "ReLU outputs"
    assert shown["pool2"].values.shape == (MAX_MAPS, 5, 5), "small maps keep every pixel"
    assert shown["hidden"].kind == "strip" and shown["hidden"].values.shape == (128,)
    assert shown["flatten"].values.shape == (MAX_COLUMNS,), "1,600 values binned down"
    classes = shown["classes"]
    assert classes.values.shape == (10,)
    assert classes.values.sum() == pytest.approx(1.0, abs=1e-5), "softmax of one sample"


def test_the_input_shows_the_first_held_out_sample_of_the_data_set() -> None:
    doc = cnn()
    image = by_name(doc, BlockPreviewer().run(doc))["image"]
    data = load_dataset("digits", input_shape=(1, 28, 28), seed=0)
    split = data.val if data.val is not None and len(data.val) else data.test
    sample = split.x[0].numpy()
    assert image.low == pytest.approx(float(sample.min()))
    assert image.high == pytest.approx(float(sample.max()))
    # Binned down, not cropped: the thumbnail keeps the sample's overall brightness.
    assert image.values.mean() == pytest.approx(float(sample.mean()), rel=0.05)


def test_blocks_with_errors_and_everything_downstream_show_none() -> None:
    doc = cnn()
    SetParams("model", node_id(doc, "conv2"), {"kernel_size": [30, 30]}).redo(doc)
    shown = by_name(doc, BlockPreviewer().run(doc))
    assert set(shown) == {"image", "conv1", "pool1"}


def test_an_edit_rebuilds_only_the_blocks_it_changed() -> None:
    doc = cnn()
    previewer = BlockPreviewer()
    before = by_name(doc, previewer.run(doc))
    SetParams("model", node_id(doc, "hidden"), {"units": 64}).redo(doc)
    after = by_name(doc, previewer.run(doc))
    np.testing.assert_array_equal(after["conv2"].values, before["conv2"].values)
    assert after["hidden"].shape == (64,)
    assert not np.array_equal(after["classes"].values, before["classes"].values)


def test_trained_weights_are_used_by_the_blocks_they_still_fit(tmp_path: Path) -> None:
    doc = cnn()
    model = compile_network(doc).module
    torch.nn.init.constant_(model.get_submodule("conv1").weight, 0.5)
    weights = tmp_path / "cnn.pt"
    torch.save(weights_dict({"model": model}), weights)
    previewer = BlockPreviewer()
    shown = by_name(doc, previewer.run(doc, weights=str(weights)))
    data = load_dataset("digits", input_shape=(1, 28, 28), seed=0)
    split = data.val if data.val is not None and len(data.val) else data.test
    with torch.no_grad():
        reference = model.get_submodule("conv1")(split.x[:1])[0].numpy()
    expected = thumbnail(reference)
    assert expected is not None
    np.testing.assert_allclose(shown["conv1"].values, expected.values, rtol=1e-5, atol=1e-6)

    SetParams("model", node_id(doc, "conv1"), {"filters": 16}).redo(doc)
    edited = by_name(doc, previewer.run(doc, weights=str(weights)))
    assert edited["conv1"].shape == (16, 26, 26), "an edited block starts fresh"
    assert previewer.run(doc, weights=str(tmp_path / "missing.pt")) is not None


def test_nothing_runs_without_a_data_set() -> None:
    doc = cnn()
    doc.training["dataset"] = ""
    assert BlockPreviewer().run(doc) == {}


def test_a_run_gives_up_when_asked_to() -> None:
    doc = cnn()
    assert BlockPreviewer().run(doc, stop=lambda: True) is None


def test_networks_off_the_data_get_noise_and_groups_show_their_output() -> None:
    gan = netbuilder.load(example_path("gan_mnist"))
    thumbs = BlockPreviewer().run(gan)
    generated = by_name(gan, thumbs, "generator")
    assert generated["noise"].shape == (100,) and generated["noise"].low < 0 < \
        generated["noise"].high, "fixed normal noise for the generator"
    assert "real" in by_name(gan, thumbs, "discriminator")
    transformer = netbuilder.load(example_path("transformer_classifier"))
    shown = by_name(transformer, BlockPreviewer().run(transformer))
    assert shown["encoder"].kind == "heatmap", "a group instance shows its output sequence"
    assert shown["tokens"].kind == "strip", "integer tokens from the data set"


@pytest.mark.parametrize(("shape", "kind", "kept"), [
    ((7,), "strip", (7,)),
    ((1000,), "strip", (MAX_COLUMNS,)),
    ((16, 32), "heatmap", (16, 32)),
    ((100, 300), "heatmap", (MAX_ROWS, MAX_COLUMNS)),
    ((64, 7, 7), "maps", (MAX_MAPS, 7, 7)),
    ((2, 3, 9, 9), "maps", (MAX_MAPS, 9, 9)),
])
def test_thumbnails_keep_a_few_values_of_any_output(shape: tuple[int, ...], kind: str,
                                                      kept: tuple[int, ...]) -> None:
    values = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    thumb = thumbnail(values)
    assert thumb is not None and thumb.kind == kind and thumb.values.shape == kept
    assert thumb.low == pytest.approx(values.min()) and thumb.high == pytest.approx(values.max())


def test_binning_averages_and_non_finite_values_do_not_spread() -> None:
    values = np.arange(256, dtype=np.float32)
    thumb = thumbnail(values)
    assert thumb is not None
    np.testing.assert_allclose(thumb.values, values.reshape(MAX_COLUMNS, -1).mean(axis=1))
    broken = thumbnail(np.array([1.0, np.nan, np.inf, 3.0]))
    assert broken is not None and np.isfinite(broken.values).all() and broken.high == 3.0
    assert thumbnail(np.float32(2.0)) is None, "a scalar has nothing to draw"


def test_probe_activations_become_thumbnails_of_the_blocks_they_name() -> None:
    doc = cnn()
    found = probe_thumbnails(doc, {
        "conv1": np.full((32, 26, 26), 2.0, dtype=np.float32),
        "hidden": np.zeros((99,), dtype=np.float32),  # not the block's shape: left out
        "nowhere": np.zeros((3,), dtype=np.float32),
    })
    shown = by_name(doc, found)
    assert set(shown) == {"conv1"}
    assert shown["conv1"].low == shown["conv1"].high == 2.0


def test_the_thread_shows_only_the_latest_request() -> None:
    worker = PreviewThread()
    text = fileformat.dumps(cnn())
    try:
        for generation in range(1, 6):
            worker.request(generation, text)
        deadline = time.monotonic() + 30
        outcomes = []
        while time.monotonic() < deadline and (worker.busy or not outcomes):
            outcomes += worker.take()
            time.sleep(0.01)
        outcomes += worker.take()
        assert outcomes and outcomes[-1].generation == 5
        assert outcomes[-1].error is None and "model" in outcomes[-1].thumbnails
        assert len(outcomes) < 5, "requests made while one waited replaced each other"
    finally:
        assert worker.shutdown()


def test_the_preview_thread_runs_kernels_alone_and_leaves_other_threads_theirs() -> None:
    torch.zeros(1).add_(1)  # torch's OpenMP runtime is loaded
    runtimes = _loaded_openmp_runtimes()
    if not runtimes or torch.get_num_threads() < 2:
        pytest.skip("no OpenMP runtime to set, or a single core")
    omp = ctypes.CDLL(runtimes[0])
    seen: list[int] = []

    def work() -> None:
        single_threaded_kernels()
        seen.append(omp.omp_get_max_threads())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [1]
    assert omp.omp_get_max_threads() == torch.get_num_threads() > 1
