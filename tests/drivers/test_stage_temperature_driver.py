"""StageTemperature (LakeShore 331 loop 1 / input A): transcripts and the bench's stage."""

import itertools

import pytest
from pymeasure.instruments.lakeshore import LakeShore331
from pymeasure.test import expected_protocol

from labspin.drivers.temperature import (
    StageTemperature,
    TemperatureLimitError,
    TemperatureTimeoutError,
)
from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

pytestmark = pytest.mark.filterwarnings(
    "ignore:LakeShore331 is deprecated:DeprecationWarning")
_names = itertools.count()


def test_set_and_wait_heats_and_waits_for_stable_readings():
    waits = []
    with expected_protocol(LakeShore331, [
        ("SETP 1,310.000000", None),
        ("RANGE? 1", "0"),
        ("RANGE 1,3", None),
        ("KRDG? A", "+300.000"),
        ("KRDG? A", "+309.950"),
        ("KRDG? A", "+310.300"),  # out of the band again: start counting anew
        ("KRDG? A", "+310.040"),
        ("KRDG? A", "+309.990"),
    ]) as controller:
        stage = StageTemperature(controller, stable_readings=2, sleep=waits.append)
        assert stage.set_and_wait(310, tolerance=0.1) == pytest.approx(309.99)
    assert waits == [1.0] * 4


def test_a_heater_already_on_keeps_its_range():
    waits = []
    with expected_protocol(LakeShore331, [
        ("SETP 1,250.000000", None), ("RANGE? 1", "2"), ("KRDG? A", "+250.010"),
    ]) as controller:
        StageTemperature(controller, stable_readings=1).set_and_wait(250, sleep=waits.append)
    assert waits == []


def test_setpoints_beyond_the_limits_are_refused_before_any_command():
    with expected_protocol(LakeShore331, []) as controller:
        stage = StageTemperature(controller, min_temperature=10, max_temperature=350)
        with pytest.raises(TemperatureLimitError, match=r"400 K.*\[10, 350\] K"):
            stage.set_and_wait(400)
        with pytest.raises(TemperatureLimitError):
            stage.set_and_wait(5)
    assert issubclass(TemperatureLimitError, ValueError)


def test_heater_off_sets_range_off():
    with expected_protocol(LakeShore331, [("RANGE 1,0", None)]) as controller:
        StageTemperature(controller).heater_off()


@pytest.fixture
def bench_controller():
    bench = populate(Bench("py-nio", seed=8),
                     [InstrumentSpec("temperature", "LakeShore331", "GPIB0::15::INSTR")])
    name = f"stage-{next(_names)}"
    register_bench(name, bench)
    yield bench, LakeShore331("GPIB0::15::INSTR", visa_library=f"{name}@labspin")
    unregister_bench(name)


def test_stage_settles_at_the_setpoint_on_bench_time(bench_controller):
    bench, controller = bench_controller
    controller.output_1.range = "off"
    stage = StageTemperature(controller, sleep=bench.advance)
    reading = stage.set_and_wait(320, tolerance=0.05)
    assert reading == pytest.approx(320, abs=0.05)
    assert bench.stage.temperature == pytest.approx(320, abs=0.05)
    assert bench.stage.heater_on and controller.output_1.range == "high"
    assert 30 * 5 < bench.now() < 30 * 8  # a few time constants of the chuck
    stage.heater_off()
    assert not bench.stage.heater_on


def test_a_stage_that_does_not_settle_in_time_raises(bench_controller):
    bench, controller = bench_controller
    stage = StageTemperature(controller, timeout=20, sleep=bench.advance)
    with pytest.raises(TemperatureTimeoutError, match="wanted 350 K"):
        stage.set_and_wait(350)
