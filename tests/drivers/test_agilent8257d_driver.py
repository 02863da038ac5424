"""Agilent8257DRF: the command transcripts of what it adds to pymeasure's Agilent8257D."""

import pytest
from pymeasure.test import expected_protocol

from labspin.drivers.agilent8257d import Agilent8257DRF, rf_off

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


def test_frequency_and_level_round_trip_with_their_units():
    with expected_protocol(Agilent8257DRF, [
        (":FREQ 8.000000e+09 Hz;", None), (":FREQ?;", "+8.00000000000E+09"),
        (":POW 10 dBm;", None), (":POW?;", "+1.00000000000E+01"),
    ]) as gen:
        gen.frequency = 8e9
        assert gen.frequency == pytest.approx(8e9)
        gen.power = 10
        assert gen.power == pytest.approx(10.0)


@pytest.mark.parametrize("name, value", [
    ("frequency", 21e9), ("frequency", 100e3), ("power", 26.0), ("power", -21.0),
    ("output_enabled", "maybe"),
])
def test_settings_beyond_the_instrument_are_refused_before_anything_is_sent(name, value):
    with expected_protocol(Agilent8257DRF, []) as gen, pytest.raises(ValueError):
        setattr(gen, name, value)


def test_installed_options_widen_the_ranges():
    with expected_protocol(Agilent8257DRF, [(":FREQ 3.000000e+10 Hz;", None)],
                           max_frequency=40e9) as gen:
        gen.frequency = 30e9
        with pytest.raises(ValueError):
            gen.frequency = 41e9


def test_states_are_controls_that_read_back():
    with expected_protocol(Agilent8257DRF, [
        (":OUTP 1", None), (":OUTP?", "1"),
        (":OUTP:MOD 1", None), (":OUTP:MOD?", "1"),
        (":SOUR:AM:STAT 1", None), (":SOUR:AM:STAT?", "0"),
        (":SOUR:LFO:STAT 0", None), (":SOUR:LFO:STAT?", "0"),
    ]) as gen:
        gen.output_enabled = True
        assert gen.output_enabled is True
        gen.modulation_enabled = True
        assert gen.modulation_enabled is True
        gen.amplitude_modulation_enabled = True
        assert gen.amplitude_modulation_enabled is False
        gen.low_freq_out_enabled = False
        assert gen.low_freq_out_enabled is False


def test_shutdown_turns_the_rf_off_before_the_modulation():
    with expected_protocol(Agilent8257DRF, [
        (":OUTP 0", None), (":OUTP:MOD 0", None), (":SOUR:LFO:STAT 0", None),
    ]) as gen:
        gen.shutdown()
        assert gen.isShutdown


def test_rf_off_tries_every_step_and_says_which_failed():
    with expected_protocol(Agilent8257DRF, [
        (":OUTP:MOD 0", None), (":SOUR:LFO:STAT 0", None),
    ]) as gen:
        write = gen.write

        def flaky(command, **kwargs):
            if command == ":OUTP 0":
                raise OSError("GPIB bus error")
            write(command, **kwargs)

        gen.write = flaky
        failures = gen.rf_off()
    assert len(failures) == 1 and failures[0].startswith("RF output off")


def test_rf_off_of_pymeasures_driver_sends_output_off_first():
    from pymeasure.instruments.agilent import Agilent8257D

    with expected_protocol(Agilent8257D, [
        (":OUTPUT OFF;", None), (":OUTPUT:MOD OFF;", None), (":lfo:stat off;", None),
    ]) as gen:
        rf_off(gen)
