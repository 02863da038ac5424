"""Loading saved runs: real run files from the simulated bench, and broken ones."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from labspin.analysis.loaders import (
    CatalogQueryError,
    RunFileError,
    find_run_files,
    load_catalog_query,
    load_run,
    load_runs,
    parse_value,
)

HALL = {"field_max": 0.02, "field_step": 0.002}
HARMONIC = {"mode": "angle scan", "field_magnitudes": "0.3, 0.4, 0.5", "angle_step": 60,
            "current": 0.007, "time_constant": 0.1}


def make_runs(data_dir: Path) -> dict[str, Path]:
    """A small Hall loop (cofeb-nio-pma), a switching loop and a harmonic-Hall angle scan
    (py-nio), run on the simulated bench into ``data_dir``; returns procedure -> file."""
    from labspin.procedures import procedure_class
    from labspin.runs import open_catalog, run_procedure
    from labspin.station import Station

    files = {}
    with open_catalog(data_dir) as catalog:
        plan = [("cofeb-nio-pma", "HallLoop", HALL), ("py-nio", "SwitchingLoop", {}),
                ("py-nio", "HarmonicHall", HARMONIC)]
        for preset, name, values in plan:
            with Station.open(sim=True, preset=preset, seed=1) as station:
                proc = procedure_class(name)()
                proc.set_parameters(values)
                record = run_procedure(proc, station, catalog)
            assert record.status == "finished", record.error
            files[name] = Path(record.file)
    return files


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    return make_runs(tmp_path_factory.mktemp("runs"))


def test_hall_loop_file_is_read_exactly(runs):
    run = load_run(runs["HallLoop"])
    assert run.procedure == "HallLoop"
    assert run.procedure_path == "labspin.procedures.loops.HallLoop"
    assert run.parameters["Maximum field"] == pytest.approx(0.02)
    assert run.units["Maximum field"] == "T"
    assert run.parameters["Field step"] == pytest.approx(0.002)
    assert run.parameters["Field axis"] == "z"
    assert run.parameters["Loops"] == 1
    assert run.metadata["Sample"] == "sim-cofeb-nio-pma"
    # the device and the stack it simulates
    assert run.metadata["Bench"].startswith("simulated: cofeb-nio-pma (")
    assert run.metadata["Bench"].endswith(" nm), seed 1")
    assert list(run.data.columns) == ["Field setpoint (T)", "Field (T)", "Branch", "Loop",
                                      "R_xy (ohm)", "R_xx (ohm)", "Time (s)"]
    # the values are the file's text, parsed as numbers
    lines = runs["HallLoop"].read_text().splitlines()
    start = lines.index("#Data:") + 2
    rows = [line.split(",") for line in lines[start:] if line]
    assert len(run.data) == len(rows)
    for i in (0, len(rows) // 2, len(rows) - 1):
        assert run.data["R_xy (ohm)"].iloc[i] == float(rows[i][4])
        assert run.data["Branch"].iloc[i] == int(rows[i][2])


def test_harmonic_file_keeps_text_and_units(runs):
    run = load_run(runs["HarmonicHall"])
    assert run.parameters["Mode"] == "angle scan"
    assert run.parameters["Field magnitudes (T)"] == "0.3, 0.4, 0.5"
    assert run.parameters["AC current amplitude"] == pytest.approx(0.007)
    assert run.units["AC current amplitude"] == "A"
    assert run.units["Angle step"] == "deg"
    assert sorted(set(run.data["Field setpoint (T)"])) == [0.3, 0.4, 0.5]
    assert run.data["V_xy 2w (V)"].notna().all()


@pytest.mark.parametrize(("text", "expected"), [
    ("0.02 T", (0.02, "T")), ("1 NPLC", (1, "NPLC")), ("True", (True, "")),
    ("z", ("z", "")), ("1.3e+11 A/m^2", (1.3e11, "A/m^2")),
    ("simulated: py-nio, seed 0", ("simulated: py-nio, seed 0", "")),
    ("2026-11-24 03:34:47", ("2026-11-24 03:34:47", "")), ("0.1.0", ("0.1.0", "")),
])
def test_parse_value(text, expected):
    assert parse_value(text) == expected


def test_broken_files_are_named_with_the_problem(runs, tmp_path):
    src = runs["HallLoop"]
    header_cut = src.read_text().split("#Metadata:")[0]
    cases = {
        "header.csv": (header_cut, "no '#Data:'"),
        "garbage.csv": ("hello,world\n1,2\n", "not a labspin/pymeasure run file"),
        "empty.csv": ("", "empty"),
    }
    for name, (text, problem) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(RunFileError, match=problem) as info:
            load_run(tmp_path / name)
        assert name in str(info.value)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(RunFileError, match="not a text file"):
        load_run(tmp_path / "binary.csv")
    # a corrupt row in the middle is an error
    lines = src.read_text().splitlines()
    lines[-5] = lines[-5].rsplit(",", 2)[0]
    (tmp_path / "middle.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(RunFileError, match="corrupt row"):
        load_run(tmp_path / "middle.csv")


def test_a_last_row_cut_by_a_crash_is_left_out_and_the_rest_kept(runs, tmp_path):
    src = runs["HallLoop"]
    text = src.read_text().rstrip("\n")
    (tmp_path / "cut.csv").write_text(text[: text.rfind(",") - 2])
    whole, cut = load_run(src), load_run(tmp_path / "cut.csv")
    assert len(cut.data) == len(whole.data) - 1
    assert cut.data.equals(whole.data.iloc[:-1])
    assert any("cut off" in note for note in cut.notes)


def test_load_runs_skips_bad_files(runs, tmp_path):
    bad = tmp_path / "garbage.csv"
    bad.write_text("not a run\n")
    cut = tmp_path / "cut.csv"  # cut inside its header
    cut.write_text(runs["SwitchingLoop"].read_text().split("#Data:")[0])
    good, skipped = load_runs([runs["HallLoop"], bad, cut, runs["SwitchingLoop"]])
    assert [r.procedure for r in good] == ["HallLoop", "SwitchingLoop"]
    assert [p for p, _ in skipped] == [bad, cut]
    assert all(reason for _, reason in skipped)


def test_find_run_files_recurses_and_dedups(runs):
    data_dir = runs["HallLoop"].parent.parent
    found = find_run_files([data_dir, runs["HallLoop"]])
    assert sorted(p.name for p in found) == sorted(p.name for p in runs.values())


def test_catalog_query(runs):
    data_dir = runs["HallLoop"].parent.parent
    everything = load_catalog_query(data_dir)
    assert len(everything) == 3
    hall = load_catalog_query(data_dir, procedure="HallLoop", field_max="0.02")
    assert list(hall["path"]) == [runs["HallLoop"]]
    assert hall["parameters"].iloc[0]["field_step"] == pytest.approx(0.002)
    assert load_catalog_query(data_dir, procedure="HallLoop", field_max="0.03").empty
    assert len(load_catalog_query(data_dir, sample="sim-py-nio", status="finished")) == 2
    assert load_catalog_query(data_dir, no_such_parameter="1").empty
    with pytest.raises(CatalogQueryError, match="no runs catalog"):
        load_catalog_query(data_dir / "nowhere")
    assert not math.isnan(everything["id"].iloc[0])
