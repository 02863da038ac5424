"""The Station view's live readings: field per magnet, stage temperature, source and RF
outputs, each read on its own so that one instrument that fails does not hide the
others (its failure is one line of ``errors``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reading:
    """What the station panel shows: live field per axis, stage temperature, source."""

    fields: dict[str, float] = field(default_factory=dict)  # T, per magnet axis
    temperature: float = math.nan  # K
    source_on: bool | None = None  # current source output
    rf_on: bool | None = None  # RF generator output (ST-FMR stations)
    errors: list[str] = field(default_factory=list)
    #: what may still be on after the latest make-safe (a run's shutdown or Make safe),
    #: one line each as the CLI's WARNING says it; empty when the bench was confirmed safe
    hazards: list[str] = field(default_factory=list)


def read_station(station: Any) -> Reading:
    """Read every live quantity of ``station`` (the caller holds the station's lock)."""
    reading = Reading(hazards=list(station.hazards.values()))
    for axis, magnet in station.magnets.items():
        try:
            with station.talking_to(f"magnet_{axis}", "a field reading"):
                reading.fields[axis] = float(magnet.field)
        except Exception as exc:  # shown in the panel; a poll never raises
            reading.errors.append(f"magnet {axis}: {exc}")
    if station.has("temperature"):
        try:
            reading.temperature = _temperature(station)
        except Exception as exc:
            reading.errors.append(f"temperature: {exc}")
    if station.has("source"):
        try:
            with station.talking_to("source", "a query of its output") as source:
                reading.source_on = bool(source.source_enabled)
        except Exception as exc:
            reading.errors.append(f"source: {exc}")
    if station.has("rf_source"):
        from labspin.drivers.agilent8257d import rf_enabled

        try:
            with station.talking_to("rf_source", "a query of its output") as rf:
                reading.rf_on = rf_enabled(rf)
        except Exception as exc:
            reading.errors.append(f"rf_source: {exc}")
    return reading


def _temperature(station: Any) -> float:
    with station.talking_to("temperature", "a temperature reading") as controller:
        value = controller.input_A.kelvin
    return station.as_number("temperature", "the stage temperature", value)
