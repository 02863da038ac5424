"""Text of a chip's correlation (:mod:`labspin.analysis.correlation`) for the console,
Markdown and HTML: a value with its sigma, or the words "not determined" (never a number
then), its verdict when not ok, and the model's value beside it."""

from __future__ import annotations

import math

from labspin.analysis.correlation import NOT_MEASURED, QUANTITIES, REFERENCE, Correlation, Value
from labspin.analysis.verdicts import OK, UNDETERMINED

__all__ = ["headers", "markdown", "plus_minus", "reasons", "value_lines"]


def _exponent(x: float) -> int:
    return math.floor(math.log10(abs(x))) if x else 0


def plus_minus(value: float, stderr: float) -> str:
    """"0.00882 ± 0.00004", "(1.615 ± 0.014)e12": the sigma to two significant digits and
    the value to the same decimal."""
    exponent = _exponent(value) if value else _exponent(stderr)
    scale = 10.0**exponent if exponent >= 4 or exponent <= -5 else 1.0
    v, s = value / scale, stderr / scale
    decimals = max(0, 1 - _exponent(s)) if s > 0 else 4
    text = f"{v:.{decimals}f} ± {s:.{decimals}f}"
    return f"({text})e{exponent}" if scale != 1.0 else text


def _model(value: float) -> str:
    if math.isinf(value):
        return "none before the bar burns open"
    exponent = _exponent(value)
    return f"{value:.4g}" if -5 < exponent < 4 else f"{value / 10.0**exponent:.4g}e{exponent}"


def value_lines(value: Value, with_model: bool = True) -> list[str]:
    """The lines of one table cell: value (or why none), verdict when not ok, model."""
    if value.verdict in (NOT_MEASURED, REFERENCE):
        lines = [value.verdict]
    elif not value.determined:
        lines = [UNDETERMINED]
    else:
        lines = [plus_minus(value.value, value.stderr)]
        if value.verdict != OK:
            lines.append(value.verdict)
    if with_model and value.verdict not in (REFERENCE, NOT_MEASURED) \
            and not math.isnan(value.model):
        lines.append(f"model {_model(value.model)}")
    return lines


def headers(result: Correlation) -> list[str]:
    """Column titles: bar, AFMI thickness, then each quantity with its unit (J_c with the
    loops' pulse width)."""
    out = ["bar", "AFMI"]
    for key, (label, unit) in QUANTITIES.items():
        if key == "j_c" and result.pulse_width:
            width = f"{result.pulse_width * 1e3:g} ms" if result.pulse_width >= 1e-4 \
                else f"{result.pulse_width * 1e6:g} µs"
            label = label.replace("loop", f"loops, {width}")
        out.append(f"{label} ({unit})" if unit else label)
    return out


def reasons(result: Correlation) -> list[str]:
    """'<bar> <quantity>: <verdict>: <reason>' for every value that is not ok, and why a
    bar has no model value when others have one."""
    out = []
    for bar in result.bars:
        for key, value in bar.values.items():
            if value.verdict in (OK, NOT_MEASURED, REFERENCE) or not value.reason:
                continue
            out.append(f"{bar.sample} {QUANTITIES[key][0]}: {value.verdict}: {value.reason}")
        if result.has_model and bar.model_note:
            out.append(f"{bar.sample}: no model value ({bar.model_note})")
    return out


def markdown(result: Correlation, figure: str | None = None) -> list[str]:
    """A Markdown section: the table, the trends, the reasons and the notes."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["## The paper's correlation on this chip", "",
             "| " + " | ".join(headers(result)) + " |",
             "| " + " | ".join("---" for _ in headers(result)) + " |"]
    for bar in result.bars:
        cells = [bar.sample, bar.label]
        cells += ["<br>".join(value_lines(v)) for v in bar.values.values()]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    lines.append("")
    lines += [f"- {line}" for line in result.trends()]
    lines += [f"- {line}" for line in reasons(result) + result.notes]
    if figure:
        lines += ["", f"![the correlation against AFMI thickness]({figure})"]
    return [*lines, ""]
