"""The device receives every pulse a run claims, from the 6221 and from the 81160A.

Read from the bench's own pulse log (what the physics model was driven with), compared
with the rows the run wrote: amplitude and width of every pulse, none missing, none extra.
"""

from __future__ import annotations

import pytest

from labspin.procedures.switching import PulseSequence, SwitchingLoop
from labspin.station import InstrumentReportedError

from .harness import assert_bench_safe, run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice


def delivered(station) -> list[tuple[float, float]]:
    return [(p.amplitude, p.width) for p in station.bench.pulse_log]


def claimed(df) -> list[tuple[float, float]]:
    pulses = df[df["Pulse current (A)"] != 0]
    return list(zip(pulses["Pulse current (A)"], pulses["Pulse width (s)"], strict=True))


def assert_same_pulses(got, wanted, rel):
    assert len(got) == len(wanted)
    for (amplitude, width), (want_amplitude, want_width) in zip(got, wanted, strict=True):
        assert amplitude == pytest.approx(want_amplitude, rel=rel)
        assert width == pytest.approx(want_width, rel=1e-9)


@pytest.mark.parametrize("sequence", [
    "+20 mA x 20 ns *2, -20 mA x 20 ns *2, +12 mA x 5 us",  # the pulse generator
    "+30 mA x 1 ms *2, -30 mA x 100 us, +25 mA x 50 us",   # the 6221's pulse-delta
])
def test_every_pulse_of_a_sequence_reaches_the_device(open_station, sequence):
    station = open_station("py-nio")
    df = run(PulseSequence(sequence=sequence, readout="R_xy dc", settle_time=0.01), station)
    # the generator's level assumes the bar's two-terminal resistance of the station file;
    # the bench's cold bar differs from it by the readings' slight heating only
    assert_same_pulses(delivered(station), claimed(df), rel=0.02)
    assert_bench_safe(station)


def test_a_short_pulse_switching_loop_delivers_each_pulse(open_station):
    station = open_station("py-nio")
    df = run(SwitchingLoop(max_pulse_current=0.02, pulse_steps=2, pulse_width=20e-9,
                           readout="R_xy dc", settle_time=0.01), station)
    assert_same_pulses(delivered(station), claimed(df), rel=0.02)
    assert len(delivered(station)) == 6  # 0, 1, 2, 1, 0, -1, -2, -1, 0 steps: zeros send none


def test_a_pending_generator_error_fails_the_run_with_the_instrument_text(open_station):
    """A voltage limit below the pulse level makes the generator refuse the amplitude:
    its error queue says so, and the run must not go on as if the pulse had been sent."""
    station = open_station("py-nio")
    pulser = station["pulser"]
    pulser.write(":VOLT1:LIM:HIGH 0.5")
    pulser.write(":VOLT1:LIM:STAT ON")
    with pytest.raises(InstrumentReportedError) as info:
        run(PulseSequence(sequence="+20 mA x 20 ns", readout="R_xy dc"), station)
    text = str(info.value)
    assert text.startswith("'pulser' (Keysight81160A at GPIB0::10::INSTR) reports -221,"
                           "\"Settings conflict\"")
    assert "+20.00 mA, 2e-08 s pulse" in text
    assert_bench_safe(station)
