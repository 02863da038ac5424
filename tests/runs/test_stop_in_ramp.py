"""A stop asked for while a magnet ramp waits for a coil that cannot get there (its
supply at compliance) ends the ramp at once: the run is aborted, not failed after the
ramp's timeout, and the shutdown ramps the coil to zero at the allowed rate. Without a
stop, the same ramp fails with a message that names the magnet's axis."""

from pathlib import Path

import pytest

from labspin.procedures import procedure_class
from labspin.runs import Catalog, run_procedure
from labspin.station import Station
from tests.gui.conftest import assert_safe

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: along y to 0.45 T = 9 A; a 5 ohm coil on the BOP 36-12 (36 V) stops at 7.2 A
STUCK = {"field_axis": "y", "field_max": 0.45, "field_step": 0.05}


def _stuck_run(tmp_path, should_stop=None):
    station = Station.open(EXAMPLES / "station-sim.yaml")
    station.bench.coils["y"].resistance = 5.0
    procedure = procedure_class("HallLoop")()
    procedure.set_parameters(STUCK)
    catalog = Catalog(tmp_path / "data")
    try:
        record = run_procedure(procedure, station, catalog,
                               should_stop=should_stop and (lambda: should_stop(station)))
        return record, station
    finally:
        station.close()
        catalog.close()


def test_a_stop_during_a_stuck_ramp_aborts_at_once_and_ramps_down(tmp_path):
    asked = []

    def stop_when_stuck(station):  # asked at each ramp step: stop once the coil is stuck
        if not asked and station.bench.coils["y"].current > 7.1:
            asked.append(station.now())
        return bool(asked)

    record, station = _stuck_run(tmp_path, stop_when_stuck)
    assert record.status == "aborted", record.error
    assert record.error is None
    ended = station.now()
    # 7.2 A at 50 mT/A down at 0.5 T/s is 0.72 s; not the 30 s the ramp would have waited
    assert ended - asked[0] < 3.0
    assert_safe(station.bench)
    assert not station.hazards


def test_a_stuck_ramp_without_a_stop_fails_naming_the_axis(tmp_path):
    record, station = _stuck_run(tmp_path)
    assert record.status == "failed"
    assert record.error.startswith("FieldNotReachedError: magnet y: the coil carries 7.2 A, "
                                   "not 9 A, after")
    assert_safe(station.bench)


def test_a_ramp_to_zero_is_never_cut_short():
    from labspin.drivers.electromagnet import RampStopped

    station = Station.open(EXAMPLES / "station-sim.yaml")
    try:
        magnet = station.magnet("y")
        magnet.ramp_to(0.1)
        magnet.should_stop = lambda: True
        with pytest.raises(RampStopped, match="magnet y: the ramp to 3 A was stopped at 2 A"):
            magnet.ramp_to(0.15)
        magnet.ramp_to_zero()  # the shutdown's ramp goes all the way
        assert station.bench.coils["y"].current == pytest.approx(0.0, abs=1e-6)
    finally:
        station.close()
