"""Bench time for clients outside labspin: it passes at least as fast as their wall clock.

A pyvisa script (or any language over ``labspin sim serve``) cannot ask the bench to
wait; it waits on its own clock. Its bench follows the wall, so a coil ramps and the
gaussmeter follows while it waits. labspin's own stations never follow the wall, so a
seeded run gives the same data however long it took. The wall clock is injected, so
these tests do not sleep (one exception checks the default wiring with 0.2 s).
"""

import time

import pytest
import pyvisa
from pymeasure.instruments.kepco import KepcoBOP3612
from pymeasure.instruments.lakeshore import LakeShore425

from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.clock import RealTimeClock, VirtualClock
from labspin.simulated_instruments.layout import InstrumentSpec, bench_from_preset, populate
from labspin.simulated_instruments.server import BenchServer
from labspin.simulated_instruments.visa import bench_for, unregister_bench
from labspin.station import Station
from tests.procedures.harness import run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning",
                                        "ignore::DeprecationWarning")


class FakeWall:
    """A monotonic wall clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def wait(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def preset_bench():
    """What ``ResourceManager("py-nio@labspin")`` opens, fresh, on a fake wall clock."""
    unregister_bench("py-nio")
    bench = bench_for("py-nio")
    assert bench.follows_wall  # the default for a script outside labspin
    wall = FakeWall()
    bench.follow_wall(wall)
    yield bench, wall
    unregister_bench("py-nio")


def set_coil_current(supply: KepcoBOP3612, amps: float) -> None:
    """What a pymeasure user writes: current mode, 20 V compliance, output on."""
    supply.operating_mode = "CURR"
    supply.voltage_setpoint = 20
    supply.current_setpoint = amps
    supply.output_enabled = True


def assert_coil_and_probe_follow(bench, wall, supply, probe, axis):
    coil = bench.coils[axis]
    start = bench.now()
    probe.unit = "T"
    set_coil_current(supply, 2.0)
    assert supply.current == 0.0  # no time has passed yet
    assert abs(probe.field) < 1e-3
    wall.wait(0.02)  # part of the ramp: dI/dt = (V - I R) / L
    partial = supply.current
    assert 0.5 < partial < 0.9
    # beyond 20x its remanence the yoke adds its remanent field (bench.Coil)
    assert probe.field == pytest.approx(coil.coil_constant * partial + coil.remanence,
                                        abs=2e-4)
    wall.wait(1.0)
    assert supply.current == pytest.approx(2.0)
    assert probe.field == pytest.approx(coil.coil_constant * 2.0 + coil.remanence, abs=2e-4)
    assert bench.now() - start == pytest.approx(1.02)  # no explicit wait: all wall time
    supply.current_setpoint = 0.0
    assert supply.current_setpoint == 0.0  # a query: over TCP, the write is handled now
    wall.wait(1.0)
    assert supply.current == pytest.approx(0.0, abs=1e-6)
    supply.output_enabled = False


def test_a_pyvisa_script_with_pymeasure_drivers_sees_the_coil_ramp_as_it_waits(preset_bench):
    bench, wall = preset_bench
    supply = KepcoBOP3612("GPIB0::3::INSTR", visa_library="py-nio@labspin")
    probe = LakeShore425("ASRL3::INSTR", visa_library="py-nio@labspin")
    assert_coil_and_probe_follow(bench, wall, supply, probe, "z")


def test_explicit_waits_still_jump_ahead_on_a_bench_that_follows_the_wall(preset_bench):
    bench, wall = preset_bench
    rm = pyvisa.ResourceManager("py-nio@labspin")
    meter = rm.open_resource("GPIB0::7::INSTR", read_termination="\r")
    meter.write(":SENS:VOLT:NPLC 5")
    start = bench.now()
    float(meter.query(":READ?"))  # 5 PLC with auto-zero: 1/6 s, at once
    assert bench.now() - start == pytest.approx(5 / 60 * 2)
    wall.wait(3.0)
    meter.query("*OPC?")
    assert bench.now() - start == pytest.approx(5 / 60 * 2 + 3.0)


def test_the_default_wall_is_the_real_one():
    """``py-nio@labspin`` as a user opens it, with a real (short) wait."""
    unregister_bench("py-nio")
    try:
        supply = KepcoBOP3612("GPIB0::2::INSTR", visa_library="py-nio@labspin")
        set_coil_current(supply, 1.0)
        time.sleep(0.2)  # the coil needs about 0.03 s
        assert supply.current == pytest.approx(1.0)
        assert bench_for("py-nio").now() >= 0.2
        supply.current_setpoint = 0.0
        supply.output_enabled = False
    finally:
        unregister_bench("py-nio")


@pytest.mark.parametrize("realtime", [False, True], ids=["virtual", "realtime"])
def test_a_client_over_tcp_sees_the_coil_ramp_as_it_waits(realtime):
    bench = bench_from_preset("py-nio", seed=3, realtime=realtime)
    wall = FakeWall()
    bench.follow_wall(wall)
    with BenchServer(bench) as server:
        ports = {s.name: s.port for s in server.served}
        supply = KepcoBOP3612(f"TCPIP::127.0.0.1::{ports['magnet_y']}::SOCKET",
                              visa_library="@py", timeout=2000)
        probe = LakeShore425(f"TCPIP::127.0.0.1::{ports['gaussmeter_y']}::SOCKET",
                             visa_library="@py", timeout=2000, read_termination="\n")
        try:
            assert_coil_and_probe_follow(bench, wall, supply, probe, "y")
        finally:
            supply.adapter.close()
            probe.adapter.close()


def test_a_served_bench_follows_the_wall_unless_told_not_to():
    following, fixed = Bench("py-nio"), Bench("py-nio")
    for bench in (following, fixed):
        populate(bench, [InstrumentSpec("voltmeter", "Keithley2182", "GPIB0::7::INSTR")])
    with BenchServer(following), BenchServer(fixed, follow_wall=False):
        assert following.follows_wall and not fixed.follows_wall


def test_wall_time_passes_in_slices_on_top_of_explicit_waits():
    wall = FakeWall()
    clock = VirtualClock()
    assert clock.take_wall_time() == 0.0  # not following: labspin's own benches
    clock.follow_wall(wall)
    clock.sleep(5.0)
    wall.wait(0.0004)
    assert clock.take_wall_time(minimum=1e-3) == 0.0  # too little: it accumulates
    wall.wait(0.0008)
    assert clock.take_wall_time(minimum=1e-3) == pytest.approx(0.0012)
    assert clock.now() == pytest.approx(5.0012)
    assert clock.take_wall_time() == 0.0


def test_a_realtime_clock_hands_over_only_the_time_spent_outside_its_sleeps():
    wall = FakeWall()
    clock = RealTimeClock(speedup=1e6, wall=wall)  # sleep(1) really sleeps 1 us
    clock.follow_wall()
    wall.wait(2e-6)
    assert clock.take_wall_time() == pytest.approx(2.0)
    clock.sleep(1.0)  # the fake wall does not move: nothing more to hand over
    assert clock.take_wall_time() == 0.0
    wall.wait(3e-6)  # 3 s of bench time, of which the sleep accounted for 1
    assert clock.take_wall_time() == pytest.approx(2.0)


def hall_loop_rows(seed: int):
    from labspin.procedures import procedure_class

    with Station.open(sim=True, preset="cofeb-nio-pma", seed=seed) as station:
        assert not station.bench.follows_wall
        proc = procedure_class("HallLoop")(field_max=0.004, field_step=0.002,
                                           readout="reversal", settle_time=0.0)
        return run(proc, station), station.now()


def test_two_seeded_labspin_runs_give_identical_data_while_a_script_bench_follows_the_wall(
        preset_bench):
    _, wall = preset_bench  # a script's bench in the same process, its wall moving
    first, first_end = hall_loop_rows(seed=7)
    wall.wait(100.0)
    second, second_end = hall_loop_rows(seed=7)
    assert len(first) >= 5
    assert first.equals(second)
    assert first_end == second_end
