"""Harmonic Hall: the model's spin-orbit fields (b_dl_per_ampere, field-like + Oersted) and
xi_DL come back from simulated lock-in voltages, for a perpendicular magnet (Hayashi field
sweeps) and an in-plane one (Avci angle scans)."""

import numpy as np
import pytest

from labspin.analysis.models import DataError
from labspin.analysis.models.harmonic import (
    avci_angle_scan,
    fit_angle_scans,
    fit_harmonic_hall_inplane,
    fit_harmonic_hall_perpendicular,
    planar_hall_correction,
)
from labspin.physics import Device, preset
from labspin.physics.properties import properties_at

from .helpers import COVERAGE, N_SEEDS, coverage, field_sweeps, quiet

# -- perpendicular magnet: Hayashi et al. (2014) -------------------------------------------

I0_PMA = 1e-3  # A
SWEEP = np.linspace(-6e-3, 6e-3, 25)  # T, |B| < 0.1 B_K keeps the small-angle expansion
SIGMA_1W, SIGMA_2W = 10e-9, 0.5e-9  # V


def planar_ratio(params, props) -> float:
    """R_PHE / R_AHE of the readout, R_PHE the sin 2 phi amplitude of an in-plane m."""
    from tests.procedures.test_harmonic import readout_terms

    _, r_phe, r_ahe = readout_terms(params)
    return r_phe / r_ahe


@pytest.fixture(scope="module", params=[1, -1], ids=["m_z up", "m_z down"])
def pma_sweeps(request):
    state = request.param
    params = quiet("cofeb-nio-pma")
    device = Device(params, seed=0, initial_state=state)
    rng = np.random.default_rng(5 + state)
    sweeps = []
    for v1, v2 in field_sweeps(device, SWEEP, I0_PMA):
        sweeps += [SWEEP, v1 + rng.normal(0, SIGMA_1W, SWEEP.size),
                   v2 + rng.normal(0, SIGMA_2W, SWEEP.size)]
    assert device.mean_state == state
    return params, state, sweeps


def test_hayashi_sweeps_give_the_model_fields_and_efficiency(pma_sweeps):
    params, state, sweeps = pma_sweeps
    props = properties_at(params, 300.0)
    tr = props.transport
    j0 = I0_PMA / (params.hall_bar.width * tr.conducting_thickness)
    fit = fit_harmonic_hall_perpendicular(
        *sweeps, current_amplitude=I0_PMA, state=state,
        planar_to_anomalous=planar_ratio(params, props), current_density=j0,
        ms=props.saturation_magnetization, t_f=params.ferromagnet.thickness,
        sigma_1w=SIGMA_1W, sigma_2w=SIGMA_2W)
    assert fit["b_dl_per_ampere"] == pytest.approx(tr.b_dl_per_ampere, rel=0.02)
    assert fit["b_fl_per_ampere"] == pytest.approx(tr.b_fl_per_ampere + tr.b_oersted_per_ampere,
                                                   rel=0.03)
    assert fit["xi_dl"] == pytest.approx(tr.xi_dl, rel=0.02)
    # the damping-like field points along -m_z x: its longitudinal component flips with m_z
    assert np.sign(fit["b_longitudinal"]) == -state * np.sign(tr.b_dl_per_ampere)


def test_without_the_planar_hall_correction_the_fields_are_wrong(pma_sweeps):
    """R_PHE = 2 R_AHE in this bar: ignoring it misreads the torques badly."""
    params, state, sweeps = pma_sweeps
    tr = properties_at(params, 300.0).transport
    naive = fit_harmonic_hall_perpendicular(*sweeps, current_amplitude=I0_PMA, state=state)
    assert abs(naive["b_dl_per_ampere"] / tr.b_dl_per_ampere - 1) > 0.3


def test_hayashi_errors_cover_the_truth():
    """Closed-form sweeps (parabola and line) with noise: b_dl and b_fl within 1 sigma."""
    b_x, b_y, xi, state = -1.4e-3, -0.42e-3, 0.6, 1  # true dB_x, dB_y (T), 2 R_PHE/R_AHE
    app_x = b_x - state * xi * b_y
    app_y = b_y - state * xi * b_x
    curvature = -2e-2  # V/T^2, a = d^2V_1w/dB^2 / 2
    fits = []
    for seed in range(N_SEEDS):
        rng = np.random.default_rng(seed)
        data = []
        for app in (app_x, app_y):
            v1 = 1e-2 + curvature * SWEEP**2 + rng.normal(0, SIGMA_1W, SWEEP.size)
            v2 = 3e-9 + curvature * app * SWEEP + rng.normal(0, SIGMA_2W, SWEEP.size)
            data += [SWEEP, v1, v2]
        fits.append(fit_harmonic_hall_perpendicular(*data, current_amplitude=1.0, state=state,
                                                    planar_to_anomalous=xi / 2))
    assert COVERAGE[0] <= coverage(fits, "b_dl", -state * b_x) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "b_fl", b_y) <= COVERAGE[1]


def test_planar_hall_correction_inverts_the_mixing_and_refuses_xi_one():
    # R_PHE / R_AHE = 0.25 mixes the apparent fields with 2 x 0.25 (Hayashi's 2 xi_H)
    d_x, d_y = planar_hall_correction(2.0 - 0.5 * 3.0, 3.0 - 0.5 * 2.0, 0.25, +1)
    assert (d_x, d_y) == pytest.approx((2.0, 3.0))
    with pytest.raises(DataError, match="singular"):
        planar_hall_correction(1.0, 1.0, 0.5, 1)


# -- in-plane magnet: Avci et al. (2014) ---------------------------------------------------

I0_IP = 3e-3  # A, 1.2e11 A/m^2 in py-nio
FIELDS = np.array([0.05, 0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.0])  # T
ANGLES = np.linspace(0, 2 * np.pi, 16, endpoint=False)
SIGMA_IP = 1e-9  # V


def inplane_bar():
    """py-nio with the anomalous Nernst voltage on and almost no in-plane anisotropy (the
    Avci closed form neglects B_K against B; tests/physics/test_readout.py)."""
    params = preset("py-nio")
    return params.with_(ferromagnet=params.ferromagnet.with_(anisotropy_field=1e-4))


@pytest.fixture(scope="module")
def angle_scans():
    params = inplane_bar()
    device = Device(params, seed=0)
    field, phi, v2w = [], [], []
    for b in FIELDS:
        for a in ANGLES:
            device.set_field((b * np.cos(a), b * np.sin(a), 0.0))
            field.append(b)
            phi.append(a)
            v2w.append(device.harmonic_voltages(I0_IP, n_phase=8).xy_2w)
    v2w = np.array(v2w) + np.random.default_rng(7).normal(0, SIGMA_IP, len(v2w))
    return params, np.array(field), np.array(phi), v2w


def inplane_truth(params):
    """Properties, R_PHE (the sin 2 phi amplitude) and the current density at I0_IP."""
    from tests.procedures.test_harmonic import readout_terms

    props, r_phe, _ = readout_terms(params)
    hb = params.hall_bar
    return props, r_phe, I0_IP / (hb.width * props.transport.conducting_thickness)


@pytest.mark.parametrize("fix_m_eff", [True, False], ids=["M_eff fixed", "M_eff fitted"])
def test_avci_scans_separate_damping_like_thermal_and_field_like_parts(angle_scans, fix_m_eff):
    params, field, phi, v2w = angle_scans
    props, r_phe, j0 = inplane_truth(params)
    tr = props.transport
    fit = fit_harmonic_hall_inplane(
        field, phi, v2w, current_amplitude=I0_IP, r_ahe=params.readout.anomalous_hall,
        r_phe=r_phe, m_eff=props.demag_field if fix_m_eff else None, sigma=SIGMA_IP,
        current_density=j0, ms=props.saturation_magnetization,
        t_f=params.ferromagnet.thickness)
    rel = 0.02 if fix_m_eff else 0.06
    assert fit["b_dl_per_ampere"] == pytest.approx(tr.b_dl_per_ampere, rel=rel)
    assert fit["b_dl_per_ampere"] == pytest.approx(tr.b_dl_per_ampere,
                                                   abs=3 * fit["b_dl_per_ampere_stderr"])
    assert fit["xi_dl"] == pytest.approx(tr.xi_dl, rel=rel)
    assert fit["b_fl_per_ampere"] == pytest.approx(tr.b_fl_per_ampere + tr.b_oersted_per_ampere,
                                                   rel=0.01)
    v_ane = params.readout.nernst_coefficient * I0_IP**2 / 2
    assert fit["v_thermal"] == pytest.approx(v_ane, rel=0.03)
    assert fit["m_eff"] == pytest.approx(props.demag_field, rel=0.05)


def test_avci_errors_cover_the_truth():
    """Closed-form scans with noise, M_eff fitted: b_dl and M_eff within 1 sigma."""
    a_true, m_eff, thermal, c_true = -4e-8, 0.95, 2e-7, -2e-8  # V T, T, V, V T
    b = np.repeat(FIELDS, ANGLES.size)
    phi = np.tile(ANGLES, FIELDS.size)
    clean = avci_angle_scan(phi, a_true / (b + m_eff) + thermal, c_true / b)
    fits = [fit_harmonic_hall_inplane(
        b, phi, clean + np.random.default_rng(seed).normal(0, 0.5e-9, b.size),
        current_amplitude=1.0, r_ahe=2.0, r_phe=2.0, sigma=0.5e-9) for seed in range(N_SEEDS)]
    assert COVERAGE[0] <= coverage(fits, "b_dl", a_true) <= COVERAGE[1]
    assert COVERAGE[0] <= coverage(fits, "m_eff", m_eff) <= COVERAGE[1]
    # C = I_0 R_PHE B_FL / B with I_0 = 1 A and R_PHE = 2 ohm
    assert COVERAGE[0] <= coverage(fits, "b_fl", c_true / 2) <= COVERAGE[1]


def test_angle_scan_table_and_too_few_fields():
    b = np.repeat([0.1, 0.2], ANGLES.size)
    phi = np.tile(ANGLES, 2)
    table = fit_angle_scans(b, phi, avci_angle_scan(phi, 1e-7, 2e-7, 1e-8))
    assert list(table["field"]) == [0.1, 0.2]
    assert table["dl_amplitude"].to_numpy() == pytest.approx([1e-7, 1e-7])
    assert table["fl_amplitude"].to_numpy() == pytest.approx([2e-7, 2e-7])
    with pytest.raises(DataError, match="too few field magnitudes"):
        fit_harmonic_hall_inplane(b, phi, avci_angle_scan(phi, 1e-7, 2e-7),
                                  current_amplitude=1e-3, r_ahe=1.0, r_phe=1.0)
