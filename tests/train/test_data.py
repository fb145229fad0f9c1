"""netbuilder.train.data: the built-in sets (shapes, dtypes, determinism, learnability)."""

from __future__ import annotations

import pytest
import torch

from netbuilder.core.errors import NetbuilderError
from netbuilder.train.data import BUILTIN, DataError, Dataset, DataSplit, load_dataset

POINT_SETS = ("linearly_separable", "xor", "moons", "circles", "spirals")


def test_builtin_names() -> None:
    assert set(BUILTIN) == {
        *POINT_SETS, "regression_rows", "digits", "hello_world", "tiny_corpus", "token_sequences",
    }


@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_loads_on_cpu_and_is_deterministic(name: str) -> None:
    first, second = load_dataset(name, seed=3), load_dataset(name, seed=3)
    assert isinstance(first, Dataset)
    assert first.train.x.device.type == "cpu"
    assert len(first.train) > 0
    assert torch.equal(first.train.x, second.train.x)
    assert first.train.y is not None and torch.equal(first.train.y, second.train.y)


@pytest.mark.parametrize("name", POINT_SETS)
def test_point_sets(name: str) -> None:
    data = load_dataset(name)
    assert data.train.x.shape == (200, 2) and data.train.x.dtype == torch.float32
    assert data.train.y is not None and data.train.y.dtype == torch.int64
    assert set(data.train.y.tolist()) == {0, 1}
    assert abs(int(data.train.y.sum()) - 100) <= 20
    other = load_dataset(name, seed=1)
    assert not torch.equal(data.train.x, other.train.x)
    assert len(load_dataset(name, n=50).train) == 50


def test_linearly_separable_has_a_margin_a_perceptron_crosses() -> None:
    data = load_dataset("linearly_separable")
    x, y = data.train.x, data.train.y.float()
    w, b = torch.zeros(2), torch.tensor(0.0)
    for _ in range(100):  # the perceptron rule converges on separable data
        mistakes = 0
        for xi, yi in zip(x, y, strict=True):
            y_hat = float(xi @ w + b > 0)
            if y_hat != yi:
                w, b, mistakes = w - 0.1 * (y_hat - yi) * xi, b - 0.1 * (y_hat - yi), mistakes + 1
        if mistakes == 0:
            break
    assert mistakes == 0


def test_regression_rows_shapes_and_an_mlp_cuts_its_loss_tenfold() -> None:
    data = load_dataset("regression_rows")
    assert data.train.x.shape == (100, 10) and data.train.y.shape == (100, 1)
    assert data.train.y.dtype == torch.float32
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.ReLU(), torch.nn.Linear(10, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def mse() -> float:
        with torch.no_grad():
            return float(torch.nn.functional.mse_loss(model(data.train.x), data.train.y))

    before = mse()
    for _ in range(100):  # the seed model: 100 epochs, batch 10
        for i in range(0, 100, 10):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(data.train.x[i:i + 10]),
                                                data.train.y[i:i + 10])
            loss.backward()
            optimizer.step()
    assert mse() < before / 10


def test_digits_are_real_balanced_and_split() -> None:
    data = load_dataset("digits")
    assert data.train.x.shape[1:] == (1, 28, 28) and data.train.x.dtype == torch.float32
    assert len(data.train) + len(data.test) == 1797
    assert 175 <= len(data.test) <= 185
    assert data.classes == [str(d) for d in range(10)]
    counts = torch.bincount(data.train.y, minlength=10)
    assert int(counts.min()) >= 155 and int(counts.max()) <= 170
    assert float(data.train.x.min()) == 0.0 and float(data.train.x.max()) <= 1.0
    assert float(data.train.x.max()) > 0.9
    assert data.meta["pixel_range"] == (0.0, 1.0)
    # The test split does not move with the seed.
    assert torch.equal(load_dataset("digits", seed=5).test.y, data.test.y)


def test_digits_in_minus_one_to_one_for_the_gan() -> None:
    data = load_dataset("digits", range=(-1, 1))
    assert float(data.train.x.min()) == -1.0 and float(data.train.x.max()) <= 1.0
    assert data.meta["pixel_range"] == (-1.0, 1.0)


def test_digits_fit_a_flat_input_and_refuse_a_wrong_one() -> None:
    assert load_dataset("digits", input_shape=(784,)).train.x.shape[1:] == (784,)
    with pytest.raises(DataError, match=r"\(1, 28, 28\).*\(3, 32, 32\)"):
        load_dataset("digits", input_shape=(3, 32, 32))


def _decode(window: torch.Tensor, vocab: str) -> str:
    return "".join(vocab[int(row.argmax())] for row in window if row.sum() > 0)


def test_hello_world_windows() -> None:
    data = load_dataset("hello_world", input_shape=(10, 8))
    assert data.vocab == " dehlorw" and data.classes == list(data.vocab)
    assert data.train.x.shape == (55, 10, 8) and data.train.y.dtype == torch.int64
    pairs = {(_decode(w, data.vocab), data.vocab[int(t)]) for w, t in
             zip(data.train.x, data.train.y, strict=True)}
    assert ("h", "e") in pairs
    assert ("hello worl", "d") in pairs
    assert ("o w", "o") in pairs
    # Left padding: the single "h" sits in the last slot, the rest are zero vectors.
    h_only = next(i for i, w in enumerate(data.train.x) if _decode(w, data.vocab) == "h")
    assert data.train.x[h_only, :-1].sum() == 0 and data.train.x[h_only, -1].sum() == 1


def test_text_windows_take_their_length_from_the_input() -> None:
    assert load_dataset("hello_world", input_shape=(4, 8)).train.x.shape[1:] == (4, 8)
    with pytest.raises(DataError, match="expects"):
        load_dataset("hello_world", input_shape=(10, 9))
    corpus = load_dataset("tiny_corpus", input_shape=(12, len(load_dataset("tiny_corpus").vocab)))
    assert corpus.train.x.shape[1] == 12


def test_token_sequences_are_balanced_and_follow_their_rule() -> None:
    data = load_dataset("token_sequences")
    x = torch.cat([data.train.x, data.test.x])
    y = torch.cat([data.train.y, data.test.y])
    assert x.shape == (2000, 16) and x.dtype == torch.int64
    assert int(x.min()) >= 0 and int(x.max()) <= 15
    assert int(y.sum()) == 1000
    first3 = (x == 3).int().argmax(dim=1)
    first7 = (x == 7).int().argmax(dim=1)
    assert torch.equal((first3 < first7).long(), y)
    assert len(data.test) == 400


def test_with_validation() -> None:
    data = load_dataset("moons")
    split = data.with_validation(0.2, seed=1)
    assert len(split.train) == 160 and len(split.val) == 40
    again = data.with_validation(0.2, seed=1)
    assert torch.equal(split.val.x, again.val.x)
    assert split.with_validation(0.5, seed=2) is split  # a validation split is kept
    with pytest.raises(DataError):
        data.with_validation(1.5, seed=0)


def test_errors_are_netbuilder_errors() -> None:
    assert issubclass(DataError, NetbuilderError)
    with pytest.raises(DataError, match="unknown option"):
        load_dataset("xor", colour="red")
    with pytest.raises(DataError, match="not a built-in"):
        load_dataset("no_such_set_or_file")
    with pytest.raises(DataError, match="range"):
        load_dataset("digits", range=(1, -1))
    with pytest.raises(DataError):
        DataSplit(torch.zeros(3, 2), torch.zeros(2))
