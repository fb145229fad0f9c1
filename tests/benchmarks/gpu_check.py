"""Every check of the CUDA path in one run, for a GPU lent for a few minutes.

Run from the repository root: ``bash tests/benchmarks/gpu_check.sh`` (which runs this file),
with ``OUT`` naming an empty folder for the results (default: a new temporary folder). Steps, in the
order of their worth, each in its own process with its own time limit:

1. the device: GPU name, torch and CUDA versions, ``nvidia-smi``;
2. the fast path's tests, tests/train/test_loop_fast.py, and the other tests that check
   something on a GPU. pytest is in the GPU machines' image (pytest-qt is not, and no test run
   here needs Qt); where it is missing the step is recorded as skipped, saying so, and the
   rest runs: carry pytest's wheel then (the device notes say how);
3. the throughput benchmark at batch 128 (tests/benchmarks/bench_training.py --device cuda):
   the engine against (a) the tutorial loop and (b) the hand-written whole-step CUDA-graph
   loop, with the step-log cost; then with probes at 4 a second;
4. every bundled example trained for one epoch by ``netbuilder train EXAMPLE --device cuda``;
5. the training dock against headless training (tests/benchmarks/bench_dock.py, its train and
   probes parts: the dock's throughput targets), on the GPU and on the machine's CPU cores,
   when the app's Qt stack was carried (``python -m tests.benchmarks.qt_bundle`` here, then
   ``.qt`` in the call's carry; the image has no PySide6 or pyqtgraph);
6. the benchmark again with tf32, bf16 and channels-last (image model), each against (b)
   with the same setting;
7. last, and only when the time budget leaves room: (b) with ``torch.compile`` before capture
   and the engine with its ``torch_compile`` setting, on mnist_cnn, with their compile times.

A failing step is recorded and the next one runs. Each step is skipped when less time is left
in the budget (``--budget-s``, default 480 s, what a lent H100 allows after start-up) than
the step's least time. Without CUDA every GPU step is recorded as skipped ("no CUDA"), and the
summary is still written; ``--cpu`` runs the same steps on the CPU with tiny sizes, to check
the script itself.

Written under OUT (the device tool returns at most 8 files, two folders down):
``summary.md`` (tables ready for the README), ``summary.json`` (every step: command, exit
code, seconds, parsed results) and ``steps.log`` (every step's whole output).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BENCH = "tests/benchmarks/bench_training.py"
#: The tests run on the GPU: the fast path's, and those that branch on CUDA being there.
CUDA_TESTS = ("tests/train/test_loop_fast.py", "tests/train/test_optim.py",
              "tests/train/test_loop.py", "tests/train/test_headless_imports.py")
#: The benchmark's models whose Input is an image (channels-last matters there).
IMAGE_MODELS = ("mnist_cnn",)


@dataclass
class Step:
    """One command of the check and what came of it."""

    name: str
    command: list[str]
    timeout_s: float
    needs_s: float = 10.0  # skipped when less than this is left of the budget
    needs_cuda: bool = True
    status: str = "pending"  # ok, failed (exit N), timed out, skipped: why
    seconds: float = 0.0
    tail: str = ""
    results: Any = None


@dataclass
class Check:
    """The whole run: where it writes, its budget, its steps."""

    out: Path
    budget_s: float
    cuda: bool
    cpu: bool
    started: float = field(default_factory=time.monotonic)
    steps: list[Step] = field(default_factory=list)
    log: Any = None
    scratch: str = ""  # the train logs and benchmark JSON, read back into the summary
    last_output: str = ""

    def left(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def run(self, step: Step) -> Step:
        self.steps.append(step)
        if step.needs_cuda and not self.cuda and not self.cpu:
            step.status = "skipped: no CUDA"
        elif self.left() < step.needs_s:
            step.status = f"skipped: time budget ({self.left():.0f} s left)"
        else:
            self._execute(step, min(step.timeout_s, max(self.left(), 1.0)))
        print(f"[{time.monotonic() - self.started:6.0f} s] {step.name}: {step.status} "
              f"({step.seconds:.0f} s)", flush=True)
        return step

    def _execute(self, step: Step, timeout: float) -> None:
        self.log.write(f"\n===== {step.name}\n$ {shlex.join(step.command)}\n")
        self.log.flush()
        start = time.monotonic()
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1",
               "QT_QPA_PLATFORM": "offscreen"}
        try:
            done = subprocess.run(step.command, cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=timeout, check=False)
            output = done.stdout + done.stderr
            step.status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            step.status = f"timed out after {timeout:.0f} s"
        except OSError as error:  # the program is not there
            output = str(error)
            step.status = f"could not start: {error.strerror}"
        step.seconds = time.monotonic() - start
        self.log.write(output + f"\n----- {step.status}, {step.seconds:.1f} s\n")
        self.log.flush()
        step.tail = "\n".join(output.strip().splitlines()[-15:])
        self.last_output = output


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _device_step(python: str) -> Step:
    code = ("import torch, platform; print('python', platform.python_version()); "
            "print('torch', torch.__version__, 'cuda', torch.version.cuda); "
            "ok = torch.cuda.is_available(); print('cuda available', ok); "
            "print('device', torch.cuda.get_device_name(0) if ok else 'cpu')")
    return Step("device", [python, "-c", code], 60, needs_cuda=False)


def _bench(check: Check, name: str, json_name: str, *flags: str, timeout: float,
           needs: float) -> Step:
    path = Path(check.scratch) / json_name
    device = ["--device", "cpu", "--samples", "256", "--epochs", "1"] if check.cpu else [
        "--device", "cuda"]
    step = check.run(Step(name, [sys.executable, BENCH, *device, "--batch-size", "128",
                                 "--json", str(path), *flags], timeout, needs))
    if path.exists():
        step.results = json.loads(path.read_text())
    return step


#: The groups of steps, in the order they run; ``--only`` picks some (a rerun after a fix).
GROUPS = ("tests", "bench", "examples", "dock", "settings", "compile")
#: The app's Qt stack, packed by tests/benchmarks/qt_bundle.py and carried.
QT_ARCHIVE = REPO / ".qt" / "qt.tar.xz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=os.environ.get("OUT") or None,
                        help="where the results go (default: $OUT, else a new temporary folder)")
    parser.add_argument("--budget-s", type=float, default=480.0,
                        help="the whole run's time; later steps are skipped past it")
    parser.add_argument("--cpu", action="store_true",
                        help="run the steps on the CPU with tiny sizes (checks this script)")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS),
                        help="run these groups of steps only (the device step always runs)")
    parser.add_argument("--tests", nargs="+", help="pytest these instead (e.g. one test)")
    parser.add_argument("--examples", nargs="+", help="train these examples only")
    arguments = parser.parse_args()
    out = Path(arguments.out or tempfile.mkdtemp(prefix="gpu_check_out_"))
    out.mkdir(parents=True, exist_ok=True)
    import torch  # after argparse: --help stays quick

    check = Check(out, arguments.budget_s, torch.cuda.is_available(), arguments.cpu)
    check.scratch = tempfile.mkdtemp(prefix="gpu_check_")
    with open(out / "steps.log", "w", encoding="utf-8") as log:
        check.log = log
        check.run(_device_step(sys.executable))
        if not arguments.cpu:
            check.run(Step("nvidia-smi", ["nvidia-smi"], 30, needs_cuda=True))
        for group in GROUPS:
            if group in arguments.only:
                RUNS[group](check, arguments)
    summary = {"device": check.steps[0].tail, "cuda": check.cuda, "cpu_dry_run": check.cpu,
               "budget_s": check.budget_s, "seconds": time.monotonic() - check.started,
               "steps": [asdict(step) for step in check.steps]}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(markdown(check), encoding="utf-8")
    print((out / "summary.md").read_text(encoding="utf-8"))
    return 0 if all(s.status == "ok" or s.status.startswith("skipped") for s in check.steps) \
        else 1


def _tests(check: Check, arguments: argparse.Namespace) -> None:
    tests = arguments.tests or (list(CUDA_TESTS[:1]) if check.cpu else list(CUDA_TESTS))
    if importlib.util.find_spec("pytest") is None:
        check.steps.append(Step("tests", [], 0, status="skipped: no pytest here (carry its "
                                "wheel as the device notes say)"))
        return
    check.run(Step("tests", [sys.executable, "-m", "pytest", *tests, "-q", "-p",
                             "no:cacheprovider"], 270, 60))


def _benchmarks(check: Check, _arguments: argparse.Namespace) -> None:
    _bench(check, "bench fp32: engine, (a) tutorial, (b) graph, step-log cost", "fp32.json",
           "--step-log-cost", timeout=150, needs=60)
    _bench(check, "bench fp32 with probes 4/s", "probes.json", "--probes", "4",
           "--no-tutorial", timeout=90, needs=40)


def _train_examples(check: Check, arguments: argparse.Namespace) -> None:
    names = arguments.examples or (["perceptron"] if check.cpu else _examples())
    device = "cpu" if check.cpu else "cuda"
    for name in names:
        log = Path(check.scratch) / f"{name}.jsonl"
        check.last_output = ""
        step = check.run(Step(f"train {name}", [
            sys.executable, "-m", "netbuilder", "train", name, "--device", device, "--epochs",
            "1", "--log", str(log)], 90, 20))
        step.results = _train_log(log, check.last_output)


def _dock(check: Check, _arguments: argparse.Namespace) -> None:
    # (device, runs, epochs of 16,384 samples, timeout, least time): on the GPU an epoch takes
    # well under a second, so more of them.
    plans = [("cpu", 1, 1, 300, 30)] if check.cpu else [("cuda", 2, 12, 200, 80),
                                                         ("cpu", 1, 2, 150, 60)]
    for device, runs, epochs, timeout, needs in plans:
        step = Step(f"dock on {device}: train and probes", [
            sys.executable, "-m", "tests.benchmarks.qt_bundle", "run", "--", "--only",
            "train,probes", "--device", device, "--runs", str(runs), "--epochs", str(epochs)],
            timeout, needs)
        if not QT_ARCHIVE.exists() and (check.cuda or check.cpu):
            step.status = ("skipped: no .qt/qt.tar.xz (python -m tests.benchmarks.qt_bundle "
                           "here, and .qt in the call's carry)")
            check.steps.append(step)
            continue
        check.last_output = ""
        check.run(step)
        step.results = [line.rstrip() for line in check.last_output.splitlines()
                        if line.startswith(DOCK_LINES)]


#: The lines of bench_dock's output that the summary keeps.
DOCK_LINES = ("Qt stack", "train (", "probes (", "  each run", "  GUI stalls",
              "  step to screen", "  pictures drawn")


def _speed_settings(check: Check, _arguments: argparse.Namespace) -> None:
    for flag, json_name in (("--tf32", "tf32.json"), ("--bf16", "bf16.json")):
        _bench(check, f"bench {flag[2:]}", json_name, flag, "--no-tutorial", timeout=90,
               needs=40)
    _bench(check, "bench channels-last (+bf16)", "channels_last.json", "--channels-last",
           "--bf16", "--no-tutorial", "--models", *IMAGE_MODELS, timeout=60, needs=30)


def _compile(check: Check, _arguments: argparse.Namespace) -> None:
    _bench(check, "bench compile: (b) and the engine with torch.compile, bf16", "compile.json",
           "--compile", "--bf16", "--no-tutorial", "--models", "mnist_cnn", timeout=300,
           needs=150)


RUNS = {"tests": _tests, "bench": _benchmarks, "examples": _train_examples,
        "dock": _dock, "settings": _speed_settings, "compile": _compile}


def _examples() -> list[str]:
    sys.path.insert(0, str(REPO))
    from netbuilder.resources import list_examples

    return list_examples()


def _train_log(path: Path, output: str) -> dict[str, Any] | None:
    """The run's step (captured or eager, and why, from the CLI's "training on" line) and how
    it ended (from its JSON lines)."""
    found: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith("training on "):
            how = line.split(", ", 1)[1] if ", " in line else line
            path_name, _, reason = how.partition(" step")
            found["fast_path"] = path_name
            found["fallback_reason"] = reason.strip().removeprefix("(").removesuffix(")")
            break
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("event") == "epoch_end":
                found["samples_per_s"] = record.get("samples_per_s")
                found["loss"] = record.get("loss")
            elif record.get("event") in ("finished", "failed"):
                found["end"] = record["event"]
                found["message"] = record.get("message")
    return found or None


def markdown(check: Check) -> str:
    """The summary: the device, each step's status, the README's GPU table and the rest."""
    lines = ["# GPU check", "", "```", check.steps[0].tail or "(no device step)", "```", "",
             "| step | status | seconds |", "| --- | --- | --- |"]
    lines += [f"| {s.name} | {s.status} | {s.seconds:.0f} |" for s in check.steps]
    rows = [(step.name, row) for step in check.steps if step.name.startswith("bench")
            and isinstance(step.results, list) for row in step.results]
    if rows:
        lines += ["", "## Throughput, batch 128 (samples/s; engine / loop)", "",
                  ("| model | settings | engine | path | (a) tutorial | engine/(a) | (b) graph | "
                   "engine/(b) | step-log cost | (b) compiled | compile s | engine compiled | "
                   "set-up s |"),
                  "| --- " * 13 + "|"]
        for _, row in rows:
            lines.append("| " + " | ".join([
                row["model"], row["options"], _number(row["engine"]),
                row["engine_path"].split(" (")[0], _number(row.get("tutorial")),
                _ratio(row["engine"], row.get("tutorial")), _number(row.get("graph")),
                _ratio(row["engine"], row.get("graph")), _percent(row.get("step_log_cost")),
                _number(row.get("compiled_graph")), _number(row.get("compile_s")),
                _number(row.get("compiled_engine")), _number(row.get("engine_compile_s"))])
                + " |")
            for error in row.get("errors", []):
                lines.append(f"| {row['model']} | {row['options']} | ERROR: "
                             f"{error.replace('|', '/')} |" + " |" * 10)
    trained = [s for s in check.steps if s.name.startswith("train ")]
    if trained:
        lines += ["", "## Every example, one epoch on the device", "",
                  "| example | status | path | samples/s | why not captured |",
                  "| --- | --- | --- | --- | --- |"]
        for step in trained:
            result = step.results or {}
            lines.append(f"| {step.name[6:]} | {step.status} | {result.get('fast_path', '')} "
                         f"| {_number(result.get('samples_per_s'))} | "
                         f"{(result.get('fallback_reason') or '').replace('|', '/')} |")
    docked = [s for s in check.steps if s.name.startswith("dock ") and s.results]
    if docked:
        lines += ["", "## The training dock against headless training", ""]
        for step in docked:
            lines += [f"{step.name}:", "", "```", *step.results, "```", ""]
    failing = [s for s in check.steps if not (s.status == "ok" or
                                              s.status.startswith("skipped"))]
    for step in failing:
        lines += ["", f"## {step.name}: {step.status}", "", "```", step.tail, "```"]
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _ratio(engine: float | None, other: float | None) -> str:
    return f"{engine / other:.2f}x" if engine and other else ""


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


if __name__ == "__main__":
    raise SystemExit(main())
