"""Keysight 81160A pulse function arbitrary noise generator: ns-us current pulses that the
6221 cannot make, delivered into the bar through a bias tee.

Enough of the command set (81160A user's guide, programming reference) for pymeasure's
unmodified ``Keysight81160A``, which also sends some Agilent 33500 forms (``FUNC:PULS:WIDT``,
``OUTP:LOAD``, ``BURS:NCYC``, ``TRIG:SOUR BUS``); those are accepted as aliases. The
channel number may sit on any header node (``:VOLT2:HIGH``, ``:PULS:WIDT2``,
``SOUR2:FUNC``, ``OUTP2``); no suffix means channel 1.

Physics, through the bench only:

* The generator is an EMF behind its output impedance R_out (50 ohm, ``OUTP:IMP`` 5 ohm).
  Its level settings assume the load set with ``OUTP:LOAD`` (default 50 ohm, ``INF`` for
  high impedance), so the EMF is V_set (R_load + R_out) / R_load.
* The bias tee's capacitor passes the pulse but blocks DC: the bar sees the step from the
  low to the high level, V_high - V_low (negative with ``OUTP:POL INV``), not the offset.
  The droop of pulses approaching the tee's RC time is not simulated.
* Current into the bar: I = EMF_step / (R_out + R_2t), with R_2t =
  ``bench.two_terminal_resistance()`` (bar between the pads plus both leads).
* Output limits: EMF levels within +-10 V and steps of 0.1-10 V (5 Vpp into 50 ohm, 10 Vpp
  into an open circuit); beyond that the setting is refused (-222). Into the default
  py-nio bench (R_2t = 350 ohm) that is 10 V / 400 ohm = 25 mA at most.

Triggering: only triggered bursts reach the bar. With ``ARM:SOUR MAN`` (or the 33500-style
``TRIG:SOUR BUS``), output on and function ``PULS``, each ``*TRG`` (or ``TRIG``) fires
``TRIG:COUN`` (alias ``BURS:NCYC``) pulses of width ``PULS:WIDT`` one period apart
after ``PULS:DEL``:
``bench.pulse`` per pulse, the bench clock advancing by the rest of the period between
them. Continuous output (``ARM:SOUR IMM``, the ``*RST`` state) and external arming are not
simulated: no pulses flow, and a warning is logged when the output is switched on so.
Each pulse is integrated, so a burst is limited to ``MAX_BURST`` pulses.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

from labspin.physics.device import PulseOutcome
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

log = logging.getLogger(__name__)

MAX_EMF = 10.0  # V, largest |level| and largest step of the EMF
MIN_EMF_STEP = 0.1  # V (50 mVpp into 50 ohm)
MAX_BURST = 1000
INFINITE_LOAD = 9.9e37  # what OUTP:LOAD? answers for INF
SHAPES = {"SIN": "SINUSOID", "SQU": "SQUARE", "RAMP": "RAMP", "PULS": "PULSE",
          "NOIS": "NOISE", "DC": "DC", "USER": "USER"}


def channel_scpi(*specs: str) -> Callable:
    """Like ``@scpi``, with the channel suffix of any node passed on: the handler is
    ``handler(self, channel, args, query)``. Each spec is also accepted under ``SOURce``."""
    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def handler(self: Keysight81160AModel, args: str | None, query: bool,
                    suffixes: tuple[str, ...]) -> str | None:
            numbers = {int(s) for s in suffixes if s}
            if len(numbers) > 1 or not numbers <= {1, 2}:
                raise InstrumentError(-114, "Header suffix out of range")
            return func(self, numbers.pop() if numbers else 1, args, query)

        for spec in (*specs, *(f"SOURce:{s}" for s in specs if s[0].isalpha())):
            scpi(spec, suffixes=True)(handler)
        return handler
    return wrap


def _fmt(value: float) -> str:
    return f"{value:+.9E}"


def _keyword(text: str | None, options: dict[str, str]) -> str:
    """The short form of a keyword argument given in short or long form."""
    word = (text or "").strip().upper()
    for short, long_ in options.items():
        if word in (short, long_):
            return short
    raise InstrumentError(*DATA_TYPE)


@dataclass
class PulseChannel:
    """One output's settings, in the units of the front panel (V into the set load, s)."""

    shape: str = "SIN"
    frequency: float = 1e6  # Hz; the pulse period is its inverse
    amplitude: float = 0.1  # Vpp
    offset: float = 0.0  # V
    width: float = 100e-9  # s
    leading: float = 2.5e-9  # s, 10-90 %
    trailing: float | None = None  # s; None follows the leading edge
    delay: float = 0.0  # s
    hold: str = "WIDT"
    output: bool = False
    load: float = 50.0  # ohm, what the levels assume
    impedance: float = 50.0  # ohm, the source's own
    polarity: str = "NORM"
    unit: str = "VPP"
    arm_source: str = "IMM"
    trigger_source: str = "IMM"
    count: int = 1
    burst: bool = False
    burst_mode: str = "TRIG"
    burst_period: float = 1e-3
    limit: bool = False
    limit_high: float = 5.0
    limit_low: float = -5.0
    square_duty_cycle: float = 50.0
    ramp_symmetry: float = 100.0
    phase: float = 0.0
    coupled: bool = False
    trigger_out: bool = False

    @property
    def period(self) -> float:
        return 1.0 / self.frequency

    @property
    def high(self) -> float:
        return self.offset + self.amplitude / 2

    @property
    def low(self) -> float:
        return self.offset - self.amplitude / 2

    @property
    def emf_factor(self) -> float:
        """EMF per volt of setting: (R_load + R_out) / R_load."""
        return 1.0 if math.isinf(self.load) else (self.load + self.impedance) / self.load

    @property
    def trailing_edge(self) -> float:
        return self.leading if self.trailing is None else self.trailing


NUMERIC_LIMITS = {  # field -> (minimum, maximum)
    "frequency": (1e-6, 500e6), "width": (1.5e-9, 1e6), "leading": (1e-9, 1e3),
    "trailing": (1e-9, 1e3), "delay": (0.0, 1e3), "burst_period": (3.03e-9, 1e6),
    "limit_high": (-9.99, 10.0), "limit_low": (-10.0, 9.99), "phase": (-360.0, 360.0),
    "square_duty_cycle": (0.01, 99.99), "ramp_symmetry": (0.0, 100.0),
}
CHOICES = {  # field -> {short: long}
    "shape": SHAPES,
    "polarity": {"NORM": "NORMAL", "INV": "INVERTED"},
    "unit": {"VPP": "VPP", "VRMS": "VRMS", "DBM": "DBM"},
    "arm_source": {"IMM": "IMMEDIATE", "INT2": "INTERNAL2", "EXT": "EXTERNAL",
                   "MAN": "MANUAL"},
    "trigger_source": {"IMM": "IMMEDIATE", "INT2": "INTERNAL2", "EXT": "EXTERNAL",
                       "BUS": "BUS"},
    "burst_mode": {"TRIG": "TRIGGERED", "GAT": "GATED"},
    "hold": {"WIDT": "WIDTH", "DCYC": "DCYCLE"},
}
BOOLEANS = ("output", "burst", "limit", "coupled", "trigger_out")


def _setting(name: str, *specs: str) -> Callable:
    """A handler that sets and queries one field of a channel, then checks the channel."""
    @channel_scpi(*specs)
    def handler(self: Keysight81160AModel, channel: int, args: str | None,
                query: bool) -> str | None:
        ch = self.channels[channel]
        value = ch.trailing_edge if name == "trailing" else getattr(ch, name)
        if query:
            if name in BOOLEANS:
                return "1" if value else "0"
            return value if isinstance(value, str) else _fmt(value)
        if name in BOOLEANS:
            new = parse_bool(args)
        elif name in CHOICES:
            new = _keyword(args, CHOICES[name])
        else:
            low, high = NUMERIC_LIMITS[name]
            new = parse_float(args, minimum=low, maximum=high,
                              keywords={"MINIMUM": low, "MAXIMUM": high})
        self.change(channel, **{name: new})
        return None
    handler.__name__ = f"_{name}"
    return handler


def _level(kind: str, spec: str) -> Callable:
    """Amplitude/offset and high/low are two views of the same two numbers."""
    @channel_scpi(spec)
    def handler(self: Keysight81160AModel, channel: int, args: str | None,
                query: bool) -> str | None:
        ch = self.channels[channel]
        if query:
            return _fmt(getattr(ch, kind))
        value = parse_float(args, minimum=-2 * MAX_EMF, maximum=2 * MAX_EMF)
        high, low = {"amplitude": (ch.offset + value / 2, ch.offset - value / 2),
                     "offset": (value + ch.amplitude / 2, value - ch.amplitude / 2),
                     "high": (value, ch.low), "low": (ch.high, value)}[kind]
        if high <= low:
            raise InstrumentError(*SETTINGS_CONFLICT)
        self.change(channel, amplitude=high - low, offset=(high + low) / 2)
        return None
    handler.__name__ = f"_{kind}"
    return handler


def _apply(shape: str, spec: str) -> Callable:
    """``APPLy:<shape> [frequency [, amplitude [, offset]]]``: set up and switch the output
    on; ``DEF`` keeps a value."""
    @channel_scpi(spec)
    def handler(self: Keysight81160AModel, channel: int, args: str | None,
                query: bool) -> None:
        ch = self.channels[channel]
        values = [ch.frequency, ch.amplitude, ch.offset]
        words = [a.strip().upper() for a in (args or "").split(",") if a.strip()]
        if len(words) > 3:
            raise InstrumentError(-108, "Parameter not allowed")
        for k, word in enumerate(words):
            if word not in ("DEF", "DEFAULT"):
                values[k] = parse_float(word)
        self.change(channel, shape=shape, output=True, frequency=values[0],
                    amplitude=values[1], offset=values[2])
    handler.__name__ = f"_apply_{shape.lower()}"
    return handler


class Keysight81160AModel(SimulatedInstrument):
    idn = "Agilent Technologies,81160A,DE12345678,2.1.0.0-3.0"
    read_termination = "\n"
    write_termination = "\n"

    def reset(self) -> None:
        self.channels = {1: PulseChannel(), 2: PulseChannel()}

    # -- settings with their cross-checks ----------------------------------------------
    def change(self, channel: int, **changes: object) -> None:
        """Apply settings to a channel, or refuse all of them if the result is illegal."""
        ch = self.channels[channel]
        before = {f.name: getattr(ch, f.name) for f in fields(ch)}
        if ch.hold == "DCYC" and "frequency" in changes and "width" not in changes:
            changes["width"] = ch.width / ch.period / float(changes["frequency"])  # type: ignore[arg-type]
        for name, value in changes.items():
            setattr(ch, name, value)
        try:
            self._check(ch)
        except InstrumentError:
            for name, value in before.items():
                setattr(ch, name, value)
            raise
        if changes.get("output") and ch.shape == "PULS" and ch.arm_source == "IMM":
            log.warning("%s: continuous pulses (ARM:SOUR IMM) are not simulated; set "
                        "ARM:SOUR MAN and send *TRG to pulse the bar", self.name)

    @staticmethod
    def _check(ch: PulseChannel) -> None:
        step = ch.amplitude * ch.emf_factor
        if not MIN_EMF_STEP * (1 - 1e-9) <= step <= MAX_EMF * (1 + 1e-9):
            raise InstrumentError(*OUT_OF_RANGE)
        if max(abs(ch.high), abs(ch.low)) * ch.emf_factor > MAX_EMF * (1 + 1e-9):
            raise InstrumentError(*OUT_OF_RANGE)
        if ch.limit and (ch.high > ch.limit_high or ch.low < ch.limit_low):
            raise InstrumentError(*SETTINGS_CONFLICT)
        if ch.shape == "PULS" and ch.width + (ch.leading + ch.trailing_edge) / 2 > ch.period:
            raise InstrumentError(*SETTINGS_CONFLICT)
        if ch.count > MAX_BURST:
            raise InstrumentError(-222, f"Data out of range; the simulated bench fires at "
                                        f"most {MAX_BURST} pulses per trigger")

    _output = _setting("output", "OUTPut[:STATe]")
    _shape = _setting("shape", "FUNCtion[:SHAPe]")
    _frequency = _setting("frequency", "FREQuency[:CW]")
    _width = _setting("width", "PULSe:WIDTh", "FUNCtion:PULSe:WIDTh")
    _leading = _setting("leading", "PULSe:TRANsition[:LEADing]")
    _trailing = _setting("trailing", "PULSe:TRANsition:TRAiling",
                         "FUNCtion:PULSe:TRANsition:TRAiling")
    _delay = _setting("delay", "PULSe:DELay")
    _hold = _setting("hold", "PULSe:HOLD", "FUNCtion:PULSe:HOLD")
    _polarity = _setting("polarity", "OUTPut:POLarity")
    _unit = _setting("unit", "VOLTage:UNIT")
    _arm_source = _setting("arm_source", "ARM:SOURce")
    _trigger_source = _setting("trigger_source", "TRIGger:SOURce")
    _burst_mode = _setting("burst_mode", "BURSt:MODE")
    _burst_period = _setting("burst_period", "BURSt:INTernal:PERiod")
    _burst = _setting("burst", "BURSt:STATe")
    _limit = _setting("limit", "VOLTage:LIMit:STATe")
    _limit_high = _setting("limit_high", "VOLTage:LIMit:HIGH")
    _limit_low = _setting("limit_low", "VOLTage:LIMit:LOW")
    _square = _setting("square_duty_cycle", "FUNCtion:SQUare:DCYCle")
    _ramp = _setting("ramp_symmetry", "FUNCtion:RAMP:SYMMetry")
    _phase = _setting("phase", "PHASe")
    _coupled = _setting("coupled", "TRACe:CHANnel")
    _trigger_out = _setting("trigger_out", "OUTPut:TRIGger")

    @channel_scpi("PULSe:PERiod", "FUNCtion:PULSe:PERiod")
    def _period(self, channel: int, args: str | None, query: bool) -> str | None:
        if query:
            return _fmt(self.channels[channel].period)
        period = parse_float(args, minimum=2e-9, maximum=1e6,
                             keywords={"MINIMUM": 2e-9, "MAXIMUM": 1e6})
        self.change(channel, frequency=1.0 / period)
        return None

    @channel_scpi("PULSe:DCYCle", "FUNCtion:PULSe:DCYCle")
    def _duty_cycle(self, channel: int, args: str | None, query: bool) -> str | None:
        ch = self.channels[channel]
        if query:
            return _fmt(100.0 * ch.width / ch.period)
        self.change(channel, width=parse_float(args, minimum=0.0, maximum=100.0) / 100 * ch.period)
        return None

    @channel_scpi("FUNCtion:PULSe:TRANsition[:BOTH]")
    def _both_edges(self, channel: int, args: str | None, query: bool) -> str | None:
        if query:
            return _fmt(self.channels[channel].leading)
        self.change(channel, leading=parse_float(args, minimum=1e-9, maximum=1e3), trailing=None)
        return None

    @channel_scpi("TRIGger:COUNt", "BURSt:NCYCles")
    def _count(self, channel: int, args: str | None, query: bool) -> str | None:
        if query:
            return str(self.channels[channel].count)
        count = parse_float(args, minimum=1, maximum=2147483647)
        if count != int(count):
            raise InstrumentError(*DATA_TYPE)
        self.change(channel, count=int(count))
        return None

    @channel_scpi("OUTPut:LOAD", "OUTPut:IMPedance:EXTernal")
    def _load(self, channel: int, args: str | None, query: bool) -> str | None:
        if query:
            load = self.channels[channel].load
            return _fmt(INFINITE_LOAD if math.isinf(load) else load)
        word = (args or "").strip().upper()
        load = math.inf if word in ("INF", "INFINITY") else parse_float(
            word, minimum=0.3, keywords={"MINIMUM": 0.3, "MAXIMUM": 1e6, "DEFAULT": 50.0})
        if 1e6 < load < INFINITE_LOAD:
            raise InstrumentError(*OUT_OF_RANGE)
        self.change(channel, load=math.inf if load >= INFINITE_LOAD else load)
        return None

    @channel_scpi("OUTPut:IMPedance[:INTernal]")
    def _impedance(self, channel: int, args: str | None, query: bool) -> str | None:
        if query:
            return _fmt(self.channels[channel].impedance)
        word = (args or "").strip().upper().removesuffix("OHM")
        value = parse_float(word, keywords={"MINIMUM": 5.0, "MAXIMUM": 50.0, "DEFAULT": 50.0})
        if value not in (5.0, 50.0):
            raise InstrumentError(*OUT_OF_RANGE)
        self.change(channel, impedance=value)
        return None

    _amplitude = _level("amplitude", "VOLTage[:LEVel][:IMMediate][:AMPLitude]")
    _offset = _level("offset", "VOLTage[:LEVel][:IMMediate]:OFFSet")
    _high = _level("high", "VOLTage[:LEVel][:IMMediate]:HIGH")
    _low = _level("low", "VOLTage[:LEVel][:IMMediate]:LOW")
    _apply_sin = _apply("SIN", "APPLy:SINusoid")
    _apply_square = _apply("SQU", "APPLy:SQUare")
    _apply_ramp = _apply("RAMP", "APPLy:RAMP")
    _apply_pulse = _apply("PULS", "APPLy:PULSe")
    _apply_noise = _apply("NOIS", "APPLy:NOISe")
    _apply_dc = _apply("DC", "APPLy:DC")
    _apply_user = _apply("USER", "APPLy:USER")

    # -- triggering and the pulses -------------------------------------------------------
    def pulse_current(self, channel: int = 1) -> float:
        """Current (A) one pulse drives through the bias tee into the bar."""
        ch = self.channels[channel]
        step = (ch.high - ch.low) * (-1.0 if ch.polarity == "INV" else 1.0)
        return step * ch.emf_factor / (ch.impedance + self.bench.two_terminal_resistance())

    def fire(self, channel: int = 1) -> list[PulseOutcome]:
        """One triggered burst of ``channel`` into the bar (nothing unless the output is on
        with function PULS)."""
        ch = self.channels[channel]
        if not ch.output or ch.shape != "PULS" or not math.isfinite(
                self.bench.two_terminal_resistance()):
            return []
        current = self.pulse_current(channel)
        outcomes = []
        self.bench.advance(ch.delay)
        for k in range(ch.count):
            if k:
                self.bench.advance(ch.period - ch.width)
            outcomes.append(self.bench.pulse(current, ch.width))
        return outcomes

    @scpi("*TRG")
    def _bus_trigger(self, args: str | None, query: bool) -> None:
        for channel, ch in self.channels.items():
            if ch.arm_source == "MAN" or ch.trigger_source == "BUS":
                self.fire(channel)

    @channel_scpi("TRIGger[:IMMediate]")
    def _trigger(self, channel: int, args: str | None, query: bool) -> None:
        if query or args:
            raise InstrumentError(-108, "Parameter not allowed")
        self.fire(channel)

    # -- accepted without effect on the bar (arbitrary waveforms, display, beeper) -------
    @channel_scpi("DATA:NVOLatile:FREE")
    def _free_slots(self, channel: int, args: str | None, query: bool) -> str:
        return "4"

    @channel_scpi("DATA:NVOLatile:CATalog")
    def _catalog(self, channel: int, args: str | None, query: bool) -> str:
        return '""'

    @channel_scpi("DATA:COPY", "DATA:DELete", "DATA:VOLatile:CLEar", "DATA:ARBitrary",
                  "DATA:ARBitrary:DAC", "PHASe:SYNChronize", "SYSTem:BEEPer[:IMMediate]",
                  "DISPlay:TEXT", "DISPlay:TEXT:CLEar")
    def _no_effect(self, channel: int, args: str | None, query: bool) -> None:
        return None
