"""Keithley 2182A nanovoltmeter: two channels, NPLC, ranges, relative offset, buffer.

Enough of the command set for pymeasure's ``Keithley2182`` unmodified, and a Python
entry point (``measure_voltage``) for a linked 6221 running delta mode over the
RS-232/Trigger Link cable.
"""

from __future__ import annotations

import math

from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    parse_float,
    scpi,
)

LINE_FREQUENCY = 60.0
OVERFLOW = 9.9e37
RANGES = {1: (0.01, 0.1, 1.0, 10.0, 100.0), 2: (0.1, 1.0, 10.0)}


class Keithley2182Model(SimulatedInstrument):
    idn = "KEITHLEY INSTRUMENTS INC.,MODEL 2182A,4052123,C04  /A02"
    read_termination = "\r"
    write_termination = "\n"

    def reset(self) -> None:
        self.channel = 1
        self.function = "VOLT"
        self.nplc = 5.0
        self.range = {1: 100.0, 2: 10.0}
        self.auto_range = {1: True, 2: True}
        self.reference = {1: 0.0, 2: 0.0}
        self.reference_enabled = {1: False, 2: False}
        self.auto_zero = True
        self.display = True
        self.buffer: list[float] = []
        self.buffer_points = 1024

    # -- measurement ------------------------------------------------------------------
    @property
    def integration_time(self) -> float:
        """Seconds per reading: NPLC line cycles, doubled by auto-zero's extra phase."""
        return self.nplc / LINE_FREQUENCY * (2.0 if self.auto_zero else 1.0)

    def measure_voltage(self, channel: int | None = None, advance: bool = True) -> float:
        """One reading of ``channel`` (default: the active one), in volts."""
        ch = self.channel if channel is None else channel
        t = self.nplc / LINE_FREQUENCY
        if advance:
            self.bench.advance(self.integration_time)
        v = self.bench.voltage(self.bench.contacts(self.name, ch), t)
        if not math.isfinite(v):
            return OVERFLOW
        if not self.auto_range[ch] and abs(v) > 1.2 * self.range[ch]:
            return OVERFLOW
        if self.reference_enabled[ch]:
            v -= self.reference[ch]
        return v

    @staticmethod
    def format(value: float) -> str:
        return f"{value:+.9E}"

    @scpi("READ")
    def _read(self, args: str | None, query: bool) -> str:
        if self.function != "VOLT":
            return self.format(self.bench.stage.temperature - 273.15)
        value = self.measure_voltage()
        self.buffer.append(value)
        return self.format(value)

    @scpi("FETCh")
    def _fetch(self, args: str | None, query: bool) -> str:
        return self.format(self.buffer[-1] if self.buffer else self.measure_voltage())

    @scpi("MEASure[:VOLTage][:DC]")
    def _measure(self, args: str | None, query: bool) -> str:
        self.function = "VOLT"
        return self.format(self.measure_voltage())

    # -- configuration ----------------------------------------------------------------
    @scpi("SENSe:CHANnel")
    def _channel(self, args: str | None, query: bool) -> str | None:
        if query:
            return str(self.channel)
        ch = int(parse_float(args, minimum=0, maximum=2))
        self.channel = ch if ch else 1
        return None

    @scpi("SENSe:FUNCtion")
    def _function(self, args: str | None, query: bool) -> str | None:
        if query:
            return '"VOLT:DC"' if self.function == "VOLT" else '"TEMP"'
        word = (args or "").strip().strip("'\"").upper()
        if word.startswith("VOLT"):
            self.function = "VOLT"
        elif word.startswith("TEMP"):
            self.function = "TEMP"
        else:
            raise InstrumentError(*DATA_TYPE)
        return None

    @scpi("SENSe:VOLTage:NPLCycles")
    def _nplc(self, args: str | None, query: bool) -> str | None:
        if query:
            return f"{self.nplc:g}"
        self.nplc = parse_float(args, minimum=0.01, maximum=60.0,
                                keywords={"MINIMUM": 0.01, "MAXIMUM": 60.0, "DEFAULT": 5.0})
        return None

    @scpi("SENSe:TEMPerature:NPLCycles")
    def _temp_nplc(self, args: str | None, query: bool) -> str | None:
        return self._nplc(args, query)

    def _channel_from(self, header_args: str | None) -> int:
        return self.channel

    @scpi("SENSe:VOLTage:CHANnel1:RANGe[:UPPer]")
    def _range1(self, args: str | None, query: bool) -> str | None:
        return self._range(1, args, query)

    @scpi("SENSe:VOLTage:CHANnel2:RANGe[:UPPer]")
    def _range2(self, args: str | None, query: bool) -> str | None:
        return self._range(2, args, query)

    @scpi("SENSe:VOLTage[:RANGe][:UPPer]")
    def _range_active(self, args: str | None, query: bool) -> str | None:
        return self._range(self.channel, args, query)

    def _range(self, ch: int, args: str | None, query: bool) -> str | None:
        if query:
            return f"{self.range[ch]:g}"
        value = parse_float(args, minimum=0.0, maximum=RANGES[ch][-1] * 1.2)
        self.range[ch] = min(r for r in RANGES[ch] if r >= value * 0.999)
        self.auto_range[ch] = False
        return None

    @scpi("SENSe:VOLTage:CHANnel1:RANGe:AUTO")
    def _auto1(self, args: str | None, query: bool) -> str | None:
        return self._auto(1, args, query)

    @scpi("SENSe:VOLTage:CHANnel2:RANGe:AUTO")
    def _auto2(self, args: str | None, query: bool) -> str | None:
        return self._auto(2, args, query)

    @scpi("SENSe:VOLTage:RANGe:AUTO")
    def _auto_active(self, args: str | None, query: bool) -> str | None:
        return self._auto(self.channel, args, query)

    def _auto(self, ch: int, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.auto_range[ch] else "0"
        self.auto_range[ch] = parse_bool(args)
        return None

    @scpi("SENSe:VOLTage:CHANnel1:REFerence")
    def _ref1(self, args: str | None, query: bool) -> str | None:
        return self._reference(1, args, query)

    @scpi("SENSe:VOLTage:CHANnel2:REFerence")
    def _ref2(self, args: str | None, query: bool) -> str | None:
        return self._reference(2, args, query)

    def _reference(self, ch: int, args: str | None, query: bool) -> str | None:
        if query:
            return self.format(self.reference[ch])
        self.reference[ch] = parse_float(args, minimum=-120.0, maximum=120.0)
        return None

    @scpi("SENSe:VOLTage:CHANnel1:REFerence:STATe")
    def _ref_state1(self, args: str | None, query: bool) -> str | None:
        return self._reference_state(1, args, query)

    @scpi("SENSe:VOLTage:CHANnel2:REFerence:STATe")
    def _ref_state2(self, args: str | None, query: bool) -> str | None:
        return self._reference_state(2, args, query)

    def _reference_state(self, ch: int, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.reference_enabled[ch] else "0"
        self.reference_enabled[ch] = parse_bool(args)
        return None

    @scpi("SENSe:VOLTage:CHANnel1:REFerence:ACQuire")
    def _ref_acq1(self, args: str | None, query: bool) -> None:
        self.reference[1] = self.measure_voltage(1) + (self.reference[1]
                                                       if self.reference_enabled[1] else 0)

    @scpi("SENSe:VOLTage:CHANnel2:REFerence:ACQuire")
    def _ref_acq2(self, args: str | None, query: bool) -> None:
        self.reference[2] = self.measure_voltage(2) + (self.reference[2]
                                                       if self.reference_enabled[2] else 0)

    @scpi("SYSTem:AZERo[:STATe]")
    def _azero(self, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.auto_zero else "0"
        self.auto_zero = parse_bool(args)
        return None

    @scpi("SYSTem:LFRequency")
    def _lfr(self, args: str | None, query: bool) -> str:
        return f"{LINE_FREQUENCY:g}"

    @scpi("DISPlay:ENABle")
    def _display(self, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.display else "0"
        self.display = parse_bool(args)
        return None

    # -- buffer (pymeasure's KeithleyBuffer) ----------------------------------------------
    @scpi("TRACe:CLEar")
    def _trace_clear(self, args: str | None, query: bool) -> None:
        self.buffer.clear()

    @scpi("TRACe:POINts")
    def _trace_points(self, args: str | None, query: bool) -> str | None:
        if query:
            return str(self.buffer_points)
        self.buffer_points = int(parse_float(args, minimum=2, maximum=1024))
        return None

    @scpi("TRACe:DATA")
    def _trace_data(self, args: str | None, query: bool) -> str:
        return ",".join(self.format(v) for v in self.buffer)
