"""Keithley 6221 reading buffer, data formats and status model, as a mixin of the model.

Delta and Pulse Delta readings land in the buffer (Model 6220/6221 Reference Manual,
section 6, Table 6-4), are read back in the FORMat:ELEMents chosen (section 13) and set
the measurement event bits (section 11, Figure 11-6). The buffer size and the status
enables survive *RST (Table 6-4, note 1), so ``Keithley6221Model.__init__`` sets them.
The common commands that read the status model (*CLS, *STB) stay on the model class:
only its own handlers are tried before those of ``SimulatedInstrument``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labspin.simulated_instruments.instruments._settings import (
    _choice,
    _event,
    _fmt,
    _number,
    _word,
)
from labspin.simulated_instruments.scpi import InstrumentError, scpi

BUFFER_MAX = 65536
COMP, RAV, BAV, BHF, BFL = 8, 32, 128, 256, 512  # measurement event bits (Figure 11-6)
ELEMENTS = ("READ", "TST", "UNIT", "RNUM", "SOUR", "COMP", "AVOL")


@dataclass
class Reading:
    """One buffer entry (FORMat:ELEMents, section 13)."""

    value: float
    time: float
    source: float
    compliance: bool
    unit: str


class BufferStatusMixin:
    """TRACe, SENSe:DATA, FORMat and STATus commands of the 6221 model."""

    def _store(self, volts: float, swing: float, level: float, compliance: bool) -> None:
        """Buffer one reading; ``swing`` is the current step it answers to (for OHMS)."""
        if len(self.buffer) >= self.buffer_points:
            return
        value = self._convert(volts, swing)
        unit = {"V": "VDC", "OHMS": "OHM", "W": "W", "SIEM": "S"}[self.unit]
        self.buffer.append(Reading(value, self.bench.now(), level, compliance, unit))
        n = len(self.buffer)
        self.meas_event |= RAV | (BAV if n >= 2 else 0) | \
            (BHF if 2 * n >= self.buffer_points else 0) | \
            (BFL if n >= self.buffer_points else 0)

    # -- buffer and data (Table 6-4, section 13) ----------------------------------------
    @scpi("TRACe:CLEar")
    def _trace_clear(self, args: str | None, query: bool) -> None:
        self.buffer.clear()
        self.buffer_kind = "NONE"

    _trace_points = _number("TRACe:POINts", "buffer_points", 1, BUFFER_MAX, integer=True,
                            root=False)
    _timestamp_format = _choice("TRACe:TSTamp:FORMat", "timestamp_format",
                                ("ABSolute", "DELTa"), root=False)

    @scpi("TRACe:POINts:ACTual")
    def _trace_actual(self, args: str | None, query: bool) -> str:
        return str(len(self.buffer))

    @scpi("TRACe:DATA:TYPE")
    def _trace_type(self, args: str | None, query: bool) -> str:
        return self.buffer_kind

    @scpi("TRACe:FEED")
    @scpi("TRACe:FEED:CONTrol")
    def _trace_feed(self, args: str | None, query: bool) -> str | None:
        return "NEXT" if query else None  # a test always stores into the buffer

    @scpi("TRACe:DATA")
    def _trace_data(self, args: str | None, query: bool) -> str:
        if not self.buffer:
            raise InstrumentError(-230, "Data corrupt or stale")
        return ",".join(self._format(i) for i in range(len(self.buffer)))

    @scpi("SENSe:DATA[:LATest]")
    @scpi("SENSe:DATA:FRESh")
    def _sense_data(self, args: str | None, query: bool) -> str:
        if not self.buffer:
            raise InstrumentError(-230, "Data corrupt or stale")
        return self._format(len(self.buffer) - 1)

    def _format(self, index: int) -> str:
        r = self.buffer[index]
        if self.timestamp_format == "ABS" or index == 0:
            t = r.time - self.buffer[0].time
        else:
            t = r.time - self.buffer[index - 1].time
        fields = {"READ": _fmt(r.value), "TST": _fmt(t), "UNIT": r.unit, "RNUM": str(index),
                  "SOUR": _fmt(r.source), "COMP": "1" if r.compliance else "0",
                  "AVOL": _fmt(math.inf)}
        return ",".join(fields[e] for e in ELEMENTS if e in self.elements)

    @scpi("FORMat:ELEMents")
    def _elements(self, args: str | None, query: bool) -> str | None:
        if query:
            return ",".join(e for e in ELEMENTS if e in self.elements)
        words = [_word(w, ("READing", "TSTamp", "UNITs", "RNUMber", "SOURce", "COMPliance",
                           "AVOLtage", "ALL", "DEFault")) for w in (args or "").split(",")]
        if "ALL" in words:
            words = list(ELEMENTS)
        elif "DEF" in words:
            words = ["READ", "TST"]
        self.elements = [e[:4] for e in words]
        return None

    @scpi("FORMat[:DATA]")
    def _format_data(self, args: str | None, query: bool) -> str | None:
        if query:
            return "ASC"
        _word(args, ("ASCii",))  # binary formats are not simulated
        return None

    # -- status model (section 11) ------------------------------------------------------
    def _condition(self) -> int:
        n = len(self.buffer)
        return (COMP if self.in_compliance else 0) | (BAV if n >= 2 else 0) | \
            (BFL if n >= self.buffer_points else 0)

    _meas_read = _event("STATus:MEASurement[:EVENt]", "meas_event")
    _oper_read = _event("STATus:OPERation[:EVENt]", "oper_event")
    _ques_read = _event("STATus:QUEStionable[:EVENt]", "ques_event")

    @scpi("STATus:MEASurement:CONDition")
    def _meas_condition(self, args: str | None, query: bool) -> str:
        return str(self._condition())

    _meas_enable = _number("STATus:MEASurement:ENABle", "meas_enable", 0, 65535, integer=True,
                           root=False)
    _oper_enable = _number("STATus:OPERation:ENABle", "oper_enable", 0, 65535, integer=True,
                           root=False)
    _ques_enable = _number("STATus:QUEStionable:ENABle", "ques_enable", 0, 65535,
                           integer=True, root=False)
    _ese = _number("*ESE", "ese", 0, 255, integer=True, root=False)
    _sre = _number("*SRE", "sre", 0, 255, integer=True, root=False)

    @scpi("STATus:PRESet")
    def _status_preset(self, args: str | None, query: bool) -> None:
        self.meas_enable = self.oper_enable = self.ques_enable = 0

    @scpi("STATus:QUEue:CLEar")
    def _queue_clear(self, args: str | None, query: bool) -> None:
        self.errors.clear()
