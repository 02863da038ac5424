"""Hayashi field sweeps beyond the small-field limit: the exact macrospin forms of
labspin.analysis.models.harmonic_perpendicular against the quasi-static solver of
labspin.physics, a bench round trip at B / B_K = 0.25 (where the parabola-and-line analysis
read B_DL 5 % off), coverage of the joint fit's sigmas, and the sweeps it refuses to
call ok (beyond 0.7 B_K, across a switching event)."""

import numpy as np
import pytest

from labspin.analysis.models.harmonic import fit_harmonic_hall_perpendicular
from labspin.analysis.models.harmonic_perpendicular import hayashi_v1w, hayashi_v2w
from labspin.physics import Device, spin_transport
from labspin.physics.quasistatic import FieldTerms, equilibrium

from .helpers import COVERAGE, N_SEEDS, coverage, field_sweeps, quiet

SIGMA = np.array([0.0, 1.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])


def macrospin_hall(axis: str, field: float, state: int, *, b_k: float, b_dl: float,
                   b_fl: float, r_ahe: float, r_phe: float, current: float) -> tuple:
    """(V_1w, V_2w) of a macrospin by the solver: R_xy at +-I_0 (the fields reverse with
    the current), V_1w = I_0 R_xy(0) and V_2w = (I_0/2) (R_xy(+I_0) - R_xy(-I_0)) / 2."""
    applied = field * (np.array([1.0, 0, 0]) if axis == "x" else SIGMA)
    theta = np.arcsin(field / b_k)
    start = np.array([np.sin(theta), 0.0, state * np.cos(theta)]) if axis == "x" else \
        np.array([0.0, np.sin(theta), state * np.cos(theta)])

    def r_xy(sign: float) -> float:
        terms = FieldTerms(b_applied=applied + sign * b_fl * SIGMA, b_anisotropy=b_k,
                           easy_axis=Z, b_dl=sign * b_dl, sigma=SIGMA)
        m = equilibrium(terms, start, tol=1e-14).m
        return r_ahe * m[2] + 2 * r_phe * m[0] * m[1]

    return current * r_xy(0.0), current / 2 * (r_xy(1.0) - r_xy(-1.0)) / 2


@pytest.mark.parametrize("state", [1, -1])
@pytest.mark.parametrize("axis", ["x", "y"])
def test_exact_forms_are_the_quasistatic_solver(axis, state):
    """Small B_DL, B_FL (first order), any b up to 0.8: the forms agree to 1e-5."""
    bk, bdl, bfl, r_ahe, r_phe, i0 = 0.1, 2e-6, -1.3e-6, 1.2, 0.4, 1e-3
    kappa = i0 * r_ahe * state / bk**2
    v1_zero, _ = macrospin_hall(axis, 0.0, state, b_k=bk, b_dl=bdl, b_fl=bfl, r_ahe=r_ahe,
                                r_phe=r_phe, current=i0)
    for b in (0.01, 0.025, 0.05, 0.08):
        v1, v2 = macrospin_hall(axis, b, state, b_k=bk, b_dl=bdl, b_fl=bfl, r_ahe=r_ahe,
                                r_phe=r_phe, current=i0)
        assert v1 - v1_zero == pytest.approx(float(hayashi_v1w(b, kappa, 1 / bk**2)),
                                             rel=1e-9)
        expected = float(hayashi_v2w(axis, b, kappa, 1 / bk**2, bdl, bfl, r_phe / r_ahe,
                                     state))
        assert v2 == pytest.approx(expected, rel=1e-5), (axis, b)


def test_the_small_field_ratio_reads_b_dl_times_1_plus_b2_over_root():
    """Hayashi's pointwise ratio 2 (dV_2w/dB) / (d^2 V_1w/dB^2) of the x sweep (no planar
    Hall term) is -s B_DL (1 + b^2) / sqrt(1 - b^2): 9.5 % high at b = 0.25."""
    bk, bdl, i0, h = 0.12, 1.7e-6, 1.5e-3, 2e-4
    for b in (0.25, 0.5):
        field = b * bk
        v1 = [macrospin_hall("x", field + k * h, 1, b_k=bk, b_dl=bdl, b_fl=0.0, r_ahe=1.5,
                             r_phe=0.0, current=i0) for k in (-1, 0, 1)]
        slope = (v1[2][1] - v1[0][1]) / (2 * h)
        curvature = (v1[2][0] - 2 * v1[1][0] + v1[0][0]) / h**2
        assert 2 * slope / curvature == pytest.approx(-bdl * (1 + b**2) / np.sqrt(1 - b**2),
                                                      rel=1e-3)


def bench_sweeps(params, field_max: float, i0: float, state: int = 1, n: int = 25):
    """Noise-free V_1w, V_2w of both sweeps from the device model (every grain in
    ``state``), and the truth at the bar's temperature with I_0 flowing."""
    device = Device(params, seed=0, initial_state=state)
    sweep = np.linspace(-field_max, field_max, n)
    clean = [(sweep, v1, v2) for v1, v2 in field_sweeps(device, sweep, i0, n_phase=16)]
    assert device.mean_state == state
    return clean, spin_transport(params, device.temperature(i0))


@pytest.mark.parametrize("state", [1, -1])
def test_bench_round_trip_at_a_quarter_of_b_k(state):
    """cofeb-nio-pma (B_K,eff 80 mT, R_PHE = R_AHE) swept to 20 mT with 100 nV / 3 nV of
    lock-in noise (1e-5 of V_1w): B_DL and B_FL within 1 % and 3 sigma (the old parabola
    and line read B_DL 5 % low here). Not less noise: the bench departs from first order
    in the current and from one temperature (it heats with I(t)^2) by about 0.1 % in V_2w
    and 1e-6 in V_1w, which the residual checks would rightly call a structure."""
    from tests.procedures.test_harmonic import readout_terms

    params = quiet("cofeb-nio-pma")
    _, r_phe, r_ahe = readout_terms(params)
    i0 = 1e-3
    clean, truth = bench_sweeps(params, 0.02, i0, state)
    rng = np.random.default_rng(11)
    data = []
    for b, v1, v2 in clean:
        data += [b, v1 + rng.normal(0, 100e-9, b.size), v2 + rng.normal(0, 3e-9, b.size)]
    fit = fit_harmonic_hall_perpendicular(*data, current_amplitude=i0, state=state,
                                          planar_to_anomalous=r_phe / r_ahe)
    assert fit["verdict"] == "ok", fit["verdict_reason"]
    b_fl = truth.b_fl_per_ampere + truth.b_oersted_per_ampere
    for key, want in (("b_dl_per_ampere", truth.b_dl_per_ampere), ("b_fl_per_ampere", b_fl)):
        assert fit[key] == pytest.approx(want, rel=0.01), key
        assert abs(fit[key] - want) < 3 * fit[f"{key}_stderr"], key
    assert fit["b_k"] == pytest.approx(0.08, rel=0.02)


def exact_sweeps(rng, *, b_k, field_max, b_dl, b_fl, xi, state, kappa=-0.2, n=31,
                 sigma_1w=20e-9, sigma_2w=1e-9):
    sweep = np.linspace(-field_max, field_max, n)
    data = []
    for axis in ("x", "y"):
        v1 = hayashi_v1w(sweep, kappa, 1 / b_k**2, 3e-3, 1e-7)
        v2 = hayashi_v2w(axis, sweep, kappa, 1 / b_k**2, b_dl, b_fl, xi, state, 2e-9)
        data += [sweep, v1 + rng.normal(0, sigma_1w, n), v2 + rng.normal(0, sigma_2w, n)]
    return data


def test_joint_fit_sigmas_cover_the_truth_at_half_b_k():
    """Exact forms at b = 0.5 with noise, B_K fitted: b_dl and b_fl within 1 sigma in
    about 68 % of the repetitions."""
    truth = {"b_dl": 1.2e-3, "b_fl": -0.5e-3}
    fits = []
    for seed in range(N_SEEDS):
        data = exact_sweeps(np.random.default_rng(seed), b_k=0.06, field_max=0.03,
                            xi=0.3, state=-1, **truth)
        fits.append(fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=-1,
                                                    planar_to_anomalous=0.3))
    assert all(f["verdict"] == "ok" for f in fits)
    for key, value in truth.items():
        assert COVERAGE[0] <= coverage(fits, key, value) <= COVERAGE[1], key


def test_a_sweep_beyond_0_7_b_k_is_poor_and_says_how_far_to_sweep():
    data = exact_sweeps(np.random.default_rng(3), b_k=0.04, field_max=0.032, b_dl=1e-3,
                        b_fl=0.4e-3, xi=0.2, state=1)
    fit = fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=1,
                                          planar_to_anomalous=0.2)
    assert fit["verdict"] == "poor"
    assert "reaches 0.80 B_K" in fit["verdict_reason"]
    assert "sweep to at most ±28 mT (0.7 B_K)" in fit["verdict_reason"]
    assert fit["b_dl"] == pytest.approx(1e-3, rel=0.02)  # the macrospin itself is exact


def test_a_switching_event_during_the_sweep_is_not_determined_with_the_range_to_use():
    """Part of the grains reverse at |B| >= 16 mT in the y sweep: V_1w drops by 20 % of
    the anomalous Hall swing there. m_z is then not the same in every grain, which the
    x sweep's V_2w does not follow: no torque, and the reason gives the range."""
    data = exact_sweeps(np.random.default_rng(4), b_k=0.08, field_max=0.02, b_dl=1e-3,
                        b_fl=0.4e-3, xi=0.2, state=1, n=21)
    field, v1y = data[3], data[4]
    v1y[np.abs(field) >= 0.016] -= 0.2 * 2 * 0.2 * 0.08**2  # 2 f I_0 R_AHE, f = 0.2
    fit = fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=1,
                                          planar_to_anomalous=0.2)
    assert fit["verdict"] == "not determined"
    reason = fit["verdict_reason"]
    assert "V_1w y sweep jumps off the macrospin form at |B| = 16 mT" in reason
    assert "grains reversed" in reason and "sweeping to below ±16 mT" in reason
    assert np.isnan(fit["b_dl"]) and "b_dl" in fit["undetermined"].split(",")


def test_a_clean_sweep_of_few_points_is_not_taken_for_a_switching_event():
    """11 fields per sweep (10 mT in 2 mT steps), 120 noise draws: never a jump."""
    for seed in range(120):
        data = exact_sweeps(np.random.default_rng(seed), b_k=0.08, field_max=0.01,
                            b_dl=1e-3, b_fl=0.4e-3, xi=0.2, state=1, n=11)
        fit = fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=1,
                                              planar_to_anomalous=0.2)
        assert "jumps" not in fit["verdict_reason"], seed


def test_field_jitter_is_not_taken_for_a_switching_event():
    """The read-back field jitters by 20 uT: V_1w scatters 6x more at 30 mT than at zero
    field (as on the bench), which a threshold in sigmas of the inner points alone took
    for reversed grains."""
    kappa, b_k, n = -0.16, 0.12, 31
    sweep = np.linspace(-0.03, 0.03, n)
    for seed in range(60):
        rng = np.random.default_rng(seed)
        data = exact_sweeps(rng, b_k=b_k, field_max=0.03, b_dl=1.7e-3, b_fl=0.85e-3,
                            xi=0.2, state=1, kappa=kappa, n=n, sigma_1w=8e-9)
        for k in (1, 4):  # V_1w of each sweep: slope kappa B times the field's jitter
            data[k] = data[k] + kappa * sweep * rng.normal(0, 20e-6, n)
        fit = fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=1,
                                              planar_to_anomalous=0.2)
        assert "jumps" not in fit["verdict_reason"], seed
