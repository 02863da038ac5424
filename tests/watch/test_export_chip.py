"""The export of a chip's bars on the simulated bench says honestly what simulated each
run (tester D, finding 15): the bar's own device (its layers, its AFMI thickness), not
the name of the preset or device file it was made from; the AFMI thickness has a unit."""

from __future__ import annotations

import h5py
import pytest

from labspin.export import export_runs
from labspin.procedures.loops import HallLoop
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station
from labspin.stationfile import parse_station
from tests.station.test_samples import chip

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_each_bar_exports_its_own_simulated_device_and_afmi_thickness_in_metres(tmp_path):
    data_dir = tmp_path / "data"
    station = Station(parse_station(chip(), "chip.yaml"), sim=True, seed=3)
    station.connect()
    try:
        with open_catalog(data_dir) as catalog:
            records = {}
            for bar in ("D1", "D3"):
                procedure = HallLoop(field_step=0.02, field_max=0.04)
                procedure.sample = bar
                records[bar] = run_procedure(procedure, station, catalog)
                assert records[bar].status == "finished", records[bar].error
    finally:
        station.close()
    result = export_runs([], tmp_path / "chip.h5", data_dir)
    assert len(result.entries) == 2 and not result.skipped
    with h5py.File(tmp_path / "chip.h5", "r") as f:
        for bar, afmi in (("D1", "2 nm"), ("D3", "8 nm")):
            entry = f[f"run_{records[bar].id:05d}"]
            calibration, sample = entry["calibration"].attrs, entry["sample"].attrs
            assert calibration["simulated_device"] == f"Py 5 nm / NiO {afmi}" or \
                calibration["simulated_device"].endswith(f"/ Py 5 nm / NiO {afmi}")
            assert calibration["simulated_device [long_name]"] == \
                f"the simulated device of bar {bar}: its layers"
            assert calibration["simulated_device_made_from"]  # the preset's name, said as such
            assert "simulated_preset" not in calibration
            assert sample["afmi_thickness"] == pytest.approx(float(afmi.split()[0]) * 1e-9)
            assert sample["afmi_thickness [units]"] == "m"
