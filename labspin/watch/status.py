"""What the status page shows, gathered from a data directory without writing to it.

Sources: the runs catalog (opened read-only: the page cannot change a run's status),
the running run's CSV (rows reach it as they are measured), the queue's published plan
and the bench state that the runner writes after every run (``labspin.observe``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from labspin.data_folder import locate
from labspin.observe import WATCH_DIR, plan_file

log = logging.getLogger(__name__)

LAST_RUNS = 12


class WatchError(RuntimeError):
    """The data directory cannot be watched (no catalog, not readable)."""


def _alive(pid: int | None, host: str | None) -> bool | None:
    """Whether the process of a running run is alive (None: another machine's)."""
    if host and host != socket.gethostname():
        return None
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class StatusSource:
    """Reads a data directory's state for the page; fits are cached per file version."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.catalog_path = self.data_dir / "catalog.sqlite"
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise WatchError(f"{self.data_dir} is a file, not a data folder: give the "
                             "--data-dir that 'labspin run' or 'labspin queue run' writes to")
        self._fits: dict[tuple[int, str, float], dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- catalog ------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        try:
            db = sqlite3.connect(f"file:{self.catalog_path}?mode=ro", uri=True, timeout=5)
        except sqlite3.Error as exc:
            raise WatchError(f"cannot read {self.catalog_path}: {exc}") from None
        db.row_factory = sqlite3.Row
        try:
            return [self._located(dict(r)) for r in db.execute(sql, args)]
        finally:
            db.close()

    def _located(self, row: dict[str, Any]) -> dict[str, Any]:
        """A run row with its file where this folder has it (labspin.data_folder: a
        copied or moved folder shows its own files; a file elsewhere is not read)."""
        if row.get("file") and "procedure" in row:  # a run's row, not a queue's
            row["file"] = str(locate(self.data_dir, row["file"]).path)
        return row

    def _snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every catalog read of one page in one read transaction: one moment of the
        catalog, however the runner writes meanwhile (the catalog is in WAL mode)."""
        try:
            db = sqlite3.connect(f"file:{self.catalog_path}?mode=ro", uri=True, timeout=5,
                                 isolation_level=None)
        except sqlite3.Error as exc:
            raise WatchError(f"cannot read {self.catalog_path}: {exc}") from None
        db.row_factory = sqlite3.Row

        def rows(sql: str, args: tuple = ()) -> list[dict[str, Any]]:
            return [self._located(dict(r)) for r in db.execute(sql, args)]

        try:
            db.execute("BEGIN")
            out = {
                "runs": rows(f"SELECT * FROM runs ORDER BY id DESC LIMIT {LAST_RUNS}"),
                "counts": rows("SELECT status, COUNT(*) AS n FROM runs GROUP BY status"),
                "queues": rows("SELECT * FROM queues ORDER BY id DESC LIMIT 1"),
                "running": rows("SELECT * FROM runs WHERE status='running' ORDER BY id DESC "
                                "LIMIT 1"),
            }
            out["queue_runs"] = rows(
                "SELECT id, queue_index, status, started, finished, file FROM runs WHERE "
                "queue_id=? ORDER BY id", (out["queues"][0]["id"],)) if out["queues"] else []
            db.execute("COMMIT")
            return out
        except sqlite3.Error as exc:
            raise WatchError(f"cannot read {self.catalog_path}: {exc}") from None
        finally:
            db.close()

    def status(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready data (the page waits while the folder
        has no catalog yet: watch started before the night).

        One moment: the bench state is read first, then the whole catalog at once. The
        runner writes the bench state after the run's end is in the catalog, so the page
        never shows the bench after a run its catalog part has not seen end (it once said
        "safe as of end of run 3" above "now run 2")."""
        if not self.catalog_path.is_file():
            return {"data_dir": str(self.data_dir.resolve()), "now": time.time(),
                    "catalog": {"total": 0, "by_status": {}}, "queue": None,
                    "running": None, "bench": None, "last_runs": [],
                    "waiting": f"no run yet in {self.data_dir.resolve()}: this page shows "
                               "the first as soon as it starts"}
        bench = self._bench()
        snap = self._snapshot()
        counts, queues, running = snap["counts"], snap["queues"], snap["running"]
        queue = self._queue(queues[0], snap["queue_runs"]) if queues else None
        if queue and queue.get("gone") and (bench or {}).get("station_file"):
            # the station the killed runner had open (a queue file's own may be another)
            queue["gone"]["resume"] += f" --station {shlex.quote(bench['station_file'])}"
        return {
            "data_dir": str(self.data_dir.resolve()),
            "now": time.time(),
            "catalog": {"total": sum(c["n"] for c in counts),
                        "by_status": {c["status"]: c["n"] for c in counts}},
            "queue": queue,
            "running": self._running(running[0]) if running else None,
            "bench": bench,
            "bench_unknown": _bench_unknown(bench, snap["runs"]),
            "last_runs": [self._last_run(r) for r in snap["runs"]],
        }

    # -- the queue ----------------------------------------------------------------------
    def _queue(self, queue: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
        latest: dict[int, dict[str, Any]] = {}
        for run in runs:
            if run["queue_index"] is not None and latest.get(run["queue_index"], {}).get(
                    "status") != "finished":
                latest[run["queue_index"]] = run
        states = [r["status"] for r in latest.values()]
        finished = states.count("finished")
        failed = sum(s in ("failed", "interrupted") for s in states)
        plan = self._plan(queue["plan_hash"])
        out = {"id": queue["id"], "name": queue["name"], "file": queue["file"],
               "status": queue["status"], "total": queue["total"], "finished": finished,
               "failed": failed, "aborted": states.count("aborted"),
               "progress": finished / queue["total"] if queue["total"] else 0.0,
               "current": None, "time_left": None, "time_left_basis": ""}
        current = next((r for r in reversed(runs) if r["status"] == "running"), None)
        if current is not None and plan:
            index = current["queue_index"]
            label = plan[index]["label"] if index is not None and index < len(plan) else ""
            out["current"] = {"index": index, "label": label, "run": current["id"]}
        gone = queue["status"] == "interrupted"
        if queue["status"] == "running" and self._runner_alive(queue) is False:
            out["status"], gone = "interrupted", True  # as `labspin queue status` says
        if gone:  # how long ago it was last heard from, and how to go on
            heard = [t for r in runs for t in (r["started"], r["finished"]) if t]
            heard += [t for t in (queue.get("updated"), queue.get("since"),
                                  _mtime(current)) if t]
            out["gone"] = {"pid": queue.get("pid"), "host": queue.get("host"),
                           "last_heard": max(heard, default=None),
                           "resume": f"labspin queue run --resume {shlex.quote(queue['file'])} "
                                     f"--data-dir {shlex.quote(str(self.data_dir.resolve()))}"}
        elif plan and queue["status"] == "running":
            out["time_left"], out["time_left_basis"] = self._time_left(plan, latest)
        return out

    def _runner_alive(self, queue: dict[str, Any]) -> bool | None:
        """Whether a process runs the queue now: the queue's lock, as ``labspin queue
        status`` reads it (held by a living runner, released by the kernel when it dies);
        None when that cannot be told (a runner on another machine, a lock not readable)."""
        from labspin.queue_lock import QueueLockError, current_runner

        if queue.get("host") and queue["host"] != socket.gethostname():
            return None
        try:
            return current_runner(self.data_dir, queue["file"]) is not None
        except (QueueLockError, OSError):
            return None

    def _plan(self, plan_hash: str) -> list[dict[str, Any]]:
        path = plan_file(self.data_dir, plan_hash)
        try:
            return json.loads(path.read_text(encoding="utf-8"))["runs"]
        except (OSError, ValueError, KeyError):
            return []

    @staticmethod
    def _time_left(plan: list[dict[str, Any]],
                   latest: dict[int, dict[str, Any]]) -> tuple[float, str]:
        """Seconds left: the plan's hardware estimates of the runs still to do, scaled by
        how fast this bench has gone through the estimates of the runs done so far."""
        spent = estimated = 0.0
        for index, run in latest.items():
            if run["status"] == "finished" and run["started"] and run["finished"] \
                    and index < len(plan):
                spent += run["finished"] - run["started"]
                estimated += plan[index]["estimate"]
        remaining = sum(r["estimate"] for r in plan
                        if latest.get(r["index"], {}).get("status") != "finished")
        if estimated > 0:
            return remaining * spent / estimated, "measured pace of this queue's runs"
        return remaining, "hardware estimate (no run of this queue has finished yet)"

    # -- the running run --------------------------------------------------------------------
    def _running(self, run: dict[str, Any]) -> dict[str, Any]:
        alive = _alive(run.get("pid"), run.get("host"))
        parameters = json.loads(run["parameters"] or "{}")
        planned = _planned_points(run["procedure"], parameters)
        rows = self._rows(run)
        elapsed = time.time() - (run["started"] or run["created"])
        left = None
        if planned and rows and alive is not False:  # a dead run has no time left
            left = elapsed / rows * max(planned - rows, 0)
        return {"id": run["id"], "procedure": run["procedure"], "sample": run["sample"],
                "started": run["started"], "rows": rows, "planned": planned,
                "progress": min(rows / planned, 1.0) if planned else None,
                "time_left": left, "process_alive": alive, "file": run["file"],
                "queue_id": run["queue_id"], "last_row": self._last_row(run)}

    @staticmethod
    def _rows(run: dict[str, Any]) -> int:
        """Rows on disk now (the catalog's count lags by up to 20)."""
        try:
            with open(run["file"], encoding="utf-8") as f:
                lines = [line for line in f if line.strip() and not line.startswith("#")]
        except (OSError, TypeError):
            return int(run.get("rows") or 0)
        return max(len(lines) - 1, 0)  # the column header

    @staticmethod
    def _last_row(run: dict[str, Any]) -> dict[str, Any]:
        from labspin.analysis.loaders import RunFileError, load_run

        try:
            data = load_run(run["file"]).data
        except (RunFileError, OSError, TypeError, ValueError):
            return {}
        if data.empty:
            return {}
        last = data.iloc[-1]
        return {k: (_finite(v) if _finite(v) is not None else str(v)) for k, v in last.items()}

    # -- the bench ------------------------------------------------------------------------
    def _bench(self) -> dict[str, Any] | None:
        path = self.data_dir / WATCH_DIR / "bench.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- last runs and their fits -----------------------------------------------------------
    def _last_run(self, run: dict[str, Any]) -> dict[str, Any]:
        out = {k: run.get(k) for k in ("id", "procedure", "sample", "status", "started",
                                       "finished", "error", "rows", "queue_id", "queue_index")}
        out["fit"] = self.fit(run) if run["status"] == "finished" else None
        return out

    def fit(self, run: dict[str, Any]) -> dict[str, Any] | None:
        """The fitted quantities and verdict of a finished run (cached per file state)."""
        file = run.get("file")
        if not file:
            return None
        try:
            mtime = Path(file).stat().st_mtime
        except OSError:
            return {"error": f"file {file} is not readable"}
        key = (run["id"], file, mtime)
        with self._lock:
            if key in self._fits:
                return self._fits[key]
        result = _fit_file(file)
        with self._lock:
            self._fits[key] = result
        return result


def _fit_file(file: str) -> dict[str, Any]:
    from labspin.analysis.batch import fit_run
    from labspin.analysis.formatting import format_quantities
    from labspin.analysis.loaders import RunFileError, load_run

    try:
        row = fit_run(load_run(file))
    except (RunFileError, OSError) as exc:
        return {"error": str(exc)}
    if not row.get("fitted"):
        return {"error": row.get("error") or "not fitted", "quantities": []}
    return {"quantities": format_quantities(row), "verdict": row.get("verdict"),
            "verdict_reason": row.get("verdict_reason") or "",
            "undetermined": row.get("undetermined") or "", "note": row.get("note") or "",
            "error": None}


def _mtime(run: dict[str, Any] | None) -> float | None:
    """When a run's file was last written (its last row), or None."""
    try:
        return Path(run["file"]).stat().st_mtime if run and run.get("file") else None
    except OSError:
        return None


def _bench_unknown(bench: dict[str, Any] | None,
                   runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run that did not end since the bench state was last read back: interrupted,
    or 'running' with its process gone (a kill -9, a crash). Its process made nothing
    safe and read nothing back, so the state the page holds is not the bench's now."""
    since = (bench or {}).get("when") or 0.0
    for run in runs:  # newest first
        if (run.get("created") or 0.0) <= since:
            break
        ended = run["status"] == "interrupted" or (
            run["status"] in ("running", "queued")
            and _alive(run.get("pid"), run.get("host")) is False)
        if ended:
            return {"run": run["id"], "procedure": run["procedure"],
                    "last_heard": _mtime(run) or run.get("started") or run.get("created"),
                    "station_file": (bench or {}).get("station_file")}
    return None


def _planned_points(procedure: str, parameters: dict[str, Any]) -> int | None:
    try:
        from labspin.procedures import procedure_class

        instance = procedure_class(procedure)()
        instance.set_parameters(parameters)
        return int(instance.planned_points())
    except Exception:  # an unknown or changed procedure: progress by rows alone
        return None
