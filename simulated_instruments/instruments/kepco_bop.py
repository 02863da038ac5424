"""Kepco BOP 36-12 bipolar supply (BIT 4886 interface) driving one electromagnet coil.

Enough of the command set for pymeasure's ``KepcoBOP3612`` unmodified. The model only
translates: the current setpoint and the voltage compliance go to ``bench.coils[axis]``,
whose inductance decides how fast the actual current follows as bench time passes; the
readbacks are the coil's actual current and terminal voltage.

Unlike pymeasure's driver (which truncates), the instrument refuses a setpoint beyond its
rating: error -222 lands in the queue and nothing changes.
"""

from __future__ import annotations

from labspin.simulated_instruments.scpi import (
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    parse_float,
    scpi,
)

MODES = ("VOLT", "CURR")  # FUNC:MODE? answers the index
ILLEGAL_VALUE = (-224, "Illegal parameter value")


class KepcoBOPModel(SimulatedInstrument):
    """One BOP output on coil ``axis``; ``max_voltage``/``max_current`` are its rating."""

    idn = "KEPCO,BOP 36-12 4886 (labspin simulated),E0000,1.62-1.62"
    read_termination = "\n"
    write_termination = "\n"

    def __init__(self, bench: object, name: str, axis: str = "x", *,
                 max_voltage: float = 36.0, max_current: float = 12.0) -> None:
        self.axis = axis
        self.max_voltage = float(max_voltage)
        self.max_current = float(max_current)
        self.coil = bench.coils[axis]  # type: ignore[attr-defined]
        super().__init__(bench, name)

    def reset(self) -> None:
        """Take over what the coil is doing (the supply was on before we connected):
        current mode, the coil's setpoint as current level, its compliance as voltage."""
        self.mode = "CURR"
        self.current_level = self.coil.setpoint
        self.voltage_level = self.coil.voltage_limit

    @scpi("*RST")
    def _rst(self, args: str | None, query: bool) -> None:
        """Power-on state of the BIT 4886: output off, voltage mode, both levels zero."""
        self.mode = "VOLT"
        self.current_level = 0.0
        self.voltage_level = 0.0
        self.coil.output_enabled = False
        self._apply()

    def _apply(self) -> None:
        """Program the coil from the mode and the two levels.

        In current mode the voltage level is the compliance. In voltage mode the supply
        drives V across L and R: with ``setpoint = V/R`` and ``voltage_limit = |V|`` the
        coil's slew ``(V - I R)/L`` is exactly that circuit, capped by the current level.
        """
        if self.mode == "CURR":
            self.coil.setpoint = self.current_level
            self.coil.voltage_limit = abs(self.voltage_level)
        else:
            limit = abs(self.current_level)
            ohmic = self.voltage_level / self.coil.resistance
            self.coil.setpoint = max(-limit, min(limit, ohmic))
            self.coil.voltage_limit = abs(self.voltage_level)

    @staticmethod
    def format(value: float) -> str:
        return f"{value:.5E}"

    # -- output -------------------------------------------------------------------------
    @scpi("OUTPut[:STATe]")
    def _output(self, args: str | None, query: bool) -> str | None:
        if query:
            return "1" if self.coil.output_enabled else "0"
        self.coil.output_enabled = parse_bool(args)
        return None

    @scpi("FUNCtion:MODE")
    def _mode(self, args: str | None, query: bool) -> str | None:
        if query:
            return str(MODES.index(self.mode))
        word = (args or "").strip().upper()
        mode = {"VOLT": "VOLT", "VOLTAGE": "VOLT", "CURR": "CURR", "CURRENT": "CURR"}.get(word)
        if mode is None:
            raise InstrumentError(*ILLEGAL_VALUE)
        self.mode = mode
        self._apply()
        return None

    # -- levels -------------------------------------------------------------------------
    @scpi("CURRent[:LEVel][:IMMediate][:AMPLitude]")
    @scpi("SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]")
    def _current(self, args: str | None, query: bool) -> str | None:
        if query:
            return self.format(self.current_level)
        self.current_level = parse_float(
            args, minimum=-self.max_current, maximum=self.max_current,
            keywords={"MINIMUM": -self.max_current, "MAXIMUM": self.max_current})
        self._apply()
        return None

    @scpi("VOLTage[:LEVel][:IMMediate][:AMPLitude]")
    @scpi("SOURce:VOLTage[:LEVel][:IMMediate][:AMPLitude]")
    def _voltage(self, args: str | None, query: bool) -> str | None:
        if query:
            return self.format(self.voltage_level)
        self.voltage_level = parse_float(
            args, minimum=-self.max_voltage, maximum=self.max_voltage,
            keywords={"MINIMUM": -self.max_voltage, "MAXIMUM": self.max_voltage})
        self._apply()
        return None

    # -- readbacks (no time passes: right after a step the old current is read) ---------
    @scpi("MEASure[:SCALar]:CURRent[:DC]")
    def _measure_current(self, args: str | None, query: bool) -> str:
        return self.format(self.coil.current)

    @scpi("MEASure[:SCALar]:VOLTage[:DC]")
    def _measure_voltage(self, args: str | None, query: bool) -> str:
        return self.format(self.coil.voltage)

    # -- self tests and housekeeping ----------------------------------------------------
    @scpi("*TST")
    def _self_test(self, args: str | None, query: bool) -> str:
        return "0"

    @scpi("DIAGnostic:TST")
    def _bop_test(self, args: str | None, query: bool) -> str:
        """The full test swings the output; a simulated load survives it, so pass."""
        return "0"

    @scpi("*OPT")
    def _options(self, args: str | None, query: bool) -> str:
        return "0"

    @scpi("SYSTem:BEEP")
    def _beep(self, args: str | None, query: bool) -> None:
        return None

    @scpi("SYSTem:REMote")
    def _remote(self, args: str | None, query: bool) -> None:
        return None
