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

This module holds the source itself (output, DC level, compliance, waveform), running a
test, triggers and system commands; the buffer, formats and status model are in
``keithley6221_buffer``, the Delta and Pulse Delta settings and runs in
``keithley6221_delta``.
"""

from __future__ import annotations

import math

from labspin.simulated_instruments.instruments._settings import (
    I_MAX,
    _choice,
    _flag,
    _fmt,
    _number,
    _source,
)
from labspin.simulated_instruments.instruments.keithley6221_buffer import (
    COMP,
    BufferStatusMixin,
    Reading,
)
from labspin.simulated_instruments.instruments.keithley6221_delta import DeltaModesMixin
from labspin.simulated_instruments.scpi import (
    OUT_OF_RANGE,
    SETTINGS_CONFLICT,
    InstrumentError,
    SimulatedInstrument,
    parse_float,
    scpi,
)

RANGES = (2e-9, 20e-9, 200e-9, 2e-6, 20e-6, 200e-6, 2e-3, 20e-3, 100e-3)
TRIGGER_SOURCES = ("IMMediate", "TIMer", "BUS", "TLINk", "MANual")


class Keithley6221Model(BufferStatusMixin, DeltaModesMixin, SimulatedInstrument):
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

    # -- running a test (section 5) -----------------------------------------------------
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

    @scpi("ABORt")
    def _abort(self, args: str | None, query: bool) -> None:
        return None  # tests finish inside INIT; nothing is left running

    @_source("SWEep:ABORt")
    def _sweep_abort(self, args: str | None, query: bool) -> None:
        self.armed = None
        self._apply_output()

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

    # -- IEEE 488.2 common commands over the status model (section 11) ------------------
    # *CLS, *STB and *OPT replace SimulatedInstrument's: only the model class's own
    # handlers are tried before the base's, so they stay here, not in BufferStatusMixin.
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
