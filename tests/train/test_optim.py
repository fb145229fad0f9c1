"""Optimizers and learning-rate schedules."""

from __future__ import annotations

import pytest
import torch

from netbuilder.train.device import resolve_device
from netbuilder.train.optim import make_optimizer, schedule_factor, set_lr
from netbuilder.train.settings import TrainingSettings


@pytest.mark.parametrize(("name", "kind"), [
    ("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW),
    ("rmsprop", torch.optim.RMSprop),
])
def test_make_optimizer(name: str, kind: type) -> None:
    settings = TrainingSettings(optimizer=name, lr=0.05, momentum=0.8, betas=(0.5, 0.9),
                                weight_decay=0.01)
    optimizer = make_optimizer([torch.nn.Parameter(torch.zeros(3))], settings)
    assert isinstance(optimizer, kind)
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.01
    if name in ("sgd", "rmsprop"):
        assert group["momentum"] == 0.8
    else:
        assert group["betas"] == (0.5, 0.9)


def test_sgd_with_momentum_steps() -> None:
    param = torch.nn.Parameter(torch.ones(1))
    optimizer = make_optimizer([param], TrainingSettings(optimizer="sgd", lr=0.1, momentum=0.9))
    for _ in range(2):
        param.grad = torch.ones(1)
        optimizer.step()
    # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    assert param.item() == pytest.approx(0.71)


def test_capturable_optimizer_has_a_tensor_lr_set_in_place() -> None:
    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = make_optimizer([param], TrainingSettings(optimizer="adam", lr=0.01),
                               capturable=True, device=torch.device("cpu"))
    lr = optimizer.param_groups[0]["lr"]
    assert isinstance(lr, torch.Tensor)
    set_lr(optimizer, 0.5)
    assert optimizer.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.5)


def test_schedules() -> None:
    constant = TrainingSettings(epochs=10)
    assert [schedule_factor(constant, e) for e in (0, 9)] == [1.0, 1.0]
    step = TrainingSettings(epochs=10, schedule="step", step_size=3, gamma=0.5)
    assert [schedule_factor(step, e) for e in (0, 2, 3, 6)] == [1.0, 1.0, 0.5, 0.25]
    cosine = TrainingSettings(epochs=10, schedule="cosine")
    assert schedule_factor(cosine, 0) == 1.0
    assert schedule_factor(cosine, 5) == pytest.approx(0.5)
    assert 0 < schedule_factor(cosine, 9) < 0.05


def test_device_auto_and_cpu() -> None:
    assert resolve_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else None
    auto = resolve_device("auto")
    assert auto.type == expected or (expected is None and auto.type in ("mps", "cpu"))
