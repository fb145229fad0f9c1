"""The run history: every training run and every step of its losses, in one SQLite file.

Design:

- One embedded SQLite database (stdlib ``sqlite3``) holds all runs. A ``runs`` row says what
  was trained, where, how far it got and how it ended; the data grow in three side tables.
- Per-step series ("loss", "d_loss", ...) are stored as little-endian float32 chunks of
  :data:`CHUNK_STEPS` values in BLOBs: 4.25 bytes a point measured at 1M points, page
  overhead and levels included (one row per point costs about 22), and a chunk reads as one
  ``np.frombuffer`` (1M points in about 3 ms). The writer's appends (a few values at a time)
  wait in memory; :meth:`RunStore.flush` merges them into the series' last chunk, rewriting it
  until it is full, so even a slow run ends up with large chunks.
- Decimated levels (:data:`LEVELS`: min and max over blocks of 256 and of 65,536 steps, aligned
  on absolute step numbers) are kept up to date by the same flush, so that a run of 100M steps
  opens by reading a few hundred kilobytes. The last block of a level is usually partial; it is
  stored as it stands and merged with the next flush's values, so a reader always sees levels
  that cover every flushed step. Min and max (not the mean) keep a one-step spike visible.
- Per-epoch records are rows of ``epochs``; finals and user edits are columns of ``runs``.
- Concurrency: WAL journal, so readers never wait for a writer and one writer waits for
  another at most ``busy_timeout``; every write is one short ``BEGIN IMMEDIATE`` transaction
  (flushing a second of data, 20k steps of three series, takes about 0.6 ms). Two app
  instances can therefore write their own runs to the same file. ``synchronous=NORMAL``: a
  committed flush survives the writer being killed (SIGKILL), though not necessarily a power
  cut; a killed writer loses only what it had buffered since its last flush.
- Liveness: every flush stamps the writer's running runs with ``updated``. A run still
  "running" whose stamp is older than :data:`STALE_S` lost its writer (:attr:`RunRow.interrupted`).
- Fields the writer sets while a run is going (samples seen, best losses) are buffered with the
  data and written by the next flush; reads through the same store see them at once.
- The schema version is ``PRAGMA user_version``; a file from a newer netbuilder is refused with
  a clear message rather than misread.

One writer per run: two stores appending to the same run's series would interleave chunks.
A store is used by one thread at a time (a lock guards it), not necessarily the one that made it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.core.errors import NetbuilderError

SCHEMA_VERSION = 1
"""The ``PRAGMA user_version`` this module writes and reads."""

STALE_S = 15.0
"""A running run whose heartbeat is older than this (seconds) has lost its writer."""

BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another process's transaction before giving up."""

CHUNK_STEPS = 4096
"""Values a full chunk holds. 16 KiB of float32 fill four 4 KiB overflow pages almost exactly
(SQLite keeps 489 bytes of the row in the leaf page), which is why the figure is not rounder."""

LEVELS = (256, 65536)
"""Block sizes (in steps) of the decimated min/max levels, finest first."""

LEVEL_SEGMENT = 1024
"""Blocks a row of ``levels`` holds (8 KiB of min/max pairs)."""

STATUSES = ("running", "finished", "stopped", "failed", "diverged")
"""Every value ``runs.status`` takes."""

_FLOAT = np.dtype("<f4")  # on disk: little-endian float32, whatever machine wrote it

_UPDATABLE = frozenset({
    "samples_seen", "final_loss", "best_val_loss", "best_val_accuracy", "metrics", "status",
    "message", "ended", "weights", "name", "device",
})

_ROW_COLUMNS = (
    "id, name, document, doc_hash, network, recipe, settings, device, parameters, "
    "macs_per_sample, started, ended, updated, samples_seen, steps, final_loss, best_val_loss, "
    "best_val_accuracy, metrics, status, message, weights"
)

_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    network TEXT NOT NULL,
    recipe TEXT NOT NULL,
    settings TEXT NOT NULL,
    device TEXT NOT NULL,
    parameters INTEGER NOT NULL,
    macs_per_sample INTEGER NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    updated REAL NOT NULL,
    samples_seen INTEGER NOT NULL DEFAULT 0,
    steps INTEGER NOT NULL DEFAULT 0,
    final_loss REAL,
    best_val_loss REAL,
    best_val_accuracy REAL,
    metrics TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    message TEXT,
    weights TEXT
);
CREATE INDEX runs_started ON runs (started);
CREATE TABLE series (
    run_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    first_step INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE chunks (
    run_id INTEGER NOT NULL,
    series TEXT NOT NULL,
    first_step INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX chunks_key ON chunks (run_id, series, first_step);
CREATE TABLE levels (
    run_id INTEGER NOT NULL,
    series TEXT NOT NULL,
    block_size INTEGER NOT NULL,
    first_block INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE UNIQUE INDEX levels_key ON levels (run_id, series, block_size, first_block);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    loss REAL,
    val_loss REAL,
    val_accuracy REAL,
    lr REAL,
    samples_per_s REAL,
    parts TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
"""
# `data` is the last column of chunks and levels: the leading columns then sit in the leaf
# page and a query on them never touches the BLOB's overflow pages.


class RunStoreError(NetbuilderError):
    """The run history file cannot be opened, read or written; the message says why."""


@dataclass(frozen=True)
class RunInfo:
    """What is known about a run when it starts.

    Attributes:
        name: the run's display name (the user can edit it later).
        document: display name of the graph trained.
        doc_hash: hash of the graph's saved form, to find runs of the same graph.
        network: the network trained (a document may hold several).
        recipe: the training recipe's name.
        settings: the training settings, JSON-able (numpy scalars and paths are converted).
        device: where it runs, e.g. "cuda:0 (NVIDIA H200)".
        parameters: trainable parameters.
        macs_per_sample: multiply-adds of one sample's forward pass.
        started: ``time.time()`` at the start.
    """

    name: str
    document: str
    doc_hash: str
    network: str
    recipe: str
    settings: dict[str, Any]
    device: str
    parameters: int
    macs_per_sample: int
    started: float


@dataclass(frozen=True)
class RunRow:
    """One run as :meth:`RunStore.runs` lists it: its fields, none of its series.

    ``steps`` is one past the last step recorded in any series (the number of steps when they
    count from 0); ``updated`` is the writer's last heartbeat (``time.time()``).
    """

    id: int
    name: str
    document: str
    doc_hash: str
    network: str
    recipe: str
    settings: dict[str, Any]
    device: str
    parameters: int
    macs_per_sample: int
    started: float
    ended: float | None
    samples_seen: int
    steps: int
    final_loss: float | None
    best_val_loss: float | None
    best_val_accuracy: float | None
    metrics: dict[str, Any]
    status: str
    message: str | None
    weights: str | None
    updated: float = 0.0

    @property
    def compute(self) -> float:
        """Multiply-adds spent: forward plus backward (about twice the forward) per sample."""
        return 3.0 * self.macs_per_sample * self.samples_seen

    @property
    def interrupted(self) -> bool:
        """The run says "running" but its writer stopped beating: the process died."""
        # STALE_S is read at each call so that a test (or the app) can change it.
        return self.status == "running" and time.time() - self.updated > STALE_S


@dataclass
class _Tail:
    """The last row of a series' chunks (or of one level), as it stands in the database.

    ``first`` is its first step (chunks) or first block index (levels); ``data`` its values,
    or an (n, 2) array of min/max pairs for a level.
    """

    rowid: int
    first: int
    data: np.ndarray


@dataclass
class _Series:
    """What a writer knows of one series: where it stands on disk and what waits in memory."""

    first_step: int | None = None  # first step stored or pending; None: nothing yet
    stored: int = 0  # values in the database
    chunk: _Tail | None = None
    levels: dict[int, _Tail | None] = field(default_factory=lambda: dict.fromkeys(LEVELS))
    pending: list[np.ndarray] = field(default_factory=list)
    pending_count: int = 0

    @property
    def next_step(self) -> int | None:
        """The step the next append must start at (None: any)."""
        if self.first_step is None:
            return None
        return self.first_step + self.stored + self.pending_count


def _json_default(value: Any) -> Any:
    """Turns numpy scalars and arrays, paths and the like into JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, default=_json_default)


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        # A damaged JSON column must not hide the run from the history list.
        return {}
    return value if isinstance(value, dict) else {}


def _optional_float(name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a number or None, not {value!r}") from error


def _block_minmax(first_step: int, values: np.ndarray, size: int) -> tuple[int, np.ndarray]:
    """Min and max of ``values`` (steps from ``first_step``) over blocks of ``size`` steps.

    Blocks are aligned on absolute steps (block b covers steps b*size .. b*size+size-1), so the
    first and last may be partial. NaN is skipped unless a whole block is NaN.

    Returns:
        The first block's index and an (n, 2) float32 array of (min, max) pairs.
    """
    first_block = first_step // size
    last_block = (first_step + len(values) - 1) // size
    starts = np.arange(first_block, last_block + 1, dtype=np.int64) * size - first_step
    starts[0] = 0
    pairs = np.empty((len(starts), 2), dtype=np.float32)
    pairs[:, 0] = np.fmin.reduceat(values, starts)
    pairs[:, 1] = np.fmax.reduceat(values, starts)
    return first_block, pairs


def _merge_pairs(
    first_a: int, pairs_a: np.ndarray, first_b: int, pairs_b: np.ndarray
) -> np.ndarray:
    """Joins two consecutive runs of blocks; the boundary block may be in both (merged)."""
    end_a = first_a + len(pairs_a)
    if len(pairs_a) and first_b == end_a - 1:
        joint = np.concatenate([pairs_a, pairs_b[1:]])
        joint[len(pairs_a) - 1, 0] = np.fmin(pairs_a[-1, 0], pairs_b[0, 0])
        joint[len(pairs_a) - 1, 1] = np.fmax(pairs_a[-1, 1], pairs_b[0, 1])
        return joint
    if len(pairs_a) and first_b != end_a:
        raise RunStoreError(f"level blocks {first_a}+{len(pairs_a)} and {first_b} do not meet")
    return np.concatenate([pairs_a, pairs_b])


def _plan_rows(
    tail: _Tail | None, first: int, data: np.ndarray, row_size: int, overlaps: bool
) -> tuple[int | None, list[tuple[int, np.ndarray]]]:
    """Splits new data into rows of at most ``row_size``, extending the tail row first.

    Args:
        tail: the last stored row, or None.
        first: index (step or block) of ``data[0]``.
        data: the new values (or pairs), already merged with the tail's last block where
            ``overlaps`` says that the first of them replaces it.
        row_size: most entries a row holds.
        overlaps: ``data[0]`` is the tail's last entry, updated.

    Returns:
        The rowid to rewrite with the first planned row (None: all rows are new), and the rows
        as (first index, data) pairs.
    """
    rowid = None
    if tail is not None and (overlaps or len(tail.data) < row_size):
        keep = len(tail.data) - 1 if overlaps else len(tail.data)
        data = np.concatenate([tail.data[:keep], data])
        first = tail.first
        rowid = tail.rowid
    rows = [(first + start, data[start:start + row_size])
            for start in range(0, len(data), row_size)]
    return rowid, rows


def _envelope(
    first_step: int, last_step: int, first_block: int, size: int, pairs: np.ndarray,
    max_points: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a min/max envelope over consecutive blocks, merged to fit ``max_points``.

    Each (merged) block gives two points: its min at its first step and its max halfway
    through the steps it covers, so that steps strictly increase.
    """
    groups_wanted = max(1, max_points // 2)
    group = -(-len(pairs) // groups_wanted)
    if group > 1:
        starts = np.arange(0, len(pairs), group)
        merged = np.empty((len(starts), 2), dtype=np.float32)
        merged[:, 0] = np.fmin.reduceat(pairs[:, 0], starts)
        merged[:, 1] = np.fmax.reduceat(pairs[:, 1], starts)
        pairs = merged
        # Groups count from the first block, not from step 0: their edges are only for show.
        lo = first_block * size + np.arange(len(pairs), dtype=np.int64) * size * group
        size *= group
    else:
        lo = (first_block + np.arange(len(pairs), dtype=np.int64)) * size
    hi = np.minimum(lo + size - 1, last_step)
    lo = np.maximum(lo, first_step)
    steps = np.empty(2 * len(pairs), dtype=np.float64)
    steps[0::2] = lo
    steps[1::2] = lo + (hi - lo + 1) / 2.0
    values = np.empty(2 * len(pairs), dtype=np.float32)
    values[0::2] = pairs[:, 0]
    values[1::2] = pairs[:, 1]
    return steps, values


class RunStore:
    """The run history in one SQLite file; see the module's docstring for the design.

    Args:
        path: the database file; its folder and the file are created if missing.

    Raises:
        RunStoreError: the file is not a run history, is damaged, was written by a newer
            netbuilder, or its folder cannot be written.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._series: dict[int, dict[str, _Series]] = {}  # run id -> name -> state
        self._epochs: dict[int, dict[int, tuple[Any, ...]]] = {}  # run id -> epoch -> record
        self._updates: dict[int, dict[str, Any]] = {}  # run id -> column -> database value
        self._active: set[int] = set()  # runs this store writes: heartbeat at every flush
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunStoreError(
                f"cannot create the folder of the run history {self.path}: "
                f"{error.strerror or error}") from error
        try:
            # isolation_level=None: no implicit transactions; every write opens its own
            # BEGIN IMMEDIATE, so a lock is taken at the start and never upgraded (upgrades
            # are what deadlock two writers into "database is locked").
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                check_same_thread=False)
            self._open()
        except sqlite3.Error as error:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            raise self._error("open", error) from error
        except RunStoreError:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            raise

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> None:
        conn = self._db
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # not a database: raises
        self._check_version(version)
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise RunStoreError(f"the run history {self.path} cannot use a write-ahead log "
                                "(is it on a network drive?)")
        conn.execute("PRAGMA synchronous = NORMAL")
        if version == 0:
            # Only an empty file takes auto_vacuum; freed pages of deleted runs then go back
            # to the file system through incremental_vacuum.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            with self._write():
                # Another process may have created the schema while this one waited.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                self._check_version(version)
                if version == 0:
                    tables = conn.execute(
                        "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                    ).fetchone()[0]
                    if tables:
                        raise RunStoreError(
                            f"{self.path} is an SQLite database but not a netbuilder run "
                            "history")
                    # Statement by statement: executescript() would commit this transaction.
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise RunStoreError(
                f"the run history {self.path} was written by a newer netbuilder (schema "
                f"version {version}; this one reads up to {SCHEMA_VERSION}): update netbuilder")

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RunStoreError(f"the run history {self.path} is closed")
        return self._conn

    def _error(self, action: str, error: sqlite3.Error) -> RunStoreError:
        """A one-line RunStoreError for a failed sqlite3 call."""
        text = str(error)
        lowered = text.lower()
        where = f"the run history {self.path}"
        if "not a database" in lowered:
            return RunStoreError(f"{self.path} is not a netbuilder run history (not an SQLite "
                                 "database)")
        if "malformed" in lowered or "corrupt" in lowered:
            return RunStoreError(f"{where} is damaged ({text}); move it away to start a new one")
        if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
            folder = self.path.parent
            if not os.access(folder, os.W_OK):
                return RunStoreError(f"cannot {action} {where}: the folder {folder} is "
                                     "read-only")
            if self.path.exists() and not os.access(self.path, os.W_OK):
                return RunStoreError(f"cannot {action} {where}: the file is read-only")
            return RunStoreError(f"cannot {action} {where}: {text}")
        if "locked" in lowered or "busy" in lowered:
            return RunStoreError(f"cannot {action} {where}: another program kept it locked "
                                 f"for more than {BUSY_TIMEOUT_S:g} s")
        return RunStoreError(f"cannot {action} {where}: {text}")

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[sqlite3.Connection]:
        """Holds the lock and turns sqlite3's errors into RunStoreError."""
        with self._lock:
            conn = self._db
            try:
                yield conn
            except sqlite3.Error as error:
                raise self._error(action, error) from error

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), rolled back on error."""
        conn = self._db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # Also after a failed COMMIT: a transaction left open would make the next BEGIN
            # fail. The original error is the one worth reporting.
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: its statements see one snapshot, whatever writers do."""
        conn = self._db
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------

    def create_run(self, info: RunInfo) -> int:
        """Adds a run with status "running"; returns its id. Written at once."""
        with self._guard("add a run to") as conn:
            with self._write():
                cursor = conn.execute(
                    "INSERT INTO runs (name, document, doc_hash, network, recipe, settings, "
                    "device, parameters, macs_per_sample, started, updated, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                    (info.name, info.document, info.doc_hash, info.network, info.recipe,
                     _dumps(info.settings), info.device, int(info.parameters),
                     int(info.macs_per_sample), float(info.started), time.time()))
            run_id = int(cursor.lastrowid or 0)
            self._active.add(run_id)
            return run_id

    def append_steps(self, run_id: int, series: str, first_step: int, values: np.ndarray) -> None:
        """Appends one value per step to a series, from ``first_step`` on; buffered until flush.

        Args:
            run_id: the run.
            series: the series' name ("loss", "d_loss", ...).
            first_step: the step of ``values[0]``; must follow the series' last step.
            values: 1-D, any real dtype (stored as float32; copied, so the caller may reuse
                its buffer).

        Raises:
            ValueError: the steps do not follow on from the series' last one.
        """
        array = np.array(values, dtype=np.float32)
        if array.ndim > 1:
            raise ValueError(f"append_steps takes a 1-D array, not shape {array.shape}")
        array = array.reshape(-1)
        if not len(array):
            return
        if first_step < 0:
            raise ValueError(f"steps count from 0, not {first_step}")
        with self._guard("read"):
            state = self._state(run_id, series)
            expected = state.next_step
            if expected is not None and first_step != expected:
                raise ValueError(
                    f"run {run_id} series {series!r}: steps must follow on from step "
                    f"{expected - 1}, not start at {first_step}")
            if state.first_step is None:
                state.first_step = int(first_step)
            state.pending.append(array)
            state.pending_count += len(array)

    def _state(self, run_id: int, series: str) -> _Series:
        """The writer's state of a series, read from the database the first time."""
        key = (run_id, series)
        state = self._series.get(run_id, {}).get(series)
        if state is not None:
            return state
        state = _Series()
        if run_id not in self._active:
            # A run this store did not create may already hold data: continue after it.
            conn = self._db
            row = conn.execute("SELECT first_step, count FROM series WHERE run_id = ? AND "
                               "name = ?", key).fetchone()
            if row is not None:
                state.first_step, state.stored = int(row[0]), int(row[1])
                last = conn.execute(
                    "SELECT rowid, first_step, data FROM chunks WHERE run_id = ? AND "
                    "series = ? ORDER BY first_step DESC LIMIT 1", key).fetchone()
                if last is not None:
                    state.chunk = _Tail(last[0], last[1], np.frombuffer(last[2], _FLOAT))
                for size in LEVELS:
                    last = conn.execute(
                        "SELECT rowid, first_block, data FROM levels WHERE run_id = ? AND "
                        "series = ? AND block_size = ? ORDER BY first_block DESC LIMIT 1",
                        (*key, size)).fetchone()
                    if last is not None:
                        pairs = np.frombuffer(last[2], _FLOAT).reshape(-1, 2)
                        state.levels[size] = _Tail(last[0], last[1], pairs)
        self._series.setdefault(run_id, {})[series] = state
        return state

    def add_epoch(
        self,
        run_id: int,
        epoch: int,
        step: int,
        loss: float | None,
        val_loss: float | None,
        val_accuracy: float | None,
        lr: float | None,
        samples_per_s: float | None,
        parts: dict[str, float],
    ) -> None:
        """Records the figures of one epoch (a second record of an epoch replaces the first).

        Buffered until the next flush. SQLite stores NaN as NULL: a NaN loss reads back None.
        """
        record = (
            int(step), _optional_float("loss", loss), _optional_float("val_loss", val_loss),
            _optional_float("val_accuracy", val_accuracy), _optional_float("lr", lr),
            _optional_float("samples_per_s", samples_per_s),
            _dumps({str(k): float(v) for k, v in parts.items()}),
        )
        with self._lock:
            self._epochs.setdefault(run_id, {})[int(epoch)] = record

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Sets fields of a run.

        Fields: samples_seen, final_loss, best_val_loss, best_val_accuracy, metrics (a dict),
        status, message, ended, weights (a path), name. For a run this store is writing they
        wait for the next flush (a writer may call this at every report); for any other run
        they are written at once.

        Raises:
            ValueError: an unknown field or status.
            TypeError: a value of the wrong type.
            RunStoreError: the run is not in the history (written at once only).
        """
        values = self._columns(fields)
        with self._lock:
            if run_id in self._active:
                self._updates.setdefault(run_id, {}).update(values)
                return
        if values:
            self._write_fields(run_id, values, "update a run in")

    def _columns(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Checks ``update_run``'s fields and turns them into column values."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"runs have no field(s) {', '.join(sorted(unknown))} to update; "
                             f"known: {', '.join(sorted(_UPDATABLE))}")
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "samples_seen":
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    raise TypeError(f"samples_seen must be an int, not {value!r}")
                values[name] = int(value)
            elif name in ("final_loss", "best_val_loss", "best_val_accuracy", "ended"):
                values[name] = _optional_float(name, value)
            elif name == "metrics":
                if not isinstance(value, dict):
                    raise TypeError(f"metrics must be a dict, not {type(value).__name__}")
                values[name] = _dumps(value)
            elif name == "status":
                if value not in STATUSES:
                    raise ValueError(f"status must be one of {', '.join(STATUSES)}, not "
                                     f"{value!r}")
                values[name] = value
            elif name == "name":
                if not isinstance(value, str):
                    raise TypeError(f"name must be a str, not {type(value).__name__}")
                values[name] = value
            else:  # message, weights
                values[name] = None if value is None else os.fspath(value)
        return values

    def _write_fields(self, run_id: int, values: dict[str, Any], action: str) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._guard(action), self._write() as conn:
            cursor = conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?",
                                  (*values.values(), run_id))
            if cursor.rowcount == 0:
                raise RunStoreError(f"run {run_id} is not in the history (deleted?)")

    def flush(self) -> None:
        """Writes the buffered steps, epochs and fields, and stamps the running runs' heartbeat.

        One short transaction. If it fails (disk full, another process holding the lock too
        long) nothing is lost from memory and the next flush tries again. Data of a run that
        another process deleted is dropped.
        """
        with self._guard("write to"):
            runs = set(self._active) | set(self._updates) | set(self._epochs)
            runs.update(run_id for run_id, states in self._series.items()
                        if any(state.pending for state in states.values()))
            if not runs:
                return
            now = time.time()
            installs: list[tuple[_Series, int, _Tail | None, dict[int, _Tail | None]]] = []
            gone: set[int] = set()
            with self._write() as conn:
                for run_id in sorted(runs):
                    if not self._flush_run(conn, run_id, now, installs):
                        gone.add(run_id)
            # Committed: only now does the memory follow, so a failed flush can be retried.
            for state, count, chunk, levels in installs:
                state.stored += count
                state.chunk = chunk
                state.levels = levels
                state.pending = []
                state.pending_count = 0
            self._epochs.clear()
            self._updates.clear()
            for run_id in gone:
                self._forget(run_id)

    def _flush_run(
        self,
        conn: sqlite3.Connection,
        run_id: int,
        now: float,
        installs: list[tuple[_Series, int, _Tail | None, dict[int, _Tail | None]]],
    ) -> bool:
        """Writes one run's buffers inside flush's transaction; False: the run is gone."""
        values = dict(self._updates.get(run_id, {}))
        values["updated"] = now
        states = self._series.get(run_id, {})
        last_step = max((state.next_step or 0 for state in states.values()), default=0)
        assignments = ", ".join(f"{name} = ?" for name in values)
        cursor = conn.execute(
            f"UPDATE runs SET {assignments}, steps = max(steps, ?) WHERE id = ?",
            (*values.values(), last_step, run_id))
        if cursor.rowcount == 0:
            return False
        for name, state in states.items():
            if state.pending:
                installs.append(self._flush_series(conn, run_id, name, state))
        conn.executemany(
            "INSERT OR REPLACE INTO epochs (run_id, epoch, step, loss, val_loss, val_accuracy, "
            "lr, samples_per_s, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, epoch, *record) for epoch, record in self._epochs.get(run_id, {}).items()])
        return True

    def _flush_series(
        self, conn: sqlite3.Connection, run_id: int, name: str, state: _Series
    ) -> tuple[_Series, int, _Tail | None, dict[int, _Tail | None]]:
        """Writes a series' pending values as chunks and level blocks; returns the new tails."""
        new = state.pending[0] if len(state.pending) == 1 else np.concatenate(state.pending)
        assert state.first_step is not None
        start = state.first_step + state.stored
        key = (run_id, name)

        rowid, rows = _plan_rows(state.chunk, start, new, CHUNK_STEPS, overlaps=False)
        chunk = self._write_rows(
            conn, rowid, rows,
            "UPDATE chunks SET first_step = ?, count = ?, data = ? WHERE rowid = ?",
            "INSERT INTO chunks (run_id, series, first_step, count, data) VALUES (?, ?, ?, ?, ?)",
            key)

        levels: dict[int, _Tail | None] = {}
        for size in LEVELS:
            first_block, pairs = _block_minmax(start, new, size)
            tail = state.levels[size]
            overlaps = False
            if tail is not None:
                # The tail's last block was partial if the new values start inside it.
                overlaps = first_block == tail.first + len(tail.data) - 1
                if overlaps:
                    pairs[0, 0] = np.fmin(pairs[0, 0], tail.data[-1, 0])
                    pairs[0, 1] = np.fmax(pairs[0, 1], tail.data[-1, 1])
                elif first_block != tail.first + len(tail.data):
                    raise RunStoreError(f"the run history {self.path} is damaged: run {run_id} "
                                        f"{name!r} level {size} does not meet step {start}")
            rowid, rows = _plan_rows(tail, first_block, pairs, LEVEL_SEGMENT, overlaps)
            levels[size] = self._write_rows(
                conn, rowid, rows,
                "UPDATE levels SET first_block = ?, count = ?, data = ? WHERE rowid = ?",
                "INSERT INTO levels (run_id, series, first_block, count, data, block_size) "
                f"VALUES (?, ?, ?, ?, ?, {size})",
                key)

        conn.execute(
            "INSERT INTO series (run_id, name, first_step, count) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, name) DO UPDATE SET count = excluded.count",
            (run_id, name, state.first_step, state.stored + len(new)))
        return state, len(new), chunk, levels

    @staticmethod
    def _write_rows(
        conn: sqlite3.Connection,
        rowid: int | None,
        rows: list[tuple[int, np.ndarray]],
        update: str,
        insert: str,
        key: tuple[int, str],
    ) -> _Tail | None:
        """Rewrites the tail row and inserts the rest; returns the new tail."""
        tail = None
        for index, (first, data) in enumerate(rows):
            blob = data.astype(_FLOAT, copy=False).tobytes()
            if index == 0 and rowid is not None:
                conn.execute(update, (first, len(data), blob, rowid))
                row = rowid
            else:
                cursor = conn.execute(insert, (*key, first, len(data), blob))
                row = int(cursor.lastrowid or 0)
            tail = _Tail(row, first, np.array(data))  # a copy: the slice pins its source
        return tail

    def finish_run(self, run_id: int, status: str, **fields: Any) -> None:
        """Flushes, then writes the run's final fields, its status and ``ended`` (now unless
        given); its heartbeat stops.

        Raises:
            ValueError: ``status`` is "running" or unknown, or a field is unknown.
        """
        if status not in STATUSES or status == "running":
            raise ValueError(f"a run finishes as one of {', '.join(STATUSES[1:])}, not "
                             f"{status!r}")
        values = self._columns(fields)
        values["status"] = status
        if values.get("ended") is None:
            values["ended"] = time.time()
        with self._lock:
            if run_id in self._active:
                self._updates.setdefault(run_id, {}).update(values)
                self.flush()
                self._active.discard(run_id)
                # Its data is all on disk: a late append reads the tails back from there.
                self._series.pop(run_id, None)
                return
            self.flush()
        self._write_fields(run_id, values, "finish a run in")

    def rename(self, run_id: int, name: str) -> None:
        """Renames a run at once (a pending name from update_run is dropped)."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        with self._lock:
            self._updates.get(run_id, {}).pop("name", None)
            self._write_fields(run_id, {"name": name}, "rename a run in")

    def delete(self, run_id: int) -> None:
        """Deletes a run with its series, levels and epochs (nothing happens if it is gone)."""
        with self._guard("delete a run from") as conn:
            with self._write():
                for table in ("chunks", "levels", "series", "epochs"):
                    conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            self._forget(run_id)
            # Give the freed pages back to the file system, a bounded number at a time so that
            # another writer never waits long; what remains is reused by later writes.
            with contextlib.suppress(sqlite3.Error):  # the run is gone already; this can wait
                conn.execute("PRAGMA incremental_vacuum(16384)").fetchall()

    def _forget(self, run_id: int) -> None:
        self._active.discard(run_id)
        self._updates.pop(run_id, None)
        self._series.pop(run_id, None)
        self._epochs.pop(run_id, None)

    def close(self) -> None:
        """Flushes and closes the file; closing twice is harmless."""
        with self._lock:
            if self._conn is None:
                return
            try:
                self.flush()
            finally:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def runs(self) -> list[RunRow]:
        """Every run, newest first (no series data is read)."""
        with self._guard("read") as conn:
            rows = conn.execute(
                f"SELECT {_ROW_COLUMNS} FROM runs ORDER BY started DESC, id DESC").fetchall()
            return [self._row(row) for row in rows]

    def run(self, run_id: int) -> RunRow:
        """One run.

        Raises:
            RunStoreError: no run has this id (another instance may have deleted it).
        """
        with self._guard("read") as conn:
            row = conn.execute(f"SELECT {_ROW_COLUMNS} FROM runs WHERE id = ?",
                               (run_id,)).fetchone()
            if row is None:
                raise RunStoreError(f"run {run_id} is not in the history (deleted?)")
            return self._row(row)

    def _row(self, row: tuple[Any, ...]) -> RunRow:
        """A RunRow from a database row, with what this store has not flushed yet on top."""
        values = dict(zip(_ROW_COLUMNS.split(", "), row, strict=True))
        run_id = values["id"]
        if run_id in self._active or run_id in self._updates:
            values.update(self._updates.get(run_id, {}))
            for state in self._series.get(run_id, {}).values():
                values["steps"] = max(values["steps"], state.next_step or 0)
        return RunRow(
            id=run_id, name=values["name"], document=values["document"],
            doc_hash=values["doc_hash"], network=values["network"], recipe=values["recipe"],
            settings=_loads(values["settings"]), device=values["device"],
            parameters=values["parameters"], macs_per_sample=values["macs_per_sample"],
            started=values["started"], ended=values["ended"],
            samples_seen=values["samples_seen"], steps=values["steps"],
            final_loss=values["final_loss"], best_val_loss=values["best_val_loss"],
            best_val_accuracy=values["best_val_accuracy"], metrics=_loads(values["metrics"]),
            status=values["status"], message=values["message"], weights=values["weights"],
            updated=values["updated"])

    def series_names(self, run_id: int) -> list[str]:
        """The names of a run's series, sorted (buffered ones included)."""
        with self._guard("read") as conn:
            names = {row[0] for row in conn.execute(
                "SELECT name FROM series WHERE run_id = ?", (run_id,))}
            names.update(name for name, state in self._series.get(run_id, {}).items()
                         if state.pending)
            return sorted(names)

    def steps(self, run_id: int, series: str = "loss") -> tuple[int, np.ndarray]:
        """Every value of a series, buffered ones included.

        Returns:
            The step of the first value (0 when there is none) and a float32 array.
        """
        with self._guard("read") as conn:
            parts: list[np.ndarray] = []
            first: int | None = None
            expected = None
            for first_step, count, data in conn.execute(
                    "SELECT first_step, count, data FROM chunks WHERE run_id = ? AND "
                    "series = ? ORDER BY first_step", (run_id, series)):
                if expected is not None and first_step != expected:
                    raise RunStoreError(f"the run history {self.path} is damaged: run "
                                        f"{run_id} {series!r} misses steps {expected} to "
                                        f"{first_step - 1}")
                if first is None:
                    first = first_step
                parts.append(np.frombuffer(data, _FLOAT, count))
                expected = first_step + count
            state = self._series.get(run_id, {}).get(series)
            if state is not None and state.pending:
                if first is None:
                    first = state.first_step
                parts.extend(state.pending)
            if not parts:
                return 0, np.empty(0, dtype=np.float32)
            assert first is not None
            return first, np.concatenate(parts).astype(np.float32, copy=False)

    def overview(
        self, run_id: int, series: str = "loss", max_points: int = 4000
    ) -> tuple[np.ndarray, np.ndarray]:
        """A series cut down to about ``max_points`` points for opening a long run.

        A series of at most ``max_points`` values comes back whole. A longer one comes back as a
        min/max envelope read from the coarsest level that still gives at least
        ``max_points / 2`` points (the raw values when even the finest level is too coarse),
        with neighbouring blocks merged if it gives more than ``max_points``. Every block
        gives two points, its min and its max, so a single-step spike always shows.

        Returns:
            Steps (float64, strictly increasing; an envelope's max points sit halfway through
            their block) and values (float32). Empty arrays for an empty series.
        """
        if max_points < 2:
            raise ValueError(f"max_points must be at least 2, not {max_points}")
        with self._guard("read") as conn, self._read():
            row = conn.execute("SELECT first_step, count FROM series WHERE run_id = ? AND "
                               "name = ?", (run_id, series)).fetchone()
            state = self._series.get(run_id, {}).get(series)
            pending = state.pending_count if state is not None else 0
            if row is not None:
                first_step, count = int(row[0]), int(row[1]) + pending
            elif pending and state is not None and state.first_step is not None:
                first_step, count = state.first_step, pending
            else:
                return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float32)
            last_step = first_step + count - 1
            if count <= max_points:
                first, values = self.steps(run_id, series)
                return np.arange(first, first + len(values), dtype=np.float64), values
            for size in reversed(LEVELS):
                blocks = last_step // size - first_step // size + 1
                if 2 * blocks >= max_points / 2:
                    first_block, pairs = self._level(conn, run_id, series, size, state)
                    break
            else:
                size = 1
                first, values = self.steps(run_id, series)
                first_block, pairs = first, np.stack([values, values], axis=1)
            return _envelope(first_step, last_step, first_block, size, pairs, max_points)

    def _level(
        self, conn: sqlite3.Connection, run_id: int, series: str, size: int,
        state: _Series | None,
    ) -> tuple[int, np.ndarray]:
        """A level's (min, max) blocks from the database, with the buffered values merged."""
        first_block: int | None = None
        parts = []
        for block, data in conn.execute(
                "SELECT first_block, data FROM levels WHERE run_id = ? AND series = ? AND "
                "block_size = ? ORDER BY first_block", (run_id, series, size)):
            if first_block is None:
                first_block = block
            parts.append(np.frombuffer(data, _FLOAT).reshape(-1, 2))
        pairs = np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.float32)
        if state is not None and state.pending and state.first_step is not None:
            new = np.concatenate(state.pending)
            new_first, new_pairs = _block_minmax(state.first_step + state.stored, new, size)
            if first_block is None:
                return new_first, new_pairs
            pairs = _merge_pairs(first_block, pairs, new_first, new_pairs)
        return (first_block or 0), pairs

    def epochs(self, run_id: int) -> list[dict[str, Any]]:
        """A run's epoch records in epoch order, buffered ones included.

        Each is a dict of epoch, step, loss, val_loss, val_accuracy, lr, samples_per_s (floats
        or None) and parts (a dict of loss parts).
        """
        keys = ("step", "loss", "val_loss", "val_accuracy", "lr", "samples_per_s")
        with self._guard("read") as conn:
            records = {row[0]: row[1:] for row in conn.execute(
                "SELECT epoch, step, loss, val_loss, val_accuracy, lr, samples_per_s, parts "
                "FROM epochs WHERE run_id = ?", (run_id,))}
            records.update(self._epochs.get(run_id, {}))
            result = []
            for epoch in sorted(records):
                record = records[epoch]
                entry: dict[str, Any] = {"epoch": epoch}
                for key, value in zip(keys, record[:-1], strict=True):
                    # NaN is written as NULL by SQLite; buffered records read the same way.
                    entry[key] = None if isinstance(value, float) and math.isnan(value) else value
                entry["parts"] = _loads(record[-1])
                result.append(entry)
            return result
