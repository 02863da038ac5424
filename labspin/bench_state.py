"""What the bench is doing, read back from the instruments: fields, outputs, temperature.

Read after a run has ended (its shutdown has made the bench safe, or tried to), so that
a notification and the status page say the state the bench was *left* in, as the
instruments report it, not what the code meant to do. Reading never raises: an
instrument that does not answer is itself part of the state.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from labspin.shutdown import source_armed

#: a field this close to zero counts as "at zero" (coil remanence, gaussmeter offset)
ZERO_FIELD = 1e-3  # T


@dataclass
class BenchState:
    station: str
    when: float = field(default_factory=time.time)
    fields: dict[str, float] = field(default_factory=dict)  # T per magnet axis
    outputs: dict[str, bool] = field(default_factory=dict)  # output name -> on
    temperature: float = math.nan  # K, stage
    unread: dict[str, str] = field(default_factory=dict)  # what did not answer -> why
    safety_failures: list[str] = field(default_factory=list)  # make-safe steps that failed

    @property
    def on(self) -> list[str]:
        """What may still be on: outputs read as on, fields away from zero."""
        items = [name for name, enabled in self.outputs.items() if enabled]
        items += [f"field {axis} {value * 1e3:+.1f} mT" for axis, value in self.fields.items()
                  if abs(value) > ZERO_FIELD]
        return items

    @property
    def safe(self) -> bool:
        """Confirmed safe: every output read off, every field at zero, nothing unread and
        no make-safe step failed."""
        unread = [what for what in self.unread if what != "stage temperature"]
        return not (self.on or unread or self.safety_failures)

    def describe(self) -> str:
        """One paragraph for a message: the verdict first, then every reading."""
        readings = [f"{name} {'ON' if enabled else 'off'}"
                    for name, enabled in self.outputs.items()]
        readings += [f"field {axis} {value * 1e3:+.2f} mT" for axis, value in self.fields.items()]
        if math.isfinite(self.temperature):
            readings.append(f"stage {self.temperature:.1f} K")
        text = ", ".join(readings) or "no instrument read"
        unread = "; ".join(f"{what}: {why}" for what, why in self.unread.items())
        if self.safe:
            return f"safe: {text}" + (f" (could not read {unread})" if unread else "") + "."
        problems = []
        if self.on:
            problems.append("still on: " + ", ".join(self.on))
        if self.safety_failures:
            problems.append("make-safe failed: " + "; ".join(self.safety_failures))
        if unread:
            problems.append("could not read: " + unread)
        return f"NOT confirmed safe ({'. '.join(problems)}). Readings: {text}."

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["temperature"] = None if not math.isfinite(self.temperature) else self.temperature
        data["safe"], data["on"], data["summary"] = self.safe, self.on, self.describe()
        return data


def _read(state: BenchState, what: str, action: Any) -> Any:
    try:
        return action()
    except Exception as exc:  # the state includes what could not be read
        state.unread[what] = str(exc)
        return None


def read_bench_state(station: Any, safety_failures: list[str] | None = None) -> BenchState:
    """Read the fields, the current source (its DC, AC and pulse output), the pulse
    generator's outputs, the RF generator's output and the stage temperature of an open
    station. (The lock-ins'
    sine outputs are references here, not wired to the bar.)"""
    state = BenchState(station=station.config.name,
                       safety_failures=list(safety_failures or []))
    if getattr(station, "closed", False):
        state.unread["station"] = "the station is closed"
        return state
    for axis, magnet in station.magnets.items():
        value = _read(state, f"field {axis}", lambda m=magnet: float(m.field))
        if value is not None:
            state.fields[axis] = value
    roles = station.config.entries()
    for role, entry in roles.items():
        if not station.has(role):
            continue
        instrument = station[role]
        if entry.driver.startswith("Keithley6221"):
            on = _read(state, f"{role} output", lambda i=instrument: bool(i.source_enabled))
            if on is not None:
                state.outputs[f"{role} output"] = on
            armed = _read(state, f"{role} waveform", lambda i=instrument: source_armed(i))
            if armed is not None:  # a sine armed or running drives the bar with OUTP? 0
                state.outputs[f"{role} waveform (sine)"] = bool(armed)
        elif entry.driver == "Keysight81160A":
            for n in (1, 2):
                on = _read(state, f"{role} channel {n}",
                           lambda i=instrument, n=n: bool(getattr(i, f"ch_{n}").output))
                if on is not None:
                    state.outputs[f"{role} channel {n} output"] = on
        elif entry.driver.startswith("Agilent8257D"):
            from labspin.drivers.agilent8257d import rf_enabled

            on = _read(state, f"{role} RF output", lambda i=instrument: rf_enabled(i))
            if on is not None:
                state.outputs[f"{role} RF output"] = on
    if station.has("temperature"):
        kelvin = _read(state, "stage temperature",
                       lambda: float(station["temperature"].input_A.kelvin))
        if kelvin is not None:
            state.temperature = kelvin
    return state
