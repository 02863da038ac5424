"""Keithley6221Pulse sends the 6221's Pulse Delta commands (manual section 5, Table 5-5)."""

import math

import pytest
from pymeasure.test import expected_protocol

from labspin.drivers.keithley6221 import Keithley6221Pulse


@pytest.mark.parametrize("name, command, value, reply", [
    ("pulse_high", ":SOUR:PDEL:HIGH", 0.035, "3.500000E-02"),
    ("pulse_high", ":SOUR:PDEL:HIGH", -0.02, "-2.000000E-02"),
    ("pulse_low", ":SOUR:PDEL:LOW", -1e-3, "-1.000000E-03"),
    ("pulse_width", ":SOUR:PDEL:WIDT", 0.001, "1.000000E-03"),
    ("pulse_source_delay", ":SOUR:PDEL:SDEL", 0.0001, "1.000000E-04"),
])
def test_current_and_time_settings_round_trip(name, command, value, reply):
    with expected_protocol(Keithley6221Pulse,
                           [(f"{command} {value:g}", None), (f"{command}?", reply)]) as inst:
        setattr(inst, name, value)
        assert getattr(inst, name) == pytest.approx(value)


@pytest.mark.parametrize("name, value", [
    ("pulse_high", 0.2), ("pulse_low", -0.106), ("pulse_width", 40e-6),
    ("pulse_width", 13e-3), ("pulse_source_delay", 12e-3), ("pulse_interval", 4),
    ("pulse_count", 0), ("pulse_count", "forever"), ("pulse_low_measurements", 3),
])
def test_out_of_range_settings_are_refused_before_anything_is_sent(name, value):
    with expected_protocol(Keithley6221Pulse, []) as inst, pytest.raises(ValueError):
        setattr(inst, name, value)


def test_pulse_count_sends_integers_and_infinity():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:COUN 10", None), (":SOUR:PDEL:COUN?", "10"),
        (":SOUR:PDEL:COUN INF", None), (":SOUR:PDEL:COUN?", "+9.900000E+37"),
    ]) as inst:
        inst.pulse_count = 10
        assert inst.pulse_count == 10
        inst.pulse_count = "INF"
        assert inst.pulse_count == math.inf


def test_pulse_interval_is_in_line_cycles():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:INT 60", None), (":SOUR:PDEL:INT?", "60"),
    ]) as inst:
        inst.pulse_interval = 60
        assert inst.pulse_interval == 60


def test_pulse_ranging_maps_best_and_fixed():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:RANG BEST", None), (":SOUR:PDEL:RANG FIX", None),
        (":SOUR:PDEL:RANG?", "FIX"),
    ]) as inst:
        inst.pulse_range_best = True
        inst.pulse_range_best = False
        assert inst.pulse_range_best is False


def test_pulse_sweep_and_low_measurements():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:SWE 0", None), (":SOUR:PDEL:SWE?", "0"),
        (":SOUR:PDEL:LME 1", None), (":SOUR:PDEL:LME?", "1"),
    ]) as inst:
        inst.pulse_sweep_enabled = False
        assert inst.pulse_sweep_enabled is False
        inst.pulse_low_measurements = 1
        assert inst.pulse_low_measurements == 1


def test_status_queries_read_armed_voltmeter_and_buffer():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:ARM?", "1"), (":SOUR:PDEL:NVPR?", "0"), (":TRAC:POIN:ACT?", "3"),
    ]) as inst:
        assert inst.pulse_armed is True
        assert inst.pulse_voltmeter_connected is False
        assert inst.pulse_readings_stored == 3


def test_arm_trigger_and_abort_send_one_command_each():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:ARM", None), (":INIT:IMM", None), (":SOUR:SWE:ABOR", None),
    ]) as inst:
        inst.arm_pulse()
        inst.trigger_pulses()
        inst.abort_pulses()


def test_single_pulse_configures_count_one_then_arms_and_fires():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:LOW 0", None), (":SOUR:PDEL:HIGH 0.035", None),
        (":SOUR:PDEL:WIDT 0.001", None), (":SOUR:PDEL:COUN 1", None),
        (":SOUR:PDEL:ARM", None), (":INIT:IMM", None),
    ]) as inst:
        inst.pulse(0.035, 1e-3)


def test_single_pulse_from_a_nonzero_low_level():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:LOW -0.001", None), (":SOUR:PDEL:HIGH -0.03", None),
        (":SOUR:PDEL:WIDT 5e-05", None), (":SOUR:PDEL:COUN 1", None),
        (":SOUR:PDEL:ARM", None), (":INIT:IMM", None),
    ]) as inst:
        inst.pulse(-0.03, 50e-6, low=-1e-3)


def test_single_pulse_with_a_bad_width_sends_nothing_that_fires():
    with expected_protocol(Keithley6221Pulse, [
        (":SOUR:PDEL:LOW 0", None), (":SOUR:PDEL:HIGH 0.01", None),
    ]) as inst, pytest.raises(ValueError):
        inst.pulse(0.01, 1.0)


def test_read_pulse_buffer_selects_readings_and_returns_floats():
    with expected_protocol(Keithley6221Pulse, [
        (":FORM:DATA ASC;:FORM:ELEM READ", None),
        (":TRAC:DATA?", "+9.165911E+00,-2.822297E+00"),
    ]) as inst:
        assert inst.read_pulse_buffer() == [9.165911, -2.822297]


def test_pulse_voltage_is_the_last_reading_and_nan_for_an_overflow():
    with expected_protocol(Keithley6221Pulse, [
        (":FORM:DATA ASC;:FORM:ELEM READ", None), (":TRAC:DATA?", "+7.412000E+00"),
        (":FORM:DATA ASC;:FORM:ELEM READ", None), (":TRAC:DATA?", "+9.900000E+37"),
    ]) as inst:
        assert inst.pulse_voltage() == 7.412
        assert math.isnan(inst.pulse_voltage())
