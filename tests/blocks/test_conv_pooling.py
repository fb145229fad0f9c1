"""Convolution and pooling blocks: the tutorials' figures, 'same' padding and clear errors."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pytest
import torch
from torch import nn

from netbuilder.blocks import CATALOGUE
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import validate_params
from netbuilder.core.tensor import TensorSpec


def _infer(type_id: str, shape: tuple[int, ...], **params: Any
           ) -> tuple[tuple[int, ...], int, int]:
    """Output shape, parameter count and MACs of one block, as inference computes them."""
    spec = CATALOGUE[type_id]
    full = {**spec.default_params(), **params}
    assert validate_params(spec.params, full) == []
    inputs = {"x": TensorSpec(shape)}
    outputs = spec.infer_outputs(full, inputs)
    (out,) = outputs.values()
    return out.shape, spec.count_params(full, inputs, outputs), spec.count_macs(
        full, inputs, outputs)


def _build(type_id: str, shape: tuple[int, ...], **params: Any) -> nn.Module:
    spec = CATALOGUE[type_id]
    torch.manual_seed(0)
    return spec.build({**spec.default_params(), **params}, {"x": TensorSpec(shape)})


def _run(type_id: str, x: torch.Tensor, **params: Any) -> torch.Tensor:
    with torch.no_grad():
        return _build(type_id, tuple(x.shape[1:]), **params)(x)


def _shape_error(type_id: str, shape: tuple[int, ...], **params: Any) -> ShapeError:
    with pytest.raises(ShapeError) as caught:
        _infer(type_id, shape, **params)
    return caught.value


# --- The figures of the users' tutorials ---------------------------------------------------


def test_mnist_tutorial_figures() -> None:
    assert _infer("conv2d", (1, 28, 28), filters=32, kernel_size=3)[:2] == ((32, 26, 26), 320)
    assert _infer("maxpool2d", (32, 26, 26), pool_size=2)[0] == (32, 13, 13)
    assert _infer("conv2d", (32, 13, 13), filters=64, kernel_size=3)[:2] == ((64, 11, 11),
                                                                              18_496)
    assert _infer("maxpool2d", (64, 11, 11), pool_size=2)[0] == (64, 5, 5)


def test_same_padding_keeps_28_by_28() -> None:
    assert _infer("conv2d", (1, 28, 28), filters=32, kernel_size=3, padding="same")[0] == (
        32, 28, 28)
    assert _infer("conv2d", (1, 28, 28), filters=8, kernel_size=4, padding="same")[0] == (
        8, 28, 28)


def test_conv_macs_are_one_dot_product_per_output() -> None:
    _, _, macs = _infer("conv2d", (1, 28, 28), filters=32, kernel_size=3)
    assert macs == 32 * 26 * 26 * 9
    _, params, macs = _infer("conv2d", (8, 10, 10), filters=16, kernel_size=3, groups=4,
                             bias=False)
    assert params == 16 * 2 * 9
    assert macs == 16 * 8 * 8 * 2 * 9


def test_aliases_and_weight_names() -> None:
    assert CATALOGUE["conv2D"] is CATALOGUE["conv2d"] is CATALOGUE["convolution2d"]
    assert CATALOGUE["max_pooling2d"] is CATALOGUE["maxpool2d"]
    assert CATALOGUE["average_pooling2d"] is CATALOGUE["avgpool2d"]
    for type_id, shape in (("conv1d", (2, 9)), ("conv2d", (2, 9, 9)),
                           ("conv_transpose2d", (2, 4, 4))):
        assert list(_build(type_id, shape).state_dict()) == ["weight", "bias"]


# --- Clear errors ----------------------------------------------------------------------------


def test_kernel_larger_than_the_input() -> None:
    error = _shape_error("conv2d", (1, 3, 3), kernel_size=5)
    assert error.param == "kernel_size"
    assert "does not fit an input of 3" in str(error)
    assert "along the height" in str(error)
    error = _shape_error("conv2d", (1, 8, 3), kernel_size=[3, 2], dilation=[1, 3])
    assert error.param == "kernel_size"
    assert "along the width" in str(error)
    error = _shape_error("maxpool2d", (4, 1, 9), pool_size=2)
    assert error.param == "pool_size"
    assert "a window of 2 does not fit an input of 1" in str(error)


def test_indivisible_groups() -> None:
    error = _shape_error("conv2d", (8, 5, 5), filters=12, groups=3)
    assert error.param == "groups"
    assert "groups=3 must divide both the input channels (8) and the filters (12)" in str(error)
    assert "input channels (8) do not split" in str(error)
    error = _shape_error("conv1d", (6, 20), filters=8, groups=3)
    assert error.param == "groups"
    assert "filters (8) do not split into 3" in str(error)
    assert _shape_error("conv_transpose2d", (6, 4, 4), filters=4, groups=4).param == "groups"


def test_wrong_rank_and_dtype() -> None:
    assert "(channels, height, width)" in str(_shape_error("conv2d", (28, 28)))
    with pytest.raises(ShapeError, match="int64"):
        CATALOGUE["conv1d"].infer_outputs(CATALOGUE["conv1d"].default_params(),
                                          {"x": TensorSpec((2, 9), "int64")})


def test_transpose_output_padding_errors() -> None:
    error = _shape_error("conv_transpose2d", (4, 5, 5), output_padding=1)  # default: same
    assert error.param == "output_padding"
    assert "set output_padding to 0" in str(error)
    error = _shape_error("conv_transpose2d", (4, 5, 5), padding="valid", stride=2,
                         output_padding=2)
    assert error.param == "output_padding"
    error = _shape_error("conv_transpose2d", (4, 1, 1), kernel_size=1, stride=1,
                         padding="explicit", padding_size=1)
    assert error.param == "padding_size"


def test_list_length_is_checked_against_the_input_rank() -> None:
    error = _shape_error("adaptive_avg_pool", (4, 10), output_size=[2, 2])
    assert error.param == "output_size"
    assert "list of 1" in str(error)


def test_adaptive_pool_of_a_scalar_is_a_shape_error() -> None:
    # The rank is checked before the channel count is read (was an IndexError, found by
    # tests/compile/test_build_fuzz.py).
    error = _shape_error("adaptive_avg_pool", (), output_size=3)
    assert "channels" in str(error)


def test_global_pool_over_sequence_needs_steps_and_features() -> None:
    assert _infer("global_avg_pool", (64, 5, 5))[0] == (64,)
    assert _infer("global_avg_pool", (10, 16), over="sequence")[0] == (16,)
    assert _shape_error("global_avg_pool", (3, 4, 5), over="sequence").param == "over"
    assert _shape_error("global_avg_pool", (7,)).param == "over"


# --- 'same' padding: Keras' rule for any stride, checked against torch ----------------------

SWEEP = list(itertools.product((5, 8, 9), (1, 2, 3, 4), (1, 2, 3), (1, 2)))


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation"), SWEEP)
def test_conv_same_gives_ceil_of_size_over_stride(size: int, kernel: int, stride: int,
                                                  dilation: int) -> None:
    shape = (2, size, size + 1)
    params = {"filters": 3, "kernel_size": kernel, "stride": stride, "dilation": dilation,
              "padding": "same"}
    out, _, _ = _infer("conv2d", shape, **params)
    assert out == (3, -(-size // stride), -(-(size + 1) // stride))
    assert tuple(_run("conv2d", torch.randn(1, *shape), **params).shape[1:]) == out


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation"), SWEEP)
def test_transpose_same_gives_size_times_stride(size: int, kernel: int, stride: int,
                                                dilation: int) -> None:
    shape = (2, size, 3)
    params = {"filters": 4, "kernel_size": kernel, "stride": stride, "dilation": dilation,
              "padding": "same", "groups": 2}
    out, _, _ = _infer("conv_transpose2d", shape, **params)
    assert out == (4, size * stride, 3 * stride)
    assert tuple(_run("conv_transpose2d", torch.randn(1, *shape), **params).shape[1:]) == out


@pytest.mark.parametrize("padding", ["valid", "explicit"])
@pytest.mark.parametrize(("kernel", "stride", "output_padding"), [(3, 2, 1), (4, 2, 0), (2, 3, 2)])
def test_transpose_valid_and_explicit_match_torch(padding: str, kernel: int, stride: int,
                                                  output_padding: int) -> None:
    params = {"filters": 2, "kernel_size": kernel, "stride": stride, "padding": padding,
              "padding_size": 1, "output_padding": output_padding}
    out, count, _ = _infer("conv_transpose2d", (3, 5, 6), **params)
    module = _build("conv_transpose2d", (3, 5, 6), **params)
    assert tuple(module(torch.randn(2, 3, 5, 6)).shape[1:]) == out
    assert count == sum(p.numel() for p in module.parameters())


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_stride_one_same_matches_torchs_own_same_padding() -> None:
    # torch supports padding="same" at stride 1 and also puts the odd extra zero at the end.
    ours = _build("conv2d", (3, 9, 10), filters=4, kernel_size=[4, 3], dilation=[1, 2],
                  padding="same", activation="linear")
    theirs = nn.Conv2d(3, 4, (4, 3), dilation=(1, 2), padding="same")
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, 9, 10)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


def test_conv_softmax_runs_over_the_channels() -> None:
    y = _run("conv2d", torch.randn(2, 3, 6, 6), filters=5, activation="softmax")
    torch.testing.assert_close(y.sum(dim=1), torch.ones(2, 4, 4))


# --- Pooling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("type_id", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize("size", [6, 7])  # symmetric and uneven 'same' padding
def test_same_pooling_never_counts_pads(type_id: str, size: int) -> None:
    params = {"pool_size": 3, "stride": 2, "padding": "same"}
    assert _infer(type_id, (2, size, size), **params)[0] == (2, 3 + size % 2, 3 + size % 2)
    if type_id == "avgpool2d":
        y = _run(type_id, torch.ones(1, 2, size, size), **params)
        torch.testing.assert_close(y, torch.ones_like(y))  # zero pads would pull means down
    else:
        y = _run(type_id, -1 - torch.rand(1, 2, size, size), **params)
        assert (y < -1).all()  # a zero pad would win every edge window


def test_stride_zero_means_the_pool_size() -> None:
    x = torch.randn(2, 3, 9, 8)
    torch.testing.assert_close(_run("maxpool2d", x, pool_size=[3, 2]),
                               _run("maxpool2d", x, pool_size=[3, 2], stride=[3, 2]))
    assert _infer("avgpool1d", (4, 21), pool_size=3, stride=[0])[0] == (4, 7)
    assert _infer("avgpool1d", (4, 21), pool_size=3, stride=1)[0] == (4, 19)


def test_uneven_same_pooling_matches_keras_values() -> None:
    # 1-D, length 5, window 2, stride 2, 'same': windows [0,1], [2,3], [4, pad].
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0, -5.0]]])
    params = {"pool_size": 2, "padding": "same"}
    torch.testing.assert_close(_run("maxpool1d", x, **params), torch.tensor([[[2.0, 4.0, -5.0]]]))
    torch.testing.assert_close(_run("avgpool1d", x, **params), torch.tensor([[[1.5, 3.5, -5.0]]]))


def test_adaptive_pool_shapes_and_reads() -> None:
    assert _infer("adaptive_avg_pool", (16, 9, 9), output_size=3) == ((16, 3, 3), 0, 16 * 81)
    # Ten steps into four bins: [0, 3), [2, 5), [5, 8), [7, 10) read 12 values.
    assert _infer("adaptive_avg_pool", (2, 10), output_size=4) == ((2, 4), 0, 2 * 12)
    assert _infer("adaptive_avg_pool", (16, 10, 7), output_size=[4, 2])[0] == (16, 4, 2)


def test_block_modules_load_without_torch() -> None:
    code = ("import sys, netbuilder.blocks.conv, netbuilder.blocks.pooling; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
