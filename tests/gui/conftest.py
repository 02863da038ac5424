"""A window on the simulated bench, per test: station, catalog and session."""

from __future__ import annotations

import pytest

from labspin.runs import Catalog
from labspin.station import Station


def assert_safe(bench) -> None:
    """Magnets at zero, no DC or AC current flowing."""
    for coil in bench.coils.values():
        assert coil.current == pytest.approx(0.0, abs=1e-9)
    assert bench.dc_current() == 0.0
    assert bench.ac_source() is None


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(tmp_path / "data")
    yield catalog
    catalog.close()


@pytest.fixture
def session(qapp, catalog):
    from labspin.gui.session import StationSession

    station = Station.open(sim=True, preset="py-nio", seed=3)
    session = StationSession(station, catalog)
    yield session
    session.close()


@pytest.fixture
def window(qtbot, session):
    from labspin.gui.main_window import MainWindow

    win = MainWindow(session)
    qtbot.addWidget(win)
    win.show()
    return win
