"""Injected faults reach the caller as the real failures would."""

import pytest
from pymeasure.instruments.keithley import Keithley2182
from pyvisa.errors import VisaIOError


def test_instrument_that_stops_answering_times_out(voltmeter_bench):
    bench, library = voltmeter_bench
    k = Keithley2182("GPIB0::7::INSTR", visa_library=library)
    bench.inject_fault("voltmeter", timeout_after=2)
    k.ask("*IDN?")
    k.ask("*IDN?")
    with pytest.raises(VisaIOError, match="TMO"):
        k.ask("*IDN?")


def test_dropped_connection(voltmeter_bench):
    bench, library = voltmeter_bench
    k = Keithley2182("GPIB0::7::INSTR", visa_library=library)
    bench.inject_fault("voltmeter", drop_after=1)
    k.ask("*IDN?")
    with pytest.raises(VisaIOError, match="CONN_LOST"):
        k.ask("*IDN?")


def test_garbage_replies_are_not_numbers(voltmeter_bench):
    # pymeasure hands back the raw text when a reply does not parse; procedures must
    # check that a reading is a number (labspin.procedures does)
    bench, library = voltmeter_bench
    k = Keithley2182("GPIB0::7::INSTR", visa_library=library)
    bench.inject_fault("voltmeter", garbage_after=0)
    reading = k.voltage
    assert isinstance(reading, str)
    with pytest.raises(ValueError):
        float(reading)


def test_faults_are_reproducible_with_the_seed(voltmeter_bench):
    bench, _ = voltmeter_bench
    model = next(iter(bench.instruments.values()))
    bench.inject_fault("voltmeter", garbage_probability=0.5)
    state = bench.faults_for("voltmeter")
    first = [state.filter_reply("1.0") for _ in range(20)]
    bench.inject_fault("voltmeter", garbage_probability=0.5)
    state = bench.faults_for("voltmeter")
    assert [state.filter_reply("1.0") for _ in range(20)] == first
    assert model.name == "voltmeter"


def test_unknown_instrument_name_is_refused(voltmeter_bench):
    bench, _ = voltmeter_bench
    with pytest.raises(KeyError, match="lockin"):
        bench.inject_fault("lockin", timeout_after=1)
