"""Lake Shore 425 gaussmeter with a Hall probe fixed on the magnet pole (lab frame).

Enough of the command set for pymeasure's ``LakeShore425`` unmodified: ``RDGFIELD?``,
``UNIT``, ``RANGE``, ``AUTO``, ``RDGMODE``, ``ZPROBE``. The probe reads the component of
``bench.lab_field()`` along its axis; the rotator turns the sample, not the probe.
Internally everything is tesla; ``UNIT`` only changes what ``RDGFIELD?`` reports.
"""

from __future__ import annotations

import math

from labspin.simulated_instruments.bench import AXES
from labspin.simulated_instruments.scpi import (
    OUT_OF_RANGE,
    InstrumentError,
    SimulatedInstrument,
    parse_bool,
    parse_float,
    regex,
)

MU0 = 4e-7 * math.pi
#: UNIT code -> (name, factor from tesla)
UNITS = {1: ("G", 1e4), 2: ("T", 1.0), 3: ("Oe", 1e4), 4: ("A/m", 1.0 / MU0)}
#: RANGE code -> full scale in tesla (HST-4 probe: 35 G, 350 G, 3.5 kG, 35 kG)
RANGES = {1: 3.5e-3, 2: 3.5e-2, 3: 0.35, 4: 3.5}
#: reading noise of the probe and its electronics, tesla rms
NOISE = 1e-5
#: typical zero offset of a Hall probe before ZPROBE, tesla
PROBE_OFFSET = 3e-5
#: readings averaged by ZPROBE
ZERO_SAMPLES = 64
#: what RDGFIELD? reports above the selected range
OVERLOAD = 9.9999e99


class LakeShore425Model(SimulatedInstrument):
    """One Hall probe along ``axis`` of the magnet."""

    idn = "LSCI,MODEL425,LSA0000,1.0"
    read_termination = "\n"
    write_termination = "\n"

    def __init__(self, bench: object, name: str, axis: str = "x") -> None:
        self.axis = axis
        self.direction = AXES[axis]
        super().__init__(bench, name)
        # a property of the probe, kept through *RST until ZPROBE cancels it
        self.probe_offset = bench.gaussian(PROBE_OFFSET)  # type: ignore[attr-defined]
        self.zero = 0.0

    def reset(self) -> None:
        self.unit = 1
        self.range = 4
        self.autorange = False
        self.mode = (1, 0, 1)  # DC, filter off, wide band

    # -- the reading --------------------------------------------------------------------
    def probe_field(self) -> float:
        """What the Hall element sees, tesla: field along the axis, offset and noise."""
        b = float(self.bench.lab_field() @ self.direction)
        return b + self.probe_offset + self.bench.gaussian(NOISE)

    def reading(self) -> float:
        """The field as displayed, tesla (RMS mode: a DC field reads as noise only)."""
        if self.mode[0] == 2:
            return abs(self.bench.gaussian(NOISE))
        return self.probe_field() - self.zero

    def selected_range(self, value: float) -> int:
        if not self.autorange:
            return self.range
        for code, full_scale in RANGES.items():
            if abs(value) <= full_scale:
                return code
        return max(RANGES)

    @regex(r"RDGFIELD\?")
    def _field(self) -> str:
        value = self.reading()
        self.range = self.selected_range(value)
        if abs(value) > RANGES[self.range]:
            return f"{OVERLOAD:+.5E}"
        return f"{value * UNITS[self.unit][1]:+.5E}"

    # -- configuration ------------------------------------------------------------------
    @regex(r"UNIT\?")
    def _unit_query(self) -> str:
        return str(self.unit)

    @regex(r"UNIT\s*(?P<value>[^?]*)")
    def _unit(self, value: str) -> None:
        self.unit = self._code(value, UNITS)

    @regex(r"RANGE\?")
    def _range_query(self) -> str:
        return str(self.range)

    @regex(r"RANGE\s*(?P<value>[^?]*)")
    def _range(self, value: str) -> None:
        self.range = self._code(value, RANGES)
        self.autorange = False

    @regex(r"AUTO\?")
    def _auto_query(self) -> str:
        return "1" if self.autorange else "0"

    @regex(r"AUTO\s*(?P<value>[^?]*)")
    def _auto(self, value: str) -> None:
        """``AUTO`` alone (what pymeasure sends) or ``AUTO 0|1``."""
        self.autorange = parse_bool(value) if value.strip() else True

    @regex(r"RDGMODE\?")
    def _mode_query(self) -> str:
        return ",".join(str(v) for v in self.mode)

    @regex(r"RDGMODE\s+(?P<mode>[^,]*),(?P<filter>[^,]*),(?P<band>[^,]*)")
    def _mode(self, mode: str, filter: str, band: str) -> None:
        values = (int(parse_float(mode, minimum=1, maximum=2)),
                  int(parse_float(filter, minimum=0, maximum=1)),
                  int(parse_float(band, minimum=1, maximum=2)))
        self.mode = values

    @regex(r"ZPROBE")
    def _zero_probe(self) -> None:
        """Cancel whatever the probe reads now (its offset, and any field present),
        averaged over ``ZERO_SAMPLES`` readings as the instrument does."""
        self.zero = sum(self.probe_field() for _ in range(ZERO_SAMPLES)) / ZERO_SAMPLES

    @regex(r"ZCLEAR")
    def _zero_clear(self) -> None:
        self.zero = 0.0

    @staticmethod
    def _code(value: str, table: dict) -> int:
        number = parse_float(value)
        if number != int(number) or int(number) not in table:
            raise InstrumentError(*OUT_OF_RANGE)
        return int(number)
