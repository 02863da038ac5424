"""The ST-FMR mixing voltage of the macrospin's linear response against analytic limits.

Truths are written out here from the textbook formulas (Kittel; Liu, Moriyama, Ralph,
Buhrman, PRL 106, 036601 (2011); Tserkovnyak et al. 2002 for the damping), not taken
from the code under test. Lines are swept in field at fixed frequency and fitted with
scipy's curve_fit to plain Lorentzians, as Liu et al. did.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import curve_fit

from labspin.physics import fmr, preset
from labspin.physics.stfmr import RFCircuit, nominal_bar_current, rf_response

GAMMA_HZ = 1.76085963e11 / (2 * math.pi)  # Hz/T, the electron's, as the model uses
HBAR, E, MU0 = 1.054571817e-34, 1.602176634e-19, 1.25663706212e-6


def lorentzians(b, s, a, b_res, width, offset, slope):
    x = b - b_res
    return (s * width**2 + a * width * x) / (x * x + width * width) + offset + slope * x


def cold(params, *, b_k: float = 1e-9, field_like: float | None = None):
    """The device without Joule heating and (by default) without in-plane anisotropy."""
    fm = params.ferromagnet.with_(anisotropy_field=b_k)
    if field_like is not None:
        fm = fm.with_(field_like_ratio=field_like)
    return params.with_(ferromagnet=fm,
                        thermal=params.thermal.with_(thermal_resistance=1e-9))


def fit_line(params, frequency, angle_deg=45.0, *, dc=0.0, broadening=0.0, stray=0.0,
             window=8.0):
    """Sweep the field through the resonance and fit it: (S, A, B_res, Delta B)."""
    m = params.ferromagnet.effective_magnetization
    w = frequency / GAMMA_HZ
    b_r = 0.5 * (math.sqrt(m * m + 4 * w * w) - m)
    width = 0.02 * w
    fields = np.linspace(b_r - window * width, b_r + window * width, 201)
    a = math.radians(angle_deg)
    v = np.array([rf_response(params, b * np.array([math.cos(a), math.sin(a), 0.0]), frequency,
                              1e-4, dc_current=dc, broadening=broadening,
                              stray_field=stray).mixing for b in fields])
    k = int(np.argmax(np.abs(v)))
    p, _ = curve_fit(lorentzians, fields, v, p0=[v[k], 0.0, fields[k], width / 2, 0.0, 0.0],
                     maxfev=20000)
    return p[0], p[1], p[2], abs(p[3])


@pytest.mark.parametrize("frequency", [6e9, 12e9])
def test_the_resonance_sits_at_the_kittel_field(frequency):
    params = cold(preset("py-alox"))
    m = params.ferromagnet.effective_magnetization  # 0.95 T
    *_, b_res, _ = fit_line(params, frequency, stray=1e-3)
    w = frequency / GAMMA_HZ
    kittel = (math.sqrt(m**2 + 4 * w**2) - m) / 2  # f = gamma' sqrt(B (B + M_eff))
    # damping moves the line by -Delta^2 / (2 B + M_eff) (2 microtesla here), no more
    assert b_res == pytest.approx(kittel, rel=1e-4)


@pytest.mark.parametrize("broadening", [0.0, 0.8e-3])
def test_the_half_width_is_alpha_omega_over_gamma_plus_the_broadening(broadening):
    params = cold(preset("py-alox"))
    alpha = params.ferromagnet.gilbert_damping  # no spin sink: alpha = alpha_0
    for frequency in (5e9, 10e9):
        *_, width = fit_line(params, frequency, broadening=broadening, stray=1e-3)
        assert width == pytest.approx(alpha * frequency / GAMMA_HZ + broadening, rel=2e-3)


def test_spin_pumping_into_the_afmi_widens_the_line_by_the_one_g_a():
    nio, alox = cold(preset("py-nio")), cold(preset("py-alox"))
    *_, w_nio = fit_line(nio, 8e9, stray=1e-3)
    *_, w_alox = fit_line(alox, 8e9, stray=1e-3)
    afm = nio.top
    # G_A at 300 K by hand: the film's T_N, the magnon profile, the thickness factor
    t_n = afm.neel_temperature * (1 - afm.neel_thickness_scale / afm.thickness)
    tau = 300.0 / t_n
    profile = afm.paramagnetic_floor + (1 - afm.paramagnetic_floor) * (
        tau * math.exp(1 - tau)) ** afm.magnon_exponent
    # times the critical enhancement near T_N (a Lorentzian of half width Gamma)
    profile *= 1 + afm.critical_weight / (1 + ((300.0 - t_n) / afm.critical_width) ** 2)
    g_a = afm.spin_conductance * profile * (1 - math.exp(-afm.thickness / afm.magnon_length))
    fm = nio.ferromagnet
    g_mix = afm.pumping_fraction * g_a * 6.62607015e-34 / E**2
    delta_alpha = HBAR * 1.76085963e11 * g_mix / (4 * math.pi * fm.saturation_magnetization
                                                  * fm.thickness)
    assert (w_nio - w_alox) * GAMMA_HZ / 8e9 == pytest.approx(delta_alpha, rel=3e-3)


def _liu_truth(params) -> float:
    """xi of Pt / Py per Pt current density, by hand (drift-diffusion of PHYSICS.md)."""
    pt, py = params.bottom, params.ferromagnet
    g_pt = 1 / (pt.resistivity * pt.spin_diffusion_length)
    r = pt.thickness / pt.spin_diffusion_length
    transparency = pt.interface_conductance / (pt.interface_conductance + g_pt / math.tanh(r))
    xi_pt = pt.spin_hall_angle * (1 - 1 / math.cosh(r)) * transparency * (1 - pt.spin_memory_loss)
    # Py's own spin current, absorbed by the Pt below (the cap on top reflects it)
    sink = 1 / (1 / pt.interface_conductance + 1 / (g_pt * math.tanh(r)))
    g_py = 1 / (py.resistivity * py.spin_diffusion_length)
    rf = py.thickness / py.spin_diffusion_length
    eta = sink / (sink + g_py / math.tanh(rf))
    xi_py = py.spin_hall_angle * eta * (1 - 1 / math.cosh(rf))
    # same electric field in both layers: J_Py / J_Pt = rho_Pt / rho_Py
    return xi_pt + xi_py * pt.resistivity / py.resistivity


def test_liu_s_over_a_gives_xi_of_a_heavy_metal_without_field_like_torque():
    base = preset("pt-py")
    params = cold(base.with_(bottom=base.bottom.with_(field_like_ratio=0.0)), field_like=0.0)
    frequency = 9e9
    s, a, b_res, _ = fit_line(params, frequency)
    fm = params.ferromagnet
    m = fm.effective_magnetization
    # Liu's formula, with B_y the Oersted field of the Pt under the Py (along -y)
    liu = -(s / a) * E * MU0 * fm.saturation_magnetization * fm.thickness * \
        params.bottom.thickness / HBAR * math.sqrt(1 + m / b_res)
    assert liu == pytest.approx(_liu_truth(params), rel=2e-3)
    # labspin.physics.fmr writes the same formula
    ratio = fmr.drive_ratio(s / a, b_res, b_res + m)
    assert float(fmr.liu_efficiency(ratio, fm.saturation_magnetization, fm.thickness,
                                    params.bottom.thickness)) == pytest.approx(liu, rel=1e-12)


def test_a_field_like_torque_biases_liu_by_the_oersted_share():
    params = cold(preset("pt-py"))
    s, a, b_res, _ = fit_line(params, 9e9)
    m = params.ferromagnet.effective_magnetization
    ratio = (s / a) * math.sqrt(1 + m / b_res)
    # B_FL = r_FL B_DL in each layer (same sign as B_DL), B_Oe = -mu0 I_Pt / (2 w)
    pt, py, bar = params.bottom, params.ferromagnet, params.hall_bar
    frac_pt = (pt.thickness / pt.resistivity) / (pt.thickness / pt.resistivity
                                                 + py.thickness / py.resistivity)
    b_oe = -MU0 * frac_pt / (2 * bar.width)
    prefactor = HBAR / (2 * E * py.saturation_magnetization * py.thickness)
    b_dl = prefactor * _liu_truth(params) * frac_pt / (bar.width * pt.thickness)
    b_fl = 0.1 * b_dl  # both layers have r_FL = 0.1
    assert ratio == pytest.approx(b_dl / (b_oe + b_fl), rel=3e-3)


def test_in_an_fm_afmi_bar_the_antisymmetric_line_is_the_field_like_torque_only():
    params = cold(preset("py-nio"))
    s, a, b_res, _ = fit_line(params, 9e9)
    m = params.ferromagnet.effective_magnetization
    ratio = (s / a) * math.sqrt(1 + m / b_res)
    # no Oersted field (the current is all in the FM) and no stray field: B_y = r_FL B_DL
    assert ratio == pytest.approx(1 / params.ferromagnet.field_like_ratio, rel=3e-3)
    without = cold(preset("py-nio"), field_like=0.0)
    s0, a0, *_ = fit_line(without, 9e9)
    assert abs(a0) < 1e-6 * abs(s0)  # nothing drives m in the plane: no antisymmetric line


def test_a_dc_current_changes_the_damping_as_liu_et_al_wrote():
    params = cold(preset("py-nio"), field_like=0.0)
    frequency, current = 8e9, 3e-3
    widths = {i: fit_line(params, frequency, dc=i)[3] for i in (-current, current)}
    slope = (widths[current] - widths[-current]) / (2 * current) * GAMMA_HZ / frequency
    fm, bar, afm = params.ferromagnet, params.hall_bar, params.top
    # xi_DL by hand: eta of the NiO on top (G_A at 300 K), none at the SiO2 below
    t_n = afm.neel_temperature * (1 - afm.neel_thickness_scale / afm.thickness)
    tau = 300.0 / t_n
    g_a = afm.spin_conductance * (afm.paramagnetic_floor + (1 - afm.paramagnetic_floor) * (
        tau * math.exp(1 - tau)) ** afm.magnon_exponent) * (
        1 - math.exp(-afm.thickness / afm.magnon_length)) * (
        1 + afm.critical_weight / (1 + ((300.0 - t_n) / afm.critical_width) ** 2))
    g_f = 1 / (fm.resistivity * fm.spin_diffusion_length)
    r = fm.thickness / fm.spin_diffusion_length
    xi = -fm.spin_hall_angle * g_a / (g_a + g_f / math.tanh(r)) * (1 - 1 / math.cosh(r))
    m = fm.effective_magnetization
    b_res = 0.5 * (math.sqrt(m * m + 4 * (frequency / GAMMA_HZ) ** 2) - m)
    # d alpha_eff / dJ = sin(phi) hbar xi / (2 e (B + M_eff / 2) M_s t_F)  (Liu 2011)
    per_density = math.sin(math.pi / 4) * HBAR * xi / (
        2 * E * (b_res + m / 2) * fm.saturation_magnetization * fm.thickness)
    assert slope == pytest.approx(per_density / (bar.width * fm.thickness), rel=5e-3)
    # and the analysis' inversion of it gives xi back
    assert float(fmr.xi_from_damping_slope(
        slope, math.pi / 4, b_res, b_res + m, fm.saturation_magnetization, fm.thickness,
        bar.width * fm.thickness)) == pytest.approx(xi, rel=5e-3)


def test_the_rf_current_in_the_bar_is_below_the_generator_nominal():
    circuit = RFCircuit(impedance=50.0, loss_at_10ghz=3.0, pad_capacitance=20e-15)
    r = 350.0
    for frequency in (2e9, 18e9):
        v_inc = math.sqrt(2 * 1e-3 * 10 ** (10 / 10) * 50.0)  # 10 dBm, peak volts
        t = 10 ** (-3.0 * math.sqrt(frequency / 10e9) / 20)
        omega = 2 * math.pi * frequency
        expected = 2 * v_inc * t / abs(complex(r + 50.0, omega * r * 20e-15 * 50.0))
        assert circuit.bar_current(10.0, frequency, r) == pytest.approx(expected, rel=1e-12)
        assert circuit.bar_current(10.0, frequency, r) < nominal_bar_current(10.0, r)
    assert circuit.bar_current(10.0, 18e9, r) < circuit.bar_current(10.0, 2e9, r)
    assert nominal_bar_current(10.0, r) == pytest.approx(2 * 1.0 / 400.0)


def test_the_rf_heats_the_bar_and_shifts_the_resonance():
    params = preset("py-alox")
    field = 0.08 * np.array([math.cos(math.pi / 4), math.sin(math.pi / 4), 0.0])
    weak = rf_response(params, field, 8e9, 1e-4)
    strong = rf_response(params, field, 8e9, 20e-3)
    r_th = params.thermal.thermal_resistance
    from labspin.physics.properties import channel_resistance

    rise = strong.temperature - params.thermal.stage_temperature
    expected = r_th * 0.5 * (20e-3) ** 2 * channel_resistance(params, strong.temperature)
    assert rise == pytest.approx(expected, rel=1e-6) and rise > 10
    assert weak.temperature - params.thermal.stage_temperature < 1e-3


@pytest.mark.parametrize(("axis", "b_k"), [((0.0, 1.0, 0.0), 0.02), ((1.0, 0.0, 0.0), -0.02)])
@pytest.mark.parametrize("angle_deg", [20.0, 70.0])
def test_the_resonance_of_an_easy_x_or_y_bar_is_the_closed_form_s(axis, b_k, angle_deg):
    """The closed forms (labspin.physics.fmr, used by the fits) against the linearised LLG
    of the bench: a uniaxial axis along x also pulls m back into the plane (|B_K| cos^2
    phi out of the plane), so B_K sin^2 phi there would put |B_K| into M_eff."""
    params = cold(preset("py-alox"))
    params = params.with_(ferromagnet=params.ferromagnet.with_(
        anisotropy_field=abs(b_k), easy_axis=axis))
    m = params.ferromagnet.effective_magnetization
    *_, b_res, _ = fit_line(params, 10e9, angle_deg, stray=1e-3)
    closed = float(fmr.resonance_field(10e9, math.radians(angle_deg), m, b_k))
    assert b_res == pytest.approx(closed, abs=2e-5)  # damping and kappa shifts: microtesla
    # and it would see the |B_K| = 20 mT the old term put into M_eff (a 2 mT shift)
    assert abs(closed - float(fmr.resonance_field(10e9, math.radians(angle_deg), m + 0.02,
                                                  b_k))) > 1e-3
