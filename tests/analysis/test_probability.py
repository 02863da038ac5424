"""Switching probability vs pulse amplitude and I_50 vs pulse width: recover the activation
law of the device (I_c0 of its Apalkov-Visscher barrier, Delta_0) from binomial counts."""

import numpy as np
import pytest

from labspin.analysis.models import DataError
from labspin.analysis.models.probability import (
    fit_pulse_width_dependence,
    fit_switching_probability,
    half_switching_current,
    switching_probability_curve,
)
from labspin.physics import Device
from labspin.physics.activation import threshold_profile
from labspin.physics.properties import properties_at

from .helpers import COVERAGE, N_SEEDS, cold, coverage

WIDTHS = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2])
TRIALS = 200


def textbook_threshold(params) -> float:
    """I_c0 of the in-plane antidamping law as the device applies it (activation.py):
    alpha (B_K + M_eff/2) / |B_DL per ampere| / <1/r>, Liu's threshold over the orbit
    average of the threshold profile (Delta = Delta_0 (1 - I/I_c0) below Liu's)."""
    props = properties_at(params, 300.0)
    b_k, m_eff = props.anisotropy_field, props.demag_field
    liu = props.damping * (b_k + m_eff / 2) / abs(props.transport.b_dl_per_ampere)
    return liu / float(np.mean(1.0 / threshold_profile(b_k / (b_k + m_eff))))


@pytest.fixture(scope="module")
def measured():
    """P(I) at five widths from the device's switching probability and 200 trials each."""
    params = cold("py-nio")
    device = Device(params, seed=0)
    i_c0 = textbook_threshold(params)
    rng = np.random.default_rng(11)
    curves = []
    for width in WIDTHS:
        i_50 = half_switching_current(width, i_c0, params.kinetics.barrier)
        amps = np.linspace(0.9 * i_50, 1.1 * i_50, 15)
        p = np.array([device.switching_probability(a, width) for a in amps])
        curves.append((width, amps, rng.binomial(TRIALS, p) / TRIALS))
    return params, i_c0, curves


def test_probability_curves_and_pulse_widths_recover_the_activation_law(measured):
    params, i_c0, curves = measured
    delta_0 = properties_at(params, 300.0).barrier
    fits = [fit_switching_probability(a, p, pulse_width=w, trials=TRIALS) for w, a, p in curves]
    for (width, _, _), fit in zip(curves, fits, strict=True):
        expected = half_switching_current(width, i_c0, delta_0)
        assert fit["i_50"] == pytest.approx(expected, abs=4 * fit["i_50_stderr"])
        assert fit["i_50"] == pytest.approx(expected, rel=0.01)
        assert fit["delta_0"] == pytest.approx(delta_0, abs=4 * fit["delta_0_stderr"])
    across = fit_pulse_width_dependence(WIDTHS, [f["i_50"] for f in fits],
                                        [f["i_50_stderr"] for f in fits])
    assert across["i_c0"] == pytest.approx(i_c0, rel=0.01)
    assert across["delta_0"] == pytest.approx(delta_0, rel=0.05)
    assert across["i_c0"] == pytest.approx(i_c0, abs=4 * across["i_c0_stderr"])
    assert across["tau_0"] == params.kinetics.attempt_time


def test_attempt_time_only_shifts_the_barrier_it_is_quoted_with(measured):
    """tau_0 is degenerate with Delta_0: a 10x shorter tau_0 adds ln 10 to Delta_0 and
    keeps the slope I_c0/Delta_0 of I_50 against ln t_p."""
    from labspin.analysis.models.probability import DEFAULT_ATTEMPT_TIME

    _, _, curves = measured
    fits = [fit_switching_probability(a, p, pulse_width=w, trials=TRIALS) for w, a, p in curves]
    i_50 = [f["i_50"] for f in fits]
    base = fit_pulse_width_dependence(WIDTHS, i_50)
    short = fit_pulse_width_dependence(WIDTHS, i_50, tau_0=DEFAULT_ATTEMPT_TIME / 10)
    assert short["delta_0"] - base["delta_0"] == pytest.approx(np.log(10), rel=1e-3)
    assert short["i_c0"] / short["delta_0"] == pytest.approx(base["i_c0"] / base["delta_0"],
                                                             rel=1e-4)
    assert short["redchi"] == pytest.approx(base["redchi"], rel=1e-4)


def test_half_current_errors_cover_the_truth_for_binomial_counts():
    i_c0, delta_0, width = 0.05, 60.0, 1e-5
    i_50 = half_switching_current(width, i_c0, delta_0)
    amps = np.linspace(0.9 * i_50, 1.1 * i_50, 15)
    p = switching_probability_curve(amps, i_c0, delta_0, width)
    fits = [fit_switching_probability(
        amps, np.random.default_rng(seed).binomial(100, p) / 100, pulse_width=width,
        trials=100) for seed in range(N_SEEDS)]
    assert COVERAGE[0] <= coverage(fits, "i_50", i_50) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "delta_0", delta_0) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "i_c0", i_c0) <= COVERAGE[1]


def test_pulse_width_errors_cover_the_truth():
    i_c0, delta_0, noise = 0.05, 60.0, 1e-4
    clean = half_switching_current(WIDTHS, i_c0, delta_0)
    fits = [fit_pulse_width_dependence(
        WIDTHS, clean + np.random.default_rng(seed).normal(0, noise, WIDTHS.size),
        np.full(WIDTHS.size, noise)) for seed in range(N_SEEDS)]
    assert COVERAGE[0] <= coverage(fits, "i_c0", i_c0) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "delta_0", delta_0) <= COVERAGE[1]


def test_a_fixed_exponent_other_than_one_is_honoured():
    i_c0, delta_0, width = 0.05, 60.0, 1e-6
    i_50 = half_switching_current(width, i_c0, delta_0, exponent=2.0)
    amps = np.linspace(0.7 * i_50, 1.3 * i_50, 25)
    p = switching_probability_curve(amps, i_c0, delta_0, width, exponent=2.0)
    fit = fit_switching_probability(amps, p, pulse_width=width, exponent=2.0,
                                    sigma=np.full(amps.size, 1e-3))
    assert fit["i_50"] == pytest.approx(i_50, rel=1e-4)
    assert fit["i_c0"] == pytest.approx(i_c0, rel=1e-3)
    assert fit["exponent"] == 2.0


def test_too_little_data_is_refused():
    with pytest.raises(DataError, match="3 or more pulse widths"):
        fit_pulse_width_dependence([1e-6, 1e-5], [0.04, 0.039])
    with pytest.raises(DataError, match="between 0 and 1"):
        fit_switching_probability([1.0, 2.0, 3.0], [0.1, 1.2, 0.5], pulse_width=1e-6)
