"""Temperature laws of the layer properties (labspin.physics.materials; docs/physics-notes.md)."""

import numpy as np
import pytest

from labspin.physics import preset, spin_transport
from labspin.physics.materials import (
    afm_spin_conductance,
    neel_temperature,
    reduced_magnetization,
    resistivity,
    spin_diffusion_length,
)


def test_elliott_yafet_keeps_lambda_rho_and_so_the_fm_spin_conductance():
    fm = preset("py-nio").ferromagnet
    for t in (150.0, 300.0, 450.0):
        rho = resistivity(fm.resistivity, fm.resistivity_temperature_coefficient, t)
        assert rho * spin_diffusion_length(fm, t) == pytest.approx(
            fm.resistivity * fm.spin_diffusion_length)
    assert spin_diffusion_length(fm, 400.0) < fm.spin_diffusion_length  # more scattering


def test_magnetization_follows_bloch_at_low_temperature_and_vanishes_at_curie():
    t_c = 850.0
    low = np.array([10.0, 20.0, 40.0])
    deficit = 1 - reduced_magnetization(low, t_c)
    assert deficit[1] / deficit[0] == pytest.approx(2**1.5, rel=1e-3)  # T^(3/2)
    assert reduced_magnetization(t_c, t_c) == 0.0


@pytest.mark.parametrize("changes", [{}, {"magnon_exponent": 2.0}, {"neel_temperature": 330.0},
                                     {"critical_width": 40.0}, {"critical_weight": 0.0}])
def test_spin_absorption_peaks_exactly_at_the_film_neel_temperature(changes):
    afm = preset("py-coo").top.with_(**changes)
    t_n = neel_temperature(afm)
    temps = np.arange(t_n - 80, t_n + 80, 0.1)
    g = np.array([afm_spin_conductance(afm, t) for t in temps])
    assert temps[np.argmax(g)] == pytest.approx(t_n, abs=0.1)
    if changes.get("critical_weight", 1.0):
        # the critical enhancement: twice the magnon hump at T_N (w = 1)
        hump = afm.with_(critical_weight=0.0)
        assert afm_spin_conductance(afm, t_n) == pytest.approx(
            2 * afm_spin_conductance(hump, t_n))


def test_room_temperature_nio_torque_is_as_calibrated():
    """T_N of the NiO film (497 K) is 8 widths away: the critical factor adds 1.6 %."""
    assert spin_transport(preset("py-nio")).xi_dl == pytest.approx(-0.0377, abs=5e-4)
