"""A small Python API for people who write their own overnight loops.

    from labspin import api

    with api.open_station("examples/station-sim.yaml") as station:
        run = api.run(station, "HallLoop", field_axis="z", field_max=0.05)
        print(run.status, run.file)
        data = api.load(run)              # a pandas DataFrame, units in the column names

The same catalog, files and safety as ``labspin run`` and queues: limits are checked
before anything is applied, every row is on disk as it is measured, and the station is
left safe after each run and when the ``with`` block ends, however it ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from labspin.procedures import procedure_class
from labspin.runs import DEFAULT_DATA_DIR, Catalog, RunRecord, open_catalog, run_procedure
from labspin.station import Station


def open_station(station_file: str | Path | None = None, *, sim: bool = False,
                 preset: str | None = None, seed: int | None = None,
                 device: Any = None) -> Station:
    """Open a station file (or, with ``sim=True`` and no file, the built-in simulated
    station); use it in a ``with`` block so it is always closed safely.

    ``device`` is what the simulated bench simulates instead of the file's sim device:
    a device file (``"chip7.yaml"``), its keys as a dict, or a
    ``labspin.physics.DeviceParameters`` (``preset`` takes a preset name)."""
    return Station.open(station_file, sim=sim, preset=preset, seed=seed, device=device)


def run(station: Station, procedure: str | type, *, data_dir: str | Path = DEFAULT_DATA_DIR,
        **parameters: Any) -> RunRecord:
    """Run one procedure with ``parameters`` (SI values) and return its catalog record."""
    cls = procedure_class(procedure) if isinstance(procedure, str) else procedure
    proc = cls()
    proc.set_parameters(parameters)
    with open_catalog(data_dir) as catalog:
        return run_procedure(proc, station, catalog)


def runs(data_dir: str | Path = DEFAULT_DATA_DIR, **filters: Any) -> list[RunRecord]:
    """Catalog records matching ``filters`` (procedure, status, sample, queue_id, since,
    limit)."""
    with open_catalog(data_dir) as catalog:
        return catalog.query(**filters)


def load(record: RunRecord | int, data_dir: str | Path = DEFAULT_DATA_DIR) -> pd.DataFrame:
    """The measured rows of a run."""
    if isinstance(record, int):
        catalog = Catalog(data_dir)
        try:
            record = catalog.get(record)
        finally:
            catalog.close()
    return record.load().data
