"""What procedures do with a station: fields, temperature, readouts and pulses.

Procedures describe a measurement; this layer executes its steps on the instruments,
once, the same way for all of them (the bluesky split of plan and engine). Every
action checks the station limits before anything is sent, and waits through
``station.sleep`` so the simulated bench runs on virtual time. Settings already in
place are not sent again, and states labspin put there are not asked for again
(``labspin.procedures.known_state``); readings and the checks that guard them are.

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

from labspin.procedures.errors import ApparatusError, LockinOverload, SourceCompliance
from labspin.procedures.known_state import KnownState
from labspin.procedures.pulsing import (
    COMPLIANCE_EVENT,
    GENERATOR_IMPEDANCE,
    GENERATOR_MAX_AMPLITUDE,
    GENERATOR_MIN_AMPLITUDE,
    GENERATOR_PERIOD,
    SOURCE_MAX_COMPLIANCE,
    SOURCE_MAX_PULSE,
    SOURCE_MIN_PULSE,
    PulseActions,
    check_pulse,
    generator_level,
    uses_source,
)
from labspin.safety import LimitError

__all__ = [
    "COMPLIANCE_EVENT", "GENERATOR_IMPEDANCE", "GENERATOR_MAX_AMPLITUDE",
    "GENERATOR_MIN_AMPLITUDE", "GENERATOR_PERIOD", "LOCKIN_SENSITIVITIES",
    "READOUT_MODES", "SOURCE_MAX_COMPLIANCE", "SOURCE_MAX_PULSE", "SOURCE_MIN_PULSE",
    "Apparatus", "ApparatusError", "Harmonics", "LockinOverload", "SourceCompliance",
    "check_pulse", "generator_level", "uses_source"]

READOUT_MODES = ("dc", "reversal", "delta")
#: SR830 full-scale sensitivities, V rms (manual, SENS 0..26)
LOCKIN_SENSITIVITIES = tuple(m * 10.0**e for e in range(-9, 1) for m in (1, 2, 5))[1:-2]
#: the 6221 DC output as labspin left it; forgotten when a pulse, delta or sine test
#: takes the output over
_SOURCE_OUTPUT = ("source_enabled", "source_current")


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


class Apparatus(PulseActions):
    """The station as a procedure uses it, for one run."""

    def __init__(self, station: Any) -> None:
        self.station = station
        self.guard = station.guard
        #: between the current pads, leads included (station file, or measured)
        self.two_terminal_resistance: float | None = \
            station.config.sample.two_terminal_resistance
        self._ac_running = False
        #: what this run set on the instruments and knows still holds
        self.known = KnownState(station.io)

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
        role = f"magnet_{axis}"
        with self.station.talking_to(role, f"a ramp of magnet {axis} to {field:g} T"):
            magnet.ramp_to(field)
            readback = float(magnet.field)
        self.known.put(role, "field", (field, readback))
        return readback

    def set_vector_field(self, field: tuple[float, float, float]) -> tuple[float, ...]:
        """Set every axis with a magnet; all components are checked before any moves. An
        axis this run already holds at its component is left alone, and the field it
        read back then is returned for it."""
        for axis, value in zip("xyz", field, strict=True):
            if value and axis not in self.station.magnets:
                raise ApparatusError(f"a field along {axis} needs magnets.{axis} in the "
                                     "station file")
            if axis in self.station.magnets:
                self.guard.check_field(axis, value)
        readbacks = []
        for axis, value in zip("xyz", field, strict=True):
            if axis not in self.station.magnets:
                readbacks.append(0.0)
                continue
            held = self.known.get(f"magnet_{axis}", "field")
            if held is not None and held[0] == round(value, 12) + 0.0:
                readbacks.append(held[1])
            else:
                readbacks.append(self.set_field(axis, value))
        return tuple(readbacks)

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
        less than the current asked for, making every R = V / I wrong. Sent only when it
        changes; the register is read (which clears it) unless this run read it since the
        source last drove a current."""
        resistance = self.two_terminal_resistance or 0.0
        volts = min(SOURCE_MAX_COMPLIANCE, max(10.0, 1.5 * abs(current) * resistance))
        with self.station.talking_to("source", "setting the compliance") as source:
            self.known.ensure("source", source, "source_compliance", volts)
            if not self.known.holds("source", "events_clear", True):
                int(source.measurement_events)  # reading clears the event register
                self.known.put("source", "events_clear", True)

    def check_compliance(self, current: float) -> None:
        """Raise :class:`SourceCompliance` if the 6221 hit its compliance since the last
        look: less current flowed than the data would assume. The register latches, so
        one look after a point's readings covers all of them."""
        events = int(self.station.read_number("source", "measurement_events"))
        self.known.put("source", "events_clear", True)
        if events & COMPLIANCE_EVENT:
            self.station.io.invalidate()
            raise SourceCompliance(
                f"the 6221 reached its compliance driving {abs(current) * 1e3:.3g} mA: less "
                "current flows than the data assume (the bar is open, or of higher "
                "resistance than sample.two_terminal_resistance); check the bar or lower "
                "the current")

    def source_mode_changed(self, *, voltmeter: bool) -> None:
        """A pulse-delta, delta or sine test takes the 6221's output over: its DC state
        is no longer known; with ``voltmeter`` the 6221 also reconfigured the 2182A over
        their link."""
        self.known.forget("source", *_SOURCE_OUTPUT)
        if voltmeter:
            self.known.forget("voltmeter")

    # -- DC readout -----------------------------------------------------------------------
    def _source_dc(self, current: float) -> None:
        """The 6221's DC output on at ``current`` (inside ``talking_to('source')``)."""
        source = self.station["source"]
        self.known.ensure("source", source, "source_current", current)
        self.known.put("source", "events_clear", False)
        self.known.ensure("source", source, "source_enabled", True)

    def _source_off(self) -> None:
        """Switch the DC read current off: always sent, whatever is known."""
        with self.station.talking_to("source", "turning the read current off") as source:
            source.source_enabled = False
            self.known.put("source", "source_enabled", False)

    def read_voltage(self, contacts: str, current: float, mode: str = "reversal",
                     nplc: float = 5.0) -> float:
        """Resistance (ohm) across ``contacts`` with a read ``current`` (A)."""
        return self.read_resistances({contacts: mode}, current, nplc)[contacts]

    def read_resistances(self, modes: dict[str, str], current: float, nplc: float = 5.0,
                         ) -> dict[str, float]:
        """Resistance (ohm) of each contact pair, read by its mode (``dc``, ``reversal``
        or ``delta``) with one read ``current`` (A).

        The pairs read by ``dc`` or ``reversal`` share the current steps: at each
        polarity the 2182A reads each pair's channel, the active channel first. A
        reversal starts from the polarity the source already has (R = (V+ - V-)/(2I)
        either way). The output goes off after the last reading, then one look at the
        6221's compliance register covers every reading of the call.
        """
        if current == 0:
            raise LimitError("a resistance reading needs a non-zero read current")
        unknown = sorted(m for m in modes.values() if m not in READOUT_MODES)
        if unknown:
            raise ValueError(f"unknown readout mode {unknown[0]!r}: use dc, reversal or delta")
        self.guard.check_current(current, "read current")
        channels = {pair: self.voltmeter_channel(pair) for pair in modes}  # wiring first
        self.set_compliance(current)
        results = {pair: self._read_delta(pair, current)
                   for pair, mode in modes.items() if mode == "delta"}
        plain = {pair: mode for pair, mode in modes.items() if mode != "delta"}
        if plain:
            volts = self._read_polarities(plain, channels, current, nplc)
            for pair, mode in plain.items():
                v = volts[pair]
                results[pair] = v[1.0] / current if mode == "dc" else \
                    (v[1.0] - v[-1.0]) / (2 * current)
        self.check_compliance(current)
        return {pair: results[pair] for pair in modes}

    def _read_polarities(self, modes: dict[str, str], channels: dict[str, int],
                         current: float, nplc: float) -> dict[str, dict[float, float]]:
        """{pair: {sign: volts}} for the dc and reversal pairs; the output is off after."""
        signs = [1.0, -1.0] if "reversal" in modes.values() else [1.0]
        if "dc" not in modes.values() and self.known.holds("source", "source_current",
                                                           -current):
            signs.reverse()  # the source is at -I already
        active = self.known.get("voltmeter", "active_channel")
        order = sorted(modes, key=lambda pair: channels[pair] != active)
        meter = self.station["voltmeter"]
        with self.station.talking_to("voltmeter", "setting the integration time"):
            self.known.ensure("voltmeter", meter, "voltage_nplc", nplc)
        volts: dict[str, dict[float, float]] = {pair: {} for pair in modes}
        for sign in signs:
            with self.station.talking_to("source", "a DC read current"):
                self._source_dc(sign * current)
            for pair in order:
                if modes[pair] == "dc" and sign < 0:
                    continue
                with self.station.talking_to("voltmeter", "selecting a channel"):
                    self.known.ensure("voltmeter", meter, "active_channel", channels[pair])
                volts[pair][sign] = self.station.read_number("voltmeter", "voltage")
            order.reverse()  # the channel read last is read first at the next polarity
        self._source_off()
        self._check_open([v for by_sign in volts.values() for v in by_sign.values()])
        return volts

    def _check_open(self, volts: list[float]) -> None:
        if any(abs(v) > 1e30 for v in volts):
            self.station.io.invalidate()
            raise ApparatusError("the voltmeter overflows: the sample reads as an open "
                                 "circuit (burnt or a loose contact); check it before going on")

    def _read_delta(self, contacts: str, current: float, cycles: int = 4) -> float:
        """R (ohm) by the 6221's delta mode; the caller checks the compliance."""
        if self.voltmeter_channel(contacts) != 1:
            raise ApparatusError(f"delta mode reads the 2182A's channel 1, but the {contacts} "
                                 "contacts are wired elsewhere; rewire or use readout "
                                 "'reversal'")
        source = self.station["source"]
        known = self.known
        with self.station.talking_to("source", "a delta-mode reading"):
            known.ensure("source", source, "delta_unit", "V")
            known.ensure("source", source, "delta_high_source", current)
            known.ensure("source", source, "delta_cycles", cycles)
            self.source_mode_changed(voltmeter=True)
            known.put("source", "events_clear", False)
            source.delta_arm()
            source.delta_start()
            values = self.read_source_buffer(source)
            source.delta_abort()
        readings = [self.station.as_number("source", "a delta reading", v) for v in values]
        self._check_open(readings)
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
        """A sine current of peak ``amplitude`` from the 6221 (the lock-ins' reference).
        The compliance is checked with the first reading (:meth:`read_harmonics`)."""
        self.guard.check_current(amplitude, "AC current amplitude")
        self.set_compliance(amplitude)
        source = self.station["source"]
        known = self.known
        with self.station.talking_to("source", "starting the AC current"):
            known.ensure("source", source, "waveform_function", "sine")
            known.ensure("source", source, "waveform_amplitude", amplitude)
            known.ensure("source", source, "waveform_frequency", frequency)
            known.ensure("source", source, "waveform_offset", 0.0)
            known.once("source", "waveform_forever", source.waveform_duration_set_infinity)
            self.source_mode_changed(voltmeter=False)
            known.put("source", "events_clear", False)
            self._ac_amplitude = amplitude
            self._ac_running = True  # from the arm on: stop_ac aborts it
            source.waveform_arm()
            source.waveform_start()

    def stop_ac(self) -> None:
        if self._ac_running:
            with self.station.talking_to("source", "stopping the AC current"):
                self.station["source"].waveform_abort()
            self._ac_running = False

    def configure_lockin(self, contacts: str, time_constant: float = 0.1,
                         sensitivity: float = 1e-3) -> None:
        role = self.lockin_for(contacts)
        lockin = self.station[role]
        known = self.known
        with self.station.talking_to(role, "configuring the lock-in"):
            known.ensure(role, lockin, "reference_source", "External")
            known.ensure(role, lockin, "phase", 0.0)
            if known.ensure(role, lockin, "time_constant", time_constant):
                known.put(role, "tau", float(lockin.time_constant))  # the one it took
            known.ensure(role, lockin, "sensitivity", sensitivity)

    def _set_sensitivity(self, role: str, value: float) -> float:
        with self.station.talking_to(role, "setting the sensitivity") as lockin:
            self.known.ensure(role, lockin, "sensitivity", value)
        return min((s for s in LOCKIN_SENSITIVITIES if s >= value * (1 - 1e-9)),
                   default=LOCKIN_SENSITIVITIES[-1])

    def _time_constant(self, role: str, lockin: Any) -> float:
        tau = self.known.get(role, "tau")
        if tau is None:
            tau = float(lockin.time_constant)
            self.known.put(role, "tau", tau)
        return tau

    def read_harmonics(self, contacts: str, harmonics: tuple[int, ...] = (1, 2),
                       settle: float | None = None,
                       sensitivities: dict[int, float] | None = None) -> Harmonics:
        """V_1w and V_2w across ``contacts`` with the AC current running.

        ``sensitivities`` sets each harmonic's full scale (V rms): the first harmonic
        (R I_0, often volts) and the second (micro- to nanovolts) differ by orders of
        magnitude. A reading at full scale raises :class:`LockinOverload` rather than
        return a clipped value; a source that fell into compliance raises
        :class:`SourceCompliance`. Each harmonic is read ``settle`` (default 5 time
        constants) after it was selected.
        """
        if not self._ac_running:
            raise ApparatusError("start the AC current (start_ac) before reading harmonics")
        role = self.lockin_for(contacts)
        lockin = self.station[role]
        values = {1: math.nan, 2: math.nan}
        # always in the order asked, each the same time after the field step: switching
        # back costs two writes (4 ms), against 5 tau (0.5 s) of settling per harmonic
        for n in harmonics:
            full_scale = None
            if sensitivities and n in sensitivities:
                full_scale = self._set_sensitivity(role, sensitivities[n])
            with self.station.talking_to(role, f"a {n}f reading"):
                self.known.ensure(role, lockin, "harmonic", n)
                tau = self._time_constant(role, lockin)
            self.station.sleep(settle if settle is not None else 5 * tau)
            if n == 1:
                values[1] = math.sqrt(2) * self.station.read_number(role, "x")
            else:
                values[n] = -math.sqrt(2) * self.station.read_number(role, "y")
            if full_scale is not None and abs(values[n]) / math.sqrt(2) >= 0.999 * full_scale:
                self.station.io.invalidate()
                raise LockinOverload(
                    f"the lock-in on {contacts} is at full scale ({full_scale:g} V rms) at "
                    f"the {n}w harmonic; raise the {n}w sensitivity setting")
        self.check_compliance(self._ac_amplitude)
        return Harmonics(values[1], values[2], self._ac_amplitude)

    # -- safety ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        self._ac_running = False
        self.station.make_safe()
