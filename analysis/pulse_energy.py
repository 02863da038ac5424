"""Energy per switching event of a saved switching loop (README, "Which resistance every
energy uses").

The energy is E = I_c V t_p with V the voltage across the V_xx probes during the pulse:
the section of the bar between the probes, hot from the pulse. Where the run read that
voltage (the 6221's pulse-delta mode, the 2182A's channel 1 wired to the xx contacts,
``Pulse energy measured`` = 1), the bar's hot resistance is known at every pulse: the
conductance I/V is fitted as G_0 - c I^2 through them (a resistance that grows linearly
with the temperature, a temperature rise with the power) and E = I_c^2 R_hot(I_c) t_p,
with the errors of I_c and of that fit.

Where no voltage was read, the run's header gives only the two-terminal resistance
R_2t (``Two-terminal resistance for pulse energies``): the leads, the contacts and the
whole bar, cold. I_c^2 R_2t t_p is then an estimate of a different quantity: on the
simulated bench of acceptance tests it was 47 % above the probe-section energy. It is
given with a note naming it and a sigma that includes a relative uncertainty
:data:`R2T_RELATIVE` of the resistance. The run's verdict stays that of its thresholds:
the energy is a by-product of a switching loop, and a station wired for Hall readout (the
2182A's channel 1 on xy) cannot read it; the note and the sigma say what it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labspin.analysis.loaders import RunData

__all__ = ["MIN_MEASURED_PULSES", "R2T_RELATIVE", "HotResistance", "add_energies",
           "hot_resistance"]

#: relative sigma given to R_2t as a stand-in for the hot resistance between the V_xx
#: probes: leads, contacts and the bar beyond the probes are commonly a third to a half
#: of a two-terminal resistance, and the pulse heats the bar by tens of percent
R2T_RELATIVE = 0.5
#: pulses with a voltage needed for the hot-resistance fit (two parameters and a scatter)
MIN_MEASURED_PULSES = 3
R2T_LABEL = "Two-terminal resistance for pulse energies (ohm)"
_NAMES = (("energy_plus", "i_c_plus"), ("energy_minus", "i_c_minus"))


@dataclass
class HotResistance:
    """G(I) = G_0 - c I^2 fitted through the pulses with a measured voltage."""

    coef: np.ndarray  # (G_0, c)
    cov: np.ndarray  # their covariance
    pulses: int

    def at(self, current: float) -> tuple[float, float, float]:
        """R_hot(I), its sigma, and dR/dI."""
        point = np.array([1.0, -current**2])
        g = float(point @ self.coef)
        r = 1.0 / g
        r_err = float(np.sqrt(max(point @ self.cov @ point, 0.0))) * r**2
        return r, r_err, 2.0 * self.coef[1] * current * r**2


def hot_resistance(run: RunData) -> HotResistance | None:
    """The hot-resistance fit from the run's pulse voltages; None when fewer than
    :data:`MIN_MEASURED_PULSES` pulses had one."""
    data = run.data
    if "Pulse voltage (V)" not in data.columns or "Pulse current (A)" not in data.columns:
        return None
    i = data["Pulse current (A)"].to_numpy(float)
    v = data["Pulse voltage (V)"].to_numpy(float)
    ok = np.isfinite(i) & np.isfinite(v) & (i != 0) & (v != 0)
    if "Pulse energy measured" in data.columns:
        ok &= data["Pulse energy measured"].to_numpy(float) == 1
    if np.count_nonzero(ok) < MIN_MEASURED_PULSES:
        return None
    design = np.column_stack([np.ones(np.count_nonzero(ok)), -i[ok] ** 2])
    g = i[ok] / v[ok]
    coef, *_ = np.linalg.lstsq(design, g, rcond=None)
    resid = g - design @ coef
    try:
        cov = np.linalg.inv(design.T @ design) * float(resid @ resid) / max(g.size - 2, 1)
    except np.linalg.LinAlgError:
        return None
    if not (np.all(np.isfinite(coef)) and coef[0] > 0):
        return None
    return HotResistance(coef, cov, int(g.size))


def _pulse_width(run: RunData) -> float | None:
    value = run.parameters.get("Pulse width")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def add_energies(run: RunData, out: dict) -> str:
    """Set ``energy_plus``, ``energy_minus`` (J, with ``_stderr``) and ``energy_basis`` in
    the summary row ``out`` from its I_c+- (module doc); returns the note to add ("" for
    measured energies). An energy whose I_c is not determined is not determined."""
    t_p = _pulse_width(run)
    if t_p is None:
        return "no pulse width in the header: energies skipped"
    measured = hot_resistance(run)
    r_2t = run.metadata.get(R2T_LABEL)
    if measured is None and not (isinstance(r_2t, (int, float)) and r_2t > 0):
        return "no pulse voltage and no two-terminal resistance: energies skipped"
    undetermined = str(out.get("undetermined") or "").split(",")
    for name, source in _NAMES:
        current = abs(float(out.get(source, math.nan)))
        err = float(out.get(f"{source}_stderr", math.nan))
        if source in undetermined or not math.isfinite(current):
            value = sigma = math.nan
            if name not in undetermined:
                undetermined.append(name)
        elif measured is not None:
            r, r_err, dr_di = measured.at(current)
            value = current**2 * r * t_p
            d_di = (2 * current * r + current**2 * dr_di) * t_p
            sigma = math.hypot(d_di * err, current**2 * t_p * r_err)
        else:
            value = current**2 * float(r_2t) * t_p
            sigma = math.hypot(2 * current * float(r_2t) * t_p * err, value * R2T_RELATIVE)
        out[name], out[f"{name}_stderr"] = value, sigma
    out["undetermined"] = ",".join(n for n in undetermined if n)
    if measured is not None:
        out["energy_basis"] = (f"I_c V t_p, V across the V_xx probes during the pulse "
                               f"({measured.pulses} pulses read)")
        return ""
    out["energy_basis"] = f"estimate I_c^2 R_2t t_p, R_2t = {float(r_2t):.4g} ohm"
    return (f"energies are estimates I_c^2 R_2t t_p from the header's two-terminal "
            f"resistance ({float(r_2t):.4g} ohm, leads and whole bar, cold; can be far "
            "above the energy between the V_xx probes): no pulse voltage was read")
