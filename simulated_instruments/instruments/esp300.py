"""Newport ESP300 motion controller; axis 1 carries the sample rotation stage.

Enough of the command set for pymeasure's ``ESP300`` unmodified: axis commands are
``<axis><mnemonic>[?][value]`` (``1PA45``, ``1TP``, ``1MD?``, ``1VA5``), errors are read
with ``TE?``/``TB?`` as ESP codes (general 1..41, axis ``<axis>xx``). Axis 1 moves
``bench.rotator`` only as bench time passes (``WS`` lets it pass until the move ends, as
the real controller holds later commands); axes 2 and 3 have no stage connected.
"""

from __future__ import annotations

import math

from labspin.simulated_instruments.scpi import (
    InstrumentError,
    SimulatedInstrument,
    parse_float,
    regex,
    scpi,
)

#: SN unit code -> controller units per degree (a rotation stage has angular units only)
UNITS_PER_DEGREE = {7: 1.0, 8: 400.0 / 360.0, 9: math.pi / 180.0,
                    10: 1e3 * math.pi / 180.0, 11: 1e6 * math.pi / 180.0}
#: ESP general errors the driver knows, by SCPI code of the base class
SCPI_TO_ESP = {-113: 6, -109: 38}
GENERAL_MESSAGES = {6: "COMMAND DOES NOT EXIST", 7: "PARAMETER OUT OF RANGE",
                    9: "AXIS NUMBER OUT OF RANGE", 37: "AXIS NUMBER MISSING",
                    38: "COMMAND PARAMETER MISSING"}
AXIS_MESSAGES = {1: "PARAMETER OUT OF RANGE", 6: "POSITIVE SOFTWARE LIMIT DETECTED",
                 7: "NEGATIVE SOFTWARE LIMIT DETECTED", 8: "MOTOR / STAGE NOT CONNECTED",
                 10: "MAXIMUM VELOCITY EXCEEDED", 13: "MOTOR NOT ENABLED"}
AXES = (1, 2, 3)
ROTATION_AXIS = 1


def axis_error(axis: int, code: int) -> InstrumentError:
    return InstrumentError(axis * 100 + code, AXIS_MESSAGES[code])


def general_error(code: int) -> InstrumentError:
    return InstrumentError(code, GENERAL_MESSAGES[code])


class ESP300Model(SimulatedInstrument):
    """Three-axis controller with the rotator on axis 1."""

    idn = "Newport Corporation,ESP300,0,3.08 (labspin simulated)"
    read_termination = "\r\n"
    write_termination = "\r"

    def __init__(self, bench: object, name: str) -> None:
        self.rotator = bench.rotator  # type: ignore[attr-defined]
        super().__init__(bench, name)

    def reset(self) -> None:
        self.units = 7  # degree
        self.origin = 0.0  # physical angle (deg) where the controller reads 0
        self.left_limit = -360.0  # deg, software limits
        self.right_limit = 360.0
        self.max_velocity = 20.0  # deg/s
        self.acceleration = 40.0  # deg/s^2, stored only

    # -- errors: ESP codes, not SCPI ----------------------------------------------------
    def push_error(self, code: int, message: str) -> None:
        if code < 0:
            code = SCPI_TO_ESP.get(code, 7)
            message = GENERAL_MESSAGES[code]
        super().push_error(code, message)

    @regex(r"TE\?")
    def _error_code(self) -> str:
        return str(self.errors.popleft()[0]) if self.errors else "0"

    @regex(r"TB\?")
    def _error_message(self) -> str:
        code, message = self.errors.popleft() if self.errors else (0, "NO ERROR DETECTED")
        return f"{code}, {int(self.bench.now() * 1000)}, {message}"

    @scpi("*OPT")
    def _options(self, args: str | None, query: bool) -> str:
        """Answered because pymeasure's ``ESP300.axes`` reads every property, *OPT? too."""
        return "0"

    @regex(r"VE\?")
    def _version(self) -> str:
        return "ESP300 Version 3.08 09/09/02"

    # -- helpers ------------------------------------------------------------------------
    def _axis(self, axis: str | None, *, motion: bool = False) -> int:
        """The axis number; motion on an axis without stage is an x08 error."""
        if not axis:
            raise general_error(37)
        number = int(axis)
        if number not in AXES:
            raise general_error(9)
        if motion and number != ROTATION_AXIS:
            raise axis_error(number, 8)
        return number

    def _to_units(self, degrees: float) -> float:
        return degrees * UNITS_PER_DEGREE[self.units]

    def _to_degrees(self, value: float) -> float:
        return value / UNITS_PER_DEGREE[self.units]

    def _value(self, text: str | None) -> float:
        if text is None or not text.strip():
            raise general_error(38)
        try:
            return parse_float(text)
        except InstrumentError:
            raise general_error(7) from None

    @staticmethod
    def format(value: float) -> str:
        return f"{value:.5f}"

    def _position(self) -> float:
        return self._to_units(self.rotator.angle - self.origin)

    def _move(self, axis: int, target_position: float) -> None:
        """Start a move to a controller position (units); time passes only on the bench."""
        if not self.rotator.motor_on:
            raise axis_error(axis, 13)
        degrees = self._to_degrees(target_position)
        if degrees > self.right_limit + 1e-9:
            raise axis_error(axis, 6)
        if degrees < self.left_limit - 1e-9:
            raise axis_error(axis, 7)
        self.rotator.target = self.origin + degrees

    # -- position and motion ------------------------------------------------------------
    @regex(r"(?P<axis>\d*)TP\??")
    def _actual_position(self, axis: str) -> str:
        if self._axis(axis) != ROTATION_AXIS:
            return self.format(0.0)
        return self.format(self._position())

    @regex(r"(?P<axis>\d*)DP\??")
    def _desired_position(self, axis: str) -> str:
        if self._axis(axis) != ROTATION_AXIS:
            return self.format(0.0)
        return self.format(self._to_units(self.rotator.target - self.origin))

    @regex(r"(?P<axis>\d*)TV\??")
    def _actual_velocity(self, axis: str) -> str:
        moving = self._axis(axis) == ROTATION_AXIS and self._moving()
        return self.format(self._to_units(self.rotator.velocity) if moving else 0.0)

    def _moving(self) -> bool:
        return self.rotator.motor_on and self.rotator.moving

    @regex(r"(?P<axis>\d*)MD\?")
    def _motion_done(self, axis: str) -> str:
        moving = self._axis(axis) == ROTATION_AXIS and self._moving()
        return "0" if moving else "1"

    @regex(r"(?P<axis>\d*)PA(?P<value>[^?]*)")
    def _move_absolute(self, axis: str, value: str) -> None:
        number = self._axis(axis, motion=True)
        self._move(number, self._value(value))

    @regex(r"(?P<axis>\d*)PR(?P<value>[^?]*)")
    def _move_relative(self, axis: str, value: str) -> None:
        number = self._axis(axis, motion=True)
        start = self._to_units(self.rotator.target - self.origin)
        self._move(number, start + self._value(value))

    @regex(r"(?P<axis>\d*)(?:PA|PR)\?")
    def _target_query(self, axis: str) -> str:
        return self._desired_position(axis)

    @regex(r"(?P<axis>\d*)ST")
    def _stop(self, axis: str) -> None:
        """Stop (all axes without a number); the stage stops where it is."""
        if axis:
            self._axis(axis)
        self.rotator.target = self.rotator.angle

    @regex(r"AB")
    def _abort(self) -> None:
        self.rotator.target = self.rotator.angle
        self.rotator.motor_on = False

    @regex(r"(?P<axis>\d*)WS(?P<delay>[^?]*)")
    def _wait_for_stop(self, axis: str, delay: str) -> None:
        """Hold the command queue until the move ends: the bench lets that time pass."""
        self._axis(axis)
        wait = self._value(delay) / 1e3 if delay.strip() else 0.0
        for _ in range(3):  # the remaining distance at the set speed, once more if rounding
            if not self._moving():
                break
            self.bench.advance(abs(self.rotator.target - self.rotator.angle)
                               / self.rotator.velocity + 1e-6)
        if wait > 0:
            self.bench.advance(wait)

    @regex(r"(?P<axis>\d*)OR(?P<mode>\d*)")
    def _home(self, axis: str, mode: str) -> None:
        """Search home: the switch sits at the stage's mechanical zero."""
        number = self._axis(axis, motion=True)
        if mode and int(mode) not in range(7):
            raise general_error(7)
        if not self.rotator.motor_on:
            raise axis_error(number, 13)
        self.origin = 0.0
        self.rotator.target = 0.0

    @regex(r"(?P<axis>\d*)DH(?P<value>[^?]*)")
    def _define_home(self, axis: str, value: str) -> None:
        """Call the present position ``value`` (0 without one)."""
        self._axis(axis, motion=True)
        here = self._value(value) if value.strip() else 0.0
        self.origin = self.rotator.angle - self._to_degrees(here)

    # -- motor --------------------------------------------------------------------------
    @regex(r"(?P<axis>\d*)MO\?")
    def _motor_query(self, axis: str) -> str:
        on = self._axis(axis) == ROTATION_AXIS and self.rotator.motor_on
        return "1" if on else "0"

    @regex(r"(?P<axis>\d*)MO")
    def _motor_on(self, axis: str) -> None:
        self._axis(axis, motion=True)
        self.rotator.motor_on = True

    @regex(r"(?P<axis>\d*)MF")
    def _motor_off(self, axis: str) -> None:
        """Switch the motor off (harmless on an empty axis); a move in progress stops."""
        if self._axis(axis) == ROTATION_AXIS:
            self.rotator.target = self.rotator.angle
            self.rotator.motor_on = False

    # -- parameters ---------------------------------------------------------------------
    @regex(r"(?P<axis>\d*)(?P<name>VA|VU|AC|SL|SR|SN)(?P<query>\?)?(?P<value>[^?]*)")
    def _parameter(self, axis: str, name: str, query: str | None, value: str) -> str | None:
        number = self._axis(axis)
        name = name.upper()
        if query:
            if value.strip():
                raise general_error(7)
            return self._get_parameter(number, name)
        if number != ROTATION_AXIS:
            raise axis_error(number, 8)
        self._set_parameter(number, name, self._value(value))
        return None

    def _get_parameter(self, axis: int, name: str) -> str:
        if name == "SN":
            return str(self.units if axis == ROTATION_AXIS else 0)
        if axis != ROTATION_AXIS:
            return self.format(0.0)
        degrees = {"VA": self.rotator.velocity, "VU": self.max_velocity,
                   "AC": self.acceleration, "SL": self.left_limit,
                   "SR": self.right_limit}[name]
        return self.format(self._to_units(degrees))

    def _set_parameter(self, axis: int, name: str, value: float) -> None:
        if name == "SN":
            if value not in UNITS_PER_DEGREE:
                raise axis_error(axis, 1)
            self.units = int(value)
            return
        degrees = self._to_degrees(value)
        if name == "VA":
            if degrees > self.max_velocity + 1e-9:
                raise axis_error(axis, 10)
            if degrees <= 0:
                raise axis_error(axis, 1)
            self.rotator.velocity = degrees
        elif name == "VU":
            if degrees <= 0:
                raise axis_error(axis, 1)
            self.max_velocity = degrees
            self.rotator.velocity = min(self.rotator.velocity, degrees)
        elif name == "AC":
            if degrees <= 0:
                raise axis_error(axis, 1)
            self.acceleration = degrees
        elif name == "SL":
            if degrees > self.right_limit:
                raise axis_error(axis, 1)
            self.left_limit = degrees
        else:  # SR
            if degrees < self.left_limit:
                raise axis_error(axis, 1)
            self.right_limit = degrees
