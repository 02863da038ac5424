"""Text for fitted quantities: which ones matter per kind of run, with SI prefixes, and
the verdict of a fit in words.

Shared by ``labspin fit``, ``labspin report``, the GUI and ``labspin demo``; no plotting
here. A quantity that is not determined (:mod:`labspin.analysis.verdicts`) is written
"not determined", never as a number.
"""

from __future__ import annotations

import math

from labspin.analysis.verdicts import (
    OK,
    POOR,
    UNDETERMINED,
    is_undetermined,
    undetermined_names,
)

#: per kind, the fitted quantities shown in titles and tables: (key, label, unit)
QUANTITIES = {
    "hall_loop": [("r_ahe", "R_AHE", "Ω"), ("b_c_plus", "B_c+", "T"),
                  ("b_c_minus", "B_c-", "T"), ("exchange_bias", "B_eb", "T")],
    "usmr_loop": [("step", "ΔR_2w", "Ω"), ("b_c_plus", "B_c+", "T"),
                  ("b_c_minus", "B_c-", "T")],
    "switching_loop": [("i_c_plus", "I_c+", "A"), ("i_c_minus", "I_c-", "A"),
                       ("j_c_plus", "J_c+", "A/m²"), ("j_c_minus", "J_c-", "A/m²")],
    "switching_probability": [("i_50", "I_50", "A"), ("i_c0", "I_c0", "A"),
                              ("delta_0", "Δ_0", ""),
                              ("i_c0_corrected", "I_c0 (Joule-corrected)", "A"),
                              ("delta_0_corrected", "Δ_0 (Joule-corrected)", "")],
    "harmonic_hall": [("b_dl", "B_DL", "T"), ("b_fl", "B_FL", "T"), ("xi_dl", "ξ_DL", ""),
                      ("r_phe", "R_PHE", "Ω"), ("dl_amplitude_low", "A(B_low)", "V"),
                      ("fl_amplitude_low", "C(B_low)", "V")],
    "pulse_sequence": [("contrast", "ΔR", "Ω"), ("state_changes", "state changes", "")],
    "stfmr": [("alpha", "α", ""), ("m_eff", "μ0M_eff", "T"), ("xi_fmr", "ξ_FMR", ""),
              ("linewidth_0", "ΔB_0", "T"), ("b_k", "B_K", "T")],
}
#: other quantities' units, for reasons and axes
_UNITS = {"exchange_bias": "T", "coercivity": "T", "half_step": "Ω", "r_ohe": "Ω/T",
          "i_c": "A", "energy_plus": "J", "energy_minus": "J", "b_dl_per_ampere": "T/A",
          "b_fl_per_ampere": "T/A", "level_high": "Ω", "level_low": "Ω", "r_ahe": "Ω",
          "apparent_x": "T", "apparent_y": "T", "b_longitudinal": "T", "b_transverse": "T",
          "read_noise": "Ω", "step": "Ω", "pulse_temperature": "K",
          "stage_temperature": "K"}
#: colours of the verdicts (text on white, and the boxes on figures)
VERDICT_COLOURS = {OK: "#1b7f3b", POOR: "#d97000", UNDETERMINED: "#c62828"}


def unit_of(kind: str, name: str) -> str:
    """The unit of a quantity of a kind of run ("" when dimensionless or unknown)."""
    for key, _, unit in QUANTITIES.get(kind, []):
        if key == name:
            return unit
    if name.startswith("i_50_"):
        return "A"
    return _UNITS.get(name, "")


def si(value: float, unit: str, digits: int = 3) -> str:
    """1.2e-8 J -> '12 nJ' (densities in plain scientific notation)."""
    if value is None or not math.isfinite(value):
        return "—"
    if not unit:
        return f"{value:.{digits}g}"
    if unit == "A/m²":
        return f"{value:.{digits}g} {unit}"
    if value == 0:
        return f"0 {unit}"
    scale, prefix = 1e-15, "f"
    for s, p in ((1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"),
                 (1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")):
        if abs(value) >= s:
            scale, prefix = s, p
    text = f"{value / scale:.{digits}g}"
    if "e" in text:  # 530 with 2 digits: "530", not "5.3e+02"
        text = f"{value / scale:.0f}"
    return f"{text} {prefix}{unit}"


def number(row: dict, key: str) -> float | None:
    try:
        value = float(row.get(key))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _label(row: dict, key: str, label: str) -> str:
    if key == "i_50" and number(row, "pulse_width_0") is not None:
        return f"I_50({si(number(row, 'pulse_width_0'), 's')})"
    return label


def format_quantities(row: dict, *, errors: bool = True) -> list[str]:
    """The main fitted quantities of a summary row as text, "B_c+ = 4.1 mT ± 0.2 mT";
    "B_c-: not determined" for one the verdict takes away (the reason is in the
    verdict). Quantities the row does not hold are left out."""
    parts = []
    for key, label, unit in QUANTITIES.get(row.get("kind"), []):
        if key not in row:
            continue
        label = _label(row, key, label)
        if is_undetermined(row, key):
            if key in undetermined_names(row) or row.get("verdict") == UNDETERMINED:
                parts.append(f"{label}: not determined")
            continue  # a quantity the fit skipped (a note says why)
        value = number(row, key)
        text = f"{label} = {si(value, unit)}"
        err = number(row, f"{key}_stderr")
        if errors and err:
            text += f" ± {si(err, unit, 2)}"
        parts.append(text)
    return parts


def verdict_of(row: dict) -> str:
    """The row's verdict; "not determined" for a row that has none and was not fitted."""
    verdict = row.get("verdict")
    if verdict in VERDICT_COLOURS:
        return verdict
    return OK if row.get("fitted") else UNDETERMINED


def reason_of(row: dict) -> str:
    reason = row.get("verdict_reason")
    if isinstance(reason, str) and reason:
        return reason
    error = row.get("error")
    return str(error) if isinstance(error, str) and error else ""


def verdict_text(row: dict) -> str:
    """"ok", "poor: <reason>" or "not determined: <reason>"."""
    verdict, reason = verdict_of(row), reason_of(row)
    return verdict if verdict == OK or not reason else f"{verdict}: {reason}"
