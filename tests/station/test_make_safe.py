"""make_safe leaves the bench safe, confirmed, or says exactly what may still be on.

Every assertion reads the simulated bench itself (coils, the 6221 model's output, the
81160A model's channels), never what labspin believes it did.
"""

import re
from pathlib import Path

import pytest

from labspin.station import Station

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def station():
    st = Station.open(EXAMPLES / "station-sim.yaml")
    yield st
    st.close()


def generator(bench):
    return next(m for m in bench.instruments.values() if type(m).__name__ ==
                "Keysight81160AModel")


def source_model(bench):
    return next(m for m in bench.instruments.values() if type(m).__name__ ==
                "Keithley6221Model")


def start_sine(station, amplitude=1.3e-3):
    source = station["source"]
    source.waveform_function = "sine"
    source.waveform_amplitude = amplitude
    source.waveform_frequency = 1333.0
    source.waveform_offset = 0.0
    source.waveform_duration_set_infinity()
    source.waveform_arm()
    source.waveform_start()
    assert station.bench.ac_source().ac_amplitude == pytest.approx(amplitude)


def test_make_safe_switches_the_pulse_generator_output_off(station):
    pulser = station["pulser"]
    pulser.ch_1.output = True
    pulser.ch_2.output = True
    model = generator(station.bench)
    assert model.channels[1].output and model.channels[2].output
    assert station.make_safe() == []
    assert not model.channels[1].output and not model.channels[2].output


def test_a_healthy_bench_is_made_safe_and_confirmed(station):
    station.magnet("z").ramp_to(-0.01)
    start_sine(station)
    assert station.make_safe() == [] and station.hazards == {}
    bench = station.bench
    assert bench.ac_source() is None and bench.dc_current() == 0.0
    assert all(c.current == 0.0 and not c.output_enabled for c in bench.coils.values())


def test_a_magnet_that_stops_answering_is_ramped_down_by_writes_at_the_allowed_rate(station):
    """A timed-out supply still executes commands (as the bench models a GPIB instrument
    that stopped answering): the field goes to zero at the allowed rate, the output off,
    and the warning says the field could not be confirmed."""
    station.magnet("z").ramp_to(-0.01)  # -0.333 A at 30 mT/A
    station.bench.inject_fault("magnet_z", timeout_after=0)
    t0 = station.now()
    warnings = station.make_safe()
    coil = station.bench.coils["z"]
    assert coil.current == pytest.approx(0.0, abs=1e-9) and not coil.output_enabled
    assert station.now() - t0 >= 0.01 / 0.5  # 10 mT at limits.max_ramp_rate 0.5 T/s
    assert len(warnings) == 1
    assert re.search(r"magnet z \(KepcoBOP3612 at GPIB0::3::INSTR\) was ramped to zero by "
                     r"writes only from -0\.333 A \(about -10 mT\) at 0\.5 T/s", warnings[0])
    assert "could not be confirmed" in warnings[0]
    assert "it did not answer 'OUTPut?'" in warnings[0]


def test_closing_after_a_ramp_by_writes_says_it_once_not_from_zero_again(station, caplog):
    """The run's shutdown ramped a silent supply down by writes; closing the station makes
    safe again: the warning stays (the field is still unconfirmed), but nothing says it
    was "ramped to zero from 0 A", and the log names the magnet's axis."""
    station.magnet("z").ramp_to(-0.01)
    station.bench.inject_fault("magnet_z", timeout_after=0)
    first = station.make_safe()
    caplog.clear()
    with caplog.at_level("INFO"):
        second = station.make_safe()
    assert second == first  # the same line: from -0.333 A, not from 0 A
    assert "from -0.333 A" in second[0]
    logged = [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
    assert not [m for m in logged if "magnet" in m], logged
    coil = station.bench.coils["z"]
    assert coil.current == pytest.approx(0.0, abs=1e-9) and not coil.output_enabled


def test_the_log_of_a_ramp_by_writes_names_the_magnet_axis(station, caplog):
    station.magnet("x").ramp_to(0.01)
    station.bench.inject_fault("magnet_x", timeout_after=0)
    with caplog.at_level("WARNING"):
        station.make_safe()
    assert any(r.getMessage().startswith("magnet x: ramped to zero from") for r in
               caplog.records)


def test_a_magnet_that_answers_garbage_is_also_ramped_down_by_writes(station):
    station.magnet("y").ramp_to(0.004)
    station.bench.inject_fault("magnet_y", garbage_after=0)
    [warning] = station.make_safe()
    coil = station.bench.coils["y"]
    assert coil.current == pytest.approx(0.0, abs=1e-9) and not coil.output_enabled
    assert "could not be confirmed" in warning and "it answered '" in warning


def test_a_magnet_out_of_reach_is_named_with_its_current_and_field(station):
    station.magnet("z").ramp_to(-0.01)
    station.bench.inject_fault("magnet_z", drop_after=0)
    [warning] = station.make_safe()
    assert station.bench.coils["z"].current == pytest.approx(-1 / 3, rel=1e-6)  # still on
    assert warning == ("magnet z (KepcoBOP3612 at GPIB0::3::INSTR) may still carry -0.333 A "
                       "(about -10 mT) (its connection is lost): switch its output off by hand")
    assert station.hazards == {"magnet_z": warning}


def test_a_dropped_source_is_named_with_the_sine_it_may_still_drive(station):
    start_sine(station, 1.3e-3)
    station.bench.inject_fault("source", drop_after=0)
    [warning] = station.make_safe()
    assert station.bench.ac_source() is not None  # nothing reaches it: the sine runs on
    assert warning.startswith("source (Keithley6221Pulse at GPIB0::12::INSTR) may still "
                              "drive its 1.3 mA sine")
    assert warning.endswith("switch its output off by hand")


def test_a_source_that_stops_answering_is_switched_off_by_writes(station):
    start_sine(station)
    station.bench.inject_fault("source", timeout_after=0)
    [warning] = station.make_safe()
    model = source_model(station.bench)
    assert station.bench.ac_source() is None and not model.output
    assert "by writes only" in warning and "could not be confirmed" in warning


def test_a_dropped_pulse_generator_left_on_is_named(station):
    station["pulser"].ch_1.amplitude = 2.0
    station["pulser"].ch_1.output = True
    station.bench.inject_fault("pulser", drop_after=0)
    [warning] = station.make_safe()
    assert generator(station.bench).channels[1].output
    assert "pulser (Keysight81160A at GPIB0::10::INSTR) may still have output 1 on (2 V " \
           "pulses)" in warning


def test_one_dead_instrument_does_not_keep_the_others_on(station):
    station.magnet("x").ramp_to(0.02)
    station.magnet("y").ramp_to(0.02)
    start_sine(station)
    station.bench.inject_fault("magnet_x", drop_after=0)
    warnings = station.make_safe()
    assert [w.split(" (")[0] for w in warnings] == ["magnet x"]
    assert station.bench.coils["y"].current == 0.0 and station.bench.ac_source() is None


def test_timed_out_instruments_still_execute_writes_on_the_bench(station):
    """What the fallback relies on: the bench's timeout fault drops replies, not commands
    (a dropped connection refuses both)."""
    station.bench.inject_fault("source", timeout_after=0)
    station["source"].source_current = 1e-3
    station["source"].source_enabled = True
    assert station.bench.dc_current() == pytest.approx(1e-3)
