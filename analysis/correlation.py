"""The paper's correlation on one chip: spin loss, torque and switching of each bar.

Choi et al. (2025) argue that more magnonic spin loss gives a larger damping-like torque
and so switching with less current. On a chip of FM/AFMI bars of several AFMI
thicknesses (and a control bar without the AFMI) labspin measures the three with three
techniques, and this module puts them side by side from the batch summary of the runs
(:func:`labspin.analysis.batch.fit_many`), per bar (the header's ``Sample``):

* the spin loss as damping: alpha from ST-FMR (``STFMR`` runs), and Delta alpha =
  alpha(bar) - alpha(control), the damping the AFMI adds (spin pumping; Tserkovnyak et
  al., PRL 88, 117601 (2002));
* the torque: xi_DL from harmonic-Hall angle scans (``HarmonicHall``, Avci et al. 2014);
* the switching: J_c of current loops (``SwitchingLoop``), the fitted single-pulse I_c
  (mean of the two polarities) over the bar's width times its conducting thickness,
  both from the run header, at the loops' pulse width.

Each value carries its sigma and its verdict (ok, poor, not determined; a verdict
reason naming another quantity of the same run, such as xi_fmr of an ST-FMR run without
DC bias, does not count against this one); repeated runs of a bar are combined as the
thickness trend of ``labspin fit --series`` combines them (weighted mean with the Birge
ratio, :mod:`labspin.analysis.stages`). A value that is not determined has no number.
When the runs come from the simulated bench, the model's value stands beside each
(:mod:`labspin.analysis.correlation_model`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from labspin.analysis.correlation_model import bar_model, finite_number
from labspin.analysis.formatting import reason_of, verdict_of
from labspin.analysis.stages import StageError, _combine
from labspin.analysis.verdicts import LEVELS, OK, POOR, UNDETERMINED, is_undetermined

__all__ = ["NOT_MEASURED", "QUANTITIES", "REFERENCE", "Bar", "Correlation", "Value",
           "correlation_stage"]

NOT_MEASURED, REFERENCE = "not measured", "reference"
#: key -> (label, unit); the order of the table
QUANTITIES = {"alpha": ("α (ST-FMR)", ""), "delta_alpha": ("Δα", ""),
              "xi_dl": ("ξ_DL (harmonic Hall)", ""), "j_c": ("J_c (loop)", "A/m²")}
#: kind of run and summary column of each measured quantity, and the quantities of that
#: kind whose verdict reasons concern it
_SOURCES = {"alpha": ("stfmr", "alpha", {"alpha"}),
            "xi_dl": ("harmonic_hall", "xi_dl", {"xi_dl", "b_dl", "b_dl_per_ampere",
                                                  "apparent_x"}),
            "j_c": ("switching_loop", "i_c", {"i_c", "i_c_plus", "i_c_minus", "j_c_plus",
                                             "j_c_minus"})}
_NAMED = re.compile(r"^(?P<name>[a-z][a-z0-9_]*): ")
#: a step between bars counts as resolved at this many sigma
RESOLVED = 2.0


@dataclass
class Value:
    """One quantity of one bar: value and sigma (NaN unless determined), verdict and why,
    the model's value (NaN: no model) and how many runs went into it."""

    value: float = math.nan
    stderr: float = math.nan
    verdict: str = NOT_MEASURED
    reason: str = ""
    model: float = math.nan
    runs: int = 0

    @property
    def determined(self) -> bool:
        return self.verdict in (OK, POOR) and math.isfinite(self.value) \
            and math.isfinite(self.stderr)


@dataclass
class Bar:
    """One bar of the chip: its id, AFMI thickness (m; None when the header gives none),
    whether it is the control, its four values and why it has no model value."""

    sample: str
    afmi_thickness: float | None
    is_control: bool
    values: dict[str, Value]
    model_note: str = ""

    @property
    def label(self) -> str:
        if self.afmi_thickness is not None:
            return f"{self.afmi_thickness * 1e9:.3g} nm"
        return "control" if self.is_control else "not given"


@dataclass
class Correlation:
    """The bars (by AFMI thickness, then the bars without one), the control bar's id,
    the switching loops' pulse width (s) and notes on what was left out."""

    bars: list[Bar]
    control: str | None
    pulse_width: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def has_model(self) -> bool:
        return any(math.isfinite(v.model) for b in self.bars for v in b.values.values())

    def table(self) -> pd.DataFrame:
        """One row per bar: ``sample``, ``afmi_thickness (m)``, ``control``, then per
        quantity its value, ``_stderr``, ``_verdict``, ``_reason``, ``_model`` and
        ``_runs`` (NaN, an empty CSV cell, where not determined)."""
        rows = []
        for bar in self.bars:
            row: dict[str, Any] = {"sample": bar.sample,
                                   "afmi_thickness (m)": bar.afmi_thickness
                                   if bar.afmi_thickness is not None else math.nan,
                                   "control": bar.is_control}
            for key, v in bar.values.items():
                row.update({key: v.value if v.determined else math.nan,
                            f"{key}_stderr": v.stderr if v.determined else math.nan,
                            f"{key}_verdict": v.verdict, f"{key}_reason": v.reason,
                            f"{key}_model": v.model, f"{key}_runs": v.runs})
            rows.append(row)
        return pd.DataFrame(rows)

    def series(self) -> list[Bar]:
        """The bars with an AFMI thickness, thinnest first."""
        return [b for b in self.bars if b.afmi_thickness is not None and not b.is_control]

    def trends(self) -> list[str]:
        """Per quantity, how it goes with the AFMI thickness, each step in sigma; then
        whether the paper's correlation holds (module doc)."""
        if len(self.series()) < 2:
            return [f"{len(self.series())} bar(s) with an AFMI thickness in the header: no "
                    "trend against thickness"]
        lines, verdicts = [], []
        for key, label, sign in (("delta_alpha", "Δα", 1), ("xi_dl", "|ξ_DL|", 1),
                                 ("j_c", "J_c", -1)):
            line, state = _trend(self.series(), key, label, sign)
            lines.append(line)
            verdicts.append(state)
        if "contradicted" in verdicts:
            what = "is contradicted: a step goes the other way by more than " \
                   f"{RESOLVED:g} sigma"
        elif all(v == "holds" for v in verdicts):
            what = (f"holds: more spin loss, more torque, less current, every step by "
                    f"{RESOLVED:g} sigma or more")
        else:
            what = "is not resolved: a quantity is missing or a step is within " \
                   f"{RESOLVED:g} sigma"
        lines.append(f"the paper's correlation on this chip {what}")
        return lines


def _trend(bars: list[Bar], key: str, label: str, sign: int) -> tuple[str, str]:
    """'<label> rises with AFMI thickness: 0.8→1 nm +5.1σ, ...' and holds / not
    resolved / contradicted (``sign``: +1 the paper expects a rise, -1 a fall). Each step
    is the difference of two bars over its sigma."""
    # Delta alpha of every bar shares the control's alpha: its steps are those of alpha
    step_key = "alpha" if key == "delta_alpha" else key
    points = [(b, b.values[step_key]) for b in bars
              if b.values[key].determined and b.values[step_key].determined]
    if len(points) < 2:
        return (f"{label}: determined on {len(points)} bar(s) with an AFMI thickness, "
                "no trend", "not resolved")
    steps, scores = [], []
    for (b1, v1), (b2, v2) in pairwise(points):
        a, b = (abs(v1.value), abs(v2.value)) if key == "xi_dl" else (v1.value, v2.value)
        z = (b - a) / math.hypot(v1.stderr, v2.stderr)
        scores.append(sign * z)
        steps.append(f"{b1.label}→{b2.label} {z:+.1f}σ")
    direction = "rises" if all(s * sign > 0 for s in scores) else \
        "falls" if all(s * sign < 0 for s in scores) else "is not monotonic"
    state = "contradicted" if min(scores) < -RESOLVED else \
        "holds" if min(scores) >= RESOLVED else "not resolved"
    return f"{label} {direction} with AFMI thickness: {', '.join(steps)}", state


# -- from the summary ----------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _header(row: dict, label: str) -> Any:
    """A header entry of a summary row by its label, whatever its unit suffix."""
    for prefix in ("meta: ", "param: "):
        for key, value in row.items():
            if key == f"{prefix}{label}" or (isinstance(key, str)
                                              and key.startswith(f"{prefix}{label} (")):
                return value
    return None


def _reasons_for(row: dict, related: set[str]) -> list[str]:
    """The verdict reasons of a run that concern ``related``: those naming one of them
    and those naming no quantity (the run's chi-square, a file cut short)."""
    out = []
    for reason in reason_of(row).split("; "):
        match = _NAMED.match(reason)
        named = match["name"] if match else None
        if not reason or (named and named not in related and (named in row
                                                                or f"{named}_stderr" in row)):
            continue
        out.append(reason)
    return out


def _from_run(row: dict, key: str) -> Value:
    """One run's value of ``key`` (alpha, xi_dl or j_c) with its own verdict."""
    _, column, related = _SOURCES[key]
    if not row.get("fitted"):
        error = _text(row.get("error")) or "the run was not fitted"
        return Value(verdict=UNDETERMINED, reason=error, runs=1)
    reasons = _reasons_for(row, related)
    if is_undetermined(row, column):
        why = "; ".join(reasons) or (f"the fit gives no {column}: "
                                     f"{_text(row.get('note')) or 'see its run'}")
        return Value(verdict=UNDETERMINED, reason=why, runs=1)
    value, err = float(row[column]), finite_number(row.get(f"{column}_stderr"))
    if err is None:
        return Value(verdict=UNDETERMINED, reason=f"{column}: no sigma", runs=1)
    if key == "j_c":
        width = finite_number(_header(row, "Bar width"))
        thickness = finite_number(_header(row, "Conducting thickness"))
        if not (width and thickness):
            return Value(verdict=UNDETERMINED, runs=1,
                         reason="no bar width or conducting thickness in the run header")
        value, err = abs(value) / (width * thickness), err / (width * thickness)
    verdict = verdict_of(row) if reasons else OK
    return Value(value, err, verdict if verdict != UNDETERMINED else POOR,
                 "; ".join(reasons), runs=1)


def _combined(values: list[Value]) -> Value:
    """Repeated runs of one bar: the determined ones combined, their worst verdict."""
    if not values:
        return Value()
    used = [v for v in values if v.determined]
    reasons = list(dict.fromkeys(v.reason for v in values if v.reason))
    if not used:
        return Value(verdict=UNDETERMINED, reason="; ".join(reasons), runs=len(values))
    mean, err = _combine(np.array([v.value for v in used]), np.array([v.stderr
                                                                       for v in used]))
    verdict = max((v.verdict for v in used), key=LEVELS.index)
    if len(used) < len(values):
        reasons.append(f"{len(values) - len(used)} of {len(values)} runs not determined")
    return Value(mean, err, verdict, "; ".join(reasons), runs=len(values))


def _pulse_width(rows: list[dict], notes: list[str]) -> tuple[float | None, list[dict]]:
    """The switching loops at the most common pulse width (J_c depends on it)."""
    loops = [r for r in rows if r.get("kind") == "switching_loop"]
    widths = Counter(finite_number(_header(r, "Pulse width")) for r in loops)
    if not widths:
        return None, rows
    width = widths.most_common(1)[0][0]
    left = [r for r in loops if finite_number(_header(r, "Pulse width")) != width]
    if left:
        notes.append(f"{len(left)} switching loop(s) at another pulse width than "
                     f"{width:g} s left out (J_c depends on it)")
    return width, [r for r in rows if r not in left]


def _control(bars: dict[str, dict[str, Any]], control: str | None,
             notes: list[str]) -> str | None:
    if control is not None:
        if control not in bars:
            raise StageError(f"no runs of the control bar {control!r}; the bars are "
                             f"{', '.join(sorted(bars))}")
        return control
    candidates = [s for s, b in bars.items() if b["thickness"] is None and b["alpha"]]
    if len(candidates) > 1:  # on the simulated bench the device says which has no AFMI
        without = [s for s in candidates if bar_model(bars[s]["header"]).has_afmi is False]
        candidates = without if len(without) == 1 else candidates
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        notes.append(f"several bars without an AFMI thickness have ST-FMR runs "
                     f"({', '.join(candidates)}): name the control bar (--control) for Δα")
    else:
        notes.append("no control bar (a bar without an AFMI thickness, with an ST-FMR "
                     "run): Δα not determined")
    return None


def correlation_stage(summary: pd.DataFrame, control: str | None = None,
                      min_bars: int = 2) -> Correlation | None:
    """The correlation of the chip's runs in ``summary`` (module doc), or None when they
    are not one: fewer than ``min_bars`` bars, or fewer than two of the three techniques.
    ``control`` names the control bar; by default the one bar without an AFMI thickness
    that has ST-FMR runs (of several, the one whose simulated device has no AFMI).
    StageError when the named control has no runs."""
    notes: list[str] = []
    rows = [r for r in summary.to_dict("records")
            if r.get("kind") in {k for k, _, _ in _SOURCES.values()}]
    width, rows = _pulse_width(rows, notes)
    bars: dict[str, dict[str, Any]] = {}
    for row in rows:
        sample = _text(row.get("meta: Sample")) or "(no sample id)"
        bar = bars.setdefault(sample, {"thickness": None, "header": {}, "alpha": [],
                                       "xi_dl": [], "j_c": []})
        thickness = finite_number(_header(row, "AFMI thickness"))
        bar["thickness"] = bar["thickness"] or thickness
        for label in ("Bench", "Bar width", "Bar length", "AFMI thickness",
                      "Stage temperature"):
            bar["header"].setdefault(label, _header(row, label))
        for key, (kind, _, _) in _SOURCES.items():
            if row.get("kind") == kind:
                bar[key].append(_from_run(row, key))
    techniques = {k for b in bars.values() for k in _SOURCES if b[k]}
    if len(bars) < min_bars or len(techniques) < 2:
        return None
    control = _control(bars, control, notes)
    out = []
    for sample, bar in bars.items():
        model = bar_model(bar["header"])
        values = {"alpha": _combined(bar["alpha"]), "delta_alpha": Value(),
                  "xi_dl": _combined(bar["xi_dl"]), "j_c": _combined(bar["j_c"])}
        if model.params is not None:
            values["alpha"].model, values["xi_dl"].model = model.alpha(), model.xi_dl()
            if bar["j_c"] and width:
                values["j_c"].model = model.j_c(width)
        out.append(Bar(sample, bar["thickness"], sample == control, values,
                       model.why_not))
    _delta_alpha(out, control)
    out.sort(key=lambda b: (b.afmi_thickness is None, b.afmi_thickness or 0.0, b.sample))
    return Correlation(out, control, width, notes)


def _delta_alpha(bars: list[Bar], control: str | None) -> None:
    ref = next((b for b in bars if b.sample == control), None)
    for bar in bars:
        alpha, delta = bar.values["alpha"], bar.values["delta_alpha"]
        if bar is ref:
            delta.verdict, delta.reason = REFERENCE, "the control bar: Δα is taken against it"
            continue
        if not bar.values["alpha"].runs:
            continue
        if ref is None:
            delta.verdict, delta.reason = UNDETERMINED, "no control bar"
            continue
        base = ref.values["alpha"]
        delta.runs = alpha.runs
        delta.model = alpha.model - base.model
        if not (alpha.determined and base.determined):
            delta.verdict = UNDETERMINED
            delta.reason = "α of " + (bar.sample if not alpha.determined else ref.sample) \
                + " not determined"
            continue
        delta.value = alpha.value - base.value
        delta.stderr = math.hypot(alpha.stderr, base.stderr)
        delta.verdict = max((alpha.verdict, base.verdict), key=LEVELS.index)
        delta.reason = "; ".join(f"α {b.sample}: {b.values['alpha'].reason}"
                                 for b in (bar, ref) if b.values["alpha"].reason)
