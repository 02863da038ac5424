"""A run records its bar: labspin run --sample, sample: per queue step and swept like a
parameter; the catalog, the file header and the bench's device follow it. And the stage
temperature's explicit off.

Known answers: the bars and values written in the station file, the presets' layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.analysis.loaders import load_run
from labspin.cli import main
from labspin.procedures import PROCEDURES
from labspin.queue_runner import run_queue
from labspin.queues import QueueFileError, parse_queue, plan_queue, varying_settings
from labspin.runs import open_catalog
from labspin.station import Station, default_sim_config, station_guard
from labspin.stationfile import parse_station

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def test_procedure(monkeypatch):
    monkeypatch.setitem(PROCEDURES, "ReadResistance",
                        "tests.runs.procedures_for_tests:ReadResistance")


def chip_data() -> dict:
    data = yaml.load((EXAMPLES / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
    data["sample"] = {"width": "5 um", "length": "20 um", "fm_thickness": "5 nm",
                      "stack": "Py 5 nm / NiO"}
    data["samples"] = [
        {"id": "D1", "afmi_thickness": "2 nm",
         "calibration": {"r_ahe": "0.57 ± 0.01 ohm", "dr_dt": "0.41 ohm/K"}},
        {"id": "D2", "afmi_thickness": "4 nm", "width": "1 um"},
        {"id": "D3", "afmi_thickness": "8 nm", "preset": "py-coo"}]
    return data


@pytest.fixture
def chip_file(tmp_path) -> Path:
    path = tmp_path / "chip.yaml"
    path.write_text(yaml.safe_dump(chip_data()))
    return path


def chip_guard():
    return station_guard(parse_station(chip_data(), "chip.yaml"))


def plan(steps, guard=None):
    return plan_queue(parse_queue({"steps": steps}, "q.yaml"), "q.yaml",
                      chip_guard() if guard is None else guard)


def test_sample_is_a_step_key_a_parameter_and_a_sweep():
    p = plan([{"procedure": "ReadResistance", "sample": "D2"},
              {"procedure": "ReadResistance", "parameters": {"sample": "D3", "points": 2}},
              {"procedure": "ReadResistance",
               "sweep": [{"sample": {"values": ["D1", "D2", "D3"]}},
                         {"points": {"values": [1, 2]}}]},
              {"procedure": "ReadResistance"}])
    assert [r.sample for r in p.runs] == ["D2", "D3", "D1", "D1", "D2", "D2", "D3", "D3",
                                          "D1"]  # a run without one: the chip's first bar
    assert p.samples == ["D2", "D3", "D1"]
    assert "sample=D1" in varying_settings(p)[2]


def test_a_plan_without_samples_is_unchanged_on_a_station_of_one():
    config = default_sim_config()
    p = plan([{"procedure": "ReadResistance"}], guard=station_guard(config))
    assert "sample" not in p.runs[0].parameters and p.runs[0].sample is None


@pytest.mark.parametrize(("step", "message"), [
    ({"sample": "D9"}, r"step 1 \(ReadResistance\).*: sample 'D9' is not a bar of the "
                       r"station \(D1, D2, D3\)"),
    ({"sweep": [{"sample": {"values": ["D1", "D7"]}}]}, r"sample 'D7' is not a bar"),
    ({"sample": "D1", "sweep": [{"sample": {"values": ["D2"]}}]}, r"the sample is given twice"),
    ({"sweep": [{"sample": {"linspace": [1, 3, 3]}}]}, r"list the bars with values"),
    ({"sweep": [{"sample": {"values": [True]}}]}, r"True is not a sample id"),
    # 60 mA is within the limits of a 5 um bar, not of the 1 um D2
    ({"parameters": {"read_current": 0.06}, "sweep": [{"sample": {"values": ["D1", "D2"]}}]},
     r"on sample D2: read current density"),
])
def test_samples_are_checked_when_the_queue_is_planned(step, message):
    with pytest.raises(QueueFileError, match=message):
        plan([{"procedure": "ReadResistance", **step}])


def test_a_queue_sweeping_samples_measures_each_bar_and_records_it(tmp_path, chip_file):
    queue = parse_queue({"steps": [
        {"procedure": "ReadResistance", "parameters": {"points": 2},
         "sweep": [{"sample": {"values": ["D2", "D1", "D3"]}}]},
        {"procedure": "ReadResistance", "parameters": {"points": 1}}]}, "q.yaml")
    station = Station.open(chip_file, sim=True)
    devices = []
    with open_catalog(tmp_path / "data") as catalog, station:
        planned = plan_queue(queue, str(tmp_path / "q.yaml"), station.guard)
        outcome = run_queue(planned, station, catalog, on_run_end=lambda run, rec: devices.append(
            (station.sample.id, station.bench.device.params.name,
             station.bench.device.params.top.thickness)))
        records = catalog.query(queue_id=outcome.queue_id)
        by_sample = [r.id for r in catalog.query(sample="D1")]
    assert outcome.finished == 4
    assert [r.sample for r in records] == ["D2", "D1", "D3", "D1"]
    assert [d[0] for d in devices] == ["D2", "D1", "D3", "D1"]
    assert devices[2][1] == "py-coo" and devices[0][2] == pytest.approx(4e-9)
    assert by_sample == [records[1].id, records[3].id]
    assert records[0].station["sample"]["id"] == "D2"
    runs = [load_run(r.file) for r in records]
    assert [r.metadata["Sample"] for r in runs] == ["D2", "D1", "D3", "D1"]
    assert [r.metadata["AFMI thickness"] for r in runs[:3]] == pytest.approx([4e-9, 2e-9,
                                                                             8e-9])
    assert runs[0].metadata["Bar width"] == pytest.approx(1e-6)
    d1 = runs[1].metadata
    assert (d1["Calibration R_AHE"], d1["Calibration R_AHE stderr"]) == pytest.approx(
        (0.57, 0.01))
    assert runs[1].units["Calibration dR/dT"] == "ohm/K"
    assert d1["Calibration dR/dT stderr"] == "not given"
    assert runs[0].metadata["Calibration R_AHE"] == "not given"
    assert "NiO 4 nm" in runs[0].metadata["Bench"]
    assert "py-coo" in runs[2].metadata["Bench"] and "CoO 8 nm" in runs[2].metadata["Bench"]
    # the stage was left alone: said so, never as a temperature
    assert runs[0].parameters["Stage temperature"] == "off"
    assert "Stage temperature: 0" not in Path(records[0].file).read_text()


def test_labspin_run_sample_and_runs_sample(tmp_path, chip_file):
    data = str(tmp_path / "data")
    cli = CliRunner()
    result = cli.invoke(main, ["run", "ReadResistance", "--station", str(chip_file), "--sample",
                               "D3", "--set", "points=1", "--data-dir", data])
    assert result.exit_code == 0, result.output
    result = cli.invoke(main, ["run", "ReadResistance", "--station", str(chip_file),
                               "--set", "points=1", "--data-dir", data])
    assert result.exit_code == 0, result.output
    listed = cli.invoke(main, ["runs", "--sample", "D3", "--data-dir", data])
    assert listed.exit_code == 0 and "D3" in listed.output and "D1" not in listed.output
    with open_catalog(data) as catalog:
        assert [r.sample for r in catalog.query()] == ["D3", "D1"]
    refused = cli.invoke(main, ["run", "ReadResistance", "--station", str(chip_file),
                                "--sample", "D8", "--data-dir", data])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "no sample 'D8'; its samples are D1, D2, D3" in refused.output
    dense = cli.invoke(main, ["run", "ReadResistance", "--station", str(chip_file),
                              "--sample", "D2", "--set", "read_current=60 mA",
                              "--data-dir", data])
    assert dense.exit_code != 0 and "current density" in dense.output


def test_a_run_on_a_bar_the_station_lacks_fails_cleanly(tmp_path, chip_file):
    from labspin.procedures import procedure_class
    from labspin.runs import run_procedure

    station = Station.open(chip_file, sim=True)
    with open_catalog(tmp_path / "data") as catalog, station:
        proc = procedure_class("ReadResistance")()
        proc.sample = "D5"
        record = run_procedure(proc, station, catalog)
    assert record.status == "failed" and "no sample 'D5'" in record.error
    assert record.sample == "D5" and station.sample.id == "D1"


# -- the stage temperature: an explicit off -----------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("off", "off"), (None, "off"), ("", "off"), (0, "off"), ("0 K", "off"),
    (300, 300.0), ("310 K", 310.0), ("27 degC", pytest.approx(300.15))])
def test_stage_temperature_takes_a_temperature_or_off(given, expected):
    from labspin.settings import configure

    proc = configure(read_resistance(), {"stage_temperature": given} if given is not None
                     else {})
    assert proc.stage_temperature == expected
    text = str(proc.parameter_objects()["stage_temperature"])
    assert text == ("off" if expected == "off" else f"{proc.stage_temperature:g} K")


def read_resistance() -> type:
    from labspin.procedures import procedure_class

    return procedure_class("ReadResistance")


@pytest.mark.parametrize(("given", "message"), [
    ("2000 K", r"stage_temperature 2000 K is above its maximum 1000 K \(Stage temperature: "
               r"K, 1 K to 1000 K, or off\)"),
    ("0.5 K", r"below its minimum 1 K \(write off"),
    ("warm", r"'warm' is not a number: give a temperature like '300 K', or off"),
    ("5 T", r"not in units of K")])
def test_a_stage_temperature_that_is_neither_is_refused_by_name(given, message):
    from labspin.settings import SettingError, configure

    with pytest.raises(SettingError, match=message):
        configure(read_resistance(), {"stage_temperature": given})


def test_old_files_with_0_k_still_read_and_mean_off(tmp_path):
    from pymeasure.experiment import Results

    path = tmp_path / "old.csv"
    path.write_text("#Procedure: <tests.runs.procedures_for_tests.ReadResistance>\n"
                    "#Parameters:\n#\tPoints: 1\n#\tRead current: 0.0001 A\n"
                    "#\tReadout: dc\n#\tFail at point: -1\n#\tInterrupt at point: -1\n"
                    "#\tStage temperature: 0 K\n#Metadata:\n#\tSample: old\n#Data:\n"
                    "Index,R_xx (ohm),Time (s)\n0,200.0,0.1\n")
    assert Results.load(str(path)).procedure.stage_temperature == "off"
    run = load_run(path)
    assert run.parameters["Stage temperature"] == 0  # as written; the analysis reads it
    assert json.loads(json.dumps(run.parameters))["Stage temperature"] == 0


def test_queue_plan_shows_the_bar_of_every_run_fixed_or_swept(tmp_path):
    station = Path(__file__).resolve().parents[2] / "examples" / "station-chip.yaml"
    queue = tmp_path / "q.yaml"
    queue.write_text(yaml.safe_dump({"name": "bars", "station": str(station), "steps": [
        {"procedure": "HallLoop", "sample": "chip7-NiO3"},
        {"procedure": "HallLoop", "sweep": [{"sample": {"values": ["chip7-NiO1.5",
                                                                   "chip7-NiO8"]}}]}]}))
    result = CliRunner().invoke(main, ["queue", "plan", str(queue), "--sim"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "HallLoop" in line]
    assert ["chip7-NiO3" in rows[0], "chip7-NiO1.5" in rows[1], "chip7-NiO8" in rows[2]] \
        == [True, True, True]
    assert "sample=" not in result.output  # in its own column, not again as a parameter
