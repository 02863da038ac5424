"""Keithley 6221 AC/DC current source: DC output, sine waveform, Delta and Pulse Delta.

Enough of the command set for pymeasure's ``Keithley6221`` unmodified and for labspin's
``Keithley6221Pulse``. References are to the Model 6220/6221 Reference Manual (622x-901-01):
section 3 (DC output, compliance), 4/10 (waveform, remote), 5 (Delta, Pulse Delta), 6
(buffer, Table 6-4), 11 (status model) and 13 (FORMat). Physics goes through the bench
only; Delta and Pulse Delta take their readings from the linked 2182A model, found on the
bench by name, as the real pair does over the RS-232 / Trigger Link cable.

A Delta or Pulse Delta test runs to completion inside ``INIT:IMM`` in bench time. With
an infinite count the test stops when the buffer is full (TRAC:POIN) instead of running
until aborted. Waveforms other than the sine drive the bench as a sine of the same peak
amplitude: the bench only models sine currents.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from labspin.simulated_instruments.instruments.keithley2182 import LINE_FREQUENCY, OVERFLOW
from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    OUT_OF_RANGE,
    SETTINGS_CONFLICT,
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    parse_float,
    scpi,
)

I_MAX = 0.105  # A, largest source level (manual section 3)
RANGES = (2e-9, 20e-9, 200e-9, 2e-6, 20e-6, 200e-6, 2e-3, 20e-3, 100e-3)
BUFFER_MAX = 65536
COMP, RAV, BAV, BHF, BFL = 8, 32, 128, 256, 512  # measurement event bits (Figure 11-6)
ELEMENTS = ("READ", "TST", "UNIT", "RNUM", "SOUR", "COMP", "AVOL")
TRIGGER_SOURCES = ("IMMediate", "TIMer", "BUS", "TLINk", "MANual")
UNITS = {"V": "V", "VOLT": "V", "VOLTS": "V", "OHM": "OHMS", "OHMS": "OHMS",
         "W": "W", "WATT": "W", "WATTS": "W", "SIEM": "SIEM", "SIEMENS": "SIEM"}


def _fmt(value: float) -> str:
    return "+9.900000E+37" if math.isinf(value) else f"{value:+.6E}"


def _word(text: str | None, options: tuple[str, ...]) -> str:
    """Match SCPI character data against mnemonics like ``FIXed``; return the short form."""
    word = (text or "").strip().strip("'\"").upper()
    for option in options:
        short = "".join(c for c in option if c.isupper() or c.isdigit())
        if word in (short, option.upper()):
            return short
    raise InstrumentError(*DATA_TYPE)


def _source(spec: str) -> Callable:
    """Declare a SOURce command; the SOURce root is optional on the 6221 (section 10)."""
    def wrap(func: Callable) -> Callable:
        return scpi(spec)(scpi(f"SOURce:{spec}")(func))
    return wrap


def _number(spec: str, attr: str, low: float, high: float, *, infinite: bool = False,
            integer: bool = False, then: str | None = None, root: bool = True) -> Callable:
    """A numeric setting stored on the model (``root``: under the optional SOURce)."""
    def handler(self: Keithley6221Model, args: str | None, query: bool) -> str | None:
        if query:
            value = getattr(self, attr)
            return str(int(value)) if integer and math.isfinite(value) else _fmt(value)
        if infinite and (args or "").strip().upper() in ("INF", "INFINITY"):
            value = math.inf
        else:
            value = parse_float(args, minimum=low, maximum=high,
                                keywords={"MINIMUM": low, "MAXIMUM": high})
            value = round(value) if integer else value
        setattr(self, attr, value)
        if then:
            getattr(self, then)()
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _choice(spec: str, attr: str, options: tuple[str, ...], *, root: bool = True) -> Callable:
    def handler(self: Keithley6221Model, args: str | None, query: bool) -> str | None:
        if query:
            return getattr(self, attr)
        setattr(self, attr, _word(args, options))
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _flag(spec: str, attr: str, *, then: str | None = None, root: bool = True) -> Callable:
    def handler(self: Keithley6221Model, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if getattr(self, attr) else "0"
        setattr(self, attr, parse_bool(args))
        if then:
            getattr(self, then)()
        return None
    return (_source(spec) if root else scpi(spec))(handler)


def _event(spec: str, attr: str) -> Callable:
    """An event register: latched bits, cleared by reading (section 11)."""
    def handler(self: Keithley6221Model, args: str | None, query: bool) -> str:
        event = getattr(self, attr)
        setattr(self, attr, 0)
        return str(event)
    return scpi(spec)(handler)


@dataclass
class Reading:
    """One buffer entry (FORMat:ELEMents, section 13)."""

    value: float
    time: float
    source: float
    compliance: bool
    unit: str


class Keithley6221Model(SimulatedInstrument):
    idn = "KEITHLEY INSTRUMENTS INC.,MODEL 6221,4143210,D03  /700x"
    read_termination = "\n"
    write_termination = "\n"

    def __init__(self, bench: object, name: str, voltmeter: str = "voltmeter") -> None:
        self.voltmeter_name = voltmeter
        # buffer and status enables survive *RST (Table 6-4, note 1)
        self.buffer: list[Reading] = []
        self.buffer_points = 100
        self.buffer_kind = "NONE"
        self.elements = ["READ", "TST"]
        self.timestamp_format = "ABS"
        self.meas_enable = self.oper_enable = self.ques_enable = self.ese = self.sre = 0
        self.meas_event = self.oper_event = self.ques_event = 0
        self.serial_reply = ""
        super().__init__(bench, name)

    def reset(self) -> None:
        """*RST defaults (manual section 3 and Tables 5-2, 5-5)."""
        self.output = False
        self.current, self.compliance, self.source_delay = 0.0, 10.0, 1e-3
        self.range, self.auto_range = 2e-3, False
        self.low_to_earth, self.shield, self.response = False, "GUAR", "FAST"
        self.unit = "V"
        self.delta_high, self.delta_low, self.delta_delay = 1e-3, -1e-3, 2e-3
        self.delta_count, self.sweep_count = math.inf, 1.0
        self.delta_cab = self.delta_cold_switch = False
        self.pulse_high, self.pulse_low, self.pulse_width = 1e-3, 0.0, 110e-6
        self.pulse_sdel, self.pulse_count, self.pulse_interval = 16e-6, math.inf, 5.0
        self.pulse_ranging, self.pulse_sweep, self.pulse_lme = "BEST", False, 2.0
        self.armed: str | None = None  # "DELT" or "PDEL"
        self.wave_function, self.wave_frequency, self.wave_amplitude = "SIN", 1e3, 2e-12
        self.wave_offset, self.wave_duty, self.wave_ranging = 0.0, 50.0, "BEST"
        self.wave_time, self.wave_cycles = math.inf, math.inf
        self.marker, self.marker_phase, self.marker_line = False, 0.0, 3.0
        self.arb_points: list[float] = []
        self.wave_state: str | None = None  # None, "ARMED" or "RUNNING"
        self.wave_started = 0.0
        self.arm_source = self.trigger_source = "IMM"
        self.arm_timer, self.arm_line, self.trigger_in, self.trigger_out = 0.1, 1, 1, 2
        self.trigger_when = "NONE"
        self.display, self.beeper = True, True
        self.in_compliance = False
        self._apply_output()

    # -- what the output drives through the bar -----------------------------------------
    def _limited(self, level: float) -> tuple[float, bool]:
        """The current the compliance lets through, and whether it is in compliance
        (a burnt-open bar is: the output sits at the compliance voltage, section 3)."""
        actual = self.bench.compliance_current(level, self.compliance)
        return actual, abs(actual) < abs(level) * (1 - 1e-9)

    def _apply_output(self) -> None:
        if self.wave_state == "RUNNING":
            peak = abs(self.wave_offset) + self.wave_amplitude
            actual, self.in_compliance = self._limited(peak)
            scale = abs(actual) / peak if peak else 0.0
            self.bench.set_source(self.name, dc=self.wave_offset * scale,
                                  ac_amplitude=self.wave_amplitude * scale,
                                  frequency=self.wave_frequency)
        elif self.wave_state == "ARMED" or self.output:
            _, self.in_compliance = self._drive(
                self.wave_offset if self.wave_state else self.current)
        else:
            self.in_compliance = False
            self.bench.set_source(self.name)
        if self.in_compliance:
            self.meas_event |= COMP

    def _drive(self, level: float) -> tuple[float, bool]:
        """Source ``level``; in compliance, settle I R(I) = V_compliance as the bar heats."""
        for _ in range(3):
            actual, limited = self._limited(level)
            self.bench.set_source(self.name, dc=actual)
            if not limited:
                break
        if limited:
            self.meas_event |= COMP
        return actual, limited

    def process(self, message: str) -> str | None:
        self._refresh()
        return super().process(message)

    def _refresh(self) -> None:
        """What changed while nobody talked to us: a finite waveform ended, the bar
        heated or burnt open (compliance follows the load)."""
        if self.wave_state == "RUNNING":
            duration = (self.wave_time if math.isfinite(self.wave_time)
                        else self.wave_cycles / self.wave_frequency)
            if self.bench.now() - self.wave_started >= duration:
                self.wave_state = "ARMED"
        if self.wave_state or self.output:
            self._apply_output()

    # -- output and DC source (section 3) -----------------------------------------------
    _output = _flag("OUTPut[:STATe]", "output", then="_apply_output", root=False)
    _lte = _flag("OUTPut:LTEarth", "low_to_earth", root=False)
    _shield = _choice("OUTPut:ISHield", "shield", ("GUARd", "OLOW"), root=False)
    _response = _choice("OUTPut:RESPonse", "response", ("FAST", "SLOW"), root=False)
    _level = _number("CURRent[:LEVel][:IMMediate][:AMPLitude]", "current", -I_MAX, I_MAX,
                     then="_apply_output")
    _compliance = _number("CURRent:COMPliance", "compliance", 0.1, 105.0,
                          then="_apply_output")
    _auto_range = _flag("CURRent:RANGe:AUTO", "auto_range")
    _delay = _number("DELay", "source_delay", 1e-3, 999999.999)

    @_source("CURRent:RANGe")
    def _range(self, args: str | None, query: bool) -> str | None:
        if query:
            level = abs(self.current)
            rng = min((r for r in RANGES if r >= level), default=RANGES[-1]) \
                if self.auto_range else self.range
            return _fmt(rng)
        value = abs(parse_float(args, minimum=-I_MAX, maximum=I_MAX,
                                keywords={"MINIMUM": RANGES[0], "MAXIMUM": RANGES[-1]}))
        self.range = min((r for r in RANGES if r >= value * (1 - 1e-9)), default=RANGES[-1])
        return None

    @_source("CLEar[:IMMediate]")
    def _clear_output(self, args: str | None, query: bool) -> None:
        self.output = False
        self._apply_output()

    # -- Delta (section 5, Table 5-2) ---------------------------------------------------
    def _delta_high_set(self) -> None:
        self.delta_low = -self.delta_high  # setting HIGH also sets LOW = -HIGH

    def _count_sets_buffer(self) -> None:
        count = self.pulse_count if self.armed == "PDEL" else self.delta_count
        if math.isfinite(count):
            self.buffer_points = min(int(count), BUFFER_MAX)  # Table 6-4, note 2

    _delta_high = _number("DELTa:HIGH", "delta_high", -I_MAX, I_MAX, then="_delta_high_set")
    _delta_low = _number("DELTa:LOW", "delta_low", -I_MAX, I_MAX)
    _delta_delay = _number("DELTa:DELay", "delta_delay", 0.0, 9999.999)
    _delta_count = _number("DELTa:COUNt", "delta_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _sweep_count = _number("SWEep:COUNt", "sweep_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _delta_cab = _flag("DELTa:CABort", "delta_cab")
    _delta_csw = _flag("DELTa:CSWitch", "delta_cold_switch")

    @scpi("UNIT[:VOLTage][:DC]")
    def _unit(self, args: str | None, query: bool) -> str | None:
        if query:
            return self.unit
        word = (args or "").strip().upper()
        if word not in UNITS:
            raise InstrumentError(*DATA_TYPE)
        self.unit = UNITS[word]
        return None

    def voltmeter(self) -> object | None:
        """The linked 2182A model on the bench, or None if it is not there."""
        for instrument in self.bench.instruments.values():
            if getattr(instrument, "name", None) == self.voltmeter_name and \
                    hasattr(instrument, "measure_voltage"):
                return instrument
        return None

    def _arm(self, kind: str, query: bool) -> str | None:
        if query:
            return "1" if self.armed == kind else "0"
        if self.voltmeter() is None:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; no 2182A found")
        if kind == "PDEL" and self.pulse_sweep:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; sweep not simulated")
        self.wave_state = None
        self.armed = kind  # arming one test un-arms the other (section 5)
        self._count_sets_buffer()
        self._apply_output()
        return None

    @_source("DELTa:ARM")
    def _delta_arm(self, args: str | None, query: bool) -> str | None:
        return self._arm("DELT", query)

    @_source("SWEep:ABORt")
    def _sweep_abort(self, args: str | None, query: bool) -> None:
        self.armed = None
        self._apply_output()

    # -- Pulse Delta (section 5, Table 5-5) ---------------------------------------------
    _pulse_high = _number("PDELta:HIGH", "pulse_high", -I_MAX, I_MAX)
    _pulse_low = _number("PDELta:LOW", "pulse_low", -I_MAX, I_MAX)
    _pulse_width = _number("PDELta:WIDTh", "pulse_width", 50e-6, 12e-3)
    _pulse_sdel = _number("PDELta:SDELay", "pulse_sdel", 16e-6, 11.966e-3)
    _pulse_count = _number("PDELta:COUNt", "pulse_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _pulse_interval = _number("PDELta:INTerval", "pulse_interval", 5, 999999, integer=True)
    _pulse_ranging = _choice("PDELta:RANGing", "pulse_ranging", ("BEST", "FIXed"))
    _pulse_sweep = _flag("PDELta:SWEep", "pulse_sweep")
    _pulse_lme = _number("PDELta:LMEasure", "pulse_lme", 1, 2, integer=True)

    @_source("PDELta:ARM")
    def _pulse_arm(self, args: str | None, query: bool) -> str | None:
        return self._arm("PDEL", query)

    @_source("PDELta:NVPResent")
    @_source("DELTa:NVPResent")
    def _voltmeter_present(self, args: str | None, query: bool) -> str:
        return "1" if self.voltmeter() is not None else "0"

    # -- running a test -----------------------------------------------------------------
    @scpi("INITiate[:IMMediate]")
    def _initiate(self, args: str | None, query: bool) -> None:
        if self.armed is None:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; not armed")
        self.buffer.clear()
        self.buffer_kind = "DELT" if self.armed == "DELT" else "PULS"
        try:
            if self.armed == "DELT":
                self._run_delta()
            else:
                self._run_pulse_delta()
        finally:
            self._apply_output()

    def _planned(self, count: float, sets: float = 1.0) -> int:
        total = count * sets
        return self.buffer_points if math.isinf(total) else int(total)

    def _convert(self, volts: float, current: float) -> float:
        """Reading in the UNIT chosen (section 5, 'Measurement units')."""
        if volts >= OVERFLOW or self.unit == "V":
            return volts
        if self.unit == "W":
            return volts * current
        if volts == 0 or current == 0:
            return OVERFLOW
        return volts / current if self.unit == "OHMS" else current / volts

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

    def _run_delta(self) -> None:
        """Alternate HIGH/LOW, one 2182A A/D at each, and the 3-point moving average
        (A - 2B + C)/4 (-1)^n (section 5, 'Delta measurement technique')."""
        meter = self.voltmeter()
        readings = self._planned(self.delta_count, self.sweep_count)
        half_swing = (self.delta_high - self.delta_low) / 2
        ads: list[float] = []
        compliance = []
        for k in range(readings + 2):
            _, limited = self._drive(self.delta_high if k % 2 == 0 else self.delta_low)
            compliance.append(limited)
            if limited and self.delta_cab:
                break  # compliance abort
            self.bench.advance(self.delta_delay)
            ads.append(meter.measure_voltage(channel=1))
            if k >= 2:
                a, b, c = ads[-3:]
                volts = OVERFLOW if max(a, b, c) >= OVERFLOW else \
                    (a - 2 * b + c) / 4 * (-1) ** (k - 2)
                self._store(volts, half_swing, self.delta_high, any(compliance[-3:]))

    def _run_pulse_delta(self) -> None:
        """Per cycle: 2182A reading at LOW, pulse HIGH for WIDTh with a reading at its end,
        a second LOW reading (LME 2); reading = V_high - mean(V_low). Cycle length is
        INTerval line cycles (section 5, 'Pulse Delta')."""
        meter = self.voltmeter()
        contacts = self.bench.contacts(meter.name, 1)
        aperture = max(self.pulse_width - self.pulse_sdel, 10e-6)
        period = self.pulse_interval / LINE_FREQUENCY
        for _ in range(self._planned(self.pulse_count)):
            lows = [self._low_reading(contacts, aperture)]
            high, limited = self._limited(self.pulse_high)
            if limited:
                self.meas_event |= COMP
            self.bench.pulse(high, self.pulse_width)
            self.bench.set_source(self.name, dc=high)  # the 2182A samples inside the pulse
            v_high = self._volts(contacts, aperture)
            if self.pulse_lme >= 2:
                lows.append(self._low_reading(contacts, aperture))
            else:
                self._drive(self.pulse_low)
            volts = OVERFLOW if max(v_high, *lows) >= OVERFLOW else v_high - sum(lows) / len(lows)
            self._store(volts, self.pulse_high - self.pulse_low, self.pulse_high, limited)
            self.bench.advance(max(period - self.pulse_width - len(lows) * aperture, 0.0))

    def _low_reading(self, contacts: str, aperture: float) -> float:
        self._drive(self.pulse_low)
        self.bench.advance(aperture)
        return self._volts(contacts, aperture)

    def _volts(self, contacts: str, aperture: float) -> float:
        """What the 2182A reads over ``aperture`` with the present current (no time passes)."""
        volts = self.bench.voltage(contacts, aperture)
        return volts if math.isfinite(volts) else OVERFLOW

    @scpi("ABORt")
    def _abort(self, args: str | None, query: bool) -> None:
        return None  # tests finish inside INIT; nothing is left running

    # -- waveform (section 4, Table 4-9) ------------------------------------------------
    _wave_function = _choice("WAVE:FUNCtion", "wave_function",
                             ("SIN", "SQUare", "RAMP", "ARB0", "ARB1", "ARB2", "ARB3", "ARB4"))
    _wave_frequency = _number("WAVE:FREQuency", "wave_frequency", 1e-3, 1e5)
    _wave_amplitude = _number("WAVE:AMPLitude", "wave_amplitude", 2e-12, I_MAX)
    _wave_offset = _number("WAVE:OFFSet", "wave_offset", -I_MAX, I_MAX)
    _wave_duty = _number("WAVE:DCYCle", "wave_duty", 0.0, 100.0)
    _wave_time = _number("WAVE:DURation:TIME", "wave_time", 100e-9, 999999.999, infinite=True)
    _wave_cycles = _number("WAVE:DURation:CYCLes", "wave_cycles", 1e-3, 99999999900.0,
                           infinite=True)
    _wave_ranging = _choice("WAVE:RANGing", "wave_ranging", ("BEST", "FIXed"))
    _marker = _flag("WAVE:PMARker:STATe", "marker")
    _marker_phase = _number("WAVE:PMARker[:LEVel]", "marker_phase", -360.0, 360.0)
    _marker_line = _number("WAVE:PMARker:OLINe", "marker_line", 1, 6, integer=True)

    @_source("WAVE:ARBitrary:DATA")
    def _arb_data(self, args: str | None, query: bool) -> str | None:
        if query:
            return ",".join(_fmt(p) for p in self.arb_points)
        points = [parse_float(p, minimum=-1.0, maximum=1.0) for p in (args or "").split(",")]
        if len(points) > 100:
            raise InstrumentError(*OUT_OF_RANGE)
        self.arb_points = points
        return None

    @_source("WAVE:ARBitrary:COPY")
    def _arb_copy(self, args: str | None, query: bool) -> None:
        parse_float(args, minimum=1, maximum=4)

    @_source("WAVE:ARM")
    def _wave_arm(self, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.wave_state else "0"
        if abs(self.wave_offset) + self.wave_amplitude > I_MAX:
            raise InstrumentError(*SETTINGS_CONFLICT)
        self.armed, self.wave_state = None, "ARMED"
        self._apply_output()
        return None

    @_source("WAVE:INITiate")
    def _wave_init(self, args: str | None, query: bool) -> None:
        if self.wave_state is None:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; not armed")
        self.wave_state, self.wave_started = "RUNNING", self.bench.now()
        self._apply_output()

    @_source("WAVE:ABORt")
    def _wave_abort(self, args: str | None, query: bool) -> None:
        self.wave_state = None
        self._apply_output()

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

    @scpi("*CLS")
    def _clear_status(self, args: str | None, query: bool) -> None:
        self.errors.clear()
        self.meas_event = self.oper_event = self.ques_event = 0

    @scpi("*STB")
    def _status_byte(self, args: str | None, query: bool) -> str:
        stb = (1 if self.meas_event & self.meas_enable else 0) | (4 if self.errors else 0) \
            | (8 if self.ques_event & self.ques_enable else 0) \
            | (32 if self.errors and self.ese & 32 else 0) \
            | (128 if self.oper_event & self.oper_enable else 0)
        return str(stb | (64 if stb & self.sre else 0))

    @scpi("*OPT")
    def _options(self, args: str | None, query: bool) -> str:
        return "0"

    @scpi("*TRG")
    def _bus_trigger(self, args: str | None, query: bool) -> None:
        return None

    # -- triggers, display, system (sections 8, 13) --------------------------------------
    _arm_source = _choice("ARM:SOURce", "arm_source", TRIGGER_SOURCES, root=False)
    _arm_timer = _number("ARM:TIMer", "arm_timer", 1e-3, 99999.99, root=False)
    _arm_line = _number("ARM:ILINe", "arm_line", 1, 6, integer=True, root=False)
    _trigger_source = _choice("TRIGger:SOURce", "trigger_source", TRIGGER_SOURCES, root=False)
    _trigger_in = _number("TRIGger:ILINe", "trigger_in", 1, 6, integer=True, root=False)
    _trigger_out = _number("TRIGger:OLINe", "trigger_out", 1, 6, integer=True, root=False)
    _trigger_when = _choice("TRIGger:OUTPut", "trigger_when", ("NONE", "DELay", "SOURce"),
                            root=False)
    _display = _flag("DISPlay:ENABle", "display", root=False)
    _beeper = _flag("SYSTem:BEEPer:STATe", "beeper", root=False)

    @scpi("SYSTem:BEEPer[:IMMediate]")
    def _beep(self, args: str | None, query: bool) -> None:
        frequency, _, duration = (args or "").partition(",")
        parse_float(frequency, minimum=65.0, maximum=2e6)
        parse_float(duration, minimum=0.0, maximum=7.9)

    @scpi("SYSTem:PRESet")
    def _preset(self, args: str | None, query: bool) -> None:
        self.reset()

    @scpi("SYSTem:VERSion")
    def _version(self, args: str | None, query: bool) -> str:
        return "1996.0"

    @scpi("SYSTem:COMMunicate:SERial:SEND")
    def _serial_send(self, args: str | None, query: bool) -> None:
        """Pass a command to the 2182A over the RS-232 link (section 5, 'Delta')."""
        meter = self.voltmeter()
        if meter is None:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; no 2182A found")
        reply = meter.process((args or "").strip().strip("'\""))
        self.serial_reply = reply if reply is not None else self.serial_reply

    @scpi("SYSTem:COMMunicate:SERial:ENTer")
    def _serial_enter(self, args: str | None, query: bool) -> str:
        reply, self.serial_reply = self.serial_reply, ""
        return reply
