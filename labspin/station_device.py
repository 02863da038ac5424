"""Which device a station simulates, and its ``sample`` agreeing with that device.

The station file's ``sample`` is what the limits and the analysis use (current
densities, pulse energies); the device is what the simulated bench computes. They must
describe the same bar, or the bench would answer for one and the fits assume another:

* a **preset** (``sim.preset``, ``--preset``) is a stack, not a bar: the sample's width
  and length reshape its Hall bar (the sample wins); its ferromagnet thickness must be
  the sample's ``fm_thickness``, else the fix is named (a device file).
* a **device** (``sim.device`` as a file or inline keys, ``--device FILE``, a
  ``DeviceParameters``) describes the bar itself: the sample's width, length,
  ``fm_thickness`` and conducting thickness must agree with it, or each disagreement
  is named with both values and the fix.
* on a ``backend: sim`` station, geometry the sample leaves out (or the whole sample)
  is taken from the device, so nothing is written twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labspin.physics.devicefile import DeviceFileError, is_preset_name, load_device
from labspin.physics.parameters import DeviceParameters
from labspin.stationfile import StationFileError

#: relative tolerance for "the same length"
TOLERANCE = 1e-3
GEOMETRY = ("width", "length", "fm_thickness", "conducting_thickness")


@dataclass(frozen=True)
class SimDevice:
    """The device of a simulated bench and where it came from."""

    params: DeviceParameters
    exact: bool  # a described bar (file, keys, object), not a preset's stack
    label: str  # how messages name it: "the py-nio preset", "device file chip7.yaml"
    where: str  # the key a fix would edit: "sim.device", "--device", "sim.preset"


def resolve(spec: Any, *, base_dir: Any = None, where: str = "sim.device",
            source: str = "station file") -> SimDevice:
    """The device ``spec`` names (a preset, a file, inline keys or parameters);
    StationFileError naming ``source`` and ``where`` if it cannot be used."""
    inline = isinstance(spec, dict)
    try:
        params = load_device(spec, base_dir=base_dir, label=f"{source}: {where}")
    except DeviceFileError as exc:
        if inline:  # the message already names the station file and the key
            raise StationFileError(str(exc)) from None
        raise StationFileError(f"{source}: {where}: {_indent(str(exc))}") from None
    if is_preset_name(spec):
        return SimDevice(params, False, f"the {spec} preset", where)
    if isinstance(spec, DeviceParameters):
        return SimDevice(params, True, f"the device {params.name!r}", where)
    if isinstance(spec, str | Path):
        return SimDevice(params, True, f"device file {spec}", where)
    return SimDevice(params, True, f"the device under {where}", where)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def from_station_data(data: dict[str, Any], source: str, base_dir: Any,
                      override: Any = None) -> SimDevice | None:
    """The device of a station file's (not yet validated) data: ``override`` (--device,
    --preset, ``device=``) if given, else ``sim.device``, else ``sim.preset``. None when
    the sim section is malformed (validation then says how)."""
    sim = data.get("sim", {})
    if sim is None:
        sim = {}
    if not isinstance(sim, dict):
        return None
    if override is not None:
        where = "--preset" if is_preset_name(override) else "--device"
        return resolve(override, where=where, source=source)
    if sim.get("device") is not None:
        if "preset" in sim:
            return None  # both: validation says to give one
        spec = sim["device"]
        if not isinstance(spec, str | dict):
            return None
        return resolve(spec, base_dir=base_dir, where="sim.device", source=source)
    name = sim.get("preset", "py-nio")
    if not is_preset_name(name):
        return None  # validation names the presets
    return resolve(name, where="sim.preset", source=source)


def geometry(params: DeviceParameters) -> dict[str, float]:
    """The sample geometry of a device: what a station's ``sample`` says about it."""
    fm = params.ferromagnet
    out = {"width": params.hall_bar.width, "length": params.hall_bar.length,
           "fm_thickness": fm.thickness}
    if params.heavy_metals:
        out["conducting_thickness"] = fm.thickness + sum(hm.thickness for _, hm in
                                                         params.heavy_metals)
    return out


def with_sample_from_device(data: dict[str, Any], device: SimDevice) -> dict[str, Any]:
    """``data`` with what its ``sample`` leaves out taken from the device (a
    ``backend: sim`` station only: a real sample is measured, not assumed)."""
    if data.get("backend") != "sim":
        return data
    sample = data.get("sample")
    if sample is None and "samples" not in data:
        sample = {}
    if not isinstance(sample, dict):
        return data
    params = device.params
    filled = dict(sample)
    filled.setdefault("id", _slug(params.name))
    filled.setdefault("stack", params.stack_label)
    for key, value in geometry(params).items():
        filled.setdefault(key, value)
    return {**data, "sample": filled}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", name).strip("-")[:60] or "sim-device"


def matched(sample: Any, device: SimDevice, *, source: str, derivable: bool,
            ) -> DeviceParameters:
    """The device's parameters for this ``sample``: a preset's bar reshaped to the
    sample; a described device unchanged. StationFileError naming each disagreement
    and its fix otherwise."""
    params = device.params
    ours = geometry(params)
    problems = []
    for key in GEOMETRY:
        theirs = getattr(sample, key, None)
        if key == "conducting_thickness":
            mine = ours.get(key, ours["fm_thickness"])
            if theirs is None:
                if key in ours and device.exact:
                    problems.append(
                        f"sample has no conducting_thickness, but the current of {device.label}"
                        f" also flows in its heavy metal: give sample.conducting_thickness: "
                        f"{_nm(mine)} (FM plus heavy metal), or current densities come out "
                        "too large")
                continue
        else:
            mine = ours[key]
        if theirs is None or abs(theirs - mine) <= TOLERANCE * abs(mine):
            continue
        if key in ("width", "length") and not device.exact:
            continue  # a preset's bar takes the sample's shape
        problems.append(_disagreement(key, theirs, mine, device, derivable))
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise StationFileError(f"{source}: the sample and the simulated device disagree:\n"
                               f"{lines}")
    if not device.exact:
        params = params.with_(hall_bar=params.hall_bar.with_(width=sample.width,
                                                             length=sample.length))
    return params


_DEVICE_KEY = {"width": "hall_bar.width", "length": "hall_bar.length",
               "fm_thickness": "ferromagnet.thickness",
               "conducting_thickness": "ferromagnet.thickness plus its heavy metal's"}


def _disagreement(key: str, theirs: float, mine: float, device: SimDevice,
                  derivable: bool) -> str:
    unit = _um if key in ("width", "length") else _nm
    head = (f"sample.{key} ({unit(theirs)}) differs from {_DEVICE_KEY[key]} of "
            f"{device.label} ({unit(mine)})")
    if not device.exact:
        name = device.params.name
        return (f"{head}: to simulate this sample, write a device file with `base: {name}` "
                f"and `ferromagnet: {{thickness: {unit(theirs)}}}` and give it as sim.device "
                f"(or --device FILE); or correct sample.{key}")
    fix = f"set sample.{key}: {unit(mine)}"
    if key in ("width", "length", "fm_thickness"):
        fix += f", or {_DEVICE_KEY[key]}: {unit(theirs)} in {device.label}"
    if derivable:
        fix += f", or leave sample.{key} out to take it from the device"
    return f"{head}: make them agree ({fix})"


def _nm(value: float) -> str:
    return f"{value * 1e9:.4g} nm"


def _um(value: float) -> str:
    return f"{value * 1e6:.4g} um"
