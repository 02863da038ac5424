"""Lake Shore 331 temperature controller: input A on the chuck, loop 1 heats it.

Enough of the command set for pymeasure's ``LakeShore331`` unmodified (its channels send
``KRDG? A``, ``CRDG? A``, ``SRDG? A``, ``SETP 1,300.000000``, ``SETP? 1``, ``RANGE 1,2``,
``RANGE? 1``, ``HTR? 1``, ``MOUT 1,10.0``, ``MOUT? 1``); the 331's own loop-1 short forms
(``RANGE 2``, ``RANGE?``, ``HTR?``) work too. Loop 1 drives ``bench.stage``: its setpoint
is the stage setpoint and heater range off means ``stage.heater_on = False``. Input B
has no sensor fitted. Replies end in CR LF.
"""

from __future__ import annotations

from labspin.simulated_instruments.scpi import (
    OUT_OF_RANGE,
    InstrumentError,
    SimulatedInstrument,
    parse_float,
    regex,
    scpi,
)

#: sensor reading noise, kelvin rms
NOISE = 2e-3
#: setpoints the controller accepts (platinum sensor curve), kelvin
SETPOINT_RANGE = (0.0, 800.0)
#: heater range code -> temperature rise above base that drives the heater to 100 %,
#: kelvin (only for the HTR? readback: the bench's stage has no power limit)
FULL_POWER_RISE = {1: 10.0, 2: 100.0, 3: 1000.0}
RANGE_NAMES = {0: "off", 1: "low", 2: "medium", 3: "high"}
INPUTS = ("A", "B")
LOOPS = (1, 2)


class LakeShore331Model(SimulatedInstrument):
    """Controller whose loop 1 / input A is the bench's temperature stage."""

    idn = "LSCI,MODEL331S,331A000,1.8"
    read_termination = "\r\n"
    write_termination = "\r\n"

    def __init__(self, bench: object, name: str) -> None:
        self.stage = bench.stage  # type: ignore[attr-defined]
        super().__init__(bench, name)

    def reset(self) -> None:
        """Take over the running stage: loop 1 at its setpoint, heater as it is."""
        self.heater_range = {1: 3 if self.stage.heater_on else 0, 2: 0}
        self.setpoint = {2: 0.0}
        self.manual_output = {1: 0.0, 2: 0.0}

    @scpi("*RST")
    def _rst(self, args: str | None, query: bool) -> None:
        """Power-up settings: both heaters off (the setpoint stays)."""
        self.reset()
        self.heater_range = {1: 0, 2: 0}
        self.stage.heater_on = False

    @scpi("*OPT")
    def _options(self, args: str | None, query: bool) -> str:
        return "0"

    # -- parsing ------------------------------------------------------------------------
    @staticmethod
    def _input(text: str | None) -> str:
        name = (text or "").strip().upper()
        if name not in INPUTS:
            raise InstrumentError(*OUT_OF_RANGE)
        return name

    @staticmethod
    def _loop(text: str | None) -> int:
        loop = parse_float(text or "1", minimum=1, maximum=2)
        if loop != int(loop):
            raise InstrumentError(*OUT_OF_RANGE)
        return int(loop)

    @staticmethod
    def _loop_and_value(args: str) -> tuple[int, str]:
        """``<loop>,<value>`` or the 331's loop-1 short form ``<value>``."""
        parts = [p.strip() for p in args.split(",")]
        if len(parts) == 1:
            return 1, parts[0]
        if len(parts) == 2:
            return LakeShore331Model._loop(parts[0]), parts[1]
        raise InstrumentError(-108, "Parameter not allowed")

    # -- inputs -------------------------------------------------------------------------
    def kelvin(self, name: str) -> float:
        """Input reading in kelvin; 0 on an input without a sensor."""
        if name != "A":
            return 0.0
        return self.stage.temperature + self.bench.gaussian(NOISE)

    @regex(r"KRDG\?\s*(?P<name>.*)")
    def _kelvin(self, name: str) -> str:
        return f"{self.kelvin(self._input(name)):+.3f}"

    @regex(r"CRDG\?\s*(?P<name>.*)")
    def _celsius(self, name: str) -> str:
        name = self._input(name)
        return f"{self.kelvin(name) - 273.15 if name == 'A' else 0.0:+.3f}"

    @regex(r"SRDG\?\s*(?P<name>.*)")
    def _sensor(self, name: str) -> str:
        """Sensor units: a PT-100 (ohm), linearized about the ice point."""
        name = self._input(name)
        if name != "A":
            return f"{0.0:+.4f}"
        return f"{100.0 * (1 + 3.85e-3 * (self.kelvin(name) - 273.15)):+.4f}"

    # -- loops --------------------------------------------------------------------------
    def loop_setpoint(self, loop: int) -> float:
        return self.stage.setpoint if loop == 1 else self.setpoint[loop]

    @regex(r"SETP\?\s*(?P<loop>.*)")
    def _setpoint_query(self, loop: str) -> str:
        return f"{self.loop_setpoint(self._loop(loop)):+.3f}"

    @regex(r"SETP\s+(?P<args>[^?]+)")
    def _setpoint(self, args: str) -> None:
        loop, text = self._loop_and_value(args)
        value = parse_float(text, minimum=SETPOINT_RANGE[0], maximum=SETPOINT_RANGE[1])
        if loop == 1:
            self.stage.setpoint = value
        else:
            self.setpoint[loop] = value

    @regex(r"RANGE\?\s*(?P<loop>.*)")
    def _range_query(self, loop: str) -> str:
        return str(self.heater_range[self._loop(loop)])

    @regex(r"RANGE\s+(?P<args>[^?]+)")
    def _range(self, args: str) -> None:
        loop, text = self._loop_and_value(args)
        code = parse_float(text, minimum=0, maximum=3 if loop == 1 else 1)
        if code != int(code):
            raise InstrumentError(*OUT_OF_RANGE)
        self.heater_range[loop] = int(code)
        if loop == 1:
            self.stage.heater_on = code > 0

    @regex(r"HTR\?\s*(?P<loop>.*)")
    def _heater_output(self, loop: str) -> str:
        """Heater output in percent of the range: what holds the stage above base plus a
        proportional term for the remaining error."""
        number = self._loop(loop)
        code = self.heater_range[number]
        if number != 1 or code == 0:
            return f"{self.manual_output[number] if code else 0.0:+06.1f}"
        rise = (self.stage.setpoint - self.stage.base_temperature
                + 5.0 * (self.stage.setpoint - self.stage.temperature))
        percent = max(0.0, min(100.0, 100.0 * rise / FULL_POWER_RISE[code]))
        return f"{max(percent, self.manual_output[1]):+06.1f}"

    @regex(r"MOUT\?\s*(?P<loop>.*)")
    def _manual_output_query(self, loop: str) -> str:
        return f"{self.manual_output[self._loop(loop)]:+.2f}"

    @regex(r"MOUT\s+(?P<args>[^?]+)")
    def _manual_output(self, args: str) -> None:
        loop, text = self._loop_and_value(args)
        self.manual_output[loop] = parse_float(text, minimum=0.0, maximum=100.0)
