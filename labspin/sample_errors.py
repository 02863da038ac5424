"""Station-file problems of the samples said as the file's user wrote them.

A chip's shared ``sample:`` block is merged into every bar before validation
(:func:`labspin.samples.chip_data`), so pydantic reports a bad shared value once per bar,
under keys nobody wrote (``samples.0.width``, 0-based), with the value in SI (``4000 mm``
for ``width: 4``). Here each problem gets back the key as written (``sample.width`` once
for the shared block; ``samples[chipA-CoO3].afmi_thickness`` for a bar's own), the value
as written with the unit it was taken in (``4 (taken as 4 m: write the unit, e.g.
4 um)``), and a fix for a value that must be positive.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: geometry key -> (the unit of a bare number, the unit the bar is usually given in, the
#: fix for a value that is not positive)
GEOMETRY = {
    "width": ("m", "um", "the bar's width with its unit, e.g. 4 um"),
    "length": ("m", "um", "the length between the V_xx probes with its unit, e.g. 16 um"),
    "fm_thickness": ("m", "nm", "the ferromagnet's thickness with its unit, e.g. 4 nm"),
    "conducting_thickness": ("m", "nm", "the thickness the current flows through with its "
                             "unit, e.g. 6 nm, or leave it out (the FM thickness is used)"),
    "afmi_thickness": ("m", "nm", "the antiferromagnetic insulator's thickness with its "
                       "unit, e.g. 3 nm, or leave afmi_thickness out for a bar without one"),
    "two_terminal_resistance": ("ohm", "ohm", "the resistance between the current pads, "
                                "e.g. 400 ohm, or leave it out (twice R_xx, measured at "
                                "start)"),
}
#: how labspin.samples' range checks begin: the value in SI, shown in mm or nm
_SI_SHOWN = re.compile(r"^[-+]?[\d.]+(?:e[-+]?\d+)? (?:mm|nm): ")
_UNIT_QUESTION = re.compile(r"; is the unit right \(e\.g\. [^)]*\)\?$")


def _written(block: Any, keys: list[Any]) -> bool:
    for key in keys:
        if not isinstance(block, dict) or key not in block:
            return False
        block = block[key]
    return True


def _value(block: Any, keys: list[Any]) -> Any:
    for key in keys:
        block = block[key]
    return block


def _bare_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def _with_value(key: str, raw: Any, err: dict[str, Any], what: str) -> str:
    """``what`` with the value ``raw`` as written in front (and the unit a bare number was
    taken in), or, for a value that is not positive, what to give instead."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return what
    unit, usual, fix = GEOMETRY[key]
    text = raw.strip() if isinstance(raw, str) else str(raw)
    number = _bare_number(raw)
    shown = text
    if number is not None and number > 0 and unit != usual:
        shown = f"{text} (taken as {text} {unit}: write the unit, e.g. {text} {usual})"
    if err["type"] in ("greater_than", "greater_than_equal"):
        return f"{shown}: must be more than zero; give {fix}"
    match = _SI_SHOWN.match(what)
    if not match:
        return what
    rest = what[match.end():]
    if shown != text:  # the note says what the unit question asked
        rest = _UNIT_QUESTION.sub("", rest)
    return f"{shown}: {rest}"


def reworder(data: Any) -> Callable[[dict[str, Any], str, str], tuple[str, str]]:
    """For :func:`labspin.configfiles.describe`: ``(err, where, what)`` said as the
    station-file data ``data`` (as the user wrote it, before any merging) says it."""
    data = data if isinstance(data, dict) else {}
    shared = data.get("sample") if isinstance(data.get("sample"), dict) else None
    raw = data.get("samples")
    by_key = isinstance(raw, dict)
    entries = list(raw.items()) if by_key else list(raw) if isinstance(raw, list) else []

    def bar(index: int) -> tuple[str, Any]:
        """How the user names bar ``index`` (its key or id), and its entry."""
        if index >= len(entries):
            return f"[#{index + 1}]", None
        if by_key:
            key, entry = entries[index]
            return f".{key}", entry
        entry = entries[index]
        bar_id = entry.get("id") if isinstance(entry, dict) else None
        return (f"[{bar_id}]" if isinstance(bar_id, str | int) and not isinstance(bar_id, bool)
                and str(bar_id).strip() else f"[#{index + 1}]"), entry

    def reword(err: dict[str, Any], where: str, what: str) -> tuple[str, str]:
        loc = [p for p in err.get("loc", ()) if not str(p).startswith("function-")]
        if len(loc) >= 2 and loc[0] == "samples" and isinstance(loc[1], int):
            keys = loc[2:]
            label, entry = bar(loc[1])
            if keys and not _written(entry, keys) and _written(shared, keys):
                where, block = "sample." + ".".join(map(str, keys)), shared  # said once
            else:
                where, block = "samples" + label + "".join(f".{k}" for k in keys), entry
        elif loc[:1] == ["sample"] and len(loc) >= 2:
            keys, block = loc[1:], shared
        else:
            return where, what
        if _written(block, keys) and len(keys) == 1 and keys[0] in GEOMETRY:
            what = _with_value(str(keys[0]), _value(block, keys), err, what)
        return where, what

    return reword
