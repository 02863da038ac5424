"""Readout and harmonic signals against the closed forms they must reduce to."""

import numpy as np
import pytest

from labspin.physics import Device, preset
from labspin.physics.properties import properties_at


def quiet(name: str):
    """A preset without Nernst voltages, so the harmonic signals are purely resistive."""
    device = preset(name)
    return device.with_(readout=device.readout.with_(nernst_coefficient=0.0))


def test_amr_and_planar_hall_follow_m():
    dev = Device(quiet("py-nio"), seed=0)
    r0 = properties_at(dev.params, dev.temperature(1e-4)).channel_resistance
    ro = dev.params.readout
    along_y = dev.resistances(1e-4)
    dev.set_field((0.2, 0.0, 0.0))  # saturate along x (hard axis)
    along_x = dev.resistances(1e-4)
    assert along_x.xx - along_y.xx == pytest.approx(r0 * (ro.amr_ratio + ro.smr_ratio), rel=1e-3)
    dev.set_field((np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0))  # 1 T: m follows the field
    # R_PHE sin^2(theta) sin(2 phi) with R_PHE = dR_AMR w / (2 L): at phi = 45 deg, R_PHE
    r_phe = ro.amr_ratio * r0 * dev.params.hall_bar.width / (2 * dev.params.hall_bar.length)
    offset = dev.params.hall_bar.hall_misalignment * r0
    assert dev.resistances(1e-4).xy - offset == pytest.approx(r_phe, rel=2e-3)


def test_anomalous_hall_loop_of_the_perpendicular_magnet():
    dev = Device(quiet("cofeb-nio-pma"), seed=0)
    up = dev.resistances(1e-4).xy
    dev.set_field((0, 0, -0.3))  # far beyond the nucleation field
    dev.set_field((0, 0, 0.0))
    down = dev.resistances(1e-4).xy
    assert up - down == pytest.approx(2 * dev.params.readout.anomalous_hall, rel=1e-4)


def test_second_harmonic_equals_the_two_point_formula():
    dev = Device(quiet("py-nio"), seed=0)
    dev.set_field((0.05 * np.cos(0.7), 0.05 * np.sin(0.7), 0.0))
    i0 = 1e-3
    h = dev.harmonic_voltages(i0)
    plus, minus = dev.resistances(i0), dev.resistances(-i0)
    assert h.xy_2w == pytest.approx(i0 * (plus.xy - minus.xy) / 4, rel=1e-3)
    assert h.xx_2w == pytest.approx(i0 * (plus.xx - minus.xx) / 4, rel=1e-3)
    assert h.xx_1w == pytest.approx(i0 * dev.resistances(0.0).xx, rel=1e-3)


def test_usmr_second_harmonic_is_odd_in_m_y_and_has_the_model_size():
    params = quiet("py-nio")
    i0 = 1.3e11 * params.hall_bar.width * params.ferromagnet.thickness  # the paper's J_AC
    dev = Device(params, seed=0, initial_state=1)
    up = dev.harmonic_voltages(i0).xx_2w
    dev.reset(-1)
    down = dev.harmonic_voltages(i0).xx_2w
    assert down == pytest.approx(-up, rel=1e-3)
    props = properties_at(params, dev.temperature(i0 / np.sqrt(2)))
    tr = props.transport
    j0 = i0 / (params.hall_bar.width * tr.conducting_thickness)
    expected = -i0 * props.channel_resistance * params.readout.usmr_efficiency * tr.xi_dl * j0 / 2
    assert up == pytest.approx(expected, rel=0.02)
    # and no USMR without net spin loss
    alox = Device(quiet("py-alox"), seed=0)
    assert abs(alox.harmonic_voltages(i0).xx_2w) < 1e-3 * abs(up)


@pytest.mark.parametrize("b_ext", [0.2, 0.4])
def test_in_plane_harmonic_hall_angle_scan_has_avci_form(b_ext):
    """V_2w = (I0^2/2) [R_AHE B_DL/(B + M_eff) cos(phi) + 2 R_PHE B_y/B (2cos^3 - cos)]
    per ampere squared (Avci et al., PRB 90, 224427 (2014), our sign conventions).

    The closed form neglects the in-plane anisotropy B_K against B (it leaks the large
    field-like term into the cos(phi) part by about B_K/B), so this device has almost
    none."""
    params = quiet("py-nio")
    params = params.with_(thermal=params.thermal.with_(thermal_resistance=1e-9),
                          ferromagnet=params.ferromagnet.with_(anisotropy_field=1e-4))
    dev = Device(params, seed=0)
    i0 = 2e-3
    phis = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    v2 = []
    for phi in phis:
        dev.set_field((b_ext * np.cos(phi), b_ext * np.sin(phi), 0.0))
        v2.append(dev.harmonic_voltages(i0, n_phase=16).xy_2w)
    basis = np.column_stack([np.cos(phis), 2 * np.cos(phis) ** 3 - np.cos(phis)])
    (a_dl, a_fl), *_ = np.linalg.lstsq(basis, np.array(v2), rcond=None)
    props = properties_at(params, 300.0)
    tr = props.transport
    r0 = props.channel_resistance
    r_phe = params.readout.amr_ratio * r0 * params.hall_bar.width / (2 * params.hall_bar.length)
    expected_dl = i0**2 / 2 * params.readout.anomalous_hall * tr.b_dl_per_ampere / (
        b_ext + props.demag_field)
    expected_fl = i0**2 / 2 * 2 * r_phe * (tr.b_fl_per_ampere + tr.b_oersted_per_ampere) / b_ext
    assert a_dl == pytest.approx(expected_dl, rel=0.03)
    assert a_fl == pytest.approx(expected_fl, rel=0.05)
