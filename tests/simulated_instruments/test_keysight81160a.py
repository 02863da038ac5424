"""Keysight 81160A model: exact exchanges, pulses through the bias tee, and pymeasure's
unmodified Keysight81160A driver through pyvisa."""

from __future__ import annotations

import itertools
import logging
import math

import pytest
from pymeasure.instruments.keysight import Keysight81160A
from pymeasure.instruments.srs import SR830

from labspin.physics import Device, DeviceParameters, preset
from labspin.simulated_instruments.bench import Bench, BenchOptions
from labspin.simulated_instruments.instruments.keysight81160a import Keysight81160AModel
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

WIDTH = 20e-9  # s: an LLG-regime pulse
R_OUT = 50.0  # ohm, generator output impedance
SPECS = [
    InstrumentSpec("lockin_xx", "SR830", "GPIB0::9::INSTR", wiring={"1": "xx"}),
    InstrumentSpec("lockin", "SR830", "GPIB0::8::INSTR", wiring={"1": "xy"}),
    InstrumentSpec("pulser", "Keysight81160A", "GPIB0::10::INSTR"),
]
_names = itertools.count()


@pytest.fixture
def bench() -> Bench:
    return populate(Bench("py-nio", seed=11), SPECS)


@pytest.fixture
def pulser(bench: Bench) -> Keysight81160AModel:
    return bench.instruments["GPIB0::10::INSTR"]


def open_library(bench: Bench) -> str:
    name = f"test-81160a-{next(_names)}"
    register_bench(name, bench)
    return name


def short_bar() -> DeviceParameters:
    """py-nio with a 5 um probe section: a quarter of the resistance."""
    params = preset("py-nio")
    return params.with_(hall_bar=params.hall_bar.with_(length=5e-6))


def low_resistance_bench(seed: int = 5) -> Bench:
    """The short bar with 5 ohm leads: R_2t = 85 ohm, so the generator's 10 V EMF drives
    up to 74 mA (into the default py-nio bench only 25 mA)."""
    options = BenchOptions(lead_resistance=5.0)
    return populate(Bench(short_bar(), seed=seed, options=options), SPECS)


def llg_threshold(params: DeviceParameters) -> float:
    """Current (A) at which a 20 ns pulse reverses a fresh bar (positive current reverses
    m = +y), bisected with the device physics on fresh copies."""
    low, high = 5e-3, 80e-3
    for _ in range(6):
        middle = (low + high) / 2
        device = Device(params, seed=0)
        device.apply_pulse(middle, WIDTH)
        low, high = (low, middle) if device.mean_state < 0 else (middle, high)
    return (low + high) / 2


@pytest.fixture(scope="module")
def threshold() -> float:
    return llg_threshold(preset("py-nio"))


@pytest.fixture(scope="module")
def short_bar_threshold() -> float:
    return llg_threshold(short_bar())


def setting_for(current: float, bench: Bench, load: float = 50.0) -> float:
    """V_set for ``current`` through the bias tee: EMF = V_set (R_load + 50) / R_load."""
    emf = current * (R_OUT + bench.two_terminal_resistance())
    return emf * load / (load + R_OUT)


def pulse_setup(generator: Keysight81160A, high: float) -> None:
    ch = generator.ch_1
    ch.shape = "PULS"
    ch.pulse_period = 1e-6
    ch.pulse_width = WIDTH
    ch.pulse_transition = 2e-9
    ch.output_load = 50
    ch.voltage_low = 0.0
    ch.voltage_high = high
    ch.trigger_mode = "MAN"
    ch.trigger_count = 1
    ch.output = True


# -- exact exchanges ------------------------------------------------------------------
def test_rst_turns_both_outputs_off(pulser):
    assert pulser.process("*IDN?").startswith("Agilent Technologies,81160A,")
    pulser.process("OUTP1 1;OUTP2 1")
    pulser.process("*RST")
    assert (pulser.process("OUTP1?"), pulser.process(":OUTP2?")) == ("0", "0")


def test_channel_suffix_may_sit_on_any_node(pulser):
    pulser.process(":VOLT2:HIGH 1.5")
    pulser.process(":PULS:WIDT2 5.000000e-08")
    assert pulser.process("SOUR2:VOLT:HIGH?") == "+1.500000000E+00"
    assert pulser.process(":FUNC2:PULS:WIDT?") == "+5.000000000E-08"
    assert pulser.process("FUNC:PULS:WIDT?") == "+1.000000000E-07"  # channel 1 untouched
    assert pulser.process(":VOLT3?") is None
    assert pulser.process("SYST:ERR?") == '-114,"Header suffix out of range"'


def test_high_low_and_amplitude_offset_are_one_pair_of_levels(pulser):
    pulser.process(":VOLT1:HIGH 3.0;:VOLT1:LOW -1.0")
    assert pulser.process(":VOLT1?") == "+4.000000000E+00"
    assert pulser.process(":VOLT1:OFFS?") == "+1.000000000E+00"
    pulser.process(":VOLT1 2")
    assert (pulser.process(":VOLT1:HIGH?"), pulser.process(":VOLT1:LOW?")) == (
        "+2.000000000E+00", "+0.000000000E+00")


@pytest.mark.parametrize(("load", "polarity", "factor"), [
    ("50", "NORM", 2.0), ("INF", "NORM", 1.0), ("1e3", "NORM", 1.05), ("50", "INV", -2.0)])
def test_pulse_current_follows_the_bias_tee_formula(bench, pulser, load, polarity, factor):
    pulser.process(f":OUTP1:LOAD {load};:OUTP1:POL {polarity};:FUNC1 PULS;:PULS:WIDT1 2e-8")
    pulser.process(":VOLT1:HIGH 3.5;:VOLT1:LOW 0.5;:ARM:SOUR1 MAN;:OUTP1 ON;*TRG")
    (outcome,) = bench.pulse_log
    assert outcome.amplitude == pytest.approx(
        3.0 * factor / (R_OUT + bench.two_terminal_resistance()))  # the offset is blocked
    assert outcome.width == pytest.approx(2e-8)


def test_levels_beyond_the_generator_range_are_refused(bench, pulser):
    """10 V EMF at most: 5 V into the 50 ohm setting, i.e. 25 mA into the py-nio bench."""
    pulser.process(":VOLT1:HIGH 4.0;:VOLT1:LOW 0")
    pulser.process(":VOLT1:HIGH 9.0")
    assert pulser.process("SYST:ERR?") == '-222,"Data out of range"'
    assert pulser.process(":VOLT1:HIGH?") == "+4.000000000E+00"
    pulser.process(":VOLT1:HIGH 5.0")
    assert pulser.pulse_current() == pytest.approx(0.025, rel=0.01)


def test_burst_fires_count_pulses_one_period_apart(bench, pulser):
    pulser.process(":FUNC1 PULS;:PULS:PER1 1e-6;:PULS:WIDT1 2e-8;:VOLT1:LOW 0;:VOLT1:HIGH 1")
    pulser.process(":TRIG1:COUN 3;:ARM:SOUR1 MAN;:OUTP1 1")
    start = bench.now()
    pulser.process("*TRG")
    assert len(bench.pulse_log) == 3
    assert bench.now() - start == pytest.approx(2e-6 + 2e-8)


def test_continuous_mode_and_output_off_fire_nothing(bench, pulser, caplog):
    with caplog.at_level(logging.WARNING):
        pulser.process(":FUNC1 PULS;:OUTP1 ON;*TRG")  # ARM:SOUR IMM after *RST
    assert "not simulated" in caplog.text
    pulser.process(":ARM:SOUR1 MAN;:OUTP1 OFF;*TRG")
    assert bench.pulse_log == []


def test_width_beyond_the_period_is_a_settings_conflict(pulser):
    pulser.process(":FUNC1 PULS;:PULS:PER1 1e-6;:PULS:WIDT1 2e-6")
    assert pulser.process("SYST:ERR?") == '-221,"Settings conflict"'
    assert pulser.process(":PULS:WIDT1?") == "+1.000000000E-07"


def test_unknown_commands_land_in_the_error_queue(pulser):
    """Acceptance (g)."""
    for command in ("FOO:BAR 1", ":PULS:WIDT1 abc", ":ARM:SOUR1 SOMETIMES"):
        assert pulser.process(command) is None
    assert [pulser.process("SYST:ERR?") for _ in range(4)] == [
        '-113,"Undefined header"', '-104,"Data type error"', '-104,"Data type error"',
        '0,"No error"']


# -- through pyvisa with pymeasure's unmodified driver --------------------------------
def test_ns_pulse_above_threshold_reverses_the_magnet_and_below_does_not(
        short_bar_threshold):
    """Acceptance (f), on a bar the generator can drive (see low_resistance_bench)."""
    threshold = short_bar_threshold
    assert 0.03 < threshold < 0.06
    bench = low_resistance_bench()
    name = open_library(bench)
    try:
        generator = Keysight81160A("GPIB0::10::INSTR", visa_library=f"{name}@labspin")
        generator.reset()
        pulse_setup(generator, high=setting_for(0.5 * threshold, bench))
        generator.trigger()
        assert bench.device.mean_state == 1.0
        generator.ch_1.voltage_high = setting_for(1.4 * threshold, bench)
        generator.trigger()
        assert bench.device.mean_state < -0.5
        assert [o.amplitude for o in bench.pulse_log] == pytest.approx(
            [0.5 * threshold, 1.4 * threshold])
        assert generator.ask("SYST:ERR?").strip() == '0,"No error"'
    finally:
        unregister_bench(name)


def test_the_generator_cannot_reach_the_threshold_of_the_default_py_nio_bench(
        bench, threshold):
    name = open_library(bench)
    try:
        generator = Keysight81160A("GPIB0::10::INSTR", visa_library=f"{name}@labspin")
        pulse_setup(generator, high=5.0)  # the largest level into the 50 ohm setting
        generator.trigger()
        (outcome,) = bench.pulse_log
        assert outcome.amplitude < 0.65 * threshold
        assert bench.device.mean_state == 1.0
    finally:
        unregister_bench(name)


def test_switching_is_read_back_by_the_2w_lockin(short_bar_threshold):
    """The paper's switching experiment: pulse, wait 5 tau, read R_xx^2w at J_AC."""
    bench = low_resistance_bench(seed=8)
    name = open_library(bench)
    try:
        p = bench.device.params
        bench.set_source("source", ac_amplitude=1.3e11 * p.hall_bar.width
                         * p.ferromagnet.thickness, frequency=1234.0)
        library = f"{name}@labspin"
        lockin = SR830("GPIB0::9::INSTR", visa_library=library)
        lockin.reference_source = "External"
        lockin.harmonic = 2
        lockin.time_constant = 0.3
        lockin.sensitivity = 2e-6
        generator = Keysight81160A("GPIB0::10::INSTR", visa_library=library)
        pulse_setup(generator, high=setting_for(1.4 * short_bar_threshold, bench))
        bench.advance(1.5)
        before = lockin.y
        generator.trigger()
        bench.advance(1.5)
        after = lockin.y
        assert before < 0 < after
        assert after == pytest.approx(-before, rel=0.1)
    finally:
        unregister_bench(name)


def test_pymeasure_properties_round_trip(bench):
    name = open_library(bench)
    try:
        generator = Keysight81160A("GPIB0::10::INSTR", visa_library=f"{name}@labspin")
        ch = generator.ch_2
        settings = {"shape": "PULS", "frequency": 2e6, "amplitude": 2.0, "offset": 0.5,
                    "pulse_width": 1e-7, "pulse_transition": 3e-9, "pulse_hold": "WIDT",
                    "output_load": 1000.0, "burst_mode": "TRIG",
                    "trigger_mode": "MAN", "trigger_count": 2, "output": True,
                    "limit_state_enabled": False, "amplitude_unit": "VPP"}
        for key, value in settings.items():
            setattr(ch, key, value)
        assert {key: getattr(ch, key) for key in settings} == settings
        assert ch.burst_ncycles == 2  # TRIG:COUN and BURS:NCYC are one burst count
        assert ch.pulse_period == pytest.approx(5e-7)
        assert ch.pulse_dutycycle == pytest.approx(20.0)
        assert (ch.voltage_high, ch.voltage_low) == (1.5, -0.5)
        ch.apply_pulse(1e6, 1.0, 0.5)
        assert (ch.frequency, ch.amplitude, ch.offset, ch.output) == (1e6, 1.0, 0.5, True)
        assert generator.ask("SYST:ERR?").strip() == '0,"No error"'
        assert math.isclose(generator.pulse_period, 1e-6)  # channel 1, the default
    finally:
        unregister_bench(name)
