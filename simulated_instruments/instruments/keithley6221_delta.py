"""Keithley 6221 Delta and Pulse Delta tests with the linked 2182A, as a mixin of the model.

Settings, arming and the test runs of the Model 6220/6221 Reference Manual, section 5
(Tables 5-2 and 5-5). The 2182A model is found on the bench by name, as the real pair
is linked over the RS-232 / Trigger Link cable; its readings are converted to the UNIT
chosen and stored in the buffer (``BufferStatusMixin``). ``Keithley6221Model._initiate``
runs an armed test to completion in bench time.
"""

from __future__ import annotations

import math

from labspin.simulated_instruments.instruments._settings import (
    I_MAX,
    _choice,
    _flag,
    _number,
    _source,
)
from labspin.simulated_instruments.instruments.keithley2182 import LINE_FREQUENCY, OVERFLOW
from labspin.simulated_instruments.instruments.keithley6221_buffer import BUFFER_MAX, COMP
from labspin.simulated_instruments.scpi import (
    DATA_TYPE,
    SETTINGS_CONFLICT,
    InstrumentError,
    scpi,
)

UNITS = {"V": "V", "VOLT": "V", "VOLTS": "V", "OHM": "OHMS", "OHMS": "OHMS",
         "W": "W", "WATT": "W", "WATTS": "W", "SIEM": "SIEM", "SIEMENS": "SIEM"}


class DeltaModesMixin:
    """DELTa, PDELta, SWEep:COUNt and UNIT commands and the Delta / Pulse Delta runs."""

    # -- Delta (section 5, Table 5-2) ---------------------------------------------------
    def _delta_high_set(self) -> None:
        self.delta_low = -self.delta_high  # setting HIGH also sets LOW = -HIGH

    def _count_sets_buffer(self) -> None:
        count = self.pulse_count if self.armed == "PDEL" else self.delta_count
        if math.isfinite(count):
            self.buffer_points = min(int(count), BUFFER_MAX)  # Table 6-4, note 2

    _delta_high = _number("DELTa:HIGH", "delta_high", -I_MAX, I_MAX, then="_delta_high_set")
    _delta_low = _number("DELTa:LOW", "delta_low", -I_MAX, I_MAX)
    _delta_delay = _number("DELTa:DELay", "delta_delay", 0.0, 9999.999)
    _delta_count = _number("DELTa:COUNt", "delta_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _sweep_count = _number("SWEep:COUNt", "sweep_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _delta_cab = _flag("DELTa:CABort", "delta_cab")
    _delta_csw = _flag("DELTa:CSWitch", "delta_cold_switch")

    @scpi("UNIT[:VOLTage][:DC]")
    def _unit(self, args: str | None, query: bool) -> str | None:
        if query:
            return self.unit
        word = (args or "").strip().upper()
        if word not in UNITS:
            raise InstrumentError(*DATA_TYPE)
        self.unit = UNITS[word]
        return None

    def voltmeter(self) -> object | None:
        """The linked 2182A model on the bench, or None if it is not there."""
        for instrument in self.bench.instruments.values():
            if getattr(instrument, "name", None) == self.voltmeter_name and \
                    hasattr(instrument, "measure_voltage"):
                return instrument
        return None

    def _arm(self, kind: str, query: bool) -> str | None:
        if query:
            return "1" if self.armed == kind else "0"
        if self.voltmeter() is None:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; no 2182A found")
        if kind == "PDEL" and self.pulse_sweep:
            raise InstrumentError(SETTINGS_CONFLICT[0], "Settings conflict; sweep not simulated")
        self.wave_state = None
        self.armed = kind  # arming one test un-arms the other (section 5)
        self._count_sets_buffer()
        self._apply_output()
        return None

    @_source("DELTa:ARM")
    def _delta_arm(self, args: str | None, query: bool) -> str | None:
        return self._arm("DELT", query)

    # -- Pulse Delta (section 5, Table 5-5) ---------------------------------------------
    _pulse_high = _number("PDELta:HIGH", "pulse_high", -I_MAX, I_MAX)
    _pulse_low = _number("PDELta:LOW", "pulse_low", -I_MAX, I_MAX)
    _pulse_width = _number("PDELta:WIDTh", "pulse_width", 50e-6, 12e-3)
    _pulse_sdel = _number("PDELta:SDELay", "pulse_sdel", 16e-6, 11.966e-3)
    _pulse_count = _number("PDELta:COUNt", "pulse_count", 1, BUFFER_MAX, infinite=True,
                           integer=True)
    _pulse_interval = _number("PDELta:INTerval", "pulse_interval", 5, 999999, integer=True)
    _pulse_ranging = _choice("PDELta:RANGing", "pulse_ranging", ("BEST", "FIXed"))
    _pulse_sweep = _flag("PDELta:SWEep", "pulse_sweep")
    _pulse_lme = _number("PDELta:LMEasure", "pulse_lme", 1, 2, integer=True)

    @_source("PDELta:ARM")
    def _pulse_arm(self, args: str | None, query: bool) -> str | None:
        return self._arm("PDEL", query)

    @_source("PDELta:NVPResent")
    @_source("DELTa:NVPResent")
    def _voltmeter_present(self, args: str | None, query: bool) -> str:
        return "1" if self.voltmeter() is not None else "0"

    # -- running a test -----------------------------------------------------------------
    def _planned(self, count: float, sets: float = 1.0) -> int:
        total = count * sets
        return self.buffer_points if math.isinf(total) else int(total)

    def _convert(self, volts: float, current: float) -> float:
        """Reading in the UNIT chosen (section 5, 'Measurement units')."""
        if volts >= OVERFLOW or self.unit == "V":
            return volts
        if self.unit == "W":
            return volts * current
        if volts == 0 or current == 0:
            return OVERFLOW
        return volts / current if self.unit == "OHMS" else current / volts

    def _run_delta(self) -> None:
        """Alternate HIGH/LOW, one 2182A A/D at each, and the 3-point moving average
        (A - 2B + C)/4 (-1)^n (section 5, 'Delta measurement technique')."""
        meter = self.voltmeter()
        readings = self._planned(self.delta_count, self.sweep_count)
        half_swing = (self.delta_high - self.delta_low) / 2
        ads: list[float] = []
        compliance = []
        for k in range(readings + 2):
            _, limited = self._drive(self.delta_high if k % 2 == 0 else self.delta_low)
            compliance.append(limited)
            if limited and self.delta_cab:
                break  # compliance abort
            self.bench.advance(self.delta_delay)
            ads.append(meter.measure_voltage(channel=1))
            if k >= 2:
                a, b, c = ads[-3:]
                volts = OVERFLOW if max(a, b, c) >= OVERFLOW else \
                    (a - 2 * b + c) / 4 * (-1) ** (k - 2)
                self._store(volts, half_swing, self.delta_high, any(compliance[-3:]))

    def _run_pulse_delta(self) -> None:
        """Per cycle: 2182A reading at LOW, pulse HIGH for WIDTh with a reading at its end,
        a second LOW reading (LME 2); reading = V_high - mean(V_low). Cycle length is
        INTerval line cycles (section 5, 'Pulse Delta').

        The high reading is the voltage across the 2182A's channel-1 contacts with the
        pulse current flowing, after the pulse has acted on the magnet: the bar at the
        temperature that current holds it at (the thermal time constant, tens of ns, is
        far below the 50 us shortest pulse), so with channel 1 on xx it is I R_xx(T_hot),
        the hot resistance included, plus the 2182A's noise for its aperture. That is
        what makes I V t_p a measured pulse energy (labspin.procedures.pulse_record)."""
        meter = self.voltmeter()
        contacts = self.bench.contacts(meter.name, 1)
        aperture = max(self.pulse_width - self.pulse_sdel, 10e-6)
        period = self.pulse_interval / LINE_FREQUENCY
        for _ in range(self._planned(self.pulse_count)):
            lows = [self._low_reading(contacts, aperture)]
            high, limited = self._limited(self.pulse_high)
            if limited:
                self.meas_event |= COMP
            self.bench.pulse(high, self.pulse_width)
            self.bench.set_source(self.name, dc=high)  # the 2182A samples inside the pulse
            v_high = self._volts(contacts, aperture)
            if self.pulse_lme >= 2:
                lows.append(self._low_reading(contacts, aperture))
            else:
                self._drive(self.pulse_low)
            volts = OVERFLOW if max(v_high, *lows) >= OVERFLOW else v_high - sum(lows) / len(lows)
            self._store(volts, self.pulse_high - self.pulse_low, self.pulse_high, limited)
            self.bench.advance(max(period - self.pulse_width - len(lows) * aperture, 0.0))

    def _low_reading(self, contacts: str, aperture: float) -> float:
        self._drive(self.pulse_low)
        self.bench.advance(aperture)
        return self._volts(contacts, aperture)

    def _volts(self, contacts: str, aperture: float) -> float:
        """What the 2182A reads over ``aperture`` with the present current (no time passes)."""
        volts = self.bench.voltage(contacts, aperture)
        return volts if math.isfinite(volts) else OVERFLOW
