"""The sigmas of Avci angle-scan fits (acceptance finding: rms z of xi_DL 1.16-1.31 over
12-20 bench seeds).

Over 400-500 seeds of the same bench runs the rms z is 1.01-1.06 (benchmarks/
bench_coverage.py --only avci): seeds 1-20 happen to be high, and every bar measured with
them sees the same lock-in noise. What remains is that a noise read from the scatter about
the fit makes (value - truth) / sigma a Student t with n - p degrees of freedom, 1.5 %
wide at 72 points, 10-30 % at coarse scans: the sigmas are widened as the loop fits' are
(thresholds.t_widening). Also here: angle grids that cannot show B_K or R_PHE in the 1w
are refused instead of fitted with a guess, and a perpendicular bar turned in-plane (its
stiffness B + M_eff with M_eff < 0) is measured and fitted.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import stdtrit

from labspin.analysis.models._common import DataError
from labspin.analysis.models.harmonic_inplane import (
    fit_harmonic_hall_inplane,
    fit_planar_hall,
)
from labspin.physics import Device, preset
from labspin.physics.properties import properties_at

from .coverage_sim import assert_calibrated, z_scores

I0, R_AHE, R_PHE, M_EFF = 4e-3, 0.6, 0.5, 1.0  # A, ohm, ohm, T
B_DL, B_FL, V_TH = -1.5e-3, -1.5e-4, 2e-7  # T, T, V


def widening(dof: int) -> float:
    """Student-t over normal at the 1- and 2-sigma points, geometric mean."""
    return math.sqrt(stdtrit(dof, 0.841345) * stdtrit(dof, 0.97725) / 2.0)


def closed_form(field, phi):
    """Avci's closed form without anisotropy (B_K = 0: phi_M = phi_B, B_perp = B + M_eff,
    B_par = B), written out here: V_2w and its columns in (B_DL, B_FL, V_th)."""
    columns = np.column_stack([0.5 * I0 * R_AHE * np.cos(phi) / (field + M_EFF),
                               I0 * R_PHE * np.cos(2 * phi) * np.cos(phi) / field,
                               np.cos(phi)])
    return columns @ [B_DL, B_FL, V_TH], columns


def scans(fields, step_deg):
    phi = np.radians(np.arange(0.0, 360.0, step_deg))
    return np.repeat(fields, phi.size), np.tile(phi, len(fields))


def test_sigma_from_the_scatter_is_the_textbook_one_widened_for_its_degrees_of_freedom():
    """V_2w is linear in B_DL, B_FL, V_th and the offsets once R_PHE, B_K and M_eff are
    given: the least-squares covariance is s^2 (X'X)^-1 with s^2 = RSS / (n - p), and
    the fit quotes its root times the Student-t widening of n - p; with the lock-in noise
    given (absolute) there is nothing to widen."""
    field, phi = scans([0.1, 0.2, 0.3], 60.0)  # 18 points, 6 parameters
    clean, columns = closed_form(field, phi)
    v = clean + np.random.default_rng(3).normal(0.0, 1e-8, clean.size)
    design = np.column_stack([columns, *(field == b for b in (0.1, 0.2, 0.3))]).astype(float)
    coef, rss, *_ = np.linalg.lstsq(design, v, rcond=None)
    dof = v.size - design.shape[1]
    unscaled = np.linalg.inv(design.T @ design)
    textbook = np.sqrt(np.diag(unscaled) * rss[0] / dof)
    kw = dict(current_amplitude=I0, r_ahe=R_AHE, r_phe=R_PHE, b_k=0.0, m_eff=M_EFF)
    fit = fit_harmonic_hall_inplane(field, phi, v, **kw)
    assert fit["b_dl"] == pytest.approx(coef[0], rel=1e-6)
    assert fit["b_dl_stderr"] == pytest.approx(textbook[0] * widening(dof), rel=1e-5)
    assert fit["b_fl_stderr"] == pytest.approx(textbook[1] * widening(dof), rel=1e-5)
    assert widening(dof) > 1.07  # 12 degrees of freedom: 8 % wider than before
    known = fit_harmonic_hall_inplane(field, phi, v, sigma=1e-8, **kw)
    assert known["b_dl_stderr"] == pytest.approx(1e-8 * math.sqrt(unscaled[0, 0]), rel=1e-5)


def test_r_phe_from_the_1w_scatter_is_widened_too():
    """R_xy^1w = R_PHE sin 2phi + offset per scan (B_K given): linear, so the same rule."""
    field, phi = scans([0.1, 0.3], 45.0)
    r1w = R_PHE * np.sin(2 * phi) + 0.01 * (field == 0.3) \
        + np.random.default_rng(5).normal(0.0, 2e-5, field.size)
    design = np.column_stack([np.sin(2 * phi), field == 0.1, field == 0.3]).astype(float)
    coef, rss, *_ = np.linalg.lstsq(design, r1w, rcond=None)
    dof = r1w.size - 3
    textbook = math.sqrt(np.linalg.inv(design.T @ design)[0, 0] * rss[0] / dof)
    planar = fit_planar_hall(field, phi, r1w, b_k=0.0)
    assert planar.values["r_phe"] == pytest.approx(coef[0], rel=1e-9)
    assert planar.stderr("r_phe") == pytest.approx(textbook * widening(dof), rel=1e-5)


def test_a_coarse_scan_covers_the_truth_as_often_as_its_sigma_says():
    """Two fields at 72 deg steps: 10 points, 5 parameters. Unwidened the z-scores are a
    Student t with 5 degrees of freedom, 89.8 % within 2 sigma instead of 95.4 % (rms
    1.29); widened, 94 %."""
    field, phi = scans([0.1, 0.3], 72.0)
    clean, _ = closed_form(field, phi)
    fits = []
    for k in range(300):
        v = clean + np.random.default_rng(1000 + k).normal(0.0, 1e-8, clean.size)
        fits.append(fit_harmonic_hall_inplane(field, phi, v, current_amplitude=I0,
                                              r_ahe=R_AHE, r_phe=R_PHE, b_k=0.0,
                                              m_eff=M_EFF))
    for key, truth in (("b_dl", B_DL), ("b_fl", B_FL)):
        z = z_scores(fits, key, truth)
        assert_calibrated(z, 300, key)
        assert np.mean(np.abs(z) < 2) >= 0.91, (key, np.mean(np.abs(z) < 2))


@pytest.mark.parametrize(("step", "missing", "signature"),
                         [(45.0, "B_K", "sin 4phi"), (90.0, "R_PHE", "sin 2phi")])
def test_an_angle_grid_blind_to_the_anisotropy_is_refused(step, missing, signature):
    """At 45 deg steps sin 4phi, the anisotropy's mark on R_xy^1w, is zero at every
    angle: B_K came out 0 with no error and B_FL 15 % off at 1.8 % sigma (15 sigma).
    At 90 deg sin 2phi, R_PHE itself, is. Refused, saying which step to use."""
    field, phi = scans([0.1, 0.2, 0.3], step)
    v2w, _ = closed_form(field, phi)
    r1w = R_PHE * np.sin(2 * phi)
    with pytest.raises(DataError, match=f"cannot resolve {missing}.*{signature}.*15 or 30"):
        fit_harmonic_hall_inplane(field, phi, v2w, r1w=r1w, current_amplitude=I0,
                                  r_ahe=R_AHE, m_eff=M_EFF)


def test_a_perpendicular_bar_turned_in_plane_keeps_its_magnetisation_finite():
    """cofeb-nio-pma in a 0.15 T field turning in the plane: m_z of its branch falls
    towards 1e-323, and the torque balance divided by a norm whose square underflowed
    (ZeroDivisionError in the middle of a HarmonicHall run, the magnet left at 95 mT)."""
    device = Device(preset("cofeb-nio-pma"), seed=0)
    for b in np.linspace(0.0, 0.15, 16):
        device.set_field((0.0, b, 0.0))
    for a in np.radians(np.arange(90.0, 810.0, 5.0)):
        device.set_field((0.15 * math.cos(a), 0.15 * math.sin(a), 0.0))
        h = device.harmonic_voltages(1e-3, n_phase=8)
        assert math.isfinite(h.xy_2w)
    assert min(abs(m[2]) for m in device._branches.values()) < 1e-100  # the path above


def test_a_perpendicular_bar_gives_its_own_stiffness_at_its_own_temperature():
    """In-plane scans of cofeb-nio-pma (B_K,eff 80 mT: M_eff = -0.08 T in the in-plane
    fit) at 1 mA, which warms the bar by 2.4 K. Its stiffness B + M_eff changes
    several-fold over 0.15-0.5 T, so the scans fix M_eff themselves (it may be
    negative now), at the bar's temperature: B_DL covers the torque of the warm bar. The
    calibration's M_eff (stage temperature) leaves B_DL off by 0.18 %, five times its
    sigma: the fit's note gives the B_DL of the scans' own M_eff."""
    params = preset("cofeb-nio-pma")
    fields = (0.15, 0.25, 0.35, 0.5)
    device, rows = Device(params, seed=0), []
    for b in fields:  # as the bench reads them (32 phases a period: the heating's harmonics)
        for a in np.radians(np.arange(0.0, 360.0, 30.0)):
            device.set_field((b * math.cos(a), b * math.sin(a), 0.0))
            h = device.harmonic_voltages(1e-3)
            rows.append((b, a, h.xy_2w, h.xy_1w / 1e-3))
    rows = np.array(rows)
    warm = properties_at(params, Device(params, seed=0).temperature(1e-3))
    truth = warm.transport.b_dl_per_ampere * 1e-3
    own, given = [], []
    for k in range(12):
        rng = np.random.default_rng(200 + k)
        v = rows[:, 2] + rng.normal(0.0, 5e-9, len(rows))
        r1w = rows[:, 3] + rng.normal(0.0, 2e-5, len(rows))
        kw = dict(current_amplitude=1e-3, r_ahe=params.readout.anomalous_hall, r1w=r1w)
        own.append(fit_harmonic_hall_inplane(rows[:, 0], rows[:, 1], v, **kw))
        given.append(fit_harmonic_hall_inplane(rows[:, 0], rows[:, 1], v, m_eff=-0.08, **kw))
    for key, value in (("m_eff", warm.demag_field - warm.anisotropy_field), ("b_dl", truth)):
        z = z_scores(own, key, value)
        assert abs(z.mean()) < 3 / math.sqrt(z.size) and math.sqrt(np.mean(z**2)) < 1.6, \
            (key, z)
    assert abs(z_scores(given, "b_dl", truth).mean()) > 3  # the stage temperature's M_eff
    assert all("the scans fix M_eff themselves" in f["note"] for f in given)


def test_labspin_fit_says_which_angle_step_to_use():
    """The same refusal through the run fit (``labspin fit`` prints it as the reason the
    run was not fitted)."""
    from pathlib import Path

    from labspin.analysis.harmonic_runs import fit_harmonic_run
    from labspin.analysis.loaders import RunData

    field, phi = scans([0.1, 0.2, 0.3], 45.0)
    v2w, _ = closed_form(field, phi)
    data = pd.DataFrame({"Field setpoint (T)": field, "Field (T)": field,
                         "Field angle (deg)": np.degrees(phi),
                         "Field angle read (deg)": np.degrees(phi), "V_xy 2w (V)": v2w,
                         "R_xy 1w (ohm)": R_PHE * np.sin(2 * phi)})
    run = RunData(path=Path("coarse.csv"), procedure="HarmonicHall",
                  procedure_path="labspin.procedures.harmonic.HarmonicHall",
                  parameters={"Mode": "angle scan", "AC current amplitude": I0},
                  metadata={}, units={}, data=data)
    with pytest.raises(DataError, match="angle step of 15 or 30 deg"):
        fit_harmonic_run(run, r_ahe=R_AHE, m_eff=M_EFF)
