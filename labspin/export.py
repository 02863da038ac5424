"""``labspin export``: runs as HDF5/NeXus, for readers that do not speak labspin's CSV.

The CSV stays the primary record; the export is made from it (plus what the catalog
knows: status, times, station snapshot) and names it, with its sha256, in every entry.
One NeXus ``NXentry`` per run::

    run_00012/                      NXentry   @default="data", @procedure, @source_file ...
        title, start_time, end_time, program_name (@version, @commit)
        data/                       NXdata    @signal, @axes, one dataset per column
                                              (@units, @long_name)
        parameters/                 NXcollection, the run's parameters as attributes
        metadata/                   NXcollection, the file header's metadata (provenance)
        sample/                     NXsample  name; geometry as attributes (SI)
        calibration/                NXcollection, the bar's calibration (r_ahe, m_eff,
                                    m_s, ... each with <name>_stderr, as in the station
                                    file), coil constants, two-terminal R; on the
                                    simulated bench the bar's simulated device (its
                                    layers), what it was made from, the seed
        instrument/                 NXinstrument  @station_snapshot (JSON)

Parameters and metadata are attributes named by their header label; a unit is in the
attribute ``"<label> [units]"`` beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labspin import __version__
from labspin.analysis.calibration import CALIBRATION, header_calibration
from labspin.analysis.datasets import natural_axes, split_label, variable_names
from labspin.analysis.loaders import RunData, RunFileError, find_run_files, load_run
from labspin.data_folder import catalog_unreadable, describe_missing, locate

#: calibration attribute names in the export (the station file's keys)
CALIBRATION_NAMES = {"r_ahe": "r_ahe", "r_phe": "r_phe", "m_eff": "m_eff", "ms": "m_s",
                     "dr_dt": "dr_dt",
                     "threshold_coefficient": "threshold_temperature_coefficient"}


class ExportError(RuntimeError):
    """The export cannot be written (no runs, unknown run id, file not writable)."""


@dataclass
class Exported:
    path: Path
    entries: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # file, why


def catalog_records(data_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Catalog rows by the resolved path of their file in ``data_dir`` (where a copied
    or moved folder has it, :func:`labspin.data_folder.locate`), read without writing
    (empty if none). A row whose file cannot be read from the folder says why in
    ``"problem"``."""
    path = Path(data_dir) / "catalog.sqlite"
    if not path.is_file():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute("SELECT * FROM runs WHERE file IS NOT NULL").fetchall()
    except sqlite3.Error as exc:
        raise ExportError(catalog_unreadable(data_dir, exc)) from None
    finally:
        db.close()
    out = {}
    for r in rows:
        located = locate(data_dir, r["file"])
        record = dict(r, file=str(located.path))
        if located.missing:
            record["problem"] = describe_missing(r["id"], located.path, located.elsewhere)
        out[str(located.path.resolve())] = record
    return out


def _iso(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).astimezone().isoformat()


def _attr(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        return str(value)  # no HDF5 integer holds it (a barcode, a mangled header)
    if isinstance(value, int | float | str):
        return value
    return json.dumps(value, default=str)


def _set_attrs(group: Any, entries: dict[str, Any], units: dict[str, str]) -> None:
    for label, value in entries.items():
        group.attrs[label] = _attr(value)
        if units.get(label):
            group.attrs[f"{label} [units]"] = units[label]


def _string(group: Any, name: str, text: str) -> Any:
    import h5py

    return group.create_dataset(name, data=text, dtype=h5py.string_dtype())


def write_entry(f: Any, name: str, run: RunData, record: dict[str, Any] | None) -> None:
    """One run as a NeXus NXentry named ``name`` in the open HDF5 file ``f``."""
    import h5py

    record = record or {}
    station = json.loads(record["station"]) if record.get("station") else {}
    entry = f.create_group(name)
    entry.attrs.update(NX_class="NXentry", default="data", procedure=run.procedure,
                       source_file=str(run.path),
                       source_sha256=hashlib.sha256(run.path.read_bytes()).hexdigest())
    if record:
        entry.attrs.update(run_id=int(record["id"]), status=record["status"],
                           error=record.get("error") or "")
    if run.notes:
        entry.attrs["notes"] = "; ".join(run.notes)
    sample_id = run.metadata.get("Sample", record.get("sample") or "")
    _string(entry, "title", f"{run.procedure} of {sample_id}"
            + (f", run {record['id']}" if record else ""))
    _string(entry, "start_time", _iso(record.get("started")) or str(run.metadata.get(
        "Started", "")))
    _string(entry, "end_time", _iso(record.get("finished")))
    program = _string(entry, "program_name", "labspin")
    program.attrs["version"] = str(run.metadata.get("labspin version", ""))
    program.attrs["commit"] = str(run.metadata.get("labspin commit", ""))
    program.attrs["exported_by"] = f"labspin {__version__}"

    data = entry.create_group("data")
    names = variable_names(run.data.columns)
    for label, var in names.items():
        values = run.data[label].to_numpy()
        if values.dtype == object:
            ds = data.create_dataset(var, data=values.astype(str).astype(object),
                                     dtype=h5py.string_dtype())
        else:
            ds = data.create_dataset(var, data=values)
        ds.attrs["long_name"] = label
        ds.attrs["units"] = split_label(label)[1]
    x, y = natural_axes(run.data.columns, run.data)
    data.attrs.update(NX_class="NXdata", signal=names[y], axes=[names[x]])
    data.attrs[f"{names[x]}_indices"] = 0

    for group_name, entries in (("parameters", run.parameters), ("metadata", run.metadata)):
        group = entry.create_group(group_name)
        group.attrs["NX_class"] = "NXcollection"
        _set_attrs(group, entries, run.units)

    sample = entry.create_group("sample")
    sample.attrs["NX_class"] = "NXsample"
    _string(sample, "name", str(sample_id))
    geometry = dict(station.get("sample") or {})
    for label, key in (("Sample stack", "stack"), ("Bar width", "width"),
                       ("Bar length", "length"), ("FM thickness", "fm_thickness"),
                       ("Conducting thickness", "conducting_thickness"),
                       ("AFMI thickness", "afmi_thickness")):
        # the snapshot leaves a value the station file did not set as null (the
        # conducting thickness comes from the stack): the run's header has the number used
        if label in run.metadata and geometry.get(key) in (None, ""):
            geometry[key] = run.metadata[label]
    geometry.pop("id", None)
    geometry = {k: v for k, v in geometry.items() if v not in (None, "")}  # no unit on ""
    _set_attrs(sample, geometry, {k: "m" for k in ("width", "length", "fm_thickness",
                                                   "conducting_thickness", "afmi_thickness")}
               | {"two_terminal_resistance": "ohm"})

    calibration = entry.create_group("calibration")
    calibration.attrs["NX_class"] = "NXcollection"
    for part in str(run.metadata.get("Coil constants", "") or "").split(","):
        axis, _, rest = part.strip().partition(" ")
        if axis and rest:
            value, _, unit = rest.partition(" ")
            calibration.attrs[f"coil_constant_{axis}"] = float(value)
            calibration.attrs[f"coil_constant_{axis} [units]"] = unit
    if geometry.get("two_terminal_resistance"):
        calibration.attrs["two_terminal_resistance"] = geometry["two_terminal_resistance"]
        calibration.attrs["two_terminal_resistance [units]"] = "ohm"
    for key, (value, stderr) in header_calibration(run).items():  # the bar's own
        label, unit = CALIBRATION[key]
        name = CALIBRATION_NAMES[key]
        calibration.attrs[name] = value
        calibration.attrs[f"{name}_stderr"] = stderr
        calibration.attrs[f"{name} [units]"] = unit
        calibration.attrs[f"{name} [long_name]"] = label
    if station.get("sim"):
        _simulated(calibration, station["sim"], str(sample_id))

    instrument = entry.create_group("instrument")
    instrument.attrs["NX_class"] = "NXinstrument"
    _string(instrument, "name", str(station.get("station") or run.metadata.get("Station", "")))
    instrument.attrs["station_snapshot"] = json.dumps(station, default=str) if station else ""
    for label in ("Station file sha256", "Bench", "Host", "Dependencies"):
        if label in run.metadata:
            instrument.attrs[label] = str(run.metadata[label])


def _layers(device: dict[str, Any]) -> str:
    """'SiO2 100 nm / Py 4 nm / CoO 2 nm': the layers of a snapshot's device."""
    parts = []
    for side in ("bottom", "ferromagnet", "top"):
        layer = device.get(side)
        if isinstance(layer, dict) and layer.get("name"):
            thickness = layer.get("thickness")
            parts.append(f"{layer['name']} {thickness * 1e9:g} nm"
                         if isinstance(thickness, int | float) else str(layer["name"]))
    return " / ".join(parts)


def _simulated(group: Any, sim: dict[str, Any], sample_id: str) -> None:
    """What simulated the run: the bar's own device (its layers: a chip's bars share a
    device file or preset but each has its own AFMI thickness), the preset or device
    file it was made from by name, and the bench's seed."""
    bar = sim.get("sample") or sample_id
    layers = _layers(sim.get("device") or {})
    group.attrs["simulated_device"] = layers or str(sim.get("preset", ""))
    group.attrs["simulated_device [long_name]"] = (
        f"the simulated device of bar {bar}" + (": its layers" if layers else ""))
    group.attrs["simulated_device_made_from"] = str(sim.get("preset", ""))
    group.attrs["simulated_device_made_from [long_name]"] = (
        "the name of the preset (or the name: of the device file) the bar's simulated "
        "device was made from; a chip's bars then take their own geometry and AFMI "
        "thickness")
    group.attrs["simulated_seed"] = int(sim.get("seed", 0))
    group.attrs["simulated_seed [long_name]"] = "seed of the simulated bench"


def _sources(sources: Iterable[str], data_dir: Path,
             records: dict[str, dict[str, Any]]) -> list[Path]:
    by_id = {int(r["id"]): path for path, r in records.items()}
    files: list[Path] = []
    for source in sources:
        if source.isdigit():
            if int(source) not in by_id:
                raise ExportError(f"no run {source} with a file in the catalog of {data_dir}; "
                                  "'labspin runs' lists them")
            files.append(Path(by_id[int(source)]))
        else:
            try:
                files += find_run_files(source)
            except (OSError, ValueError) as exc:
                raise ExportError(str(exc)) from None
    if not sources:
        files = [Path(p) for p in records]
    return files


def export_runs(sources: Iterable[str], out: str | Path, data_dir: str | Path) -> Exported:
    """Write the runs named by ``sources`` (run ids of ``data_dir``'s catalog, files or
    folders; none: every run of the catalog) to the HDF5 file ``out`` (replaced)."""
    import h5py

    data_dir = Path(data_dir)
    records = catalog_records(data_dir)
    files = _sources(list(sources), data_dir, records)
    if not files:
        raise ExportError(f"no runs to export (none named, and no catalog in {data_dir})")
    result = Exported(Path(out))
    folder = Path(out).resolve().parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {out}: the folder {folder} does not exist; create "
                          "it or give another --out")
    # written beside, then renamed: a failed export never leaves a half-written file
    partial = Path(out).with_name(Path(out).name + ".partial")
    try:
        handle = h5py.File(partial, "w")
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        with handle as f:
            _write_runs(f, files, records, result, Path(out).name)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _write_runs(f: Any, files: list[Path], records: dict[str, dict[str, Any]],
                result: Exported, file_name: str) -> None:
    import h5py

    f.attrs.update(NX_class="NXroot", creator=f"labspin {__version__}",
                   file_name=file_name, HDF5_Version=h5py.version.hdf5_version,
                   h5py_version=h5py.version.version,
                   file_time=dt.datetime.now().astimezone().isoformat())
    for file in files:
        record = records.get(str(Path(file).resolve()))
        if record and record.get("problem"):  # never another folder's file in its place
            result.skipped.append((str(file), record["problem"]))
            continue
        try:
            run = load_run(file)
        except (RunFileError, OSError) as exc:
            result.skipped.append((str(file), str(exc)))
            continue
        name = f"run_{int(record['id']):05d}" if record else f"file_{Path(file).stem}"
        while name in f:
            name += "_"
        try:
            write_entry(f, name, run, record)
        except (TypeError, ValueError, OSError) as exc:  # a value HDF5 cannot hold
            if name in f:
                del f[name]
            result.skipped.append((str(file), f"cannot be written to HDF5: {exc}"))
            continue
        result.entries.append(name)
    if result.entries:
        f.attrs["default"] = result.entries[0]
