"""E8257D model: its SCPI, pymeasure's unmodified driver through pyvisa, the AM that a
lock-in referenced to the LF output reads, and the heat of the RF in the bar."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from pymeasure.instruments.agilent import Agilent8257D
from pymeasure.instruments.srs import SR830

from labspin.physics.stfmr import rf_response
from labspin.simulated_instruments import rf
from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

SPECS = [InstrumentSpec("rf_source", "Agilent8257D", "GPIB0::19::INSTR"),
         InstrumentSpec("lockin_xx", "SR830", "GPIB0::9::INSTR", wiring={"1": "xx"})]
_names = itertools.count()


@pytest.fixture
def bench() -> Bench:
    return populate(Bench("py-nio", seed=3), SPECS)


@pytest.fixture
def library(bench):
    name = f"test-psg-{next(_names)}"
    register_bench(name, bench)
    yield f"{name}@labspin"
    unregister_bench(name)


def model(bench):
    return bench.rf_sources["rf_source"]


def test_frequency_and_level_take_units_and_refuse_what_the_psg_cannot(bench):
    psg = model(bench)
    psg.process(":FREQ 8 GHz")
    assert psg.process(":SOUR:FREQ:CW?") == "+8.00000000000E+09"
    psg.process("FREQ 2.5e9;:POW 7.5 dBm")
    assert psg.frequency == 2.5e9 and psg.power == 7.5
    for bad in (":FREQ 30 GHz", ":POW 26 dBm", ":FREQ 8 parsecs", ":POW loud"):
        psg.process(bad)
    assert psg.frequency == 2.5e9 and psg.power == 7.5
    errors = [psg.process("SYST:ERR?") for _ in range(5)]
    assert errors[:2] == ['-222,"Data out of range"'] * 2
    assert errors[2].startswith("-131") and errors[3].startswith("-104")
    assert errors[4] == '0,"No error"'
    psg.process(":OUTP:BLAH 1")
    assert psg.process("SYST:ERR?").startswith("-113")


def test_pymeasures_driver_configures_am_and_the_lf_output(library, bench):
    gen = Agilent8257D("GPIB0::19::INSTR", visa_library=library)
    assert gen.id.startswith("Agilent Technologies, E8257D")
    gen.frequency = 9e9
    gen.power = 5
    gen.config_amplitude_modulation(frequency=2e3, depth=80, shape="square")
    gen.enable_modulation()
    gen.enable()
    assert gen.is_enabled and gen.has_modulation and gen.has_amplitude_modulation
    assert gen.internal_frequency == pytest.approx(2e3)
    assert gen.amplitude_depth == pytest.approx(80)
    assert gen.internal_shape == "square"
    assert gen.check_errors() == []
    out = model(bench).rf_output()
    assert out == rf.RFOutput(9e9, 5.0, "SQU", 0.8)
    assert rf.reference_frequency(bench) == pytest.approx(2e3)
    gen.shutdown()
    assert model(bench).rf_output() is None and rf.reference_frequency(bench) is None


def test_the_lock_in_reads_the_first_harmonic_of_the_am_envelope(library, bench):
    """Sine AM of depth d: X = 2 d V_cw / sqrt 2 (V_cw: the CW rectified voltage)."""
    gen = Agilent8257D("GPIB0::19::INSTR", visa_library=library)
    lockin = SR830("GPIB0::9::INSTR", visa_library=library)
    lockin.reference_source = "External"
    lockin.time_constant = 0.1
    lockin.sensitivity = 1e-3
    for coil in ("x", "y"):
        bench.coils[coil].output_enabled = True
        bench.coils[coil].setpoint = 0.06 / math.sqrt(2) / bench.coils[coil].coil_constant
    bench.advance(2.0)
    gen.frequency, gen.power = 7e9, 5
    gen.config_amplitude_modulation(frequency=1333, depth=60, shape="sine")
    gen.enable_modulation()
    gen.enable()
    bench.advance(1.0)
    x, y = lockin.xy
    current = bench.rf_circuit.bar_current(5.0, 7e9, bench.two_terminal_resistance())
    v_cw = rf_response(bench.device.params, bench.sample_field(), 7e9, current,
                       mean_power_factor=1 + 0.6**2 / 2,
                       stray_field=bench.rf_circuit.stray_field).total
    assert abs(v_cw) > 1e-6
    assert x == pytest.approx(2 * 0.6 * v_cw / math.sqrt(2), rel=2e-3)
    assert abs(y) < 1e-3 * abs(x)
    assert lockin.frequency == pytest.approx(1333)
    gen.disable()
    bench.advance(1.0)
    assert abs(lockin.x) < 1e-3 * abs(x)  # the RF off: no signal, only noise


def test_without_the_lf_output_the_lock_in_is_unlocked(bench):
    psg, lockin = model(bench), bench.instruments["GPIB0::9::INSTR"]
    for command in (":FREQ 7 GHz", ":POW 5 dBm", ":SOUR:AM:STAT ON", ":SOUR:AM:DEPT 100",
                    ":OUTP ON"):
        psg.process(command)
    lockin.process("FMOD 0")
    assert int(lockin.process("LIAS?")) & 8  # unlock
    psg.process(":lfo:sour int; :lfo:ampl 2.0vp; :lfo:stat on")
    assert not int(lockin.process("LIAS?")) & 8


def test_a_cw_output_heats_the_bar_but_gives_no_signal_at_any_reference(bench):
    psg = model(bench)
    for command in (":FREQ 7 GHz", ":POW 5 dBm", ":OUTP ON", ":lfo:stat on", ":lfo:ampl 1vp"):
        psg.process(command)
    assert rf.harmonic_voltages(bench, "xx") == (0.0, 0.0)


def test_too_much_rf_burns_the_bar_open(bench):
    bench.device.params = bench.device.params.with_(
        thermal=bench.device.params.thermal.with_(thermal_resistance=4e4))
    psg = model(bench)
    psg.process(":FREQ 2 GHz;:POW 0 dBm;:OUTP ON")
    assert not bench.device.is_open
    psg.process(":POW 25 dBm")
    assert bench.device.is_open
    assert math.isinf(bench.two_terminal_resistance())


def test_the_cone_angle_stays_small_at_the_default_levels(bench):
    psg = model(bench)
    psg.process(":FREQ 8 GHz;:POW 10 dBm;:AM:STAT ON;:AM:DEPT 100;:OUTP ON")
    for coil in ("x", "y"):
        bench.coils[coil].output_enabled = True
    fields = np.linspace(0.05, 0.11, 13)
    cones = []
    for b in fields:
        for coil in ("x", "y"):
            bench.coils[coil].setpoint = b / math.sqrt(2) / bench.coils[coil].coil_constant
        bench.advance(1.0)
        cones.append(rf.cone_angle(bench))
    assert 0.005 < max(cones) < 0.1  # linear response holds (below about 0.1 rad)
