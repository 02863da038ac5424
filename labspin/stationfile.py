"""The station file: a YAML description of a probe station, validated before use.

Pure data (pydantic), no instrument code, so that both ``labspin.station`` (which opens
the instruments) and the simulated bench (which builds a bench from the same file)
read it. Quantities are SI numbers or strings with units (``"20 mA"``, ``"5 um"``,
``"0.3 T"``), checked for the right dimension. Every error names the file, the key and
what would fix it; see ``examples/station-sim.yaml`` and ``examples/station-probe.yaml``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from labspin.configfiles import describe, read_yaml
from labspin.notify_settings import NotifySettings

#: pymeasure / labspin drivers a station may name (labspin.drivers.DRIVERS is the source)
KNOWN_DRIVERS = ("Keithley6221", "Keithley6221Pulse", "Keithley2182", "SR830",
                 "Keysight81160A", "KepcoBOP3612", "LakeShore425", "ESP300", "LakeShore331")
CONTACT_PAIRS = ("xx", "xy")


class StationFileError(ValueError):
    """A station file that cannot be used, with every problem found and how to fix it."""


@lru_cache(maxsize=1)
def _units():
    import pint

    return pint.UnitRegistry()


def _quantity(unit: str, example: str):
    """A validator turning numbers (SI) or strings with units into SI floats."""

    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"expected a quantity in {unit}, like {example}")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            ureg = _units()
            try:
                q = ureg.Quantity(value.strip().replace("µ", "u"))
            except Exception:
                raise ValueError(f"{value!r} is not a quantity; write it like {example}") \
                    from None
            if q.dimensionless:
                return float(q.magnitude)  # a bare number written as text: SI
            try:
                return float(q.to(unit).magnitude)
            except Exception:
                raise ValueError(f"{value!r} is not in units of {unit}; write it like "
                                 f"{example}") from None
        raise ValueError(f"expected a quantity in {unit}, like {example}")

    return BeforeValidator(parse)


Current = Annotated[float, _quantity("A", "0.02 or '20 mA'")]
CurrentDensity = Annotated[float, _quantity("A/m**2", "2e12 or '2e12 A/m^2'")]
Length = Annotated[float, _quantity("m", "5e-6 or '5 um'")]
Field_ = Annotated[float, _quantity("T", "0.3 or '300 mT'")]
RampRate = Annotated[float, _quantity("T/s", "0.1 or '100 mT/s'")]
Duration = Annotated[float, _quantity("s", "1e-3 or '1 ms'")]
Energy = Annotated[float, _quantity("J", "1e-4 or '100 uJ'")]
Temperature = Annotated[float, _quantity("K", "300 or '300 K'")]
CoilConstant = Annotated[float, _quantity("T/A", "0.02 or '20 mT/A'")]
Resistance = Annotated[float, _quantity("ohm", "25 or '25 ohm'")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentEntry(_Strict):
    """One instrument: which driver talks to it, at which VISA resource."""

    driver: str
    resource: str
    visa_library: str | None = None  # e.g. "@py" for pyvisa-py on the real station
    options: dict[str, Any] = Field(default_factory=dict)  # extra driver keyword arguments
    wiring: dict[str, Literal["xx", "xy"]] = Field(default_factory=dict)  # channel -> pair

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value not in KNOWN_DRIVERS:
            raise ValueError(f"unknown driver {value!r}; use one of {', '.join(KNOWN_DRIVERS)}")
        return value

    @field_validator("wiring", mode="before")
    @classmethod
    def _channel_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value


class MagnetEntry(_Strict):
    """One electromagnet axis: its bipolar supply, optional gaussmeter and calibration."""

    supply: InstrumentEntry
    gaussmeter: InstrumentEntry | None = None
    coil_constant: CoilConstant = Field(gt=0)
    max_current: Current = Field(gt=0)


class Sample(_Strict):
    """The Hall bar on the chuck (used for current densities and run metadata)."""

    id: str
    stack: str = ""
    width: Length = Field(gt=0)
    length: Length = Field(gt=0)  # between the V_xx probes
    fm_thickness: Length = Field(gt=0)
    conducting_thickness: Length | None = Field(default=None, gt=0)  # FM plus any HM
    #: measured between the current pads, leads included: sets the pulse energy and the
    #: pulse generator's level (default: twice the four-terminal R_xx, measured at start)
    two_terminal_resistance: Resistance | None = Field(default=None, gt=0)

    @property
    def current_area(self) -> float:
        """Cross-section the current flows through, m^2."""
        return self.width * (self.conducting_thickness or self.fm_thickness)


class Limits(_Strict):
    """What may never be applied to this sample at this station."""

    max_current: Current = Field(gt=0)
    max_current_density: CurrentDensity = Field(gt=0)
    max_field: dict[Literal["x", "y", "z"], Field_] = Field(default_factory=dict)
    max_ramp_rate: RampRate = Field(gt=0)
    max_pulse_width: Duration = Field(gt=0)
    max_pulse_energy: Energy = Field(gt=0)
    max_temperature: Temperature = Field(default=400.0, gt=0)

    @field_validator("max_field", mode="before")
    @classmethod
    def _one_for_all(cls, value: Any) -> Any:
        if isinstance(value, int | float | str):
            return {"x": value, "y": value, "z": value}
        return value


class FaultEntry(_Strict):
    timeout_after: int | None = Field(default=None, ge=0)
    drop_after: int | None = Field(default=None, ge=0)
    garbage_after: int | None = Field(default=None, ge=0)
    garbage_probability: float = Field(default=0.0, ge=0, le=1)


class SimSection(_Strict):
    """How to build the simulated bench for this station (``backend: sim`` or ``--sim``)."""

    preset: str = "py-nio"
    seed: int = 0
    realtime: bool = False
    burn_current: Current | None = Field(default=None, gt=0)
    lead_resistance: Resistance = Field(default=25.0, ge=0)
    faults: dict[str, FaultEntry] = Field(default_factory=dict)

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        from labspin.physics.presets import preset_names

        if value not in preset_names():
            raise ValueError(f"unknown device preset {value!r}; use one of "
                             f"{', '.join(preset_names())}")
        return value


class StationFile(_Strict):
    """A whole station file."""

    name: str
    backend: Literal["visa", "sim"] = "visa"
    sample: Sample
    limits: Limits
    instruments: dict[str, InstrumentEntry] = Field(default_factory=dict)
    magnets: dict[Literal["x", "y", "z"], MagnetEntry] = Field(default_factory=dict)
    sim: SimSection = Field(default_factory=SimSection)
    notify: NotifySettings | None = None  # labspin.notify: messages on failure, trip, end
    source_path: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> StationFile:
        for axis in self.magnets:
            if axis not in self.limits.max_field:
                raise ValueError(f"magnets.{axis} has no limits.max_field.{axis}: give the "
                                 "largest field this sample may see along that axis")
        for name in self.sim.faults:
            if name not in self.role_names:
                raise ValueError(f"sim.faults names {name!r}, which is not an instrument of "
                                 f"this station ({', '.join(self.role_names)})")
        return self

    @property
    def role_names(self) -> list[str]:
        names = list(self.instruments)
        for axis, magnet in self.magnets.items():
            names.append(f"magnet_{axis}")
            if magnet.gaussmeter is not None:
                names.append(f"gaussmeter_{axis}")
        return names

    def entries(self) -> dict[str, InstrumentEntry]:
        """Every instrument by its bench name (magnet supplies as magnet_<axis>)."""
        out = dict(self.instruments)
        for axis, magnet in self.magnets.items():
            out[f"magnet_{axis}"] = magnet.supply
            if magnet.gaussmeter is not None:
                out[f"gaussmeter_{axis}"] = magnet.gaussmeter
        return out

    def build_bench(self, seed: int | None = None, preset: str | None = None):
        """The simulated bench this file describes (``backend: sim`` or ``--sim``)."""
        from labspin.physics import preset as device_preset
        from labspin.simulated_instruments.bench import Bench, BenchOptions, Coil
        from labspin.simulated_instruments.clock import RealTimeClock, VirtualClock
        from labspin.simulated_instruments.faults import InstrumentFaults
        from labspin.simulated_instruments.layout import InstrumentSpec, populate

        params = device_preset(preset or self.sim.preset)
        fm = params.ferromagnet
        if abs(fm.thickness - self.sample.fm_thickness) > 1e-3 * fm.thickness:
            raise StationFileError(
                f"{self.source_path or 'station file'}: sample.fm_thickness "
                f"({self.sample.fm_thickness:g} m) differs from the {params.name} preset's "
                f"{fm.name} ({fm.thickness:g} m); make them agree to simulate this sample")
        params = params.with_(hall_bar=params.hall_bar.with_(width=self.sample.width,
                                                             length=self.sample.length))
        coils = {axis: Coil(axis) for axis in ("x", "y", "z")}
        for axis, magnet in self.magnets.items():
            coils[axis] = Coil(axis, coil_constant=magnet.coil_constant)
        options = BenchOptions(
            lead_resistance=self.sim.lead_resistance, coils=coils,
            faults={n: InstrumentFaults(**f.model_dump()) for n, f in self.sim.faults.items()},
            burn_current=self.sim.burn_current)
        clock = RealTimeClock() if self.sim.realtime else VirtualClock()
        bench = Bench(params, seed=self.sim.seed if seed is None else seed, clock=clock,
                      options=options)
        specs = []
        for name, entry in self.entries().items():
            axis = name.split("_", 1)[1] if name.startswith(("magnet_", "gaussmeter_")) else None
            specs.append(InstrumentSpec(name, entry.driver, entry.resource,
                                        {"axis": axis} if axis else {}, dict(entry.wiring)))
        return populate(bench, specs)


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-"))


def parse_station(data: Any, source: str = "station file") -> StationFile:
    """Validate already-loaded YAML data; raise StationFileError listing every problem."""
    if not isinstance(data, dict):
        raise StationFileError(f"{source}: expected a mapping of keys (name, sample, limits, "
                               f"instruments, ...) at the top level, got {type(data).__name__}")
    try:
        station = StationFile.model_validate({**data, "source_path": source})
    except ValidationError as exc:
        details = describe(exc, lambda loc: _location(loc) or "(top level)")
        raise StationFileError(f"{source} is not a valid station file:\n{details}") from None
    return station


def load_station_file(path: str | Path) -> StationFile:
    """Read and validate a station file; errors name the file, the key and the fix."""
    data = read_yaml(path, StationFileError, "station file")
    return parse_station(data, str(path))
