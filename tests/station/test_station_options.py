"""A station file's driver ``options`` that clash with what labspin's driver sets, or
that nothing knows, are refused naming the options key, not the instrument's cable."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from labspin.cli import main
from labspin.station import Station, StationError

STATION = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"


def _with_options(tmp_path, where: tuple[str, ...], options: dict) -> Path:
    data = yaml.load(STATION.read_text(), Loader=yaml.CSafeLoader)
    entry = data
    for key in where:
        entry = entry[key]
    entry["options"] = options
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("where", "options", "key", "problem"), [
    (("magnets", "x", "supply"), {"read_termination": "\n"}, "magnets.x.supply.options",
     "'read_termination' is set by the KepcoBOP3612 driver itself"),
    (("magnets", "z", "gaussmeter"), {"asrl": {"baud_rate": 9600}},
     "magnets.z.gaussmeter.options", "'asrl' is set by the LakeShore425 driver itself"),
    (("instruments", "source"), {"bogus_option": 1}, "instruments.source.options",
     "'bogus_option' is not an option of the Keithley6221Pulse driver"),
], ids=["clash on a magnet supply", "clash on a gaussmeter", "unknown option"])
def test_an_option_at_fault_is_named_by_its_key(tmp_path, where, options, key, problem):
    path = _with_options(tmp_path, where, options)
    with pytest.raises(StationError) as caught:
        Station.open(path)
    message = str(caught.value)
    assert f"{key}: {problem}" in message
    assert "does not answer" not in message and "cable" not in message
    result = CliRunner().invoke(main, ["station", "check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert key in result.output


def test_an_instrument_that_does_not_answer_names_its_resource_key(tmp_path):
    data = yaml.load(STATION.read_text(), Loader=yaml.CSafeLoader)
    data["sim"]["faults"] = {"magnet_y": {"drop_after": 0}}  # its cable is out
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(StationError, match=r"correct magnets\.y\.supply\.resource"):
        Station.open(path)
