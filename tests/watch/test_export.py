"""labspin export (HDF5/NeXus) and xarray Datasets: read back independently, equal to the
CSV that stays the primary record."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from labspin.analysis.datasets import load_dataset, open_export
from labspin.cli import main
from labspin.procedures.loops import HallLoop
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station
from tests.runs.procedures_for_tests import ReadResistance

from .conftest import PASSWORD_VARIABLE, station_file


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    path = station_file(tmp, {"urls": [f"ntfy://lab:${{{PASSWORD_VARIABLE}}}@127.0.0.1/x"],
                              "on": ["failure"]})
    config = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    config["sample"]["calibration"] = {"r_ahe": "0.25 ± 0.003 ohm", "m_eff": "950 mT ± 20 mT",
                                       "threshold_temperature_coefficient": "-0.4 %/K"}
    path.write_text(yaml.safe_dump(config))
    data_dir = tmp / "data"
    with Station.open(path) as station, open_catalog(data_dir) as catalog:
        hall = run_procedure(HallLoop(field_step=0.02, field_max=0.05), station, catalog)
        read = run_procedure(ReadResistance(points=4), station, catalog)
    return {"station": yaml.load(path.read_text(), Loader=yaml.CSafeLoader), "data_dir": data_dir,
            "records": [hall, read], "tmp": tmp}


def csv_frame(file):
    """The CSV read by pandas alone, not by labspin."""
    return pd.read_csv(file, comment="#")


def test_every_column_round_trips_exactly_with_its_unit(runs):
    out = runs["tmp"] / "all.h5"
    result = CliRunner().invoke(main, ["export", "--out", str(out), "--data-dir",
                                       str(runs["data_dir"])])
    assert result.exit_code == 0, result.output
    assert "2 runs" in result.output
    with h5py.File(out, "r") as f:
        assert f.attrs["NX_class"] == "NXroot"
        for record in runs["records"]:
            entry = f[f"run_{record.id:05d}"]
            assert entry.attrs["NX_class"] == "NXentry" and entry.attrs["status"] == "finished"
            data = entry["data"]
            assert data.attrs["NX_class"] == "NXdata"
            frame = csv_frame(record.file)
            labels = {data[name].attrs["long_name"]: name for name in data}
            assert sorted(labels) == sorted(frame.columns)
            for label, name in labels.items():
                np.testing.assert_array_equal(data[name][()], frame[label].to_numpy())
                unit = label[label.index("(") + 1:-1] if "(" in label else ""
                assert data[name].attrs["units"] == unit
            signal, axis = data.attrs["signal"], data.attrs["axes"]
            axis = axis if isinstance(axis, str) else axis[0]
            assert signal in data and axis in data and len(data[signal]) == len(frame)


def test_the_hall_loop_entry_carries_parameters_sample_calibration_snapshot(runs):
    hall = runs["records"][0]
    out = runs["tmp"] / "hall.h5"
    result = CliRunner().invoke(main, ["export", str(hall.id), "--out", str(out),
                                       "--data-dir", str(runs["data_dir"])])
    assert result.exit_code == 0, result.output
    station = runs["station"]
    with h5py.File(out, "r") as f:
        entry = f[f"run_{hall.id:05d}"]
        assert (entry["data"].attrs["signal"], entry["data"].attrs["axes"][0]) == \
            ("r_xy", "field")
        params = entry["parameters"].attrs
        assert params["Maximum field"] == 0.05 and params["Maximum field [units]"] == "T"
        assert params["Field step"] == 0.02
        sample = entry["sample"]
        assert sample.attrs["NX_class"] == "NXsample"
        assert sample["name"][()].decode() == station["sample"]["id"]
        assert sample.attrs["width"] == pytest.approx(5e-6)
        assert sample.attrs["width [units]"] == "m"
        calibration = entry["calibration"].attrs
        assert calibration["coil_constant_y"] == pytest.approx(0.05)
        assert calibration["two_terminal_resistance"] == pytest.approx(350.0)
        # the bar's own calibration, under the station file's names, in SI
        assert (calibration["r_ahe"], calibration["r_ahe_stderr"],
                calibration["r_ahe [units]"]) == (pytest.approx(0.25), pytest.approx(0.003),
                                                  "ohm")
        assert (calibration["m_eff"], calibration["m_eff_stderr"]) == (
            pytest.approx(0.95), pytest.approx(0.02))
        assert calibration["threshold_temperature_coefficient"] == pytest.approx(-4e-3)
        assert calibration["threshold_temperature_coefficient_stderr"] == 0.0
        assert "m_s" not in calibration and "dr_dt" not in calibration  # not given
        snapshot = json.loads(entry["instrument"].attrs["station_snapshot"])
        assert snapshot == hall.station
        meta = entry["metadata"].attrs
        assert meta["Host"] and meta["labspin commit"] and "numpy" in meta["Dependencies"]
        assert len(entry["instrument"].attrs["Station file sha256"]) == 64
        # nothing of the notify section, which names a secret variable, is exported
        assert b"notify" not in entry["instrument"].attrs["station_snapshot"].encode()
    assert PASSWORD_VARIABLE.encode() not in out.read_bytes()


def test_a_nexus_reader_finds_the_plottable_data(runs):
    from nexusformat.nexus import nxload

    out = runs["tmp"] / "nexus.h5"
    CliRunner().invoke(main, ["export", "--out", str(out), "--data-dir",
                              str(runs["data_dir"])])
    root = nxload(str(out))
    hall = runs["records"][0]
    plottable = root[f"run_{hall.id:05d}"].plottable_data
    assert plottable.nxsignal.nxname == "r_xy"
    assert plottable.nxaxes[0].nxname == "field"
    root.nxfile.close()


def test_xarray_from_the_csv_and_from_the_export_are_the_same(runs):
    out = runs["tmp"] / "xr.h5"
    CliRunner().invoke(main, ["export", "--out", str(out), "--data-dir",
                              str(runs["data_dir"])])
    exported = open_export(out)
    for record in runs["records"]:
        direct = load_dataset(record.file)
        back = exported[f"run_{record.id:05d}"]
        frame = csv_frame(record.file)
        assert direct.sizes["row"] == len(frame)
        for name, variable in direct.variables.items():
            if name == "row":
                continue
            np.testing.assert_array_equal(variable.values, back[name].values)
            assert variable.attrs["units"] == back[name].attrs["units"]
            np.testing.assert_array_equal(variable.values,
                                          frame[variable.attrs["long_name"]].to_numpy())
        assert direct.attrs["procedure"] == back.attrs["procedure"] == record.procedure
        params = {k: v for k, v in direct.attrs.items() if k.startswith("parameter: ")}
        assert params and all(back.attrs[k] == v for k, v in params.items())
    hall = load_dataset(runs["records"][0].file)
    assert "field" in hall.coords and hall["r_xy"].attrs["long_name"] == "R_xy (ohm)"


def test_an_unknown_run_id_is_a_message_not_a_traceback(runs):
    result = CliRunner().invoke(main, ["export", "999", "--out", str(runs["tmp"] / "x.h5"),
                                       "--data-dir", str(runs["data_dir"])])
    assert result.exit_code != 0
    assert "no run 999" in result.output and "Traceback" not in result.output


def test_a_header_number_hdf5_cannot_hold_is_kept_as_text_and_nothing_half_written(runs):
    """A 30-digit header value (a barcode as host name, a mangled file) has no HDF5
    integer type: it is written as text, not a traceback; a folder that does not exist
    is named, and no partial file is left behind."""
    hall = runs["records"][0]
    text = open(hall.file, encoding="utf-8").read()
    host = next(line for line in text.splitlines() if line.startswith("#\tHost:"))
    big = "123456789012345678901234567890"
    odd = runs["tmp"] / "big.csv"
    odd.write_text(text.replace(host, f"#\tHost: {big}"), encoding="utf-8")
    out = runs["tmp"] / "big.h5"
    result = CliRunner().invoke(main, ["export", str(odd), "--out", str(out), "--data-dir",
                                       str(runs["tmp"] / "nowhere")])
    assert result.exit_code == 0 and "1 run →" in result.output, result.output
    with h5py.File(out, "r") as f:
        entry = f[f.attrs["default"]]
        assert entry["metadata"].attrs["Host"] == big
    missing = runs["tmp"] / "no-such-folder" / "x.h5"
    result = CliRunner().invoke(main, ["export", str(odd), "--out", str(missing)])
    assert result.exit_code != 0 and "does not exist" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not list(runs["tmp"].glob("*.partial"))


def test_the_sample_geometry_has_the_numbers_the_run_used(runs):
    """A geometry value the station file leaves to labspin (the conducting thickness,
    from the stack) is null in the snapshot: the export takes the header's number, never
    an empty string with units of m."""
    hall = runs["records"][0]
    assert hall.station["sample"].get("conducting_thickness") is None  # the case at hand
    out = runs["tmp"] / "geometry.h5"
    result = CliRunner().invoke(main, ["export", str(hall.id), "--out", str(out),
                                       "--data-dir", str(runs["data_dir"])])
    assert result.exit_code == 0, result.output
    with h5py.File(out, "r") as f:
        entry = f[f"run_{hall.id:05d}"]
        header = entry["metadata"].attrs["Conducting thickness"]
        sample = entry["sample"].attrs
        assert header > 0
        assert (sample["conducting_thickness"], sample["conducting_thickness [units]"]) == \
            (pytest.approx(header), "m")
        for name in sample:
            if name.endswith(" [units]"):
                assert sample[name[:-len(" [units]")]] != "", name
