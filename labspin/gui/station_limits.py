"""The rows of the Station view's Limits panel, generated from the station file's
``limits`` model: a limit added to the file format appears in the window without
anyone remembering to add a row (a limit without its own wording shows under its key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labspin.analysis.formatting import si

#: how each known limit is worded: key -> (label, value as text)
_WORDED: dict[str, tuple[str, Callable[[Any], str]]] = {
    "max_current": ("Current", lambda v: si(v, "A")),
    "max_current_density": ("Current density", lambda v: f"{v:.3g} A/m²"),
    "max_field": ("Field", lambda fields: ", ".join(
        f"{axis}: {si(value, 'T')}" for axis, value in fields.items()) or "none set"),
    "max_ramp_rate": ("Ramp rate", lambda v: f"{v:g} T/s"),
    "max_pulse_width": ("Pulse width", lambda v: si(v, "s")),
    "max_pulse_energy": ("Pulse energy", lambda v: si(v, "J")),
    "max_temperature": ("Stage temperature", lambda v: f"{v:g} K"),
    "max_rf_power": ("RF level (peak envelope)", lambda v: f"{v:g} dBm"),
    "rf_frequency_range": ("RF frequency", lambda band: f"{si(band[0], 'Hz')} to "
                                                        f"{si(band[1], 'Hz')}"),
}
#: what a limit left out of the station file means
_UNSET = {"max_rf_power": "not set: no RF may be sent",
          "rf_frequency_range": "not set: no RF may be sent"}


def limit_rows(limits: Any) -> list[tuple[str, str, str]]:
    """(label, value, station-file key) for every limit of the model, in its order."""
    rows = []
    for key in type(limits).model_fields:
        value = getattr(limits, key)
        label, text = _WORDED.get(key, (key.removeprefix("max_").replace("_", " ")
                                        .capitalize(), str))
        shown = _UNSET.get(key, "not set") if value is None else text(value)
        rows.append((label, shown, f"limits.{key}"))
    return rows
