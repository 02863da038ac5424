"""The station file: a YAML description of a probe station, validated before use.

Pure data (pydantic), no instrument code, so that both ``labspin.station`` (which opens
the instruments) and the simulated bench (which builds a bench from the same file)
read it. Quantities are SI numbers or strings with units (``"20 mA"``, ``"5 um"``,
``"0.3 T"``), checked for the right dimension. Every error names the file, the key and
what would fix it; see ``examples/station-sim.yaml`` and ``examples/station-probe.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from labspin.configfiles import (
    describe,
    read_yaml,
)
from labspin.notify_settings import NotifySettings
from labspin.samples import Calibration, Measured, Sample, chip_data, closest_sample  # noqa: F401 (re-exported)
from labspin.samples import quantity_validator as _quantity
from labspin.station_lock import address_key

#: pymeasure / labspin drivers a station may name (labspin.drivers.DRIVERS is the source)
KNOWN_DRIVERS = ("Keithley6221", "Keithley6221Pulse", "Keithley2182", "SR830",
                 "Keysight81160A", "KepcoBOP3612", "LakeShore425", "ESP300", "LakeShore331",
                 "Agilent8257D", "Agilent8257DRF")
#: drivers of RF generators: a station with one needs the RF limits
RF_DRIVERS = ("Agilent8257D", "Agilent8257DRF")
CONTACT_PAIRS = ("xx", "xy")


class StationFileError(ValueError):
    """A station file that cannot be used, with every problem found and how to fix it."""


@dataclass(frozen=True)
class Rating:
    """What an instrument can physically deliver (data sheet), so that a limit beyond it
    (a typo, a wrong unit) is refused rather than trusted."""

    model: str
    current: float  # A, the largest output current
    voltage: float  # V, the largest output or compliance voltage


#: instruments that drive a current through the sample or a magnet coil
RATINGS = {
    "Keithley6221": Rating("Keithley 6221", 0.105, 105.0),
    "Keithley6221Pulse": Rating("Keithley 6221", 0.105, 105.0),
    # 10 V EMF behind its 50 ohm output: 200 mA into a short circuit
    "Keysight81160A": Rating("Keysight 81160A", 0.2, 10.0),
    "KepcoBOP3612": Rating("Kepco BOP 36-12", 12.0, 36.0),
}
#: drivers whose current flows through the sample
SAMPLE_SOURCES = ("Keithley6221", "Keithley6221Pulse", "Keysight81160A")
#: the largest field limit on an axis without a magnet (no field can be applied there)
FIELD_CEILING = 10.0  # T
#: beyond what any probe-station electromagnet does (a slipped unit is refused)
RAMP_RATE_CEILING = 10.0  # T/s
#: RF generators labspin drives: the E8257D family, levelled up to about +25 dBm with
#: the high-power options, 250 kHz to 67 GHz across its frequency options
RF_POWER_CEILING = 30.0  # dBm
RF_FREQUENCY_SPAN = (100e3, 70e9)  # Hz


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
Frequency = Annotated[float, _quantity("Hz", "20e9 or '20 GHz'")]


def _rf_level(value: Any) -> float:
    """An RF level in dBm: a number (dBm), '10 dBm', or a power such as '10 mW'."""
    import math

    if isinstance(value, str) and value.strip().lower().endswith("dbm"):
        value = value.strip()[:-3]
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{value!r} dBm is not a number; write it like '10 dBm'") \
                from None
    if isinstance(value, str):
        watts = _quantity("W", "'10 dBm' or '10 mW'").func(value)
        if not watts > 0:
            raise ValueError(f"an RF power of {value!r} is not positive; write it like "
                             "'10 dBm' or '10 mW'")
        return 10 * math.log10(watts / 1e-3)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError("expected an RF level, like 10 (dBm), '10 dBm' or '10 mW'")


PowerLevel = Annotated[float, BeforeValidator(_rf_level)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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


class Limits(_Strict):
    """What may never be applied to this sample at this station."""

    max_current: Current = Field(gt=0)
    max_current_density: CurrentDensity = Field(gt=0)
    max_field: dict[Literal["x", "y", "z"], Field_] = Field(default_factory=dict)
    max_ramp_rate: RampRate = Field(gt=0)
    max_pulse_width: Duration = Field(gt=0)
    max_pulse_energy: Energy = Field(gt=0)
    max_temperature: Temperature = Field(default=400.0, gt=0)
    #: largest RF level at the generator's output, dBm (peak envelope: AM included)
    max_rf_power: PowerLevel | None = None
    #: lowest and highest RF frequency the bar, bias tee and probe are rated for, Hz
    rf_frequency_range: tuple[Frequency, Frequency] | None = None

    @field_validator("rf_frequency_range")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0 < value[0] < value[1]:
            raise ValueError(f"give [lowest, highest] frequency, both positive and the "
                             f"first below the second, like ['1 GHz', '20 GHz'], got {value}")
        low, high = RF_FREQUENCY_SPAN
        if value is not None and not (low <= value[0] and value[1] <= high):
            raise ValueError(f"{value[0] / 1e9:g} to {value[1] / 1e9:g} GHz: no RF generator "
                             f"labspin drives goes beyond {low / 1e3:g} kHz to "
                             f"{high / 1e9:g} GHz; is the unit right (e.g. [1 GHz, 20 GHz])?")
        return value

    @field_validator("max_rf_power")
    @classmethod
    def _a_generator_level(cls, value: float | None) -> float | None:
        if value is not None and value > RF_POWER_CEILING:
            raise ValueError(f"{value:g} dBm is more than any RF generator labspin drives "
                             f"gives ({RF_POWER_CEILING:g} dBm); is the unit right (e.g. "
                             "10 dBm)?")
        return value

    @field_validator("max_ramp_rate")
    @classmethod
    def _a_magnet_ramp(cls, value: float) -> float:
        if value > RAMP_RATE_CEILING:
            raise ValueError(f"{value:g} T/s: no probe-station electromagnet ramps faster "
                             f"than {RAMP_RATE_CEILING:g} T/s; is the unit right (e.g. "
                             "0.5 T/s)?")
        return value

    @field_validator("max_field", mode="before")
    @classmethod
    def _one_for_all(cls, value: Any) -> Any:
        if isinstance(value, int | float | str):
            return {"x": value, "y": value, "z": value}
        return value


class FaultEntry(_Strict):
    # strict: `timeout_after: true` is a slip, not the count 1
    timeout_after: int | None = Field(default=None, ge=0, strict=True)
    drop_after: int | None = Field(default=None, ge=0, strict=True)
    garbage_after: int | None = Field(default=None, ge=0, strict=True)
    garbage_probability: float = Field(default=0.0, ge=0, le=1)


class SimSection(_Strict):
    """How to build the simulated bench for this station (``backend: sim`` or ``--sim``):
    a device ``preset``, or a ``device`` (a device file, relative to the station file,
    or its keys inline; labspin.physics.devicefile)."""

    preset: str = "py-nio"
    device: str | dict[Any, Any] | None = None
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    realtime: bool = False
    #: with ``realtime: true``, the bench's waits take 1/speedup of their time (a night
    #: rehearsed ten times faster than hardware, still paced like it)
    speedup: float = Field(default=1.0, gt=0, le=1e6, allow_inf_nan=False)
    burn_current: Current | None = Field(default=None, gt=0)
    lead_resistance: Resistance = Field(default=25.0, ge=0)
    faults: dict[str, FaultEntry] = Field(default_factory=dict)

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        from labspin.physics.presets import preset_names

        if value not in preset_names():
            raise ValueError(f"unknown device preset {value!r}; use one of "
                             f"{', '.join(preset_names())}, or describe your own device "
                             "under sim.device (labspin device template)")
        return value

    @model_validator(mode="after")
    def _preset_or_device(self) -> SimSection:
        if self.device is not None and "preset" in self.model_fields_set:
            raise ValueError("give sim.preset or sim.device, not both: a device file starts "
                             "from a preset with `base: PRESET`")
        return self

    #: the device resolved when the file was read (labspin.station_device.SimDevice)
    _resolved: Any = PrivateAttr(default=None)


class StationFile(_Strict):
    """A whole station file."""

    name: str
    backend: Literal["visa", "sim"] = "visa"
    #: the bar measured (the default of a chip: labspin.samples); always set once valid
    sample: Sample | None = None
    #: the bars of a chip (labspin.samples); empty for a station of one sample
    samples: list[Sample] = Field(default_factory=list)
    default_sample: str | None = None  # the bar of samples: to start on (default: first)
    limits: Limits
    instruments: dict[str, InstrumentEntry] = Field(default_factory=dict)
    magnets: dict[Literal["x", "y", "z"], MagnetEntry] = Field(default_factory=dict)
    sim: SimSection = Field(default_factory=SimSection)
    notify: NotifySettings | None = None  # labspin.notify: messages on failure, trip, end
    source_path: str | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _chip(cls, data: Any) -> Any:
        return chip_data(data)

    @model_validator(mode="after")
    def _pick_sample(self) -> StationFile:
        """``sample`` is the bar to start on: the only one, or one of ``samples``."""
        if not self.samples:
            if self.sample is None:
                raise ValueError("sample: missing: describe the Hall bar (sample: {id, width, "
                                 "length, fm_thickness}) or the bars of the chip (samples:)")
            if self.default_sample is not None:
                raise ValueError("default_sample: names a bar of samples:, but the file has "
                                 "no samples: list")
            return self
        ids = [s.id for s in self.samples]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"samples: the id(s) {', '.join(map(repr, twice))} are given "
                             "more than once; every bar needs its own id")
        chosen = self.default_sample if self.default_sample is not None else ids[0]
        if chosen not in ids:
            meant = closest_sample(chosen, ids)
            raise ValueError(f"default_sample: {chosen!r} is not a bar of samples: "
                             f"({', '.join(ids)})"
                             + (f"; did you mean {meant!r}?" if meant else ""))
        # frozen model: set once here, while it is being validated
        object.__setattr__(self, "sample", self.samples[ids.index(chosen)])
        return self

    def chip(self) -> list[Sample]:
        """Every bar this station may measure (a station of one sample: that one)."""
        assert self.sample is not None
        return list(self.samples) or [self.sample]

    def sample_by_id(self, sample_id: str) -> Sample:
        """The bar ``sample_id``; StationFileError listing the station's bars otherwise."""
        for sample in self.chip():
            if sample.id == str(sample_id):
                return sample
        ids = ", ".join(s.id for s in self.chip())
        meant = closest_sample(sample_id, [s.id for s in self.chip()])
        if meant:
            raise StationFileError(f"station '{self.name}' has no sample {str(sample_id)!r}; "
                                   f"did you mean {meant!r}? (its samples: {ids})")
        raise StationFileError(f"station '{self.name}' has no sample {str(sample_id)!r}; its "
                               f"sample{'s are' if len(self.chip()) > 1 else ' is'} {ids}"
                               + ("" if self.samples else " (list a chip's bars under "
                                  "samples: in the station file)"))

    @model_validator(mode="after")
    def _consistent(self) -> StationFile:
        for axis in self.magnets:
            if axis not in self.limits.max_field:
                raise ValueError(f"magnets.{axis} has no limits.max_field.{axis}: give the "
                                 "largest field this sample may see along that axis")
        self._within_ratings()
        self._one_role_per_address()
        for role, entry in self.instruments.items():
            missing = [key for key in ("max_rf_power", "rf_frequency_range")
                       if entry.driver in RF_DRIVERS and getattr(self.limits, key) is None]
            if missing:
                raise ValueError(f"instruments.{role} is an RF generator but the limits have "
                                 f"no {' and no '.join(missing)}: give the largest RF level "
                                 "(e.g. max_rf_power: 10 dBm) and the frequency range "
                                 "(e.g. rf_frequency_range: [1 GHz, 20 GHz]) this sample "
                                 "may receive")
        for name in self.sim.faults:
            if name not in self.role_names:
                raise ValueError(f"sim.faults names {name!r}, which is not an instrument of "
                                 f"this station ({', '.join(self.role_names)})")
        return self

    def _one_role_per_address(self) -> None:
        """Two roles on one VISA address would talk to one instrument with two drivers
        (a copied line whose address was not changed)."""
        seen: dict[str, str] = {}
        for role, entry in self.entries().items():
            key = address_key(entry.resource)
            if key in seen:
                raise ValueError(f"{role} and {seen[key]} both have the resource "
                                 f"{entry.resource!r}: one instrument answers there; give "
                                 f"{role} its own address")
            seen[key] = role

    def _within_ratings(self) -> None:
        """Limits no larger than what the station's instruments can deliver."""
        sources = {RATINGS[e.driver] for e in self.instruments.values()
                   if e.driver in SAMPLE_SOURCES}
        reach = max(sources, key=lambda r: r.current) if sources else None
        ceiling = reach.current if reach else max(RATINGS[d].current for d in SAMPLE_SOURCES)
        if self.limits.max_current > ceiling * (1 + 1e-9):
            what = (f"the {reach.model} of this station drives at most {_a(ceiling)}" if reach
                    else f"no current source labspin drives gives more than {_a(ceiling)}")
            raise ValueError(f"limits.max_current {_a(self.limits.max_current)} is more "
                             f"than any instrument can deliver: {what}; give the largest "
                             "current this sample may carry")
        for axis, magnet in self.magnets.items():
            rating = RATINGS.get(magnet.supply.driver)
            if rating is not None and magnet.max_current > rating.current * (1 + 1e-9):
                raise ValueError(f"magnets.{axis}.max_current {magnet.max_current:g} A is "
                                 f"more than its supply, a {rating.model}, delivers "
                                 f"({rating.current:g} A)")
        for axis, limit in self.limits.max_field.items():
            magnet = self.magnets.get(axis)
            if magnet is not None:
                most = magnet.coil_constant * magnet.max_current
                if limit > most * (1 + 1e-9):
                    raise ValueError(
                        f"limits.max_field.{axis} {limit:g} T is more than magnets.{axis} "
                        f"can make: coil_constant {magnet.coil_constant:g} T/A x max_current "
                        f"{magnet.max_current:g} A = {most:.4g} T")
            elif limit > FIELD_CEILING:
                raise ValueError(f"limits.max_field.{axis} {limit:g} T: no field can be "
                                 f"applied along {axis} (no magnets.{axis}) and no probe "
                                 f"station magnet makes more than {FIELD_CEILING:g} T; is "
                                 "the unit right?")

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

    def simulated_device(self, device: Any = None) -> Any:
        """The device of the simulated bench (labspin.station_device.SimDevice):
        ``device`` (a preset name, device file or DeviceParameters) if given, else the
        file's sim.device or sim.preset."""
        from labspin import station_device
        from labspin.physics.devicefile import is_preset_name

        source = self.source_path or "station file"
        if device is not None:
            where = "--preset" if is_preset_name(device) else "--device"
            return station_device.resolve(device, where=where, source=source)
        if self.sim._resolved is not None:
            return self.sim._resolved
        if self.sim.device is not None:
            base_dir = Path(source).parent if Path(source).is_file() else None
            return station_device.resolve(self.sim.device, base_dir=base_dir, source=source)
        return station_device.resolve(self.sim.preset, where="sim.preset", source=source)

    def build_bench(self, seed: int | None = None, preset: Any = None, device: Any = None):
        """The simulated bench this file describes (``backend: sim`` or ``--sim``), around
        ``device`` or ``preset`` if given (a preset name, a device file or a
        DeviceParameters), else the file's own sim device."""
        from labspin.physics import Device
        from labspin.sample_devices import device_for_sample, device_seed
        from labspin.simulated_instruments.bench import Bench, BenchOptions, Coil
        from labspin.simulated_instruments.clock import RealTimeClock, VirtualClock
        from labspin.simulated_instruments.faults import InstrumentFaults
        from labspin.simulated_instruments.layout import InstrumentSpec, populate

        assert self.sample is not None
        override = device if device is not None else preset
        # every bar's device is checked now, not when a queue reaches it at night
        devices = {s.id: device_for_sample(self, s, override) for s in self.chip()}
        params = devices[self.sample.id]
        coils = {axis: Coil(axis) for axis in ("x", "y", "z")}
        for axis, magnet in self.magnets.items():
            coils[axis] = Coil(axis, coil_constant=magnet.coil_constant)
        options = BenchOptions(
            lead_resistance=self.sim.lead_resistance, coils=coils,
            faults={n: InstrumentFaults(**f.model_dump()) for n, f in self.sim.faults.items()},
            burn_current=self.sim.burn_current)
        clock = RealTimeClock(self.sim.speedup) if self.sim.realtime else VirtualClock()
        seed = self.sim.seed if seed is None else seed
        bench = Bench(Device(params, seed=device_seed(self, self.sample.id, seed)), seed=seed,
                      clock=clock, options=options)
        specs = []
        for name, entry in self.entries().items():
            axis = name.split("_", 1)[1] if name.startswith(("magnet_", "gaussmeter_")) else None
            specs.append(InstrumentSpec(name, entry.driver, entry.resource,
                                        {"axis": axis} if axis else {}, dict(entry.wiring)))
        return populate(bench, specs)


def _a(current: float) -> str:
    return f"{current * 1e3:.4g} mA" if abs(current) < 1 else f"{current:.4g} A"


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if not str(p).startswith("function-"))


def parse_station(data: Any, source: str = "station file", *, base_dir: Any = None,
                  device: Any = None) -> StationFile:
    """Validate already-loaded YAML data; raise StationFileError listing every problem.
    ``device`` (a preset name, device file or DeviceParameters) replaces the file's
    sim device; relative device files are found from ``base_dir``."""
    if not isinstance(data, dict):
        raise StationFileError(f"{source}: expected a mapping of keys (name, sample, limits, "
                               f"instruments, ...) at the top level, got {type(data).__name__}")
    from labspin import station_device
    from labspin.physics.devicefile import looks_like_device_file

    if looks_like_device_file(data):
        raise StationFileError(f"{source} is a device file, not a station file: give it as "
                               "--device FILE (with --sim) or as sim.device in a station file")
    written = data  # as the user wrote it: problems name its keys (labspin.sample_errors)
    sim_device = station_device.from_station_data(data, source, base_dir, device)
    if sim_device is not None and data.get("samples") is None:
        # a sim station may leave the sample's geometry to it (a chip's bars: each its own)
        data = station_device.with_sample_from_device(data, sim_device)
    try:
        station = StationFile.model_validate({**data, "source_path": source})
    except ValidationError as exc:
        from labspin.sample_errors import reworder

        # checks across sections name their keys; a chip's shared sample: block is said once
        details = describe(exc, _location, StationFile, reword=reworder(written))
        raise StationFileError(f"{source} is not a valid station file:\n{details}") from None
    if sim_device is not None:
        station.sim._resolved = sim_device
        if station.backend == "sim" and not station.samples:
            # the sample and the device agree, or say how (a chip's bars: build_bench)
            station_device.matched(station.sample, sim_device, source=source, derivable=True)
    return station


def load_station_file(path: str | Path, *, device: Any = None) -> StationFile:
    """Read and validate a station file; errors name the file, the key and the fix.
    ``device`` replaces the file's sim device (``--preset``, ``--device``)."""
    data = read_yaml(path, StationFileError, "station file")
    return parse_station(data, str(path), base_dir=Path(path).parent, device=device)
