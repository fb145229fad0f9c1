"""Training throughput: netbuilder's engine against (a) the tutorial loop and (b) the limit.

Run by hand: ``PYTHONPATH=. python tests/benchmarks/bench_training.py [--device cpu|cuda]
[--batch-size B] [--probes HZ] [--tf32] [--bf16] [--channels-last] [--compile]
[--step-log-cost] [--json FILE]`` (or ``pytest tests/benchmarks/bench_training.py -s``).

Three loops train the same model (compiled from the bundled example) on the same random data
of its Input shape, and each prints samples/s, timed over the epochs after the first:

- engine: ``netbuilder.train.loop.train``, the app's and the CLI's engine.
- (a) tutorial: what beginner courses teach: a shuffling DataLoader, ``.to(device)`` per
  batch, ``loss.item()`` per step.
- (b) graph: a hand-written whole-step loop, the practical limit (ARCHITECTURE.md's recipe):
  the data resident on the device and shuffled there, each batch copied with
  ``index_select(out=)`` into static buffers, forward + backward + capturable Adam + the loss
  summed on the device captured in one ``torch.cuda.CUDAGraph`` and replayed, the loss read
  about every 100 ms. Off CUDA it runs the very same loop with the step called eagerly instead
  of replayed, so that its logic is exercised (and tested) on the CPU.

All three run under the allocator settings the engine uses on Linux
(``netbuilder.train.host_memory``: freed blocks kept for the next step), set before the first
loop: glibc's settings are process-wide and cannot be undone, so the ratios compare the loops
alone; what the setting gains by itself, ``bench_dock``'s headless figure shows (mnist_cnn on 2
cores: 4,620 -> 5,460 samples/s).

Ratios: engine / (a) and engine / (b). Switches: ``--probes HZ`` has the engine take that many
probes a second; ``--tf32``, ``--bf16``, ``--channels-last`` apply the engine's settings of
those names to the engine and the same to (b); ``--compile`` also times (b) with
``torch.compile`` before capture, and the engine with its ``torch_compile`` setting, each
with its compile time; ``--step-log-cost`` times (b) with and without the per-step loss record
(``netbuilder.train.steplog``) written inside its step.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

import netbuilder
from netbuilder.compile import compile_network
from netbuilder.resources import example_path
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.device import float32_matmuls
from netbuilder.train.events import EpochEnd, Failed, Started
from netbuilder.train.host_memory import keep_freed_memory
from netbuilder.train.loop import train
from netbuilder.train.optim import make_optimizer
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.steplog import StepLog
from netbuilder.train.steps import autocast

#: Steps replayed on a side stream before capture (as netbuilder.train.fast does).
WARMUP_STEPS = 3
#: Seconds between two reads of the loss sum in (b), as the engine's reports.
READ_INTERVAL_S = 0.1


def _one_hot_windows(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """char_lstm's input: (10, 8) one-hot windows and the next character."""
    ids = torch.randint(0, 8, (n, 10), generator=g)
    return torch.nn.functional.one_hot(ids, 8).float(), torch.randint(0, 8, (n,), generator=g)


MakeData = Callable[[torch.Generator, int], tuple[torch.Tensor, torch.Tensor]]
CASES: dict[str, tuple[int, int, MakeData]] = {
    # name: (samples, timed epochs, make data): on the CPU
    "mnist_cnn": (4096, 2, lambda g, n: (torch.rand(n, 1, 28, 28, generator=g),
                                         torch.randint(0, 10, (n,), generator=g))),
    "regression_mlp": (1000, 20, lambda g, n: (torch.randn(n, 10, generator=g),
                                               torch.randn(n, 1, generator=g))),
    "char_lstm": (4096, 2, _one_hot_windows),
    "transformer_classifier": (4096, 2, lambda g, n: (torch.randint(0, 16, (n, 16), generator=g),
                                                      torch.randint(0, 2, (n,), generator=g))),
}
#: On a GPU an epoch of the CPU sizes lasts milliseconds: MNIST's size for each, 3 timed epochs.
GPU_SAMPLES, GPU_EPOCHS = 60_000, 3


@dataclass(frozen=True)
class Options:
    """What one measurement runs: where, how big, and which of the engine's settings."""

    device: str = "cpu"
    batch_size: int | None = None
    probes: float = 0.0  # probes a second taken by the engine; 0 for none
    tf32: bool = False
    bf16: bool = False
    channels_last: bool = False
    torch_compile: bool = False  # the engine's setting of that name
    samples: int | None = None  # instead of the case's own (a tiny CPU check)
    epochs: int | None = None  # timed epochs, instead of the case's own

    def size(self, name: str) -> tuple[int, int]:
        """(samples, timed epochs) of case ``name``."""
        samples, epochs, _ = CASES[name]
        if self.device == "cuda":
            samples, epochs = GPU_SAMPLES, GPU_EPOCHS
        return self.samples or samples, self.epochs or epochs

    def label(self) -> str:
        flags = [flag for flag in ("tf32", "bf16", "channels_last") if getattr(self, flag)]
        if self.probes:
            flags.append(f"probes {self.probes:g}/s")
        return "+".join(flags) or "fp32"


def _data(name: str, options: Options) -> tuple[torch.Tensor, torch.Tensor, int]:
    samples, epochs = options.size(name)
    x, y = CASES[name][2](torch.Generator().manual_seed(0), samples)
    return x, y, epochs


def _settings(name: str, options: Options) -> tuple[netbuilder.Document, TrainingSettings]:
    doc = netbuilder.load(example_path(name))
    recipe = "regression" if name == "regression_mlp" else "classification"
    settings = TrainingSettings.from_doc(doc).with_changes(
        recipe=recipe, device=options.device, bf16=options.bf16, tf32=options.tf32,
        channels_last=options.channels_last, torch_compile=options.torch_compile, seed=0,
        validation_split=0.0, drop_last=True)
    if options.batch_size is not None:
        settings = settings.with_changes(batch_size=options.batch_size)
    return doc, settings


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def engine_rate(name: str, options: Options) -> tuple[float, str, float]:
    """Samples/s of netbuilder's engine (median over the epochs after the first), its path,
    and its set-up seconds (to the Started event: capture, and compiling with torch_compile).
    """
    x, y, epochs = _data(name, options)
    doc, settings = _settings(name, options)
    settings = settings.with_changes(epochs=epochs + 1)
    probe_interval = 1.0 / options.probes if options.probes else None
    rates, path, setup_s = [], "", 0.0
    start = time.perf_counter()
    for event in train(doc, Dataset("bench", DataSplit(x, y)), settings,
                       probe_interval=probe_interval):
        if isinstance(event, Started):
            setup_s = time.perf_counter() - start
            path = event.fast_path + (f" ({event.fallback_reason})"
                                      if event.fallback_reason else "")
        elif isinstance(event, EpochEnd) and event.epoch > 1:
            rates.append(event.samples_per_s)
        elif isinstance(event, Failed):
            raise RuntimeError(event.message)
    return statistics.median(rates), path, setup_s


def tutorial_rate(name: str, options: Options) -> float:
    """Samples/s of (a), the DataLoader loop of the tutorials (first epoch not timed)."""
    x, y, epochs = _data(name, options)
    doc, settings = _settings(name, options)
    device = options.device
    torch.manual_seed(0)
    model = compile_network(doc, with_losses=True).module.to(device)
    optimizer = make_optimizer(model.parameters(), settings)
    loader = DataLoader(TensorDataset(x, y), batch_size=settings.batch_size, shuffle=True)
    seconds = []
    for _ in range(epochs + 1):
        _sync(device)
        start = time.perf_counter()
        running = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            _, losses = model(xb, yb)
            loss = sum(losses.values())
            loss.backward()
            optimizer.step()
            running += loss.item()
        _sync(device)
        seconds.append(time.perf_counter() - start)
    return x.shape[0] / statistics.median(seconds[1:])


@dataclass
class GraphLoop:
    """(b): the hand-written whole-step loop, captured as one CUDA graph on a GPU.

    Args:
        name: the bundled example (its model, and CASES' data).
        options: device, batch size, tf32/bf16/channels-last.
        step_log: also append each step's loss to a StepLog inside the step.
        compiled: run ``torch.compile`` on the model before the warm-up (and capture).
    """

    name: str
    options: Options
    step_log: bool = True
    compiled: bool = False
    compile_s: float = 0.0
    losses: list[float] = field(default_factory=list)

    def rate(self) -> float:
        """Samples/s over the epochs after the first (median)."""
        with float32_matmuls(self.options.tf32):
            return self._run()

    def _run(self) -> float:
        device = torch.device(self.options.device)
        x, y, epochs = _data(self.name, self.options)
        doc, settings = _settings(self.name, self.options)
        batch = settings.batch_size
        torch.manual_seed(0)
        model: Any = compile_network(doc, with_losses=True).module.to(device)
        if self.options.channels_last and x.ndim == 4:
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        x, y = x.to(device), y.to(device)
        capture = device.type == "cuda"
        if capture:  # a device learning rate, as the engine's captured step has
            optimizer = torch.optim.Adam(model.parameters(), lr=torch.tensor(
                settings.lr, device=device), capturable=True, foreach=True)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
        if self.compiled:
            model = torch.compile(model)
        static_x = torch.empty_like(x[:batch])  # channels-last when x is
        static_y = torch.empty_like(y[:batch])
        total = torch.zeros(1, device=device)
        log = StepLog(1, device) if self.step_log else None

        def body() -> None:
            with autocast(device, self.options.bf16):
                _, parts = model(static_x, static_y)
                loss = sum(parts.values())
            assert isinstance(loss, torch.Tensor)
            loss.backward()
            optimizer.step()
            total.add_(loss.detach().float() * batch)
            if log is not None:
                log.write(loss.reshape(1))

        def fill(index: torch.Tensor) -> None:
            torch.index_select(x, 0, index, out=static_x)
            torch.index_select(y, 0, index, out=static_y)

        start = time.perf_counter()
        fill(torch.arange(batch, device=device))
        with _side_stream(capture):
            for _ in range(WARMUP_STEPS):  # compiles, when compiled; allocates the state
                optimizer.zero_grad(set_to_none=True)
                body()
        _sync(device.type)
        self.compile_s = time.perf_counter() - start
        optimizer.zero_grad(set_to_none=True)
        if capture:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                body()  # gradients allocated in the graph's pool, overwritten by each replay
            step: Callable[[], None] = graph.replay
        else:
            def step() -> None:
                optimizer.zero_grad(set_to_none=True)
                body()

        steps = x.shape[0] // batch
        shuffle = torch.Generator(device=device).manual_seed(0)
        host = torch.zeros(1, pin_memory=capture)
        kept = torch.zeros(1, pin_memory=capture)  # stands for the engine's copy of the rows
        seconds = []
        for _ in range(epochs + 1):
            total.zero_()
            _sync(device.type)
            epoch_start = read_at = time.perf_counter()
            order = torch.randperm(x.shape[0], device=device, generator=shuffle)
            unread = 0
            for index in range(steps):
                fill(order[index * batch:(index + 1) * batch])
                step()
                unread += 1
                if (time.perf_counter() - read_at >= READ_INTERVAL_S
                        or (log is not None and unread == log.capacity)):
                    host.copy_(total, non_blocking=True)
                    if log is not None:  # every step's loss, read with the report
                        kept.copy_(log.rows(unread).flatten()[:1], non_blocking=True)
                        log.rewind()
                    read_at, unread = time.perf_counter(), 0
            host.copy_(total, non_blocking=True)
            _sync(device.type)
            seconds.append(time.perf_counter() - epoch_start)
            self.losses.append(float(host) / (steps * batch))
        return steps * batch / statistics.median(seconds[1:])


@contextlib.contextmanager
def _side_stream(cuda: bool) -> Iterator[None]:
    """Warm-up before capture runs on a side stream (CUDA's rule); elsewhere as it is."""
    if not cuda:
        yield
        return
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        yield
    torch.cuda.current_stream().wait_stream(side)


@dataclass
class Row:
    """One model under one set of options: every rate measured, in samples/s."""

    model: str
    options: str
    device: str
    batch_size: int
    engine: float = 0.0
    engine_path: str = ""
    tutorial: float | None = None
    graph: float | None = None
    graph_without_step_log: float | None = None
    compiled_graph: float | None = None
    compile_s: float | None = None
    compiled_engine: float | None = None
    engine_compile_s: float | None = None
    errors: list[str] = field(default_factory=list)

    def ratio(self, other: float | None) -> float | None:
        return self.engine / other if other and self.engine else None

    def line(self) -> str:
        text = (f"{self.model:22s} {self.options:16s} engine {self.engine:10.0f} samples/s "
                f"[{self.engine_path}]")
        for label, rate in (("(a) tutorial", self.tutorial), ("(b) graph", self.graph)):
            if rate is not None:
                text += f"   {label} {rate:10.0f} ({self.ratio(rate):.2f}x)"
        if self.graph_without_step_log is not None and self.graph:
            text += f"   step-log cost {step_log_cost(self):.1%}"
        if self.compiled_graph is not None:
            text += (f"   (b) compiled {self.compiled_graph:10.0f} "
                     f"(compile {self.compile_s:.0f} s)")
        if self.compiled_engine is not None:
            text += (f"   engine compiled {self.compiled_engine:10.0f} "
                     f"(set-up {self.engine_compile_s:.0f} s)")
        return text + "".join(f"   ERROR {error}" for error in self.errors)


def step_log_cost(row: Row) -> float | None:
    """The fraction of (b)'s throughput that the per-step loss record costs."""
    if not row.graph or not row.graph_without_step_log:
        return None
    return 1.0 - row.graph / row.graph_without_step_log


def measure(name: str, options: Options, *, tutorial: bool = True, graph: bool = True,
            step_log: bool = False, compiled: bool = False) -> Row:
    """Every asked-for rate of one model; a loop that fails is recorded in ``errors``."""
    batch = _settings(name, options)[1].batch_size
    row = Row(name, options.label(), options.device, batch)
    graph_options = Options(**{**asdict(options), "probes": 0.0})
    jobs: list[tuple[str, Callable[[], None]]] = [("engine", lambda: _engine_into(row, options))]
    if tutorial:
        jobs.append(("tutorial", lambda: setattr(row, "tutorial", tutorial_rate(name, options))))
    if graph:
        jobs.append(("graph", lambda: setattr(row, "graph",
                                              GraphLoop(name, graph_options).rate())))
    if step_log:
        jobs.append(("graph without step log", lambda: setattr(
            row, "graph_without_step_log", GraphLoop(name, graph_options, False).rate())))
    if compiled:
        jobs.append(("compiled graph", lambda: _compiled_into(row, name, graph_options)))
        jobs.append(("compiled engine", lambda: _compiled_engine_into(row, name, options)))
    for what, job in jobs:
        try:
            job()
        except Exception as error:  # recorded: the other loops still run
            row.errors.append(f"{what}: {type(error).__name__}: "
                              f"{next(iter(str(error).splitlines()), '')}")
    return row


def _engine_into(row: Row, options: Options) -> None:
    row.engine, row.engine_path, _ = engine_rate(row.model, options)


def _compiled_engine_into(row: Row, name: str, options: Options) -> None:
    compiled = Options(**{**asdict(options), "torch_compile": True})
    row.compiled_engine, _, row.engine_compile_s = engine_rate(name, compiled)


def _compiled_into(row: Row, name: str, options: Options) -> None:
    loop = GraphLoop(name, options, compiled=True)
    row.compiled_graph = loop.rate()
    row.compile_s = loop.compile_s


def main(device: str = "cpu", batch_size: int | None = None, *, probes: float = 0.0,
         tf32: bool = False, bf16: bool = False, channels_last: bool = False,
         compiled: bool = False, step_log: bool = False, models: list[str] | None = None,
         tutorial: bool = True, samples: int | None = None, epochs: int | None = None,
         json_path: str | None = None) -> list[Row]:
    """Measures each model and prints one line for each; with ``json_path`` also writes the
    rows there after each model (a run cut short by a time limit keeps what it measured)."""
    options = Options(device, batch_size, probes, tf32, bf16, channels_last, samples=samples,
                      epochs=epochs)
    keep_freed_memory()  # every loop under the engine's allocator settings (see above)
    rows = []
    for name in models or list(CASES):
        row = measure(name, options, tutorial=tutorial, step_log=step_log, compiled=compiled)
        print(row.line(), flush=True)
        rows.append(row)
        if json_path:
            with open(json_path, "w", encoding="utf-8") as file:
                json.dump([{**asdict(r), "step_log_cost": step_log_cost(r)} for r in rows],
                          file, indent=1)
    return rows


def test_bench_training() -> None:
    """pytest entry point (tests/benchmarks is not collected by default)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rows = main(device)
    assert not any(row.errors for row in rows), [row.errors for row in rows]
    if device == "cpu":
        # Reported, not a tight timed assert: a loaded machine adds noise either way.
        assert all(row.ratio(row.tutorial) > 0.8 for row in rows), rows


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="instead of each example's own (the GPU table uses 128)")
    parser.add_argument("--probes", type=float, default=0.0, metavar="HZ",
                        help="the engine takes this many probes a second (default none)")
    parser.add_argument("--tf32", action="store_true", help="TensorFloat-32 matrix products")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast")
    parser.add_argument("--channels-last", action="store_true",
                        help="channels-last memory format (image models)")
    parser.add_argument("--compile", action="store_true",
                        help="also time (b) and the engine with torch.compile before capture "
                             "(minutes)")
    parser.add_argument("--step-log-cost", action="store_true",
                        help="also time (b) without the per-step loss record")
    parser.add_argument("--no-tutorial", action="store_true", help="skip (a)")
    parser.add_argument("--models", nargs="+", choices=list(CASES), help="default: all")
    parser.add_argument("--samples", type=int, help="samples per epoch instead of the case's")
    parser.add_argument("--epochs", type=int, help="timed epochs instead of the case's")
    parser.add_argument("--json", help="also write every row to this JSON file")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = _arguments()
    measured = main(arguments.device, arguments.batch_size, probes=arguments.probes,
                    tf32=arguments.tf32, bf16=arguments.bf16,
                    channels_last=arguments.channels_last, compiled=arguments.compile,
                    step_log=arguments.step_log_cost, models=arguments.models,
                    tutorial=not arguments.no_tutorial, samples=arguments.samples,
                    epochs=arguments.epochs, json_path=arguments.json)
    raise SystemExit(1 if any(row.errors for row in measured) else 0)
