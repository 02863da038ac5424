"""Rotator (ESP300 axis 1): its command transcripts and its moves on a simulated bench."""

import itertools

import pytest
from pymeasure.instruments.newport import ESP300
from pymeasure.test import expected_protocol

from labspin.drivers.rotator import Rotator, RotatorError, RotatorLimitError
from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

pytestmark = pytest.mark.filterwarnings(
    "ignore:It is not known whether this device:FutureWarning")
_names = itertools.count()


def test_move_waits_for_motion_done_through_the_injected_sleep():
    waits = []
    with expected_protocol(ESP300, [
        ("1MO?", "1"),
        ("1PA45", None),
        ("1MD?", "0"),
        ("1MD?", "0"),
        ("1MD?", "1"),
        ("1TP", "45.00000"),
    ]) as esp:
        assert Rotator(esp, sleep=waits.append).move_to(45) == 45.0
    assert waits == [0.1, 0.1]


def test_a_motor_that_is_off_is_switched_on_first():
    waits = []
    with expected_protocol(ESP300, [
        ("1MO?", "0"), ("1MO", None), ("1PA-30", None), ("1MD?", "1"), ("1TP", "-30.00000"),
    ]) as esp:
        Rotator(esp).move_to(-30, sleep=waits.append)
    assert waits == []


def test_angles_and_speeds_beyond_the_limits_are_refused_before_any_command():
    with expected_protocol(ESP300, []) as esp:
        rotator = Rotator(esp, min_angle=-90, max_angle=90, max_velocity=10)
        with pytest.raises(RotatorLimitError, match=r"120 deg.*\[-90, 90\]"):
            rotator.move_to(120)
        with pytest.raises(RotatorLimitError):
            rotator.move_to(float("nan"))
        with pytest.raises(RotatorLimitError, match="15 deg/s"):
            rotator.velocity = 15
    assert issubclass(RotatorLimitError, ValueError)


def test_speed_is_set_and_read_on_the_axis():
    with expected_protocol(ESP300, [("1VA5", None), ("1VA?", "5.00000")]) as esp:
        rotator = Rotator(esp)
        rotator.velocity = 5
        assert rotator.velocity == 5.0


def test_a_move_the_controller_refused_is_reported_with_its_error():
    with expected_protocol(ESP300, [
        ("1MO?", "1"), ("1PA170", None), ("1MD?", "1"), ("1TP", "0.00000"),
        ("TE?", "106"), ("TE?", "0"),
    ]) as esp:
        with pytest.raises(RotatorError, match="POSITIVE SOFTWARE LIMIT"):
            Rotator(esp).move_to(170)


@pytest.fixture
def bench_esp():
    bench = populate(Bench("py-nio", seed=2),
                     [InstrumentSpec("rotator", "ESP300", "GPIB0::20::INSTR")])
    name = f"rotator-{next(_names)}"
    register_bench(name, bench)
    yield bench, ESP300("GPIB0::20::INSTR", visa_library=f"{name}@labspin")
    unregister_bench(name)


def test_move_on_the_bench_takes_bench_time_and_turns_the_sample(bench_esp):
    bench, esp = bench_esp
    bench.coils["y"].output_enabled, bench.coils["y"].setpoint = True, 5.0
    rotator = Rotator(esp, sleep=bench.advance)
    assert rotator.move_to(90) == pytest.approx(90.0)
    assert bench.rotator.angle == pytest.approx(90.0)
    assert bench.now() == pytest.approx(9.0, abs=0.11)  # 10 deg/s, polled every 0.1 s
    field = bench.sample_field()
    assert field[0] == pytest.approx(bench.lab_field()[1]) and abs(field[1]) < 1e-12


def test_a_move_longer_than_the_timeout_raises(bench_esp):
    bench, esp = bench_esp
    rotator = Rotator(esp, timeout=1.0, sleep=bench.advance)
    with pytest.raises(RotatorError, match="still moving"):
        rotator.move_to(90)
    rotator.stop()
    assert not bench.rotator.moving
