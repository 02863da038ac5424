"""The instruments and wiring a run needs, checked from the station file before anything
is opened (labspin.station_needs), agree with what the run itself refuses on the bench:
each case is a station lacking one thing, planned and then run without the pre-check."""

import copy
import importlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.procedures import PROCEDURES, procedure_class
from labspin.queues import QueueFileError, parse_queue, plan_queue
from labspin.runs import open_catalog, run_procedure
from labspin.safety import SafetyGuard
from labspin.settings import configure
from labspin.station import Station
from labspin.station_needs import station_problems
from labspin.stationfile import parse_station

cli_measure = importlib.import_module("labspin.cli_measure")  # after labspin.cli (a cycle)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FULL = yaml.load((EXAMPLES / "station-sim.yaml").read_text(encoding="utf-8"),
                 Loader=yaml.CSafeLoader)


def _drop(*roles):
    def change(data):
        for role in roles:
            data["instruments"].pop(role)
    return change


def _no_magnet(axis):
    def change(data):
        data["magnets"].pop(axis)
        data["limits"]["max_field"][axis] = 0.01
    return change


def _wire(wiring):
    return lambda data: data["instruments"]["voltmeter"].update(wiring=wiring)


def _no_r2t(data):
    data["sample"].pop("two_terminal_resistance")
    data["instruments"]["voltmeter"]["wiring"] = {1: "xy"}


SMALL_LOOP = {"field_max": "2 mT", "field_step": "1 mT"}
SMALL_FMR = {"frequencies": "6", "field_step": "5 mT"}
#: name: (procedure, settings, what the station lacks, a word both messages share)
CASES = {
    "harmonic without a lock-in on xy": (
        "HarmonicHall", {"mode": "field sweep", "field_max": "4 mT", "field_step": "2 mT"},
        _drop("lockin"), "{1: xy}"),
    "angle scan without a y magnet": (
        "HarmonicHall", {"field_magnitudes": "0.005", "angle_step": 90}, _no_magnet("y"),
        "magnets.y"),
    "1 us pulses without a pulser": (
        "SwitchingLoop", {"pulse_width": "1 us", "max_pulse_current": "20 mA",
                          "pulse_steps": 2}, _drop("pulser"), "pulser"),
    "bias field without its magnet": (
        "SwitchingLoop", {"bias_field": "5 mT", "bias_axis": "x", "pulse_steps": 2},
        _no_magnet("x"), "magnets.x"),
    "delta readout with xy on channel 2": (
        "SwitchingLoop", {"readout": "R_xy delta", "pulse_steps": 2},
        _wire({1: "xx", 2: "xy"}), "channel 1"),
    "R_xx 2w without a lock-in on xx": (
        "SwitchingLoop", {"pulse_steps": 2}, _drop("lockin_xx"), "{1: xx}"),
    "ST-FMR without an RF generator": ("STFMR", SMALL_FMR, _drop("rf_source"), "rf_source"),
    "ST-FMR by rotator without one": (
        "STFMR", SMALL_FMR | {"angle_control": "rotator"}, _drop("rotator"), "rotator"),
    "USMR without a lock-in on xx": ("USMRLoop", SMALL_LOOP, _drop("lockin_xx"), "{1: xx}"),
    "Hall loop without xx on the 2182A": (
        "HallLoop", SMALL_LOOP, _wire({1: "xy"}), "xx contacts"),
    "Hall loop without a voltmeter": ("HallLoop", SMALL_LOOP, _drop("voltmeter"), "voltmeter"),
    "a stage temperature without a controller": (
        "HallLoop", SMALL_LOOP | {"stage_temperature": 300}, _drop("temperature"),
        "temperature"),
    "no two-terminal resistance and no xx to measure it": (
        "SwitchingLoop", {"pulse_steps": 2, "readout": "R_xy dc"}, _no_r2t, "xx contacts"),
    "6221 pulses from a driver without them": (
        "SwitchingLoop", {"pulse_steps": 2},
        lambda d: d["instruments"]["source"].update(driver="Keithley6221"),
        "Keithley6221Pulse"),
}


def _station(tmp_path, change):
    data = copy.deepcopy(FULL)
    change(data)
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path, parse_station(data, str(path))


@pytest.mark.parametrize("case", CASES)
def test_what_the_plan_refuses_the_run_refuses_too(case, tmp_path):
    name, settings, change, word = CASES[case]
    procedure = configure(procedure_class(name), settings)
    assert station_problems(procedure, parse_station(FULL, "full")) == []
    path, config = _station(tmp_path, change)
    [problem] = station_problems(procedure, config)
    assert word in problem
    with open_catalog(tmp_path / "data") as catalog, Station.open(str(path)) as station:
        record = run_procedure(procedure, station, catalog)  # no pre-check on this path
    assert record.status == "failed" and record.rows <= 1
    assert word in record.error or word.strip("{}") in record.error, record.error


def test_every_procedure_with_its_defaults_fits_the_example_station():
    config = parse_station(FULL, "full")
    for name in PROCEDURES:
        assert station_problems(procedure_class(name)(), config) == [], name


def test_a_plan_lists_every_problem_of_the_file_at_once_by_step_with_run_numbers(tmp_path):
    _, config = _station(tmp_path, lambda d: (_drop("lockin", "pulser")(d),
                                              _no_magnet("x")(d)))
    queue = parse_queue({"steps": [
        {"procedure": "USMRLoop", "parameters": SMALL_LOOP},  # fine: runs 1-2 (repeat)
        {"procedure": "HarmonicHall", "sweep": [{"current": {"values": ["1 mA", "2 mA"]}}]},
        {"procedure": "SwitchingLoop", "parameters": {"pulse_width": "20 ms"}},
        {"procedure": "SwitchingLoop", "parameters": {"pulse_width": "1 us",
                                                      "max_pulse_current": "20 mA"}},
        {"procedure": "NoSuch"},
    ]}, "q.yaml")
    guard = SafetyGuard(config.limits, config.sample, config.name)
    with pytest.raises(QueueFileError) as refused:
        plan_queue(queue, "q.yaml", guard, config)
    lines = str(refused.value).splitlines()
    assert lines[0] == "q.yaml: 6 problems:"
    assert lines[1].startswith("  - step 2 (HarmonicHall), runs 2-3: field along x")
    assert "step 2 (HarmonicHall), runs 2-3: harmonic Hall" in lines[2]
    assert "step 2 (HarmonicHall), runs 2-3: an in-plane angle scan" in lines[3]
    assert "magnets.x" in lines[3]
    assert lines[4] == ("  - step 3 (SwitchingLoop), run 4: pulse_width 20 ms is above its "
                        "maximum 12 ms (Pulse width: s, 1 ns to 12 ms)")
    assert "step 4 (SwitchingLoop), run 5: a 1 us pulse" in lines[5] and "pulser" in lines[5]
    assert lines[6].startswith("  - step 5 (NoSuch): unknown procedure 'NoSuch'")


def test_labspin_run_refuses_a_missing_lock_in_before_opening_anything(tmp_path,
                                                                       monkeypatch):
    path, _ = _station(tmp_path, _drop("lockin", "lockin_xx"))
    monkeypatch.setattr(cli_measure, "open_station", lambda *a: pytest.fail("opened"))
    result = CliRunner().invoke(main, [
        "run", "USMRLoop", "--station", str(path), "--data-dir", str(tmp_path / "d"),
        "--set", "field_max=2 mT", "--set", "field_step=1 mT", "--set", "field_axis=q"])
    assert result.exit_code == 2 and "field_axis 'q' is not a choice" in result.output
    result = CliRunner().invoke(main, [
        "run", "USMRLoop", "--station", str(path), "--data-dir", str(tmp_path / "d"),
        "--set", "field_max=2 mT", "--set", "field_step=1 mT", "--set",
        "stage_temperature=500"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "2 problems:" in result.output
    assert "max_temperature" in result.output and "{1: xx}" in result.output
