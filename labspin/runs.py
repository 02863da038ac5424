"""The runs catalog (SQLite) and the headless runner that fills it.

Every run writes pymeasure's CSV (header with parameters and metadata, one line per
measured row, reloadable with ``Results.load``) and one row in ``catalog.sqlite`` in
the same data directory: procedure, parameters, sample, station snapshot, file, status,
times and error. Rows reach the file as they are measured (flushed at once, fsynced at
least every second), so a crash, ``kill -9`` or power cut keeps them; the run is still
marked ``running`` then, and the next labspin process marks it ``interrupted``.

pymeasure keeps no run status in its files (a reloaded run always reads as finished):
the catalog is where status lives.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymeasure.experiment import Results

from labspin import observe
from labspin.data_folder import catalog_unreadable, describe_missing, locate, stored_path
from labspin.drivers.electromagnet import RampStopped
from labspin.shutdown import RESTATED

#: the log lines of a run's end restate its catalog record (labspin.shutdown.restated)
_RESTATED = {RESTATED: True}
#: what a run's error says after its own error when its shutdown could not confirm the
#: bench safe, followed by the make-safe warnings
SHUTDOWN_INCOMPLETE = "shutdown incomplete: "

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "finished", "failed", "aborted", "interrupted")
DEFAULT_DATA_DIR = Path("labspin-data")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    procedure TEXT NOT NULL,
    parameters TEXT NOT NULL,
    sample TEXT,
    station TEXT,
    file TEXT,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error TEXT,
    rows INTEGER DEFAULT 0,
    queue_id INTEGER,
    queue_index INTEGER,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS runs_queue ON runs (queue_id, queue_index);
CREATE TABLE IF NOT EXISTS queues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    file TEXT NOT NULL,
    plan_hash TEXT NOT NULL,
    total INTEGER NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL,
    log_file TEXT,
    pid INTEGER,
    host TEXT,
    since REAL
);
"""
#: columns added after the first release, with their types (old catalogs gain them)
_ADDED_COLUMNS = {"queues": {"pid": "INTEGER", "host": "TEXT", "since": "REAL"}}
#: statuses of a run that has not ended yet
_OPEN_STATUSES = ("queued", "running")


class CatalogError(RuntimeError):
    """The catalog cannot be opened or a run is not in it."""


@dataclass(frozen=True)
class RunRecord:
    """One run as the catalog knows it."""

    id: int
    procedure: str
    parameters: dict[str, Any]
    sample: str | None
    file: str | None
    status: str
    created: float
    started: float | None
    finished: float | None
    error: str | None
    rows: int
    queue_id: int | None
    queue_index: int | None
    station: dict[str, Any] | None = None
    #: the catalog's path of the file when it lies outside the data folder and only
    #: exists there (``file`` is then where it was looked for in the folder, missing):
    #: a catalog copied without its files; never read (labspin.data_folder)
    file_elsewhere: str | None = None

    def load(self) -> Results:
        """The run's data through pymeasure (``Results.load``)."""
        if not self.file:
            raise CatalogError(f"run {self.id} has no data file")
        if not Path(self.file).is_file():
            raise CatalogError(self.file_problem() or f"run {self.id}: no file {self.file}")
        return Results.load(self.file)

    def file_problem(self) -> str | None:
        """Why the run's file cannot be read from its data folder (None: it can, or the
        run has no file yet)."""
        if not self.file or Path(self.file).is_file():
            return None
        return describe_missing(self.id, Path(self.file),
                                Path(self.file_elsewhere) if self.file_elsewhere else None)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Catalog:
    """The SQLite catalog of a data directory (one file, safe across processes)."""

    def __init__(self, data_dir: str | Path = DEFAULT_DATA_DIR) -> None:
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.path = self.data_dir / "catalog.sqlite"
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._add_missing_columns()
        except (OSError, sqlite3.Error) as exc:  # a damaged file: its runs are not lost
            raise CatalogError(catalog_unreadable(self.data_dir, exc)) from None

    def _add_missing_columns(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            have = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    with contextlib.suppress(sqlite3.OperationalError):  # another process
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self._db.close()

    # -- runs -------------------------------------------------------------------------------
    def create_run(self, procedure: str, parameters: dict[str, Any], sample: str | None,
                   queue_id: int | None = None, queue_index: int | None = None) -> int:
        cur = self._db.execute(
            "INSERT INTO runs (procedure, parameters, sample, status, created, queue_id, "
            "queue_index, pid, host) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
            (procedure, json.dumps(parameters, default=str), sample, time.time(), queue_id,
             queue_index, os.getpid(), socket.gethostname()))
        return int(cur.lastrowid)

    def start_run(self, run_id: int, file: Path, station: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE runs SET status='running', started=?, file=?, station=?, pid=?, host=? "
            "WHERE id=?", (time.time(), stored_path(self.data_dir, file),  # the folder's own
                           json.dumps(station, default=str), os.getpid(),
                           socket.gethostname(), run_id))

    def count_rows(self, run_id: int, rows: int) -> None:
        self._db.execute("UPDATE runs SET rows=? WHERE id=?", (rows, run_id))

    def finish_run(self, run_id: int, status: str, error: str | None = None,
                   rows: int | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self._db.execute(
            "UPDATE runs SET status=?, finished=?, error=?, rows=COALESCE(?, rows) WHERE id=?",
            (status, time.time(), error, rows, run_id))

    def mark_interrupted(self) -> list[int]:
        """Runs left 'running' or 'queued' by a process of this machine that is gone are
        'interrupted' now (a run of another machine sharing the folder is left alone);
        so are queues whose runner is gone. A run queued by a labspin too old to note
        its process has none to check: it is a leftover too."""
        host = socket.gethostname()
        gone = [row["id"] for row in self._db.execute(
            "SELECT id, status, pid, host FROM runs WHERE status IN (?, ?)", _OPEN_STATUSES)
            if (row["host"] == host and not _pid_alive(row["pid"]))
            or (row["status"] == "queued" and row["pid"] is None)]
        for run_id in gone:
            self._db.execute(
                "UPDATE runs SET status='interrupted', finished=COALESCE(finished, ?), "
                "error=COALESCE(error, CASE status WHEN 'queued' THEN 'the process that "
                "queued it ended before it started' ELSE 'the process running it ended "
                "without finishing' END) WHERE id=? AND status IN (?, ?)",
                (time.time(), run_id, *_OPEN_STATUSES))
        if gone:
            log.warning("marked %d run(s) interrupted: %s", len(gone), gone)
        queues = [row["id"] for row in self._db.execute(
            "SELECT id, pid, host FROM queues WHERE status='running' AND pid IS NOT NULL")
            if row["host"] == host and not _pid_alive(row["pid"])]
        for queue_id in queues:
            self._db.execute("UPDATE queues SET status='interrupted', updated=? WHERE id=? "
                             "AND status='running'", (time.time(), queue_id))
        return gone

    def interrupt_queue_leftovers(self, file: str) -> list[int]:
        """Runs of queues of ``file`` still 'queued' or 'running', and those queues, are
        'interrupted' now. Only for the holder of the queue's lock: nobody else can be
        running them, whatever their pid says (pids are reused)."""
        queue_ids = [row["id"] for row in self._db.execute(
            "SELECT id FROM queues WHERE file=?", (file,))]
        marks = ",".join("?" * len(queue_ids))
        if not queue_ids:
            return []
        left = [row["id"] for row in self._db.execute(
            f"SELECT id FROM runs WHERE queue_id IN ({marks}) AND status IN (?, ?)",
            (*queue_ids, *_OPEN_STATUSES))]
        for run_id in left:
            self._db.execute(
                "UPDATE runs SET status='interrupted', finished=COALESCE(finished, ?), "
                "error=COALESCE(error, 'its queue runner ended without finishing it') "
                "WHERE id=?", (time.time(), run_id))
        self._db.execute(f"UPDATE queues SET status='interrupted', updated=? WHERE id IN "
                         f"({marks}) AND status='running'", (time.time(), *queue_ids))
        if left:
            log.warning("marked %d run(s) of %s interrupted: %s", len(left), file, left)
        return left

    def _record(self, row: sqlite3.Row) -> RunRecord:
        located = locate(self.data_dir, row["file"])  # in this folder, wherever it came from
        return RunRecord(
            id=row["id"], procedure=row["procedure"], parameters=json.loads(row["parameters"]),
            sample=row["sample"], file=str(located.path) if located.path else None,
            file_elsewhere=str(located.elsewhere) if located.elsewhere else None,
            status=row["status"],
            created=row["created"], started=row["started"], finished=row["finished"],
            error=row["error"], rows=row["rows"] or 0, queue_id=row["queue_id"],
            queue_index=row["queue_index"],
            station=json.loads(row["station"]) if row["station"] else None)

    def get(self, run_id: int) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise CatalogError(f"no run {run_id} in {self.path}")
        return self._record(row)

    def query(self, *, procedure: str | None = None, status: str | None = None,
              sample: str | None = None, queue_id: int | None = None,
              since: float | None = None, limit: int | None = None) -> list[RunRecord]:
        """Runs matching every given filter, oldest first."""
        clauses, args = [], []
        for column, value in (("procedure", procedure), ("status", status),
                              ("sample", sample), ("queue_id", queue_id)):
            if value is not None:
                clauses.append(f"{column}=?")
                args.append(value)
        if since is not None:
            clauses.append("created>=?")
            args.append(since)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        sql += " ORDER BY id"
        if limit is not None:
            sql = f"SELECT * FROM ({sql.replace('ORDER BY id', 'ORDER BY id DESC')} " \
                  f"LIMIT {int(limit)}) ORDER BY id"
        return [self._record(r) for r in self._db.execute(sql, args)]

    # -- queues -------------------------------------------------------------------------
    def create_queue(self, name: str, file: str, plan_hash: str, total: int) -> int:
        cur = self._db.execute(
            "INSERT INTO queues (name, file, plan_hash, total, status, created, updated) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?)",
            (name, file, plan_hash, total, time.time(), time.time()))
        return int(cur.lastrowid)

    def set_queue_runner(self, queue_id: int, pid: int, host: str, since: float) -> None:
        """Note who runs the queue now (``labspin queue status`` and the GUI show it)."""
        self._db.execute("UPDATE queues SET pid=?, host=?, since=?, updated=? WHERE id=?",
                         (pid, host, since, time.time(), queue_id))

    def set_queue_status(self, queue_id: int, status: str, log_file: str | None = None) -> None:
        self._db.execute("UPDATE queues SET status=?, updated=?, log_file=COALESCE(?, "
                         "log_file) WHERE id=?", (status, time.time(), log_file, queue_id))

    def latest_queue(self, file: str | None = None) -> dict[str, Any] | None:
        sql, args = "SELECT * FROM queues", []
        if file is not None:
            sql += " WHERE file=?"
            args.append(file)
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return dict(row) if row else None

    def queue(self, queue_id: int) -> dict[str, Any]:
        row = self._db.execute("SELECT * FROM queues WHERE id=?", (queue_id,)).fetchone()
        if row is None:
            raise CatalogError(f"no queue {queue_id} in {self.path}")
        return dict(row)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:40] or "sample"


class _RowWriter:
    """Appends formatted rows to the run file as they come: flushed at once (a few
    microseconds), fsynced at least every ``sync_interval`` seconds of wall time, when
    ``on_sync(rows)`` also tells the catalog how many rows are safe on disk (a catalog
    update is a commit of its own, milliseconds on a disk: once a second, not once every
    few rows; watchers count the rows in the file)."""

    def __init__(self, results: Results, sync_interval: float = 1.0,
                 on_sync: Callable[[int], None] | None = None) -> None:
        self.results = results
        self.file = open(results.data_filename, "a", encoding="utf-8")
        self.rows = 0
        self.sync_interval = sync_interval
        self.on_sync = on_sync
        self._last_sync = time.monotonic()

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(self.results.format(record) + "\n")
        self.file.flush()
        self.rows += 1
        now = time.monotonic()
        if now - self._last_sync >= self.sync_interval:
            os.fsync(self.file.fileno())
            self._last_sync = now
            if self.on_sync is not None:
                self.on_sync(self.rows)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.flush()
            os.fsync(self.file.fileno())
        self.file.close()


def run_file_path(data_dir: Path, run_id: int, procedure: str, sample: str) -> Path:
    day = time.strftime("%Y-%m-%d")
    return data_dir / day / f"{run_id:05d}_{procedure}_{_safe_name(sample)}.csv"


def run_procedure(procedure: Any, station: Any, catalog: Catalog, *,
                  queue_id: int | None = None, queue_index: int | None = None,
                  on_row: Callable[[dict[str, Any]], None] | None = None,
                  on_progress: Callable[[float], None] | None = None,
                  should_stop: Callable[[], bool] | None = None) -> RunRecord:
    """Run one procedure on an open station, headless, into the catalog's directory.

    The run measures the procedure's ``sample`` (a bar of the station's chip; the
    station moves to it first) or, without one, the bar the station is on. Returns the
    run's catalog record. A ``KeyboardInterrupt`` (Ctrl+C, or SIGTERM under
    ``labspin.station.terminate_on_sigterm``) marks the run aborted, makes the bench
    safe and propagates, so a queue stops too.
    """
    name = type(procedure).__name__
    parameters = {key: param.value for key, param in procedure.parameter_objects().items()}
    wanted = getattr(procedure, "sample", None)
    if wanted is not None and hasattr(station, "use_sample"):
        try:
            station.use_sample(wanted)  # geometry, limits, calibration; the bench's device
        except Exception as exc:  # an unknown bar, or the probes could not move
            run_id = catalog.create_run(name, parameters, str(wanted), queue_id, queue_index)
            catalog.finish_run(run_id, "failed", f"{type(exc).__name__}: {exc}", 0)
            log.error("run %d (%s) not started: %s", run_id, name, exc, extra=_RESTATED)
            return catalog.get(run_id)
    sample = station.config.sample.id
    run_id = catalog.create_run(name, parameters, sample, queue_id, queue_index)
    path = run_file_path(catalog.data_dir, run_id, name, sample)
    path.parent.mkdir(parents=True, exist_ok=True)
    results = Results(procedure, str(path))
    catalog.start_run(run_id, path, station.snapshot())
    writer = _RowWriter(results, on_sync=lambda rows: catalog.count_rows(run_id, rows))
    stop = should_stop or (lambda: False)

    def emit(topic: str, record: Any) -> None:
        if topic == "results":
            writer.write(record)
            if on_row is not None:
                on_row(record)
        elif topic == "progress" and on_progress is not None:
            on_progress(float(record))

    procedure.station = station
    procedure.emit = emit
    procedure.should_stop = stop
    magnets = list(getattr(station, "magnets", {}).values())
    for magnet in magnets:  # a stop cuts a ramp short, rather than waiting for it
        magnet.should_stop = stop
    status, error = "finished", None
    try:
        procedure.startup()
        procedure.evaluate_metadata()
        results.store_metadata()
        procedure.execute()
        if stop():
            status = "aborted"
    except KeyboardInterrupt:
        status, error = "aborted", "stopped by Ctrl+C or SIGTERM"
        raise
    except RampStopped as exc:  # the stop asked for, inside a magnet ramp
        status = "aborted"
        log.info("run %d (%s) stopped: %s", run_id, name, exc)
    except Exception as exc:
        explained = station.explain(exc) if hasattr(station, "explain") else exc
        status, error = "failed", f"{type(explained).__name__}: {explained}"
        log.error("run %d (%s) failed: %s", run_id, name, error, extra=_RESTATED)
    finally:
        for magnet in magnets:  # the shutdown's ramps to zero are never cut short
            magnet.should_stop = None
        try:
            procedure.shutdown()
        except Exception as exc:  # never lose the record because clean-up failed
            log.error("run %d: shutdown failed: %s", run_id, exc, extra=_RESTATED)
            error = (error + "; " if error else "") + f"{SHUTDOWN_INCOMPLETE}{exc}"
            if status == "finished":  # a run that did not leave the bench safe did not finish
                status = "failed"
        writer.close()
        catalog.finish_run(run_id, status, error, writer.rows)
    record = catalog.get(run_id)
    observe.run_ended(station, catalog, record)  # bench state for watchers; notifications
    return record


def error_above_warnings(error: str | None, warnings: Iterable[str]) -> str | None:
    """A run's error as a front end shows it above the make-safe ``warnings`` it prints
    last: without its "shutdown incomplete: ..." part when those lines say all that part
    says (the catalog keeps the whole error). None when nothing else is left."""
    if not error:
        return error
    head, found, tail = error.partition(SHUTDOWN_INCOMPLETE)
    if not found or (head and not head.endswith("; ")):
        return error
    for line in warnings:
        tail = tail.replace(line, "")
    if tail.strip("; "):  # the shutdown said more than the warnings now do: keep it
        return error
    return head.removesuffix("; ") or None


@contextlib.contextmanager
def open_catalog(data_dir: str | Path = DEFAULT_DATA_DIR) -> Iterator[Catalog]:
    """A catalog with stale runs already marked interrupted."""
    catalog = Catalog(data_dir)
    try:
        catalog.mark_interrupted()
        yield catalog
    except sqlite3.DatabaseError as exc:  # damaged pages found only when read
        if isinstance(exc, sqlite3.OperationalError):  # locked, full disk: said as is
            raise
        raise CatalogError(catalog_unreadable(data_dir, exc)) from None
    finally:
        catalog.close()
