"""The built-in simulated station: ``examples/station-sim.yaml`` with another device and
seed, what ``labspin run --sim`` opens when no station file is given."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from labspin.stationfile import StationFile, StationFileError, parse_station

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def default_sim_config(preset: Any = "py-nio", seed: int = 0) -> StationFile:
    """The station of ``examples/station-sim.yaml`` with another device and seed:
    ``preset`` is a preset name, a device file or a DeviceParameters (the sample is
    its bar)."""
    from labspin.physics.devicefile import is_preset_name
    from labspin.station_device import resolve

    label = preset if is_preset_name(preset) else "--device"
    device = resolve(preset, where=label, source="the built-in simulated station")
    params = device.params
    data = _default_sim_data()
    sim = {k: v for k, v in data.get("sim", {}).items() if k not in ("preset", "device")}
    data["sim"] = {**sim, "seed": seed}
    fm, bar = params.ferromagnet, params.hall_bar
    t_conducting = fm.thickness + sum(hm.thickness for _, hm in params.heavy_metals)
    data["sample"] = {"id": f"sim-{params.name}" if not device.exact else params.name,
                      "stack": params.stack_label, "width": bar.width,
                      "length": bar.length, "fm_thickness": fm.thickness,
                      "conducting_thickness": t_conducting}
    config = parse_station(data, f"built-in simulated station ({params.name})",
                           device=preset)
    from labspin.physics.properties import channel_resistance

    # what an ohmmeter between the current pads reads on this bench
    r_bar = channel_resistance(params, params.thermal.stage_temperature)
    r_2t = 1.5 * r_bar + 2 * config.sim.lead_resistance
    sample = config.sample.model_copy(update={"two_terminal_resistance": r_2t})
    return config.model_copy(update={"sample": sample})


def _default_sim_data() -> dict[str, Any]:
    from labspin.simulated_instruments.layout import DEFAULT_INSTRUMENTS

    path = EXAMPLES / "station-sim.yaml"
    if path.is_file():
        stat = path.stat()
        return copy.deepcopy(_example_station(path, stat.st_mtime_ns, stat.st_size))
    # installed without the examples folder: the default layout, generous limits
    instruments = {s.name: {"driver": s.driver, "resource": s.resource, "wiring": s.wiring}
                   for s in DEFAULT_INSTRUMENTS if not s.name.startswith(("magnet", "gauss"))}
    magnets = {axis: {"supply": {"driver": "KepcoBOP3612", "resource": f"GPIB0::{i}::INSTR"},
                      "gaussmeter": {"driver": "LakeShore425", "resource": f"ASRL{i}::INSTR"},
                      "coil_constant": 0.03 if axis == "z" else 0.05, "max_current": 12}
               for i, axis in enumerate("xyz", start=1)}
    return {"name": "sim-probe-station", "backend": "sim", "instruments": instruments,
            "magnets": magnets,
            "limits": {"max_current": 0.1, "max_current_density": 2.5e12,
                       "max_field": {"x": 0.5, "y": 0.5, "z": 0.3}, "max_ramp_rate": 0.5,
                       "max_pulse_width": 0.01, "max_pulse_energy": 1e-3,
                       "max_rf_power": 15.0, "rf_frequency_range": [1e9, 20e9]}}


@functools.lru_cache(maxsize=4)
def _example_station(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    """examples/station-sim.yaml parsed once per version of the file (every simulated
    station starts from it; the pure-Python YAML parser took about 12 ms each time)."""
    from labspin.configfiles import load_yaml_text

    return load_yaml_text(path.read_text(encoding="utf-8"), str(path), StationFileError)
