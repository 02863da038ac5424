"""Shared fixtures of the run tests."""

from pathlib import Path

import pytest
import yaml

EXAMPLE_STATION = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"


@pytest.fixture(scope="session", autouse=True)
def _labspin_forkserver():
    """The server the kill and race tests fork ``labspin`` processes from, stopped (and its
    CPU counted) at the end of the session."""
    from tests.runs import processes

    yield
    processes.stop_server()


@pytest.fixture
def paced_station(tmp_path) -> Path:
    """The example simulated station paced at ten times hardware speed (``sim.realtime``,
    ``sim.speedup: 10``). Tests that kill or race real ``labspin`` processes need runs that
    last while they look: the compiled bench on virtual time finishes a whole queue before
    a watching test has polled twice."""
    config = yaml.load(EXAMPLE_STATION.read_text(), Loader=yaml.CSafeLoader)
    config["sim"].update(realtime=True, speedup=10)
    station = tmp_path / "paced-station.yaml"
    station.write_text(yaml.safe_dump(config))
    return station


def left_on_bench():
    """The example bench as a killed HarmonicHall leaves hardware: magnet x at 200 mT and
    the 6221's 5 mA sine running (OUTP? reads 0); nothing is made safe, as when the
    process dies."""
    from labspin.station import Station

    previous = Station.open(EXAMPLE_STATION)
    previous.magnet("x").ramp_to(0.2)
    source = previous["source"]
    source.waveform_function = "sine"
    source.waveform_amplitude = 5e-3
    source.waveform_offset = 0
    source.waveform_frequency = 1333
    source.waveform_duration_set_infinity()
    source.waveform_arm()
    source.waveform_start()
    return previous.bench
