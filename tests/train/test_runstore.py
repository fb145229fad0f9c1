"""The run history database: round trips, storage cost, levels, speed and two processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from netbuilder.core.errors import NetbuilderError
from netbuilder.train import runstore
from netbuilder.train.runstore import (
    LEVELS,
    RunInfo,
    RunRow,
    RunStore,
    RunStoreError,
)

REPO = Path(__file__).resolve().parents[2]


def _info(name: str = "run", started: float | None = None) -> RunInfo:
    return RunInfo(
        name=name, document="mnist_cnn.nbg", doc_hash="abc123", network="classifier",
        recipe="supervised", settings={"lr": 0.001, "batch_size": 64, "epochs": 3},
        device="cpu", parameters=1234, macs_per_sample=5678,
        started=time.time() if started is None else started)


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    """Runs ``code`` in a fresh Python that imports netbuilder from this checkout."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "history" / "runs.db"  # the folder is created
    store = RunStore(path)
    run_id = store.create_run(_info("first"))
    rng = np.random.default_rng(0)
    values = rng.standard_normal(100_000).astype(np.float32) * 10
    values[12345] = np.nan  # a diverging step keeps its NaN in the series
    sizes = [1, 3, 7, 1, 256, 1000, 4096, 5000, 1, 12_000]
    step, batch = 500, 0  # a series need not start at step 0
    while step - 500 < len(values):
        size = sizes[batch % len(sizes)]
        piece = values[step - 500:step - 500 + size]
        store.append_steps(run_id, "loss", step, piece)
        store.append_steps(run_id, "d_loss", step, piece * 2)
        step += len(piece)
        batch += 1
        if batch % 5 == 0:
            store.flush()
    for epoch in range(3):
        store.add_epoch(run_id, epoch, (epoch + 1) * 1000, 0.5 / (epoch + 1), 0.6,
                        0.9 + epoch / 100, 1e-3, 12345.0, {"d_loss": 0.1, "g_loss": 0.2})
    # Buffered data reads back before any flush too.
    first, got = store.steps(run_id)
    assert first == 500 and np.array_equal(got, values, equal_nan=True)
    assert len(store.epochs(run_id)) == 3
    store.update_run(run_id, samples_seen=6_400_000, final_loss=0.25, best_val_loss=0.3,
                     best_val_accuracy=0.97, metrics={"accuracy": np.float32(0.97)},
                     weights=tmp_path / "w.pt")
    store.flush()
    store.close()

    store = RunStore(path)
    first, got = store.steps(run_id)
    assert first == 500 and got.dtype == np.float32
    assert np.array_equal(got, values, equal_nan=True)
    assert np.array_equal(store.steps(run_id, "d_loss")[1], values * 2, equal_nan=True)
    assert store.series_names(run_id) == ["d_loss", "loss"]
    assert store.steps(run_id, "missing")[1].size == 0
    # Chunks were merged: thousands of values each, not one row per append.
    assert _count(path, "chunks") <= 2 * (len(values) // runstore.CHUNK_STEPS + 1)

    epochs = store.epochs(run_id)
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert epochs[1]["step"] == 2000 and epochs[1]["loss"] == pytest.approx(0.25)
    assert epochs[2]["parts"] == {"d_loss": 0.1, "g_loss": 0.2}
    assert epochs[0]["lr"] == pytest.approx(1e-3) and epochs[0]["samples_per_s"] == 12345.0

    (row,) = store.runs()
    assert isinstance(row, RunRow) and row.id == run_id
    assert (row.name, row.document, row.doc_hash, row.network, row.recipe, row.device) == (
        "first", "mnist_cnn.nbg", "abc123", "classifier", "supervised", "cpu")
    assert row.settings == {"lr": 0.001, "batch_size": 64, "epochs": 3}
    assert (row.parameters, row.macs_per_sample, row.samples_seen) == (1234, 5678, 6_400_000)
    assert row.steps == 500 + len(values)
    assert row.status == "running" and row.ended is None and not row.interrupted
    assert row.final_loss == 0.25 and row.best_val_loss == 0.3 and row.best_val_accuracy == 0.97
    assert row.metrics == {"accuracy": pytest.approx(0.97)}
    assert row.weights == str(tmp_path / "w.pt")
    assert row.compute == 3 * 5678 * 6_400_000

    store.rename(run_id, "renamed")
    assert store.run(run_id).name == "renamed"
    store.finish_run(run_id, "finished", final_loss=0.2)
    row = store.run(run_id)
    assert row.status == "finished" and row.ended is not None and row.final_loss == 0.2

    store.delete(run_id)
    assert store.runs() == []
    with pytest.raises(RunStoreError, match="not in the history"):
        store.run(run_id)
    store.close()
    for table in ("runs", "chunks", "levels", "series", "epochs"):
        assert _count(path, table) == 0, table


def test_pending_fields_and_validation(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run_id = store.create_run(_info())
        store.update_run(run_id, samples_seen=10, name="live")
        assert store.run(run_id).samples_seen == 10  # seen before the flush
        other = RunStore(tmp_path / "runs.db")
        assert other.run(run_id).samples_seen == 0  # another process sees it after
        store.flush()
        assert other.run(run_id).samples_seen == 10 and other.run(run_id).name == "live"

        with pytest.raises(ValueError, match="no field"):
            store.update_run(run_id, colour="red")
        with pytest.raises(ValueError, match="status"):
            store.update_run(run_id, status="exploded")
        with pytest.raises(TypeError):
            store.update_run(run_id, samples_seen=1.5)
        with pytest.raises(ValueError):
            store.finish_run(run_id, "running")

        store.append_steps(run_id, "loss", 0, np.zeros(10))
        with pytest.raises(ValueError, match="follow on"):
            store.append_steps(run_id, "loss", 11, np.zeros(10))
        with pytest.raises(ValueError):
            store.append_steps(run_id, "loss", 10, np.zeros((2, 2)))

        store.finish_run(run_id, "diverged", message="loss became NaN at step 9")
        # A finished run is no longer this store's: edits are written at once.
        store.update_run(run_id, weights="/tmp/w.pt")
        row = other.run(run_id)
        assert row.status == "diverged" and row.message == "loss became NaN at step 9"
        assert row.weights == "/tmp/w.pt" and row.steps == 10
        # A late append to a finished run continues after what is on disk.
        store.append_steps(run_id, "loss", 10, np.ones(5))
        store.flush()
        assert np.array_equal(other.steps(run_id)[1], np.r_[np.zeros(10), np.ones(5)])
        other.close()
        with pytest.raises(RunStoreError, match="not in the history"):
            store.rename(12345, "x")


def test_used_from_another_thread(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(_info())
    errors: list[BaseException] = []

    def work() -> None:
        try:
            store.append_steps(run_id, "loss", 0, np.arange(100))
            store.flush()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert not errors
    assert store.steps(run_id)[1].size == 100
    store.close()
    store.close()  # twice is harmless
    with pytest.raises(RunStoreError, match="closed"):
        store.runs()


def test_levels_follow_partial_blocks_across_flushes(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(_info())
    rng = np.random.default_rng(1)
    values = rng.standard_normal(300_000).astype(np.float32)
    start, step = 70_000, 0  # not on a block boundary of either level
    for size in [1, 100, 255, 257, 65_535, 3, 80_000, 10_000, 1]:
        store.append_steps(run_id, "loss", start + step, values[step:step + size])
        step += size
        store.flush()
    store.append_steps(run_id, "loss", start + step, values[step:])
    store.flush()
    for size in LEVELS:
        first_block, pairs = store._level(store._db, run_id, "loss", size, None)
        assert first_block == start // size
        padded = np.full((start // size + len(pairs)) * size, np.nan, dtype=np.float32)
        padded[start:start + len(values)] = values
        blocks = padded[first_block * size:].reshape(-1, size)
        assert np.array_equal(pairs[:, 0], np.nanmin(blocks, axis=1))
        assert np.array_equal(pairs[:, 1], np.nanmax(blocks, axis=1))
    store.close()


def test_storage_cost(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    run_id = store.create_run(_info())
    points = 1_000_000
    values = np.random.default_rng(2).standard_normal(points).astype(np.float32)
    for batch, first in enumerate(range(0, points, 1000)):
        store.append_steps(run_id, "loss", first, values[first:first + 1000])
        if batch % 20 == 0:  # about a second of data at 20k steps/s: the tail is rewritten
            store.flush()
    store.close()
    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    per_point = (pages - free) * page_size / points
    print(f"\nrun store: {per_point:.2f} bytes a point ({pages - free} pages of {page_size})")
    assert per_point < 10
    with RunStore(path) as store:
        assert np.array_equal(store.steps(run_id)[1], values)


@pytest.mark.parametrize("spike_at", [0, 1, 255, 256, 65_535, 65_536, 400_017, 999_999])
def test_overview_keeps_a_spike(tmp_path: Path, spike_at: int) -> None:
    store = RunStore(tmp_path / "runs.db")
    run_id = store.create_run(_info())
    values = np.zeros(1_000_000, dtype=np.float32)
    values[spike_at] = 1e6
    store.append_steps(run_id, "loss", 0, values[:600_000])
    store.flush()
    store.append_steps(run_id, "loss", 600_000, values[600_000:])  # still buffered
    for max_points in (10, 100, 4000, 20_000, 600_000, 2_000_000):
        steps, got = store.overview(run_id, max_points=max_points)
        assert len(steps) == len(got) <= 2 * max_points
        assert len(got) >= min(max_points // 2, len(values)) or max_points < 40
        assert np.all(np.diff(steps) > 0)
        assert got.max() == 1e6, max_points
        # The spike sits in the block that holds its step.
        spike = steps[np.argmax(got)]
        block = np.searchsorted(steps, spike_at, side="right") - 1
        assert steps[max(block - 1, 0)] <= spike <= steps[min(block + 2, len(steps) - 1)]
    store.flush()
    for size in LEVELS:  # every stored level has it
        _, pairs = store._level(store._db, run_id, "loss", size, None)
        assert pairs[:, 1].max() == 1e6 and pairs[:, 0].min() == 0
    store.close()


def test_overview_short_and_empty(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run_id = store.create_run(_info())
        steps, values = store.overview(run_id)
        assert steps.size == 0 and values.size == 0
        store.append_steps(run_id, "loss", 10, np.arange(100))
        steps, values = store.overview(run_id)
        assert np.array_equal(steps, np.arange(10, 110)) and np.array_equal(values, np.arange(100))


def test_listing_a_thousand_runs_is_fast(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(path)
    for index in range(1000):
        run_id = store.create_run(_info(f"run {index}", started=1e9 + index))
        store.append_steps(run_id, "loss", 0, np.linspace(2, 0.1, 300))
        store.add_epoch(run_id, 0, 299, 0.1, 0.2, 0.9, 1e-3, 5000.0, {})
        store.finish_run(run_id, "finished", samples_seen=19_200, final_loss=0.1,
                         metrics={"accuracy": 0.9, "confusion": [[1, 2], [3, 4]]})
    store.close()
    store = RunStore(path)
    began = time.perf_counter()
    rows = store.runs()
    took = time.perf_counter() - began
    print(f"\nrun store: runs() of 1,000 runs took {took * 1000:.1f} ms")
    assert len(rows) == 1000 and took < 1.0
    assert rows[0].name == "run 999" and rows[-1].name == "run 0"  # newest first
    assert rows[0].metrics["confusion"] == [[1, 2], [3, 4]] and rows[0].steps == 300
    store.close()


WRITER = """
    import sys, time
    import numpy as np
    from netbuilder.train.runstore import RunInfo, RunStore
    store = RunStore(sys.argv[1])
    run_id = store.create_run(RunInfo("killed", "doc", "h", "net", "supervised", {}, "cpu",
                                      1, 1, time.time()))
    step = 0
    while True:
        store.append_steps(run_id, "loss", step, np.arange(step, step + 50, dtype=np.float32))
        step += 50
        store.flush()
        time.sleep(0.2)
"""


def test_a_killed_writer_loses_only_its_last_second(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "runs.db"
    child = _child(WRITER, str(path))
    try:
        _wait_for(lambda: path.exists() and _flushed(path) >= 200)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    store = RunStore(path)
    (row,) = store.runs()
    assert row.name == "killed" and row.status == "running"
    first, values = store.steps(row.id)
    assert first == 0 and len(values) >= 200 and len(values) % 50 == 0
    assert np.array_equal(values, np.arange(len(values), dtype=np.float32))
    assert row.steps == len(values)
    assert not row.interrupted  # its heartbeat is fresh: it might still be writing
    monkeypatch.setattr(runstore, "STALE_S", 0.3)
    time.sleep(0.4)
    assert store.run(row.id).interrupted
    store.close()


def _flushed(path: Path) -> int:
    """Steps flushed by the writer so far (0 while it has not made the schema yet)."""
    try:
        with RunStore(path) as store:
            rows = store.runs()
            return len(store.steps(rows[0].id)[1]) if rows else 0
    except RunStoreError:
        return 0


TWIN = """
    import json, sys, time
    from pathlib import Path
    import numpy as np
    from netbuilder.train.runstore import RunInfo, RunStore
    store = RunStore(sys.argv[1])
    Path(sys.argv[2]).touch()
    while not Path(sys.argv[3]).exists():
        time.sleep(0.002)
    began = time.time()
    written = {}
    while time.time() - began < float(sys.argv[4]):
        index = len(written)
        run_id = store.create_run(RunInfo(f"child {index}", "doc", "h", "net", "supervised",
                                          {}, "cpu", 1, 1, time.time()))
        for step in range(0, 2000, 100):
            store.append_steps(run_id, "loss", step,
                               index * 1e4 + np.arange(step, step + 100, dtype=np.float32))
            store.add_epoch(run_id, step // 100, step, 0.1, None, None, None, None, {})
            store.flush()
        store.finish_run(run_id, "finished")
        written[f"child {index}"] = 2000
    store.close()
    print(json.dumps([began, time.time(), len(written)]))
"""


def test_two_processes_write_the_same_file(tmp_path: Path) -> None:
    path, ready, go = tmp_path / "runs.db", tmp_path / "ready", tmp_path / "go"
    store = RunStore(path)
    duration = 0.8  # each writes for this long, flushing in a tight loop
    child = _child(TWIN, str(path), str(ready), str(go), str(duration))
    try:
        _wait_for(lambda: ready.exists() or child.poll() is not None)
        go.touch()
        began, parents = time.time(), 0
        while time.time() - began < duration:
            run_id = store.create_run(_info(f"parent {parents}"))
            for step in range(0, 2000, 100):
                store.append_steps(run_id, "loss", step,
                                   parents * 1e4 + np.arange(step, step + 100, dtype=np.float32))
                store.add_epoch(run_id, step // 100, step, 0.1, None, None, None, None, {})
                store.flush()
                store.runs()  # reading while the other writes
            store.finish_run(run_id, "finished")
            parents += 1
        ended = time.time()
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    child_began, child_ended, children = json.loads(out)
    assert child_began < ended and began < child_ended  # they did write at the same time
    print(f"\nrun store: {parents} + {children} runs written by two processes at once")
    store.close()
    with RunStore(path) as store:
        rows = store.runs()
        assert sorted(row.name for row in rows) == sorted(
            [f"child {i}" for i in range(children)] + [f"parent {i}" for i in range(parents)])
        for row in rows:
            index = int(row.name.split()[1])
            first, values = store.steps(row.id)
            assert first == 0 and np.array_equal(values, index * 1e4 + np.arange(2000))
            assert len(store.epochs(row.id)) == 20 and row.status == "finished"


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    path.write_bytes(np.random.default_rng(3).bytes(8192))
    with pytest.raises(RunStoreError, match="not a netbuilder run history") as caught:
        RunStore(path)
    assert isinstance(caught.value, NetbuilderError) and "\n" not in str(caught.value)


def test_another_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(RunStoreError, match="not a netbuilder run history"):
        RunStore(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    RunStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {runstore.SCHEMA_VERSION + 1}")
    with pytest.raises(RunStoreError, match="newer netbuilder"):
        RunStore(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs file permissions that bind (not root)")
def test_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(RunStoreError, match="read-only"):
            RunStore(folder / "runs.db")
    finally:
        folder.chmod(0o755)


def test_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RunStoreError, match="cannot create the folder"):
        RunStore(blocker / "sub" / "runs.db")


def test_a_run_deleted_by_another_store_while_written(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    writer, other = RunStore(path), RunStore(path)
    run_id = writer.create_run(_info())
    writer.append_steps(run_id, "loss", 0, np.zeros(10))
    writer.flush()
    other.delete(run_id)
    writer.append_steps(run_id, "loss", 10, np.zeros(10))
    writer.flush()  # drops the data of the vanished run instead of leaving orphans
    writer.close()
    other.close()
    for table in ("runs", "chunks", "levels", "series"):
        assert _count(path, table) == 0, table
