"""The safety guard refuses requests outside the station limits, naming the limit."""

from pathlib import Path

import pytest

from labspin.safety import LimitError, SafetyGuard
from labspin.stationfile import load_station_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def guard():
    station = load_station_file(EXAMPLES / "station-sim.yaml")
    return SafetyGuard(station.limits, station.sample, station.name)


def test_currents_within_limits_pass(guard):
    guard.check_current(0.03)
    guard.check_pulse(0.03, 1e-3, 300.0)
    guard.check_field("y", -0.4)
    guard.check_ramp_rate(0.1)
    guard.check_temperature(350)


@pytest.mark.parametrize(("call", "message"), [
    (lambda g: g.check_current(0.11), "current 110 mA exceeds limits.max_current = 100 mA"),
    (lambda g: g.check_current(0.11, "pulse current"), "pulse current 110 mA"),
    (lambda g: g.check_pulse(0.03, 0.02, 300.0),
     "pulse width 20 ms exceeds limits.max_pulse_width"),
    (lambda g: g.check_pulse(0.05, 0.01, 300.0),
     "pulse energy 7.5 mJ exceeds limits.max_pulse_energy"),
    (lambda g: g.check_field("z", 0.31), "field along z 310 mT exceeds limits.max_field.z"),
    (lambda g: g.check_ramp_rate(1.0), "field ramp rate 1 T/s exceeds limits.max_ramp_rate"),
    (lambda g: g.check_temperature(500), "stage temperature 500 K exceeds limits.max_temperature"),
    (lambda g: g.check_current(float("nan")), "finite"),
])
def test_requests_outside_limits_are_refused_with_the_limit_named(guard, call, message):
    with pytest.raises(LimitError, match=message):
        call(guard)


def test_current_density_limit_applies_to_the_sample_cross_section(guard):
    # 2.5e12 A/m^2 through 5 um x 5 nm is 62.5 mA, below the current limit (100 mA);
    # a thinner film makes the density limit bite earlier
    thin = guard.sample.model_copy(update={"fm_thickness": 2e-9})
    thin_guard = SafetyGuard(guard.limits, thin, "thin")
    with pytest.raises(LimitError, match="current density 3e\\+12 A/m² exceeds"):
        thin_guard.check_current(0.03)
