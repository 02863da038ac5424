"""What one current pulse was: its current, width, the voltage measured across the bar
during it and its energy (``Apparatus.pulse`` returns it; the switching procedures write
its columns).

Pulse columns (every switching procedure):

* ``Pulse voltage (V)``: the voltage across the V_xx probes at the end of the pulse, read
  by the 2182A in the 6221's pulse-delta mode (V_high - V_low, offsets cancelled), so
  the bar's resistance hot from the pulse is in it. NaN where nothing measured it: the
  81160A makes pulses below 50 us, and pulse delta reads the 2182A's channel 1, which
  must be wired to xx.
* ``Pulse energy (J)``: with a measured voltage, I V t_p, the energy the bar dissipates
  between its V_xx probes (the section of length L the model's I^2 R(T) t_p refers to);
  without one, the estimate I^2 R_2t t_p with the two-terminal resistance (pads and
  leads included, so larger). 0 where no pulse was sent.
* ``Pulse energy measured``: 1 where the energy is I V t_p, 0 where it is the estimate.

Files written before these columns existed hold only ``Pulse energy (J)``, the
estimate; the analysis reads both.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PULSE_COLUMNS", "PulseRecord", "energy_method", "pulse_columns"]

log = logging.getLogger(__name__)

#: the columns every pulse fills (module doc)
PULSE_COLUMNS = ("Pulse voltage (V)", "Pulse energy (J)", "Pulse energy measured")


@dataclass(frozen=True)
class PulseRecord:
    """One pulse as sent and measured.

    ``voltage`` is what the 2182A read across the V_xx probes at the end of a 6221
    pulse-delta pulse (V_high - V_low, the thermoelectric offset cancelled), so it
    includes the bar's resistance hot from the pulse; NaN when nothing measured it (the
    81160A makes pulses below 50 us; or the 2182A's channel 1 is not on xx).
    ``estimate`` is I^2 R_2t t_p with the two-terminal resistance the station knows
    (between the current pads, leads included: an upper bound on what the bar takes).
    """

    amplitude: float  # A
    width: float  # s
    voltage: float  # V, NaN when not measured
    estimate: float  # J, I^2 R_2t t_p

    @property
    def measured(self) -> bool:
        return math.isfinite(self.voltage)

    @property
    def energy(self) -> float:
        """J: I V t_p measured (dissipated between the V_xx probes, hot resistance
        included) when the voltage was read, else the I^2 R_2t t_p estimate."""
        return abs(self.amplitude * self.voltage) * self.width if self.measured \
            else self.estimate


def pulse_columns(record: PulseRecord | None) -> dict[str, float]:
    """The pulse columns of a row (module doc); ``None``: no pulse was sent."""
    if record is None:
        return {"Pulse voltage (V)": math.nan, "Pulse energy (J)": 0.0,
                "Pulse energy measured": 0.0}
    return {"Pulse voltage (V)": record.voltage, "Pulse energy (J)": record.energy,
            "Pulse energy measured": float(record.measured)}


def energy_method(reads_bar_voltage: bool, generator_widths: Iterable[float]) -> str:
    """How the run's pulse energies are obtained, for its header; logged as a warning
    when some are estimates. ``reads_bar_voltage``: the 2182A's channel 1 is on xx;
    ``generator_widths``: widths of the pulses the 81160A makes."""
    short = sorted(set(generator_widths))
    if not reads_bar_voltage:
        method = ("I^2 R_2t t_p estimate for every pulse: the 6221's pulse delta reads the "
                  "2182A's channel 1, which is not wired to xx (no pulse voltage)")
    elif short:
        method = ("I V t_p measured by 6221 pulse delta; I^2 R_2t t_p estimate for the "
                  f"81160A's pulses ({', '.join(f'{w:g} s' for w in short)}: no pulse "
                  "voltage is measured)")
    else:
        method = "I V t_p, V measured across the V_xx probes by 6221 pulse delta"
    if "estimate" in method:
        log.warning("Pulse energy: %s; 'Pulse energy measured' is 0 on those rows", method)
    return method
