"""Current pulses through the bar: the 6221's pulse-delta mode (50 us to 12 ms, the 2182A
reading the bar during the pulse) and the 81160A pulse generator for shorter ones.

Each pulse sends only the settings that changed since the last (``KnownState``) but
always what confirms it: the 6221's compliance register and the error queue of the
instrument that made it, cleared (``*CLS``) before it so that what they hold is this
pulse's.
"""

from __future__ import annotations

import math
from typing import Any

from labspin.procedures.errors import ApparatusError
from labspin.procedures.known_state import KnownState
from labspin.procedures.pulse_record import PulseRecord
from labspin.safety import LimitError

#: the 6221's pulse-delta widths; shorter pulses come from the pulse generator
SOURCE_MIN_PULSE, SOURCE_MAX_PULSE = 50e-6, 12e-3
SOURCE_MAX_COMPLIANCE = 105.0  # V, the 6221's largest compliance
COMPLIANCE_EVENT = 8  # 6221 measurement event register, bit 3: compliance
_WIDTH_TOLERANCE = 1e-9  # relative: 50 us computed in floating point is still 50 us
GENERATOR_IMPEDANCE = 50.0  # ohm, the 81160A's output
GENERATOR_MAX_AMPLITUDE = 5.0  # V into the 50 ohm load setting (10 V open circuit)
GENERATOR_MIN_AMPLITUDE = 0.05  # V, the 81160A's smallest level into 50 ohm
#: pulse period of the generator: single triggered pulses, so only width < period matters
GENERATOR_PERIOD = 1e-3  # s, 20 x the longest pulse it makes (50 us)
#: the 6221's buffer as the pulse and delta readings are read: readings only, in ASCII
BUFFER_FORMAT = ":FORM:DATA ASC;:FORM:ELEM READ"
OVERFLOW = 9.9e37  # what the 2182A reads for an open input


def generator_level(amplitude: float, resistance: float) -> float:
    """81160A level (V, into its 50 ohm load setting) for ``amplitude`` (A) in a bar of
    two-terminal ``resistance``: the level assumes a matched load, so the source EMF is
    twice the level, and the current is EMF / (50 ohm + R)."""
    return amplitude * (GENERATOR_IMPEDANCE + resistance) / 2.0


def uses_source(width: float) -> bool:
    """True when the 6221 makes a pulse of ``width``; the generator makes shorter ones."""
    return width >= SOURCE_MIN_PULSE * (1 - _WIDTH_TOLERANCE)


def check_pulse(guard: Any, amplitude: float, width: float, resistance: float | None, *,
                has_pulser: bool = True) -> None:
    """Every check of a pulse that needs no instrument: station limits (the energy only
    when the two-terminal ``resistance`` is known), the 6221's width range and
    compliance, the pulse generator's reach. Queue planning uses it too."""
    guard.check_pulse(amplitude, width, resistance or 0.0)
    if not uses_source(width):
        if not has_pulser:
            raise ApparatusError(f"a {width:.3g} s pulse is shorter than the 6221 makes "
                                 "(50 us); add a pulse generator (role 'pulser')")
        if resistance is not None:
            volts = generator_level(amplitude, resistance)
            if abs(volts) < GENERATOR_MIN_AMPLITUDE:
                least = GENERATOR_MIN_AMPLITUDE / generator_level(1.0, resistance)
                raise LimitError(f"the pulse generator's smallest pulse into this bar is "
                                 f"{least * 1e3:.2f} mA; {abs(amplitude) * 1e3:.3g} mA is "
                                 "below it")
            if abs(volts) > GENERATOR_MAX_AMPLITUDE:
                reach = GENERATOR_MAX_AMPLITUDE / generator_level(1.0, resistance)
                raise LimitError(f"the pulse generator reaches at most {reach * 1e3:.1f} mA "
                                 f"into this bar (about {resistance:.0f} ohm two-terminal); "
                                 f"{abs(amplitude) * 1e3:.1f} mA needs a pulse amplifier or "
                                 "a lower-resistance bar")
    elif width > SOURCE_MAX_PULSE * (1 + _WIDTH_TOLERANCE):
        raise LimitError(f"the 6221 makes pulses of at most 12 ms, asked for {width:g} s")
    elif resistance is not None and abs(amplitude) * resistance > SOURCE_MAX_COMPLIANCE:
        raise LimitError(
            f"a {abs(amplitude) * 1e3:.1f} mA pulse needs {abs(amplitude) * resistance:.0f}"
            f" V across this bar (about {resistance:.0f} ohm two-terminal), more than the "
            f"6221's {SOURCE_MAX_COMPLIANCE:.0f} V compliance; lower the current or use a "
            "lower-resistance bar")


class PulseActions:
    """The pulses of :class:`labspin.procedures.apparatus.Apparatus`."""

    station: Any
    guard: Any
    known: KnownState
    two_terminal_resistance: float | None

    def stop_ac(self) -> None:  # pragma: no cover - the Apparatus has it
        raise NotImplementedError

    def voltmeter_channel(self, contacts: str) -> int:  # pragma: no cover
        raise NotImplementedError

    def source_mode_changed(self, *, voltmeter: bool) -> None:  # pragma: no cover
        raise NotImplementedError

    def check_pulse(self, amplitude: float, width: float) -> None:
        """Refuse a pulse beyond the station limits or the sources' reach; nothing is
        sent. Needs the two-terminal resistance (station file or measure_resistance)."""
        if self.two_terminal_resistance is None:
            raise ApparatusError("the two-terminal resistance of the bar is unknown, so pulse "
                                 "energies cannot be checked: give sample."
                                 "two_terminal_resistance in the station file, or measure it "
                                 "(measure_resistance) before pulsing")
        check_pulse(self.guard, amplitude, width, self.two_terminal_resistance,
                    has_pulser=self.station.has("pulser"))

    def pulse(self, amplitude: float, width: float) -> PulseRecord:
        """One current pulse through the bar (any AC read current is stopped first);
        returns what it was (:class:`PulseRecord`): the voltage across the V_xx probes
        that the 6221's pulse-delta mode had the 2182A read during it, and the energy.
        A 6221 pulse cut short by the compliance (the bar heats, its resistance rises)
        raises instead of recording a current that did not flow."""
        self.check_pulse(amplitude, width)
        self.stop_ac()
        volts = math.nan
        if uses_source(width):
            volts = self._source_pulse(amplitude, width)
        else:
            self._generator_pulse(amplitude, width)
        return PulseRecord(amplitude, width, volts,
                           amplitude**2 * (self.two_terminal_resistance or 0.0) * width)

    def _source_pulse(self, amplitude: float, width: float) -> float:
        source = self.station["source"]
        if not hasattr(source, "pulse"):
            raise ApparatusError("the source must use driver Keithley6221Pulse for "
                                 "pulses; change instruments.source.driver")
        known, volts = self.known, math.nan
        with self.station.talking_to("source", "a current pulse"):
            source.write("*CLS")  # error queue and event registers: this pulse's only
            known.ensure("source", source, "source_compliance", SOURCE_MAX_COMPLIANCE)
            known.ensure("source", source, "delta_unit", "V")  # the reading in volts
            known.ensure("source", source, "pulse_low", 0.0)
            known.ensure("source", source, "pulse_high", amplitude)
            known.ensure("source", source, "pulse_width", width)
            known.ensure("source", source, "pulse_count", 1)
            self.source_mode_changed(voltmeter=True)
            known.put("source", "events_clear", False)
            source.arm_pulse()
            source.trigger_pulses()
            events = int(source.measurement_events)
            known.put("source", "events_clear", True)
            if self._reads_bar_voltage():
                readings = self.read_source_buffer(source)
                if readings and math.isfinite(readings[-1]) and abs(readings[-1]) < OVERFLOW:
                    volts = readings[-1]
        self.station.check_errors(
            "source", f"a {amplitude * 1e3:+.2f} mA, {width:g} s pulse (the pulse was "
            "probably not delivered as asked)")
        if events & COMPLIANCE_EVENT:
            self.station.io.invalidate()
            raise ApparatusError(
                f"the 6221 reached its compliance during the {amplitude * 1e3:+.2f} mA, "
                f"{width:g} s pulse: less current flowed (the bar heats and its "
                "resistance rises). Lower the pulse current or use a lower-resistance bar")
        return volts

    def read_source_buffer(self, source: Any) -> list[float]:
        """The 6221's buffer (pulse-delta or delta readings), readings only."""
        self.known.once("source", "buffer_format", source.write, BUFFER_FORMAT)
        return [float(v) for v in source.values(":TRAC:DATA?")]

    def _reads_bar_voltage(self) -> bool:
        """Whether the 6221's pulse-delta reading is the voltage across the bar: the
        2182A's channel 1, which pulse delta reads, must be on the xx contacts."""
        try:
            return self.voltmeter_channel("xx") == 1
        except ApparatusError:
            return False

    def _generator_volts(self, amplitude: float) -> float:
        return generator_level(amplitude, self.two_terminal_resistance or 0.0)

    def _generator_pulse(self, amplitude: float, width: float) -> None:
        pulser = self.station["pulser"]
        volts = self._generator_volts(amplitude)
        known = self.known
        with self.station.talking_to("pulser", "a short pulse"):
            pulser.write("*CLS")  # the error queue then holds only this pulse's errors
            ch = pulser.ch_1
            known.ensure("pulser", ch, "shape", "PULS", "ch1.shape")
            # one fixed period above every generator width: whatever width was set
            # before, neither order of width and period can conflict
            known.ensure("pulser", ch, "pulse_period", GENERATOR_PERIOD, "ch1.pulse_period")
            known.ensure("pulser", ch, "pulse_width", width, "ch1.pulse_width")
            known.ensure("pulser", ch, "offset", 0.0, "ch1.offset")
            known.ensure("pulser", ch, "amplitude", abs(volts), "ch1.amplitude")
            polarity = "NORM" if volts >= 0 else "INV"
            if not known.holds("pulser", "ch1.polarity", polarity):
                pulser.write(":OUTP1:POL " + polarity)
                known.put("pulser", "ch1.polarity", polarity)
            known.once("pulser", "single_shot", pulser.write, ":ARM:SOUR MAN;:TRIG:COUN 1")
            ch.output = True
            try:
                pulser.write("*TRG")
                pulser.ask("*OPC?")
            finally:
                ch.output = False
        self.station.check_errors(
            "pulser", f"a {amplitude * 1e3:+.2f} mA, {width:g} s pulse (the pulse was "
            "probably not delivered as asked)")
