"""Agilent (Keysight) E8257D PSG analog signal generator on the simulated bench.

Enough of its SCPI (PSG SCPI Command Reference) for pymeasure's ``Agilent8257D`` and
labspin's ``Agilent8257DRF`` unmodified: ``:OUTPut[:STATe]``,
``:OUTPut:MODulation[:STATe]``, ``[:SOURce]:FREQuency[:CW|:FIXed]`` and its sweep
start/stop/center, ``[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]`` and its sweep
start/stop, the AM subsystem (``[:SOURce]:AM[1]:STATe|SOURce|DEPTh|INTernal:FREQuency|
INTernal:FUNCtion:SHAPe``), the LF output (``[:SOURce]:LFOutput:SOURce|AMPLitude|STATe``)
and the pulse modulation settings (``[:SOURce]:PULM:...``, stored: the bench simulates
AM only). Numbers take units (``8e9 Hz``, ``8 GHz``, ``10 dBm``, ``2.0vp``); settings
beyond the instrument's range give error -222 and leave the setting unchanged; replies
end with a line feed.

The model holds settings only. What leaves the RF output (``rf_output``) and the LF
output (``reference_frequency``) is handed to ``labspin.simulated_instruments.rf``,
which computes the current in the bar and what the lock-in sees.
"""

from __future__ import annotations

import re

from labspin.simulated_instruments import rf
from labspin.simulated_instruments.instruments._settings import _word
from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    OUT_OF_RANGE,
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    scpi,
)

FREQUENCY_RANGE = (250e3, 20e9)  # Hz, option 520
POWER_RANGE = (-20.0, 25.0)  # dBm
AM_RATE_RANGE = (0.5, 1e6)  # Hz, internal AM source
SHAPES = ("SINE", "TRIangle", "SQUare", "RAMP", "NOISe", "DUALsine", "SWEPtsine")
AM_SOURCES = ("INTernal", "INTernal2", "EXTernal", "EXTernal2")
LF_SOURCES = ("INTernal", "INTernal2", "FUNCtion", "FUNCtion2")
PULSE_SOURCES = ("INTernal", "EXTernal", "SCALar")
PULSE_INPUTS = ("SQUare", "FRUN", "TRIGgered", "DOUBlet", "GATEd")
_UNITS = {"": 1.0, "HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "GHZ": 1e9, "DBM": 1.0, "DB": 1.0,
          "V": 1.0, "VP": 1.0, "MV": 1e-3, "MVP": 1e-3, "PCT": 1.0, "%": 1.0, "S": 1.0,
          "MS": 1e-3, "US": 1e-6}
_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)\s*")


def _quantity(text: str | None, low: float, high: float, units: tuple[str, ...]) -> float:
    """A number with an optional unit suffix, within [low, high]."""
    match = _NUMBER.fullmatch(text or "")
    if match is None:
        raise InstrumentError(*DATA_TYPE)
    unit = match.group(2).upper()
    if unit not in ("", *units):
        raise InstrumentError(-131, "Invalid suffix")
    value = float(match.group(1)) * _UNITS[unit]
    if not low <= value <= high:
        raise InstrumentError(*OUT_OF_RANGE)
    return value


def _sci(value: float) -> str:
    return f"{value:+.11E}"


class Agilent8257DModel(SimulatedInstrument):
    idn = "Agilent Technologies, E8257D, US47140112, C.06.16"
    read_termination = "\n"
    write_termination = "\n"

    def __init__(self, bench: object, name: str) -> None:
        super().__init__(bench, name)
        bench.__dict__.setdefault("rf_sources", {})[name] = self

    def reset(self) -> None:
        self.output = False
        self.modulation = True  # *RST: modulation on, each modulation itself off
        self.frequency = FREQUENCY_RANGE[1]
        self.power = POWER_RANGE[0]
        self.start_frequency, self.stop_frequency = FREQUENCY_RANGE
        self.center_frequency = sum(FREQUENCY_RANGE) / 2
        self.start_power = self.stop_power = POWER_RANGE[0]
        self.am_state, self.am_source, self.am_depth = False, "INT", 0.1
        self.am_rate, self.am_shape = 400.0, "SINE"
        self.lf_state, self.lf_source, self.lf_amplitude = False, "INT", 0.0
        self.pulse_state, self.pulse_source, self.pulse_input = False, "INT", "SQU"
        self.pulse_rate = 1e3
        self._changed()

    def _changed(self) -> None:
        rf.check_burn(self.bench)  # too much RF burns the bar open at once

    # -- what the bench sees ---------------------------------------------------------------
    def rf_output(self) -> rf.RFOutput | None:
        """What leaves the RF output now (None when it is off)."""
        if not self.output:
            return None
        am = self.modulation and self.am_state and self.am_source.startswith("INT")
        return rf.RFOutput(self.frequency, self.power, self.am_shape if am else None,
                           self.am_depth if am else 0.0)

    def reference_frequency(self) -> float | None:
        """The rate on the LF output when it carries the internal AM source."""
        if self.lf_state and self.lf_source == "INT" and self.lf_amplitude > 0:
            return self.am_rate
        return None

    # -- output -------------------------------------------------------------------------
    def _flag(self, attr: str, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if getattr(self, attr) else "0"
        setattr(self, attr, parse_bool(args))
        self._changed()
        return None

    @scpi("OUTPut[:STATe]")
    def _output(self, args: str | None, query: bool) -> str | None:
        return self._flag("output", args, query)

    @scpi("OUTPut:MODulation[:STATe]")
    def _modulation(self, args: str | None, query: bool) -> str | None:
        return self._flag("modulation", args, query)

    # -- frequency and level ------------------------------------------------------------
    def _number(self, attr: str, args: str | None, query: bool, low: float, high: float,
                units: tuple[str, ...]) -> str | None:
        if query:
            return _sci(getattr(self, attr))
        setattr(self, attr, _quantity(args, low, high, units))
        self._changed()
        return None

    @scpi("[SOURce]:FREQuency[:CW]")
    @scpi("[SOURce]:FREQuency:FIXed")
    def _frequency(self, args: str | None, query: bool) -> str | None:
        return self._number("frequency", args, query, *FREQUENCY_RANGE,
                            ("HZ", "KHZ", "MHZ", "GHZ"))

    @scpi("[SOURce]:FREQuency:STARt")
    def _start_frequency(self, args: str | None, query: bool) -> str | None:
        return self._number("start_frequency", args, query, *FREQUENCY_RANGE,
                            ("HZ", "KHZ", "MHZ", "GHZ"))

    @scpi("[SOURce]:FREQuency:STOP")
    def _stop_frequency(self, args: str | None, query: bool) -> str | None:
        return self._number("stop_frequency", args, query, *FREQUENCY_RANGE,
                            ("HZ", "KHZ", "MHZ", "GHZ"))

    @scpi("[SOURce]:FREQuency:CENTer")
    def _center_frequency(self, args: str | None, query: bool) -> str | None:
        return self._number("center_frequency", args, query, *FREQUENCY_RANGE,
                            ("HZ", "KHZ", "MHZ", "GHZ"))

    @scpi("[SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]")
    def _power(self, args: str | None, query: bool) -> str | None:
        return self._number("power", args, query, *POWER_RANGE, ("DBM",))

    @scpi("[SOURce]:POWer:STARt")
    def _start_power(self, args: str | None, query: bool) -> str | None:
        return self._number("start_power", args, query, *POWER_RANGE, ("DBM",))

    @scpi("[SOURce]:POWer:STOP")
    def _stop_power(self, args: str | None, query: bool) -> str | None:
        return self._number("stop_power", args, query, *POWER_RANGE, ("DBM",))

    # -- amplitude modulation -----------------------------------------------------------
    @scpi("[SOURce]:AM:STATe")
    def _am_state(self, args: str | None, query: bool) -> str | None:
        return self._flag("am_state", args, query)

    def _choice(self, attr: str, args: str | None, query: bool,
                options: tuple[str, ...]) -> str | None:
        if query:
            return getattr(self, attr)
        setattr(self, attr, _word(args, options))
        self._changed()
        return None

    @scpi("[SOURce]:AM:SOURce")
    def _am_source(self, args: str | None, query: bool) -> str | None:
        return self._choice("am_source", args, query, AM_SOURCES)

    @scpi("[SOURce]:AM:DEPTh[:LINear]")
    def _am_depth(self, args: str | None, query: bool) -> str | None:
        if query:
            return _sci(100 * self.am_depth)
        self.am_depth = _quantity(args, 0.0, 100.0, ("PCT", "%")) / 100
        self._changed()
        return None

    @scpi("[SOURce]:AM:INTernal:FREQuency")
    def _am_rate(self, args: str | None, query: bool) -> str | None:
        return self._number("am_rate", args, query, *AM_RATE_RANGE, ("HZ", "KHZ", "MHZ"))

    @scpi("[SOURce]:AM:INTernal:FUNCtion:SHAPe")
    def _am_shape(self, args: str | None, query: bool) -> str | None:
        return self._choice("am_shape", args, query, SHAPES)

    # -- LF output (the lock-in's reference) --------------------------------------------
    @scpi("[SOURce]:LFOutput:STATe")
    def _lf_state(self, args: str | None, query: bool) -> str | None:
        return self._flag("lf_state", args, query)

    @scpi("[SOURce]:LFOutput:SOURce")
    def _lf_source(self, args: str | None, query: bool) -> str | None:
        return self._choice("lf_source", args, query, LF_SOURCES)

    @scpi("[SOURce]:LFOutput:AMPLitude")
    def _lf_amplitude(self, args: str | None, query: bool) -> str | None:
        return self._number("lf_amplitude", args, query, 0.0, 3.5, ("V", "VP", "MV", "MVP"))

    # -- pulse modulation (settings only) -----------------------------------------------
    @scpi("[SOURce]:PULM:STATe")
    def _pulse_state(self, args: str | None, query: bool) -> str | None:
        return self._flag("pulse_state", args, query)

    @scpi("[SOURce]:PULM:SOURce")
    def _pulse_source(self, args: str | None, query: bool) -> str | None:
        return self._choice("pulse_source", args, query, PULSE_SOURCES)

    @scpi("[SOURce]:PULM:SOURce:INTernal")
    def _pulse_input(self, args: str | None, query: bool) -> str | None:
        return self._choice("pulse_input", args, query, PULSE_INPUTS)

    @scpi("[SOURce]:PULM:INTernal:FREQuency")
    def _pulse_rate(self, args: str | None, query: bool) -> str | None:
        return self._number("pulse_rate", args, query, 0.1, 10e6, ("HZ", "KHZ", "MHZ"))
