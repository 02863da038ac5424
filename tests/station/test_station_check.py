"""``labspin station check`` on a bench another process left on: it says what it found
(a magnet at 250 mT, a current source output on, RF on) and what it did, and the bench
itself ends with every output off and the coils at zero."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from labspin.cli import main
from labspin.station import Station
from labspin.stationfile import StationFile

STATION = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"


@pytest.fixture
def left_on(monkeypatch):
    """The example bench as a killed run leaves it: magnet z at 250 mT, the 6221's output
    on at 2 mA, the RF generator on at 5 dBm. The next station opened on the file gets
    this bench (a simulated bench lives with its process; hardware keeps its state)."""
    previous = Station.open(STATION)
    previous.magnet("z").ramp_to(0.25)
    previous["source"].source_current = 2e-3
    previous["source"].source_enabled = True
    previous["rf_source"].power = 5.0
    previous["rf_source"].frequency = 8e9
    previous["rf_source"].output_enabled = True
    bench = previous.bench  # the process "dies" here: nothing is closed
    monkeypatch.setattr(StationFile, "build_bench", lambda self, *a, **k: bench)
    return bench


def _by_driver(bench, driver_name: str):
    return next(model for model in bench.instruments.values()
                if type(model).__name__.startswith(driver_name))


def test_station_check_says_what_it_found_on_and_what_it_did(left_on):
    bench = left_on
    assert abs(bench.coils["z"].current * bench.coils["z"].coil_constant - 0.25) < 1e-3
    assert _by_driver(bench, "Keithley6221").output
    assert any(rf.output for rf in bench.rf_sources.values())
    result = CliRunner().invoke(main, ["station", "check", str(STATION)],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # wrapped lines joined
    assert "magnet z was at 250 mT (" in out
    assert "left on by a previous process: ramped to zero at 0.5 T/s and switched off" in out
    assert "source had its current output on at 2 mA DC, left on by a previous process: " \
           "switched off (read back)" in out
    assert "rf_source had its RF output on at 5 dBm, 8 GHz" in out
    assert "what was left on is now off" in out
    assert "nothing was left on" not in out
    # the bench's own state, not what labspin says about it
    for axis, coil in bench.coils.items():
        assert coil.current == pytest.approx(0.0, abs=1e-6), axis
        assert not coil.output_enabled, axis
    assert not _by_driver(bench, "Keithley6221").output
    assert all(not rf.output for rf in bench.rf_sources.values())
    assert "magnet x" not in out and "magnet y" not in out  # they were off: not news


def test_station_check_of_a_bench_left_off_says_nothing_was_on():
    result = CliRunner().invoke(main, ["station", "check", str(STATION)])
    assert result.exit_code == 0, result.output
    assert "nothing was left on" in " ".join(result.output.split())
    assert "Found:" not in result.output
