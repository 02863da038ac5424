"""Instrument drivers (pymeasure ``Instrument`` classes) and composites such as the magnet.

pymeasure's own drivers are used wherever they exist; labspin adds only what they lack
(the 6221's pulse modes, an electromagnet with ramp limits and gaussmeter feedback, range
checks and an RF-first shutdown for the E8257D).
Drivers never know whether the instrument behind their resource is real or simulated.
``DRIVERS`` is the registry a station file's ``driver:`` names are looked up in.
"""

from __future__ import annotations

import importlib

#: driver name in a station file -> "module:Class"
DRIVERS: dict[str, str] = {
    "Keithley6221": "pymeasure.instruments.keithley:Keithley6221",
    "Keithley6221Pulse": "labspin.drivers.keithley6221:Keithley6221Pulse",
    "Keithley2182": "pymeasure.instruments.keithley:Keithley2182",
    "SR830": "pymeasure.instruments.srs:SR830",
    "Keysight81160A": "pymeasure.instruments.keysight:Keysight81160A",
    "KepcoBOP3612": "pymeasure.instruments.kepco:KepcoBOP3612",
    "LakeShore425": "pymeasure.instruments.lakeshore:LakeShore425",
    "ESP300": "pymeasure.instruments.newport:ESP300",
    "LakeShore331": "pymeasure.instruments.lakeshore:LakeShore331",
    "Agilent8257D": "pymeasure.instruments.agilent:Agilent8257D",
    "Agilent8257DRF": "labspin.drivers.agilent8257d:Agilent8257DRF",
}


def driver_class(name: str) -> type:
    """The driver class registered under ``name``."""
    try:
        module_name, class_name = DRIVERS[name].split(":")
    except KeyError:
        raise KeyError(f"unknown driver {name!r}; known drivers: {', '.join(DRIVERS)}") \
            from None
    return getattr(importlib.import_module(module_name), class_name)
