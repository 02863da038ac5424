"""Keithley 6221 with the Pulse Delta subsystem that pymeasure's driver lacks.

Current-induced switching needs single, well-defined current pulses of 50 us to 12 ms
with the 2182A reading the bar during each one: that is the 6221's Pulse Delta mode
(Model 6220/6221 Reference Manual, section 5 "Pulse Delta", Table 5-5). Everything else
is pymeasure's ``Keithley6221`` unchanged.
"""

from __future__ import annotations

import math

from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley6221
from pymeasure.instruments.validators import (
    joined_validators,
    strict_discrete_set,
    strict_range,
)

PULSE_WIDTH_LIMITS = (50e-6, 12e-3)  # s
SOURCE_DELAY_LIMITS = (16e-6, 11.966e-3)  # s
MAX_CURRENT = 0.105  # A
MAX_COUNT = 65536


def _count(value: float) -> float:
    """Pulse count as read back: an integer, or inf for INF (the 6221 sends 9.9E37)."""
    return math.inf if value >= 9.9e37 else int(value)


class Keithley6221Pulse(Keithley6221):
    """Keithley 6221 current source with Pulse Delta (pulsed switching with readout).

    .. code-block:: python

        source = Keithley6221Pulse("GPIB0::12::INSTR")
        source.source_compliance = 20
        source.delta_unit = "V"                     # readings in volts
        source.pulse(amplitude=35e-3, width=1e-3)   # one pulse, read by the 2182A
        source.read_pulse_buffer()                  # [V_pulse - V_low]
        source.pulse_voltage()                      # the same, NaN if open or missing
    """

    def __init__(self, adapter, name="Keithley 6221 with Pulse Delta", **kwargs):
        super().__init__(adapter, name, **kwargs)

    pulse_high = Instrument.control(
        ":SOUR:PDEL:HIGH?", ":SOUR:PDEL:HIGH %g",
        """Control the pulse high level in A (float strictly from -0.105 to 0.105).""",
        validator=strict_range,
        values=[-MAX_CURRENT, MAX_CURRENT],
    )

    pulse_low = Instrument.control(
        ":SOUR:PDEL:LOW?", ":SOUR:PDEL:LOW %g",
        """Control the level between pulses in A (float strictly from -0.105 to 0.105).""",
        validator=strict_range,
        values=[-MAX_CURRENT, MAX_CURRENT],
    )

    pulse_width = Instrument.control(
        ":SOUR:PDEL:WIDT?", ":SOUR:PDEL:WIDT %g",
        """Control the pulse width in s (float strictly from 50e-6 to 12e-3).""",
        validator=strict_range,
        values=list(PULSE_WIDTH_LIMITS),
    )

    pulse_source_delay = Instrument.control(
        ":SOUR:PDEL:SDEL?", ":SOUR:PDEL:SDEL %g",
        """Control the delay from the pulse edge to the 2182A reading in s
        (float strictly from 16e-6 to 11.966e-3).""",
        validator=strict_range,
        values=list(SOURCE_DELAY_LIMITS),
    )

    pulse_count = Instrument.control(
        ":SOUR:PDEL:COUN?", ":SOUR:PDEL:COUN %s",
        """Control the number of pulses per trigger (integer strictly from 1 to 65536,
        or "INF"; reads back inf for "INF").""",
        validator=joined_validators(strict_range, strict_discrete_set),
        values=([1, MAX_COUNT], ["INF"]),
        get_process=_count,
    )

    pulse_interval = Instrument.control(
        ":SOUR:PDEL:INT?", ":SOUR:PDEL:INT %d",
        """Control the pulse period in power-line cycles (integer strictly from 5 to
        999999).""",
        validator=strict_range,
        values=[5, 999999],
        cast=int,
    )

    pulse_range_best = Instrument.control(
        ":SOUR:PDEL:RANG?", ":SOUR:PDEL:RANG %s",
        """Control whether the source range is chosen for the pulse levels (True, BEST)
        or kept at the present range (False, FIXed).""",
        values={True: "BEST", False: "FIX"},
        map_values=True,
    )

    pulse_sweep_enabled = Instrument.control(
        ":SOUR:PDEL:SWE?", ":SOUR:PDEL:SWE %d",
        """Control whether the pulse levels step through the configured sweep (boolean)
        instead of repeating the fixed high level.""",
        values={True: 1, False: 0},
        map_values=True,
    )

    pulse_low_measurements = Instrument.control(
        ":SOUR:PDEL:LME?", ":SOUR:PDEL:LME %d",
        """Control the number of low-level readings per pulse (1 or 2): 2 gives the
        3-point reading V_high - (V_low1 + V_low2)/2, which also cancels a drifting
        thermoelectric offset.""",
        validator=strict_discrete_set,
        values=[1, 2],
        cast=int,
    )

    pulse_armed = Instrument.measurement(
        ":SOUR:PDEL:ARM?",
        """Get whether Pulse Delta is armed (boolean).""",
        cast=bool,
    )

    pulse_voltmeter_connected = Instrument.measurement(
        ":SOUR:PDEL:NVPR?",
        """Get whether the 6221 sees the 2182A on its RS-232 link (boolean).""",
        cast=bool,
    )

    pulse_readings_stored = Instrument.measurement(
        ":TRAC:POIN:ACT?",
        """Get how many readings the buffer holds (integer).""",
        cast=int,
    )

    def arm_pulse(self):
        """Arm Pulse Delta; this un-arms Delta or a waveform."""
        self.write(":SOUR:PDEL:ARM")

    def trigger_pulses(self):
        """Start the armed Pulse Delta test (``pulse_count`` pulses)."""
        self.write(":INIT:IMM")

    def abort_pulses(self):
        """Stop Pulse Delta and un-arm it."""
        self.write(":SOUR:SWE:ABOR")

    def pulse(self, amplitude, width, low=0.0):
        """Fire one pulse of ``amplitude`` A and ``width`` s from ``low`` A, read by the
        2182A; the reading lands in the buffer (:meth:`read_pulse_buffer`)."""
        self.pulse_low = low
        self.pulse_high = amplitude
        self.pulse_width = width
        self.pulse_count = 1
        self.arm_pulse()
        self.trigger_pulses()

    def pulse_voltage(self):
        """Return the voltage (V) the 2182A read across its channel-1 contacts during the
        last pulse: the last Pulse Delta reading, V_high - V_low, so the thermoelectric
        offset cancels. NaN when the buffer is empty or the reading overflowed (+9.9E37:
        an open circuit). In volts only with ``delta_unit = "V"`` set before the pulse."""
        readings = self.read_pulse_buffer()
        if not readings or not math.isfinite(readings[-1]) or abs(readings[-1]) >= 9.9e37:
            return math.nan
        return readings[-1]

    def read_pulse_buffer(self):
        """Return the Pulse Delta readings in the buffer as a list of floats (selects
        the reading element only, FORMat:ELEMents READ)."""
        self.write(":FORM:DATA ASC;:FORM:ELEM READ")
        return [float(v) for v in self.values(":TRAC:DATA?")]
