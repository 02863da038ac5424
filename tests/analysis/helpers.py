"""Simulation helpers shared by the analysis round-trip tests."""

from __future__ import annotations

import math

import numpy as np

from labspin.physics import preset
from labspin.physics.constants import E_CHARGE, HBAR

#: 1-sigma intervals should contain the truth in about 68 % of repeated fits.
COVERAGE = (0.55, 0.85)
N_SEEDS = 50


def quiet(name: str):
    """A preset without anomalous Nernst voltages."""
    params = preset(name)
    return params.with_(readout=params.readout.with_(nernst_coefficient=0.0))


def cold(name: str, grains: int = 1, dispersion: float = 0.0, **kinetics):
    """A preset without Joule heating, field-like torque or grain scatter: the textbook
    case of the activation law (as in tests/physics/test_switching.py)."""
    params = preset(name)
    return params.with_(
        ferromagnet=params.ferromagnet.with_(field_like_ratio=0.0),
        thermal=params.thermal.with_(thermal_resistance=1e-9),
        kinetics=params.kinetics.with_(grains=grains, dispersion=dispersion, **kinetics))


def coverage(results: list[dict], name: str, truth: float) -> float:
    """Share of fits whose 1-sigma interval of ``name`` contains ``truth``."""
    hits = [abs(r[name] - truth) <= r[f"{name}_stderr"] for r in results]
    return float(np.mean(hits))


def torques_by_hand(params, current: float) -> dict:
    """xi_DL, B_DL and B_FL (T) of a bar with an oxide on one side and a spin sink of
    conductance G on the other, at ``current`` (A), written out from PHYSICS.md (not
    through labspin.physics): eta = G / (G + g_F coth(t/lambda)), xi = theta eta
    (1 - sech(t/lambda)) with the sink's sign, B_DL = hbar xi j / (2 e M_s t)."""
    fm = params.ferromagnet
    ratio = fm.thickness / fm.spin_diffusion_length
    g_f = 1.0 / (fm.resistivity * fm.spin_diffusion_length)
    g_c = params.top.spin_conductance
    eta = g_c / (g_c + g_f / math.tanh(ratio))
    xi = fm.spin_hall_angle * (0.0 - eta) * (1.0 - 1.0 / math.cosh(ratio))
    j = current / (params.hall_bar.width * fm.thickness)
    b_dl = HBAR * xi * j / (2 * E_CHARGE * fm.saturation_magnetization * fm.thickness)
    return {"xi_dl": xi, "b_dl": b_dl, "b_fl": fm.field_like_ratio * b_dl, "j": j}


def angle_scans(params, fields, angles, current: float) -> np.ndarray:
    """Noise-free Avci angle scans of the device model: rows (B, phi, V_xy^2w, R_xy^1w)
    for an in-plane field of each magnitude at each angle (seed 0 bar)."""
    from labspin.physics import Device

    device = Device(params, seed=0)
    rows = []
    for b in fields:
        for a in angles:
            device.set_field((b * math.cos(a), b * math.sin(a), 0.0))
            h = device.harmonic_voltages(current, n_phase=8)
            rows.append((b, a, h.xy_2w, h.xy_1w / current))
    return np.array(rows)


def field_sweeps(device, sweep, current: float, n_phase: int = 8):
    """Noise-free Hayashi sweeps of the device model: for the field along x, then y, the
    arrays (V_xy^1w, V_xy^2w) at each field of ``sweep``."""
    out = []
    for axis in (0, 1):
        v1, v2 = [], []
        for b in sweep:
            field = [0.0, 0.0, 0.0]
            field[axis] = b
            device.set_field(field)
            h = device.harmonic_voltages(current, n_phase=n_phase)
            v1.append(h.xy_1w)
            v2.append(h.xy_2w)
        out.append((np.array(v1), np.array(v2)))
    return out
