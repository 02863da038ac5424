"""The measured bar's calibration, read from a run header, as inputs of the fits.

labspin writes the calibration of the bar it measured (the station file's sample,
:mod:`labspin.samples`) into every run header, one entry per quantity with its standard
uncertainty, "not given" when the station file has none::

    #	Calibration R_AHE: 2.1 ohm
    #	Calibration R_AHE stderr: 0.02 ohm
    #	Calibration M_eff: 0.95 T
    #	Calibration dR/dT: 0.41 ohm/K
    #	Calibration d ln I_c0/dT: -0.0052 1/K

What the fits take from it (each overridden by the option of the same name):
R_AHE, R_PHE, M_eff and M_s for the harmonic-Hall torques and xi_DL (Avci, Hayashi),
M_s for the ST-FMR xi when the run has no "Sample M_s" of its own, dR/dT and
d ln I_c0/dT for the Joule-heating correction of I_c0 (switching probability). The
uncertainties go into the fits' sigmas.
"""

from __future__ import annotations

import math
from typing import Any

from labspin.analysis.loaders import RunData

#: fit input -> (header label, unit): procedures/base.py CALIBRATION_HEADER writes them
CALIBRATION: dict[str, tuple[str, str]] = {
    "r_ahe": ("Calibration R_AHE", "ohm"),
    "r_phe": ("Calibration R_PHE", "ohm"),
    "m_eff": ("Calibration M_eff", "T"),
    "ms": ("Calibration M_s", "A/m"),
    "dr_dt": ("Calibration dR/dT", "ohm/K"),
    "threshold_coefficient": ("Calibration d ln I_c0/dT", "1/K"),
}
#: header label -> unit, for summary columns of runs that have "not given"
CALIBRATION_UNITS = {label: unit for label, unit in CALIBRATION.values()} | {
    f"{label} stderr": unit for label, unit in CALIBRATION.values()}
#: what each kind of run takes from the calibration
USED_BY = {"harmonic_hall": ("r_ahe", "r_phe", "m_eff", "ms"),
           "switching_probability": ("dr_dt", "threshold_coefficient"),
           "stfmr": ("ms",)}
#: how the notes name them
NAMES = {"r_ahe": "R_AHE", "r_phe": "R_PHE", "m_eff": "M_eff", "ms": "M_s", "dr_dt": "dR/dT",
         "threshold_coefficient": "d ln I_c0/dT"}


def _number(run: RunData, label: str, unit: str) -> float | None:
    value = run.metadata.get(label)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or run.units.get(label, "") != unit:
        return None  # another writer's unit: not guessed
    return float(value)


def header_calibration(run: RunData) -> dict[str, tuple[float, float]]:
    """Fit input -> (value, stderr) for every calibration entry the header gives (stderr
    0.0 when the station file gave none)."""
    out = {}
    for name, (label, unit) in CALIBRATION.items():
        value = _number(run, label, unit)
        if value is not None:
            stderr = _number(run, f"{label} stderr", unit)
            out[name] = (value, abs(stderr) if stderr is not None else 0.0)
    return out


def calibrated_inputs(run: RunData, kind: str, given: dict[str, float | None]
                      ) -> tuple[dict[str, Any], str]:
    """The calibration inputs of a fit of ``kind``: each ``given`` value (an option) wins,
    else the header's with its ``<name>_stderr``. Returns the inputs (every name of
    :data:`CALIBRATION`, None when neither gives it) and a note naming what came from
    the header ("" when nothing)."""
    header = header_calibration(run)
    refused = _implausible(header)
    inputs: dict[str, Any] = {}
    used, options = [], []
    own_ms = run.parameters.get("Sample M_s")  # an ST-FMR run's own M_s wins
    for name in CALIBRATION:
        value = given.get(name)
        if value is not None:
            inputs[name], inputs[f"{name}_stderr"] = float(value), 0.0
            if name in USED_BY.get(kind, ()):
                options.append(_given_note(name, float(value), header.get(name)))
        elif name in header and not (name == "ms" and kind == "stfmr" and isinstance(
                own_ms, int | float) and own_ms > 0):
            inputs[name], inputs[f"{name}_stderr"] = header[name]
            if name in USED_BY.get(kind, ()):
                used.append(NAMES[name])
        else:
            inputs[name], inputs[f"{name}_stderr"] = None, 0.0
    parts = [f"{why}: not used, give {OPTIONS[name]}" for name, why in refused.items()
             if name in USED_BY.get(kind, ()) and given.get(name) is None]
    if used:
        parts.append("from the sample's calibration in the run header: " + ", ".join(used))
    if options:
        parts.append("given as options, without an uncertainty (not in the sigmas): "
                     + ", ".join(options))
    return inputs, "; ".join(parts)


#: the station file's key of each calibration input (labspin.calibration_ranges)
STATION_KEYS = {"r_ahe": "r_ahe", "r_phe": "r_phe", "m_eff": "m_eff", "ms": "m_s",
                "dr_dt": "dr_dt", "threshold_coefficient": "threshold_temperature_coefficient"}


def _implausible(header: dict[str, tuple[float, float]]) -> dict[str, str]:
    """Header entries no film can have (a station file's number written without its unit,
    before station files refused it), removed from ``header``: name -> why."""
    from labspin.calibration_ranges import implausible

    out = {}
    for name, (value, _) in list(header.items()):
        label, unit = CALIBRATION[name]
        why = implausible(STATION_KEYS[name], value)
        if why is not None:
            out[name] = (f"the header's {label}, {value:.6g} {unit}, is {why} (a number "
                         "written without its unit in the station file?)")
            del header[name]
    return out


#: the ``labspin fit`` option of each calibration input
OPTIONS = {"r_ahe": "--r-ahe", "r_phe": "--r-phe", "m_eff": "--m-eff", "ms": "--ms",
           "dr_dt": "--dr-dt", "threshold_coefficient": "--threshold-coefficient"}


def _given_note(name: str, value: float, header: tuple[float, float] | None) -> str:
    """'R_PHE = 2.18 ohm by --r-phe (the header's calibration has none)'."""
    from labspin.analysis.formatting import si

    unit = CALIBRATION[name][1]
    shown = si(value, unit) if unit in ("ohm", "T", "A/m") else f"{value:.4g} {unit}"
    if header is None:
        also = "the header's calibration has none"
    else:
        theirs = si(header[0], unit) if unit in ("ohm", "T", "A/m") else \
            f"{header[0]:.4g} {unit}"
        also = "as the header's calibration" if math.isclose(header[0], value, rel_tol=1e-9) \
            else f"the header's calibration, {theirs}, not used"
    return f"{NAMES[name]} = {shown} by {OPTIONS[name]} ({also})"
