"""Text for fitted quantities: which ones matter per kind of run, with SI prefixes.

Shared by ``labspin fit``, ``labspin report`` and ``labspin demo``; no plotting here.
"""

from __future__ import annotations

import math

#: per kind, the fitted quantities shown in titles and tables: (key, label, unit)
QUANTITIES = {
    "hall_loop": [("r_ahe", "R_AHE", "Ω"), ("b_c_plus", "B_c+", "T"),
                  ("b_c_minus", "B_c-", "T"), ("exchange_bias", "B_eb", "T")],
    "usmr_loop": [("step", "ΔR_2w", "Ω"), ("b_c_plus", "B_c+", "T"),
                  ("b_c_minus", "B_c-", "T")],
    "switching_loop": [("i_c_plus", "I_c+", "A"), ("i_c_minus", "I_c-", "A"),
                       ("j_c_plus", "J_c+", "A/m²"), ("j_c_minus", "J_c-", "A/m²")],
    "switching_probability": [("i_50", "I_50", "A"), ("i_c0", "I_c0", "A"),
                              ("delta_0", "Δ_0", "")],
    "harmonic_hall": [("b_dl", "B_DL", "T"), ("b_fl", "B_FL", "T"), ("r_phe", "R_PHE", "Ω"),
                      ("dl_amplitude_low", "A(B_low)", "V"),
                      ("fl_amplitude_low", "C(B_low)", "V")],
    "stfmr": [("alpha", "α", ""), ("m_eff", "μ0M_eff", "T"), ("xi_fmr", "ξ_FMR", ""),
              ("linewidth_0", "ΔB_0", "T"), ("b_k", "B_K", "T")],
}


def si(value: float, unit: str, digits: int = 3) -> str:
    """1.2e-8 J -> '12 nJ' (densities in plain scientific notation)."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "A/m²":
        return f"{value:.{digits}g} {unit}"
    if unit == "":  # dimensionless (alpha, xi): no SI prefix
        return f"{value:.{digits}g}"
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


def format_quantities(row: dict, *, errors: bool = True) -> list[str]:
    """The main fitted quantities of a summary row as text, "B_c+ = 4.1 mT ± 0.2 mT"."""
    parts = []
    for key, label, unit in QUANTITIES.get(row.get("kind"), []):
        value = number(row, key)
        if value is None:
            continue
        text = f"{label} = {si(value, unit)}"
        err = number(row, f"{key}_stderr")
        if errors and err:
            text += f" ± {si(err, unit, 2)}"
        parts.append(text)
    return parts
