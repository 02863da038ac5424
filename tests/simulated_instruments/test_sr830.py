"""SR830 model: exact exchanges, and pymeasure's unmodified SR830 driver through pyvisa."""

from __future__ import annotations

import itertools
import math

import pytest
from pymeasure.instruments.srs import SR830

from labspin.simulated_instruments.bench import Bench
from labspin.simulated_instruments.instruments.sr830 import SR830Model
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

J_AC = 1.3e11  # A/m^2, read current density of the paper's switching figure
FREQUENCY = 1234.0  # Hz
TAU = 0.3  # s, lock-in time constant used below
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
def library(bench: Bench):
    name = f"test-sr830-{next(_names)}"
    register_bench(name, bench)
    yield f"{name}@labspin"
    unregister_bench(name)


def read_current(bench: Bench) -> float:
    """I_0 = J_AC w t_F: the paper's read current through the FM."""
    p = bench.device.params
    return J_AC * p.hall_bar.width * p.ferromagnet.thickness


def lockin(library: str, resource: str, harmonic: int, sensitivity: float) -> SR830:
    li = SR830(resource, visa_library=library)
    li.reference_source = "External"
    li.harmonic = harmonic
    li.time_constant = TAU
    li.filter_slope = 12
    li.sensitivity = sensitivity
    return li


def model(bench: Bench, resource: str = "GPIB0::9::INSTR") -> SR830Model:
    return bench.instruments[resource]


def noise(li: SR830 | SR830Model) -> float:
    m = li if isinstance(li, SR830Model) else None
    return m.noise_sigma if m else 8e-9 * math.sqrt(1 / (8 * TAU))


# -- exact exchanges ------------------------------------------------------------------
def test_identifies_itself_and_resets_to_the_standard_settings(bench):
    m = model(bench)
    assert m.process("*IDN?").startswith("Stanford_Research_Systems,SR830,")
    m.process("SENS 3;OFLT 2;HARM 2;PHAS 12.5;FMOD 0")
    m.process("*RST")
    assert [m.process(q) for q in ("SENS?", "OFLT?", "OFSL?", "FMOD?", "HARM?", "PHAS?",
                                   "FREQ?", "SLVL?")] == ["26", "8", "1", "1", "1", "0",
                                                          "1000", "1"]


def test_settings_round_trip_in_the_sr830_syntax(bench):
    m = model(bench)
    exchanges = [("HARM2", None), ("HARM?", "2"), ("PHAS-90.00", None), ("PHAS?", "-90"),
                 ("PHAS 270", None), ("PHAS?", "-90"), ("OFLT9", None), ("OFLT?", "9"),
                 ("SRAT4.000000", None), ("SRAT?", "4"), ("DDEF1,1,0", None),
                 ("DDEF?1;", "1,0"), ("OEXP 2,50.00,1", None), ("OEXP? 2", "50.00,1"),
                 ("AUXV1,1.250000;", None), ("AUXV?1;", "1.250"), ("LIAE 2,1", None),
                 ("LIAE?", "4"), ("SLVL0.123", None), ("SLVL?", "0.124")]
    assert [(c, m.process(c)) for c, _ in exchanges] == exchanges
    assert m.process("SYST:ERR?") == '0,"No error"'


def test_outp_and_snap_accept_both_query_forms(bench):
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    m = model(bench)
    m.process("FMOD 0")
    assert m.process("OUTP?1") == m.process("OUTP? 1")
    x, y, freq = (float(v) for v in m.process("SNAP? 1,2,9").split(","))
    assert (x, y) == (float(m.process("OUTP?1")), float(m.process("OUTP?2")))
    assert freq == FREQUENCY


def test_first_harmonic_is_in_phase_with_the_current(bench):
    """Acceptance (b): X = I_0 R_xx / sqrt 2, Y = 0."""
    i0 = read_current(bench)
    bench.set_source("source", ac_amplitude=i0, frequency=FREQUENCY)
    m = model(bench)
    m.process("FMOD 0;HARM 1;SENS 25;OFLT 9")
    x, y = (float(v) for v in m.process("SNAP?1,2").split(","))
    r_xx = bench.device.resistances(i0 / math.sqrt(2)).xx
    assert x == pytest.approx(i0 * r_xx / math.sqrt(2), rel=2e-3)
    assert x == pytest.approx(bench.harmonic_voltages("xx")[0] / math.sqrt(2), rel=1e-5)
    assert abs(y) < 5 * m.noise_sigma


def test_second_harmonic_reads_minus_v2w_in_y_at_zero_phase_and_in_x_at_minus_90(bench):
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    v_2w = bench.harmonic_voltages("xx")[1]
    m = model(bench)
    m.process("FMOD 0;HARM 2;SENS 11;OFLT 9;PHAS 0")
    x, y = (float(v) for v in m.process("SNAP?1,2").split(","))
    assert abs(x) < 5 * m.noise_sigma
    assert y == pytest.approx(-v_2w / math.sqrt(2), abs=5 * m.noise_sigma)
    m.process("PHAS -90")
    bench.advance(5 * TAU)
    x, y = (float(v) for v in m.process("SNAP?1,2").split(","))
    assert x == pytest.approx(v_2w / math.sqrt(2), abs=5 * m.noise_sigma)
    assert abs(y) < 5 * m.noise_sigma


def test_unknown_commands_land_in_the_error_queue_and_the_status_byte(bench):
    """Acceptance (g): a command error sets *ESR bit 5, a bad value bit 4; no crash."""
    m = model(bench)
    assert m.process("FOO 1") is None
    assert m.process("SENS 99") is None
    assert m.process("OUTP 1") is None  # OUTP is a query only
    assert m.process("*ESR?") == "48"
    assert m.process("*ESR?") == "0"  # reading clears it
    assert [m.process("SYST:ERR?") for _ in range(4)] == [
        '-113,"Undefined header"', '-222,"Data out of range"', '-113,"Undefined header"',
        '0,"No error"']


def test_binary_buffer_transfer_is_refused_with_a_hint(bench):
    m = model(bench)
    assert m.process("TRCB?1,0,1") is None
    assert "TRCA?" in m.process("SYST:ERR?")


def test_saved_setup_is_recalled_after_a_reset(bench):
    m = model(bench)
    m.process("SENS 7;HARM 2;SSET 3;*RST")
    assert m.process("HARM?") == "1"
    m.process("RSET 3")
    assert (m.process("SENS?"), m.process("HARM?")) == ("7", "2")


# -- through pyvisa with pymeasure's unmodified driver --------------------------------
def test_2w_longitudinal_reading_follows_m_y(bench, library):
    """Acceptance (a): R_xx^2w at J_AC flips sign with m_y, equal magnitudes, equal to the
    bench's V_2w within noise."""
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=2, sensitivity=5e-6)
    readings = {}
    for state in (1, -1):
        bench.device.reset(state)
        bench.advance(6 * TAU)
        readings[state] = li.y
        expected = -bench.harmonic_voltages("xx")[1] / math.sqrt(2)
        assert readings[state] == pytest.approx(expected, abs=5 * noise(li))
    assert readings[1] * readings[-1] < 0
    assert abs(readings[1]) == pytest.approx(abs(readings[-1]), abs=7 * noise(li))
    assert abs(readings[1]) > 100 * noise(li)
    assert li.lia_status == 0


def test_reading_right_after_a_reversal_shows_the_old_value_until_5_tau(bench, library):
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=2, sensitivity=5e-6)
    bench.advance(6 * TAU)
    before = li.y
    bench.device.reset(-1)
    assert li.y == pytest.approx(before, abs=3 * noise(li))  # no wait: still the old value
    bench.advance(TAU)
    after = -bench.harmonic_voltages("xx")[1] / math.sqrt(2)
    expected = after + (before - after) * math.exp(-1)
    assert li.y == pytest.approx(expected, abs=5 * noise(li))
    bench.advance(4 * TAU)
    assert li.y == pytest.approx(after, abs=5 * noise(li))


def test_first_harmonic_through_pymeasure_is_i0_r_xx_over_root_2(bench, library):
    """Acceptance (b) through the driver."""
    i0 = read_current(bench)
    bench.set_source("source", ac_amplitude=i0, frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=1, sensitivity=0.5)
    x, y = li.xy
    assert x == pytest.approx(i0 * bench.device.resistances(0.0).xx / math.sqrt(2), rel=5e-3)
    assert abs(y) < 5 * noise(li)
    assert li.frequency == FREQUENCY
    assert abs(li.theta) < 0.01


def test_in_plane_harmonic_hall_2w_changes_with_field_angle(bench, library):
    """Acceptance (c): at 50 mT (above B_K) the Hall 2w follows cos(phi) of the field."""
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::8::INSTR", harmonic=2, sensitivity=2e-6)
    for axis in ("x", "y"):
        bench.coils[axis].output_enabled = True
    readings = {}
    for angle in (0, 90, 180):
        phi = math.radians(angle)
        bench.coils["x"].setpoint = 0.05 * math.cos(phi) / bench.coils["x"].coil_constant
        bench.coils["y"].setpoint = 0.05 * math.sin(phi) / bench.coils["y"].coil_constant
        bench.advance(5.0)
        readings[angle] = li.y
        expected = -bench.harmonic_voltages("xy")[1] / math.sqrt(2)
        assert readings[angle] == pytest.approx(expected, abs=5 * noise(li))
    assert abs(readings[0]) > 50 * noise(li)
    assert readings[0] == pytest.approx(-readings[180], rel=0.05)
    assert abs(readings[90]) < 0.1 * abs(readings[0])


def test_without_a_reference_sine_the_lockin_is_unlocked_and_reads_noise(bench, library):
    """Acceptance (d)."""
    li = lockin(library, "GPIB0::8::INSTR", harmonic=1, sensitivity=1e-6)
    assert li.lia_status & 8  # REF_UNLOCK
    assert li.magnitude < 10 * noise(li)
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li.clear()
    assert not li.lia_status & 8


def test_internal_reference_is_not_coherent_with_the_bench_current(bench, library):
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=1, sensitivity=1e-6)
    li.reference_source = "Internal"
    li.frequency = FREQUENCY
    bench.advance(6 * TAU)
    assert li.frequency == FREQUENCY
    assert li.magnitude < 10 * noise(li)


def test_too_small_a_sensitivity_overloads_and_saturates(bench, library):
    """Acceptance (e): 0.46 V rms at 1 mV full scale."""
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=1, sensitivity=1e-3)
    assert li.x == pytest.approx(1e-3)
    assert li.is_out_of_range()
    li.sensitivity = 1.0
    li.clear()
    assert not li.is_out_of_range()
    assert li.x == pytest.approx(0.46, rel=0.01)


def test_quick_range_steps_the_sensitivity_up_until_nothing_overloads(bench, library,
                                                                       monkeypatch):
    monkeypatch.setattr("pymeasure.instruments.srs.sr830.time.sleep", lambda s: None)
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=1, sensitivity=1e-3)
    li.quick_range()
    assert li.sensitivity == 1.0  # pymeasure asks for 1.15 * 0.46 V: the next range is 1 V
    assert not li.is_out_of_range()


def test_noise_falls_as_one_over_root_time_constant(bench, library):
    li = lockin(library, "GPIB0::8::INSTR", harmonic=1, sensitivity=1e-6)
    spread = {}
    for tau in (0.03, 3.0):
        li.time_constant = tau
        samples = []
        for _ in range(300):
            bench.advance(10 * tau)
            samples.append(li.x)
        mean = sum(samples) / len(samples)
        spread[tau] = math.sqrt(sum((s - mean) ** 2 for s in samples) / (len(samples) - 1))
    assert spread[0.03] == pytest.approx(8e-9 * math.sqrt(1 / (8 * 0.03)), rel=0.15)
    assert spread[0.03] / spread[3.0] == pytest.approx(10.0, rel=0.2)


def test_readings_within_a_time_constant_are_correlated(bench, library):
    li = lockin(library, "GPIB0::8::INSTR", harmonic=1, sensitivity=1e-6)
    first = li.x
    assert li.x == first  # no bench time passed: the filter output has not moved
    bench.advance(20 * TAU)
    assert li.x != first


def test_auto_gain_and_auto_phase_wait_for_the_output_to_settle(bench, library):
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=2, sensitivity=1.0)
    v = bench.harmonic_voltages("xx")[1] / math.sqrt(2)
    start = bench.now()
    li.auto_gain()
    assert bench.now() - start == pytest.approx(5 * TAU)
    assert v < 0.8 * li.sensitivity < 3 * v
    li.auto_phase()
    bench.advance(5 * TAU)
    assert li.phase == pytest.approx(-90.0, abs=1.0)
    assert li.x == pytest.approx(v, abs=5 * noise(li))


def test_buffer_fills_as_bench_time_passes(bench, library, monkeypatch):
    monkeypatch.setattr("pymeasure.instruments.srs.sr830.time.sleep", lambda s: None)
    bench.set_source("source", ac_amplitude=read_current(bench), frequency=FREQUENCY)
    li = lockin(library, "GPIB0::9::INSTR", harmonic=1, sensitivity=1.0)
    li.reset_buffer()
    li.sample_frequency = 4
    li.start_buffer(fast=False)
    li.write("STRT")
    li.wait_for_buffer(20)  # polls SPTS?, each poll lets a sample period pass
    assert li.buffer_count >= 20
    values = [float(v) for v in li.ask("TRCA?1,0,20").strip().rstrip(",").split(",")]
    assert values == pytest.approx([bench.harmonic_voltages("xx")[0] / math.sqrt(2)] * 20,
                                   rel=1e-4)


def test_pymeasure_properties_round_trip(library):
    li = SR830("GPIB0::8::INSTR", visa_library=library)
    settings = {"sine_voltage": 0.5, "phase": 30.0, "sensitivity": 2e-3,
                "time_constant": 1.0, "filter_slope": 24, "filter_synchronous": True,
                "harmonic": 3, "input_config": "A - B", "input_grounding": "Ground",
                "input_coupling": "DC", "input_notch_config": "Both",
                "reference_source": "Internal", "reference_source_trigger": "POS EDGE",
                "aux_out_2": 1.5, "frequency": 1000.0, "reserve": "Low Noise",
                "sample_frequency": 16}
    for name, value in settings.items():
        setattr(li, name, value)
    assert {name: getattr(li, name) for name in settings} == settings
    assert li.get_scaling("R") == (0.0, 1)
    assert li.err_status == 0
    assert li.ask("SYST:ERR?").strip() == '0,"No error"'
