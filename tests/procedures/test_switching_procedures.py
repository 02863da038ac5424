"""SwitchingLoop and PulseSequence run headless on the simulated station.

Known answers come from the model itself (``critical_current``, ``Device.mean_state``) and
from the fit in ``labspin.analysis.models.switching``. The bench runs on virtual time;
seeds are fixed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models.loops import sweep_branches
from labspin.analysis.models.switching import fit_switching_loop
from labspin.physics.predictions import critical_current
from labspin.procedures.apparatus import ApparatusError
from labspin.procedures.switching import (
    PulseSequence,
    SequenceError,
    SwitchingLoop,
    loop_amplitudes,
    parse_pulse_sequence,
    parse_pulse_widths,
)
from labspin.safety import LimitError
from labspin.station import Station, default_sim_config

from .harness import assert_bench_safe, run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice






def crossings(current, signal, direction: int) -> list[float]:
    """Currents where ``signal`` changes sign between successive points whose current
    moves in ``direction`` (+1 rising, -1 falling), linearly interpolated."""
    out = []
    for k in range(1, len(current)):
        i0, i1, s0, s1 = current[k - 1], current[k], signal[k - 1], signal[k]
        if np.sign(i1 - i0) == direction and s0 * s1 < 0:
            out.append(i0 + (i1 - i0) * s0 / (s0 - s1))
    return out




def test_sequence_parser_reads_units_signs_and_repeats():
    pulses = parse_pulse_sequence("+30 mA x 1 ms *5, -30mA x 1ms*2, 250 uA × 20 ns, "
                                  "-1.5e-2 A x 50 us, 2 µA x 3 µs *1, 0.5 A x 2 s")
    assert len(pulses) == 11
    assert [p.amplitude for p in pulses[:7]] == [0.03] * 5 + [-0.03] * 2
    assert all(p.width == 1e-3 for p in pulses[:7])
    assert (pulses[7].amplitude, pulses[7].width) == (250e-6, 20e-9)
    # decimal scaling: 50 us is exactly 5e-05 s, the 6221's shortest pulse, not just below
    assert (pulses[8].amplitude, pulses[8].width) == (-0.015, 5e-05)
    assert (pulses[9].amplitude, pulses[9].width) == (2e-6, 3e-6)
    assert (pulses[10].amplitude, pulses[10].width) == (0.5, 2.0)


@pytest.mark.parametrize("text, item", [
    ("+30 mA x 1 ms, +30 MA x 1 ms", "item 2 '+30 MA x 1 ms'"),  # units are case-sensitive
    ("+30 mA x 1 ms, 30 mA 1 ms", "item 2 '30 mA 1 ms'"),
    ("+30 mA x 1 ms *0", "repeats 0 times"),
    ("+30 mA x 1 ms *2.5", "item 1"),
    ("+30 mA x 1 ms, , -30 mA x 1 ms", "item 2 is empty"),
    ("+30 mA x 1 ms,", "item 2 is empty"),
    ("0 mA x 1 ms", "has no current"),
    ("+30 mA x 0 ms", "zero width"),
    ("__import__('os').system('ls') x 1 ms", "item 1"),
    ("3e-2 x 1 ms", "item 1"),
    ("30 mA x 1 h", "item 1"),
    ("", "empty"),
])
def test_sequence_parser_refuses_bad_items_by_name(text, item):
    with pytest.raises(SequenceError) as info:
        parse_pulse_sequence(text)
    assert item in str(info.value)


def test_width_list_parser():
    assert parse_pulse_widths("100 us, 1 ms, 10 ms") == [1e-4, 1e-3, 1e-2]
    assert parse_pulse_widths("20ns") == [2e-8]
    for bad in ("100 us; 1 ms", "1 h", "", "100, 1 ms", "-1 ms"):
        with pytest.raises(SequenceError):
            parse_pulse_widths(bad)


def test_loop_amplitudes_sweep_both_polarities_with_branches():
    points = loop_amplitudes(0.03, 3, 2)
    assert len(points) == 4 * 3 * 2 + 1
    first = [a for a, _, loop in points if loop == 1]
    assert first == pytest.approx([0, .01, .02, .03, .02, .01, 0, -.01, -.02, -.03,
                                   -.02, -.01, 0])
    assert [b for _, b, loop in points if loop == 1] == [1] * 3 + [-1] * 6 + [1] * 4
    assert max(a for a, _, _ in points) == 0.03  # the endpoint is exact
    # the same branches as the analysis infers from the sweep
    assert [b for _, b, _ in points] == list(sweep_branches([a for a, _, _ in points]))


# -- SwitchingLoop physics -------------------------------------------------------------

def test_switching_loop_py_nio_usmr_readout_is_hysteretic_at_the_model_critical_current(
        open_station):
    station = open_station("py-nio")
    width = 1e-3
    truth: list[float] = []
    df = run(SwitchingLoop(max_pulse_current=0.036, pulse_steps=18, pulse_width=width,
                           readout="R_xx 2w", settle_time=0.0), station, truth=truth)
    assert len(df) == 73
    current = df["Pulse current (A)"].to_numpy()
    signal = df["R_xx 2w (ohm)"].to_numpy()
    state = np.array(truth)
    assert df["R_xy (ohm)"].isna().all()
    # the readout follows the magnetisation (USMR odd in m_y) ...
    settled = np.abs(state) > 0.5
    assert np.all(np.sign(signal[settled]) == np.sign(state[settled]))
    # ... and is hysteretic: at zero current it remembers the last pulse
    zero = np.flatnonzero(current == 0)
    assert signal[zero[0]] > 0 > signal[zero[1]] and signal[zero[2]] > 0
    # one flip per polarity, near the model's critical current
    i_c_model = critical_current(station.bench.device.params, width)
    up, down = crossings(current, signal, +1), crossings(current, signal, -1)
    assert len(up) == 1 and len(down) == 1
    assert up[0] == pytest.approx(i_c_model, rel=0.15)  # 27.3 mA in the model
    assert down[0] == pytest.approx(-i_c_model, rel=0.15)
    # the analysis fit of the same loop agrees
    fit = fit_switching_loop(current, signal, df["Branch"].to_numpy(), width=5e-6,
                             thickness=5e-9)
    assert fit["i_c_plus"] == pytest.approx(i_c_model, rel=0.15)
    assert fit["i_c_minus"] == pytest.approx(-i_c_model, rel=0.15)
    # energies are I^2 R t with the station's two-terminal resistance
    r_2t = station.config.sample.two_terminal_resistance
    assert df["Pulse energy (J)"].to_numpy() == pytest.approx(current**2 * r_2t * width)
    assert df["Pulse current density (A/m^2)"].to_numpy() == pytest.approx(
        current / station.config.sample.current_area)
    assert_bench_safe(station)


def _after_extremes(df, truth, i_max):
    """Mean state and readout after the +I_max and -I_max pulses of the last loop."""
    last = df["Loop"] == df["Loop"].max()
    state = np.array(truth)
    plus = (df["Pulse current (A)"] == i_max) & last
    minus = (df["Pulse current (A)"] == -i_max) & last
    return (state[plus.to_numpy()][0], state[minus.to_numpy()][0],
            df.loc[plus, "R_xx 2w (ohm)"].iloc[0], df.loc[minus, "R_xx 2w (ohm)"].iloc[0])


def test_stack_order_sets_the_sense_of_switching(open_station):
    """py-nio (xi_DL < 0, magnon sink on top) and pt-py (xi_DL > 0, Pt underneath) switch
    the magnetisation with opposite polarities. The 2w readout of both loops runs the same
    way round: the USMR changes sign with the stack too (state +1 reads positive on
    py-nio, negative on pt-py), so the sense must be read from the magnetisation."""
    py_nio = open_station("py-nio")
    truth_nio: list[float] = []
    df_nio = run(SwitchingLoop(max_pulse_current=0.036, pulse_steps=3, loops=2,
                               readout="R_xx 2w", settle_time=0.0), py_nio, truth=truth_nio)
    pt_py = open_station("pt-py")
    truth_pt: list[float] = []
    # pt-py switches near 58 mA at 1 ms (the station allows up to 100 mA)
    df_pt = run(SwitchingLoop(max_pulse_current=0.06, pulse_steps=2, loops=2,
                              readout="R_xx 2w", settle_time=0.0), pt_py, truth=truth_pt)
    m_plus_nio, m_minus_nio, r_plus_nio, r_minus_nio = _after_extremes(df_nio, truth_nio, .036)
    m_plus_pt, m_minus_pt, r_plus_pt, r_minus_pt = _after_extremes(df_pt, truth_pt, .06)
    assert m_plus_nio == -1 and m_minus_nio == 1  # positive current sets -y on py-nio
    assert m_plus_pt > 0.5 and m_minus_pt < -0.5  # ... and +y on pt-py
    assert r_plus_nio < 0 < r_minus_nio and r_plus_pt < 0 < r_minus_pt
    assert py_nio.bench.device.params.name == "py-nio"


@pytest.mark.parametrize("bias, sense", [(0.02, -1), (-0.02, 1)])
def test_perpendicular_magnet_switches_with_bias_and_the_bias_sets_the_sense(
        open_station, bias, sense):
    station = open_station("cofeb-nio-pma")
    truth: list[float] = []
    df = run(SwitchingLoop(max_pulse_current=0.008, pulse_steps=8, loops=2,
                           readout="R_xy dc", bias_field=bias, bias_axis="x",
                           settle_time=0.0), station, truth=truth)
    current = df["Pulse current (A)"].to_numpy()
    hall = df["R_xy (ohm)"].to_numpy()
    state = np.array(truth)
    assert df["R_xx 2w (ohm)"].isna().all()
    # +I_max sets m_z = sense, -I_max the opposite; the anomalous Hall readout follows
    plus, minus = np.flatnonzero(current == 0.008), np.flatnonzero(current == -0.008)
    assert np.all(np.abs(state[plus] - sense) < 0.15)
    assert np.all(np.abs(state[minus] + sense) < 0.15)
    assert np.all(np.sign(hall[plus] - hall[minus]) == sense)
    contrast = abs(hall[plus[-1]] - hall[minus[-1]])
    assert contrast > 3.0  # 2 R_AHE, about 3.9 ohm
    # switching near the Lee et al. threshold with this bias (5.2 mA in the model)
    i_c = critical_current(station.bench.device.params, 1e-3, field=(bias, 0.0, 0.0))
    level = 0.5 * (hall.max() + hall.min())
    flips = np.array(crossings(current, hall - level, +1)
                     + crossings(current, hall - level, -1))
    assert np.any(flips > 0) and np.any(flips < 0)  # both polarities switch
    assert np.abs(flips) == pytest.approx(i_c, rel=0.3)
    assert_bench_safe(station)


def test_perpendicular_magnet_does_not_switch_without_bias(open_station):
    station = open_station("cofeb-nio-pma")
    truth: list[float] = []
    df = run(SwitchingLoop(max_pulse_current=0.008, pulse_steps=4, readout="R_xy dc",
                           bias_field=0.0, settle_time=0.0), station, truth=truth)
    hall = df["R_xy (ohm)"].to_numpy()
    assert np.ptp(hall) < 0.05  # against a contrast of about 3.9 ohm
    assert set(truth) == {1.0}
    assert math.isinf(critical_current(station.bench.device.params, 1e-3))


# -- PulseSequence ---------------------------------------------------------------------

def test_pulse_sequence_switches_back_and_forth_and_ignores_repeats_and_small_pulses(
        open_station):
    station = open_station("py-nio")
    truth: list[float] = []
    sequence = ("+32 mA x 1 ms *3, -32 mA x 1 ms *3, +32 mA x 1 ms *2, "
                "-10 mA x 1 ms *3, +10 mA x 1 ms *2")
    df = run(PulseSequence(sequence=sequence, readout="R_xx 2w", settle_time=0.01),
             station, truth=truth)
    assert list(df["Pulse index"]) == list(range(14))
    assert df["Pulse current (A)"].iloc[0] == 0  # row 0: the state before any pulse
    state = np.array(truth)
    signal = df["R_xx 2w (ohm)"].to_numpy()
    expected = [1, -1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1]
    assert list(state) == expected  # the device's truth, pulse by pulse
    assert np.all(np.sign(signal) == expected)  # the readout sees it
    contrast = abs(signal[0] - signal[1])
    for k in (2, 3, 5, 6, 8, 9, 10, 11, 12, 13):  # repeats and sub-threshold pulses
        assert abs(signal[k] - signal[k - 1]) < 0.05 * contrast
    r_2t = station.config.sample.two_terminal_resistance
    assert df["Pulse energy (J)"].iloc[1] == pytest.approx(0.032**2 * r_2t * 1e-3)
    assert df["Pulse width (s)"].iloc[1:].eq(1e-3).all()
    assert len(station.bench.pulse_log) == 13
    assert_bench_safe(station)


# -- limits, abort, estimates ----------------------------------------------------------

@pytest.mark.parametrize("make, limit", [
    (lambda: SwitchingLoop(max_pulse_current=0.07), "limits.max_current"),
    (lambda: SwitchingLoop(max_pulse_current=0.045, pulse_width=5e-3), "max_pulse_energy"),
    (lambda: SwitchingLoop(max_pulse_current=0.01, pulse_width=11e-3), "max_pulse_width"),
    # the first pulse is fine, the second is not: nothing at all is sent
    (lambda: PulseSequence(sequence="+30 mA x 1 ms, +70 mA x 1 ms"), "limits.max_current"),
    (lambda: SwitchingLoop(max_pulse_current=0.01, bias_field=0.6), "max_field.x"),
])
def test_limits_are_refused_in_startup_before_anything_is_sent(open_station, make, limit):
    station = open_station("py-nio")
    proc = make()
    with pytest.raises(LimitError, match=limit.replace(".", r"\.")):
        run(proc, station)
    assert station.bench.pulse_log == []
    assert_bench_safe(station)


def test_pulse_generator_reach_is_refused_with_a_clear_message(open_station):
    station = open_station("py-nio")
    proc = SwitchingLoop(max_pulse_current=0.04, pulse_width=20e-9)
    with pytest.raises(LimitError, match=r"pulse generator reaches at most 25\.0 mA") as info:
        run(proc, station)
    assert "40.0 mA" in str(info.value)
    assert station.bench.pulse_log == []


def test_source_compliance_is_refused_rather_than_cut_short(open_station):
    station = open_station("cofeb-nio-pma")  # 8 kohm two-terminal
    proc = SwitchingLoop(max_pulse_current=0.0135, pulse_width=100e-6, readout="R_xy dc")
    with pytest.raises(LimitError, match="105 V compliance"):
        run(proc, station)
    assert station.bench.pulse_log == []


def _station_without_two_terminal_resistance() -> Station:
    config = default_sim_config("py-nio", seed=1)
    sample = config.sample.model_copy(update={"two_terminal_resistance": None})
    station = Station(config.model_copy(update={"sample": sample}), sim=True, seed=1)
    station.connect()
    return station


def test_without_a_station_resistance_the_bar_is_measured_and_pulses_checked_again():
    station = _station_without_two_terminal_resistance()
    try:
        # 45 mA x 5 ms passes the checks that need no resistance; with the measured
        # estimate (twice R_xx, about 400 ohm) it is 4 mJ and refused before any pulse
        with pytest.raises(LimitError, match="max_pulse_energy"):
            run(PulseSequence(sequence="+45 mA x 5 ms"), station)
        assert station.bench.pulse_log == []
        proc = PulseSequence(sequence="+30 mA x 1 ms", readout="R_xx 2w")
        df = run(proc, station)
        r_xx = station.bench.device.resistances(0.0).xx
        assert proc.resistance_used == pytest.approx(2 * r_xx, rel=0.01)
        assert df["Pulse energy (J)"].iloc[1] == pytest.approx(0.03**2 * 2 * r_xx * 1e-3,
                                                               rel=0.01)
    finally:
        station.close()


def test_a_pulse_cut_short_by_the_heated_bar_stops_the_run(open_station):
    """13 mA x 100 us needs 105 V at the cold bar's 8 kohm, but the pulse heats the bar to
    near 680 K and only about 12.1 mA flows: the 6221 flags compliance, the run stops."""
    station = open_station("cofeb-nio-pma")
    proc = PulseSequence(sequence="+10 mA x 100 us, +13 mA x 100 us", readout="R_xy dc")
    with pytest.raises(ApparatusError, match=r"compliance during the \+13\.00 mA"):
        run(proc, station)
    log = station.bench.pulse_log
    assert [round(p.amplitude, 4) for p in log] == [0.01, 0.0121]
    assert_bench_safe(station)


@pytest.mark.parametrize("make", [
    lambda: SwitchingLoop(max_pulse_current=0.036, pulse_steps=18, readout="R_xx 2w",
                          bias_field=0.01, bias_axis="x"),
    lambda: PulseSequence(sequence="+32 mA x 1 ms *10", readout="R_xy delta",
                          bias_field=-0.01, bias_axis="x"),
])
def test_stop_request_ends_the_run_early_and_leaves_the_bench_safe(open_station, make):
    station = open_station("py-nio")
    df = run(make(), station, stop_after=4)
    assert len(df) == 4
    assert_bench_safe(station)


def test_duration_estimates_grow_with_the_number_of_points():
    small = SwitchingLoop(pulse_steps=10)
    more_steps = SwitchingLoop(pulse_steps=20)
    more_loops = SwitchingLoop(pulse_steps=10, loops=3)
    assert small.planned_points() == 41
    assert small.estimated_duration() < more_steps.estimated_duration()
    assert small.estimated_duration() < more_loops.estimated_duration()
    short = PulseSequence(sequence="+30 mA x 1 ms *2")
    long = PulseSequence(sequence="+30 mA x 1 ms *2, -30 mA x 1 ms *20")
    assert (short.planned_points(), long.planned_points()) == (3, 23)
    assert short.estimated_duration() < long.estimated_duration()
    assert dict(short.get_estimates())["Points"] == "3"
    broken = dict(PulseSequence(sequence="+30 mA x").get_estimates())
    assert broken["Duration"].startswith("?") and "item 1" in broken["Duration"]
