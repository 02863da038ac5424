"""Load saved runs: pymeasure CSV files and labspin's SQLite runs catalog.

Reads the files directly (no pymeasure ``Results.load``, which imports the procedure
classes and with them the instrument stack), so fitting runs on a laptop with only
numpy/pandas installed. A run file looks like::

    #Procedure: <labspin.procedures.loops.HallLoop>
    #Parameters:
    #	Maximum field: 0.02 T
    #Metadata:
    #	Sample: sim-cofeb-nio-pma
    #Data:
    Field setpoint (T),Field (T),Branch,...
    0.02,0.0202594,-1,...
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sqlite3
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CatalogQueryError",
    "RunData",
    "RunFileError",
    "find_run_files",
    "load_catalog_query",
    "load_run",
    "load_runs",
    "parse_value",
]

CATALOG_NAME = "catalog.sqlite"
#: the largest file read as a run (bytes). A night of switching-probability trials writes
#: tens of MB; anything beyond this is not a labspin run file (or would not fit in memory)
MAX_RUN_FILE_BYTES = 256 * 2**20
_PROCEDURE_RE = re.compile(r"^#Procedure:\s*<([A-Za-z_][\w.]*)>\s*$")
_SECTIONS = ("Parameters:", "Metadata:")


class RunFileError(ValueError):
    """A file is not a readable run file; the message names the file and the problem."""


class CatalogQueryError(RuntimeError):
    """The runs catalog cannot be read or the query is malformed."""


@dataclass
class RunData:
    """One saved run.

    ``parameters`` and ``metadata`` map the header labels to values (floats where the
    text is a number, booleans for True/False, else strings); ``units`` maps the same
    labels to the unit text that followed the number ("" when none).
    """

    path: Path
    procedure: str
    procedure_path: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    units: dict[str, str]
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: column -> file line numbers of the infinite values in it (a "1e999" reads as inf);
    #: header entries whose number is not finite are listed under "header: <label>"
    nonfinite: dict[str, list[int]] = field(default_factory=dict)

    def value(self, label: str, default: Any = None) -> Any:
        """A parameter or, failing that, a metadata value by its header label."""
        if label in self.parameters:
            return self.parameters[label]
        return self.metadata.get(label, default)


def _number(text: str) -> float | int | None:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


def parse_value(text: str) -> tuple[Any, str]:
    """A header value as (value, unit): "0.02 T" -> (0.02, "T"), "1 NPLC" -> (1.0, "NPLC"),
    "True" -> (True, ""), "0.3, 0.4, 0.5" -> ("0.3, 0.4, 0.5", "")."""
    text = text.strip()
    if text in ("True", "False"):
        return text == "True", ""
    whole = _number(text)
    if whole is not None:
        return whole, ""
    head, _, unit = text.partition(" ")
    value = _number(head)
    if value is not None and unit and "," not in unit and _number(unit.split()[0]) is None:
        return value, unit.strip()
    return text, ""


def _read_bounded(path: Path, fail) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_RUN_FILE_BYTES`. A folder, a
    named pipe, a device (``/dev/zero``) or a socket is refused before it is opened, so
    nothing blocks on a pipe or reads forever from a device."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a folder, not a run file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise fail(f"is {kind}, not a run file")
    limit = MAX_RUN_FILE_BYTES
    if info.st_size > limit:
        raise fail(f"{info.st_size / 2**20:.0f} MiB is larger than any run file "
                   f"({limit / 2**20:.0f} MiB at most): not a labspin run file")
    try:
        # O_NONBLOCK: should the file have become a pipe since the check, open and read
        # return at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror or exc})") from None
    if raw is None or len(raw) > limit:
        raise fail(f"larger than any run file ({limit / 2**20:.0f} MiB at most) or still "
                   "growing: not a labspin run file")
    return raw


def _infinite_cells(data: pd.DataFrame, first_line: int) -> dict[str, list[int]]:
    """Column -> file line numbers of +-inf values (numbers beyond the float range such
    as 1e999 are read as inf)."""
    out: dict[str, list[int]] = {}
    for column in data.columns:
        if not pd.api.types.is_numeric_dtype(data[column]):
            continue
        values = data[column].to_numpy(dtype=float, na_value=math.nan)
        rows = [int(i) for i in (~np.isfinite(values) & ~np.isnan(values)).nonzero()[0]]
        if rows:
            out[str(column)] = [first_line + i for i in rows]
    return out


def describe_nonfinite(nonfinite: dict[str, list[int]], limit: int = 3) -> list[str]:
    """One sentence per column: "column 'R_xy (ohm)': 2 infinite values (lines 57, 80)"."""
    out = []
    for column, lines in nonfinite.items():
        if column.startswith("header: "):
            out.append(f"header entry {column[8:]!r} is not a finite number")
            continue
        where = ", ".join(str(n) for n in lines[:limit]) + (", ..." if len(lines) > limit
                                                             else "")
        count = "an infinite value" if len(lines) == 1 else f"{len(lines)} infinite values"
        out.append(f"column {column!r}: {count} (line{'s' if len(lines) > 1 else ''} "
                   f"{where}), left out of the fit")
    return out


def load_run(path: str | Path) -> RunData:
    """Read one pymeasure run file; :class:`RunFileError` if it is corrupt, truncated
    in its header or not a run file. A last row cut off while being written (the run
    was killed) is left out and said in ``notes``: the complete rows are the data."""
    path = Path(path)

    def fail(problem: str) -> RunFileError:
        return RunFileError(f"{path}: {problem}")

    raw = _read_bounded(path, fail)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail("not a text file (invalid UTF-8): not a labspin run file") from None
    lines = text.splitlines()
    if not lines:
        raise fail("the file is empty")
    match = _PROCEDURE_RE.match(lines[0].strip())
    if not match:
        raise fail("no '#Procedure: <...>' first line: not a labspin/pymeasure run file")
    procedure_path = match.group(1)
    parameters: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    units: dict[str, str] = {}
    target: dict[str, Any] | None = None
    data_line = None
    for number, line in enumerate(lines[1:], start=2):
        if not line.startswith("#"):
            raise fail(f"line {number}: the header ends before its '#Data:' line")
        body = line[1:]
        if body.strip() == "Data:":
            data_line = number
            break
        if body.strip() == "Parameters:":
            target = parameters
            continue
        if body.strip() == "Metadata:":
            target = metadata
            continue
        if not body.strip():
            continue
        label, sep, value = body.strip().partition(":")
        if target is None or not sep or not label:
            raise fail(f"line {number}: unexpected header line {line!r}")
        parsed, unit = parse_value(value)
        target[label.strip()] = parsed
        units[label.strip()] = unit
    if data_line is None:
        raise fail("truncated: the header has no '#Data:' line")
    rows = lines[data_line:]
    if not rows or not rows[0].strip():
        raise fail("truncated: no column header after '#Data:'")
    try:
        columns = next(csv.reader([rows[0]]))
    except csv.Error as exc:
        raise fail(f"line {data_line + 1}: unreadable column header ({exc})") from None
    if len(set(columns)) != len(columns) or not all(c.strip() for c in columns):
        raise fail(f"line {data_line + 1}: malformed column header {rows[0]!r}")
    notes: list[str] = []
    body_rows = rows[1:]
    while body_rows and not body_rows[-1].strip():
        body_rows.pop()
    try:
        parsed_rows = list(csv.reader(body_rows))
    except csv.Error as exc:
        raise fail(f"unreadable data: {exc}") from None
    for i, fields in enumerate(parsed_rows):
        if len(fields) != len(columns):
            number = data_line + 2 + i
            if i == len(body_rows) - 1:
                # a run killed while writing a row: keep every complete row
                notes.append(f"line {number}: the last row was cut off while it was being "
                             f"written ({len(fields)} of {len(columns)} values); left out")
                body_rows = body_rows[:-1]
                break
            raise fail(f"line {number}: corrupt row: {len(fields)} values for "
                       f"{len(columns)} columns")
    try:
        data = pd.read_csv(io.StringIO("\n".join([rows[0], *body_rows])))
    except (ValueError, pd.errors.ParserError, csv.Error) as exc:
        raise fail(f"unreadable data: {exc}") from None
    for column in data.columns:
        if data[column].dtype == object:
            converted = pd.to_numeric(data[column], errors="coerce")
            bad = converted.isna() & data[column].notna()
            if bad.any() and not converted.isna().all():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise fail(f"line {data_line + 2 + row}: not a number in column "
                           f"{column!r}: {data[column].iloc[row]!r}")
    if data.empty:
        notes.append("no data rows")
    nonfinite = {f"header: {label}": [] for entries in (parameters, metadata)
                 for label, value in entries.items()
                 if isinstance(value, float) and not math.isfinite(value)}
    nonfinite.update(_infinite_cells(data, data_line + 2))  # the fit verdict says them
    return RunData(path=path, procedure=procedure_path.rsplit(".", 1)[-1],
                   procedure_path=procedure_path, parameters=parameters, metadata=metadata,
                   units=units, data=data, notes=notes, nonfinite=nonfinite)


def _csv_entries(folder: Path) -> list[Path]:
    """Every ``*.csv`` entry under ``folder`` (regular files, and pipes, devices or folders
    so named, which :func:`load_run` refuses by name), sorted; unreadable subfolders are
    passed over."""
    found = []
    for root, dirs, files in os.walk(folder, onerror=lambda _exc: None):
        dirs.sort()
        # a folder named *.csv is searched, and listed too: loading it says what it is
        found += [Path(root) / name for name in files + dirs if name.lower().endswith(".csv")]
    return sorted(found)


def find_run_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files as given, and every ``*.csv`` under each folder (recursively), sorted and
    without duplicates. A folder given by name that holds no ``*.csv`` is returned itself,
    so loading it says why it is not a run file (a folder named ``x.csv``)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: list[Path] = []
    seen: set[Path] = set()
    for item in paths:
        p = Path(item)
        candidates = (_csv_entries(p) or [p]) if p.is_dir() else [p]
        for q in candidates:
            key = q.resolve()
            if key not in seen:
                seen.add(key)
                found.append(q)
    return found


def load_runs(paths: Iterable[str | Path]) -> tuple[list[RunData], list[tuple[Path, str]]]:
    """Load many run files; the unreadable ones are skipped and returned with the reason."""
    runs: list[RunData] = []
    skipped: list[tuple[Path, str]] = []
    for p in paths:
        try:
            runs.append(load_run(p))
        except RunFileError as exc:
            reason = str(exc)
            prefix = f"{Path(p)}: "
            skipped.append((Path(p), reason[len(prefix):] if reason.startswith(prefix)
                            else reason))
    return runs, skipped


_COLUMNS = ("id", "procedure", "sample", "station", "file", "status", "queue_id",
            "queue_index")


def _matches(actual: Any, wanted: Any) -> bool:
    if actual is None:
        return wanted is None or str(wanted).lower() in ("", "none", "null")
    if isinstance(actual, bool):
        return str(wanted).strip().lower() in (("true", "1", "yes") if actual
                                               else ("false", "0", "no"))
    if isinstance(actual, (int, float)):
        try:
            w = float(wanted)
        except (TypeError, ValueError):
            return False
        return math.isclose(float(actual), w, rel_tol=1e-9, abs_tol=0.0)
    return str(actual) == str(wanted).strip()


def load_catalog_query(data_dir: str | Path, **filters: Any) -> pd.DataFrame:
    """Runs of labspin's catalog (``DATA_DIR/catalog.sqlite``, opened read-only) that
    match every filter.

    A filter on a catalog column (id, procedure, sample, station, file, status,
    queue_id, queue_index) compares with that column; any other key compares with the
    run parameter of that name (numbers numerically, so ``field_max="0.02"`` matches
    0.02). Returns one row per run: the catalog columns, ``parameters`` (a dict) and
    ``path`` (the run file, resolved against ``data_dir`` when relative).
    """
    data_dir = Path(data_dir)
    db = data_dir / CATALOG_NAME
    if not db.is_file():
        raise CatalogQueryError(f"no runs catalog at {db}: is {data_dir} a labspin data "
                                "directory (--data-dir)?")
    uri = db.resolve().as_uri() + "?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            con.row_factory = sqlite3.Row
            records = [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise CatalogQueryError(f"cannot read the runs catalog {db}: {exc}") from None
    out = []
    for rec in records:
        try:
            params = json.loads(rec.get("parameters") or "{}")
        except json.JSONDecodeError:
            params = {}
        rec["parameters"] = params
        ok = True
        for key, wanted in filters.items():
            if key in _COLUMNS:
                ok = _matches(rec.get(key), wanted)
            elif key in params:
                ok = _matches(params[key], wanted)
            else:
                ok = False
            if not ok:
                break
        if ok:
            file = rec.get("file")
            if file:
                p = Path(file)
                # older catalogs stored the path as given, relative to where labspin ran
                rec["path"] = p if p.is_absolute() or p.is_file() else data_dir / p
            else:
                rec["path"] = None
            out.append(rec)
    columns = [c for c in (records[0].keys() if records else _COLUMNS)]
    if "path" not in columns:
        columns.append("path")
    return pd.DataFrame(out, columns=columns)
