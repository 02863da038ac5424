"""The ns-pulse regime of ``Device``: stochastic LLG of the bar's grains through a pulse."""

from __future__ import annotations

import numpy as np

from labspin.physics import llg
from labspin.physics.device import LLG_RELAX, LLG_SEGMENTS, Device
from labspin.physics.formulas import barrier_volume
from labspin.physics.properties import properties_at, temperature_during_pulse

_SIGMA = (0.0, 1.0, 0.0)


def pulse_llg(device: Device, amplitude: float, width: float) -> None:
    """Stochastic LLG of each occupied branch of ``device`` through the pulse and 5 ns
    after it; the grains end in the well their member ends in.

    The bar warms with the thermal time constant during the pulse, as in the activation
    regime: the pulse is integrated in ``LLG_SEGMENTS`` pieces, each with the properties
    (M_s, anisotropy, damping, torque, thermal field) at the bar's temperature in its
    middle. The macrospin volume is the one whose barrier is Delta_0 (it does not change
    with temperature: Delta M_s B_K V / 2 k_B T). Every piece draws its noise seed from
    the bar's generator."""
    u = device.easy_axis
    dt = 2e-13
    segment = width / LLG_SEGMENTS
    mids = (np.arange(LLG_SEGMENTS) + 0.5) * segment
    temps = temperature_during_pulse(device.params, amplitude, mids, device.stage_temperature)
    pieces = [(properties_at(device.params, float(t)), float(t), amplitude, segment)
              for t in temps]
    end = pieces[-1][0]
    pieces.append((end, float(temps[-1]), 0.0, LLG_RELAX))  # torques off, m settles
    volume = barrier_volume(end.barrier, end.saturation_magnetization,
                            end.anisotropy_field, float(temps[-1]))
    for s in (1, -1):
        members = np.flatnonzero(device.states == s)
        if members.size == 0:
            continue
        m = np.tile(device._branches.get(s, s * u), (members.size, 1))
        for props, temperature, current, duration in pieces:
            tr = props.transport
            problem = llg.MacrospinProblem(
                alpha=props.damping, b_applied=tuple(device.field),
                b_anisotropy=props.anisotropy_field, easy_axis=tuple(u),
                b_demag=props.demag_field, b_dl=tr.b_dl_per_ampere * current,
                b_fl=(tr.b_fl_per_ampere + tr.b_oersted_per_ampere) * current,
                sigma=_SIGMA, temperature=temperature,
                ms=props.saturation_magnetization, volume=volume)
            m = np.atleast_2d(llg.integrate_heun(problem, m, dt, max(round(duration / dt), 1),
                                                 seed=int(device.rng.integers(2**31))))
        device.states[members] = np.where(m @ u >= 0, 1, -1).astype(np.int8)
