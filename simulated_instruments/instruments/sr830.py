"""Stanford Research Systems SR830 DSP lock-in amplifier on the simulated bench.

Enough of the command set (SR830 manual rev. 2.5, chapter 5) for pymeasure's unmodified
``SR830``: four-letter commands, ``?`` for queries (``OUTP?1`` or ``OUTP? 1``),
comma-separated arguments, ``;`` between commands; replies end with a line feed.

Sign convention (manual, "What does a lock-in measure?"). The SR830 multiplies the input
by its reference sin(n w t + phi) at the detection harmonic n = HARM, phi = PHAS, and
low-pass filters: an input V_s sin(n w t + theta) reads X = V_s cos(theta - phi) / sqrt 2,
Y = V_s sin(theta - phi) / sqrt 2 (volts rms). With the external reference (FMOD 0) the
reference is the current source's sine I = I_0 sin(w t) (a falling-edge trigger, RSLP 2,
turns it by 180 deg per harmonic) or,
without one, the AM rate on an RF generator's LF output (spin-torque FMR). The bench gives
V = V_0 + V_1w sin wt - V_2w cos 2wt (peak values), and -V_2w cos 2wt = V_2w sin(2wt - 90
deg), so:
* HARM 1, PHAS 0:   X = +V_1w / sqrt 2, Y = 0;
* HARM 2, PHAS 0:   X = 0, Y = -V_2w / sqrt 2;
* HARM 2, PHAS -90: X = +V_2w / sqrt 2, Y = 0.

Read -Y, or set PHAS -90 and read X, to get +V_2w / sqrt 2. Harmonics above 2 carry no
signal. The internal reference (FMOD 1) is not coherent with the bench current: noise
only. With FMOD 0 and no sine on the bar the lock-in is unlocked (LIAS bit 3): noise.

Settling: the output follows a change of the input with the time constant tau and is
settled 5 tau later. The bench does not date its changes, so a change seen at a reading is
dated to the lock-in's previous look (the very first reading is taken as settled): read
right after a pulse or a field step and you get the old value; a wait of 5 tau anywhere
between two readings counts. Only AGAN and APHS
(which wait on the real instrument too) and SPTS? during a timed scan (pymeasure polls it
while waiting for the buffer) let bench time pass; OUTP?/SNAP? never do.

Noise: the bench's white noise density in the filter's equivalent noise bandwidth (ENBW
1/(4 tau) ... 5/(64 tau) for 6-24 dB/oct, manual p. 3-24), filtered in bench time
(Ornstein-Uhlenbeck): readings closer together than tau are correlated.

Overload: X, Y or R beyond full scale (sensitivity / expand) sets LIAS bit 2 and saturates
the output; an input above 1 V rms sets bit 0 (flag only). Not simulated: the dynamic
reserve, filter overload, current inputs (ISRC 2, 3 read noise) and binary transfers
(TRCB?/TRCL?: the bench's pyvisa pipe carries ASCII only).
"""

from __future__ import annotations

import copy
import math

from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    OUT_OF_RANGE,
    InstrumentError,
    SimulatedInstrument,
    regex,
)


def _decades(mantissas: tuple[int, ...], first: int, last: int) -> tuple[float, ...]:
    return tuple(float(f"{m}e{e}") for e in range(first, last + 1) for m in mantissas)


SENSITIVITIES = _decades((1, 2, 5), -9, 0)[1:-2]  # SENS 0..26: 2 nV ... 1 V
TIME_CONSTANTS = _decades((1, 3), -5, 4)  # OFLT 0..19: 10 us ... 30 ks
ENBW = (1 / 4, 1 / 8, 3 / 32, 5 / 64)  # ENBW * tau for OFSL 0..3 (manual p. 3-24)
SAMPLE_RATES = tuple(2.0**k / 16 for k in range(14))  # SRAT 0..13; 14 is "trigger"
TRIGGERED_RATE = 14
BUFFER_SIZE = 16383
MAX_FREQUENCY = 102e3  # Hz, detection frequency
INPUT_LIMIT = 1.0  # V rms at the A/B input
SETTLING = 5.0  # time constants
#: bench time is a sum of floating-point steps: a wait of 5 tau may land an ulp short of
#: it, and must still count as 5 tau
_CLOCK_ROUNDING = 1e-9
CHANGE_TOLERANCE = 1e-9  # relative change of the input that counts as a new state

LIA_INPUT, LIA_OUTPUT, LIA_UNLOCK, LIA_TRIGGER = 1, 4, 8, 64
ESR_EXECUTION, ESR_COMMAND = 16, 32

#: integer settings: command -> (largest index, *RST value) (manual p. 4-4 and ch. 5)
SETTINGS = {
    "FMOD": (1, 1), "RSLP": (2, 0), "ISRC": (3, 0), "IGND": (1, 0), "ICPL": (1, 0),
    "ILIN": (3, 0), "SENS": (26, 26), "RMOD": (2, 1), "OFLT": (19, 8), "OFSL": (3, 1),
    "SYNC": (1, 0), "SRAT": (14, 4), "SEND": (1, 1), "TSTR": (1, 0), "FAST": (2, 0),
    "OUTX": (1, 1), "OVRM": (1, 0), "LOCL": (2, 0), "KCLK": (1, 1), "ALRM": (1, 1),
}


def _numbers(text: str | None, least: int, most: int) -> list[float]:
    """Comma-separated numeric arguments, between ``least`` and ``most`` of them."""
    parts = [p.strip() for p in text.split(",")] if text and text.strip() else []
    if parts and not parts[-1]:
        parts.pop()
    if not least <= len(parts) <= most:
        raise InstrumentError(-109, "Missing parameter" if len(parts) < least
                              else "Parameter not allowed")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise InstrumentError(*DATA_TYPE) from None


def _index(value: float | str, maximum: int, minimum: int = 0) -> int:
    number = float(value)
    if number != int(number) or not minimum <= number <= maximum:
        raise InstrumentError(*OUT_OF_RANGE)
    return int(number)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


class SR830Model(SimulatedInstrument):
    idn = "Stanford_Research_Systems,SR830,s/n86012,ver1.07"
    read_termination = "\n"
    write_termination = "\n"

    def reset(self) -> None:
        self.settings: dict = {name: default for name, (_, default) in SETTINGS.items()}
        self.settings.update(
            FREQ=1000.0, PHAS=0.0, SLVL=1.0, HARM=1, FPOP={1: 0, 2: 0},
            OEXP={k: [0.0, 0] for k in (1, 2, 3)}, DDEF={1: [0, 0], 2: [0, 0]},
            AUXV={k: 0.0 for k in (1, 2, 3, 4)})
        self.status = {"LIAS": 0, "ERRS": 0, "*ESR": 0}
        self.enable = {"LIAE": 0, "ERRE": 0, "*ESE": 0, "*SRE": 0}
        self.setups: dict[int, dict] = getattr(self, "setups", {})  # SSET memories survive *RST
        self.buffer: list[tuple[float, float]] = []
        self._scan = "idle"  # idle, armed (waits for a trigger), running, paused, done
        self._next_sample = 0.0
        self._frequency = 1000.0  # last reference frequency seen
        # output filter: settled value of the present input, value when that input appeared
        # and when (bench time), last look at the bench, filtered noise and its time
        self._target = self._start = self._noise = 0j
        self._since, self._last_look, self._noise_time = 0.0, None, None

    def push_error(self, code: int, message: str) -> None:
        super().push_error(code, message)
        self.status["*ESR"] |= ESR_COMMAND if -200 < code <= -100 else ESR_EXECUTION

    # -- the measurement ---------------------------------------------------------------
    @property
    def sensitivity(self) -> float:
        return SENSITIVITIES[self.settings["SENS"]]

    @property
    def time_constant(self) -> float:
        return TIME_CONSTANTS[self.settings["OFLT"]]

    @property
    def noise_sigma(self) -> float:
        """Rms noise of X (and of Y): the bench's white noise in the filter's ENBW."""
        enbw = ENBW[self.settings["OFSL"]] / self.time_constant
        return self.bench.options.noise.density * math.sqrt(enbw)

    def reference(self) -> tuple[bool, float]:
        """(locked, reference frequency in Hz)."""
        if self.settings["FMOD"] == 1:
            return True, self.settings["FREQ"]
        frequency = self.bench.lockin_reference()  # the sine current's, or an RF AM rate
        if frequency is None or not 1e-3 <= frequency * self.settings["HARM"] <= MAX_FREQUENCY:
            return False, self._frequency
        self._frequency = frequency
        return True, frequency

    def _input(self) -> complex:
        """Settled X + iY (V rms) of the present input; flags unlock and input overload."""
        locked, _ = self.reference()
        if not locked:
            self.status["LIAS"] |= LIA_UNLOCK
        v_1w, v_2w = self.bench.harmonic_voltages(self.bench.contacts(self.name, 1))
        if math.hypot(v_1w, v_2w) / math.sqrt(2) > INPUT_LIMIT:
            self.status["LIAS"] |= LIA_INPUT
        n = self.settings["HARM"]
        if not locked or self.settings["FMOD"] == 1 or self.settings["ISRC"] > 1 or n > 2:
            return 0j
        a, b = (v_1w, 0.0) if n == 1 else (0.0, -v_2w)  # input = a sin(nwt) + b cos(nwt)
        turn = 180.0 * n if self.settings["RSLP"] == 2 else 0.0
        phi = math.radians(self.settings["PHAS"] + turn)
        c, s = math.cos(phi), math.sin(phi)
        return complex(a * c + b * s, b * c - a * s) / math.sqrt(2)

    def _filtered(self, t: float) -> complex:
        elapsed = max(t - self._since, 0.0)
        if elapsed >= SETTLING * self.time_constant * (1 - _CLOCK_ROUNDING):
            return self._target
        return self._target + (self._start - self._target) * math.exp(-elapsed / self.time_constant)

    def _look(self) -> None:
        """Notice a change of the input since the last look and date it to that look."""
        now = self.bench.now()
        target = self._input()
        if self._last_look is None:
            self._target = self._start = target
            self._since = now
        elif abs(target - self._target) > CHANGE_TOLERANCE * max(abs(target), abs(self._target)):
            self._start = self._filtered(self._last_look)
            self._since = self._last_look
            self._target = target
        self._last_look = now
        self._fill_buffer()

    def _noise_at(self, t: float) -> complex:
        """White noise through the output filter: successive values decorrelate over tau."""
        if self._noise_time is not None and t <= self._noise_time:
            return self._noise
        rho = 0.0 if self._noise_time is None else math.exp(-(t - self._noise_time)
                                                             / self.time_constant)
        kick = self.noise_sigma * math.sqrt(1.0 - rho * rho)
        self._noise = self._noise * rho + complex(self.bench.gaussian(kick),
                                                  self.bench.gaussian(kick))
        self._noise_time = t
        return self._noise

    def _scaled(self, raw: complex) -> tuple[float, float, float, float]:
        """X, Y, R with offsets, saturated at full scale (flags overload), and theta."""
        values = []
        for k, value in enumerate((raw.real, raw.imag, abs(raw)), start=1):
            offset, expand = self.settings["OEXP"][k]
            value -= offset / 100.0 * self.sensitivity
            full_scale = self.sensitivity / 10**expand
            if abs(value) > full_scale:
                self.status["LIAS"] |= LIA_OUTPUT
                value = math.copysign(full_scale, value)
            values.append(value)
        return values[0], values[1], values[2], math.degrees(math.atan2(raw.imag, raw.real))

    def outputs(self, t: float | None = None) -> tuple[float, float, float, float]:
        """X, Y, R (V rms) and theta (degrees) as OUTP? reads them now."""
        if t is None:
            self._look()
            t = self.bench.now()
        return self._scaled(self._filtered(t) + self._noise_at(t))

    def _displays(self, x: float, y: float, r: float, theta: float) -> tuple[float, float]:
        noise = self.noise_sigma
        return ((x, r, noise, 0.0, 0.0)[self.settings["DDEF"][1][0]],
                (y, theta, noise, 0.0, 0.0)[self.settings["DDEF"][2][0]])

    # -- data transfer -----------------------------------------------------------------
    @regex(r"(?P<command>OUTP|OUTR|OAUX)\s*\?\s*(?P<i>\d+)")
    def _read_output(self, command: str, i: str) -> str:
        command = command.upper()
        if command == "OAUX":
            _index(i, 4, 1)
            return "0.000"  # nothing is wired to the aux inputs
        if command == "OUTP":
            return _fmt(self.outputs()[_index(i, 4, 1) - 1])
        return _fmt(self._displays(*self.outputs())[_index(i, 2, 1) - 1])

    @regex(r"SNAP\s*\?\s*(?P<args>[^?]*)")
    def _snap(self, args: str) -> str:
        picks = [_index(v, 11, 1) for v in _numbers(args, 2, 6)]
        out = self.outputs()
        values = (*out, 0.0, 0.0, 0.0, 0.0, self.reference()[1], *self._displays(*out))
        return ",".join(_fmt(values[p - 1]) for p in picks)

    # -- settings ----------------------------------------------------------------------
    @regex(rf"(?P<command>{'|'.join(SETTINGS)})\s*(?P<query>\?)?\s*(?P<args>[^?]*)")
    def _setting(self, command: str, query: str | None, args: str) -> str | None:
        command = command.upper()
        if query:
            return str(self.settings[command])
        value = _index(_numbers(args, 1, 1)[0], SETTINGS[command][0])
        if command in ("SRAT", "SEND"):
            self._look()  # the samples due so far are taken with the old setting
        self.settings[command] = value
        return None

    @regex(r"(?P<command>FREQ|PHAS|SLVL|HARM)\s*(?P<query>\?)?\s*(?P<args>[^?]*)")
    def _reference_setting(self, command: str, query: str | None, args: str) -> str | None:
        command = command.upper()
        if query:
            value = self.reference()[1] if command == "FREQ" else self.settings[command]
            return str(value) if command == "HARM" else _fmt(value)
        value = _numbers(args, 1, 1)[0]
        if command == "FREQ" and self.settings["FMOD"] != 1:
            raise InstrumentError(-221, "Settings conflict; FREQ sets the internal "
                                        "reference only (FMOD 1)")
        detected = {"FREQ": value * self.settings["HARM"],
                    "HARM": value * self.reference()[1]}.get(command, 1.0)
        low, high = {"PHAS": (-360.0, 729.99), "SLVL": (0.004, 5.0),
                     "HARM": (1, 19999)}.get(command, (-math.inf, math.inf))
        if not (low <= value <= high and 1e-3 <= detected <= MAX_FREQUENCY):
            raise InstrumentError(*OUT_OF_RANGE)
        if command == "PHAS":
            value = (round(value, 2) + 180.0) % 360.0 - 180.0  # wraps at +-180 deg
        elif command == "SLVL":
            value = round(value / 0.002) * 0.002
        elif command == "HARM":
            value = _index(value, 19999, 1)
        self.settings[command] = value
        return None

    @regex(r"(?P<command>DDEF|FPOP|AUXV|OEXP)\s*(?P<query>\?)?\s*(?P<args>[^?]*)")
    def _output_setting(self, command: str, query: str | None, args: str) -> str | None:
        command = command.upper()
        table = self.settings[command]
        if query:
            value = table[_index(_numbers(args, 1, 1)[0], len(table), 1)]
            if command in ("DDEF", "OEXP"):
                return f"{value[0]:.2f},{value[1]}" if command == "OEXP" else \
                    f"{value[0]},{value[1]}"
            return f"{value:.3f}" if command == "AUXV" else str(value)
        if command == "OEXP":
            k, offset, expand = _numbers(args, 3, 3)
            if abs(offset) > 105.0:
                raise InstrumentError(*OUT_OF_RANGE)
            table[_index(k, 3, 1)] = [round(offset, 2), _index(expand, 2)]
        elif command == "DDEF":
            i, j, k = _numbers(args, 3, 3)
            table[_index(i, 2, 1)] = [_index(j, 4), _index(k, 2)]
        elif command == "FPOP":
            i, j = _numbers(args, 2, 2)
            table[_index(i, 2, 1)] = _index(j, 1)
        else:
            i, volts = _numbers(args, 2, 2)
            if abs(volts) > 10.5:
                raise InstrumentError(*OUT_OF_RANGE)
            table[_index(i, 4, 1)] = round(volts, 3)
        return None

    # -- auto functions (manual p. 4-21) ----------------------------------------------
    @regex(r"(?P<command>AGAN|APHS|ARSV|AOFF\s*(?P<i>\d+))")
    def _auto(self, command: str, i: str | None) -> None:
        """AGAN and APHS wait for the output to settle, as on the real instrument."""
        command = command.upper()[:4]
        self._look()
        if command in ("AGAN", "APHS"):
            self.bench.advance(SETTLING * self.time_constant)
            self._look()
        raw = self._filtered(self.bench.now()) + self._noise_at(self.bench.now())
        if command == "AGAN":  # the smallest full scale that holds R below 80 %
            self.settings["SENS"] = next((k for k, s in enumerate(SENSITIVITIES)
                                          if abs(raw) < 0.8 * s), len(SENSITIVITIES) - 1)
        elif command == "APHS":
            turn = self.settings["PHAS"] + math.degrees(math.atan2(raw.imag, raw.real))
            self.settings["PHAS"] = (round(turn, 2) + 180.0) % 360.0 - 180.0
        elif command == "ARSV":
            self.settings["RMOD"] = 0 if self.status["LIAS"] & LIA_INPUT else 2
        else:
            k = _index(i, 3, 1)
            value = (raw.real, raw.imag, abs(raw))[k - 1]
            offset = max(-105.0, min(105.0, 100.0 * value / self.sensitivity))
            self.settings["OEXP"][k][0] = round(offset, 2)

    # -- status registers (manual p. 5-19) ---------------------------------------------
    @regex(r"(?P<register>LIAS|ERRS|\*ESR|\*STB)\s*\?\s*(?P<bit>\d*)")
    def _event_register(self, register: str, bit: str) -> str:
        """Read a status byte; reading clears an event register (not the serial poll)."""
        register = register.upper()
        if register == "LIAS":
            self.outputs()  # latch the present unlock and overload conditions
        if register == "*STB":
            value = self.status_byte()
            return str((value >> _index(bit, 7)) & 1) if bit else str(value)
        value = self.status[register]
        if bit:
            b = _index(bit, 7)
            self.status[register] &= ~(1 << b)
            return str((value >> b) & 1)
        self.status[register] = 0
        return str(value)

    @regex(r"(?P<register>LIAE|ERRE|\*ESE|\*SRE)\s*(?P<query>\?)?\s*(?P<args>[^?]*)")
    def _enable_register(self, register: str, query: str | None, args: str) -> str | None:
        register = register.upper()
        numbers = _numbers(args, 0 if query else 1, 1 if query else 2)
        if query:
            value = self.enable[register]
            return str((value >> _index(numbers[0], 7)) & 1) if numbers else str(value)
        if len(numbers) == 2:
            b = _index(numbers[0], 7)
            self.enable[register] = (self.enable[register] & ~(1 << b)) | (
                _index(numbers[1], 1) << b)
        else:
            self.enable[register] = _index(numbers[0], 255)
        return None

    def status_byte(self) -> int:
        """SCN, IFC, ERR, LIA, MAV, ESB and SRQ bits of the serial poll status byte."""
        stb = (self._scan not in ("running", "armed")) | 2
        stb |= 4 * bool(self.status["ERRS"] & self.enable["ERRE"])
        stb |= 8 * bool(self.status["LIAS"] & self.enable["LIAE"])
        stb |= 32 * bool(self.status["*ESR"] & self.enable["*ESE"])
        return stb | 64 * bool(stb & self.enable["*SRE"])

    @regex(r"\*CLS")
    def _clear_status(self) -> None:
        self.errors.clear()
        self.status = dict.fromkeys(self.status, 0)

    # -- setups ------------------------------------------------------------------------
    @regex(r"(?P<command>SSET|RSET)\s*(?P<i>\d+)")
    def _setup_memory(self, command: str, i: str) -> None:
        number = _index(i, 9, 1)
        if command.upper() == "SSET":
            self.setups[number] = copy.deepcopy(self.settings)
        elif number in self.setups:
            self.settings = copy.deepcopy(self.setups[number])
        else:
            raise InstrumentError(-200, "Execution error; no setup stored in that memory")

    # -- data storage (manual p. 5-16): samples taken as bench time passes --------------
    def _fill_buffer(self) -> None:
        rate = self.settings["SRAT"]
        if self._scan != "running" or rate == TRIGGERED_RATE:
            return
        period = 1.0 / SAMPLE_RATES[rate]
        due = math.floor((self.bench.now() - self._next_sample) / period + 1e-9) + 1
        if self.settings["SEND"] == 1 and due > BUFFER_SIZE:  # loop: only the newest survive
            self._next_sample += (due - BUFFER_SIZE) * period
            due = BUFFER_SIZE
        for _ in range(max(due, 0)):
            if len(self.buffer) >= BUFFER_SIZE:
                if self.settings["SEND"] == 0:
                    self._scan = "done"
                    return
                del self.buffer[0]
            self.buffer.append(self._displays(*self.outputs(self._next_sample)))
            self._next_sample += period

    @regex(r"(?P<command>STRT|STRD|PAUS|REST)")
    def _scan_control(self, command: str) -> None:
        """Start (STRD: after 0.5 s), pause or reset the data storage."""
        self._look()
        command = command.upper()
        if command == "REST":
            self.buffer.clear()
            self._scan = "idle"
        elif command == "PAUS":
            self._scan = "paused" if self._scan in ("running", "armed") else self._scan
        elif self._scan in ("idle", "paused", "done"):
            self._scan = "armed" if self.settings["TSTR"] and self._scan == "idle" else "running"
            self._next_sample = self.bench.now() + (0.5 if command == "STRD" else 0.0)

    @regex(r"TRIG|\*TRG")
    def _trigger(self) -> None:
        self._look()
        if self._scan == "armed":
            self._scan = "running"
            self._next_sample = self.bench.now()
            self.status["LIAS"] |= LIA_TRIGGER
        if self._scan == "running" and self.settings["SRAT"] == TRIGGERED_RATE:
            self.buffer.append(self._displays(*self.outputs()))
            self.status["LIAS"] |= LIA_TRIGGER

    @regex(r"SPTS\s*\?")
    def _spts(self) -> str:
        rate = self.settings["SRAT"]
        if self._scan == "running" and rate != TRIGGERED_RATE:
            self._look()
            self.bench.advance(1.0 / SAMPLE_RATES[rate])  # stands for the driver's poll wait
        self._look()
        return str(len(self.buffer))

    @regex(r"(?P<command>TRCA|TRCB|TRCL)\s*\?\s*(?P<args>[^?]*)")
    def _trace(self, command: str, args: str) -> str:
        if command.upper() != "TRCA":
            raise InstrumentError(-200, f"Execution error; {command.upper()}? sends binary "
                                        "data, which the simulated bench cannot carry: use TRCA?")
        self._look()
        i, j, k = _numbers(args, 3, 3)
        channel, first, count = _index(i, 2, 1), _index(j, BUFFER_SIZE), _index(k, BUFFER_SIZE, 1)
        if first + count > len(self.buffer):
            raise InstrumentError(*OUT_OF_RANGE)
        return "".join(f"{p[channel - 1]:.6e}," for p in self.buffer[first:first + count])
