"""Agilent (Keysight) E8257D PSG signal generator for spin-torque FMR.

pymeasure's ``Agilent8257D`` sets the frequency, the level, the amplitude modulation
(AM) and the low-frequency output (LF out, which carries the AM rate to the lock-in's
reference input). What it lacks, added here in its own style:

* range checks before anything is sent: ``frequency`` within the model's range
  (250 kHz to 20 GHz for option 520; ``max_frequency`` for the others) and ``power``
  within the levelled range (-20 to +25 dBm without the step attenuator);
* the output, modulation, AM and LF-out states as controls that read back
  (``output_enabled``, ...), not only ``enable()`` / ``disable()`` methods;
* a shutdown that turns the RF output off *first*: pymeasure's turns the modulation off
  first, so a failure there would leave the RF on (``rf_off`` tries every step).

SCPI of the E8257D/E8267D (Keysight PSG Programming Guide, Chapter 2 and the SCPI
Command Reference): ``:OUTPut[:STATe]``, ``:OUTPut:MODulation[:STATe]``,
``[:SOURce]:AM[1]:STATe``, ``[:SOURce]:LFOutput:STATe``, ``[:SOURce]:FREQuency``,
``[:SOURce]:POWer``.
"""

from __future__ import annotations

import logging

from pymeasure.instruments import Instrument
from pymeasure.instruments.agilent import Agilent8257D
from pymeasure.instruments.validators import strict_discrete_set, strict_range

log = logging.getLogger(__name__)

FREQUENCY_RANGE = (250e3, 20e9)  # Hz, E8257D option 520
POWER_RANGE = (-20.0, 25.0)  # dBm, levelled range without the step attenuator
_ON_OFF = {True: 1, False: 0}


class Agilent8257DRF(Agilent8257D):
    """pymeasure's Agilent8257D with range checks, readable states and an RF-first
    shutdown. ``max_frequency`` (Hz) and ``min_power`` / ``max_power`` (dBm) set the
    ranges of the installed options."""

    frequency = Instrument.control(
        ":FREQ?;", ":FREQ %e Hz;",
        """Control the CW output frequency (Hz), within the model's range.""",
        validator=strict_range, values=FREQUENCY_RANGE, dynamic=True)
    power = Instrument.control(
        ":POW?;", ":POW %g dBm;",
        """Control the output level (dBm), within the levelled range.""",
        validator=strict_range, values=POWER_RANGE, dynamic=True)
    output_enabled = Instrument.control(
        ":OUTP?", ":OUTP %d",
        """Control whether the RF output is on (bool).""",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)
    modulation_enabled = Instrument.control(
        ":OUTP:MOD?", ":OUTP:MOD %d",
        """Control whether the modulations reach the RF output (bool).""",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)
    amplitude_modulation_enabled = Instrument.control(
        ":SOUR:AM:STAT?", ":SOUR:AM:STAT %d",
        """Control whether the amplitude modulation is on (bool).""",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)
    low_freq_out_enabled = Instrument.control(
        ":SOUR:LFO:STAT?", ":SOUR:LFO:STAT %d",
        """Control whether the LF output (the lock-in's reference) is on (bool).""",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)

    def __init__(self, adapter, name: str = "Agilent E8257D PSG signal generator", *,
                 max_frequency: float = FREQUENCY_RANGE[1], min_power: float = POWER_RANGE[0],
                 max_power: float = POWER_RANGE[1], **kwargs) -> None:
        super().__init__(adapter, name, **kwargs)
        self.frequency_values = [FREQUENCY_RANGE[0], float(max_frequency)]
        self.power_values = [float(min_power), float(max_power)]

    def rf_off(self) -> list[str]:
        """RF output off, then modulation and LF output off; every step is tried and
        the failures are returned (an RF output left on is the first one)."""
        failures = []
        for what, attribute in (("RF output", "output_enabled"),
                                ("modulation", "modulation_enabled"),
                                ("LF output", "low_freq_out_enabled")):
            try:
                setattr(self, attribute, False)
            except Exception as exc:  # any transport error: go on with the next step
                log.error("could not turn the %s off: %s", what, exc)
                failures.append(f"{what} off: {exc}")
        return failures

    def shutdown(self) -> None:
        """Turn the RF output off first, then the modulation (``rf_off``)."""
        self.rf_off()
        Instrument.shutdown(self)


def rf_off(instrument) -> None:
    """Turn any Agilent8257D's RF output off (ours or pymeasure's), then its modulation;
    raise if the output could not be turned off."""
    if isinstance(instrument, Agilent8257DRF):
        failures = instrument.rf_off()
        if failures and failures[0].startswith("RF output"):
            raise RuntimeError(failures[0])
        return
    instrument.disable()
    try:
        instrument.disable_modulation()
    except Exception as exc:
        log.error("could not turn the modulation off: %s", exc)


def rf_enabled(instrument) -> bool:
    """Whether any Agilent8257D's RF output is on, read back (ours: ``output_enabled``;
    pymeasure's: ``is_enabled``)."""
    if isinstance(instrument, Agilent8257DRF):
        return bool(instrument.output_enabled)
    return bool(instrument.is_enabled)
