"""The device model of each Hall bar on the simulated bench.

A bar simulates its own ``preset`` or ``device`` file (``labspin.physics.devicefile``)
when its sample entry names one, else the station's (``--preset``/``--device`` on the
command line, else ``sim.device`` or ``sim.preset``). The sample's geometry is the bar's:
its width, its length and, when given, its AFMI thickness replace the device's (so one
preset simulates a thickness series of one chip), and its FM thickness must agree with
the device's FM (a different FM is a different device: write a device file).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labspin.physics import DeviceParameters
from labspin.physics.parameters import Antiferromagnet

if TYPE_CHECKING:  # the station file imports this module lazily
    from labspin.samples import Sample
    from labspin.stationfile import StationFile


def device_source(config: StationFile, sample: Sample,
                  preset: str | None = None) -> tuple[str, Any]:
    """("preset", name) or ("device", file or inline keys) for ``sample``."""
    if sample.preset is not None:
        return "preset", sample.preset
    if sample.device is not None:
        return "device", sample.device
    if preset is not None:
        return "preset", preset
    station_device = getattr(config.sim, "device", None)  # sim: {device: FILE}
    if station_device is not None:
        return "device", station_device
    return "preset", config.sim.preset


def _base_dir(config: StationFile) -> Path:
    source = Path(config.source_path) if config.source_path else None
    return source.parent if source is not None and source.is_file() else Path.cwd()


def load_device_file(source: Any, config: StationFile, where: str) -> DeviceParameters:
    """A device file (or inline keys) through ``labspin.physics.devicefile``."""
    from labspin.stationfile import StationFileError

    if isinstance(source, DeviceParameters):
        return source
    try:
        from labspin.physics.devicefile import load_device
    except ImportError:
        raise StationFileError(f"{where}: device: device files need "
                               "labspin.physics.devicefile, which this version of labspin "
                               "does not have; name a preset instead (preset: py-nio)") from None
    try:
        return load_device(source, base_dir=_base_dir(config))
    except (ValueError, OSError, TypeError) as exc:
        raise StationFileError(f"{where}: device: {exc}") from None


def afmi_layer(params: DeviceParameters) -> tuple[str, Antiferromagnet] | None:
    """The antiferromagnetic insulator and its side ("top" or "bottom"), if any."""
    for side in ("top", "bottom"):
        layer = getattr(params, side)
        if isinstance(layer, Antiferromagnet):
            return side, layer
    return None


def device_for_sample(config: StationFile, sample: Sample,
                      preset: str | None = None) -> DeviceParameters:
    """The device parameters the bench simulates for ``sample`` (module doc);
    StationFileError naming the sample and the fix when they cannot agree."""
    from labspin.stationfile import StationFileError

    where = f"{config.source_path or 'station file'}: sample {sample.id!r}"
    matched = _matched_by_station_device(config, sample, preset, where)
    if matched is not None:
        params, what = matched
    else:
        params, what = _matched_here(config, sample, preset, where)
    if sample.afmi_thickness is not None:
        found = afmi_layer(params)
        if found is None:
            raise StationFileError(
                f"{where}: afmi_thickness is given but {what} has no antiferromagnet; "
                "simulate it with a preset or device that has one (py-nio, py-coo, "
                "cofeb-nio-pma), or leave afmi_thickness out")
        side, layer = found
        try:
            params = params.with_(**{side: layer.with_(thickness=sample.afmi_thickness)})
        except ValueError as exc:  # thinner than the film's Neel-temperature scale
            raise StationFileError(f"{where}: afmi_thickness: {exc}") from None
    return params


def _matched_by_station_device(config: StationFile, sample: Sample, override: Any,
                               where: str) -> tuple[DeviceParameters, str] | None:
    """The sample's device through ``labspin.station_device`` (device files: the same
    checks of sample against device as a station of one sample), or None without it."""
    try:
        from labspin import station_device
    except ImportError:
        return None
    if not hasattr(config, "simulated_device"):
        return None
    source = config.source_path or "station file"
    if override is None and (sample.preset is not None or sample.device is not None):
        key = "preset" if sample.preset is not None else "device"
        chosen = station_device.resolve(getattr(sample, key), base_dir=_base_dir(config),
                                        where=f"samples.{sample.id}.{key}", source=source)
    else:
        chosen = config.simulated_device(override)
    params = station_device.matched(sample, chosen, source=where,
                                    derivable=config.backend == "sim")
    return params, chosen.label


def _matched_here(config: StationFile, sample: Sample, preset: Any,
                  where: str) -> tuple[DeviceParameters, str]:
    """The sample's preset (or device file) with the sample's width and length; its FM
    thickness must agree."""
    from labspin.physics import preset as device_preset
    from labspin.stationfile import StationFileError

    kind, source = device_source(config, sample, preset)
    params = device_preset(source) if kind == "preset" else \
        load_device_file(source, config, where)
    what = f"the {params.name} preset" if kind == "preset" else f"its device ({params.name})"
    fm = params.ferromagnet
    if abs(fm.thickness - sample.fm_thickness) > 1e-3 * fm.thickness:
        raise StationFileError(
            f"{where}: fm_thickness ({sample.fm_thickness:g} m) differs from {what}'s "
            f"{fm.name} ({fm.thickness:g} m); make them agree to simulate this sample (a "
            "different ferromagnet is a different device: give the sample a device file)")
    params = params.with_(hall_bar=params.hall_bar.with_(width=sample.width,
                                                         length=sample.length))
    return params, what


def describe_device(params: DeviceParameters) -> str:
    """'py-nio (Py 5 nm / NiO 2 nm)': the device and the stack it simulates."""
    return f"{params.name} ({params.stack_label})"


def device_seed(config: StationFile, sample_id: str, seed: int) -> int:
    """The seed of a bar's device: the bench's for a station of one sample, a seed of its
    own per bar of a chip (the same bar gives the same data whichever bar comes first)."""
    if not config.samples:
        return seed
    return (seed * 1_000_003 + zlib.crc32(sample_id.encode())) % (2**63)


def put_under_probes(station: Any, sample: Sample) -> None:
    """Swap the simulated bench's device for ``sample``'s (made once per bar and kept, so
    a bar keeps its state when the probes come back); StationError when they cannot
    move."""
    from labspin.instrument_io import StationError
    from labspin.physics import Device
    from labspin.simulated_instruments.bench import BenchError

    devices = station._devices
    device = devices.get(sample.id)
    if device is None:
        params = device_for_sample(station.config, sample, station._preset)
        device = Device(params, seed=device_seed(station.config, sample.id,
                                                 station.bench.seed))
    try:
        station.bench.swap_device(device)
    except BenchError as exc:
        raise StationError(f"station '{station.config.name}': cannot move to sample "
                           f"{sample.id}: {exc}") from None
    devices[sample.id] = device
