"""What a bar's calibration can plausibly be, so that a slipped unit is refused.

A station file's calibration entry (``labspin.samples.Calibration``) and the ``labspin
fit`` options that stand for one (``--r-ahe``, ``--ms``, ...) take a number without a
unit as SI, as every quantity of labspin's files does (README: "a number (SI)"). A bare
``m_s: 800`` written by someone who thinks in kA/m is then 800 A/m, a thousand times too
small, and every xi_DL computed from it a thousand times too large, with an "ok" verdict:
nothing downstream can notice. So each quantity has the range a real film can have, and
a value outside it is refused with the value as read, the unit it was taken in and the
unit that would make it plausible (``did you mean '800 kA/m'?``), as device files do
(labspin.physics.device_values). The ranges are deliberately wide: they catch factors of
a thousand, they do not judge a material.

With the bar's geometry, R_AHE, R_PHE and dR/dT are also bounded by its sheet resistance
(:func:`sheet_bounds`): a two-terminal resistance R_2t over a bar of width w and probe
distance L bounds the sheet resistance, R_sq <= R_2t w / L (leads, contacts and the pads'
extra length only add to R_2t).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

#: an anomalous Hall angle rho_xy / rho_xx above 1 (0.2 is the largest of metallic
#: ferromagnets; only quantum anomalous Hall insulators, not FM/AFMI bars, reach 1)
MAX_HALL_ANGLE = 1.0
#: beta = d(rho)/dT / rho of a metal film: about 4e-3 1/K for bulk Fe, Co, Ni, Pt and
#: less in thin films; 0.01 1/K leaves room
MAX_RESISTANCE_COEFFICIENT = 0.01


@dataclass(frozen=True)
class Plausible:
    """The range of one calibration quantity (SI) and the units a slipped number is
    most likely written in."""

    name: str  # as notes write it: "M_s"
    unit: str  # SI unit (the parser's target)
    low: float
    high: float
    #: low/high bound |value| (the sign is free: R_AHE, R_PHE) rather than the value
    magnitude: bool
    #: units a number written without one was probably meant in, with their SI value
    slips: tuple[tuple[str, float], ...]
    why: str  # what a value in range is: "not <why> (<range>)"
    zero: bool = False  # 0 is a value too (R_PHE: "negligible", README)

    def contains(self, value: float) -> bool:
        if self.zero and value == 0:
            return True
        x = abs(value) if self.magnitude else value
        return self.low <= x <= self.high

    def show(self, value: float) -> str:
        return _engineering(value, self.unit)

    @property
    def range_text(self) -> str:
        span = f"{self.show(self.low)} to {self.show(self.high)}"
        return f"|{self.name}| {span}" if self.magnitude else span


PLAUSIBLE: dict[str, Plausible] = {
    # R_AHE of a Hall bar, rho_AHE / t: from tenths of a milliohm (thick or shunted films,
    # a magnetic insulator's spin Hall AHE on Pt) to kiloohms (sub-nm films of resistive
    # alloys; rho_AHE of 10 uohm cm over 0.5 nm is 2 kohm); a slip: mohm written bare
    "r_ahe": Plausible("R_AHE", "ohm", 1e-4, 1e4, True, (("mohm", 1e-3),),
                       "an anomalous Hall resistance of a ferromagnetic film"),
    # R_PHE = (rho_par - rho_perp) / (2 t): AMR of at most a few % of a sheet resistance
    # of at most tens of kohm; the same range as R_AHE
    "r_phe": Plausible("R_PHE", "ohm", 1e-5, 1e4, True, (("mohm", 1e-3),),
                       "a planar Hall amplitude of a ferromagnetic film", zero=True),
    # mu0 M_eff = mu0 M_s - B_K,perp: at most mu0 M_s of Fe65Co35, 2.45 T; perpendicular
    # films go negative, to about -1.5 T for Co/Pt and a few tesla for TbCo, -10 T for
    # L1_0 FePt; a slip: mT written bare (950 for 0.95 T)
    "m_eff": Plausible("M_eff", "T", -10.0, 3.0, False, (("mT", 1e-3),),
                       "mu0 M_eff of a ferromagnetic film, negative if perpendicular"),
    # M_s: 1.95 MA/m for Fe65Co35, the largest; tens of kA/m for a ferrimagnet near (not
    # at) compensation (GdFeCo, TbCo); slips: kA/m (= emu/cm^3) or MA/m written bare,
    # which land below 10 kA/m for any real value (a kA/m number is at most 2000)
    "m_s": Plausible("M_s", "A/m", 1e4, 3e6, False, (("kA/m", 1e3), ("MA/m", 1e6)),
                     "the saturation magnetization of a ferromagnetic film"),
    # dR/dT = beta R_xx: beta <= 0.01 1/K and R_xx of a Hall bar up to 1e5 ohm; a slip:
    # mohm/K written bare
    "dr_dt": Plausible("dR/dT", "ohm/K", 1e-6, 1e3, False, (("mohm/K", 1e-3),),
                       "dR/dT of a metal film's V_xx section"),
    # d ln I_c0/dT: -p / (T_C - T) near the Curie (or Neel) temperature, |p| <= 2; a bar
    # within 40 K of it has no usable threshold. A slip: %/K written bare (-0.4 for
    # -4e-3 1/K)
    "threshold_temperature_coefficient": Plausible(
        "d ln I_c0/dT", "1/K", -0.05, 0.05, False, (("%/K", 1e-2),),
        "the temperature coefficient of a switching threshold"),
}


def _engineering(value: float, unit: str) -> str:
    """800 A/m -> '800 A/m', 1e4 A/m -> '10 kA/m', 1e-4 ohm -> '0.1 mohm'."""
    if unit in ("1/K", "ohm/K") or value == 0 or not math.isfinite(value):
        return f"{value:.4g} {unit}"
    prefixes = ((1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "u"))
    scale, prefix = next(((s, p) for s, p in prefixes if abs(value) >= s), prefixes[-1])
    if unit == "T" and scale > 1:
        scale, prefix = 1.0, ""
    return f"{value / scale:.4g} {prefix}{unit}"


def written(raw: Any) -> tuple[str, bool]:
    """(the entry as written, whether it has no unit): ``800 ± 4`` -> ('800 ± 4', True)."""
    if isinstance(raw, dict):
        parts = [raw.get("value"), raw.get("stderr")]
        text = f"{raw.get('value')}" + (f" ± {raw['stderr']}" if raw.get("stderr")
                                         is not None else "")
        return text, all(_bare(p) for p in parts if p is not None)
    if isinstance(raw, str):
        parts = re.split(r"\s*(?:±|\+/-|\+-)\s*", raw.strip())
        return raw.strip(), all(_bare(p) for p in parts)
    return f"{raw:g}" if isinstance(raw, float) else str(raw), _bare(raw)


def _bare(part: Any) -> bool:
    if isinstance(part, bool):
        return False
    if isinstance(part, int | float):
        return True
    try:
        float(str(part).strip())
    except ValueError:
        return False
    return True


def _suggestion(spec: Plausible, value: float, text: str, bare: bool) -> str:
    """'800 ± 4 kA/m' when the number in a slipped unit is plausible, else ''."""
    for unit, scale in spec.slips:
        if bare and spec.contains(value * scale):
            return f"{text} {unit}"
    return ""


def implausible(key: str, value: float) -> str | None:
    """None when ``value`` (SI) is a plausible ``key``, else why not, with the unit the
    number was likely meant in: 'not the saturation magnetization of a ferromagnetic film
    (10 kA/m to 3 MA/m); as 800 kA/m it would be'."""
    spec = PLAUSIBLE[key]
    if spec.contains(value):
        return None
    meant = _suggestion(spec, value, f"{value:g}", True)
    return f"not {spec.why} ({spec.range_text})" + (
        f"; as {meant} it would be" if meant else "")


def check(key: str, value: float, raw: Any, *, bare_means: str = "a number without a "
          "unit") -> None:
    """Refuse a calibration value outside the range a real film can have (ValueError):
    the value as read, the unit it was taken in, the range and the unit it was likely
    meant in. ``key`` is a key of :data:`PLAUSIBLE`; ``raw`` the entry as written."""
    spec = PLAUSIBLE[key]
    if spec.contains(value):
        return
    text, bare = written(raw)
    read = f"{text} was read as {spec.show(value)}" + (
        f" ({bare_means} is in {spec.unit})" if bare else "")
    meant = _suggestion(spec, value, text, bare)
    fix = f"did you mean '{meant}'?" if meant else \
        f"is the unit right? Write it with its unit, e.g. '{_example(spec)}'"
    raise ValueError(f"{read}, not {spec.why} ({spec.range_text}); {fix}")


def _example(spec: Plausible) -> str:
    examples = {"r_ahe": "250 mohm", "r_phe": "40 mohm", "m_eff": "0.95 T",
                "m_s": "800 kA/m", "dr_dt": "0.4 ohm/K",
                "threshold_temperature_coefficient": "-4e-3 1/K"}
    return next(v for k, v in examples.items() if PLAUSIBLE[k] is spec)


def sheet_bounds(width: float, length: float, two_terminal: float | None
                 ) -> dict[str, tuple[float, str]]:
    """The largest R_AHE, R_PHE and dR/dT a bar of this geometry can show, with how it
    follows: R_sq <= R_2t w / L bounds them (README, "Samples and their calibration")."""
    if not two_terminal or not (width > 0 and length > 0):
        return {}
    sheet = two_terminal * width / length
    basis = (f"two_terminal_resistance {_engineering(two_terminal, 'ohm')} x width/length "
             f"({width * 1e6:.3g} um / {length * 1e6:.3g} um) bounds the sheet resistance")
    return {
        "r_ahe": (MAX_HALL_ANGLE * sheet, f"{basis} and an anomalous Hall angle is at "
                                          "most 1"),
        "r_phe": (sheet, f"{basis} and the planar Hall amplitude is a fraction of it"),
        "dr_dt": (MAX_RESISTANCE_COEFFICIENT * two_terminal,
                  f"R_xx is below the two_terminal_resistance "
                  f"{_engineering(two_terminal, 'ohm')} and d ln R/dT of a metal below "
                  f"{MAX_RESISTANCE_COEFFICIENT:g} 1/K"),
    }


def check_geometry(key: str, value: float, raw: Any, bound: float, basis: str) -> None:
    """Refuse |value| above the bar's own bound (``sheet_bounds``), naming it."""
    if abs(value) <= bound:
        return
    spec = PLAUSIBLE[key]
    text, bare = written(raw)
    read = f"{text} was read as {spec.show(value)}" + (
        f" (a number without a unit is in {spec.unit})" if bare else "")
    meant = ""
    for unit, scale in spec.slips:
        if bare and abs(value * scale) <= bound and spec.contains(value * scale):
            meant = f"{text} {unit}"
            break
    fix = f"did you mean '{meant}'?" if meant else \
        f"is the unit right, e.g. '{_example(spec)}'?"
    raise ValueError(f"{key}: {read}, more than this bar can show: at most "
                     f"{_engineering(bound, spec.unit)}, as {basis}; {fix}")
