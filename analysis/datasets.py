"""Saved runs as xarray Datasets, for analysis in any xarray-aware tool.

The CSV written by the run stays the primary record; this reads it (through
:func:`labspin.analysis.loaders.load_run`) into a Dataset with one dimension, ``row``
(the order the points were measured in), one variable per column named by the
column's quantity (``"Field (T)"`` becomes ``field`` with ``units = "T"`` and
``long_name = "Field (T)"``), the natural x axis of the run as a coordinate, and the
run's parameters and metadata as attributes. :func:`open_export` reads runs back from
a ``labspin export`` HDF5/NeXus file into the same Datasets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from labspin.analysis.loaders import RunData, RunFileError, find_run_files, load_run

#: columns that make a good x axis, in order of preference
X_PREFERENCE = ("Field angle (deg)", "Field (T)", "Pulse current (A)", "Pulse amplitude (A)",
                "Pulse index", "Index")
#: columns that make a good signal, in order of preference
Y_PREFERENCE = ("R_xy (ohm)", "R_xx 2w (ohm)", "Switched fraction", "V_xy 2w (V)",
                "R_xx (ohm)", "V_xy 1w (V)")
_UNIT = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")


def split_label(label: str) -> tuple[str, str]:
    """'Field (T)' -> ('Field', 'T'); 'Branch' -> ('Branch', '')."""
    match = _UNIT.match(label)
    return (match["name"], match["unit"]) if match else (label.strip(), "")


def variable_names(labels: Iterable[str]) -> dict[str, str]:
    """Column label -> a name valid in NeXus, netCDF and Python ('R_xx 2w (ohm)' ->
    'r_xx_2w'); distinct labels get distinct names."""
    names: dict[str, str] = {}
    for label in labels:
        base = re.sub(r"[^0-9a-zA-Z]+", "_", split_label(label)[0]).strip("_").lower() or "column"
        if base[0].isdigit():
            base = f"c_{base}"
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[label] = name
    return names


def natural_axes(columns: Iterable[str], data: Any = None) -> tuple[str, str]:
    """The (x, signal) column labels a run is best plotted as; a signal column that
    holds no finite number is passed over when ``data`` (a DataFrame) is given."""
    columns = list(columns)

    def useful(label: str) -> bool:
        if data is None:
            return True
        values = np.asarray(data[label], dtype=float) if label in data else np.array([])
        return bool(np.isfinite(values).any()) if values.size else True

    x = next((c for c in X_PREFERENCE if c in columns), columns[0])
    y = next((c for c in Y_PREFERENCE if c in columns and c != x and useful(c)),
             next((c for c in reversed(columns) if c != x), x))
    return x, y


def _attr(value: Any) -> Any:
    """A header value as a netCDF/HDF5-friendly attribute (no None, no dicts)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str | np.number):
        return value
    return json.dumps(value, default=str)


def run_dataset(run: RunData) -> Any:
    """One loaded run as an xarray Dataset."""
    import xarray as xr

    names = variable_names(run.data.columns)
    variables = {}
    for label, name in names.items():
        unit = split_label(label)[1]
        values = run.data[label].to_numpy()
        if values.dtype == object:
            values = values.astype(str)
        variables[name] = ("row", values, {"units": unit, "long_name": label})
    x, y = natural_axes(run.data.columns, run.data)
    attrs: dict[str, Any] = {"procedure": run.procedure, "source_file": str(run.path),
                             "signal": names[y], "x_axis": names[x]}
    for prefix, entries in (("parameter", run.parameters), ("metadata", run.metadata)):
        for label, value in entries.items():
            attrs[f"{prefix}: {label}"] = _attr(value)
            unit = run.units.get(label, "")
            if unit:
                attrs[f"{prefix}: {label} [units]"] = unit
    if run.notes:
        attrs["notes"] = "; ".join(run.notes)
    ds = xr.Dataset(variables, coords={"row": np.arange(len(run.data))}, attrs=attrs)
    return ds.set_coords(names[x])


def load_dataset(run: str | Path | Any) -> Any:
    """A run as an xarray Dataset: its file (CSV), or anything with a ``file``
    attribute (a catalog record, ``labspin.api.run``'s result)."""
    path = getattr(run, "file", run)
    if path is None:
        raise RunFileError(f"run {getattr(run, 'id', '?')} has no data file")
    return run_dataset(load_run(path))


def load_datasets(paths: str | Path | Iterable[str | Path]) -> dict[str, Any]:
    """Every run file under ``paths`` (files or folders) by file name; files that cannot
    be read raise :class:`~labspin.analysis.loaders.RunFileError`."""
    return {p.name: load_dataset(p) for p in find_run_files(paths)}


def open_export(path: str | Path) -> dict[str, Any]:
    """The runs of a ``labspin export`` HDF5 file as Datasets, by entry name."""
    import h5py
    import xarray as xr

    out = {}
    with h5py.File(path, "r") as f:
        for entry_name, entry in f.items():
            if entry.attrs.get("NX_class") != "NXentry":
                continue
            data = entry["data"]
            variables = {}
            for name, dataset in data.items():
                values = dataset[()]
                if values.dtype.kind in "OS":
                    values = values.astype(str)
                variables[name] = ("row", values, {k: _text(v) for k, v in dataset.attrs.items()})
            attrs = {k: _text(v) for k, v in entry.attrs.items()
                     if k in ("procedure", "source_file", "notes")}
            attrs.update(signal=_text(data.attrs["signal"]), x_axis=_first(data.attrs["axes"]))
            for group, prefix in (("parameters", "parameter"), ("metadata", "metadata")):
                attrs.update({f"{prefix}: {k}": _text(v) for k, v in entry[group].attrs.items()
                              if k != "NX_class"})
            ds = xr.Dataset(variables, coords={"row": np.arange(len(next(iter(
                variables.values()))[1]))}, attrs=attrs)
            out[entry_name] = ds.set_coords(attrs["x_axis"])
    return out


def _first(value: Any) -> str:
    value = _text(value)
    return value[0] if isinstance(value, list) else value


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.dtype.kind in "OSU":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
