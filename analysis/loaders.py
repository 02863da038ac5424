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

import json
import math
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.run_reader import parse_value, read_run_file
from labspin.data_folder import catalog_unreadable, locate

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
    #: file line number (counted from 1, as an editor does) of the first data row
    first_data_line: int = 0

    def value(self, label: str, default: Any = None) -> Any:
        """A parameter or, failing that, a metadata value by its header label."""
        if label in self.parameters:
            return self.parameters[label]
        return self.metadata.get(label, default)


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
    """Read one pymeasure run file; :class:`RunFileError` naming the file if it is not
    a run file (binary, not UTF-8, a folder, pipe or device, larger than any run), is
    corrupt or is truncated in its header (:mod:`labspin.analysis.run_reader`). A last
    row cut off while being written (the run was killed) is left out and said in
    ``notes``: the complete rows are the data. Infinite values are kept (the fits leave
    them out) and listed in ``nonfinite``."""
    path = Path(path)

    def fail(problem: str) -> RunFileError:
        return RunFileError(f"{path}: {problem}")

    parsed = read_run_file(path, fail)
    data, first = parsed.data, parsed.first_data_line
    for number, column in enumerate(data.columns, start=1):
        if not pd.api.types.is_numeric_dtype(data[column]):  # object, or pandas 3's str
            converted = pd.to_numeric(data[column], errors="coerce")
            bad = converted.isna() & data[column].notna()
            # a column of text in every row is a text column; text among numbers or
            # missing values (nan) is a damaged cell
            if bad.any() and not bad.all():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise fail(f"line {first + row}, column {number} ({column!r}): "
                           f"{data[column].iloc[row]!r} is not a number; correct the "
                           "cell, or write nan there if the value is missing")
    notes = list(parsed.notes)
    if data.empty:
        notes.append("no data rows")
    nonfinite = {f"header: {label}": [] for entries in (parsed.parameters, parsed.metadata)
                 for label, value in entries.items()
                 if isinstance(value, float) and not math.isfinite(value)}
    nonfinite.update(_infinite_cells(data, first))  # the fit verdict says them
    return RunData(path=path, procedure=parsed.procedure_path.rsplit(".", 1)[-1],
                   procedure_path=parsed.procedure_path, parameters=parsed.parameters,
                   metadata=parsed.metadata, units=parsed.units, data=data, notes=notes,
                   nonfinite=nonfinite, first_data_line=first)


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
    ``path`` (the run file in ``data_dir``, :func:`labspin.data_folder.locate`) and
    ``elsewhere`` (the catalog's path outside the folder, when only that exists).
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
        raise CatalogQueryError(catalog_unreadable(data_dir, exc)) from None
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
            # in this folder, whether copied or moved (labspin.data_folder); a file only
            # at the catalog's place outside it is missing here
            located = locate(data_dir, rec.get("file"))
            rec["path"] = located.path
            rec["elsewhere"] = located.elsewhere
            out.append(rec)
    columns = [c for c in (records[0].keys() if records else _COLUMNS)]
    columns += [c for c in ("path", "elsewhere") if c not in columns]
    return pd.DataFrame(out, columns=columns)
