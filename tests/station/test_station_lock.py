"""One process per instrument on hardware: a second station opened on the same bench is
refused before anything is sent, naming the instrument and who holds it (two queues, a
copied queue file, a queue while the window is open). The simulated bench needs no lock:
every process has its own."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import yaml

from labspin.station import Station, StationError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "station-sim.yaml"


@pytest.fixture
def hardware_station(tmp_path, monkeypatch):
    """The example station as a hardware station (backend visa) whose instruments pyvisa
    reaches through the @labspin backend: locked as real instruments are."""
    monkeypatch.setenv("LABSPIN_LOCK_DIR", str(tmp_path / "locks"))
    config = yaml.load(EXAMPLE.read_text(), Loader=yaml.CSafeLoader)
    config["backend"] = "visa"
    entries = list(config["instruments"].values())
    for magnet in config["magnets"].values():
        entries += [magnet[k] for k in ("supply", "gaussmeter") if magnet.get(k)]
    for entry in entries:
        entry["visa_library"] = "py-nio@labspin"
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_a_second_process_on_the_bench_is_refused_until_the_first_closes(hardware_station):
    with Station.open(hardware_station) as first:
        with pytest.raises(StationError) as info:
            Station.open(hardware_station)
        text = str(info.value)
        assert "instrument 'source' at GPIB0::12::INSTR is in use by labspin" in text
        assert f"pid {os.getpid()} on {socket.gethostname()}" in text
        assert "Nothing was sent" in text
        assert first["source"].ask("*IDN?").startswith("KEITHLEY")  # untouched
    with Station.open(hardware_station) as again:  # released on close
        assert again["source"].ask("*IDN?").startswith("KEITHLEY")


def test_another_spelling_of_an_address_is_the_same_instrument(hardware_station, tmp_path):
    other = yaml.load(hardware_station.read_text(), Loader=yaml.CSafeLoader)
    other["instruments"] = {"meter": {**other["instruments"]["voltmeter"],
                                      "resource": "gpib::7"}}
    other["magnets"] = {}
    other["limits"]["max_field"] = {}
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(other, sort_keys=False))
    with Station.open(hardware_station):
        with pytest.raises(StationError, match="instrument 'meter' at gpib::7 is in use"):
            Station.open(path)


def test_simulated_stations_take_no_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSPIN_LOCK_DIR", str(tmp_path / "locks"))
    with Station.open(EXAMPLE, sim=True), Station.open(EXAMPLE, sim=True):
        pass
    assert not (tmp_path / "locks").exists()


def test_a_computer_without_gpib_support_is_named_not_the_instruments_cable(
        tmp_path, monkeypatch):
    """pyvisa-py without linux-gpib cannot open a GPIB address at all: the message says
    the computer lacks it and how to give another VISA library, not 'check its cable'."""
    import importlib.util

    if importlib.util.find_spec("gpib") is not None or \
            importlib.util.find_spec("pyvisa_py") is None:
        pytest.skip("needs pyvisa-py without linux-gpib")
    monkeypatch.setenv("LABSPIN_LOCK_DIR", str(tmp_path / "locks"))
    config = yaml.load(EXAMPLE.read_text(), Loader=yaml.CSafeLoader)
    config["backend"] = "visa"
    for entry in config["instruments"].values():
        entry["visa_library"] = "@py"
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    with pytest.raises(StationError) as refused:
        Station.open(path)
    message = str(refused.value)
    assert "cannot be reached from this computer" in message
    assert "Please install linux-gpib" in message and ".visa_library" in message
    assert "cable" not in message
