"""The bench between device and instruments: noise, offsets, coils, rotator, stage."""

import math

import numpy as np
import pytest

from labspin.simulated_instruments.bench import Bench, Coil


def test_voltage_noise_falls_as_one_over_root_integration_time():
    bench = Bench("py-nio", seed=2)
    bench.set_source("source", dc=1e-3)
    spreads = []
    for t in (0.01, 1.0):
        readings = [bench.voltage("xx", t) for _ in range(400)]
        spreads.append(np.std(readings))
    assert spreads[0] / spreads[1] == pytest.approx(10.0, rel=0.15)


def test_thermoelectric_offset_is_there_without_current_and_drifts_slowly():
    bench = Bench("py-nio", seed=2)
    v0 = bench.voltage("xx", 100.0)
    assert abs(v0) > 1e-8  # no current, yet an offset
    bench.advance(1.0)
    assert bench.voltage("xx", 100.0) == pytest.approx(v0, abs=1e-8)
    bench.advance(150.0)  # a quarter of the drift period later
    assert abs(bench.voltage("xx", 100.0) - v0) > 1e-8


def test_coil_stops_where_its_supply_runs_out_of_voltage_and_discharges_faster():
    coil = Coil("y", coil_constant=0.05, inductance=0.5, resistance=2.0, voltage_limit=20.0)
    coil.output_enabled, coil.setpoint = True, 15.0  # needs 30 V: only 10 A are reachable
    for _ in range(1000):  # L/R = 0.25 s: exponential approach to V_lim / R
        coil.evolve(0.01)
    assert coil.current == pytest.approx(10.0)
    assert coil.settled
    coil.setpoint = 0.0
    coil.evolve(0.01)
    assert 10.0 - coil.current == pytest.approx((20.0 + 10.0 * 2.0) / 0.5 * 0.01)


def test_coil_current_slews_at_the_rate_its_inductance_allows():
    coil = Coil("y", coil_constant=0.02, inductance=0.5, resistance=2.0, voltage_limit=20.0)
    coil.output_enabled = True
    coil.setpoint = 5.0
    coil.evolve(0.01)
    assert coil.current == pytest.approx(20.0 / 0.5 * 0.01)  # V/L * dt
    for _ in range(100):
        coil.evolve(0.01)
    assert coil.current == pytest.approx(5.0)
    assert coil.field()[1] == pytest.approx(0.1 + coil.remanence)


def test_rotator_turns_the_field_seen_by_the_sample():
    bench = Bench("py-nio", seed=0)
    coil = bench.coils["x"]
    coil.output_enabled, coil.setpoint = True, 0.05 / coil.coil_constant  # 50 mT along x
    bench.rotator.target = 90.0
    bench.advance(20.0)
    field = bench.sample_field()
    assert field[1] == pytest.approx(-0.05 - coil.remanence, rel=1e-6)
    assert abs(field[0]) < 1e-9
    np.testing.assert_allclose(bench.device.field, field)


def test_stage_temperature_reaches_the_device():
    bench = Bench("py-nio", seed=0)
    bench.stage.setpoint = 350.0
    bench.advance(300.0)
    assert bench.device.stage_temperature == pytest.approx(350.0, abs=0.01)


def test_compliance_limits_the_current_and_an_open_bar_carries_none():
    bench = Bench("py-nio", seed=0)
    assert bench.compliance_current(0.01, 100.0) == 0.01
    limited = bench.compliance_current(0.01, 1.0)
    # self-consistent: the bar warms with the current it carries
    assert limited * bench.two_terminal_resistance_at(limited) == pytest.approx(1.0, rel=1e-9)
    bench.device.burnt = True
    assert bench.compliance_current(0.01, 100.0) == 0.0
    assert math.isinf(bench.voltage("xx", 0.1))


def test_burn_current_fault_opens_the_bar():
    from labspin.simulated_instruments.bench import BenchOptions

    bench = Bench("py-nio", seed=0, options=BenchOptions(burn_current=0.02))
    bench.set_source("source", dc=0.01)
    assert not bench.device.is_open
    bench.pulse(0.025, 1e-6)
    assert bench.device.is_open


def test_time_passes_only_through_the_clock():
    bench = Bench("py-nio", seed=0)
    bench.advance(3600.0)
    assert bench.now() == pytest.approx(3600.0)
    bench.pulse(0.001, 1e-3)
    assert bench.now() == pytest.approx(3600.001)
