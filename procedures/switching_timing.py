"""How long a switching point takes on hardware: the pulse, the settling and the read,
with the messages each sends (``labspin.procedures.timing``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from labspin.procedures.pulse_sequence import Pulse
from labspin.procedures.pulsing import uses_source
from labspin.procedures.timing import (
    NOTHING,
    PULSE_SECONDS,
    SINE_START_STOP,
    Traffic,
    dc_reading,
    delta_seconds,
    generator_pulse,
    harmonic_reading,
    lockin_seconds,
    nanovoltmeter_seconds,
    source_pulse,
)

#: the readouts' settings (Apparatus.read_voltage and configure_lockin defaults)
READ_NPLC = 5.0
READ_TIME_CONSTANT = 0.1


class SwitchingTiming:
    """Duration estimates of the switching procedures (mixed into ``PulsedSwitching``)."""

    readout: str
    settle_time: float
    station: Any

    def _planned_bar_voltage(self) -> bool:
        """Whether pulse delta reads the bar (the 2182A's channel 1 on xx), from the
        station's wiring or, without a station, the default one (channel 1 on xy)."""
        if self.station is None or "voltmeter" not in self.station.config.instruments:
            return False
        wiring = self.station.config.instruments["voltmeter"].wiring
        return any(str(k) == "1" and v == "xx" for k, v in wiring.items())

    def pulse_cost(self, pulse: Pulse, previous: Pulse | None) -> tuple[float, Traffic]:
        """Hardware seconds and messages of ``pulse`` after ``previous`` (and a read)."""
        if pulse.amplitude == 0:
            return 0.0, NOTHING
        changed = int(previous is None or previous.amplitude != pulse.amplitude) + \
            int(previous is None or previous.width != pulse.width)
        if uses_source(pulse.width):
            return PULSE_SECONDS + pulse.width, source_pulse(
                changed=changed, reads_voltage=self._planned_bar_voltage(),
                compliance_changes=True)
        flips = previous is None or (previous.amplitude > 0) != (pulse.amplitude > 0)
        return PULSE_SECONDS + pulse.width, generator_pulse(changed=changed + int(flips))

    def read_cost(self, after: Pulse | None) -> tuple[float, Traffic]:
        """Hardware seconds and messages of one read, after pulse ``after``."""
        source_pulse_before = after is not None and after.amplitude != 0 and \
            uses_source(after.width)
        if self.readout == "R_xx 2w":
            traffic = SINE_START_STOP + harmonic_reading(1)
            if source_pulse_before:
                traffic += Traffic(writes=1)  # the compliance, back from the pulse's
            return lockin_seconds(READ_TIME_CONSTANT, 1), traffic
        if self.readout == "R_xy delta":
            return delta_seconds(READ_NPLC), dc_reading(("delta",),
                                                        after_pulse=source_pulse_before)
        return nanovoltmeter_seconds(READ_NPLC), dc_reading(("dc",),
                                                           after_pulse=source_pulse_before)

    def step_cost(self, pulses: list[Pulse]) -> tuple[float, Traffic]:
        """Mean seconds and messages of a pulse, its settling and the read after it, over
        ``pulses`` sent in this order. A step's cost depends only on it and the last
        pulse sent before it, so each distinct pair is costed once and counted (a long
        run of repeated loops costs one dictionary update per step)."""
        pairs: Counter[tuple[Pulse | None, Pulse]] = Counter()
        previous = None
        for pulse in pulses:
            pairs[previous, pulse] += 1
            previous = pulse if pulse.amplitude else previous
        seconds, traffic = 0.0, NOTHING
        for (before, pulse), count in pairs.items():
            t_pulse, m_pulse = self.pulse_cost(pulse, before)
            t_read, m_read = self.read_cost(pulse)
            seconds += count * (t_pulse + self.settle_time + t_read)
            traffic += (m_pulse + m_read) * count
        n = max(len(pulses), 1)
        return seconds / n, traffic * (1 / n)

    def step_pulses(self) -> list[Pulse]:
        """The pulses of the run in order, one per row (zero amplitude: none sent)."""
        raise NotImplementedError

    def traffic_per_point(self) -> Traffic:
        return self.step_cost(self.step_pulses())[1]

    def seconds_per_point(self) -> float:
        seconds, traffic = self.step_cost(self.step_pulses())
        return seconds + traffic.seconds()
