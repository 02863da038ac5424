"""Electromagnet: the command transcripts it sends, and its behaviour on a simulated bench
(limits before any command, ramp rate, shutdown, feedback, calibration)."""

import itertools

import numpy as np
import pytest
from pymeasure.instruments.kepco import KepcoBOP3612
from pymeasure.instruments.lakeshore import LakeShore425
from pymeasure.test import expected_protocol

from labspin.drivers.electromagnet import (
    Electromagnet,
    FieldCalibration,
    FieldLimitError,
    FieldNotReachedError,
    MagnetError,
)
from labspin.simulated_instruments.bench import Bench, BenchOptions, Coil
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

_names = itertools.count()
LIMITS = {"max_field": 0.2, "max_ramp_rate": 0.05, "max_current": 12.0}


class Recorder:
    """A ``sleep`` that records what it was asked to wait (and optionally lets it pass)."""

    def __init__(self, then=None):
        self.waits: list[float] = []
        self.then = then

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.then is not None:
            self.then(seconds)


# -- transcripts ------------------------------------------------------------------------
def test_first_ramp_switches_on_in_current_mode_and_steps_at_the_rate():
    sleep = Recorder()
    with expected_protocol(KepcoBOP3612, [
        ("OUTPut?", "0"),
        ("FUNCtion:MODE CURR", None),
        ("VOLTage 36", None),
        ("CURRent 0", None),
        ("OUTPut 1", None),
        ("MEASure:CURRent?", "0.00000E+00"),  # each step starts from the coil's current
        ("CURRent 0.05", None),  # 0.01 T/s / 0.02 T/A * 0.1 s
        ("MEASure:CURRent?", "5.00000E-02"),
        ("CURRent 0.1", None),
        ("MEASure:CURRent?", "1.00000E-01"),
        ("CURRent 0.15", None),
        ("MEASure:CURRent?", "1.50000E-01"),
    ]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.1,
                               max_ramp_rate=0.01, max_current=5, sleep=sleep)
        magnet.ramp_to(0.003)
    assert sleep.waits == [0.1] * 3


def test_a_lagging_coil_gets_its_next_step_from_where_it_is():
    sleep = Recorder()
    with expected_protocol(KepcoBOP3612, [
        ("OUTPut?", "1"),
        ("FUNCtion:MODE?", "1"),
        ("CURRent?", "0.00000E+00"),
        ("MEASure:CURRent?", "0.00000E+00"),
        ("CURRent 0.05", None),
        ("MEASure:CURRent?", "3.00000E-02"),  # the inductance held it back
        ("CURRent 0.08", None),
        ("MEASure:CURRent?", "8.00000E-02"),
        ("CURRent 0.1", None),
        ("MEASure:CURRent?", "1.00000E-01"),
    ]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.1,
                               max_ramp_rate=0.01, max_current=5, sleep=sleep)
        magnet.ramp_to(0.002)
    assert sleep.waits == [0.1] * 3


def test_shutdown_ramps_down_before_switching_off():
    sleep = Recorder()
    with expected_protocol(KepcoBOP3612, [
        ("OUTPut?", "1"),
        ("OUTPut?", "1"),
        ("FUNCtion:MODE?", "1"),
        ("CURRent?", "1.00000E-01"),
        ("MEASure:CURRent?", "1.00000E-01"),
        ("CURRent 0.05", None),
        ("MEASure:CURRent?", "5.00000E-02"),
        ("CURRent 0", None),
        ("MEASure:CURRent?", "0.00000E+00"),
        ("OUTPut 0", None),
        ("OUTPut?", "0"),  # read back: the shutdown is confirmed, not assumed
    ]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.1,
                               max_ramp_rate=0.01, max_current=5, sleep=sleep)
        magnet.shutdown()
    assert sleep.waits == [0.1] * 2


def test_a_supply_that_stays_on_after_switching_off_is_an_error():
    with expected_protocol(KepcoBOP3612, [
        ("OUTPut?", "1"), ("OUTPut?", "1"), ("FUNCtion:MODE?", "1"), ("CURRent?", "0"),
        ("MEASure:CURRent?", "0"), ("OUTPut 0", None), ("OUTPut?", "1"),
    ]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, sleep=Recorder(), **LIMITS)
        with pytest.raises(MagnetError, match="still reports its output on"):
            magnet.shutdown()


def test_shutdown_by_writes_steps_down_at_the_allowed_rate_without_reading():
    """A supply that stopped answering: the setpoint staircase from the last programmed
    current, timed by the clock, then output off; not one query."""
    sleep = Recorder()
    with expected_protocol(KepcoBOP3612, [
        ("CURRent 0.05", None), ("CURRent 0", None), ("OUTPut 0", None),
    ]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.1,
                               max_ramp_rate=0.01, max_current=5, sleep=sleep)
        magnet._setpoint = 0.1  # what an earlier ramp programmed (0.1 A = 2 mT)
        assert magnet.shutdown_by_writes(settle=2.0) == 0.1
    # 0.01 T/s at 0.02 T/A is 0.5 A/s: 0.05 A per 0.1 s step, then the settling wait
    assert sleep.waits == [0.1, 0.1, 2.0]
    assert magnet.unconfirmed_from == 0.1 and magnet.programmed_current == 0.0


def test_shutdown_by_writes_refuses_without_a_known_start():
    with expected_protocol(KepcoBOP3612, []) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, sleep=Recorder(), **LIMITS)
        with pytest.raises(MagnetError, match="no known start"):
            magnet.shutdown_by_writes()


def test_shutdown_of_a_supply_already_off_sends_nothing_else():
    with expected_protocol(KepcoBOP3612, [("OUTPut?", "0")]) as supply:
        Electromagnet(supply, coil_constant=0.02, sleep=Recorder(), **LIMITS).shutdown()


def test_limits_are_refused_before_any_command():
    with expected_protocol(KepcoBOP3612, []) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.2,
                               max_ramp_rate=0.05, max_current=5.0, sleep=Recorder())
        with pytest.raises(FieldLimitError, match=r"field limit.*0\.25 T.*0\.2 T") as info:
            magnet.ramp_to(0.25)
        assert (info.value.limit, info.value.requested, info.value.allowed) == (
            "magnet field limit", 0.25, 0.2)
        with pytest.raises(FieldLimitError, match=r"current limit.*7\.5 A"):
            magnet.ramp_to(0.15)  # within the field limit, but 7.5 A > 5 A
        with pytest.raises(FieldLimitError, match=r"ramp rate limit.*0\.1 T/s"):
            magnet.ramp_to(0.01, rate=0.1)
        with pytest.raises(FieldLimitError):
            magnet.set_field(-0.3)
        magnet.gaussmeter = object()  # never reached: the limits come first
        with pytest.raises(FieldLimitError, match="current limit"):
            magnet.calibrate([1.0, 6.0])
        with pytest.raises(ValueError):
            magnet.ramp_to(float("nan"))
    assert issubclass(FieldLimitError, ValueError)


def test_current_limit_above_the_supply_rating_is_lowered_to_it():
    with expected_protocol(KepcoBOP3612, []) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, max_field=0.5,
                               max_ramp_rate=0.5, max_current=30.0, sleep=Recorder())
        assert magnet.limits.max_current == 12.0
        with pytest.raises(FieldLimitError, match=r"supply rating.*14 A.*12 A"):
            magnet.ramp_to(0.28)  # the driver would have truncated this to 12 A


def test_supply_on_in_voltage_mode_is_not_touched():
    with expected_protocol(KepcoBOP3612, [("OUTPut?", "1"), ("FUNCtion:MODE?", "0")]) as supply:
        magnet = Electromagnet(supply, coil_constant=0.02, sleep=Recorder(), **LIMITS)
        with pytest.raises(MagnetError, match="voltage mode"):
            magnet.ramp_to(0.01)


def test_calibration_converts_both_ways():
    cal = FieldCalibration(0.02, offset=2e-4)
    assert cal.field(5.0) == pytest.approx(0.1002)
    assert cal.current(cal.field(-3.0)) == pytest.approx(-3.0)
    with pytest.raises(ValueError, match="coil constant"):
        FieldCalibration(0.0)


# -- on the simulated bench -------------------------------------------------------------
def magnet_bench(seed=5, **coil):
    """A bench with one y magnet and its gaussmeter; ``coil`` overrides the y coil."""
    options = BenchOptions(coils={"x": Coil("x"), "y": Coil("y", **coil),
                                  "z": Coil("z", coil_constant=0.01)})
    bench = populate(Bench("py-nio", seed=seed, options=options), [
        InstrumentSpec("magnet_y", "KepcoBOP3612", "GPIB0::2::INSTR", {"axis": "y"}),
        InstrumentSpec("gaussmeter_y", "LakeShore425", "ASRL2::INSTR", {"axis": "y"})])
    name = f"electromagnet-{next(_names)}"
    register_bench(name, bench)
    return bench, name


@pytest.fixture
def station():
    """(bench, supply, gaussmeter) with the probe zeroed at zero field."""
    bench, name = magnet_bench()
    library = f"{name}@labspin"
    supply = KepcoBOP3612("GPIB0::2::INSTR", visa_library=library)
    gaussmeter = LakeShore425("ASRL2::INSTR", visa_library=library)
    gaussmeter.zero_probe()
    yield bench, supply, gaussmeter
    unregister_bench(name)


def field_log(bench):
    """A sleep that lets bench time pass and records (time, field along y) after it."""
    log = []

    def sleep(seconds):
        bench.advance(seconds)
        log.append((bench.now(), bench.lab_field()[1]))
    return sleep, log


def assert_rate_at_most(log, rate):
    for (t0, b0), (t1, b1) in itertools.pairwise(log):
        assert abs(b1 - b0) <= rate * (t1 - t0) * (1 + 1e-9)


def test_limit_refused_before_any_message_reaches_the_supply(station, monkeypatch):
    bench, supply, gaussmeter = station
    model = bench.instruments["GPIB0::2::INSTR"]
    received = []
    monkeypatch.setattr(model, "process", lambda message: received.append(message))
    magnet = Electromagnet(supply, gaussmeter, coil_constant=0.02, sleep=bench.advance,
                           **LIMITS)
    with pytest.raises(FieldLimitError, match=r"0\.6 T"):
        magnet.ramp_to(0.6)
    with pytest.raises(FieldLimitError):
        magnet.set_field(0.1, rate=1.0)
    assert received == []
    coil = bench.coils["y"]
    assert (coil.setpoint, coil.output_enabled, coil.current) == (0.0, False, 0.0)


@pytest.mark.parametrize("inductance", [0.5, 20.0])  # fast coil; coil slower than the ramp
def test_ramp_never_exceeds_the_allowed_rate(inductance):
    bench, name = magnet_bench(inductance=inductance, remanence=0.0)
    try:
        supply = KepcoBOP3612("GPIB0::2::INSTR", visa_library=f"{name}@labspin")
        sleep, log = field_log(bench)
        magnet = Electromagnet(supply, coil_constant=0.02, sleep=sleep, **LIMITS)
        magnet.ramp_to(0.2)
        split, first_ramp = len(log), bench.now()
        magnet.ramp_to(-0.15, rate=0.03)
    finally:
        unregister_bench(name)
    assert_rate_at_most(log[:split], 0.05)
    assert_rate_at_most(log[split - 1:], 0.03)
    assert bench.lab_field()[1] == pytest.approx(-0.15, abs=1e-6)
    if inductance > 1:  # the slow coil really lagged the nominal 4 s ramp
        assert first_ramp > 1.5 * 0.2 / 0.05
    assert bench.now() >= 0.2 / 0.05 + 0.35 / 0.03 - 1e-6


def test_shutdown_ramps_to_zero_and_switches_the_output_off(station):
    bench, supply, gaussmeter = station
    sleep, log = field_log(bench)
    magnet = Electromagnet(supply, gaussmeter, coil_constant=0.02, sleep=sleep, **LIMITS)
    magnet.ramp_to(0.15)
    del log[:]
    start = bench.now()
    magnet.shutdown()
    coil = bench.coils["y"]
    assert coil.current == 0.0 and not coil.output_enabled and not supply.output_enabled
    assert bench.now() - start >= 0.15 / 0.05 - 1e-6  # no abrupt step
    fields = [b for _, b in log]
    assert all(b1 <= b0 for b0, b1 in itertools.pairwise(fields))
    assert_rate_at_most(log, 0.05)


def test_set_field_with_feedback_lands_within_tolerance_despite_a_wrong_coil_constant(station):
    bench, supply, gaussmeter = station
    wrong = bench.coils["y"].coil_constant * 1.05
    magnet = Electromagnet(supply, gaussmeter, coil_constant=wrong, sleep=bench.advance,
                           **LIMITS)
    magnet.ramp_to(0.12)  # open loop: 5 % short
    assert bench.lab_field()[1] == pytest.approx(0.12 / 1.05, rel=2e-3)
    for target in (0.12, -0.08):
        measured = magnet.set_field(target, tolerance=5e-5)
        assert measured == pytest.approx(target, abs=5e-5)
        assert bench.lab_field()[1] == pytest.approx(target, abs=5e-5 + 2e-5)
    assert supply.check_errors() == []


def test_set_field_that_cannot_settle_in_the_allowed_iterations_raises(station):
    bench, supply, gaussmeter = station
    magnet = Electromagnet(supply, gaussmeter, coil_constant=0.021, sleep=bench.advance,
                           **LIMITS)
    with pytest.raises(FieldNotReachedError, match="after 0 corrections"):
        magnet.set_field(0.1, tolerance=1e-5, max_iterations=0)


def test_calibrate_recovers_the_coil_constant(station):
    bench, supply, gaussmeter = station
    coil = bench.coils["y"]
    magnet = Electromagnet(supply, gaussmeter, coil_constant=0.025, sleep=bench.advance,
                           **LIMITS)
    cal = magnet.calibrate([1.0, 2.0, 3.0, 4.0, 5.0])
    assert cal.coil_constant == pytest.approx(coil.coil_constant, rel=1e-3)
    assert cal.offset == pytest.approx(coil.remanence, abs=3e-5)  # the yoke's remanence
    assert magnet.calibration == cal
    assert coil.current == 0.0  # back where it started
    magnet.ramp_to(0.1)
    assert bench.lab_field()[1] == pytest.approx(0.1, abs=5e-5)


def test_calibrate_through_zero_is_biased_only_by_the_remanence(station):
    bench, supply, gaussmeter = station
    magnet = Electromagnet(supply, gaussmeter, coil_constant=0.018, sleep=bench.advance,
                           **LIMITS)
    cal = magnet.calibrate([-5.0, -2.5, 2.5, 5.0])
    assert cal.coil_constant == pytest.approx(bench.coils["y"].coil_constant, rel=5e-3)


def test_field_without_gaussmeter_is_the_calibrated_supply_current(station):
    bench, supply, _ = station
    magnet = Electromagnet(supply, coil_constant=0.02, offset=0.0, sleep=bench.advance,
                           **LIMITS)
    assert magnet.set_field(0.1) == pytest.approx(0.1)
    assert magnet.current == pytest.approx(5.0)
    assert magnet.field == pytest.approx(0.1)
    with pytest.raises(MagnetError, match="gaussmeter"):
        magnet.calibrate([1.0, 2.0])
    assert np.isclose(bench.lab_field()[1], 0.1 + bench.coils["y"].remanence)


def test_feedback_from_a_misplaced_probe_stops_instead_of_overdriving():
    bench = populate(Bench("py-nio", seed=6), [
        InstrumentSpec("magnet_y", "KepcoBOP3612", "GPIB0::2::INSTR", {"axis": "y"}),
        InstrumentSpec("gaussmeter_x", "LakeShore425", "ASRL2::INSTR", {"axis": "x"})])
    name = f"electromagnet-{next(_names)}"
    register_bench(name, bench)
    try:
        library = f"{name}@labspin"
        magnet = Electromagnet(KepcoBOP3612("GPIB0::2::INSTR", visa_library=library),
                               LakeShore425("ASRL2::INSTR", visa_library=library),
                               coil_constant=0.02, sleep=bench.advance, **LIMITS)
        with pytest.raises(FieldNotReachedError, match="check the probe"):
            magnet.set_field(0.19)
    finally:
        unregister_bench(name)
    assert bench.lab_field()[1] == pytest.approx(0.19, abs=1e-3)  # never pushed beyond
