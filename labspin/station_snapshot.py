"""What to record of each instrument's settings in a run's metadata.

One list of driver properties per driver type; each is read and kept if the instrument
answers, so a snapshot never fails a run. The values are what the instrument reports,
not what the procedure asked for.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: driver name -> properties (dotted for channels) worth recording
SETTINGS: dict[str, tuple[str, ...]] = {
    "Keithley6221": ("source_enabled", "source_current", "source_compliance", "source_range",
                     "source_auto_range", "waveform_function", "waveform_frequency",
                     "waveform_amplitude", "waveform_offset"),
    "Keithley2182": ("active_channel", "voltage_nplc", "auto_zero", "ch_1.voltage_range",
                     "ch_1.voltage_range_auto_enabled", "ch_2.voltage_range",
                     "ch_2.voltage_range_auto_enabled"),
    "SR830": ("frequency", "phase", "harmonic", "sensitivity", "time_constant", "filter_slope",
              "reference_source", "input_config", "input_coupling", "sine_voltage"),
    "Keysight81160A": ("ch_1.output_enabled", "ch_1.shape", "ch_1.amplitude", "ch_1.offset",
                       "ch_1.pulse_width", "ch_1.period", "ch_1.burst_ncycles"),
    "KepcoBOP3612": ("output_enabled", "operating_mode", "current_setpoint", "current",
                     "voltage_setpoint", "voltage"),
    "LakeShore425": ("unit", "range", "field"),
    "ESP300": ("x.position", "x.enabled", "x.units"),
    "LakeShore331": ("input_A.kelvin", "output_1.setpoint", "output_1.range"),
    "Agilent8257D": ("frequency", "power", "is_enabled", "has_modulation",
                     "has_amplitude_modulation", "amplitude_depth", "internal_frequency",
                     "internal_shape"),
}
SETTINGS["Agilent8257DRF"] = SETTINGS["Agilent8257D"]
SETTINGS["Keithley6221Pulse"] = SETTINGS["Keithley6221"] + (
    "pulse_high", "pulse_low", "pulse_width", "pulse_count")


def _read(instrument: Any, dotted: str) -> Any:
    obj = instrument
    for part in dotted.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, int | float | str | bool) or obj is None:
        return obj
    return str(obj)


def instrument_settings(driver: str, instrument: Any) -> dict[str, Any]:
    """The identity and recorded settings of one instrument."""
    out: dict[str, Any] = {}
    try:
        out["idn"] = instrument.ask("*IDN?").strip()
    except Exception as exc:
        log.warning("snapshot: %s does not identify itself: %s", driver, exc)
        out["idn"] = None
    for name in SETTINGS.get(driver, ()):
        try:
            out[name] = _read(instrument, name)
        except Exception:  # a setting this model lacks, or a busy instrument
            log.debug("snapshot: %s.%s not readable", driver, name)
    return out
