"""Which instrument models make up a bench, under which resource names and wiring.

A station's instruments are named by role (``source``, ``voltmeter``, ``magnet_y``...)
and by the pymeasure driver that talks to them; the simulated bench puts the model of
that instrument type under the same resource name. ``DEFAULT_INSTRUMENTS`` is the probe
station a preset bench gets: every instrument of ARCHITECTURE.md, a 2-axis in-plane plus
a perpendicular electromagnet with one gaussmeter each, two lock-ins (V_xy, V_xx) and an
RF generator for spin-torque FMR.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labspin.simulated_instruments.bench import Bench, BenchOptions, Coil
from labspin.simulated_instruments.clock import RealTimeClock, VirtualClock

#: pymeasure driver (or labspin driver) name -> "module:Class" of its simulated model
MODELS: dict[str, str] = {
    "Keithley6221": "keithley6221:Keithley6221Model",
    "Keithley6221Pulse": "keithley6221:Keithley6221Model",
    "Keithley2182": "keithley2182:Keithley2182Model",
    "SR830": "sr830:SR830Model",
    "Keysight81160A": "keysight81160a:Keysight81160AModel",
    "KepcoBOP3612": "kepco_bop:KepcoBOPModel",
    "LakeShore425": "lakeshore425:LakeShore425Model",
    "ESP300": "esp300:ESP300Model",
    "LakeShore331": "lakeshore331:LakeShore331Model",
    "Agilent8257D": "agilent8257d:Agilent8257DModel",
    "Agilent8257DRF": "agilent8257d:Agilent8257DModel",
}


@dataclass(frozen=True)
class InstrumentSpec:
    """One instrument on a bench: its role name, driver type, resource and wiring."""

    name: str
    driver: str
    resource: str
    options: dict[str, Any] = field(default_factory=dict)
    wiring: dict[str, str] = field(default_factory=dict)  # channel -> "xx" or "xy"


DEFAULT_INSTRUMENTS: tuple[InstrumentSpec, ...] = (
    InstrumentSpec("source", "Keithley6221", "GPIB0::12::INSTR"),
    # channel 1 on the Hall pair: the 6221's delta and pulse-delta modes read channel 1
    InstrumentSpec("voltmeter", "Keithley2182", "GPIB0::7::INSTR",
                   wiring={"1": "xy", "2": "xx"}),
    InstrumentSpec("lockin", "SR830", "GPIB0::8::INSTR", wiring={"1": "xy"}),
    InstrumentSpec("lockin_xx", "SR830", "GPIB0::9::INSTR", wiring={"1": "xx"}),
    InstrumentSpec("pulser", "Keysight81160A", "GPIB0::10::INSTR"),
    InstrumentSpec("magnet_x", "KepcoBOP3612", "GPIB0::1::INSTR", {"axis": "x"}),
    InstrumentSpec("magnet_y", "KepcoBOP3612", "GPIB0::2::INSTR", {"axis": "y"}),
    InstrumentSpec("magnet_z", "KepcoBOP3612", "GPIB0::3::INSTR", {"axis": "z"}),
    InstrumentSpec("gaussmeter_x", "LakeShore425", "ASRL1::INSTR", {"axis": "x"}),
    InstrumentSpec("gaussmeter_y", "LakeShore425", "ASRL2::INSTR", {"axis": "y"}),
    InstrumentSpec("gaussmeter_z", "LakeShore425", "ASRL3::INSTR", {"axis": "z"}),
    InstrumentSpec("rotator", "ESP300", "GPIB0::20::INSTR"),
    InstrumentSpec("temperature", "LakeShore331", "GPIB0::15::INSTR"),
    InstrumentSpec("rf_source", "Agilent8257DRF", "GPIB0::19::INSTR"),
)


def model_class(driver: str) -> type:
    """The simulated model class for a driver name."""
    try:
        module_name, class_name = MODELS[driver].split(":")
    except KeyError:
        raise KeyError(f"no simulated model for driver {driver!r}; the bench simulates "
                       f"{', '.join(sorted(MODELS))}") from None
    module = importlib.import_module(f"labspin.simulated_instruments.instruments.{module_name}")
    return getattr(module, class_name)


def populate(bench: Bench, instruments: tuple[InstrumentSpec, ...] | list[InstrumentSpec],
             ) -> Bench:
    """Put the models of ``instruments`` on ``bench`` under their resource names."""
    for spec in instruments:
        for channel, contacts in spec.wiring.items():
            bench.options.wiring[f"{spec.name}:{channel}"] = contacts
        model = model_class(spec.driver)(bench, spec.name, **spec.options)
        bench.add_instrument(spec.resource, model)
    return bench


def bench_from_preset(preset_name: Any, seed: int = 0, realtime: bool = False,
                      options: BenchOptions | None = None) -> Bench:
    """A bench with the default probe-station instruments around a preset device (a
    name, or a DeviceParameters such as a device file gives)."""
    clock = RealTimeClock() if realtime else VirtualClock()
    if options is None:  # the magnets of examples/station-sim.yaml: 12 A supplies
        options = BenchOptions(coils={"x": Coil("x", coil_constant=0.05),
                                      "y": Coil("y", coil_constant=0.05),
                                      "z": Coil("z", coil_constant=0.03)})
    bench = Bench(preset_name, seed=seed, clock=clock, options=options)
    return populate(bench, DEFAULT_INSTRUMENTS)


def bench_from_station(path: Path) -> Bench:
    """The bench a station file describes (its ``sim`` section and instruments), or the
    default probe station around the device a device file describes."""
    from labspin.configfiles import read_yaml
    from labspin.physics.devicefile import load_device, looks_like_device_file
    from labspin.stationfile import StationFileError, load_station_file

    if looks_like_device_file(read_yaml(path, StationFileError, "station or device file")):
        return bench_from_preset(load_device(path))
    station = load_station_file(path)
    return station.build_bench()
