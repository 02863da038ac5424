"""What procedures do with a station: fields, temperature, readouts and pulses.

Procedures describe a measurement; this layer executes its steps on the instruments,
once, the same way for all of them (the bluesky split of plan and engine). Every
action checks the station limits before anything is sent, and waits through
``station.sleep`` so the simulated bench runs on virtual time.

Readouts, in the conventions of the simulated bench and PHYSICS.md:

* ``dc``: one polarity, V/I with the thermoelectric offset included;
* ``reversal``: +I and -I, R = (V+ - V-)/(2I), the offset cancels;
* ``delta``: the 6221's delta mode with the linked 2182A (reads the 2182A's channel 1,
  so the contacts must be wired there);
* lock-in harmonics: V = V0 + V_1w sin wt - V_2w cos 2wt, so V_1w = sqrt2 X at 1f and
  V_2w = -sqrt2 Y at 2f with the reference phase at zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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


class ApparatusError(RuntimeError):
    """The station cannot do what the procedure asks (missing instrument, wiring)."""


class SourceCompliance(ApparatusError):
    """The 6221 cannot drive the requested current through the bar."""


class LockinOverload(ApparatusError):
    """A lock-in output is at full scale: the reading would be clipped."""


#: SR830 full-scale sensitivities, V rms (manual, SENS 0..26)
LOCKIN_SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5))[1:-2]


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


@dataclass(frozen=True)
class Harmonics:
    """Lock-in result for one contact pair, volts (peak) and ohms (V / I_0)."""

    v_1w: float
    v_2w: float
    current: float

    @property
    def r_1w(self) -> float:
        return self.v_1w / self.current

    @property
    def r_2w(self) -> float:
        return self.v_2w / self.current


class Apparatus:
    """The station as a procedure uses it."""

    def __init__(self, station: Any) -> None:
        self.station = station
        self.guard = station.guard
        #: between the current pads, leads included (station file, or measured)
        self.two_terminal_resistance: float | None = \
            station.config.sample.two_terminal_resistance
        self._ac_running = False
        self._sensitivity: dict[str, float] = {}

    # -- wiring ---------------------------------------------------------------------------
    def _wired(self, role: str) -> dict[str, str]:
        entry = self.station.config.instruments.get(role)
        return dict(entry.wiring) if entry is not None else {}

    def voltmeter_channel(self, contacts: str) -> int:
        for channel, pair in self._wired("voltmeter").items():
            if pair == contacts:
                return int(channel)
        raise ApparatusError(f"no 2182A channel is wired to the {contacts} contacts; set "
                             "instruments.voltmeter.wiring in the station file")

    def lockin_for(self, contacts: str) -> str:
        for role, entry in self.station.config.instruments.items():
            if entry.driver == "SR830" and contacts in entry.wiring.values():
                return role
        raise ApparatusError(f"no lock-in is wired to the {contacts} contacts; add one with "
                             f"wiring {{1: {contacts}}} to the station file")

    # -- field and temperature ----------------------------------------------------------
    def set_field(self, axis: str, field: float) -> float:
        """Ramp one magnet axis to ``field`` (T); returns the field it reads back."""
        self.guard.check_field(axis, field)
        magnet = self.station.magnet(axis)
        field = round(field, 12) + 0.0  # cos(90 deg) is 6e-17, not a field to name
        with self.station.talking_to(f"magnet_{axis}", f"a ramp of magnet {axis} to "
                                                        f"{field:g} T"):
            magnet.ramp_to(field)
            return float(magnet.field)

    def set_vector_field(self, field: tuple[float, float, float]) -> tuple[float, ...]:
        """Set every axis with a magnet; all components are checked before any moves."""
        for axis, value in zip("xyz", field, strict=True):
            if value and axis not in self.station.magnets:
                raise ApparatusError(f"a field along {axis} needs magnets.{axis} in the "
                                     "station file")
            if axis in self.station.magnets:
                self.guard.check_field(axis, value)
        return tuple(self.set_field(axis, value) if axis in self.station.magnets else 0.0
                     for axis, value in zip("xyz", field, strict=True))

    def set_inplane_field(self, magnitude: float, angle: float) -> tuple[float, ...]:
        """In-plane field of ``magnitude`` (T) at ``angle`` (degrees from x, the current)."""
        a = math.radians(angle)
        return self.set_vector_field((magnitude * math.cos(a), magnitude * math.sin(a), 0.0))

    def zero_fields(self) -> None:
        for axis in self.station.magnets:
            self.set_field(axis, 0.0)

    def set_temperature(self, temperature: float, tolerance: float = 0.1) -> float:
        from labspin.drivers.temperature import StageTemperature

        self.guard.check_temperature(temperature)
        stage = StageTemperature(self.station["temperature"],
                                 max_temperature=self.guard.limits.max_temperature,
                                 sleep=self.station.sleep)
        with self.station.talking_to("temperature", f"a setpoint of {temperature:g} K"):
            stage.set_and_wait(temperature, tolerance=tolerance)
            return float(stage.temperature)

    # -- source compliance ----------------------------------------------------------------
    def set_compliance(self, current: float) -> None:
        """Give the 6221 a compliance of 1.5 I R_2t (10 to 105 V) and clear its event
        register; after a reset it has 10 V, and a bar of kilohms would silently carry
        less than the current asked for, making every R = V / I wrong."""
        resistance = self.two_terminal_resistance or 0.0
        volts = min(SOURCE_MAX_COMPLIANCE, max(10.0, 1.5 * abs(current) * resistance))
        with self.station.talking_to("source", "setting the compliance") as source:
            source.source_compliance = volts
            int(source.measurement_events)  # reading clears the event register

    def check_compliance(self, current: float) -> None:
        """Raise :class:`SourceCompliance` if the 6221 hit its compliance since the last
        look: less current flowed than the data would assume."""
        events = int(self.station.read_number("source", "measurement_events"))
        if events & COMPLIANCE_EVENT:
            raise SourceCompliance(
                f"the 6221 reached its compliance driving {abs(current) * 1e3:.3g} mA: less "
                "current flows than the data assume (the bar is open, or of higher "
                "resistance than sample.two_terminal_resistance); check the bar or lower "
                "the current")

    # -- DC readout -----------------------------------------------------------------------
    def _source_dc(self, current: float) -> None:
        source = self.station["source"]
        source.source_current = current
        if not source.source_enabled:
            source.source_enabled = True

    def read_voltage(self, contacts: str, current: float, mode: str = "reversal",
                     nplc: float = 5.0) -> float:
        """Resistance (ohm) across ``contacts`` with a read ``current`` (A)."""
        if current == 0:
            raise LimitError("a resistance reading needs a non-zero read current")
        self.guard.check_current(current, "read current")
        self.set_compliance(current)
        if mode == "delta":
            return self._read_delta(contacts, current)
        channel = self.voltmeter_channel(contacts)
        meter = self.station["voltmeter"]
        with self.station.talking_to("voltmeter", "a voltage reading"):
            if meter.active_channel != channel:
                meter.active_channel = channel
            meter.voltage_nplc = nplc
        signs = (1.0,) if mode == "dc" else (1.0, -1.0)
        volts = []
        for sign in signs:
            with self.station.talking_to("source", "a DC read current"):
                self._source_dc(sign * current)
            volts.append(self.station.read_number("voltmeter", "voltage"))
        with self.station.talking_to("source", "turning the read current off"):
            self.station["source"].source_enabled = False
        self._check_open(volts)
        self.check_compliance(current)
        if mode == "dc":
            return volts[0] / current
        if mode == "reversal":
            return (volts[0] - volts[1]) / (2 * current)
        raise ValueError(f"unknown readout mode {mode!r}: use dc, reversal or delta")

    def _check_open(self, volts: list[float]) -> None:
        if any(abs(v) > 1e30 for v in volts):
            raise ApparatusError("the voltmeter overflows: the sample reads as an open "
                                 "circuit (burnt or a loose contact); check it before going on")

    def _read_delta(self, contacts: str, current: float, cycles: int = 4) -> float:
        if self.voltmeter_channel(contacts) != 1:
            raise ApparatusError(f"delta mode reads the 2182A's channel 1, but the {contacts} "
                                 "contacts are wired elsewhere; rewire or use readout "
                                 "'reversal'")
        source = self.station["source"]
        with self.station.talking_to("source", "a delta-mode reading"):
            source.delta_unit = "V"
            source.delta_high_source = current
            source.delta_cycles = cycles
            source.delta_arm()
            source.delta_start()
            values = source.delta_values
            source.delta_abort()
        readings = [self.station.as_number("source", "a delta reading", v)
                    for v in values[0::2]]
        self._check_open(readings)
        self.check_compliance(current)
        return sum(readings) / len(readings) / current

    def measure_resistance(self, current: float = 100e-6) -> float:
        """R_xx with a small read current; remembers a two-terminal estimate for pulse
        energies (the station's value, or twice R_xx: pads and leads included)."""
        r_xx = self.read_voltage("xx", current, "reversal", nplc=1.0)
        sample = self.station.config.sample
        self.two_terminal_resistance = getattr(sample, "two_terminal_resistance", None) \
            or 2.0 * r_xx
        return r_xx

    # -- lock-in readout ------------------------------------------------------------------
    def start_ac(self, amplitude: float, frequency: float = 1333.0) -> None:
        """A sine current of peak ``amplitude`` from the 6221 (the lock-ins' reference)."""
        self.guard.check_current(amplitude, "AC current amplitude")
        self.set_compliance(amplitude)
        source = self.station["source"]
        with self.station.talking_to("source", "starting the AC current"):
            source.waveform_function = "sine"
            source.waveform_amplitude = amplitude
            source.waveform_frequency = frequency
            source.waveform_offset = 0.0
            source.waveform_duration_set_infinity()
            source.waveform_arm()
            source.waveform_start()
        self._ac_amplitude = amplitude
        self._ac_running = True
        self.check_compliance(amplitude)

    def stop_ac(self) -> None:
        if self._ac_running:
            with self.station.talking_to("source", "stopping the AC current"):
                self.station["source"].waveform_abort()
            self._ac_running = False

    def configure_lockin(self, contacts: str, time_constant: float = 0.1,
                         sensitivity: float = 1e-3) -> None:
        role = self.lockin_for(contacts)
        lockin = self.station[role]
        with self.station.talking_to(role, "configuring the lock-in"):
            lockin.reference_source = "External"
            lockin.phase = 0.0
            lockin.time_constant = time_constant
            lockin.sensitivity = sensitivity
        self._sensitivity[role] = sensitivity

    def _set_sensitivity(self, role: str, value: float) -> float:
        if self._sensitivity.get(role) != value:
            with self.station.talking_to(role, "setting the sensitivity") as lockin:
                lockin.sensitivity = value
            self._sensitivity[role] = value
        return min((s for s in LOCKIN_SENSITIVITIES if s >= value * (1 - 1e-9)),
                   default=LOCKIN_SENSITIVITIES[-1])

    def read_harmonics(self, contacts: str, harmonics: tuple[int, ...] = (1, 2),
                       settle: float | None = None,
                       sensitivities: dict[int, float] | None = None) -> Harmonics:
        """V_1w and V_2w across ``contacts`` with the AC current running.

        ``sensitivities`` sets each harmonic's full scale (V rms): the first harmonic
        (R I_0, often volts) and the second (micro- to nanovolts) differ by orders of
        magnitude. A reading at full scale raises :class:`LockinOverload` rather than
        return a clipped value; a source that fell into compliance raises
        :class:`SourceCompliance`.
        """
        if not self._ac_running:
            raise ApparatusError("start the AC current (start_ac) before reading harmonics")
        role = self.lockin_for(contacts)
        lockin = self.station[role]
        values = {1: math.nan, 2: math.nan}
        for n in harmonics:
            full_scale = None
            if sensitivities and n in sensitivities:
                full_scale = self._set_sensitivity(role, sensitivities[n])
            with self.station.talking_to(role, f"a {n}f reading"):
                lockin.harmonic = n
                tau = float(lockin.time_constant)
            self.station.sleep(settle if settle is not None else 5 * tau)
            if n == 1:
                values[1] = math.sqrt(2) * self.station.read_number(role, "x")
            else:
                values[n] = -math.sqrt(2) * self.station.read_number(role, "y")
            if full_scale is not None and abs(values[n]) / math.sqrt(2) >= 0.999 * full_scale:
                raise LockinOverload(
                    f"the lock-in on {contacts} is at full scale ({full_scale:g} V rms) at "
                    f"the {n}w harmonic; raise the {n}w sensitivity setting")
        self.check_compliance(self._ac_amplitude)
        return Harmonics(values[1], values[2], self._ac_amplitude)

    # -- pulses ---------------------------------------------------------------------------
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

    def _generator_volts(self, amplitude: float) -> float:
        return generator_level(amplitude, self.two_terminal_resistance or 0.0)

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
            source = self.station["source"]
            if not hasattr(source, "pulse"):
                raise ApparatusError("the source must use driver Keithley6221Pulse for "
                                     "pulses; change instruments.source.driver")
            with self.station.talking_to("source", "a current pulse"):
                source.write("*CLS")  # error queue and event registers
                source.source_compliance = SOURCE_MAX_COMPLIANCE
                source.delta_unit = "V"  # the pulse-delta reading in volts
                source.pulse(amplitude, width)
                events = int(source.measurement_events)
                if self._reads_bar_voltage():
                    volts = float(source.pulse_voltage())
            self.station.check_errors(
                "source", f"a {amplitude * 1e3:+.2f} mA, {width:g} s pulse (the pulse was "
                "probably not delivered as asked)")
            if events & COMPLIANCE_EVENT:
                raise ApparatusError(
                    f"the 6221 reached its compliance during the {amplitude * 1e3:+.2f} mA, "
                    f"{width:g} s pulse: less current flowed (the bar heats and its "
                    "resistance rises). Lower the pulse current or use a lower-resistance bar")
        else:
            self._generator_pulse(amplitude, width)
        return PulseRecord(amplitude, width, volts,
                           amplitude**2 * (self.two_terminal_resistance or 0.0) * width)

    def _reads_bar_voltage(self) -> bool:
        """Whether the 6221's pulse-delta reading is the voltage across the bar: the
        2182A's channel 1, which pulse delta reads, must be on the xx contacts."""
        try:
            return self.voltmeter_channel("xx") == 1
        except ApparatusError:
            return False

    def _generator_pulse(self, amplitude: float, width: float) -> None:
        pulser = self.station["pulser"]
        volts = self._generator_volts(amplitude)
        with self.station.talking_to("pulser", "a short pulse"):
            pulser.write("*CLS")  # the error queue then holds only this pulse's errors
            ch = pulser.ch_1
            ch.shape = "PULS"
            # one fixed period above every generator width: whatever width was set
            # before, neither order of width and period can conflict
            ch.pulse_period = GENERATOR_PERIOD
            ch.pulse_width = width
            ch.offset = 0.0
            ch.amplitude = abs(volts)
            pulser.write(":OUTP1:POL " + ("NORM" if volts >= 0 else "INV"))
            pulser.write(":ARM:SOUR MAN;:TRIG:COUN 1")
            ch.output = True
            try:
                pulser.write("*TRG")
                pulser.ask("*OPC?")
            finally:
                ch.output = False
        self.station.check_errors(
            "pulser", f"a {amplitude * 1e3:+.2f} mA, {width:g} s pulse (the pulse was "
            "probably not delivered as asked)")

    # -- safety ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        self._ac_running = False
        self.station.make_safe()
