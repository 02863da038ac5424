"""How long a point takes on hardware: measuring, and the messages it sends.

On a probe station every exchange with an instrument costs milliseconds of bus and
parser time, whatever it does. The procedures' duration estimates count them: each
procedure says which messages a typical point sends (:class:`Traffic`, from the
building blocks below, which follow what ``Apparatus`` sends: settings only when they
change, every reading and every check that guards one), and the tests hold the count
to what the simulated instruments actually receive.

Per-message costs (estimates; instrument manuals give execution times of a few ms for
most commands, and the controller adds its transfer):

* a GPIB write: 2 ms (addressing, a few tens of bytes, the instrument's parser);
* a GPIB query: 4 ms (the write, the instrument composing its reply, the read back);
* a query over RS-232 (the LakeShore 425 gaussmeter): 10 ms (a 12-character command and
  a 12-character reply at 57600 baud take 4 ms on the wire, plus the turnaround).

Measuring itself (integration, lock-in settling, a pulse, a ramp step) is counted by
the helpers at the end, from the instruments' settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pymeasure.instruments.srs import SR830

GPIB_WRITE_SECONDS = 2e-3
GPIB_QUERY_SECONDS = 4e-3
SERIAL_QUERY_SECONDS = 10e-3
#: the Electromagnet's ramp staircase: one current step per interval (drivers/electromagnet)
MAGNET_STEP_INTERVAL = 0.1  # s
#: ramp rate assumed when neither a station nor its limits are known, T/s
DEFAULT_RAMP_RATE = 0.1
#: 50 Hz mains: the longer power-line cycle of the two
LINE_PERIOD = 1 / 50
#: the 6221 delta-mode cycles the apparatus averages (Apparatus._read_delta)
DELTA_CYCLES = 4
#: a lock-in reads after this many time constants (Apparatus.read_harmonics)
LOCKIN_SETTLING = 5.0
#: the 6221 arms and runs one pulse-delta cycle (its interval is 5 line cycles at least);
#: the 81160A's triggered shot with its operation-complete wait takes less
PULSE_SECONDS = 0.1


@dataclass(frozen=True)
class Traffic:
    """Messages of one point: GPIB writes and queries, serial (RS-232) queries."""

    writes: float = 0.0
    queries: float = 0.0
    serial: float = 0.0

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(self.writes + other.writes, self.queries + other.queries,
                       self.serial + other.serial)

    def __mul__(self, factor: float) -> Traffic:
        return Traffic(self.writes * factor, self.queries * factor, self.serial * factor)

    __rmul__ = __mul__

    @property
    def messages(self) -> float:
        return self.writes + self.queries + self.serial

    def seconds(self) -> float:
        """Bus time on hardware, s."""
        return (self.writes * GPIB_WRITE_SECONDS + self.queries * GPIB_QUERY_SECONDS
                + self.serial * SERIAL_QUERY_SECONDS)


NOTHING = Traffic()


def ramp_steps(change: float, rate: float) -> int:
    """Steps of the Electromagnet's staircase for a field change (T) at ``rate`` (T/s):
    one per interval, at least one."""
    return max(1, math.ceil(abs(change) / (rate * MAGNET_STEP_INTERVAL) - 1e-9))


def ramp(change: float, rate: float) -> Traffic:
    """One axis to a new field: per step the coil current read and the setpoint written,
    the current read once more when it arrived, then the gaussmeter read (the supply's
    output state is known from the first ramp of the run on)."""
    if change == 0:
        return Traffic(queries=1, serial=1)
    steps = ramp_steps(change, rate)
    return Traffic(writes=steps, queries=steps + 1, serial=1)


def dc_reading(modes: tuple[str, ...], *, after_pulse: bool = False) -> Traffic:
    """``Apparatus.read_resistances`` of pairs read by ``modes`` (dc, reversal, delta),
    in the steady state of a run. A pulse-delta test or a delta reading leaves the 6221's
    output and the 2182A's settings unknown, so the next plain reading sends its level,
    integration time and channel again; ``after_pulse``: a 6221 pulse came in between
    (its compliance is also set back)."""
    plain = [m for m in modes if m != "delta"]
    deltas = len(modes) - len(plain)
    traffic = Traffic(queries=1)  # the compliance register, after every reading
    traffic += Traffic(writes=3 * deltas, queries=deltas)  # arm, start, abort; the buffer
    if after_pulse:
        traffic += Traffic(writes=1)
    if plain:
        reversal = "reversal" in plain
        readings = sum(2 if m == "reversal" else 1 for m in plain)
        # output on and off, and the level between the polarities of a reversal
        traffic += Traffic(writes=3 if reversal else 2, queries=readings)
        if len(plain) > 1:  # channel changes: at each polarity but the first
            traffic += Traffic(writes=2 if reversal else 1)
        if deltas or after_pulse:  # level, integration time, first channel sent again
            traffic += Traffic(writes=3)
    return traffic


def harmonic_reading(harmonics: int, *, sensitivities_differ: bool = True) -> Traffic:
    """``Apparatus.read_harmonics`` in the steady state: each harmonic selected (with its
    sensitivity, when they differ) and read, in the same order at every point, and the
    compliance register read after; a single harmonic stays selected."""
    switch = 0 if harmonics < 2 else harmonics * (2 if sensitivities_differ else 1)
    return Traffic(writes=switch, queries=harmonics + 1)


#: ``Apparatus.start_ac`` (arm and start, the settings unchanged) and ``stop_ac``
SINE_START_STOP = Traffic(writes=3)


def source_pulse(*, changed: int, reads_voltage: bool, compliance_changes: bool,
                 ) -> Traffic:
    """One 6221 pulse: clear, arm, trigger, the compliance register and the error queue;
    the ``changed`` settings (level, width), the compliance when a reading set it lower
    since, the pulse voltage when the 2182A reads the bar."""
    return Traffic(writes=3 + changed + int(compliance_changes),
                   queries=2 + int(reads_voltage))


def generator_pulse(*, changed: int) -> Traffic:
    """One 81160A pulse: clear, output on, trigger, output off; operation complete and
    the error queue; the ``changed`` settings (level, width, polarity)."""
    return Traffic(writes=4 + changed, queries=2)


# -- measuring --------------------------------------------------------------------------------
def ramp_seconds(change: float, rate: float) -> float:
    """Time the Electromagnet's staircase takes for a field change (T) at ``rate`` (T/s):
    one step per interval, at least one interval (the read-back is in :func:`ramp`)."""
    return ramp_steps(change, rate) * MAGNET_STEP_INTERVAL


#: a temperature-controlled chuck approaches its setpoint as exp(-t / tau) (a copper chuck
#: of a probe station with a 331-type controller: tens of seconds; the simulated bench's
#: is 30 s)
STAGE_TIME_CONSTANT = 30.0  # s
#: StageTemperature.set_and_wait: within 0.1 K for three readings a second apart
STAGE_TOLERANCE = 0.1  # K
STAGE_STABLE_SECONDS = 3.0
#: where a stage is assumed to start when nothing earlier set it
ROOM_TEMPERATURE = 300.0  # K


def stage_settling_seconds(target: float | None, start: float | None = None) -> float:
    """Time the stage takes to settle at ``target`` (K; None: the run leaves the stage
    alone) from ``start`` (the previous run's setpoint; None: room temperature)."""
    if target is None:
        return 0.0
    gap = abs(target - (ROOM_TEMPERATURE if start is None else start))
    if gap <= STAGE_TOLERANCE:
        return STAGE_STABLE_SECONDS
    return STAGE_TIME_CONSTANT * math.log(gap / STAGE_TOLERANCE) + STAGE_STABLE_SECONDS


def nanovoltmeter_seconds(nplc: float) -> float:
    """One 2182A reading: NPLC line cycles, doubled by auto-zero."""
    return 2 * nplc * LINE_PERIOD


def delta_seconds(nplc: float) -> float:
    """A 6221 delta reading of ``DELTA_CYCLES`` cycles (two readings each, two more to
    start the three-point average)."""
    return (DELTA_CYCLES + 2) * nanovoltmeter_seconds(nplc)


def truncated(values: list[float], value: float) -> float:
    """The SR830 setting a request lands on: the next value up (pymeasure truncates)."""
    return next((v for v in values if v >= value * (1 - 1e-9)), values[-1])


def lockin_seconds(time_constant: float, harmonics: int = 2) -> float:
    """Reading ``harmonics`` harmonics one after the other, each after 5 tau."""
    tau = truncated(SR830.TIME_CONSTANTS, time_constant)
    return harmonics * LOCKIN_SETTLING * tau
