"""Shapes as users type them (``netbuilder import --input``, File ▸ Import)."""

from __future__ import annotations

import pytest

from netbuilder.core.tensor import TensorSpec, parse_tensor_spec


@pytest.mark.parametrize(("text", "expected"), [
    ("1,28,28", TensorSpec((1, 28, 28))),
    (" 3x32x32 ", TensorSpec((3, 32, 32))),
    ("1×8", TensorSpec((1, 8))),
    ("16:int64", TensorSpec((16,), "int64")),
    ("16:long", TensorSpec((16,), "int64")),
    ("4, 2 :float32", TensorSpec((4, 2))),
    ("10,", TensorSpec((10,))),
])
def test_shapes_in_the_forms_users_write(text: str, expected: TensorSpec) -> None:
    assert parse_tensor_spec(text) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("", "not a shape"),
    ("1,-28", "not a shape"),
    ("1,0", "not a shape"),
    ("a,b", "not a shape"),
    ("1.5", "not a shape"),
    ("16:complex64", "unknown dtype 'complex64'"),
])
def test_anything_else_says_what_was_expected(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        parse_tensor_spec(text)
    assert "1,28,28" in str(caught.value) or "float32" in str(caught.value)
