"""The simulated 6221: its SCPI answers, and the physics it drives through the bench."""

import itertools
import math

import numpy as np
import pytest
from pymeasure.instruments.keithley import Keithley2182, Keithley6221

from labspin.drivers.keithley6221 import Keithley6221Pulse
from labspin.physics import Device, preset
from labspin.physics.predictions import critical_current
from labspin.simulated_instruments.bench import Bench, BenchOptions
from labspin.simulated_instruments.instruments.keithley2182 import OVERFLOW
from labspin.simulated_instruments.layout import InstrumentSpec, populate
from labspin.simulated_instruments.visa import register_bench, unregister_bench

SOURCE, METER = "GPIB0::12::INSTR", "GPIB0::7::INSTR"
_names = itertools.count()


def make_bench(seed=0, options=None):
    bench = Bench("py-nio", seed=seed, options=options)
    return populate(bench, [
        InstrumentSpec("source", "Keithley6221", SOURCE),
        InstrumentSpec("voltmeter", "Keithley2182", METER, wiring={"1": "xx", "2": "xy"}),
    ])


@pytest.fixture
def model():
    bench = make_bench()
    return bench.instruments[SOURCE]


@pytest.fixture
def station():
    """A py-nio bench reached through pyvisa with the unmodified pymeasure drivers."""
    benches = []

    def open_station(seed=0, options=None):
        bench = make_bench(seed, options)
        name = f"k6221-test-{next(_names)}"
        register_bench(name, bench)
        benches.append(name)
        library = f"{name}@labspin"
        meter = Keithley2182(METER, visa_library=library)
        meter.ch_1.setup_voltage(nplc=5)
        return bench, Keithley6221(SOURCE, visa_library=library), meter, library

    yield open_station
    for name in benches:
        unregister_bench(name)


def exchange(model, transcript):
    for command, reply in transcript:
        assert model.process(command) == reply, command


# -- SCPI exchanges with the model ------------------------------------------------------
def test_identifies_and_answers_with_newline_termination(model):
    assert model.process("*IDN?").startswith("KEITHLEY INSTRUMENTS INC.,MODEL 6221,")
    assert model.read_termination == "\n"


def test_power_on_settings_follow_the_manual(model):
    exchange(model, [
        ("OUTP?", "0"), ("SOUR:CURR?", "+0.000000E+00"), ("SOUR:CURR:COMP?", "+1.000000E+01"),
        ("SOUR:DELT:HIGH?", "+1.000000E-03"), ("SOUR:DELT:LOW?", "-1.000000E-03"),
        ("SOUR:DELT:COUN?", "+9.900000E+37"), ("SOUR:PDEL:WIDT?", "+1.100000E-04"),
        ("SOUR:PDEL:SDEL?", "+1.600000E-05"), ("SOUR:PDEL:INT?", "5"), ("PDEL:LME?", "2"),
        ("SOUR:PDEL:RANG?", "BEST"), ("SOUR:PDEL:ARM?", "0"), ("FORM:ELEM?", "READ,TST"),
        ("UNIT?", "V"), ("SOUR:WAVE:FUNC?", "SIN"),
    ])


def test_long_short_and_rootless_forms_reach_the_same_setting(model):
    exchange(model, [
        (":SOURce:CURRent:LEVel 2.5e-3", None), ("CURR?", "+2.500000E-03"),
        ("pdel:high -0.02", None), (":SOUR:PDEL:HIGH?", "-2.000000E-02"),
        ("SOUR:PDEL:WIDT MAX", None), ("SOUR:PDEL:WIDT?", "+1.200000E-02"),
    ])


def test_setting_delta_high_sets_low_to_minus_high(model):
    exchange(model, [("SOUR:DELT:HIGH 2e-3", None), ("SOUR:DELT:LOW?", "-2.000000E-03"),
                     ("SOUR:DELT:LOW -5e-4", None), ("SOUR:DELT:LOW?", "-5.000000E-04")])


@pytest.mark.parametrize("command", [
    "SOUR:PDEL:WIDT 40e-6", "SOUR:PDEL:WIDT 13e-3", "SOUR:PDEL:SDEL 1e-6",
    "SOUR:PDEL:INT 4", "SOUR:PDEL:LME 3", "SOUR:PDEL:HIGH 0.2", "SOUR:CURR -0.11",
    "SOUR:CURR:COMP 200", "SOUR:DELT:COUN 0",
])
def test_values_outside_the_manual_limits_are_refused(model, command):
    before = model.process(command.split()[0] + "?")
    assert model.process(command) is None
    assert model.process("SYST:ERR?") == '-222,"Data out of range"'
    assert model.process(command.split()[0] + "?") == before


def test_unknown_and_malformed_commands_land_in_the_error_queue(model):
    exchange(model, [
        ("SOUR:FROB 1", None), ("SOUR:CURR banana", None), ("PDEL:RANG SIDEWAYS", None),
        ("SYST:ERR?", '-113,"Undefined header"'), ("SYST:ERR?", '-104,"Data type error"'),
        ("SYST:ERR?", '-104,"Data type error"'), ("SYST:ERR?", '0,"No error"'),
        ("*IDN?", model.idn),
    ])


def test_tests_cannot_start_unarmed_or_arm_without_a_2182a():
    bench = populate(Bench("py-nio", seed=0), [InstrumentSpec("source", "Keithley6221",
                                                             SOURCE)])
    model = bench.instruments[SOURCE]
    exchange(model, [
        ("INIT:IMM", None), ("SYST:ERR?", '-221,"Settings conflict; not armed"'),
        ("SOUR:PDEL:NVPR?", "0"), ("SOUR:PDEL:ARM", None),
        ("SYST:ERR?", '-221,"Settings conflict; no 2182A found"'), ("SOUR:PDEL:ARM?", "0"),
        ("TRAC:DATA?", None), ("SYST:ERR?", '-230,"Data corrupt or stale"'),
    ])


def test_delta_readings_are_the_three_point_moving_average(model, monkeypatch):
    """(A - 2B + C)/4 (-1)^n: an offset and a linear drift both cancel (manual 5-22)."""
    meter = model.voltmeter()
    ads = iter(1.0 * (-1) ** k + 0.5 + 0.01 * k for k in range(10))
    monkeypatch.setattr(meter, "measure_voltage", lambda channel=1: next(ads))
    exchange(model, [("SOUR:DELT:COUN 4", None), ("SOUR:DELT:ARM", None),
                     ("INIT:IMM", None), ("TRAC:POIN:ACT?", "4"), ("FORM:ELEM READ", None),
                     ("TRAC:DATA?", ",".join(["+1.000000E+00"] * 4)),
                     ("SENS:DATA?", "+1.000000E+00"), ("TRAC:DATA:TYPE?", "DELT")])


def test_delta_buffer_carries_timestamps_from_zero_and_the_source_level(model):
    exchange(model, [("SOUR:DELT:HIGH 1e-3", None), ("SOUR:DELT:COUN 3", None),
                     ("SOUR:DELT:ARM", None), ("INIT:IMM", None),
                     ("FORM:ELEM TST,SOUR,COMP", None)])
    rows = np.array(model.process("TRAC:DATA?").split(","), dtype=float).reshape(3, 3)
    step = 2e-3 + model.voltmeter().integration_time
    assert rows[:, 0] == pytest.approx([0.0, step, 2 * step])
    assert rows[:, 1] == pytest.approx([1e-3] * 3)
    assert list(rows[:, 2]) == [0, 0, 0]
    assert model.bench.dc_current() == 0.0  # the output is back in its DC state (off)


def test_serial_link_passes_commands_to_the_2182a(model):
    exchange(model, [('SYST:COMM:SER:SEND "SENS:VOLT:NPLC 1"', None),
                     ('SYST:COMM:SER:SEND "SENS:VOLT:NPLC?"', None),
                     ("SYST:COMM:SER:ENT?", "1")])
    assert model.voltmeter().nplc == 1.0


# -- through pyvisa with the unmodified pymeasure drivers -------------------------------
def test_dc_output_drives_the_bar_only_while_enabled(station):
    bench, source, meter, _ = station()
    source.source_current = 1e-3
    assert bench.dc_current() == 0.0
    source.enable_source()
    assert source.source_enabled is True
    assert bench.dc_current() == pytest.approx(1e-3)
    assert meter.voltage == pytest.approx(1e-3 * bench.device.resistances(1e-3).xx, abs=1e-5)
    source.disable_source()
    assert bench.dc_current() == 0.0
    assert source.check_errors() == []


@pytest.mark.parametrize("name, value", [
    ("source_enabled", True), ("shield_to_guard_enabled", False), ("source_delay", 0.01),
    ("output_low_grounded", True), ("source_current", -1e-3), ("source_compliance", 20.0),
    ("source_range", 0.02), ("source_auto_range", True), ("delta_unit", "Ohms"),
    ("delta_high_source", 2e-3), ("delta_low_source", -1e-3), ("delta_delay", 0.01),
    ("delta_cycles", 100), ("delta_measurement_sets", 2),
    ("delta_compliance_abort_enabled", True), ("delta_cold_switch_enabled", True),
    ("delta_buffer_points", 100), ("waveform_function", "square"),
    ("waveform_frequency", 1e3), ("waveform_amplitude", 1e-3), ("waveform_offset", 1e-4),
    ("waveform_dutycycle", 25.0), ("waveform_duration_time", 5.0),
    ("waveform_duration_cycles", 100.0), ("waveform_ranging", "fixed"),
    ("waveform_use_phasemarker", True), ("waveform_phasemarker_phase", 90.0),
    ("waveform_phasemarker_line", 4), ("display_enabled", False),
    ("measurement_event_enabled", 512), ("operation_event_enabled", 128),
    ("questionable_event_enabled", 16), ("standard_event_enabled", 32),
    ("srq_event_enabled", 1), ("buffer_points", 64),
])
def test_every_pymeasure_setting_round_trips(station, name, value):
    _, source, _, _ = station()
    setattr(source, name, value)
    assert getattr(source, name) == (pytest.approx(value) if isinstance(value, float)
                                     else value)
    assert source.check_errors() == []


def test_every_pymeasure_method_is_understood(station):
    _, source, _, _ = station()
    source.clear()
    source.beep(440, 0.2)
    source.trigger()
    source.trigger_immediately()
    source.trigger_on_bus()
    source.set_timed_arm(0.5)
    source.trigger_on_external(line=2)
    source.output_trigger_on_external(line=3)
    source.disable_output_trigger()
    source.define_arbitary_waveform([0.0, 0.5, 1.0, -1.0], location=2)
    assert source.waveform_function == "arbitrary2"
    source.waveform_duration_set_infinity()
    source.config_buffer(points=8)
    source.reset_buffer()
    source.stop_buffer()
    source.disable_buffer()
    source.enable_source()
    source.shutdown()
    assert source.source_enabled is False
    assert (source.complete, source.options) == ("1", "0")
    assert int(source.status) == 0
    assert (source.measurement_events, source.operation_events,
            source.questionable_events, source.standard_events) == (0, 0, 0, 0)
    assert source.check_errors() == []


def test_delta_mode_cancels_the_thermoelectric_offset_a_dc_reading_shows(station):
    bench, source, meter, _ = station(seed=0)
    current = 1e-3
    v_plus, v_minus = bench.device.voltages(current)[0], bench.device.voltages(-current)[0]
    source.source_current = current
    source.enable_source()
    dc_error = meter.voltage - v_plus
    source.disable_source()
    assert dc_error == pytest.approx(bench.thermoelectric_offset("xx"), abs=1e-7)
    assert abs(dc_error) > 1e-6  # this seed's contacts have a clear offset

    assert source.delta_connected is True
    source.delta_unit = "V"
    source.delta_high_source = current
    source.delta_delay = 2e-3
    source.delta_cycles = 10
    source.delta_compliance_abort_enabled = True
    source.delta_arm()
    source.delta_start()
    values = source.delta_values  # READ,TST pairs by default
    readings = np.array(values[0::2])
    assert len(readings) == 10 and values[1] == 0.0
    delta_error = readings.mean() - (v_plus - v_minus) / 2
    assert abs(delta_error) < 2e-8
    assert abs(delta_error) < abs(dc_error) / 50
    assert source.delta_sense[0] == pytest.approx(readings[-1])
    source.delta_abort()
    assert source.check_errors() == []


def test_delta_mode_in_ohms_reports_the_bar_resistance(station):
    bench, source, _, _ = station(seed=1)
    source.delta_unit = "Ohms"
    source.delta_high_source = 1e-3
    source.delta_cycles = 4
    source.delta_arm()
    source.delta_start()
    source.write(":FORM:ELEM READ")
    assert np.mean(source.delta_values) == pytest.approx(
        bench.device.resistances(1e-3).xx, rel=1e-5)


def test_buffer_full_sets_the_status_byte_pymeasure_waits_for(station):
    _, source, _, _ = station()
    source.config_buffer(points=5)
    source.delta_cycles = 5
    source.delta_arm()
    assert not source.is_buffer_full()
    source.delta_start()
    assert source.is_buffer_full()
    assert len(source.buffer_data) == 10  # reading and timestamp of each


def test_sine_waveform_runs_on_the_bench_and_abort_returns_to_dc(station):
    bench, source, _, _ = station()
    source.source_current = 0.0
    source.waveform_function = "sine"
    source.waveform_amplitude = 1e-3
    source.waveform_offset = 0.0
    source.waveform_frequency = 1333
    source.waveform_duration_time = 2.0
    source.waveform_arm()
    assert bench.ac_source() is None
    source.waveform_start()
    ac = bench.ac_source()
    assert (ac.ac_amplitude, ac.frequency) == pytest.approx((1e-3, 1333))
    bench.advance(1.0)
    assert source.waveform_function == "sine" and bench.ac_source() is not None
    bench.advance(1.5)  # past the 2 s duration: the wave stops at its offset
    assert source.waveform_frequency == 1333 and bench.ac_source() is None
    source.waveform_start()
    source.waveform_abort()
    assert bench.ac_source() is None and bench.dc_current() == 0.0
    assert source.check_errors() == []


def test_compliance_limits_dc_and_pulse_currents(station):
    bench, source, meter, library = station()
    r_two_terminal = bench.two_terminal_resistance()  # bar between pads plus leads
    source.source_compliance = 1.0
    source.source_current = 10e-3
    source.enable_source()
    limited = bench.dc_current()
    assert limited == pytest.approx(1.0 / r_two_terminal, rel=2e-3)  # the bar warms a little
    assert limited * bench.two_terminal_resistance() == pytest.approx(1.0, rel=1e-4)
    assert int(source.ask(":STAT:MEAS:COND?")) & 8  # compliance bit (manual Fig. 11-6)
    assert source.measurement_events & 8
    assert meter.voltage == pytest.approx(limited * bench.device.resistances(limited).xx,
                                          abs=1e-5)
    source.source_compliance = 10.0
    assert bench.dc_current() == pytest.approx(10e-3)
    assert not int(source.ask(":STAT:MEAS:COND?")) & 8
    source.disable_source()

    pulser = Keithley6221Pulse(SOURCE, visa_library=library)
    pulser.pulse(0.05, 1e-3)  # 50 mA into ~350 ohm needs 17.5 V: 10 V compliance limits it
    pulse_current = bench.pulse_log[-1].amplitude
    assert pulse_current < 10.0 / r_two_terminal  # compliance, and the bar warms
    assert pulse_current * bench.two_terminal_resistance_at(pulse_current) == pytest.approx(
        10.0, rel=1e-4)
    assert pulser.ask(":FORM:ELEM COMP;:TRAC:DATA?").strip() == "1"


def test_burnt_open_bar_reads_as_compliance_and_zero_current(station):
    bench, source, meter, _ = station(options=BenchOptions(burn_current=0.05))
    source.source_compliance = 105
    source.source_current = 0.06
    source.enable_source()  # more than the bar survives: it burns open
    assert bench.device.is_open
    assert bench.dc_current() == 0.0
    assert int(source.ask(":STAT:MEAS:COND?")) & 8
    assert meter.voltage == OVERFLOW
    source.source_current = 1e-3
    assert bench.sources["source"].dc == 0.0
    assert int(source.ask(":STAT:MEAS:COND?")) & 8


def test_rst_turns_the_output_off_and_disarms(station):
    bench, source, _, library = station()
    source.source_current = 2e-3
    source.enable_source()
    Keithley6221Pulse(SOURCE, visa_library=library).arm_pulse()
    assert bench.dc_current() == pytest.approx(2e-3)
    source.reset()  # pymeasure: status:queue:clear;*RST;:stat:pres;:*CLS;
    assert bench.dc_current() == 0.0
    assert source.source_enabled is False
    assert source.source_current == 0.0
    assert source.ask(":SOUR:PDEL:ARM?").strip() == "0"
    assert source.check_errors() == []


def test_unknown_commands_give_an_error_and_the_instrument_keeps_working(station):
    _, source, _, _ = station()
    source.write(":SOUR:FROB 1")
    source.write(":SOUR:CURR banana")
    errors = source.check_errors()
    assert [int(e[0]) for e in errors] == [-113, -104]
    assert source.id.startswith("KEITHLEY INSTRUMENTS INC.,MODEL 6221")
    assert source.check_errors() == []


# -- switching: pulses through Pulse Delta, read with the 2182A -------------------------
def read_signal(source, meter, current=2e-3):
    """The part of V_xx even in the read current, (V(+I) + V(-I))/2 - V(0): USMR and the
    Nernst term, both odd in m_y (PHYSICS.md, Readout); the offset and I R drop out."""
    source.source_current = current
    source.enable_source()
    v_plus = meter.voltage
    source.source_current = -current
    v_minus = meter.voltage
    source.disable_source()
    return (v_plus + v_minus) / 2 - meter.voltage


def test_pulse_above_threshold_reverses_the_read_signal_and_below_does_not(station):
    width = 1e-3
    params = preset("py-nio")
    i_c = critical_current(params, width)
    assert i_c == pytest.approx(27e-3, rel=0.1)
    # which polarity reverses the +1 state comes from the model (xi_DL < 0 for py-nio)
    polarity = 1.0 if Device(params).switching_probability(1.3 * i_c, width) > 0.5 else -1.0
    assert polarity == 1.0

    bench, source, meter, library = station(seed=3)
    pulser = Keithley6221Pulse(SOURCE, visa_library=library)
    pulser.source_compliance = 20  # 1.3 I_c into ~350 ohm needs about 12.4 V
    assert bench.device.mean_state == 1.0
    before = read_signal(source, meter)
    assert abs(before) > 1e-6

    for amplitude in (0.5 * polarity * i_c, -1.3 * polarity * i_c):  # too weak, wrong sign
        pulser.pulse(amplitude, width)
        assert read_signal(source, meter) == pytest.approx(before, abs=5e-8)
    assert bench.device.mean_state == 1.0

    pulser.pulse(1.3 * polarity * i_c, width)
    reading = pulser.read_pulse_buffer()
    assert bench.pulse_log[-1].amplitude == pytest.approx(1.3 * i_c, rel=1e-5)
    assert reading[0] == pytest.approx(1.3 * i_c * bench.device.resistances(1.3 * i_c).xx,
                                       rel=1e-3)  # V at the pulse minus V at the low level
    assert bench.device.mean_state == -1.0
    assert read_signal(source, meter) == pytest.approx(-before, rel=0.05)

    pulser.pulse(-1.3 * polarity * i_c, width)  # and back
    assert read_signal(source, meter) == pytest.approx(before, rel=0.05)
    assert pulser.check_errors() == []


def test_pulse_train_advances_the_clock_by_the_interval(station):
    bench, _, _, library = station()
    pulser = Keithley6221Pulse(SOURCE, visa_library=library)
    pulser.pulse_interval = 60
    pulser.pulse_low = 0.0
    pulser.pulse_high = 1e-3
    pulser.pulse_width = 1e-3
    pulser.pulse_count = 5
    pulser.arm_pulse()
    assert pulser.pulse_armed is True
    start = bench.now()
    pulser.trigger_pulses()
    assert bench.now() - start == pytest.approx(5 * 60 / 60)
    readings = pulser.read_pulse_buffer()
    assert len(readings) == 5 == len(bench.pulse_log) == pulser.pulse_readings_stored
    r_xx = bench.device.resistances(1e-3).xx
    assert np.allclose(readings, 1e-3 * r_xx, rtol=1e-4)  # offsets cancel in V_high - V_low
    pulser.abort_pulses()
    assert pulser.pulse_armed is False
    assert all(math.isfinite(r) for r in readings)
