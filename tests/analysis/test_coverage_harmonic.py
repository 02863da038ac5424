"""The sigmas of B_DL, B_FL and xi_DL from harmonic Hall cover the truth over many
repetitions (new lock-in noise each time), and the in-plane anisotropy no longer biases
xi_DL: Avci angle scans of a bar with M_eff = 1 T and B_K = 30 mT at 0.1-0.5 T, from the
Device directly and through the HarmonicHall procedure on the simulated bench.

Truth by hand from the torque formula of PHYSICS.md: the bar is Py 4 nm on SiO2 under a
spin-absorbing oxide cap of fixed spin conductance G_C, so xi_DL = theta_F (0 - eta_C)
(1 - sech(t/lambda)), eta_C = G_C / (G_C + coth(t/lambda) / (rho lambda)), and B_DL =
hbar xi_DL J / (2 e M_s t_F); the bar does not heat (all values at the stage's 300 K)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from labspin.analysis.models.harmonic import fit_harmonic_hall_perpendicular
from labspin.analysis.models.harmonic_inplane import fit_harmonic_hall_inplane
from labspin.physics import Device, preset, spin_transport
from labspin.physics.parameters import OxideCap

from .coverage_sim import assert_calibrated, z_scores
from .helpers import angle_scans, field_sweeps, quiet, torques_by_hand

N = 50
I0 = 4e-3  # A
FIELDS = (0.1, 0.2, 0.3, 0.4, 0.5)  # T: what an in-plane electromagnet gives
ANGLES = np.radians(np.arange(0.0, 360.0, 30.0))
NOISE_2W, NOISE_1W = 2e-9, 2e-4  # V, ohm


def avci_bar():
    base = preset("py-nio")
    fm = base.ferromagnet.with_(thickness=4e-9, anisotropy_field=30e-3,
                                effective_magnetization=1.0)
    return base.with_(name="avci-bar", ferromagnet=fm, bottom=OxideCap("SiO2", 100e-9),
                      top=OxideCap("CoOx", 3e-9, spin_conductance=1e15),
                      thermal=base.thermal.with_(thermal_resistance=1.0))


def truth_by_hand(params) -> dict:
    fm = params.ferromagnet
    return {**torques_by_hand(params, I0), "ms": fm.saturation_magnetization,
            "t_f": fm.thickness}


@pytest.fixture(scope="module")
def scans():
    params = avci_bar()
    return params, angle_scans(params, FIELDS, ANGLES, I0)


def fit(params, rows, rng, **kwargs):
    t = truth_by_hand(params)
    return fit_harmonic_hall_inplane(
        rows[:, 0], rows[:, 1], rows[:, 2] + rng.normal(0, NOISE_2W, len(rows)),
        current_amplitude=I0, r_ahe=params.readout.anomalous_hall,
        r1w=rows[:, 3] + rng.normal(0, NOISE_1W, len(rows)), m_eff=1.0,
        current_density=t["j"], ms=t["ms"], t_f=t["t_f"], **kwargs)


def test_avci_fields_and_efficiency_cover_the_torque_formula(scans):
    params, rows = scans
    t = truth_by_hand(params)
    assert spin_transport(params).xi_dl == pytest.approx(t["xi_dl"], rel=1e-6)
    fits = [fit(params, rows, np.random.default_rng(k)) for k in range(N)]
    assert all(f["verdict"] == "ok" for f in fits), fits[0]["verdict_reason"]
    assert np.mean([f["b_k"] for f in fits]) == pytest.approx(30e-3, rel=0.01)
    for key in ("b_dl", "b_fl", "xi_dl"):
        z = z_scores(fits, key, t[key])
        assert_calibrated(z, N, key)
        # unbiased, not only covered: the mean of N z-scores is within 3 / sqrt(N) of 0
        assert abs(np.mean(z)) < 3 / math.sqrt(N), (key, np.mean(z))


def test_leaving_out_the_anisotropy_spoils_xi_dl(scans):
    """The closed form of Avci et al. (B_K = 0) on the same scans: xi_DL far off, and the
    misfit shows in its error and verdict rather than as a confident wrong number."""
    params, rows = scans
    t = truth_by_hand(params)
    with_bk = fit(params, rows, np.random.default_rng(0))
    closed = fit(params, rows, np.random.default_rng(0), b_k=0.0, r_phe=with_bk["r_phe"])
    # the misfit widens sigma beyond the value: not determined, or at least far off and poor
    assert "xi_dl" in closed["undetermined"] or abs(closed["xi_dl"] / t["xi_dl"] - 1) > 0.2
    assert closed["verdict"] != "ok"
    assert abs(with_bk["xi_dl"] - t["xi_dl"]) < 3 * with_bk["xi_dl_stderr"]


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_avci_round_trip_through_the_harmonic_hall_procedure():
    from labspin.procedures.harmonic import HarmonicHall
    from labspin.station import Station
    from tests.procedures.harness import run

    params = avci_bar()
    t = truth_by_hand(params)
    with Station.open(sim=True, preset="py-nio", seed=1) as station:
        station.bench.device = Device(params, seed=1)
        proc = HarmonicHall(mode="angle scan", angle_step=30.0, current=I0,
                            field_magnitudes=", ".join(map(str, FIELDS)), time_constant=3.0,
                            sensitivity=2e-6, sensitivity_1w=5e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = run(proc, station)
    result = fit_harmonic_hall_inplane(
        rows["Field (T)"], np.radians(rows["Field angle (deg)"]), rows["V_xy 2w (V)"],
        scan=rows["Field setpoint (T)"], r1w=rows["R_xy 1w (ohm)"], current_amplitude=I0,
        r_ahe=params.readout.anomalous_hall, m_eff=1.0, current_density=t["j"],
        ms=t["ms"], t_f=t["t_f"])
    assert result["verdict"] == "ok", result["verdict_reason"]
    for key in ("xi_dl", "b_dl", "b_fl"):
        assert abs(result[key] - t[key]) < 3 * result[f"{key}_stderr"], key
    assert result["xi_dl_stderr"] < 0.05 * abs(t["xi_dl"])


def test_hayashi_fields_cover_the_model_torques():
    """Field sweeps of the perpendicular cofeb-nio-pma bar (R_PHE / R_AHE from its readout),
    new lock-in noise each time; truth: the model's fields per ampere."""
    from tests.procedures.test_harmonic import readout_terms

    params = quiet("cofeb-nio-pma")
    _, r_phe, r_ahe = readout_terms(params)
    device = Device(params, seed=0, initial_state=1)
    sweep = np.linspace(-6e-3, 6e-3, 25)
    clean = field_sweeps(device, sweep, 1e-3)
    # the truth at the bar's temperature with I_0 flowing (2.4 K above the stage): the
    # exact fit resolves the 0.4 % that separates it from the stage temperature's
    truth = spin_transport(params, device.temperature(1e-3))
    fits = []
    for k in range(N):
        rng = np.random.default_rng(500 + k)
        data = []
        for v1, v2 in clean:
            # 2 nV at 2w (sigma of B_FL 0.4 %): the bench's V_2w departs from first order
            # in the current (R_PHE = R_AHE here) and from one bar temperature (it heats
            # with I(t)^2) by about 0.1 %, which 0.5 nV would resolve
            data += [sweep, v1 + rng.normal(0, 10e-9, sweep.size),
                     v2 + rng.normal(0, 2e-9, sweep.size)]
        fits.append(fit_harmonic_hall_perpendicular(*data, current_amplitude=1e-3, state=1,
                                                    planar_to_anomalous=r_phe / r_ahe))
    assert_calibrated(z_scores(fits, "b_dl_per_ampere", truth.b_dl_per_ampere), N, "B_DL")
    b_fl = truth.b_fl_per_ampere + truth.b_oersted_per_ampere
    assert_calibrated(z_scores(fits, "b_fl_per_ampere", b_fl), N, "B_FL")
