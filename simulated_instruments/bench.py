"""The simulated bench: one device, the fields and currents around it, and a clock.

Instrument models hold no physics. They translate their commands into calls on the
one shared ``Bench`` (ophyd-async style): a current source sets the current through the
bar, a nanovoltmeter asks for the voltage across its contacts, a bipolar supply sets a
coil current, a gaussmeter reads the field. The bench asks ``labspin.physics`` for
everything the device does, and adds what lives between device and instrument:
lead resistance, thermoelectric offsets, noise, coil inductance, a rotating stage and a
temperature-controlled chuck. All time passes through ``advance`` (labspin's explicit
waits) and, on a bench serving clients outside labspin, ``catch_up`` (the wall clock).
"""

from __future__ import annotations

import math
import threading
import zlib
from dataclasses import dataclass, field

import numpy as np

from labspin.physics import Device, DeviceParameters, preset
from labspin.physics.device import PulseOutcome
from labspin.physics.stfmr import RFCircuit
from labspin.simulated_instruments.clock import Clock, VirtualClock, WallClock
from labspin.simulated_instruments.faults import FaultState, InstrumentFaults

AXES = {"x": np.array([1.0, 0.0, 0.0]), "y": np.array([0.0, 1.0, 0.0]),
        "z": np.array([0.0, 0.0, 1.0])}
CONTACTS = ("xx", "xy")
#: Largest step of the bench's time integration while coils or the rotator move, s.
MAX_STEP = 0.05
#: Largest step while only the stage temperature settles (it changes smoothly), s.
MAX_STAGE_STEP = 1.0
#: Smallest slice of wall time a bench that follows the wall hands to its physics, s.
MIN_CATCH_UP = 1e-3


@dataclass
class Coil:
    """An electromagnet axis: the supply sets a current, inductance limits its slew."""

    axis: str
    coil_constant: float = 0.02  # T/A at the sample
    inductance: float = 0.5  # H
    resistance: float = 2.0  # ohm
    remanence: float = 2e-4  # T left by the yoke after a large excursion
    current: float = 0.0  # A, actual
    setpoint: float = 0.0  # A
    voltage_limit: float = 20.0  # V, the supply's compliance
    output_enabled: bool = False
    _remanent_sign: float = 0.0

    @property
    def target(self) -> float:
        return self.setpoint if self.output_enabled else 0.0

    @property
    def reachable_target(self) -> float:
        """The setpoint, or the current at which I R reaches the voltage limit."""
        limit = self.voltage_limit / self.resistance
        return max(-limit, min(limit, self.target))

    def max_slew(self, towards: float) -> float:
        """Largest |dI/dt| (A/s) the supply's voltage drives through the inductance: it
        charges the coil with V_lim - I R and discharges it with V_lim + I R."""
        ir = self.current * self.resistance
        growing = abs(towards) > abs(self.current) and towards * self.current >= 0
        headroom = self.voltage_limit - abs(ir) if growing else self.voltage_limit + abs(ir)
        return max(headroom, 0.0) / self.inductance

    @property
    def settled(self) -> bool:
        return abs(self.current - self.reachable_target) < 1e-7

    def evolve(self, dt: float) -> None:
        target = self.reachable_target
        step = target - self.current
        limit = self.max_slew(target) * dt
        if abs(step) < 1e-7:  # within 100 nA: the supply's own resolution
            self.current = target
        elif limit > 0:  # (at the voltage limit I R = V_lim leaves no headroom)
            self.current += max(-limit, min(limit, step))
        if abs(self.current * self.coil_constant) > 20 * self.remanence:
            self._remanent_sign = math.copysign(1.0, self.current)

    @property
    def voltage(self) -> float:
        return self.current * self.resistance

    def field(self) -> np.ndarray:
        return (self.coil_constant * self.current + self.remanence * self._remanent_sign) * \
            AXES[self.axis]


@dataclass
class Rotator:
    """A stage that turns the sample about z; the sample sees the lab field rotated back."""

    angle: float = 0.0  # degrees
    target: float = 0.0
    velocity: float = 10.0  # degrees/s
    motor_on: bool = True

    @property
    def moving(self) -> bool:
        return abs(self.target - self.angle) > 1e-9

    def evolve(self, dt: float) -> None:
        if not self.motor_on:
            return
        step = self.target - self.angle
        limit = self.velocity * dt
        self.angle += max(-limit, min(limit, step))


@dataclass
class Stage:
    """The chuck: a heater loop drives it exponentially towards the setpoint."""

    temperature: float = 300.0  # K
    setpoint: float = 300.0
    base_temperature: float = 300.0  # where it drifts with the heater off
    heater_on: bool = True
    time_constant: float = 30.0  # s

    def evolve(self, dt: float) -> None:
        goal = self.setpoint if self.heater_on else self.base_temperature
        self.temperature = goal + (self.temperature - goal) * math.exp(-dt / self.time_constant)

    @property
    def settling(self) -> bool:
        goal = self.setpoint if self.heater_on else self.base_temperature
        return abs(self.temperature - goal) > 1e-3


@dataclass
class SourceOutput:
    """What one current source drives through the bar."""

    dc: float = 0.0  # A
    ac_amplitude: float = 0.0  # A, peak
    frequency: float = 0.0  # Hz


@dataclass
class NoiseModel:
    """Voltage noise and thermoelectric offsets seen by the voltmeters."""

    density: float = 8e-9  # V/sqrt(Hz): white noise of the leads and the bar
    offset: float = 2e-6  # V, typical thermoelectric offset of a contact pair
    drift: float = 2e-7  # V, amplitude of its slow drift
    drift_period: float = 600.0  # s


@dataclass
class BenchOptions:
    """Bench wiring and the things between device and instruments."""

    lead_resistance: float = 25.0  # ohm, each current lead
    current_path_factor: float = 1.5  # bar length between current pads / V_xx probe spacing
    coils: dict[str, Coil] = field(default_factory=lambda: {
        "x": Coil("x"), "y": Coil("y"), "z": Coil("z", coil_constant=0.01)})
    noise: NoiseModel = field(default_factory=NoiseModel)
    #: which contact pair each measuring instrument (by name) and channel sees
    wiring: dict[str, str] = field(default_factory=dict)
    #: instrument faults by instrument name
    faults: dict[str, InstrumentFaults] = field(default_factory=dict)
    #: the bar burns open as soon as a current above this flows (A), whatever its duration
    burn_current: float | None = None


class BenchError(RuntimeError):
    """The bench cannot do what was asked (e.g. move to another bar with a current on)."""


class Bench:
    """One simulated probe station: device, coils, rotator, stage, sources and a clock."""

    def __init__(self, device: Device | DeviceParameters | str = "py-nio", *, seed: int = 0,
                 clock: Clock | None = None, options: BenchOptions | None = None) -> None:
        if isinstance(device, str):
            device = preset(device)
        if isinstance(device, DeviceParameters):
            device = Device(device, seed=seed)
        self.device = device
        self.seed = seed
        self.clock = clock if clock is not None else VirtualClock()
        self.options = options if options is not None else BenchOptions()
        self.coils = self.options.coils
        self.rotator = Rotator()
        self.stage = Stage(temperature=device.stage_temperature,
                           setpoint=device.stage_temperature,
                           base_temperature=device.stage_temperature)
        self.sources: dict[str, SourceOutput] = {}
        self.instruments: dict[str, object] = {}  # resource name -> instrument model
        noise = self.options.noise
        self._offset_phase = {c: self._rng(f"drift-phase-{c}").uniform(0, 2 * np.pi)
                              for c in CONTACTS}
        self._offset_base = {c: noise.offset * self._rng(f"offset-{c}").standard_normal()
                             for c in CONTACTS}
        self._noise_rng = self._rng("noise")
        self.pulse_log: list[PulseOutcome] = []
        self.lock = threading.RLock()
        self._fault_states: dict[str, FaultState] = {}
        #: RF generators by name, and the line between them and the bar (``rf``)
        self.rf_sources: dict[str, object] = {}
        self.rf_circuit = RFCircuit()

    # -- randomness ---------------------------------------------------------------------
    def _rng(self, name: str) -> np.random.Generator:
        """An independent, reproducible random stream for one purpose."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def gaussian(self, sigma: float) -> float:
        return float(sigma * self._noise_rng.standard_normal()) if sigma > 0 else 0.0

    # -- instruments --------------------------------------------------------------------
    def add_instrument(self, resource_name: str, instrument: object) -> None:
        self.instruments[resource_name] = instrument

    def faults_for(self, name: str) -> FaultState:
        """The running fault state of an instrument (shared by all its sessions)."""
        if name not in self._fault_states:
            self._fault_states[name] = FaultState(self.options.faults.get(name),
                                                  seed=zlib.crc32(f"{self.seed}-{name}".encode()))
        return self._fault_states[name]

    def inject_fault(self, name: str, **faults: object) -> None:
        """Make instrument ``name`` misbehave from now on (counts restart at zero)."""
        if name not in {getattr(i, "name", None) for i in self.instruments.values()}:
            raise KeyError(f"no instrument named {name!r} on this bench")
        self.options.faults[name] = InstrumentFaults(**faults)
        self._fault_states[name] = FaultState(self.options.faults[name],
                                              seed=zlib.crc32(f"{self.seed}-{name}".encode()))

    # -- the bar under the probes -------------------------------------------------------
    def swap_device(self, device: Device) -> Device:
        """Put the probes on another bar of the chip: ``device`` (with its own state:
        magnetization, a burnt bar stays burnt) replaces the present one, which is
        returned. Everything else stays: the clock, the instruments and their fault
        state, the coils and their field, the rotator, the chuck and its temperature.

        Refused (:class:`BenchError`) while any current or RF reaches the bar: like a
        probe lifted from a live bar, it would be a different experiment."""
        from labspin.simulated_instruments import rf

        with self.lock:
            if device is self.device:
                return device
            live = [f"{name} drives {s.dc:g} A dc" + (f" and a {s.ac_amplitude:g} A sine"
                                                        if s.ac_amplitude else "")
                    for name, s in self.sources.items() if s.dc or s.ac_amplitude]
            if rf.outputs(self):
                live.append("an RF generator's output is on")
            if live:
                raise BenchError("cannot move the probes to another bar while "
                                 + "; ".join(live) + ": turn the outputs off first")
            old = self.device
            self.device = device
            self.__dict__.pop("_rf_cache", None)  # answers of the old bar
            self._sync_device()  # the new bar sees this field and this chuck temperature
            return old

    def _check_burn(self, current: float) -> None:
        limit = self.options.burn_current
        if limit is not None and abs(current) > limit:
            self.device.burnt = True

    def contacts(self, name: str, channel: int | str = 1) -> str:
        """Contact pair ("xx" or "xy") wired to an instrument's channel."""
        key = f"{name}:{channel}"
        return self.options.wiring.get(key, self.options.wiring.get(name, "xx"))

    # -- time ---------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: coils ramp, the rotator turns, the stage settles and the
        device relaxes thermally with whatever current flows."""
        self._evolve(seconds, sleep=True)

    @property
    def follows_wall(self) -> bool:
        return self.clock.follows_wall

    def follow_wall(self, wall: WallClock | None = None) -> None:
        """Serve clients outside labspin: the wall time between their messages passes on
        the bench too (``catch_up``). Never for a labspin station's own bench."""
        if wall is None:
            self.clock.follow_wall()
        else:
            self.clock.follow_wall(wall)

    def catch_up(self) -> float:
        """Before a message from outside labspin: let the wall time since the last one
        pass on the bench (at least ``MIN_CATCH_UP``, or wait for more). A no-op unless
        the bench follows the wall. Returns the seconds that passed."""
        elapsed = self.clock.take_wall_time(MIN_CATCH_UP)
        if elapsed > 0:
            self._evolve(elapsed, sleep=False)  # the clock has moved on already
        return elapsed

    def _evolve(self, seconds: float, *, sleep: bool) -> None:
        remaining = float(seconds)
        while remaining > 0:
            moving = any(not c.settled for c in self.coils.values()) or self.rotator.moving
            if moving:
                step = min(remaining, MAX_STEP)
            elif self.stage.settling:
                step = min(remaining, MAX_STAGE_STEP)
            else:
                step = remaining
            for coil in self.coils.values():
                coil.evolve(step)
            self.rotator.evolve(step)
            self.stage.evolve(step)
            self._sync_device()
            ac = self.ac_source()
            self.device.wait(step, current=self.dc_current(),
                             ac_amplitude=ac.ac_amplitude if ac and not self.device.is_open
                             else 0.0)
            if sleep:
                self.clock.sleep(step)
            remaining -= step

    def _sync_device(self) -> None:
        field_now = self._sample_field_components()
        device_field = self.device.field
        if field_now != (device_field[0], device_field[1], device_field[2]):
            self.device.set_field(np.array(field_now))
        if abs(self.stage.temperature - self.device.stage_temperature) > 1e-3:
            self.device.set_stage_temperature(self.stage.temperature)

    # -- fields -------------------------------------------------------------------------
    def _lab_field_components(self) -> tuple[float, float, float]:
        # the sum lab_field gave with numpy arrays, added in the same order
        total = [0.0, 0.0, 0.0]
        for coil in self.coils.values():
            b = coil.coil_constant * coil.current + coil.remanence * coil._remanent_sign
            axis = AXES[coil.axis]
            total = [total[0] + b * axis[0], total[1] + b * axis[1], total[2] + b * axis[2]]
        return total[0], total[1], total[2]

    def lab_field(self) -> np.ndarray:
        """Field at the sample in the magnet (lab) frame, tesla."""
        return np.array(self._lab_field_components())

    def _sample_field_components(self) -> tuple[float, float, float]:
        a = math.radians(self.rotator.angle)
        bx, by, bz = self._lab_field_components()
        return (bx * math.cos(a) + by * math.sin(a), -bx * math.sin(a) + by * math.cos(a),
                bz)

    def sample_field(self) -> np.ndarray:
        """Lab field seen in the frame of the sample, which the rotator turned by +angle."""
        return np.array(self._sample_field_components())

    # -- current through the bar --------------------------------------------------------
    def set_source(self, name: str, dc: float = 0.0, ac_amplitude: float = 0.0,
                   frequency: float = 0.0) -> None:
        self.sources[name] = SourceOutput(dc, ac_amplitude, frequency)
        self._check_burn(abs(dc) + abs(ac_amplitude))
        self._sync_device()

    def dc_current(self) -> float:
        return 0.0 if self.device.is_open else sum(s.dc for s in self.sources.values())

    def ac_source(self) -> SourceOutput | None:
        """The source driving a sine through the bar (the lock-in's reference)."""
        for s in self.sources.values():
            if s.ac_amplitude:
                return s
        return None

    def lockin_reference(self) -> float | None:
        """Frequency at the lock-ins' reference input: the sine current's, else the AM
        rate on an RF generator's LF output (spin-torque FMR); None when nothing."""
        ac = self.ac_source()
        if ac is not None:
            return ac.frequency
        from labspin.simulated_instruments import rf

        return rf.reference_frequency(self)

    def heating_current(self) -> float:
        """DC-equivalent (rms) current for Joule heating and the bar's resistance.

        Not for the torque: thermal activation follows the instantaneous current
        (``Device.wait`` averages its rates over the sine), so a read current's sine
        does not act as a DC current of its rms value."""
        ac = self.ac_source()
        rms_ac = ac.ac_amplitude / math.sqrt(2) if ac else 0.0
        return math.copysign(math.hypot(self.dc_current(), rms_ac), self.dc_current() or 1.0)

    def two_terminal_resistance(self) -> float:
        """Resistance a current source sees: bar between its pads plus both leads."""
        if self.device.is_open:
            return math.inf
        r_bar = self.device.resistances(self.heating_current()).xx
        return r_bar * self.options.current_path_factor + 2 * self.options.lead_resistance

    def two_terminal_resistance_at(self, current: float) -> float:
        """Two-terminal resistance with ``current`` flowing (the bar warms), ohm."""
        if self.device.is_open:
            return math.inf
        r_bar = self.device.resistances(current).xx
        return r_bar * self.options.current_path_factor + 2 * self.options.lead_resistance

    def compliance_current(self, requested: float, compliance_voltage: float) -> float:
        """The current a source with ``compliance_voltage`` actually drives: the requested
        one, or the one at which I R(I) reaches the compliance voltage as the bar warms."""
        if self.device.is_open:
            return 0.0
        if abs(requested) * self.two_terminal_resistance_at(requested) <= compliance_voltage:
            return requested
        current = requested
        for _ in range(50):  # fixed point of I = V_c / R(I); R varies slowly with I
            new = math.copysign(compliance_voltage / self.two_terminal_resistance_at(current),
                                requested)
            if abs(new - current) < 1e-12:
                break
            current = new
        return current

    # -- what voltmeters and lock-ins see -----------------------------------------------
    def thermoelectric_offset(self, contacts: str) -> float:
        n = self.options.noise
        phase = 2 * math.pi * self.now() / n.drift_period + self._offset_phase[contacts]
        return self._offset_base[contacts] + n.drift * math.sin(phase)

    def voltage(self, contacts: str, integration_time: float) -> float:
        """DC voltage across a contact pair with the present DC current: device signal,
        thermoelectric offset and noise falling as 1/sqrt(integration time). ``inf``
        for a bar that has burnt open (the input floats)."""
        return self.voltage_at(contacts, self.dc_current(), integration_time)

    def voltage_at(self, contacts: str, current: float, integration_time: float) -> float:
        """Like :meth:`voltage` but with ``current`` flowing (e.g. during a pulse), without
        changing any source."""
        if self.device.is_open:
            return math.inf
        v_xx, v_xy = self.device.voltages(current)
        signal = v_xx if contacts == "xx" else v_xy
        sigma = self.options.noise.density / math.sqrt(2 * max(integration_time, 1e-6))
        return signal + self.thermoelectric_offset(contacts) + self.gaussian(sigma)

    def harmonic_voltages(self, contacts: str) -> tuple[float, float]:
        """Peak (V_1w in phase, V_2w) across a contact pair for the present sine current,
        with V = V_0 + V_1w sin wt - V_2w cos 2wt."""
        ac = self.ac_source()
        if ac is None and not self.device.is_open:
            from labspin.simulated_instruments import rf

            return rf.harmonic_voltages(self, contacts)  # an AM-modulated RF current
        if ac is None or self.device.is_open:
            return 0.0, 0.0
        h = self.device.harmonic_voltages(ac.ac_amplitude)
        return (h.xx_1w, h.xx_2w) if contacts == "xx" else (h.xy_1w, h.xy_2w)

    def pulse(self, amplitude: float, width: float) -> PulseOutcome:
        """A current pulse through the bar; the clock moves on by its width."""
        self._sync_device()
        self._check_burn(amplitude)
        outcome = self.device.apply_pulse(amplitude, width)
        self.pulse_log.append(outcome)
        self.clock.sleep(width)
        return outcome
