"""Symmetry rules and limits of the magnonic spin-dissipation torque (PHYSICS.md)."""

import math
from itertools import pairwise

import numpy as np
import pytest

from labspin.physics import OxideCap, preset, spin_transport
from labspin.physics.constants import MU0
from labspin.physics.formulas import spin_pumping_damping
from labspin.physics.materials import afm_spin_conductance, neel_temperature


def with_sink(conductance: float, *, side: str = "top"):
    device = preset("py-nio")
    nio = device.top.with_(spin_conductance=conductance)
    cap = OxideCap("AlOx", 2e-9)
    return device.with_(top=nio if side == "top" else cap,
                        bottom=nio if side == "bottom" else cap)


def test_flipping_the_stack_flips_xi():
    device = preset("py-nio")
    xi = spin_transport(device).xi_dl
    assert xi < -0.02
    assert spin_transport(device.flipped()).xi_dl == pytest.approx(-xi, rel=1e-12)


def test_afmi_on_both_sides_or_neither_gives_no_torque():
    device = preset("py-nio")
    both = device.with_(bottom=device.top)
    assert abs(spin_transport(both).xi_dl) < 1e-12
    assert abs(spin_transport(preset("py-alox")).xi_dl) < 1e-12


def test_torque_is_linear_in_weak_absorption_and_saturates_when_strong():
    fm = preset("py-nio").ferromagnet
    g_f = 1 / (fm.resistivity * fm.spin_diffusion_length)
    weak = [abs(spin_transport(with_sink(g)).xi_dl) for g in (1e-4 * g_f, 2e-4 * g_f)]
    assert weak[1] / weak[0] == pytest.approx(2.0, rel=1e-3)
    strong = [abs(spin_transport(with_sink(g)).xi_dl) for g in (1e3 * g_f, 1e4 * g_f)]
    assert strong[1] / strong[0] == pytest.approx(1.0, abs=2e-3)
    # the saturated value is theta_F (1 - sech(t/lambda))
    ratio = fm.thickness / fm.spin_diffusion_length
    limit = fm.spin_hall_angle * (1 - 1 / math.cosh(ratio))
    assert strong[1] == pytest.approx(limit, rel=2e-3)


def test_more_spin_loss_raises_torque_and_damping_together():
    rows = [spin_transport(with_sink(g)) for g in (1e14, 5e14, 2e15, 8e15)]
    assert all(abs(b.xi_dl) > abs(a.xi_dl) for a, b in pairwise(rows))
    assert all(b.damping > a.damping for a, b in pairwise(rows))


def test_damping_increase_follows_spin_pumping_formula():
    device = preset("py-nio")
    tr = spin_transport(device)
    g_pump = device.top.pumping_fraction * afm_spin_conductance(device.top, 300.0)
    expected = spin_pumping_damping(g_pump, tr.saturation_magnetization,
                                    device.ferromagnet.thickness)
    assert tr.damping - tr.damping_intrinsic == pytest.approx(expected, rel=1e-9)


def test_no_oersted_field_without_a_heavy_metal():
    for name in ("py-nio", "py-alox", "py-coo", "cofeb-nio-pma"):
        tr = spin_transport(preset(name))
        assert tr.b_oersted_per_ampere == 0.0
        assert tr.fm_current_fraction == 1.0


def test_heavy_metal_shunts_current_and_makes_a_sheet_oersted_field():
    device = preset("pt-py")
    tr = spin_transport(device)
    fm, pt = device.ferromagnet, device.bottom
    g_fm, g_pt = fm.thickness / fm.resistivity, pt.thickness / pt.resistivity
    assert tr.fm_current_fraction == pytest.approx(g_fm / (g_fm + g_pt), rel=1e-9)
    # Pt below the FM, current along +x: B_y = -mu0 I_Pt / (2 w)
    expected = -MU0 * (1 - tr.fm_current_fraction) / (2 * device.hall_bar.width)
    assert tr.b_oersted_per_ampere == pytest.approx(expected, rel=1e-9)
    assert spin_transport(device.flipped()).b_oersted_per_ampere == pytest.approx(-expected)


def test_afmi_conductance_peaks_near_the_film_neel_temperature():
    afm = preset("py-coo").top
    t_n = neel_temperature(afm)
    temps = np.linspace(0.3 * t_n, 2.0 * t_n, 400)
    g = np.array([afm_spin_conductance(afm, t) for t in temps])
    assert temps[np.argmax(g)] == pytest.approx(t_n, rel=0.01)
    assert g[0] < 0.5 * g.max() and g[-1] < 0.8 * g.max()


def test_thin_afmi_has_lower_neel_temperature_and_absorbs_less():
    afm = preset("py-nio").top
    thin, thick = afm.with_(thickness=1.5e-9), afm.with_(thickness=20e-9)
    assert neel_temperature(thin) < neel_temperature(thick) < afm.neel_temperature
    g_thin = afm_spin_conductance(thin, neel_temperature(thin))
    g_thick = afm_spin_conductance(thick, neel_temperature(thick))
    assert g_thin < 0.6 * g_thick
    # saturation over the magnon length: 20 nm and 40 nm absorb the same at their T_N
    thicker = afm.with_(thickness=40e-9)
    assert afm_spin_conductance(thicker, neel_temperature(thicker)) == pytest.approx(g_thick,
                                                                                     rel=1e-4)


def test_torque_of_py_coo_is_largest_near_room_temperature():
    device = preset("py-coo")
    temps = [150, 250, 280, 320, 400, 500]
    xi = [abs(spin_transport(device, t).xi_dl) for t in temps]
    peak = temps[int(np.argmax(xi))]
    assert 250 <= peak <= 320
