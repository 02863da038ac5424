"""A window on the simulated bench, per test: station, catalog and session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


@pytest.fixture
def window_with_faults(qtbot, tmp_path):
    """Factory: a window on examples/station-sim.yaml with ``faults`` injected (the sim
    section's fault map, e.g. {"voltmeter": {"timeout_after": 3}})."""
    from labspin.gui.main_window import MainWindow
    from labspin.gui.session import StationSession

    catalogs = []

    def make(faults: dict):
        examples = Path(__file__).resolve().parents[2] / "examples"
        data = yaml.load((examples / "station-sim.yaml").read_text(), Loader=yaml.CSafeLoader)
        data["sim"]["faults"] = faults
        path = tmp_path / "station.yaml"
        path.write_text(yaml.safe_dump(data))
        catalogs.append(Catalog(tmp_path / "data"))
        session = StationSession(Station.open(path), catalogs[-1])
        win = MainWindow(session)
        qtbot.addWidget(win)
        return win, session

    yield make
    for catalog in catalogs:
        catalog.close()


def hold_the_run_after_rows(session, monkeypatch, rows: int):
    """Let the running job measure ``rows`` rows, then hold it (its bench clock, in the
    worker thread) until the test calls the returned ``go_on``: the test acts at a known
    point of the run instead of racing a virtual-clock run that would otherwise measure
    thousands of rows (and seconds of CPU) before the window shows the first."""
    import threading

    from PyQt6.QtCore import Qt

    bench = session.station.bench
    measured, held, released = [0], threading.Event(), threading.Event()
    advance = bench.advance

    def count(_row) -> None:  # in the worker thread, as the row is emitted
        measured[0] += 1

    def hold_then_advance(seconds):  # in the worker thread
        if measured[0] >= rows and not released.is_set():
            held.set()
            released.wait(20)
        advance(seconds)

    session.row.connect(count, Qt.ConnectionType.DirectConnection)
    monkeypatch.setattr(bench, "advance", hold_then_advance)
    return held.is_set, released.set
