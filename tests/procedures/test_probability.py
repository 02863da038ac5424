"""SwitchingProbability run headless on the simulated py-nio station.

The model's answer is ``Device.switching_probability``: the expected share of the bar's
grains that one pulse reverses. The bar reverses grain by grain, so each trial measures
that share ("Switched fraction"), and "Switched" (the readout crossed the midpoint, i.e.
more than half reversed) is a steeper majority vote with the same 50 % point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labspin.analysis.models.probability import fit_switching_probability
from labspin.procedures.base import ProcedureError
from labspin.procedures.switching import SwitchingProbability
from labspin.safety import LimitError
from labspin.station import Station

from .harness import run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pymeasure's SCPI notice

WIDTHS = (50e-6, 2e-3)
TRIALS = 8






def model_probability(device, amplitude: float, width: float, state: int) -> float:
    """Device.switching_probability from the reset state (grain average)."""
    device.reset(state)
    return device.switching_probability(amplitude, width)


def model_i50(device, width: float, state: int) -> float:
    lo, hi = 0.015, 0.045
    while hi - lo > 1e-6:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if model_probability(device, mid, width, state) < 0.5 else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.fixture(scope="module")
def measured():
    """One run: 7 amplitudes x 2 widths x 8 trials on py-nio (R_xx 2w readout)."""
    station = Station.open(sim=True, preset="py-nio", seed=3)
    try:
        proc = SwitchingProbability(amplitude_min=0.023, amplitude_max=0.029,
                                    amplitude_steps=7, pulse_widths="50 us, 2 ms",
                                    trials=TRIALS, readout="R_xx 2w", settle_time=0.0,
                                    reset_amplitude=0.04, reset_width=1e-3)
        df = run(proc, station)
        device = station.bench.device
        # py-nio: xi_DL < 0, so negative resets set +y and positive pulses reverse it
        model = {(w, a): model_probability(device, a, w, +1)
                 for w in WIDTHS for a in np.unique(df["Pulse current (A)"])}
        i50 = {w: model_i50(device, w, +1) for w in WIDTHS}
        yield proc, df, model, i50, station
    finally:
        station.close()


def test_rows_columns_and_calibration(measured):
    proc, df, _, _, station = measured
    assert len(df) == proc.planned_points() == 2 * 7 * TRIALS
    assert list(df.columns) == SwitchingProbability.DATA_COLUMNS
    assert df["Trial"].min() == 1 and df["Trial"].max() == TRIALS
    assert df["R_xy before (ohm)"].isna().all() and df["R_xy after (ohm)"].isna().all()
    assert df["Switched"].isin([0.0, 1.0]).all()  # every reset worked
    # reset level (+y) reads positive, the switched level negative; threshold between
    assert proc.reset_level > proc.threshold > proc.switched_level
    assert proc.threshold == pytest.approx(0.5 * (proc.reset_level + proc.switched_level))
    assert (df["R_xx 2w before (ohm)"] > proc.threshold).all()
    # reset pulse + test pulse per trial, plus the two calibration resets
    assert len(station.bench.pulse_log) == 2 * len(df) + 2


def test_probability_rises_from_zero_to_one_and_moves_down_with_longer_pulses(measured):
    _, df, _, i50_model, _ = measured
    p = df.groupby(["Pulse width (s)", "Pulse current (A)"])["Switched"].mean()
    i50_measured = {}
    for width in WIDTHS:
        curve = p.loc[width]
        assert curve.iloc[0] == 0 and curve.iloc[-1] == 1
        assert np.all(np.diff(curve.to_numpy()) >= -0.5)  # rising, within noise
        # the majority vote crosses 1/2 where the grain average does
        i50_measured[width] = float(np.interp(0.5, curve.to_numpy()
                                              + 1e-9 * np.arange(curve.size), curve.index))
        assert i50_measured[width] == pytest.approx(i50_model[width], abs=0.7e-3)
    assert i50_measured[2e-3] < i50_measured[50e-6] - 1e-3  # model: 25.1 vs 27.0 mA
    assert i50_model[2e-3] < i50_model[50e-6]


def test_switched_fraction_agrees_with_the_model_within_binomial_error(measured):
    _, df, model, _, station = measured
    grains = station.bench.device.params.kinetics.grains
    fraction = df.groupby(["Pulse width (s)", "Pulse current (A)"])["Switched fraction"].mean()
    for key, value in fraction.items():
        p = model[key]
        # binomial over trials x grains (the grains' spread only narrows it), plus the
        # read noise of the 2w level (about 0.5 % of the contrast per trial)
        sigma = math.sqrt(p * (1 - p) / (TRIALS * grains)) + 0.005
        assert abs(value - p) < 3 * sigma, (key, value, p)


def test_probability_fit_recovers_the_model_i50(measured):
    _, df, _, i50_model, station = measured
    grains = station.bench.device.params.kinetics.grains
    for width in WIDTHS:
        curve = df[df["Pulse width (s)"] == width].groupby("Pulse current (A)")[
            "Switched fraction"].mean().clip(0, 1)
        fit = fit_switching_probability(curve.index.to_numpy(), curve.to_numpy(),
                                        pulse_width=width, trials=TRIALS * grains)
        assert fit["i_50"] == pytest.approx(i50_model[width], rel=0.02)
        assert abs(fit["i_50"] - i50_model[width]) < 4 * fit["i_50_stderr"] + 2e-4


def test_mixed_polarities_are_refused():
    proc = SwitchingProbability(amplitude_min=-0.02, amplitude_max=0.02)
    with pytest.raises(ProcedureError, match="same sign"):
        proc.planned_points()


def test_reset_pulse_beyond_the_limits_is_refused_before_anything_is_sent(open_station):
    station = open_station("py-nio")
    proc = SwitchingProbability(reset_amplitude=0.05, reset_width=5e-3)
    with pytest.raises(LimitError, match="max_pulse_energy"):
        run(proc, station)
    assert station.bench.pulse_log == []


def test_reset_that_does_not_switch_is_reported(open_station):
    station = open_station("py-nio")
    proc = SwitchingProbability(amplitude_min=0.01, amplitude_max=0.012, amplitude_steps=2,
                                reset_amplitude=0.012, trials=2, readout="R_xx 2w")
    with pytest.raises(ProcedureError, match="do not switch the bar"):
        run(proc, station)
    assert station.bench.ac_source() is None


def test_stop_request_ends_trials_early_and_leaves_the_bench_safe(open_station):
    station = open_station("py-nio")
    proc = SwitchingProbability(trials=20, pulse_widths="1 ms", amplitude_steps=3,
                                bias_field=0.005, bias_axis="x", readout="R_xx 2w")
    df = run(proc, station, stop_after=3)
    assert len(df) == 3
    bench = station.bench
    assert all(coil.current == 0 for coil in bench.coils.values())
    assert bench.dc_current() == 0 and bench.ac_source() is None


def test_duration_grows_with_trials_widths_and_amplitudes():
    base = SwitchingProbability(trials=10, amplitude_steps=5, pulse_widths="1 ms")
    assert base.planned_points() == 50
    for bigger in (SwitchingProbability(trials=20, amplitude_steps=5, pulse_widths="1 ms"),
                   SwitchingProbability(trials=10, amplitude_steps=9, pulse_widths="1 ms"),
                   SwitchingProbability(trials=10, amplitude_steps=5,
                                        pulse_widths="100 us, 1 ms")):
        assert bigger.planned_points() > base.planned_points()
        assert bigger.estimated_duration() > base.estimated_duration()
