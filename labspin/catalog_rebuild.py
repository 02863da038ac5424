"""``labspin runs --rebuild``: a new catalog made from a data folder's run files.

The run files (pymeasure CSV) are the primary record; the catalog (``catalog.sqlite``)
only adds what a file does not hold: how a run ended, its station snapshot, its queue.
When the catalog is damaged it is set aside, never deleted (``catalog.sqlite.damaged``,
its WAL and shared-memory files beside it), and a new one lists every run file again:
the run id from the file name (``00012_SwitchingLoop_A1.csv``), procedure, parameters,
sample and start time from the header, the rows from the data.

How a run ended is not in its file: a run with all its planned rows (the header's
"Planned points") is ``finished``, one with fewer ``interrupted`` (its error column says
so, as for a file that does not say how many rows were planned). Queues are not rebuilt
(``queue run --resume`` starts anew).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from labspin.data_folder import DAMAGED_SUFFIX, run_files, stored_path

#: the catalog's files: the database, its write-ahead log and shared memory
_CATALOG_FILES = ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm")
_RUN_ID = re.compile(r"^(\d+)_")


class RebuildError(RuntimeError):
    """The catalog cannot be rebuilt (it is readable, or the folder is not writable)."""


@dataclass
class Rebuilt:
    set_aside: Path | None
    runs: list[int] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # file, why


def catalog_is_readable(path: Path) -> bool:
    """Whether ``path`` opens as an SQLite database whose integrity check passes."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            db.close()
    except sqlite3.Error:
        return False


def _set_aside(folder: Path) -> Path:
    """Rename the catalog and its companions to ``<name>.damaged`` (``-2``, ... when
    one was set aside before); returns the database's new path."""
    n, suffix = 1, DAMAGED_SUFFIX
    while any((folder / (name + suffix)).exists() for name in _CATALOG_FILES):
        n += 1
        suffix = f"{DAMAGED_SUFFIX}-{n}"
    for name in _CATALOG_FILES:
        if (folder / name).exists():
            (folder / name).rename(folder / (name + suffix))
    return folder / (_CATALOG_FILES[0] + suffix)


def _started(text: object, fallback: float) -> float:
    try:
        return dt.datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").timestamp()
    except ValueError:
        return fallback


def _parameter_names(procedure: str) -> dict[str, str]:
    """Header label -> parameter name of a procedure (empty for an unknown one)."""
    from labspin.procedures import procedure_class

    try:
        objects = procedure_class(procedure)().parameter_objects()
    except Exception:  # an unknown or renamed procedure: keep the labels
        return {}
    return {param.name: name for name, param in objects.items()}


def rebuild_catalog(data_dir: str | Path) -> Rebuilt:
    """Set a damaged catalog of ``data_dir`` aside and list its run files in a new one
    (module doc). :class:`RebuildError` when the catalog is readable: nothing is
    changed then."""
    from labspin.analysis.loaders import RunFileError, load_run
    from labspin.analysis.run_checks import planned_rows
    from labspin.runs import Catalog

    folder = Path(data_dir)
    path = folder / _CATALOG_FILES[0]
    if not folder.is_dir():
        raise RebuildError(f"{folder} is not a folder: give the data folder (--data-dir)")
    if path.exists() and catalog_is_readable(path):
        raise RebuildError(f"the runs catalog {path} is readable: nothing to rebuild "
                           "(labspin runs lists its runs)")
    try:
        aside = _set_aside(folder) if any((folder / n).exists() for n in _CATALOG_FILES) \
            else None
        Catalog(folder).close()  # the schema
        db = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise RebuildError(f"cannot make a new catalog in {folder}: {exc}") from None
    result = Rebuilt(aside)
    entries, ids = [], set()
    names: dict[str, dict[str, str]] = {}
    for file in run_files(folder):
        try:
            run = load_run(file)
        except (RunFileError, OSError) as exc:
            result.skipped.append((file, str(exc)))
            continue
        match = _RUN_ID.match(file.name)
        run_id = int(match.group(1)) if match else None
        if run_id is not None and (run_id in ids or run_id <= 0):
            run_id = None  # two files of one id (one copied in): a new id for the second
        ids.add(run_id)
        labels = names.setdefault(run.procedure, _parameter_names(run.procedure))
        parameters = {labels.get(k, k): v for k, v in run.parameters.items()}
        mtime = file.stat().st_mtime
        started = _started(run.metadata.get("Started"), mtime)
        rows, planned = len(run.data), planned_rows(run)
        status = "interrupted" if planned is not None and rows < planned else "finished"
        note = None if planned is not None and rows >= planned else (
            "rebuilt from its file: " + (f"{rows} of {planned} planned rows" if planned
                                         else "its planned rows are not known")
            + "; how it ended was in the damaged catalog")
        sample = run.metadata.get("Sample")
        entries.append((run_id, run.procedure, json.dumps(parameters, default=str),
                        None if sample is None else str(sample), stored_path(folder, file),
                        status, started, started, mtime, note, rows))
    # the files' own ids first: a file without one takes a number none of them uses
    entries.sort(key=lambda e: (e[0] is None, e[0] or 0))
    try:
        db.execute("BEGIN")
        for entry in entries:
            cur = db.execute(
                "INSERT INTO runs (id, procedure, parameters, sample, file, status, created, "
                "started, finished, error, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                entry)
            result.runs.append(int(cur.lastrowid))
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        db.execute("ROLLBACK")
        raise RebuildError(f"cannot write the new catalog {path}: {exc}") from None
    finally:
        db.close()
    return result


def print_rebuild(console: object, data_dir: str | Path) -> None:
    """``labspin runs --rebuild``: rebuild and say what was done (click's error on a
    refusal: the catalog is readable, or the folder cannot be written)."""
    import click

    try:
        result = rebuild_catalog(data_dir)
    except RebuildError as exc:
        raise click.ClickException(str(exc)) from None
    said = [f"Set the damaged catalog aside as {result.set_aside} (kept)."
            if result.set_aside else "No catalog was there."]
    said.append(f"New catalog of {data_dir}: {len(result.runs)} run(s) from their files; "
                "statuses from their rows (how each run ended was in the old catalog), "
                "no station snapshots or queues.")
    said += [f"  skipped {file}: {why}" for file, why in result.skipped]
    for line in said:
        console.print(line, highlight=False, soft_wrap=True)  # type: ignore[attr-defined]
