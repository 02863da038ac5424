"""Fixtures of the procedure tests."""

import pytest

from labspin.station import Station


@pytest.fixture
def open_station():
    """A factory of simulated stations, all closed at the end of the test."""
    opened = []

    def factory(preset: str = "py-nio", seed: int = 1) -> Station:
        station = Station.open(sim=True, preset=preset, seed=seed)
        opened.append(station)
        return station

    yield factory
    for station in opened:
        station.close()
