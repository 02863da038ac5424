"""A station file whose driver options would be refused when the station opens is refused
already by ``labspin queue plan`` and ``labspin run --dry-run`` (and by ``labspin run``
before anything opens), with the very line opening gives: the file, the entry's options
key, the option and what to do. Nothing is opened to find out: the instruments of a
hardware station file need not exist, and neither the simulated bench's VISA library
nor ``Station.connect`` is reached."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import labspin.cli  # noqa: F401  (first: it registers the command modules)
from labspin.cli import main
from labspin.simulated_instruments.visa import BenchVisaLibrary
from labspin.station import Station, StationError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HALL = ("--set", "field_axis=z", "--set", "field_max=10 mT", "--set", "field_step=5 mT",
        "--set", "settle_time=10 ms")

CASES = [
    (("magnets", "z", "supply"), {"read_termination": "\n"}, "magnets.z.supply.options",
     "'read_termination' is set by the KepcoBOP3612 driver itself and cannot be given "
     "again; remove it from the options"),
    (("magnets", "z", "gaussmeter"), {"asrl": {"baud_rate": 9600}},
     "magnets.z.gaussmeter.options", "'asrl' is set by the LakeShore425 driver itself"),
    (("instruments", "source"), {"bogus_option": 1}, "instruments.source.options",
     "'bogus_option' is not an option of the Keithley6221Pulse driver or of its VISA "
     "connection"),
    (("instruments", "voltmeter"), {"timeout": "fast"}, "instruments.voltmeter.options",
     "'timeout': 'fast' is refused by the Keithley2182 driver or its VISA connection"),
]
IDS = ["clash with the driver", "clash on a gaussmeter", "unknown option", "refused value"]


def station_with(tmp_path: Path, where: tuple[str, ...], options: dict,
                 example: str = "station-sim.yaml") -> Path:
    data = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    entry = data
    for key in where:
        entry = entry[key]
    entry["options"] = options
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def queue_on(tmp_path: Path, station: Path) -> Path:
    queue = tmp_path / "night.yaml"
    queue.write_text(yaml.safe_dump({"name": "night", "station": station.name, "steps": [
        {"procedure": "HallLoop", "parameters": {"field_axis": "z", "field_max": "10 mT",
                                                 "field_step": "5 mT"}}]}), encoding="utf-8")
    return queue


@pytest.fixture
def nothing_opens(monkeypatch):
    """Any instrument opened, simulated or through a station, fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("an instrument was opened")

    monkeypatch.setattr(Station, "connect", refuse)
    monkeypatch.setattr(BenchVisaLibrary, "open", refuse)


def opening_says(path: Path) -> str:
    with pytest.raises(StationError) as caught:
        Station.open(path)
    return str(caught.value)


@pytest.mark.parametrize(("where", "options", "key", "problem"), CASES, ids=IDS)
def test_queue_plan_refuses_what_opening_would_refuse_in_the_same_words(
        tmp_path, where, options, key, problem, monkeypatch, nothing_opens):
    station = station_with(tmp_path, where, options)
    queue = queue_on(tmp_path, station)
    monkeypatch.chdir(tmp_path)
    said = opening_says(station.resolve())  # the queue runner opens it by its full path
    assert said == f"{station.resolve()}: {key}: {problem}" or \
        said.startswith(f"{station.resolve()}: {key}: {problem}")
    assert "\n" not in said

    result = CliRunner().invoke(main, ["queue", "plan", queue.name], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Every run is valid" not in result.output
    assert result.output.strip() == f"Error: {said}"

    result = CliRunner().invoke(main, ["queue", "run", queue.name, "--data-dir", "data"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 1 and result.output.strip() == f"Error: {said}"
    assert not (tmp_path / "data" / "catalog.sqlite").exists()  # refused before any run


@pytest.mark.parametrize(("where", "options", "key", "problem"), CASES[:1] + CASES[2:3],
                         ids=IDS[:1] + IDS[2:3])
def test_labspin_run_and_its_dry_run_refuse_it_before_opening_anything(
        tmp_path, where, options, key, problem, monkeypatch, nothing_opens):
    station = station_with(tmp_path, where, options)
    monkeypatch.chdir(tmp_path)
    said = opening_says(Path(station.name))
    for extra in (["--dry-run"], []):
        result = CliRunner().invoke(main, ["run", "HallLoop", "--station", station.name,
                                           "--data-dir", "data", *HALL, *extra],
                                    env={"COLUMNS": "300"})
        assert result.exit_code == 1, result.output
        assert result.output.strip() == f"Error: {said}"
        assert f"station.yaml: {key}: {problem}" in said
    assert not (tmp_path / "data").exists()


def test_a_hardware_station_is_checked_without_its_instruments(tmp_path, monkeypatch,
                                                               nothing_opens):
    """The probe station's own file (backend: visa, GPIB and serial addresses that do not
    exist here): the plan names the option at fault, and passes once it is removed."""
    station = station_with(tmp_path, ("magnets", "x", "supply"), {"read_termination": "\n"},
                           example="station-probe.yaml")
    queue = queue_on(tmp_path, station)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["queue", "plan", queue.name], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {station.resolve()}: magnets.x.supply.options: 'read_termination' is set "
        "by the KepcoBOP3612 driver itself and cannot be given again; remove it from the "
        "options")
    station_with(tmp_path, ("magnets", "x", "supply"), {"timeout": 5000},
                 example="station-probe.yaml")
    result = CliRunner().invoke(main, ["queue", "plan", queue.name], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output


def test_every_option_at_fault_is_listed_beside_the_queue_problems(tmp_path, monkeypatch,
                                                                    nothing_opens):
    station = station_with(tmp_path, ("instruments", "source"), {"bogus_option": 1})
    data = yaml.safe_load(station.read_text(encoding="utf-8"))
    data["magnets"]["x"]["supply"]["options"] = {"read_termination": "\n"}
    station.write_text(yaml.safe_dump(data), encoding="utf-8")
    queue = queue_on(tmp_path, station)
    plan = yaml.safe_load(queue.read_text(encoding="utf-8"))
    plan["steps"][0]["parameters"]["field_max"] = "1 T"  # beyond max_field.z
    queue.write_text(yaml.safe_dump(plan), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["queue", "plan", queue.name], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Error: {station.resolve()}: instruments.source.options: " \
        "'bogus_option' is not an option of the Keithley6221Pulse driver or of its VISA " \
        "connection ('bogus_option' is not a valid attribute for type GPIBInstrument); " \
        "correct or remove it"
    assert lines[1].startswith(f"{station.resolve()}: magnets.x.supply.options: "
                               "'read_termination' is set by")
    assert "limits.max_field.z" in lines[-1]  # the queue's own problem, in the same answer


def test_options_that_open_fine_plan_fine_and_reach_the_instrument(tmp_path, monkeypatch):
    station = station_with(tmp_path, ("instruments", "voltmeter"), {"timeout": 4321})
    queue = queue_on(tmp_path, station)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["queue", "plan", queue.name], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    with Station.open(station) as opened:
        assert opened["voltmeter"].adapter.connection.timeout == 4321
